"""``lektrico-hil eol`` as an operator uses it: a serial piped in as a barcode scanner types it, one live
line per step and no pytest noise, a PASS or FAIL banner, the failing step with its value against its
limit, the record stored in SQLite, and a retest recorded as one.

Two units go through the real command (subprocesses, side by side, virtual bench at time scale 20): a
correct unit scanned on stdin, and a unit that already has a record (so its attempt is a retest) with the
``duty_offset_0_6pct`` firmware defect, which the PWM step must fail.  The refusals (no scan, a wrong scan,
a bad database) are checked in-process: nothing runs for them.
"""
from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from records.store import open_store
from station.banner import block_letters
from station.cli import main
from station.progress import Progress
from station.record import UnitRecord


PROJECT_ROOT = Path(__file__).resolve().parent.parent
SCANNED, RETESTED = "500411", "500412"
STEP_LINE = "[{index}/10] "


def _eol(db: Path, runs: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "station", "eol", "--db", str(db), "--runs-dir", str(runs),
                           "--time-scale", "20", *args], input=stdin, capture_output=True, text=True,
                          cwd=PROJECT_ROOT, timeout=300)


def _seed(db: Path, serial: str) -> None:
    """An earlier (ERROR) attempt of ``serial``, so the next one is a retest."""
    record = UnitRecord(serial, {"id": "PO-2026-001"}, "line1-eol1", "jdoe", "virtual-eol", 20.0, verdict="ERROR",
                        message="bench fault: the EV simulator did not answer")
    record.finished_utc, record.duration_s = record.started_utc, 0.0
    open_store(db).add_record(record.to_json(), retest=False)


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Future[subprocess.CompletedProcess[str]]]]]:
    where = tmp_path_factory.mktemp("station")
    db = where / "eol.sqlite3"
    _seed(db, RETESTED)
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield db, {"pass": pool.submit(_eol, db, where / "runs", stdin=f"  {SCANNED}\n"),
                   "fail": pool.submit(_eol, db, where / "runs", "--serial", RETESTED, "--defect", "duty_offset_0_6pct")}


def test_a_scanned_correct_unit_shows_each_step_and_a_pass_banner(station) -> None:  # type: ignore[no-untyped-def]
    db, runs = station
    done = runs["pass"].result()
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for index in range(1, 11):
        assert STEP_LINE.format(index=index) in out, out
    assert out.count(" ... PASS (") == 10, out
    assert "\n".join(block_letters("PASS")) in out, out
    for noise in ("passed in", "=====", "PytestWarning", "collected"):
        assert noise not in out, f"pytest output reached the operator ({noise!r}):\n{out}"
    assert f"unit {SCANNED} (order PO-2026-001), attempt 1\n" in out, out


def test_a_retest_that_fails_names_the_step_and_its_value_and_is_recorded(station) -> None:  # type: ignore[no-untyped-def]
    db, runs = station
    done = runs["fail"].result()
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stdout
    assert f"unit {RETESTED} (order PO-2026-001), attempt 2 (retest)" in out, out
    assert "\n".join(block_letters("FAIL")) in out, out
    assert "failed at [4/10] PWM duty at 10 A and 16 A" in out, out
    assert "PWM duty at 10 A = 17.27 % against [16.167, 17.167] %" in out, out
    assert "[5/10] Metering" in out and out.count("SKIPPED") == 6, out
    store = open_store(db)
    assert store.attempts(RETESTED) == 2
    stored = json.loads(store.export_json(store.test_ids(RETESTED)[-1]))
    assert stored["database"]["attempt"] == 2 and stored["database"]["retest"] is True
    assert stored["verdict"] == "FAIL" and stored["failed_step"]["step"] == "pwm_duty"
    assert stored["failed_step"]["value"] == pytest.approx(17.27)


@pytest.mark.parametrize("scan", ["", "\n", "-\n", "   \n"])
def test_no_scan_is_refused_before_anything_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str], scan: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(scan))
    assert main(["eol", "--db", str(tmp_path / "eol.sqlite3"), "--runs-dir", str(tmp_path / "runs")]) == 4
    assert "no serial number" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_a_serial_outside_the_order_is_a_wrong_scan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eol", "--serial", "400001", "--db", str(tmp_path / "eol.sqlite3"),
                 "--runs-dir", str(tmp_path / "runs")]) == 4
    assert "wrong scan" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_an_unknown_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eol", "--serail", "500123"]) == 4


def test_a_progress_line_is_begun_at_the_start_and_completed_at_the_end() -> None:
    out = io.StringIO()
    show = Progress(out)
    show({"event": "step_start", "step": "pwm_duty", "title": "PWM duty at 10 A and 16 A", "index": 4, "total": 10})
    assert out.getvalue() == "[4/10] PWM duty at 10 A and 16 A ... "
    show({"event": "step_end", "step": "pwm_duty", "verdict": "FAIL", "duration_s": 1.24, "message": "m",
          "value": {"measurement": "PWM duty at 10 A", "value": 17.27, "unit": "%", "limits": "[16.167, 17.167] %"}})
    assert out.getvalue().endswith("FAIL (1.2 s): PWM duty at 10 A = 17.27 % against [16.167, 17.167] %\n")
