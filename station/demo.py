"""Ten units in a row through ``lektrico-hil eol`` on the virtual bench, into one SQLite file, then the lot report.

    python -m station.demo [--out reports/out/eol-demo] [--time-scale 1] [--units 10]

Each unit is a new virtual charger presenting its own serial (500201, 500202, ...), scanned as an operator
scans it (the serial on the command's stdin).  Two of them carry a catalogued firmware defect that the
sequence must catch at two different steps (:data:`DEFECTIVE`); the others are correct.  Written to
``--out``: ``eol.sqlite3`` (every record), ``units.md`` (each unit's verdict, failing step and wall time, and
the per-step timing table of the correct units), the station's own output per unit (``<serial>.txt``), and
the lot report (``lot/``: first-pass yield, each measurement's distribution and Cpk, records/lot.py).
The run ends non-zero if a unit's verdict is not the expected one.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from statistics import fmean

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FIRST_SERIAL = 500201
DEFECTIVE = {4: ("duty_offset_0_6pct", "pwm_duty"), 8: ("rcd_ac_threshold_32ma", "rcd_ac")}
"""Unit number -> (the firmware defect it carries, the step that must fail it)."""


@dataclass(frozen=True)
class UnitRun:
    number: int
    serial: str
    defect: str | None
    expected_step: str | None
    exit_code: int
    wall_s: float
    record: dict

    @property
    def as_expected(self) -> bool:
        failed = (self.record.get("failed_step") or {}).get("step")
        if self.defect is None:
            return self.exit_code == 0 and self.record.get("verdict") == "PASS"
        return self.exit_code == 1 and self.record.get("verdict") == "FAIL" and failed == self.expected_step


def run_unit(number: int, out: Path, time_scale: float) -> UnitRun:
    serial = str(FIRST_SERIAL + number - 1)
    defect, step = DEFECTIVE.get(number, (None, None))
    command = [sys.executable, "-m", "station", "eol", "--db", str(out / "eol.sqlite3"), "--runs-dir", str(out / "runs"),
               "--time-scale", f"{time_scale:g}", "--operator", "demo"]
    if defect:
        command += ["--defect", defect]
    started = time.monotonic()
    done = subprocess.run(command, input=serial + "\n", capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=600)
    wall = time.monotonic() - started
    (out / f"{serial}.txt").write_text(done.stdout + done.stderr)
    runs = sorted((out / "runs" / serial).glob("*/record.json"))
    record = json.loads(runs[-1].read_text()) if runs else {}
    return UnitRun(number, serial, defect, step, done.returncode, wall, record)


def step_table(units: list[UnitRun]) -> list[str]:
    """Mean and maximum duration of each step over the units that passed (wall s at the run's time scale)."""
    passed = [u for u in units if u.record.get("verdict") == "PASS"]
    if not passed:
        return ["(no unit passed)"]
    lines = ["| step | title | mean s | max s |", "|---|---|---:|---:|"]
    for index, first in enumerate(passed[0].record["steps"]):
        durations = [u.record["steps"][index]["duration_s"] or 0.0 for u in passed]
        lines.append(f"| {index + 1}. {first['step']} | {first['title']} | {fmean(durations):.2f} | {max(durations):.2f} |")
    sequence = [sum(s["duration_s"] or 0.0 for s in u.record["steps"]) for u in passed]
    lines.append(f"| | the sequence (sum of steps) | {fmean(sequence):.2f} | {max(sequence):.2f} |")
    recorded = [u.record["duration_s"] for u in passed]
    lines.append(f"| | the pytest run (configure to record) | {fmean(recorded):.2f} | {max(recorded):.2f} |")
    walls = [u.wall_s for u in passed]
    lines.append(f"| | `lektrico-hil eol` (scan to stored record) | {fmean(walls):.2f} | {max(walls):.2f} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m station.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports" / "out" / "eol-demo")
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--units", type=int, default=10)
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    (out / "eol.sqlite3").unlink(missing_ok=True)
    units = []
    for number in range(1, args.units + 1):
        unit = run_unit(number, out, args.time_scale)
        units.append(unit)
        step = (unit.record.get("failed_step") or {}).get("step")
        notes = [f"failed at {step}" if step else "", f"(defect {unit.defect})" if unit.defect else "",
                 "" if unit.as_expected else "UNEXPECTED"]
        print(f"unit {number:2d} {unit.serial} {unit.record.get('verdict', '?'):5} {unit.wall_s:6.1f} s  "
              + "  ".join(n for n in notes if n), flush=True)
    lot = subprocess.run([sys.executable, "-m", "station", "lot-report", "--db", str(out / "eol.sqlite3"),
                          "--out", str(out / "lot")], capture_output=True, text=True, cwd=PROJECT_ROOT)
    rows = ["| # | serial | defect | verdict | failed step | failing check | wall s |", "|---:|---|---|---|---|---|---:|"]
    for u in units:
        failed = u.record.get("failed_step") or {}
        check = (f"{failed.get('measurement')} = {failed.get('value')} {failed.get('unit') or ''} against "
                 f"{failed.get('limits')}") if failed.get("measurement") else ""
        rows.append(f"| {u.number} | {u.serial} | {u.defect or ''} | {u.record.get('verdict')} | {failed.get('step') or ''} "
                    f"| {check} | {u.wall_s:.1f} |")
    text = [f"# {args.units} units through `lektrico-hil eol` (virtual bench, time scale {args.time_scale:g})", "",
            *rows, "", "## Per-step timing (correct units)", "", *step_table(units), "",
            "## Lot report", "", "```", (lot.stdout + lot.stderr).strip(), "```", ""]
    (out / "units.md").write_text("\n".join(text))
    print("\n".join(text))
    return 0 if all(u.as_expected for u in units) and lot.returncode == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
