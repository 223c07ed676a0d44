"""Running the EOL steps in order: each one timed, judged and recorded, the line stopped at the first failure.

A step is a coroutine on the :class:`Line` (the rig, the order, what earlier steps learned).  Its
verdict comes from what it raised, classified as every test's is (fixtures/verdicts.py):

* PASS: it returned, and left no timing unresolved;
* FAIL: a product verdict (an assertion about the unit, a measurement out of limits, an RPC error the
  unit answered): the sequence stops, the rest is SKIPPED (the unit goes to repair; a production line
  does not spend takt time on a unit already failed);
* ERROR: a bench fault, a harness error, a role the bench lacks, or a timing the bench could not resolve
  (inconclusive: never passed).  A fault stops the sequence; an unresolved timing does not (the other
  steps may still fail the unit), but the unit cannot pass.

The test then raises what the first red step raised, so pytest's own verdict class (product, bench,
inconclusive) and exit code agree with the unit record.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from fixtures.eol import EolRun, measurement_mark, step_measurements
from fixtures.verdicts import VerdictClass, classify
from rig import Rig
from rig.measurement import Inconclusive
from station.order import ProductionOrder


class StepFailure(AssertionError):
    """A check that is not a :class:`rig.measurement.Measurement` (an identity, a configuration value)
    failed: the unit record names it as the failing measurement, with its value and the expectation."""

    def __init__(self, check: str, value: Any, expected: str, message: str) -> None:
        super().__init__(message)
        self.failed = {"measurement": check, "value": value, "unit": "", "limits": expected}


@dataclass
class Line:
    """The unit on the station: the rig, its production order, and what the steps learn on the way."""

    rig: Rig
    order: ProductionOrder
    run: EolRun
    learned: dict[str, Any] = field(default_factory=dict)
    started_device_s: float = 0.0


@dataclass(frozen=True)
class Step:
    name: str
    title: str
    action: Callable[[Line], Awaitable[None]]


CAUGHT = (Exception, pytest.fail.Exception, pytest.skip.Exception)
"""What a step may raise and still be recorded (pytest's outcomes are BaseExceptions; Ctrl-C is not caught)."""


def _verdict(error: BaseException) -> tuple[str, bool]:
    """(the step's verdict, whether the sequence goes on)."""
    if isinstance(error, Inconclusive):
        return "ERROR", True
    if isinstance(error, pytest.skip.Exception):   # a role the bench lacks: nothing judged
        return "ERROR", False
    cls = classify(pytest.ExceptionInfo.from_exception(error))
    return ("FAIL", False) if cls is VerdictClass.PRODUCT else ("ERROR", False)


def _failed_check(error: BaseException | None, measurements: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The failing check of a red step: a StepFailure's, else its last measurement that is not PASS."""
    if isinstance(error, StepFailure):
        return error.failed
    for m in reversed(measurements):
        if m["verdict"] != "PASS":
            low = "-inf" if m["low"] is None else f"{m['low']:g}"
            high = "+inf" if m["high"] is None else f"{m['high']:g}"
            return {"measurement": m["name"], "value": m["value"], "unit": m["unit"],
                    "limits": f"[{low}, {high}] {m['unit']}".rstrip()}
    return None


def _message(error: BaseException) -> str:
    text = getattr(error, "msg", None) or str(error) or type(error).__name__
    return " ".join(str(text).split())[:600]


async def run_sequence(line: Line, steps: tuple[Step, ...]) -> None:
    """Run ``steps`` in order on ``line``; raise what the first red step raised, once all are recorded."""
    first: dict[str, BaseException] = {}   # verdict -> the first step's exception with it
    stopped: str | None = None
    line.started_device_s = line.rig.clock.now()
    for index, step in enumerate(steps, 1):
        if stopped is not None:
            line.run.skip(step.name, step.title, stopped, index, len(steps))
            continue
        result = line.run.begin(step.name, step.title, index, len(steps))
        mark, unresolved = measurement_mark(), len(line.rig.inconclusive)
        error: BaseException | None = None
        try:
            await step.action(line)
        except CAUGHT as raised:
            error = raised
        measured = step_measurements(mark, step.name)
        if error is not None:
            verdict, goes_on = _verdict(error)
            message = _message(error)
        elif len(line.rig.inconclusive) > unresolved:
            verdict, goes_on = "ERROR", True
            message = "inconclusive: " + "; ".join(line.rig.inconclusive[unresolved:])
        else:
            verdict, goes_on, message = "PASS", True, ""
        line.run.end(result, verdict, message, _failed_check(error, measured) if verdict != "PASS" else None, measured)
        if error is not None:
            first.setdefault(verdict, error)
        if not goes_on:
            stopped = f"not run: {step.name} {'failed' if verdict == 'FAIL' else 'could not be judged'}"
    if first:  # a product failure decides the test's verdict class over a bench fault or an unresolved timing
        raise first.get("FAIL") or first["ERROR"]
