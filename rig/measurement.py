"""Measurements as data (OpenHTF style, shared/notes/style.md).

A :class:`Measurement` carries its name, unit, limits and the origin of those limits.  ``check``
records the measured value, the margin and the verdict in the Allure report whether it passes or
fails, then raises :class:`AssertionError` on a failure, naming value, limits, origin and margin::

    duty = Measurement("pwm_duty_16A", unit="%", nominal=26.67, tolerance=0.5,
                       origin="IEC 61851-1 Annex A (reference/standards.md T4, T6)")
    duty.check(ev.measure_cp().duty_percent)

Margin is the distance to the nearest limit in the measurement's unit: positive inside the limits,
negative outside.  A value that is not a finite real number (None, a string, a bool, NaN, ±inf)
always fails: a measurement is never turned into a number it was not.

A measured value may carry an ``uncertainty`` (± in its unit: a timing polled by the host, field-facts
§7 "Host-side timing").  Then it passes when the value plus or minus the uncertainty is within the
limits (margin ≥ uncertainty), fails when the whole interval is outside (margin < -uncertainty), and
is otherwise **inconclusive**: :class:`Inconclusive` is raised, a skip whose reason starts with
``inconclusive:`` and names the resolution the bench would need to decide.  Nothing guesses a pass.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from typing import Any

import allure
import pytest


class Inconclusive(pytest.skip.Exception):  # type: ignore[misc,name-defined]
    """The bench cannot resolve the limit: neither pass nor fail (counted apart, non-green under --require)."""

    PREFIX = "inconclusive: "

    def __init__(self, reason: str) -> None:
        super().__init__(msg=self.PREFIX + reason, pytrace=False)
        self.reason = reason


Inconclusive.__module__ = "builtins"  # reported as 'Inconclusive: …', like pytest's own Skipped


@dataclass
class Measurement:
    name: str
    unit: str = ""
    nominal: float | None = None
    low: float | None = None
    high: float | None = None
    tolerance: float | None = None   # ± around nominal; sets low/high when they are not given
    origin: str = ""
    measured: Any = None
    margin: float | None = None
    passed: bool | None = None
    uncertainty: float = 0.0
    how: str = ""                    # how it was measured (a timer, polling with its poll and round trip)
    verdict: str = ""                # PASS, FAIL or INCONCLUSIVE once checked

    def __post_init__(self) -> None:
        if self.tolerance is not None:
            if self.nominal is None:
                raise ValueError(f"{self.name}: a tolerance needs a nominal value")
            if self.low is None:
                self.low = self.nominal - self.tolerance
            if self.high is None:
                self.high = self.nominal + self.tolerance
        if self.low is None and self.high is None:
            raise ValueError(f"{self.name}: a measurement needs at least one limit")
        if not self.origin:
            raise ValueError(f"{self.name}: name the origin of the limits")

    @property
    def limits(self) -> str:
        low = "-inf" if self.low is None else f"{self.low:g}"
        high = "+inf" if self.high is None else f"{self.high:g}"
        return f"[{low}, {high}] {self.unit}".rstrip()

    def check(self, value: Any, uncertainty: float = 0.0, how: str = "") -> float:
        """Record ``value`` (pass, fail or inconclusive) and return it; raise AssertionError when it is
        certainly out of limits, :class:`Inconclusive` when its uncertainty straddles a limit."""
        __tracebackhide__ = True
        self.measured, self.how = value, how
        self.uncertainty = float(uncertainty) if _finite(uncertainty) is not None and uncertainty >= 0 else math.inf
        number = _finite(value)
        if number is None:
            self.margin, self.passed, self.verdict = None, False, "FAIL"
        else:
            margins = [m for m in ((None if self.low is None else number - self.low),
                                   (None if self.high is None else self.high - number)) if m is not None]
            self.margin = min(margins)
            if self.margin >= self.uncertainty:
                self.passed, self.verdict = True, "PASS"
            elif self.margin < -self.uncertainty:
                self.passed, self.verdict = False, "FAIL"
            else:
                self.passed, self.verdict = None, "INCONCLUSIVE"
        self._record()
        if self.verdict == "INCONCLUSIVE":
            raise Inconclusive(f"{self.name} = {_fmt(number)} ± {_fmt(self.uncertainty)} {self.unit} against "
                               f"{self.limits}: the bench resolves ±{_fmt(self.uncertainty)} {self.unit}"
                               f"{f' ({how})' if how else ''}; {_needed(self.margin, self.unit)}; limits from: {self.origin}")
        if not self.passed:
            what = "outside" if number is not None else "is not a finite number; limits"
            spread = f" ± {_fmt(self.uncertainty)}" if self.uncertainty else ""
            raise AssertionError(f"measurement {self.name} = {value!r}{spread} {self.unit} {what} {self.limits} "
                                 f"(nominal {self.nominal!r}, margin {_fmt(self.margin)}"
                                 f"{f'; {how}' if how else ''}); limits from: {self.origin}")
        return number  # type: ignore[return-value]

    def summary(self) -> str:
        verdict = self.verdict or ("PASS" if self.passed else "FAIL")
        spread = f" ± {_fmt(self.uncertainty)}" if self.uncertainty else ""
        return (f"{verdict} {_fmt(self.measured)}{spread} {self.unit} in {self.limits} "
                f"(margin {_fmt(self.margin)}{f'; {self.how}' if self.how else ''}; {self.origin})")

    def _record(self) -> None:
        from reports.allure_support import record_measurement  # noqa: PLC0415 - the run record, not a suite import

        record_measurement(self)  # the test's "Measurements" table (reports.test_result), not a parameter chip
        if not self.passed:
            allure.attach(json.dumps(asdict(self), indent=1, default=repr), name=f"{self.verdict} measurement {self.name}",
                          attachment_type=allure.attachment_type.JSON)


def _needed(margin: float | None, unit: str) -> str:
    """The resolution that would decide: better than the distance from the value to the limit."""
    if margin is None or abs(margin) < 1e-12:
        return "the value lies on the limit itself: no resolution decides it, measure again"
    return f"deciding needs better than ±{_fmt(abs(margin))} {unit}"


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else repr(value)
