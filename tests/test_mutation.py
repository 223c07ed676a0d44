"""The mutation test: each catalogued defect is killed by a product verdict; the correct charger passes.

One run of every suite against the correct virtual charger proves the baseline green and names the
tests that may kill (those that passed there).  Then each defect is hunted (in parallel, stopping at
the first kill: :mod:`tests.mutation.stop_at_kill`).  A defect caught only by a bench fault, a
timeout, a fixture crash or a harness error is not killed.  Each defect is its own test case, so the
report shows which one survived; the kill table is printed and written to reports/out/kill-table.md.

Boundary pairs: the defects just outside a limit must be killed, and the correct charger started
just inside every limit (``--near-limit``) must pass the bench suites, the killing test included;
the pair table is printed and written to reports/out/boundary-pairs.md.

CI runs a fixed, seeded sample of the catalogue (``BOUNDARY_SAMPLE`` boundary defects and ``OTHERS_SAMPLE``
others: printed); ``MUTATION_ALL=1`` (``make mutation``) hunts the whole catalogue.
"""
from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from simulator.defects import CATALOGUE, Defect
from tests.mutation.boundary import BoundaryPair, boundary_pairs, boundary_table
from tests.conftest import CorrectChargerRuns
from tests.mutation import runner
from tests.mutation.runner import (
    PROJECT_ROOT,
    CaseResult,
    SuiteRun,
    Verdict,
    hunt_all,
    kill_table,
    read_junit,
    sample,
)
from tests.mutation.stop_at_kill import BASELINE_ENV, key_of_nodeid

mutation = pytest.mark.mutation
# A hang guard for the module's runs (the baseline, the hunts, the near-limit run: each a whole suite run in a
# subprocess with its own deadlines), paid by the first test that uses them; pytest.ini's 300 s is per test.
pytestmark = pytest.mark.timeout(1800)

SAMPLE_SEED = 6
BOUNDARY = tuple(sorted(name for name, d in CATALOGUE.items() if d.limit is not None))
BOUNDARY_SAMPLE = 10  # of the 27 boundary defects (CI's 15 min budget); the whole catalogue: `make mutation`
OTHERS_SAMPLE = 2     # of the ~120 others


def selected() -> list[str]:
    """A fixed, seeded sample: boundary defects (a just-outside defect must be caught: the harder half of the
    mutation test) and a few others; ``MUTATION_ALL=1`` or ``make mutation`` hunts the whole catalogue."""
    if os.environ.get("MUTATION_ALL") == "1":
        return sorted(CATALOGUE)
    others = tuple(sorted(set(CATALOGUE) - set(BOUNDARY)))
    return sorted({*sample(BOUNDARY_SAMPLE, SAMPLE_SEED, always=(), pool=BOUNDARY),
                   *sample(OTHERS_SAMPLE, SAMPLE_SEED, always=(), pool=others)})


def _write(name: str, text: str) -> None:
    out = PROJECT_ROOT / "reports" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / name).write_text(text + "\n")
    print("\n" + text)


@pytest.fixture(scope="module")
def verdicts(correct_charger_run: tuple[SuiteRun, Path], correct_charger_runs: CorrectChargerRuns) -> dict[str, Verdict]:
    # The hunts start once the baseline is known, one at a time while the near-limit run still goes (three
    # whole-suite runs at once load a 2-core host past what the near-limit charger's waits allow), then two.
    run, _ = correct_charger_run
    names = selected()
    scope = ("the whole catalogue" if len(names) == len(CATALOGUE) else
             f"a fixed sample (seed {SAMPLE_SEED}: {BOUNDARY_SAMPLE} of {len(BOUNDARY)} boundary defects + "
             f"{OTHERS_SAMPLE} others) "
             f"of {len(CATALOGUE)}; all: MUTATION_ALL=1 / make mutation")
    results = hunt_all(run.passing, names, sharing_with=correct_charger_runs.near_limit)
    _write("kill-table.md", f"{len(names)} defects hunted, {scope}: {', '.join(names)}\n\n{kill_table(results)}")
    return {v.defect.name: v for v in results}


@mutation
def test_suites_pass_on_the_correct_charger(correct_charger_run: tuple[SuiteRun, Path]) -> None:
    run, _ = correct_charger_run
    print(f"\ncorrect virtual charger: {run.passed} passed, {run.skipped} skipped in {run.seconds:.0f} s")
    assert run.exit_code == 0 and not run.red, (
        f"the correct virtual charger must pass every suite; red: "
        f"{[(c.key, c.verdict_class) for c in run.red[:5]]}\n{run.tail}")
    assert run.passed > 0


@mutation
@pytest.mark.parametrize("name", selected())
def test_defect_is_killed(name: str, verdicts: dict[str, Verdict]) -> None:
    verdict = verdicts[name]
    assert verdict.status == "killed", (
        f"defect {name} ({verdict.defect.summary}) {verdict.status}; red results that kill nothing: "
        f"{[(c.key, c.verdict_class) for c in verdict.non_kills[:5]]}; runs: "
        + "; ".join(f"{r.paths} exit {r.exit_code} passed {r.passed}" for r in verdict.runs))


@mutation
def test_correct_charger_just_inside_every_limit_passes(near_limit_charger_run: SuiteRun) -> None:
    run = near_limit_charger_run
    assert run.exit_code == 0 and not run.red and run.passed > 0, (
        f"the correct charger just inside every limit (--near-limit) must pass the bench suites; red: "
        f"{[(c.key, c.verdict_class) for c in run.red[:5]]}\n{run.tail}")


@mutation
def test_boundary_pairs_hold(verdicts: dict[str, Verdict], near_limit_charger_run: SuiteRun) -> None:
    pairs = boundary_pairs(list(verdicts.values()), near_limit_charger_run)
    _write("boundary-pairs.md", boundary_table(pairs, near_limit_charger_run))
    broken = [p for p in pairs if not p.holds]
    assert not broken, "boundary pairs that do not hold (outside not killed, or the same test not passing "\
        "just inside): " + "; ".join(f"{p.limit}: {p.defect} {p.outside_status}, inside {p.inside}" for p in broken)


# --- the kill rule itself, on scripted results (fast: no charger) -----------------------------------
DEFECT = Defect("some_defect", "states", "a scripted defect", ("suites/bench",), limit="contactor_close_s")


def _run(*cases: tuple[str, str], code: int = 1) -> SuiteRun:
    outcome = {"passed": "passed", "skipped": "skipped"}
    return SuiteRun(("suites",), code, tuple(CaseResult(k, v, outcome.get(v, "failure")) for k, v in cases), 1.0, "")


def test_only_a_product_verdict_of_a_test_green_on_the_correct_charger_kills() -> None:
    baseline = frozenset({"m::a", "m::b", "m::c"})
    verdict = Verdict(DEFECT, baseline, [_run(("m::a", "bench"), ("m::b", "harness"), ("m::x", "product"),
                                              ("m::c", "product"))])
    assert verdict.status == "killed" and verdict.killed_by == ("m::c",)
    assert {c.key for c in verdict.non_kills} == {"m::a", "m::b", "m::x"}


def test_a_defect_caught_only_by_bench_faults_or_harness_errors_is_not_killed() -> None:
    baseline = frozenset({"m::a", "m::b"})
    verdict = Verdict(DEFECT, baseline, [_run(("m::a", "bench"), ("m::b", "harness"))])
    assert verdict.status.startswith("harness problem") and "m::a" in verdict.status and not verdict.killed_by


def test_a_product_verdict_of_a_test_not_green_on_the_correct_charger_is_a_survivor() -> None:
    verdict = Verdict(DEFECT, frozenset({"m::a"}), [_run(("m::a", "passed"), ("m::skipped_there", "product"))])
    assert verdict.status == "SURVIVED"


def test_the_junit_verdict_class_property_is_what_is_read(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    junit.write_text(textwrap.dedent("""\
        <testsuites><testsuite>
          <testcase classname="suites.bench.test_states" name="test_a">
            <properties><property name="verdict_class" value="bench"/></properties>
            <failure message="AssertionError: looks like an assertion">AssertionError</failure></testcase>
          <testcase classname="suites.bench.test_states" name="test_b">
            <properties><property name="verdict_class" value="product"/></properties>
            <error message="RuntimeError in a fixture">RuntimeError</error></testcase>
          <testcase classname="suites.bench.test_states" name="test_c">
            <properties><property name="verdict_class" value="passed"/></properties></testcase>
        </testsuite></testsuites>"""))
    cases = {c.key: c.verdict_class for c in read_junit(junit)}
    assert cases == {"suites.bench.test_states::test_a": "bench", "suites.bench.test_states::test_b": "product",
                     "suites.bench.test_states::test_c": "passed"}


def test_a_hunt_runs_past_red_results_that_are_not_kills_and_stops_at_the_first_kill(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makeconftest(f"import sys\nsys.path.insert(0, {str(PROJECT_ROOT)!r})\n"
                          "pytest_plugins = ['fixtures.verdicts']\n")
    pytester.makepyfile(test_hunt=textwrap.dedent("""
        import pytest
        from instruments.errors import BenchFault

        @pytest.fixture
        def crashing():
            raise RuntimeError("a fixture crash")

        def test_1_harness(crashing):
            pass

        def test_2_bench():
            raise BenchFault("the analyzer does not answer")

        def test_3_red_on_the_correct_charger_too():
            assert False

        def test_4_kills():
            assert False, "the charger got it wrong"

        def test_5_never_runs():
            pass
    """))
    baseline = pytester.path / "baseline.txt"
    baseline.write_text("\n".join(key_of_nodeid(f"test_hunt.py::{n}") for n in
                                  ("test_1_harness", "test_2_bench", "test_4_kills", "test_5_never_runs")))
    monkeypatch.setenv(BASELINE_ENV, str(baseline))
    monkeypatch.setenv("PYTHONPATH", str(PROJECT_ROOT))  # -p loads the plugin before any conftest
    junit = pytester.path / "junit.xml"
    result = pytester.runpytest_subprocess("-p", "tests.mutation.stop_at_kill", f"--junitxml={junit}",
                                           "-p", "no:cacheprovider")
    assert result.ret == 1
    cases = {c.key.split("::")[-1]: c.verdict_class for c in read_junit(junit)}
    assert cases == {"test_1_harness": "harness", "test_2_bench": "bench",
                     "test_3_red_on_the_correct_charger_too": "product", "test_4_kills": "product"}
    verdict = Verdict(DEFECT, frozenset(baseline.read_text().split("\n")),
                      [SuiteRun(("x",), result.ret, read_junit(junit), 1.0, "")])
    assert verdict.status == "killed" and verdict.killed_by[0].endswith("test_4_kills")


def test_a_boundary_pair_holds_only_when_the_killing_test_passes_just_inside() -> None:
    killed = Verdict(DEFECT, frozenset({"m::t"}), [_run(("m::t", "product"))])
    inside_green = _run(("m::t", "passed"), code=0)
    inside_red = _run(("m::t", "product"))
    assert boundary_pairs([killed], inside_green) == [BoundaryPair("contactor_close_s", "some_defect", "m::t",
                                                                   "killed", "passed")]
    assert boundary_pairs([killed], inside_green)[0].holds
    assert not boundary_pairs([killed], inside_red)[0].holds
    survived = Verdict(DEFECT, frozenset({"m::t"}), [_run(("m::t", "passed"), code=0)])
    assert not boundary_pairs([survived], inside_green)[0].holds
    table = boundary_table(boundary_pairs([killed], inside_green), inside_green)
    assert "| contactor_close_s = 3.0 s | some_defect | m::t | passed |" in table


def test_the_ci_sample_is_fixed_by_its_seed_and_is_mostly_boundary_defects() -> None:
    assert selected() == selected()
    chosen = set(selected())
    assert len(chosen & set(BOUNDARY)) == BOUNDARY_SAMPLE and len(chosen - set(BOUNDARY)) == OTHERS_SAMPLE

def test_a_timing_still_inconclusive_at_scale_5_is_measured_again_in_the_chargers_own_time(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A loaded host may leave a near-limit margin unresolved at time scale 5 too: scale 1 then decides it."""
    key = "suites.bench.test_cp_faults::test_cp_fault[diode_short]"
    asked: list[tuple[str, ...]] = []

    def fake_run_suites(paths: tuple[str, ...], extra: tuple[str, ...] = (), **_: object) -> runner.SuiteRun:
        asked.append(extra)
        verdict = "passed" if extra[-1] == "1" else "inconclusive"
        return runner.SuiteRun(paths, 0, (runner.CaseResult(key, verdict, "passed"),), 1.0, "")

    monkeypatch.setattr(runner, "run_suites", fake_run_suites)
    first = runner.SuiteRun(("suites/bench",), 0, (runner.CaseResult(key, "inconclusive", "skipped"),), 1.0, "")
    final = runner.resolved(first, ("--near-limit",))
    assert asked == [("--near-limit", "--time-scale", "5"), ("--near-limit", "--time-scale", "1")]
    assert [c.verdict_class for c in final.cases] == ["passed"]
    assert "measured again at --time-scale 5" in final.tail and "measured again at --time-scale 1" in final.tail


def test_hunts_take_one_slot_while_the_near_limit_run_goes_and_two_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never more than two whole-suite runs at once: while the near-limit run holds a slot, one hunt at a time."""
    import threading
    import time
    from concurrent.futures import Future

    near_limit: Future[runner.SuiteRun] = Future()
    lock = threading.Lock()
    running, peaks = [0], []

    def fake_hunt(defect: Defect, baseline: frozenset[str]) -> runner.Verdict:
        with lock:
            running[0] += 1
            peaks.append((near_limit.done(), running[0]))
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return runner.Verdict(defect, baseline)

    monkeypatch.setattr(runner, "hunt", fake_hunt)
    finisher = threading.Timer(0.3, near_limit.set_result, args=(None,))
    finisher.start()
    try:
        verdicts = runner.hunt_all(frozenset(), sorted(CATALOGUE)[:16], workers=2, sharing_with=near_limit)
    finally:
        finisher.cancel()
    assert len(verdicts) == 16
    assert max(n for done, n in peaks if not done) == 1, peaks
    assert max(n for done, n in peaks if done) == 2, peaks
