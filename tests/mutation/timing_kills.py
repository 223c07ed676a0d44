"""The near-limit timing defects on a bench with no instrument timer: killed, or inconclusive and why.

Each timing boundary defect of the catalogue sits just outside its limit (120 ms against 100 ms).  On a
bench that polls, the verdict rests on the uncertainty the bench measured: a defect whose margin
exceeds it must be killed; one whose margin it cannot resolve is *inconclusive*, never a pass.  For
each defect this runs the suite the catalogue names, on the given bench profile, and reports the
margin, the measurement (value ± uncertainty) and the verdict.

``python -m tests.mutation.timing_kills [--bench benches/virtual-no-timers.toml] [--time-scale S]``
writes reports/out/timing-kills-<bench>.md.
"""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from simulator.defects import CATALOGUE
from tests.mutation.boundary import limits
from tests.mutation.runner import PROJECT_ROOT, run_suites

OUTSIDE: dict[str, float] = {
    "slow_contactor_close_3_2s": 3.2, "contactor_open_120ms": 0.12, "fault_open_120ms": 0.12,
    "pwm_update_5_5s": 5.5, "pause_opens_5_8s": 5.8, "pause_opens_9_3s": 9.3, "state_f_shown_0_2s": 0.2,
    "schedule_edge_10_8s": 10.8,
}
"""Each timing boundary defect's value, in the unit of its limit (simulator/defects.py says it in words)."""
MEASURED = re.compile(r"(?:measurement )?(?P<name>[\w() .>-]+?) = (?P<value>[-\d.e+]+) ± (?P<u>[-\d.e+]+) s")


@dataclass(frozen=True)
class TimingKill:
    defect: str
    limit: str
    limit_value: float
    outside: float
    verdict: str            # killed | inconclusive | not served (the bench lacks the role) | SURVIVED | bench/harness
    test: str
    measured: str           # "0.132 ± 0.020 s" (what the bench resolved), or ""

    @property
    def margin(self) -> float:
        return abs(self.outside - self.limit_value)


def _cases(junit: Path) -> list[tuple[str, str, str]]:
    """(case name, verdict class, message) of every case."""
    found = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        message = " ".join((child.get("message") or "") + " " + (child.text or "")
                           for child in case if child.tag in ("failure", "error", "skipped"))
        found.append((case.get("name", ""), props.get("verdict_class", "harness"), message))
    return found


def hunt(defect: str, bench: str, extra: tuple[str, ...] = ()) -> TimingKill:
    spec = CATALOGUE[defect]
    limit = spec.limit or ""
    limit_value = float(limits().get(limit, {}).get("value", 0.0))
    with tempfile.TemporaryDirectory(prefix="timing-kill-") as tmp:
        alluredir = Path(tmp) / "allure"
        run = run_suites(tuple(spec.suites), defects=(defect,), alluredir=alluredir,
                         extra=("--bench", bench, "-x", f"--junitxml={Path(tmp) / 'j.xml'}", *extra))
        junit = Path(tmp) / "j.xml"
        cases = _cases(junit) if junit.exists() else []
    for verdict in ("product", "inconclusive"):
        for name, klass, message in cases:
            if klass == verdict:
                hit = MEASURED.search(message)
                measured = f"{float(hit['value']):.3f} ± {float(hit['u']):.3f} s" if hit else ""
                return TimingKill(defect, limit, limit_value, OUTSIDE[defect],
                                  "killed" if verdict == "product" else "inconclusive", name, measured)
    red = [name for name, klass, _ in cases if klass in ("bench", "harness")]
    if red:
        return TimingKill(defect, limit, limit_value, OUTSIDE[defect], "bench/harness", red[0], run.tail[-200:])
    lacking = sorted({hit.group(1) for _, klass, message in cases if klass == "skipped"
                      for hit in [re.search(r"bench lacks ([\w.]+)", message)] if hit})
    if lacking and not any(klass == "passed" and name.startswith(_killer_prefix(defect)) for name, klass, _ in cases):
        return TimingKill(defect, limit, limit_value, OUTSIDE[defect], "not served", "-",
                          f"the bench lacks {', '.join(lacking)}")
    return TimingKill(defect, limit, limit_value, OUTSIDE[defect], "SURVIVED", "-", "")


def _killer_prefix(defect: str) -> str:
    """The test family that times this defect's limit (a pass there on the defect is a survivor)."""
    return {"fault_open_120ms": "test_cp_fault", "state_f_shown_0_2s": "test_cp_fault"}.get(defect, "test_")


def table(kills: list[TimingKill], bench: str) -> str:
    lines = [f"Near-limit timing defects on {bench} (no instrument timer unless the profile declares one)", "",
             "| defect | limit | outside by | verdict | measured (value ± bench uncertainty) | test |",
             "|---|---|---|---|---|---|"]
    for k in kills:
        lines.append(f"| {k.defect} | {k.limit} ≤/≥ {k.limit_value:g} s | {k.margin * 1000:.0f} ms | {k.verdict} | "
                     f"{k.measured or '-'} | {k.test} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutation.timing_kills")
    parser.add_argument("--bench", default="benches/virtual-no-timers.toml")
    parser.add_argument("--time-scale", default=None)
    parser.add_argument("defects", nargs="*", default=sorted(OUTSIDE))
    args = parser.parse_args()
    extra = ("--time-scale", args.time_scale) if args.time_scale else ()
    kills = [hunt(name, args.bench, extra) for name in args.defects]
    text = table(kills, args.bench + (f" at time scale {args.time_scale}" if args.time_scale else ""))
    out = PROJECT_ROOT / "reports" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"timing-kills-{Path(args.bench).stem}.md").write_text(text + "\n")
    print(text)
    return 0 if all(k.verdict in ("killed", "inconclusive", "not served") for k in kills) else 1


if __name__ == "__main__":
    sys.exit(main())
