"""The nightly run's memory: one history line per run, the flaky list, and the run's last line.

A lab CI runner runs the whole conformance suite every night (``pytest --profile nightly``).  A single
night says whether the charger and the bench were fine; the history says which tests cannot make up
their mind.  Each run appends one JSON line to ``reports/out/nightly/history.jsonl`` (``--nightly-history``):
when, which bench and firmware, and each test's outcome (fixtures.verification) and verdict class
(fixtures.verdicts).  A test is *flaky* when its verdict class changed across the last N runs on the same
bench (``--flaky-window``, default 7), the current run included: a product verdict that comes and goes
is a timing the charger only sometimes meets, or a test that depends on what ran before it; either way
nobody should act on one night's red or green for it.

Why the verdict class and not pytest's outcome: ``passed → bench`` (the analyzer dropped off the bus)
and ``passed → product`` (the charger answered wrong) are both "failed" to pytest, and a release
manager acts on them differently.  Deselected tests are not in a line (nothing was learned about them),
so a narrower night never makes the tests it left out look flaky.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA = 1
DEFAULT_WINDOW = 7
ABSENT = "-"
"""How a run in the window that did not run the test is shown in a flaky test's sequence."""


@dataclass(frozen=True)
class TestResult:
    """One test in one run: what the verification summary counted it as, and whose fault a red was."""

    outcome: str      # fixtures.verification.Outcome value: verified, ambiguous, failed, ...
    verdict: str      # fixtures.verdicts.VerdictClass value: passed, skipped, inconclusive, product, bench, harness


def utc_stamp(moment: datetime | None = None) -> str:
    """``2026-12-02T18:00:00.000Z``: the history's clock (UTC, ms), as the EOL record writes it."""
    moment = moment or datetime.now(UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def file_stamp(moment: datetime | None = None) -> str:
    """``20261202T180000Z``: a UTC stamp that sorts and is safe in a file name (the JUnit file)."""
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def history_entry(*, utc: str, bench: str, environment: Mapping[str, str], exit_code: int,
                  tests: Mapping[str, TestResult], settings: Mapping[str, Any]) -> dict[str, Any]:
    """One run's line.  ``environment`` is the report's (reports.allure_support): firmware and identity
    come from what the charger said, not from the profile, so a unit swapped overnight shows."""
    return {"schema": SCHEMA, "utc": utc, "bench": bench,
            "firmware": environment.get("charger.fw_version", ""),
            "serial": environment.get("charger.serial_number", ""),
            "board_revision": environment.get("charger.board_revision", ""),
            "defects": environment.get("virtual.defects", ""),
            "exit_code": int(exit_code), "settings": dict(settings),
            "tests": {nodeid: {"outcome": result.outcome, "verdict": result.verdict}
                      for nodeid, result in sorted(tests.items())}}


def append(path: Path, entry: Mapping[str, Any]) -> None:
    """Append one line and flush it to disk: a runner killed right after still has tonight in the history."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as stream:
        stream.write(json.dumps(entry, separators=(",", ":")) + "\n")
        stream.flush()
        os.fsync(stream.fileno())


def read(path: Path) -> list[dict[str, Any]]:
    """Every run in the history, oldest first.  A line cut short (a runner killed mid-write) or of another
    schema is passed over: one bad night must not make the history unreadable."""
    if not path.exists():
        return []
    runs: list[dict[str, Any]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(entry, dict) and entry.get("schema") == SCHEMA and isinstance(entry.get("tests"), dict):
            runs.append(entry)
    return runs


@dataclass(frozen=True)
class Flaky:
    """A test whose verdict changed inside the window: its verdict in each run of the window, oldest first."""

    test: str
    verdicts: tuple[str, ...]
    runs: tuple[str, ...]        # each run's UTC time, same order
    firmwares: tuple[str, ...]

    @property
    def changes(self) -> int:
        seen = [v for v in self.verdicts if v != ABSENT]
        return sum(1 for before, after in zip(seen, seen[1:]) if before != after)

    @property
    def sequence(self) -> str:
        return " → ".join(self.verdicts)


def window_of(runs: Iterable[Mapping[str, Any]], bench: str, window: int) -> list[Mapping[str, Any]]:
    """The last ``window`` runs on this bench, oldest first (another bench's skips are not a flip)."""
    same_bench = [run for run in runs if run.get("bench") == bench]
    return same_bench[-window:] if window > 0 else []


def flaky(runs: Iterable[Mapping[str, Any]], bench: str, window: int = DEFAULT_WINDOW) -> list[Flaky]:
    """Tests with more than one verdict class over the last ``window`` runs on ``bench``, most changes first."""
    recent = window_of(runs, bench, window)
    names = sorted({name for run in recent for name in run["tests"]})
    found: list[Flaky] = []
    for name in names:
        verdicts = tuple(run["tests"][name]["verdict"] if name in run["tests"] else ABSENT for run in recent)
        if len({v for v in verdicts if v != ABSENT}) > 1:
            found.append(Flaky(name, verdicts, tuple(run.get("utc", "") for run in recent),
                               tuple(str(run.get("firmware", "")) for run in recent)))
    return sorted(found, key=lambda f: (-f.changes, f.test))


def flaky_lines(found: list[Flaky], runs_in_window: int, window: int) -> list[str]:
    """The terminal section's lines."""
    head = f"{len(found)} flaky test(s) over the last {runs_in_window} nightly run(s) (window {window})"
    if not found:
        return [head + ": every test kept its verdict"]
    return [head + ": verdict per run, oldest first"] + [f"  {f.test}: {f.sequence}" for f in found]


def flaky_markdown(found: list[Flaky], runs_in_window: int, window: int, bench: str) -> str:
    """flaky.md, next to the Allure results and as the report's global attachment."""
    text = (f"# Flaky tests\n\nBench `{bench}`: the last {runs_in_window} nightly run(s) (window {window}, "
            "this run included). A test is listed when its verdict class (passed, skipped, inconclusive, "
            "product, bench, harness) changed between runs; `-` is a run that did not run it.\n\n")
    if not found:
        return text + "No flaky test: every test kept its verdict.\n"
    changed_firmware = {f for flake in found for f in flake.firmwares if f} - {found[0].firmwares[-1]}
    rows = ["| test | changes | verdict per run, oldest first |", "|---|---|---|"]
    rows += [f"| `{f.test}` | {f.changes} | {f.sequence} |" for f in found]
    text += "\n".join(rows) + "\n"
    if changed_firmware:
        text += (f"\nThe window spans other firmware ({', '.join(sorted(changed_firmware))}): a change at an "
                 "update is a regression or a fix, not flakiness; check the run times.\n")
    runs = found[0].runs
    return text + "\nRuns in the window: " + ", ".join(runs) + "\n"


EXIT_MEANINGS = {0: "verified", 1: "product failure", 2: "interrupted", 3: "bench fault", 4: "usage error",
                 5: "no tests collected", 7: "requirement not met"}


def final_line(exit_code: int, red: Iterable[str]) -> str:
    """The nightly run's last terminal line: what tonight's red means, for whoever reads the CI log first.

    Exit 1 is a product failure only if some red result was the charger's (a product verdict outranks a
    bench fault in the same run: fixtures.verification); red from harness errors alone is said so."""
    classes = set(red)
    meaning = EXIT_MEANINGS.get(int(exit_code), f"exit {exit_code}")
    if exit_code == 1 and "product" not in classes:
        meaning = "harness error (a bug in this project; no product verdict)"
    kinds = ", ".join(sorted(classes - {"passed", "skipped"}))
    return f"nightly: {meaning} (exit {exit_code}{'; red: ' + kinds if kinds else ''})"
