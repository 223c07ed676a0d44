"""Measurements as data: recorded pass or fail with the margin, loud on anything not a number."""
from __future__ import annotations

import math

import pytest

from rig.measurement import Measurement


def duty() -> Measurement:
    return Measurement("pwm_duty_16A", unit="%", nominal=26.67, tolerance=0.5, origin="field-facts §3")


def test_a_value_inside_the_limits_passes_with_its_margin() -> None:
    measurement = duty()
    assert measurement.check(26.9) == 26.9
    assert measurement.passed and measurement.margin == pytest.approx(0.27)


def test_a_value_outside_fails_naming_value_limits_origin_and_margin() -> None:
    measurement = duty()
    with pytest.raises(AssertionError, match=r"27\.3 % outside \[26\.17, 27\.17\] %.*margin -0\.13.*field-facts §3"):
        measurement.check(27.3)
    assert measurement.passed is False


@pytest.mark.parametrize("value", [None, "26.7", True, math.nan, math.inf])
def test_anything_but_a_finite_number_fails(value: object) -> None:
    with pytest.raises(AssertionError, match="not a finite number"):
        duty().check(value)


def test_limits_need_an_origin() -> None:
    with pytest.raises(ValueError, match="origin"):
        Measurement("x", unit="A", high=32.0)
