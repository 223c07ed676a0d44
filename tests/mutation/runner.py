"""Run the suites against the virtual charger started with one defect, and say what caught it.

A run first tries the suites the catalogue names for the defect, with ``-x`` so it stops at the
first failure; only a survivor costs a run of every suite.  A defect counts as killed only by a
test that *failed* (its assertions caught the charger out); a setup error, a launch failure or an
interrupted run is a harness problem and is reported as such, never as a kill.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from simulator.defects import CATALOGUE, Defect

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SUITES = "suites"
RUN_TIMEOUT_S = 900


# Exceptions that are the charger's fault wherever they surface: a setup error raised by one of them
# (e.g. the snapshot before a test got a reply without the request's id) is a kill, not a harness fault.
PRODUCT_VERDICTS = ("MalformedReply", "DeviceError", "AssertionError", "WaitTimeout", "RestoreError")


@dataclass(frozen=True)
class SuiteRun:
    """One pytest run of the suites: its exit code and what failed or errored."""

    paths: tuple[str, ...]
    exit_code: int
    failed: tuple[str, ...]
    errored: tuple[str, ...]
    verdict_errors: tuple[str, ...]
    passed: int
    skipped: int
    seconds: float
    tail: str

    @property
    def caught_by(self) -> tuple[str, ...]:
        """Tests whose failure, or whose fixture's product-verdict error, caught the charger out."""
        return self.failed + self.verdict_errors

    @property
    def harness_problem(self) -> str | None:
        if self.errored:
            return f"setup/teardown errors: {', '.join(self.errored[:3])}"
        if self.exit_code not in (0, 1):
            return f"pytest exit code {self.exit_code}: {self.tail[-600:]}"
        return None


@dataclass
class Verdict:
    defect: Defect
    runs: list[SuiteRun] = field(default_factory=list)

    @property
    def killed_by(self) -> tuple[str, ...]:
        for run in self.runs:
            if run.caught_by:
                return run.caught_by
        return ()

    @property
    def status(self) -> str:
        if self.killed_by:
            return "killed"
        problems = [run.harness_problem for run in self.runs if run.harness_problem]
        return f"harness problem: {problems[0]}" if problems else "SURVIVED"

    @property
    def seconds(self) -> float:
        return sum(run.seconds for run in self.runs)


def run_suites(paths: tuple[str, ...], *, defects: tuple[str, ...] = (), stop_first: bool = True,
               extra: tuple[str, ...] = (), alluredir: Path | None = None) -> SuiteRun:
    """One pytest run in a subprocess; its Allure results go to ``alluredir`` (kept) or a temp dir."""
    with tempfile.TemporaryDirectory(prefix="mutation-") as tmp:
        junit = Path(tmp) / "junit.xml"
        command = [sys.executable, "-m", "pytest", *paths, "-q", "-p", "no:cacheprovider",
                   f"--junitxml={junit}", f"--alluredir={alluredir or Path(tmp) / 'allure'}",
                   "-o", "timeout=120", *extra]
        if stop_first:
            command.append("-x")
        for defect in defects:
            command += ["--defect", defect]
        started = time.monotonic()
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        try:
            done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True,
                                  timeout=RUN_TIMEOUT_S, env=env)
            code, tail = done.returncode, (done.stdout + done.stderr)[-3000:]
        except subprocess.TimeoutExpired as exc:
            code, tail = -1, f"timed out after {RUN_TIMEOUT_S} s: {str(exc.stdout)[-1500:]}"
        failed, errored, verdicts, passed, skipped = _read_junit(junit)
        return SuiteRun(paths, code, failed, errored, verdicts, passed, skipped, time.monotonic() - started, tail)


def _read_junit(path: Path) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], int, int]:
    if not path.exists():
        return (), (), (), 0, 0
    failed, errored, verdicts, passed, skipped = [], [], [], 0, 0
    for case in ET.parse(path).getroot().iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        error = case.find("error")
        if case.find("failure") is not None:
            failed.append(name)
        elif error is not None:
            text = f"{error.get('message', '')} {error.text or ''}"
            (verdicts if any(v in text for v in PRODUCT_VERDICTS) else errored).append(f"{name} (in a fixture)")
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
    return tuple(failed), tuple(errored), tuple(verdicts), passed, skipped


def hunt(defect: Defect) -> Verdict:
    """Try the suites the catalogue names first; a survivor is hunted by every suite."""
    verdict = Verdict(defect)
    hinted = tuple(p for p in defect.suites if (PROJECT_ROOT / p).exists())
    if hinted:
        verdict.runs.append(run_suites(hinted, defects=(defect.name,)))
    if not verdict.killed_by:
        verdict.runs.append(run_suites((SUITES,), defects=(defect.name,)))
    return verdict


def hunt_all(names: list[str] | None = None, workers: int = 2) -> list[Verdict]:
    defects = [CATALOGUE[n] for n in (names or sorted(CATALOGUE))]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(hunt, defects))


def kill_table(verdicts: list[Verdict]) -> str:
    killed = sum(1 for v in verdicts if v.status == "killed")
    lines = [f"Mutation test: {killed}/{len(verdicts)} defects killed "
             f"({100.0 * killed / max(1, len(verdicts)):.1f} %)", "",
             "| defect | area | verdict | caught by (first failing test) | s |", "|---|---|---|---|---|"]
    for v in verdicts:
        caught = v.killed_by[0] if v.killed_by else "-"
        lines.append(f"| {v.defect.name} | {v.defect.area} | {v.status} | {caught} | {v.seconds:.1f} |")
    return "\n".join(lines)
