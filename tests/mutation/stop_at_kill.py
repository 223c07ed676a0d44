"""pytest plugin of a hunt: stop at the first result that kills the defect, and only at that.

A kill is a test that passed on the correct charger (the baseline, given as a file of JUnit case
keys in ``$MUTATION_BASELINE``) and now ends with the verdict class ``product`` (the JUnit property
``verdict_class`` that fixtures/verdicts.py puts on every test case).  A bench fault, a timeout, a
fixture crash or a harness error is not a kill, so it does not end the hunt the way ``-x`` would;
after ``MAX_NON_VERDICTS`` of them the run stops anyway (the bench, not the defect, is broken).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

BASELINE_ENV = "MUTATION_BASELINE"
MAX_NON_VERDICTS = 25
_state: dict[str, object] = {}


def case_key(classname: str, name: str) -> str:
    """A test case as JUnit names it (what both the baseline and the hunt read)."""
    return f"{classname}::{name}"


def key_of_nodeid(nodeid: str) -> str:
    """The JUnit case key pytest's junitxml writes for ``nodeid`` (its own mangling, reused)."""
    from _pytest.junitxml import mangle_test_address

    names = mangle_test_address(nodeid)
    return case_key(".".join(names[:-1]), names[-1])


def pytest_configure(config: pytest.Config) -> None:
    path = os.environ.get(BASELINE_ENV)
    _state["baseline"] = frozenset(Path(path).read_text().split("\n")) - {""} if path else frozenset()
    _state["non_verdicts"] = 0


def pytest_sessionstart(session: pytest.Session) -> None:
    _state["session"] = session


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "teardown":  # the JUnit property is written from the teardown report
        return
    verdict = dict(report.user_properties).get("verdict_class")
    if verdict in (None, "passed", "skipped"):
        return
    session = _state.get("session")
    if not isinstance(session, pytest.Session):
        return
    if verdict == "product" and key_of_nodeid(report.nodeid) in _state["baseline"]:  # type: ignore[operator]
        session.shouldfail = f"defect killed by {report.nodeid}"
        return
    _state["non_verdicts"] = int(_state["non_verdicts"]) + 1  # type: ignore[call-overload]
    if int(_state["non_verdicts"]) >= MAX_NON_VERDICTS:  # type: ignore[call-overload]
        session.shouldfail = f"{MAX_NON_VERDICTS} red results that are not kills: the hunt stops"
