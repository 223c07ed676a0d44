"""The physical model that couples the virtual charger with the instrument twins.

Time is device time from a shared :class:`~simulator.clock.DeviceClock`.  The model advances
lazily: every read or write first integrates up to ``clock.now()`` in steps of at most
``MAX_STEP_S``, so energy and load current are right whenever anyone looks, with no background
thread needed for correctness.  Access is serialised by a lock because the HTTP server and the
twins' socket servers call in from their own threads.
"""
from __future__ import annotations

import bisect
import threading
from collections.abc import Callable
from dataclasses import dataclass

from simulator.clock import DeviceClock
from simulator.physics.contactor import Contactor
from simulator.physics.control_pilot import (
    EvSideLoad,
    PilotGenerator,
    PilotLevels,
    PilotMode,
    adc_raw_for,
    adc_state_for,
    line_levels,
)
from simulator.physics.ev_load import EvLoad, ev_decoded_current
from simulator.physics.mains import Mains, Thermal

MAX_STEP_S = 0.01
HISTORY_S = 10.0  # how far back a meter's averaging window may reach (device s)


@dataclass(frozen=True)
class Electrical:
    """True values of the charging circuit at one instant."""

    voltage_v: float
    current_a: float
    power_w: float
    frequency_hz: float
    energy_wh: float


class PhysicalModel:
    """CP line, contactor, EV load, mains, residual current and board temperature."""

    def __init__(self, clock: DeviceClock) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.ev = EvSideLoad()
        self.pilot = PilotGenerator()
        self.contactor = Contactor()
        self.load = EvLoad()
        self.mains = Mains()
        self.thermal = Thermal()
        self.residual_dc_ma = 0.0
        self.residual_ac_ma = 0.0
        self._energy_wh = 0.0
        self._volt_s = 0.0  # ∫U dt and ∫I dt, for a meter that averages over its own window
        self._amp_s = 0.0
        self._t = clock.now()
        self._history: list[tuple[float, float, float, float]] = [(self._t, 0.0, 0.0, 0.0)]
        self.cp_changed_at = self._t  # device time of the last EV-side change of the CP line
        self.residual_changed_at = self._t  # device time the injected residual current last changed
        self.mains_changed_at = self._t     # device time the AC source last changed the supply
        self.contactor_fault_changed_at = self._t  # device time an injected contactor fault changed
        self._observers: list[Callable[[float], None]] = []
        self._notifying = False

    # --- time ---------------------------------------------------------------------------------
    def observe(self, callback: Callable[[float], None]) -> None:
        """Run ``callback(now)`` before every advance: the charger firmware reacts to the line
        whenever anyone looks at the bench, so no reading is ever staler than the firmware."""
        self._observers.append(callback)

    def advance(self) -> float:
        """Let observers react, then integrate the model up to the clock's present."""
        with self.lock:
            now = self.clock.now()
            if not self._notifying:
                self._notifying = True
                try:
                    for callback in self._observers:
                        callback(now)
                finally:
                    self._notifying = False
            while self._t < now:
                dt = min(MAX_STEP_S, now - self._t)
                self._t += dt
                self._step(self._t, dt)
            return now

    def _step(self, t: float, dt: float) -> None:
        energised = (self.contactor.is_closed(t) and self.mains.on and self.ev.state in ("C", "D")
                     and not self.ev.pe_open)
        levels = line_levels(self.pilot, self.ev)
        advertised = ev_decoded_current(levels.duty) if self.pilot.mode is PilotMode.PWM else 0.0
        self.load.step(t, dt, advertised, energised, connected=self.ev.state != "A")
        voltage = self.mains.voltage(t)
        self._energy_wh += voltage * self.load.current_a * dt / 3600.0
        self._volt_s += voltage * dt
        self._amp_s += self.load.current_a * dt
        self._history.append((t, self._volt_s, self._amp_s, self._energy_wh))
        if self._history[0][0] < t - 2 * HISTORY_S:
            del self._history[: bisect.bisect_left(self._history, (t - HISTORY_S,))]
        self.thermal.step(dt, self.load.current_a)

    @property
    def integrated_at(self) -> float:
        """Device time the model has been integrated to (what an observer sees the load and
        temperature at: observers run before the model integrates up to the present)."""
        return self._t

    def first_current_above(self, amps: float, after: float) -> float | None:
        """Device time of the first integration step after ``after`` whose load current exceeded
        ``amps`` (within the kept history), or None: how the firmware's current sampling timestamps
        an overdraw however seldom its main loop runs."""
        with self.lock:
            index = max(1, bisect.bisect_right(self._history, (after, float("inf"))))
            for i in range(index, len(self._history)):
                (ta, _, ia, _), (tb, _, ib, _) = self._history[i - 1], self._history[i]
                if tb > ta and (ib - ia) / (tb - ta) > amps:
                    return tb
            return None

    # --- charger side -------------------------------------------------------------------------
    def set_pilot(self, mode: PilotMode, duty: float | None = None) -> None:
        """The charger's CP generator output (duty as a 0…1 fraction for PWM)."""
        with self.lock:
            self.advance()
            self.pilot.mode = mode
            if duty is not None:
                self.pilot.duty = duty

    def command_contactor(self, closed: bool, at: float | None = None) -> None:
        """Drive the contactor coil, at device time ``at`` (default: now) when the firmware
        reacts to an event that it timestamps itself.  From an observer (the firmware's tick, which
        runs before the model integrates up to the present) the model is not advanced first: the
        contacts' timestamped movement then shapes the current over the interval still to integrate."""
        with self.lock:
            now = self.clock.now() if self._notifying else self.advance()
            self.contactor.command(closed, now if at is None else at)

    def cp_levels(self) -> PilotLevels:
        with self.lock:
            self.advance()
            return line_levels(self.pilot, self.ev)

    def adc(self) -> tuple[str, int, float]:
        """The charger's CP ADC: (state letter, raw count, low level in V for the diode check)."""
        levels = self.cp_levels()
        return adc_state_for(levels.high_v), adc_raw_for(levels.high_v), levels.low_v

    def electrical(self) -> Electrical:
        """True mains quantities at the charger's terminals (what a reference analyzer measures)."""
        with self.lock:
            now = self.advance()
            current = self.load.current_a
            voltage = self.mains.voltage(now)
            return Electrical(voltage, current, voltage * current, self.mains.frequency_hz, self._energy_wh)

    def electrical_mean(self, window_s: float) -> Electrical:
        """Mean voltage, current and power over the last ``window_s`` device seconds (what a meter that
        averages over its own window reports: it lags a change of current), energy as of now."""
        with self.lock:
            now = self.advance()
            if window_s <= 0:
                return self.electrical()
            start = max(now - window_s, self._history[0][0])
            span = now - start
            if span <= 0:
                return self.electrical()
            _, v0, i0, e0 = self._integrals_at(start)
            volts = (self._volt_s - v0) / span
            amps = (self._amp_s - i0) / span
            watts = (self._energy_wh - e0) * 3600.0 / span
            return Electrical(volts, amps, watts, self.mains.frequency_hz, self._energy_wh)

    def _integrals_at(self, t: float) -> tuple[float, float, float, float]:
        """The running integrals at device time ``t``, interpolated between steps."""
        index = bisect.bisect_left(self._history, (t,))
        if index <= 0:
            return self._history[0]
        if index >= len(self._history):
            return self._history[-1]
        (ta, *a), (tb, *b) = self._history[index - 1], self._history[index]
        k = 0.0 if tb <= ta else (t - ta) / (tb - ta)
        return (t, *(x + (y - x) * k for x, y in zip(a, b)))  # type: ignore[return-value]

    def contactor_closed(self) -> bool:
        with self.lock:
            return self.contactor.is_closed(self.advance())

    def residual_current_ma(self) -> tuple[float, float]:
        """(DC, AC) residual current in mA through the charger's residual-current sensor.

        A bench injects it through a test loop of the sensor (a calibrator or an EV tester's RCD
        output), so the sensor sees it whether or not the contactor is closed: that is how a residual
        current present before the contactor would close is tested (IEC 62955: the RDC-DD must then
        keep the contacts open)."""
        with self.lock:
            self.advance()
            return self.residual_dc_ma, self.residual_ac_ma

    def mains_present_at_ev(self) -> bool:
        """Mains voltage at the EV side: the supply is on and the circuit through the contactor is closed."""
        with self.lock:
            now = self.advance()
            return self.mains.on and self.contactor.is_closed(now)

    def temperature_c(self) -> float:
        with self.lock:
            self.advance()
            return self.thermal.temperature_c

    # --- the supply and injected faults (AC source, relay box, heater twins) ---------------------
    def set_mains(self, *, voltage_v: float | None = None, frequency_hz: float | None = None,
                  on: bool | None = None) -> None:
        """What a programmable AC source at the charger's input puts out."""
        with self.lock:
            now = self.advance()
            changed = False
            for name, value in (("nominal_v", voltage_v), ("frequency_hz", frequency_hz), ("on", on)):
                if value is not None and getattr(self.mains, name) != value:
                    setattr(self.mains, name, value)
                    changed = True
            if changed:
                self.mains_changed_at = now

    def set_contactor_fault(self, *, welded: bool | None = None, stuck_open: bool | None = None) -> None:
        """A relay box across (welded) or in series with (stuck open) the charger's contactor."""
        with self.lock:
            now = self.advance()
            for name, value in (("welded", welded), ("stuck_open", stuck_open)):
                if value is not None and getattr(self.contactor, name) != value:
                    setattr(self.contactor, name, value)
                    self.contactor_fault_changed_at = now

    def set_board_setpoint(self, celsius: float | None) -> None:
        """A heater (or chamber) driving the board's temperature sensor to ``celsius``; None: off."""
        with self.lock:
            self.advance()
            self.thermal.setpoint_c = celsius

    # --- EV side (the EV simulator twin) --------------------------------------------------------
    def set_ev_state(self, state: str) -> None:
        with self.lock:
            now = self.advance()
            if state != self.ev.state:
                self.cp_changed_at = now
            self.ev.set_state(state)

    def set_ev_fault(self, *, diode_shorted: bool | None = None, cp_pe_short: bool | None = None,
                     pe_open: bool | None = None, forced_negative: bool | None = None) -> None:
        with self.lock:
            now = self.advance()
            for name, value in (("diode_shorted", diode_shorted), ("cp_pe_short", cp_pe_short),
                                ("pe_open", pe_open), ("forced_negative", forced_negative)):
                if value is not None and getattr(self.ev, name) != value:
                    setattr(self.ev, name, value)
                    self.cp_changed_at = now

    def set_ev_load(self, *, max_current_a: float | None = None, ramp_a_per_s: float | None = None) -> None:
        with self.lock:
            self.advance()
            if max_current_a is not None:
                self.load.max_current_a = max_current_a
            if ramp_a_per_s is not None:
                self.load.ramp_a_per_s = ramp_a_per_s

    def inject_residual(self, *, dc_ma: float | None = None, ac_ma: float | None = None) -> None:
        with self.lock:
            now = self.advance()
            new = (self.residual_dc_ma if dc_ma is None else dc_ma, self.residual_ac_ma if ac_ma is None else ac_ma)
            if new != (self.residual_dc_ma, self.residual_ac_ma):
                self.residual_changed_at = now
            self.residual_dc_ma, self.residual_ac_ma = new
