"""Run the suites against the virtual charger started with one defect, and say which test caught it.

The kill rule: a defect is killed only by a test that *passed* on the correct charger (the baseline
run) and ends on the defective one with the verdict class ``product`` -- an assertion about the
charger or an error code it answered -- read from the JUnit property ``verdict_class`` that
fixtures/verdicts.py writes on every test case, never guessed from exception names.  A bench fault,
a timeout, a fixture crash or a harness error kills nothing: a defect caught only by those is a
survivor, or a harness problem when the run itself went wrong, and the table says which.

A hunt first runs the suites the catalogue names for the defect, with the plugin
:mod:`tests.mutation.stop_at_kill` (it stops at the first kill, as ``-x`` would, but runs on past
red results that are not kills); only a survivor costs a run of every suite.
"""
from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.defects import CATALOGUE, Defect
from tests.mutation.stop_at_kill import BASELINE_ENV, case_key

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SUITES = "suites"
BENCH_SUITES = "suites/bench"
RUN_TIMEOUT_S = 900
SESSION_ENV = dict(os.environ)
"""The environment as the session began.  A run started in a worker thread must not inherit what the main
thread's test has patched meanwhile: a pytester test sets ``PYTEST_DISABLE_PLUGIN_AUTOLOAD`` and ``HOME``
for its own runs, and a suite run started then would lose its plugins (seen: a usage error, exit 4)."""
RED = ("product", "bench", "harness")


@dataclass(frozen=True)
class CaseResult:
    """One JUnit test case: its key (classname::name) and the verdict class fixtures/verdicts.py gave it."""

    key: str
    verdict_class: str   # passed | skipped | product | bench | harness ("harness" if the property is missing)
    outcome: str         # passed | skipped | failure | error (JUnit's element)


@dataclass(frozen=True)
class SuiteRun:
    """One pytest run of the suites: its exit code and the verdict class of every test case."""

    paths: tuple[str, ...]
    exit_code: int
    cases: tuple[CaseResult, ...]
    seconds: float
    tail: str
    options: tuple[str, ...] = ()

    @property
    def passed(self) -> int:
        return sum(1 for c in self.cases if c.verdict_class == "passed")

    @property
    def skipped(self) -> int:
        return sum(1 for c in self.cases if c.verdict_class == "skipped")

    @property
    def red(self) -> tuple[CaseResult, ...]:
        return tuple(c for c in self.cases if c.verdict_class in RED or c.outcome in ("failure", "error"))

    @property
    def passing(self) -> frozenset[str]:
        return frozenset(c.key for c in self.cases if c.verdict_class == "passed")

    def verdict_of(self, key: str) -> str | None:
        return next((c.verdict_class for c in self.cases if c.key == key), None)

    def kills(self, baseline: frozenset[str]) -> tuple[str, ...]:
        """Tests that passed on the baseline and end here with a product verdict."""
        return tuple(c.key for c in self.cases if c.verdict_class == "product" and c.key in baseline)

    def non_kills(self, baseline: frozenset[str]) -> tuple[CaseResult, ...]:
        """Red results that kill nothing: bench faults, harness errors, or tests red on the baseline too."""
        kills = set(self.kills(baseline))
        return tuple(c for c in self.red if c.key not in kills)

    @property
    def run_problem(self) -> str | None:
        """What went wrong with the run itself (not with a test): pytest's usage/internal/interrupt codes.
        3 (only bench faults) and 7 (a requirement not met) are verdicts the cases explain."""
        if self.exit_code in (0, 1, 3, 5, 7) and self.cases:
            return None
        return f"pytest exit code {self.exit_code}: {self.tail[-600:]}"


@dataclass
class Verdict:
    defect: Defect
    baseline: frozenset[str]
    runs: list[SuiteRun] = field(default_factory=list)

    @property
    def killed_by(self) -> tuple[str, ...]:
        for run in self.runs:
            if run.kills(self.baseline):
                return run.kills(self.baseline)
        return ()

    @property
    def non_kills(self) -> tuple[CaseResult, ...]:
        return tuple(c for run in self.runs for c in run.non_kills(self.baseline))

    @property
    def status(self) -> str:
        """killed | SURVIVED | harness problem: what went wrong (never counted as a kill)."""
        if self.killed_by:
            return "killed"
        problems = [run.run_problem for run in self.runs if run.run_problem]
        if problems:
            return f"harness problem: {problems[0]}"
        classes = sorted({c.verdict_class for c in self.non_kills if c.verdict_class in ("bench", "harness")})
        if classes:
            first = next(c for c in self.non_kills if c.verdict_class in ("bench", "harness"))
            return f"harness problem: only {'/'.join(classes)} results, first {first.key} ({first.verdict_class})"
        return "SURVIVED"

    @property
    def seconds(self) -> float:
        return sum(run.seconds for run in self.runs)


def run_suites(paths: tuple[str, ...], *, defects: tuple[str, ...] = (), baseline: frozenset[str] | None = None,
               extra: tuple[str, ...] = (), alluredir: Path | None = None) -> SuiteRun:
    """One pytest run in a subprocess.  With ``baseline`` it is a hunt: it stops at the first kill
    (see :mod:`tests.mutation.stop_at_kill`); without, every test runs.  Allure results go to
    ``alluredir`` (kept) or a temporary directory, with no plots (``--no-plots``): these runs are read for
    their verdicts, and drawing costs a fifth of a bench-suite run's CPU."""
    with tempfile.TemporaryDirectory(prefix="mutation-") as tmp:
        junit = Path(tmp) / "junit.xml"
        command = [sys.executable, "-m", "pytest", *paths, "-q", "-p", "no:cacheprovider",
                   f"--junitxml={junit}", f"--alluredir={alluredir or Path(tmp) / 'allure'}",
                   "-o", "timeout=120", "--no-plots", *extra]
        env = {**SESSION_ENV, "PYTHONDONTWRITEBYTECODE": "1"}
        if baseline is not None:
            listed = Path(tmp) / "baseline-passing.txt"
            listed.write_text("\n".join(sorted(baseline)) + "\n")
            env[BASELINE_ENV] = str(listed)
            command += ["-p", "tests.mutation.stop_at_kill"]
        for defect in defects:
            command += ["--defect", defect]
        started = time.monotonic()
        try:
            done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True,
                                  timeout=RUN_TIMEOUT_S, env=env)
            code, tail = done.returncode, (done.stdout + done.stderr)[-3000:]
        except subprocess.TimeoutExpired as exc:
            code, tail = -1, f"timed out after {RUN_TIMEOUT_S} s: {str(exc.stdout)[-1500:]}"
        return SuiteRun(paths, code, read_junit(junit), time.monotonic() - started, tail, tuple(extra))


def selected_params(request: Any, test_name: str, param: str) -> set[Any]:
    """The values of ``param`` among the session's selected items of ``test_name``: a fixture that runs
    every case's subprocess up front (side by side) runs only those a ``-k`` or node id kept."""
    return selected_in_session(request.session, test_name, param)


def selected_in_session(session: Any, test_name: str, param: str) -> set[Any]:
    """:func:`selected_params` from the session itself (a run started ahead: tests/ahead.py)."""
    return {item.callspec.params[param] for item in session.items
            if getattr(item, "originalname", None) == test_name and hasattr(item, "callspec")}


def read_junit(path: Path) -> tuple[CaseResult, ...]:
    """Every test case with its ``verdict_class`` property (fixtures/verdicts.py)."""
    if not path.exists():
        return ()
    cases = []
    for case in ET.parse(path).getroot().iter("testcase"):
        properties = {p.get("name"): p.get("value") for p in case.iter("property")}
        outcome = next((tag for tag in ("failure", "error", "skipped") if case.find(tag) is not None), "passed")
        # No property: the case never reached its teardown report (e.g. a collection error).
        verdict = properties.get("verdict_class") or ("passed" if outcome == "passed" else "harness")
        cases.append(CaseResult(case_key(case.get("classname", ""), case.get("name", "")), verdict, outcome))
    return tuple(cases)


def baseline_run(alluredir: Path | None = None, extra: tuple[str, ...] = ()) -> SuiteRun:
    """Every suite, once, against the correct virtual charger: the tests that may kill (an inconclusive
    one measured again where the bench resolves it, so a loaded host does not shrink the baseline)."""
    return resolved(run_suites((SUITES,), alluredir=alluredir, extra=extra), extra)


def near_limit_run() -> SuiteRun:
    """The bench suites against a correct charger whose timing, PWM and meter sit just inside every limit.

    A test the bench could not resolve (inconclusive: a margin of a few ms against the polling
    uncertainty of a loaded CI host at time scale 20) is measured again where the bench resolves it
    (:data:`RESOLVING_SCALES`): just inside must *pass*, and only a finer measurement can show it."""
    run = run_suites((BENCH_SUITES,), extra=("--near-limit",))
    return resolved(run, ("--near-limit",))


RESOLVING_SCALE = "5"
"""The time scale at which an inconclusive timing is measured again (a quarter of the CI scale's uncertainty)."""
RESOLVING_SCALES = (RESOLVING_SCALE, "1")
"""Where the near-limit run measures a still inconclusive timing: time scale 5, then the charger's own time.  A
margin of a few device ms needs a wall uncertainty of a fifth of that at scale 5, which a loaded 2-core host
(the whole-suite runs beside it) does not always give; at scale 1 the bench is as fine as it can be."""


def nodeid_of(key: str) -> str:
    """``suites.bench.test_states::test_x[C-B]`` (a JUnit case key) → ``suites/bench/test_states.py::test_x[C-B]``."""
    module, _, name = key.partition("::")
    return module.replace(".", "/") + ".py::" + name


def resolved(run: SuiteRun, extra: tuple[str, ...]) -> SuiteRun:
    """``run`` with its inconclusive tests run again at each of :data:`RESOLVING_SCALES` in turn, while any stays
    inconclusive (their new verdicts replace the old)."""
    for scale in RESOLVING_SCALES:
        unresolved = [c.key for c in run.cases if c.verdict_class == "inconclusive"]
        if not unresolved:
            return run
        again = run_suites(tuple(nodeid_of(k) for k in unresolved), extra=(*extra, "--time-scale", scale))
        finer = {c.key: c for c in again.cases}
        cases = tuple(finer.get(c.key, c) for c in run.cases)
        code = run.exit_code if run.exit_code != 0 else again.exit_code
        run = SuiteRun(run.paths, code, cases, run.seconds + again.seconds,
                       run.tail + f"\n[{len(unresolved)} inconclusive measured again at --time-scale {scale}]\n"
                       + again.tail[-1500:], run.options)
    return run


# Limits the bench suites time by polling the charger or the CP line, whose boundary defects sit
# 0.1 s outside: at the CI time scale 20 the bench's polling uncertainty (tens of device ms under
# load) may not resolve that margin, and an unresolved timing is inconclusive, not a kill.  Those
# hunts run where the bench resolves it (time scale 5: a quarter of the device-time uncertainty).
RESOLVING_TIME_SCALE: dict[str, float] = {"state_f_min_s": 5.0, "pause_open_min_s": 5.0, "pause_open_max_s": 5.0}


def hunt(defect: Defect, baseline: frozenset[str]) -> Verdict:
    """Try the suites the catalogue names first; a survivor is hunted by every suite."""
    verdict = Verdict(defect, baseline)
    scale = RESOLVING_TIME_SCALE.get(defect.limit or "")
    extra = ("--time-scale", str(scale)) if scale else ()
    hinted = tuple(p for p in defect.suites if (PROJECT_ROOT / p).exists())
    if hinted:
        verdict.runs.append(run_suites(hinted, defects=(defect.name,), baseline=baseline, extra=extra))
    if not verdict.killed_by:
        verdict.runs.append(run_suites((SUITES,), defects=(defect.name,), baseline=baseline, extra=extra))
    unresolved = {c.key for run in verdict.runs for c in run.cases if c.verdict_class == "inconclusive"}
    if not verdict.killed_by and unresolved and not scale:  # measured where the bench resolves the margin
        verdict.runs.append(run_suites(tuple(sorted(nodeid_of(k) for k in unresolved)), defects=(defect.name,),
                                       baseline=baseline, extra=("--time-scale", RESOLVING_SCALE)))
    return verdict


def hunt_all(baseline: frozenset[str], names: list[str] | None = None, workers: int = 2,
             sharing_with: Future[Any] | None = None) -> list[Verdict]:
    """Hunt each defect, ``workers`` at a time.  While ``sharing_with`` (the near-limit run) is still going,
    one worker's slot is its own: the hunts start as soon as the baseline is known, without ever putting
    more than ``workers`` whole-suite runs on the host (three at once on 2 cores are past what the
    near-limit charger's waits allow)."""
    defects = [CATALOGUE[n] for n in (names or sorted(CATALOGUE))]
    slots = threading.Semaphore(workers)
    if sharing_with is not None:
        slots.acquire()
        sharing_with.add_done_callback(lambda _: slots.release())  # at once if it is already done

    def hunt_in_a_slot(defect: Defect) -> Verdict:
        with slots:
            return hunt(defect, baseline)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(hunt_in_a_slot, defects))


def sample(size: int, seed: int, *, always: tuple[str, ...] = (), pool: tuple[str, ...] | None = None) -> list[str]:
    """A fixed, seeded sample of ``pool`` (default the catalogue), plus ``always``; the same seed gives the same
    sample."""
    rest = sorted(set(CATALOGUE if pool is None else pool) - set(always))
    picked = random.Random(seed).sample(rest, max(0, min(len(rest), size - len(always))))
    return sorted({*always, *picked})


def kill_table(verdicts: list[Verdict]) -> str:
    killed = sum(1 for v in verdicts if v.status == "killed")
    harness = sum(1 for v in verdicts if v.status.startswith("harness problem"))
    survived = len(verdicts) - killed - harness
    lines = [f"Mutation test: {killed}/{len(verdicts)} defects killed "
             f"({100.0 * killed / max(1, len(verdicts)):.1f} %), {survived} survived, {harness} harness problems "
             "(a kill: a test that passed on the correct charger ends with a product verdict)", "",
             "| defect | area | verdict | killed by (first test with a product verdict) | red but not kills | s |",
             "|---|---|---|---|---|---|"]
    for v in verdicts:
        caught = v.killed_by[0] if v.killed_by else "-"
        others = v.non_kills
        noted = f"{len(others)} ({', '.join(sorted({c.verdict_class for c in others}))})" if others else "-"
        lines.append(f"| {v.defect.name} | {v.defect.area} | {v.status} | {caught} | {noted} | {v.seconds:.1f} |")
    return "\n".join(lines)
