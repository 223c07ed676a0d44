"""Measurements as data (OpenHTF style, shared/notes/style.md).

A :class:`Measurement` carries its name, unit, limits and the origin of those limits.  ``check``
records the measured value, the margin and the verdict in the Allure report whether it passes or
fails, then raises :class:`AssertionError` on a failure, naming value, limits, origin and margin::

    duty = Measurement("pwm_duty_16A", unit="%", nominal=26.67, tolerance=0.5,
                       origin="IEC 61851-1 Annex A, field-facts §3")
    duty.check(ev.measure_cp().duty_percent)

Margin is the distance to the nearest limit in the measurement's unit: positive inside the limits,
negative outside.  A value that is not a finite real number (None, a string, a bool, NaN, ±inf)
always fails: a measurement is never turned into a number it was not.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from typing import Any

import allure


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

    def check(self, value: Any) -> float:
        """Record ``value`` (pass or fail) and return it; raise AssertionError when out of limits."""
        __tracebackhide__ = True
        self.measured = value
        number = _finite(value)
        if number is None:
            self.margin, self.passed = None, False
        else:
            margins = [m for m in ((None if self.low is None else number - self.low),
                                   (None if self.high is None else self.high - number)) if m is not None]
            self.margin = min(margins)
            self.passed = self.margin >= 0
        self._record()
        if not self.passed:
            what = "outside" if number is not None else "is not a finite number; limits"
            raise AssertionError(f"measurement {self.name} = {value!r} {self.unit} {what} {self.limits} "
                                 f"(nominal {self.nominal!r}, margin {_fmt(self.margin)}); limits from: {self.origin}")
        return number  # type: ignore[return-value]

    def summary(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        return (f"{verdict} {_fmt(self.measured)} {self.unit} in {self.limits} "
                f"(margin {_fmt(self.margin)}; {self.origin})")

    def _record(self) -> None:
        allure.dynamic.parameter(self.name, self.summary(), excluded=True)
        if not self.passed:
            allure.attach(json.dumps(asdict(self), indent=1, default=repr), name=f"FAILED measurement {self.name}",
                          attachment_type=allure.attachment_type.JSON)


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else repr(value)
