"""Wall time of the bench suites on 1, 2 and 4 virtual benches through labgrid, and the speed-up.

Why this figure: a lab of N benches is worth having only if N benches verify N times as much per night.
The suites mostly wait on the charger's physics (contactor, PWM, meter windows in device seconds), so at
time scale 1 the benches' waits overlap and the speed-up should be close to N even on 2 cores.  Each
N gets a fresh :class:`lab.loopback.LoopbackLab` (coordinator, exporters, simulators); only the pytest run
is timed (its lab's start-up is reported apart), and speed-up = N x T1 / TN: the throughput of N benches
against one.

    python -m lab.timing --benches 1,2,4 --time-scale 1 --out reports/out/lab-timing.md

The default selection, the IEC 61851 state tests (``-m states``), is what a bench suite spends its time on
(waits for the charger's reactions) and takes about a minute per bench at time scale 1.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from lab.loopback import LoopbackLab

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SELECT = "states"
GOAL_FRACTION = 0.9  # of N: the goal for the speed-up
REAL_LAB_POLL_S = 0.05
"""A wait's reads 50 ms apart, as benches/example-lab.toml paces a real charger (20 requests/s).  Why not
virtual.toml's 5 ms: at time scale 1 that is 200 observations a second per bench (each two RPCs, an EV
box query and an analyzer read), which on 2 cores is CPU, not physics, and no real charger is polled so."""


@dataclass
class TimedRun:
    benches: int
    wall_s: float
    lab_start_s: float
    exit_code: int
    per_bench: dict[str, dict[str, int]]

    @property
    def tests(self) -> int:
        return sum(sum(counts.values()) for counts in self.per_bench.values())

    def count(self, outcome: str) -> int:
        return sum(counts.get(outcome, 0) for counts in self.per_bench.values())


def write_inventory(path: Path, profiles: list[Path]) -> Path:
    """An inventory naming the lab's place profiles bench-1..N."""
    path.write_text("".join(f'[[bench]]\nname = "bench-{i}"\nprofile = "{p}"\n\n' for i, p in enumerate(profiles, 1)))
    return path


def junit_counts(junit: Path) -> dict[str, dict[str, int]]:
    """Per bench (the JUnit ``bench`` property), how many test cases passed, failed or were skipped."""
    counts: dict[str, dict[str, int]] = {}
    if not junit.exists():
        return counts
    for case in ET.parse(junit).iter("testcase"):
        bench = next((p.get("value") for p in case.iter("property") if p.get("name") == "bench"), "?")
        outcome = ("failed" if case.find("failure") is not None or case.find("error") is not None
                   else "skipped" if case.find("skipped") is not None else "passed")
        bench_counts = counts.setdefault(str(bench), {})
        bench_counts[outcome] = bench_counts.get(outcome, 0) + 1
    return counts


def speed_up(run: TimedRun, single: TimedRun) -> float:
    """N x T1 / TN: how many one-bench runs' worth of tests the N benches did in one run's time."""
    return run.benches * single.wall_s / run.wall_s


def table(runs: list[TimedRun]) -> str:
    """The Markdown table of the runs (the first run is the one-bench reference)."""
    single = next((run for run in runs if run.benches == 1), runs[0])
    rows = ["| benches | wall s (pytest) | lab start s | tests | passed | failed | speed-up | goal 0.9 x N |",
            "|---:|---:|---:|---:|---:|---:|---:|---|"]
    for run in runs:
        gain = speed_up(run, single)
        rows.append(f"| {run.benches} | {run.wall_s:.1f} | {run.lab_start_s:.1f} | {run.tests} | {run.count('passed')} | "
                    f"{run.count('failed')} | {gain:.2f} | {'met' if gain >= GOAL_FRACTION * run.benches else 'NOT met'} |")
    return "\n".join(rows) + "\n"


def timed_run(benches: int, time_scale: float, select: str, timeout_s: float, work: Path,
              poll_s: float | None) -> TimedRun:
    """One lab of ``benches`` places, one inventory run of the selection on all of them."""
    started = time.monotonic()
    with LoopbackLab(benches, time_scale=time_scale, tmp_dir=work / "lab", poll_s=poll_s) as lab:
        lab_start_s = time.monotonic() - started
        inventory = write_inventory(work / "inventory.toml", lab.profiles)
        command = [sys.executable, "-m", "pytest", "suites/bench", "-m", select, "--inventory", str(inventory),
                   "--time-scale", f"{time_scale:g}", "-q", "-p", "no:cacheprovider",
                   f"--alluredir={work / 'allure'}", f"--junitxml={work / 'junit.xml'}"]
        began = time.monotonic()
        try:
            done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired as error:
            raise SystemExit(f"lab timing: {benches} benches: the run did not end within {timeout_s:.0f} s; "
                             f"last output: {str(error.stdout)[-1500:]}") from None
        wall_s = time.monotonic() - began
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-1500:], sep="\n", file=sys.stderr)
    return TimedRun(benches, wall_s, lab_start_s, done.returncode, junit_counts(work / "junit.xml"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benches", default="1,2,4", help="comma-separated bench counts (the first should be 1)")
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--select", default=DEFAULT_SELECT, help="the -m expression of suites/bench to run")
    parser.add_argument("--poll-s", type=float, default=REAL_LAB_POLL_S,
                        help="device s between a wait's reads (default: a real lab's pace, benches/example-lab.toml)")
    parser.add_argument("--timeout", type=float, default=900.0, help="wall s per run")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports" / "out" / "lab-timing.md")
    args = parser.parse_args(argv)
    runs: list[TimedRun] = []
    for benches in (int(n) for n in args.benches.split(",")):
        print(f"lab timing: {benches} bench(es), suites/bench -m {args.select!r}, time scale {args.time_scale:g} ...",
              flush=True)
        with tempfile.TemporaryDirectory(prefix=f"lab-timing-{benches}-") as work:
            run = timed_run(benches, args.time_scale, args.select, args.timeout, Path(work), args.poll_s)
        runs.append(run)
        print(f"lab timing: {benches} bench(es): {run.wall_s:.1f} s, {run.tests} tests, exit {run.exit_code}", flush=True)
    text = (f"# Bench suites on 1..N virtual benches through labgrid\n\n`suites/bench -m {args.select!r}`, time scale "
            f"{args.time_scale:g}, poll {args.poll_s:g} device s, one pytest-xdist worker per place (`--inventory`)."
            f"\n\n" + table(runs))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    return 0 if all(run.exit_code == 0 for run in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
