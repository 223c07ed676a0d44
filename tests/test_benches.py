"""The bench suites on the other virtual benches: the same box with no instrument timer, and a lab's
composite bench (J1772 EV Sim Remote CP board, Chroma 63800 AC load, Fluke 5522A calibrator, WT310EH).

Green on the correct charger means: no failure and no bench fault; every test that the bench cannot
serve is skipped with the instrument that lacks the feature, and every timing it cannot resolve is
inconclusive with the resolution it would need.  The counts are printed for the record."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tests.mutation.runner import BENCH_SUITES, run_suites

PROJECT_ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.benches

BENCHES = {
    "virtual-no-timers": "benches/virtual-no-timers.toml",
    "virtual-composite": "benches/virtual-composite.toml",
}
CANNOT_SERVE_ON_COMPOSITE = ("cp_control.diode_short", "cp_control.cp_pe_short", "cp_control.pe_open")


def reasons(alluredir: Path) -> Counter[str]:
    """Skip and inconclusive reasons from the run's verification summary."""
    summary = json.loads((alluredir / "verification-summary.json").read_text())
    counted: Counter[str] = Counter()
    for area in summary["areas"]:
        counted.update(area["reasons"])
    return counted


@pytest.mark.parametrize("name", BENCHES)
def test_bench_suites_are_green_on(name: str, tmp_path: Path) -> None:
    run = run_suites((BENCH_SUITES,), extra=("--bench", BENCHES[name]), alluredir=tmp_path)
    classes = Counter(case.verdict_class for case in run.cases)
    print(f"\n{name}: {dict(classes)} in {run.seconds:.0f} s")
    for reason, count in reasons(tmp_path).most_common():
        print(f"  {count:>3}  {reason}")
    assert run.run_problem is None, run.run_problem
    red = [(c.key, c.verdict_class) for c in run.red]
    assert not red, f"{name}: red on the correct charger: {red}\n{run.tail}"
    assert classes["passed"] > 0
    if name == "virtual-composite":
        skipped = " ".join(reasons(tmp_path))
        for feature in CANNOT_SERVE_ON_COMPOSITE:
            assert feature in skipped, f"nothing skipped for lack of {feature}: {skipped}"
    else:
        assert classes["skipped"] == 0, "the no-timers bench has every role: nothing may be skipped"
