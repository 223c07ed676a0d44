"""The mutation test: each catalogued defect makes the suites fail; the correct charger passes.

One run of the suites against the correct virtual charger proves the baseline is green; then every
defect in the catalogue is hunted (in parallel, ``-x``).  Each defect is its own test case so the
report shows which one survived.  The kill table is printed and written to reports/out/.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from simulator.defects import CATALOGUE
from tests.mutation.runner import PROJECT_ROOT, SuiteRun, Verdict, hunt_all, kill_table

pytestmark = pytest.mark.mutation


@pytest.fixture(scope="module")
def verdicts() -> dict[str, Verdict]:
    results = hunt_all()
    table = kill_table(results)
    out = PROJECT_ROOT / "reports" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "kill-table.md").write_text(table + "\n")
    print("\n" + table)
    return {v.defect.name: v for v in results}


def test_suites_pass_on_the_correct_charger(correct_charger_run: tuple[SuiteRun, Path]) -> None:
    run, _ = correct_charger_run
    print(f"\ncorrect virtual charger: {run.passed} passed, {run.skipped} skipped in {run.seconds:.0f} s")
    assert run.exit_code == 0 and not run.failed and not run.errored, (
        f"the correct virtual charger must pass every suite; failed: {run.failed[:5]}, "
        f"errored: {run.errored[:5]}\n{run.tail}")
    assert run.passed > 0


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_defect_is_killed(name: str, verdicts: dict[str, Verdict]) -> None:
    verdict = verdicts[name]
    assert verdict.status == "killed", (
        f"defect {name} ({verdict.defect.summary}) {verdict.status}; runs: "
        + "; ".join(f"{r.paths} exit {r.exit_code} passed {r.passed}" for r in verdict.runs))
