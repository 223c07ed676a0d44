"""The operator's EOL flow: scan, test one unit, show PASS or FAIL, store the record.

1. The serial: ``--serial``, else one line from the barcode scanner on stdin (trimmed; an empty line, EOF
   or ``-`` is refused).  It must be on the production order (station/order.py), else a wrong scan:
   refused before anything runs (exit 4).
2. The records database is opened first (``--db``: a path or any SQLAlchemy URL; default: a SQLite file
   in the user's data directory, records.store), so a bad ``--db`` never costs a test; the unit's earlier
   records make this attempt a retest (attempt n > 1), which is allowed and recorded as such.
3. The EOL run is ``python -m pytest --profile eol ...`` in a subprocess, its output captured to
   ``pytest.log`` in the run's directory beside ``record.json`` and ``events.jsonl``, never shown; the
   events file gives a live line per step (station/progress.py).
4. Then a large PASS / FAIL / ERROR (station/banner.py), the failing step with its value against its
   limit, and the record stored.  Exit 0 PASS, 1 FAIL, 3 ERROR (bench fault: no verdict on the unit),
   4 a usage error.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import platformdirs

from station.banner import banner
from station.order import OrderError, load_order
from station.progress import EventTail, Progress, describe_check
from station.record import UnitRecord, utc_stamp

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BENCH = PROJECT_ROOT / "benches" / "virtual-eol.toml"
EXIT_CODES = {"PASS": 0, "FAIL": 1, "ERROR": 3}
USAGE = 4
POLL_WALL_S = 0.05
"""How often the station looks for new events while the run goes on (a display refresh, not a wait on the unit)."""


class UsageError(Exception):
    """The operator's input or the station's set-up is wrong: nothing was tested (exit 4)."""


@dataclass
class EolRequest:
    """What the operator asked for (``lektrico-hil eol`` arguments)."""

    serial: str | None
    db: str | None = None
    bench: Path = DEFAULT_BENCH
    order: Path | None = None
    time_scale: float | None = None
    station: str | None = None
    operator: str | None = None
    defects: list[str] = field(default_factory=list)
    runs_dir: Path | None = None
    colour: bool = False


def read_scanned_serial(stdin: TextIO) -> str:
    """One line from a barcode scanner (a keyboard device: it types the code and Enter)."""
    line = stdin.readline()
    serial = line.strip()
    if not serial or serial == "-":
        raise UsageError("no serial number: scan the unit's barcode (one line on stdin) or pass --serial")
    return serial


def run_directory(base: Path | None, serial: str) -> Path:
    """Where this attempt's record, events and pytest log go: ``<base>/<serial>/<UTC stamp>``."""
    root = base or Path(platformdirs.user_data_dir("lektrico-hil")) / "eol-runs"
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    path = root / serial / stamp
    path.mkdir(parents=True, exist_ok=False)
    return path


def pytest_command(request: EolRequest, serial: str, where: Path) -> list[str]:
    command = [sys.executable, "-m", "pytest", "--profile", "eol", "--bench", str(request.bench), "--serial", serial,
               "--eol-events", str(where / "events.jsonl"), "--eol-record", str(where / "record.json"),
               "--alluredir", str(where / "allure"), "-p", "no:cacheprovider", "-q"]
    if request.order is not None:
        command += ["--order", str(request.order)]
    if request.time_scale is not None:
        command += ["--time-scale", str(request.time_scale)]
    for name, value in (("--station", request.station), ("--operator", request.operator)):
        if value:
            command += [name, value]
    for defect in request.defects:
        command += ["--defect", defect]
    return command


def run_pytest(command: list[str], where: Path, progress: Progress) -> tuple[int, dict[str, Any] | None]:
    """Run the EOL pytest run, showing each event as it arrives; (its exit code, the done event)."""
    tail = EventTail(where / "events.jsonl", progress)
    with (where / "pytest.log").open("w") as log:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            while True:
                try:
                    code = process.wait(timeout=POLL_WALL_S)
                    break
                except subprocess.TimeoutExpired:
                    tail.poll()
        except KeyboardInterrupt:
            # Ctrl-C at the station: the run handles SIGTERM as Ctrl-C (its teardowns put the bench safe) and
            # still writes its record, ERROR, which is stored like any other attempt.
            process.terminate()
            code = process.wait()
    tail.poll()
    return code, tail.done


def log_error_line(log: Path) -> str:
    """The usage error pytest printed (``ERROR: ...``), for a run that never started."""
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    return next((line for line in lines if line.startswith("ERROR:")), lines[-1] if lines else "no output")


def fallback_record(request: EolRequest, serial: str, order_id: str, message: str) -> dict[str, Any]:
    """A record for a run that wrote none (it crashed): ERROR, with the message, so the attempt is kept."""
    record = UnitRecord(serial, {"id": order_id}, request.station or "", request.operator or "",
                        request.bench.stem, request.time_scale or 1.0, verdict="ERROR", message=message)
    record.finished_utc, record.duration_s = utc_stamp(), 0.0
    return record.to_json()


def verdict_lines(record: dict[str, Any], colour: bool) -> list[str]:
    """The banner and, for a red unit, the step that failed and what it measured against its limit."""
    lines = ["", banner(record["verdict"], colour), ""]
    failed = record.get("failed_step")
    if failed:
        steps = [s["step"] for s in record.get("steps", [])]
        step = failed.get("step")
        where = f"[{steps.index(step) + 1}/{len(steps)}] " if step in steps else ""
        title = next((s["title"] for s in record.get("steps", []) if s["step"] == step), step)
        judged = "failed" if record["verdict"] == "FAIL" else "not judged"
        lines.append(f"{judged} at {where}{title}" if title else f"{judged}: the sequence did not start")
        if failed.get("measurement"):
            lines.append(f"  {describe_check(failed)}")
        if failed.get("message"):
            lines.append(f"  {failed['message']}")
    return lines


def eol(request: EolRequest, stdin: TextIO, out: TextIO) -> int:
    """The whole flow for one unit; returns the exit code."""
    from sqlalchemy.exc import SQLAlchemyError  # noqa: PLC0415 - SQLAlchemy only when a unit is tested

    from records.store import masked, open_store, url_of  # noqa: PLC0415

    serial = request.serial.strip() if request.serial else read_scanned_serial(stdin)
    try:
        order = load_order(request.order)
        order.check_serial(serial)
    except OrderError as error:
        raise UsageError(f"wrong scan or order: {error}") from None
    if not request.bench.exists():
        raise UsageError(f"bench profile {request.bench} not found")
    try:
        store = open_store(request.db)
        earlier = store.attempts(serial)
    except (OSError, ValueError, SQLAlchemyError) as error:
        raise UsageError(f"records database {masked(url_of(request.db))}: {error}") from None
    attempt = earlier + 1
    where = run_directory(request.runs_dir, serial)
    out.write(f"unit {serial} (order {order.id}), attempt {attempt}{' (retest)' if earlier else ''}\n")
    out.flush()
    progress = Progress(out)
    code, _ = run_pytest(pytest_command(request, serial, where), where, progress)
    if code == USAGE:
        raise UsageError(f"the EOL run refused its set-up: {log_error_line(where / 'pytest.log')} "
                         f"(log {where / 'pytest.log'})")
    record_file = where / "record.json"
    if record_file.exists():
        record = json.loads(record_file.read_text())
    else:
        record = fallback_record(request, serial, order.id, f"the EOL run wrote no record (pytest exit {code}); "
                                                  f"log {where / 'pytest.log'}")
        record_file.write_text(json.dumps(record, indent=1))
    for line in verdict_lines(record, request.colour):
        out.write(line + "\n")
    try:
        record_id = store.add_record(record, retest=earlier > 0)
    except (ValueError, SQLAlchemyError) as error:  # a record the store refuses, or the database gone meanwhile
        out.write(f"RECORD NOT STORED in {store.url}: {error}; the record is kept in {record_file}: store it again "
                  f"before the unit leaves the station\n")
        out.flush()
        return EXIT_CODES["ERROR"]
    out.write(f"record {record_id} stored in {store.url}: "
              f"attempt {attempt}{' (retest)' if earlier else ''}; files in {where}\n")
    out.flush()
    return EXIT_CODES[record["verdict"]]
