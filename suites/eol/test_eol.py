"""The end-of-line sequence of one unit (``pytest --profile eol --serial S``; ``lektrico-hil eol``).

One test, ten steps, one charging session where it can be: the table below is the sequence, in order
(the order is the point: suites/eol/functional.py says what overlaps and why).  Each step is timed,
judged and written to the unit record and the live events (suites/eol/sequence.py, fixtures/eol.py).
"""
from __future__ import annotations

import pytest

from suites.eol.closing import safe_state, time_budget
from suites.eol.functional import FIRST_A, METER_WINDOW, SECOND_A, contactor_open, metering, plug_in, pwm_duty
from suites.eol.identity import factory_defaults, identity
from suites.eol.rcd import rcd_ac, rcd_dc
from suites.eol.sequence import Line, Step, run_sequence

pytestmark = [pytest.mark.eol, pytest.mark.bench,
              pytest.mark.needs("ev_load", "power_analyzer", "residual_current.dc", "residual_current.ac")]

STEPS: tuple[Step, ...] = (
    Step("identity", "Identity against the scan and the production order", identity),
    Step("factory_defaults", "Factory defaults (spec ch. 4, 5)", factory_defaults),
    Step("plug_in", f"A → B → C at {FIRST_A} A, contactor closing", plug_in),
    Step("pwm_duty", f"PWM duty at {FIRST_A} A and {SECOND_A} A", pwm_duty),
    Step("metering", f"Metering at {SECOND_A} A against the analyzer ({METER_WINDOW.value:g} s)", metering),
    Step("contactor_open", "C → B under load, contactor opening", contactor_open),
    Step("rcd_dc", "RCD trip at 6 mA DC (IEC 62955), re-armed", rcd_dc),
    Step("rcd_ac", "RCD trip at 30 mA AC (IEC 61008-1), re-armed", rcd_ac),
    Step("safe_state", "Safe state, empty error log, factory limit", safe_state),
    Step("time_budget", "Time budget (60 s at time scale 1)", time_budget),
)


async def test_eol_sequence(line: Line) -> None:
    await run_sequence(line, STEPS)
