"""Twin of a Yokogawa WT310E/WT310EH power analyzer, measuring the virtual bench's physical model.

It speaks the WT300E SCPI subset of field-facts §7 on a TCP socket (one command line in, one reply
line out), so the real driver reaches it through pyvisa-py exactly as it reaches the instrument:
``TCPIP::127.0.0.1::<port>::SOCKET`` or, through pyserial, ``ASRLsocket://127.0.0.1:<port>::INSTR``.

Every number comes from ``model.electrical()``; nothing is canned. Like the instrument, the twin
reports the average over the last *completed* update period (``:RATE``) of device time, not an
instantaneous value. How: each sample of the model (taken on every command, and by a background
sampler while served) extends running integrals ∫U dt, ∫I dt and ∫U·I dt (trapezoids). An average
over [a, b] is a difference of integrals divided by b − a, the integrals at a and b interpolated
between samples: exact while the load is steady, smoothed across a ramp when samples are sparse,
and P = U·I holds for the resistive load. The model's own energy integral would be exact, but it
is stamped with the clock reading taken before the model caught up, a skew of ~1 ms device time
at ×50 that is 0.4 % of a 0.25 s update; so it serves WH only, where over an integration run of
seconds the skew is negligible.

The twin is the instrument its identity names (default WT310EH, 40 A element: the 1P7K charges up
to 32 A, beyond the WT310E's 20 A): the model field sets the direct current ranges (WT310E 5 mA…20 A,
WT310EH 1…40 A, IM WT310E-01EN §2), the firmware field the one update-rate command it has
(``:RATE`` before F2.00, ``:SAMPle:RATE`` from F2.00 on; the other is an undefined header, -113).
twin: that split is the driver's assumed one (instruments/power_analyzer/wt300.py), not a fact.
An external current sensor is modelled as the WT300E presents it: ``:INPut:CURRent:SRATio`` sets its
ratio (mV/A), ``:INPut:CURRent:RANGe EXTernal,<V>`` selects the sensor input and its voltage range
(/EX1 2.5/5/10 V or /EX2 50 mV…2 V, ``external_sensor_option``); readings stay in amps and
over-range is judged on the sensor's output voltage.
Twin choices the manual leaves open are marked "twin:" below.
"""
from __future__ import annotations

import asyncio
import bisect
import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from simulator.physics.model import PhysicalModel
from simulator.twins.line_server import LineServer
from simulator.twins.scpi_parser import (
    Call,
    CommandTree,
    ErrorQueue,
    ScpiError,
    expect_params,
    format_nr3,
    parse_bool,
    parse_choice,
    parse_number,
)

IDENTITY = "YOKOGAWA,WT310EH,VIRTUAL01,F1.03"
VOLTAGE_RANGES_V = (15.0, 30.0, 60.0, 150.0, 300.0, 600.0)
# Direct current ranges per model, crest factor 3 (IM WT310E-01EN §2 "Current Range").
CURRENT_RANGES_BY_MODEL: dict[str, tuple[float, ...]] = {
    "WT310E": (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0),
    "WT310EH": (1.0, 2.0, 5.0, 10.0, 20.0, 40.0),
}
# External current sensor input ranges (V), by option (twin: /EX1 and /EX2 lists as the driver assumes).
EXTERNAL_RANGES_V: dict[str, tuple[float, ...]] = {
    "EX1": (2.5, 5.0, 10.0),
    "EX2": (0.05, 0.1, 0.2, 0.5, 1.0, 2.0),
}
SENSOR_RATIO_LIMITS = (0.001, 9999.0)   # mV/A, factory 10 (IM WT310E-01EN §2 "Scaling Constant")
DEFAULT_SENSOR_RATIO = 10.0
SAMPLE_RATE_FIRMWARE = (2, 0)          # twin: firmware from which the header is :SAMPle:RATE
UPDATE_RATES_S = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0)
OVER_RANGE_FACTOR = 1.4  # a reading above range × 1.4 is over range (INF)
FUNCTIONS = ("U", "I", "P", "S", "Q", "LAMBda", "PHI", "FU", "FI",
             "WH", "WHP", "WHM", "AH", "AHP", "AHM", "TIME", "NONE")
INTEGRATION_FUNCTIONS = {"WH", "WHP", "WHM", "AH", "AHP", "AHM", "TIME"}
# twin: the preset item list after *RST (the real preset patterns differ by firmware).
PRESET_ITEMS = ("U", "I", "P", "S", "Q", "LAMBda", "PHI", "FU", "FI", "NONE")
MAX_ITEMS = 255
MAX_TIMER_S = 10000 * 3600
HISTORY_S = 12.0  # ≥ two of the longest update periods
NAN = math.nan
INF = math.inf

INTEGRATION_ERRORS = {
    813: "Not allowed during integration",
    842: "Integration already started",
    844: "Integration not started",
    845: "Cannot reset while integration is running",
}


@dataclass(frozen=True)
class _Sample:
    """The model at device time ``t``, with running integrals since the twin started."""

    t: float
    voltage_v: float
    current_a: float
    frequency_hz: float
    energy_wh: float      # the model's own energy integral (for WH)
    volt_seconds: float   # ∫U dt (trapezoids between samples)
    charge_as: float      # ∫I dt
    watt_seconds: float   # ∫U·I dt

    def toward(self, other: _Sample, t: float) -> _Sample:
        """Linear interpolation to ``t`` between this sample and a later one."""
        span = other.t - self.t
        k = 0.0 if span <= 0 else min(max((t - self.t) / span, 0.0), 1.0)

        def mix(a: float, b: float) -> float:
            return a + (b - a) * k

        return _Sample(t, mix(self.voltage_v, other.voltage_v), mix(self.current_a, other.current_a),
                       self.frequency_hz, mix(self.energy_wh, other.energy_wh),
                       mix(self.volt_seconds, other.volt_seconds), mix(self.charge_as, other.charge_as),
                       mix(self.watt_seconds, other.watt_seconds))


@dataclass(frozen=True)
class _Totals:
    energy_wh: float = 0.0
    charge_as: float = 0.0
    seconds: float = 0.0

    def plus(self, start: _Sample, end: _Sample) -> _Totals:
        return _Totals(self.energy_wh + end.energy_wh - start.energy_wh,
                       self.charge_as + end.charge_as - start.charge_as, self.seconds + end.t - start.t)


@dataclass
class _Settings:
    """What ``*RST`` restores (communication settings are not part of it, as on the instrument)."""

    voltage_range_v: float = 600.0
    voltage_auto: bool = True
    current_range_a: float = 40.0        # the direct range (the largest of the model after *RST)
    current_auto: bool = True
    current_external: bool = False       # the external current sensor input is selected
    external_range_v: float = 10.0       # its range (V of sensor output)
    sensor_ratio_mv_per_a: float = DEFAULT_SENSOR_RATIO
    update_s: float = 0.25
    items: list[str] = field(default_factory=lambda: list(PRESET_ITEMS) + ["NONE"] * (MAX_ITEMS - len(PRESET_ITEMS)))
    item_count: int = len(PRESET_ITEMS)
    integration_mode: str = "NORMal"
    timer_s: int = 0
    integration_state: str = "RESet"   # RESet, STARt, STOP, TIMEup
    totals: _Totals = field(default_factory=_Totals)
    running_since: _Sample | None = None
    status_filter: str = "NEVer"


def firmware_version(firmware: str) -> tuple[int, int]:
    """``F1.03`` → (1, 3); ``ValueError`` for anything else."""
    match = re.fullmatch(r"F?(\d+)\.(\d+)", firmware.strip(), flags=re.IGNORECASE)
    if not match:
        raise ValueError(f"firmware field must look like F1.03, got {firmware!r}")
    return int(match.group(1)), int(match.group(2))


class PowerAnalyzerTwin(LineServer):
    """The WT310E/WT310EH twin: :meth:`handle` is the instrument, :meth:`start` puts it on a socket.

    ``identity`` is its ``*IDN?`` answer and decides its current ranges (model field) and its
    update-rate command (firmware field); ``external_sensor_option`` (``EX1``/``EX2``) its
    external sensor input's voltage ranges.
    """

    def __init__(self, model: PhysicalModel, identity: str = IDENTITY, external_sensor_option: str = "EX1") -> None:
        fields = [field.strip() for field in identity.split(",")]
        if len(fields) != 4 or not all(fields):
            raise ValueError(f"identity must be four non-empty fields, got {identity!r}")
        if fields[1].upper() not in CURRENT_RANGES_BY_MODEL:
            raise ValueError(f"the twin knows models {sorted(CURRENT_RANGES_BY_MODEL)}, not {fields[1]!r}")
        if external_sensor_option.upper() not in EXTERNAL_RANGES_V:
            raise ValueError(f"external_sensor_option must be one of {sorted(EXTERNAL_RANGES_V)}")
        super().__init__()
        self.model = model
        self.identity = identity
        self.current_ranges_a = CURRENT_RANGES_BY_MODEL[fields[1].upper()]
        self.external_ranges_v = EXTERNAL_RANGES_V[external_sensor_option.upper()]
        newer = firmware_version(fields[3]) >= SAMPLE_RATE_FIRMWARE
        self.rate_header = ":SAMPle:RATE" if newer else ":RATE"
        self.errors = ErrorQueue()
        self.header = True    # twin: replies carry headers until the driver turns them off
        self.verbose = False
        self.settings = self._factory_settings()
        self._lock = threading.RLock()
        self._history: list[_Sample] = []
        self._eesr_seen_update = -math.inf
        self._sampler: asyncio.Task[None] | None = None
        self.tree = self._build_tree()
        self.sample()

    # --- the instrument --------------------------------------------------------------------
    def handle(self, line: str) -> str | None:
        """One received line → the reply line (without terminator), or None for set commands."""
        line = line.strip()
        if not line:
            return None
        with self._lock:
            self.sample()
            return self.tree.dispatch(line, self.errors)

    def sample(self) -> None:
        """Read the model now, extend the running integrals, and let the integration timer act."""
        with self._lock, self.model.lock:
            # advance() returns the clock reading taken *before* it integrated, so after a long
            # catch-up electrical() would integrate on well past ``now`` (0.4 ms wall = 20 ms device
            # at ×50) and stamp the energy late. Catch up first; the second advance and
            # electrical() then move on by microseconds only.
            self.model.advance()
            now = self.model.advance()
            electrical = self.model.electrical()
            if self._history:
                last = self._history[-1]
                dt = max(now - last.t, 0.0)
                sample = _Sample(now, electrical.voltage_v, electrical.current_a, electrical.frequency_hz,
                                 electrical.energy_wh,
                                 last.volt_seconds + (last.voltage_v + electrical.voltage_v) / 2 * dt,
                                 last.charge_as + (last.current_a + electrical.current_a) / 2 * dt,
                                 last.watt_seconds + (last.voltage_v * last.current_a
                                                      + electrical.voltage_v * electrical.current_a) / 2 * dt)
                self._run_timer(last, sample)
            else:
                sample = _Sample(now, electrical.voltage_v, electrical.current_a, electrical.frequency_hz,
                                 electrical.energy_wh, 0.0, 0.0, 0.0)
            self._history.append(sample)
            self._prune(now)

    def _at(self, t: float) -> _Sample:
        history = self._history
        index = bisect.bisect_right(history, t, key=lambda sample: sample.t)
        if index == 0:
            return history[0]
        if index == len(history):
            return history[-1]
        return history[index - 1].toward(history[index], t)

    def _prune(self, now: float) -> None:
        old = [i for i, s in enumerate(self._history) if s.t < now - HISTORY_S]
        if old:
            del self._history[: old[-1]]  # keep the newest old sample to interpolate from

    # --- update periods ----------------------------------------------------------------------
    def _last_update(self) -> tuple[float, float] | None:
        """[a, b] of the last completed update period, or None before the first one."""
        period = self.settings.update_s
        now, first = self._history[-1].t, self._history[0].t
        end = math.floor(now / period + 1e-9) * period
        start = max(end - period, first)
        return (start, end) if end - start > 1e-9 else None

    def _measured(self) -> dict[str, float]:
        """Every function's value for the last completed update (NaN = no data, inf = over range)."""
        window = self._last_update()
        values = {name: NAN for name in FUNCTIONS}
        values.update(self._integration_values(window[1] if window else None))
        if window is None:
            return values
        a, b = (self._at(t) for t in window)
        span = b.t - a.t
        u = (b.volt_seconds - a.volt_seconds) / span
        i = (b.charge_as - a.charge_as) / span
        p = (b.watt_seconds - a.watt_seconds) / span
        s = u * i
        live = s > 1e-9  # twin: with no current, λ, φ and FI have nothing to measure (NAN, as "Error")
        values.update(U=u, I=i, P=p, S=s, Q=0.0, LAMBda=p / s if live else NAN, PHI=0.0 if live else NAN,
                      FU=b.frequency_hz, FI=b.frequency_hz if live else NAN)
        u_over = u > self._range("voltage", u) * OVER_RANGE_FACTOR
        i_input = self._current_input(i)
        i_over = i_input > self._range("current", i_input) * OVER_RANGE_FACTOR
        over = {"U": u_over, "I": i_over}
        for name in ("P", "S", "Q", "LAMBda", "PHI"):
            over[name] = u_over or i_over
        values.update({name: INF for name, is_over in over.items() if is_over})
        return values

    def _current_input(self, amps: float) -> float:
        """What the current input sees: the current (A) itself, or the sensor's output (V)."""
        settings = self.settings
        return amps * settings.sensor_ratio_mv_per_a / 1000.0 if settings.current_external else amps

    def _range(self, quantity: str, value: float) -> float:
        """The range in use, in the input's unit (V; A, or V of sensor output on the external
        input); with auto on, the smallest that holds the value (twin: no hysteresis)."""
        settings = self.settings
        if quantity == "voltage":
            ranges, auto, fixed = VOLTAGE_RANGES_V, settings.voltage_auto, settings.voltage_range_v
        elif settings.current_external:
            ranges, auto, fixed = self.external_ranges_v, settings.current_auto, settings.external_range_v
        else:
            ranges, auto, fixed = self.current_ranges_a, settings.current_auto, settings.current_range_a
        if not auto:
            return fixed
        return next((r for r in ranges if value <= r), ranges[-1])

    # --- integration -------------------------------------------------------------------------
    def _integration_values(self, update_end: float | None) -> dict[str, float]:
        settings = self.settings
        if settings.integration_state == "RESet":
            return {}
        totals = settings.totals
        start = settings.running_since
        if start is not None and update_end is not None and update_end > start.t:
            totals = totals.plus(start, self._at(update_end))
        ah = totals.charge_as / 3600.0
        return {"WH": totals.energy_wh, "WHP": max(totals.energy_wh, 0.0), "WHM": min(totals.energy_wh, 0.0),
                "AH": ah, "AHP": max(ah, 0.0), "AHM": min(ah, 0.0), "TIME": totals.seconds}

    def _run_timer(self, previous: _Sample, sample: _Sample) -> None:
        """End (normal) or restart (continuous) integration when the timer runs out before ``sample``."""
        settings = self.settings
        while settings.running_since is not None and settings.timer_s > 0:
            start = settings.running_since
            end_t = start.t + settings.timer_s - settings.totals.seconds
            if end_t > sample.t:
                return
            end = previous.toward(sample, end_t) if end_t > previous.t else start.toward(previous, end_t)
            if settings.integration_mode == "CONTinuous":  # twin: each cycle starts from zero
                settings.totals, settings.running_since = _Totals(), end
            else:
                settings.totals = settings.totals.plus(start, end)
                settings.running_since = None
                settings.integration_state = "TIMEup"

    def _not_while_integrating(self) -> None:
        if self.settings.integration_state == "STARt":
            raise ScpiError(813, INTEGRATION_ERRORS[813])

    def _integration_start(self, call: Call) -> None:
        expect_params(call, 0)
        settings = self.settings
        if settings.integration_state in ("STARt", "TIMEup"):  # twin: a timed-up run must be reset first
            raise ScpiError(842, INTEGRATION_ERRORS[842])
        if settings.integration_mode == "CONTinuous" and settings.timer_s == 0:
            raise ScpiError(-221)
        settings.running_since = self._history[-1]
        settings.integration_state = "STARt"

    def _integration_stop(self, call: Call) -> None:
        expect_params(call, 0)
        settings = self.settings
        if settings.integration_state != "STARt" or settings.running_since is None:
            raise ScpiError(844, INTEGRATION_ERRORS[844])
        settings.totals = settings.totals.plus(settings.running_since, self._history[-1])
        settings.running_since = None
        settings.integration_state = "STOP"

    def _integration_reset(self, call: Call) -> None:
        expect_params(call, 0)
        if self.settings.integration_state == "STARt":
            raise ScpiError(845, INTEGRATION_ERRORS[845])
        self.settings.totals = _Totals()
        self.settings.integration_state = "RESet"

    def _set_timer(self, call: Call) -> None:
        self._not_while_integrating()
        hours, minutes, seconds = (parse_number(p) for p in expect_params(call, 3))
        if not (all(float(v).is_integer() for v in (hours, minutes, seconds))
                and 0 <= minutes < 60 and 0 <= seconds < 60 and 0 <= hours):
            raise ScpiError(-224)
        total = int(hours * 3600 + minutes * 60 + seconds)
        if total > MAX_TIMER_S:
            raise ScpiError(-224)
        self.settings.timer_s = total

    def _timer_reply(self, call: Call) -> str:
        hours, rest = divmod(self.settings.timer_s, 3600)
        return f"{hours},{rest // 60},{rest % 60}"

    # --- numeric items -----------------------------------------------------------------------
    def _set_item(self, call: Call) -> None:
        index = self._item_index(call)
        params = expect_params(call, 1, 2)
        function = parse_choice(params[0], FUNCTIONS)
        if len(params) == 2 and parse_number(params[1]) != 1:
            raise ScpiError(-224)  # one input element on a WT310EH
        self.settings.items[index - 1] = function

    def _item_reply(self, call: Call) -> str:
        function = self.settings.items[self._item_index(call) - 1]
        return self._token(function) + ("" if function == "NONE" else ",1")

    @staticmethod
    def _item_index(call: Call) -> int:
        index = call.suffix("x")
        if not 1 <= index <= MAX_ITEMS:
            raise ScpiError(-114)
        return index

    def _set_item_count(self, call: Call) -> None:
        (param,) = expect_params(call, 1)
        count = parse_number(param)
        if not (count.is_integer() and 1 <= count <= MAX_ITEMS):
            raise ScpiError(-224)
        self.settings.item_count = int(count)

    def _values(self, call: Call) -> str:
        params = expect_params(call, 0, 1)
        measured = self._measured()
        if params:
            index = parse_number(params[0])
            if not (index.is_integer() and 1 <= index <= MAX_ITEMS):
                raise ScpiError(-224)
            indexes = [int(index)]
        else:
            indexes = list(range(1, self.settings.item_count + 1))
        return ",".join(format_nr3(measured[self.settings.items[i - 1]]) for i in indexes)

    # --- ranges, rate, status ----------------------------------------------------------------
    def _range_setter(self, quantity: str, ranges: tuple[float, ...]) -> Callable[[Call], None]:
        def setter(call: Call) -> None:
            self._not_while_integrating()
            (param,) = expect_params(call, 1)
            value = parse_number(param)
            chosen = next((r for r in ranges if math.isclose(r, value)), None)
            if chosen is None:
                raise ScpiError(-224)
            setattr(self.settings, f"{quantity}_auto", False)  # a fixed range ends auto-ranging
            setattr(self.settings, "voltage_range_v" if quantity == "voltage" else "current_range_a", chosen)
        return setter

    def _range_reply(self, quantity: str) -> Callable[[Call], str]:
        def reply(call: Call) -> str:
            measured = self._measured()
            value = measured["U" if quantity == "voltage" else "I"]
            value = 0.0 if not math.isfinite(value) else value
            if quantity == "voltage":
                return format_nr3(self._range(quantity, value))
            text = format_nr3(self._range(quantity, self._current_input(value)))
            return f"{self._token('EXTernal')},{text}" if self.settings.current_external else text
        return reply

    def _set_current_range(self, call: Call) -> None:
        """``<A>`` (direct input) or ``EXTernal,<V>`` (sensor input); units A/mA, V/mV accepted."""
        self._not_while_integrating()
        params = expect_params(call, 1, 2)
        settings = self.settings
        if len(params) == 2:
            parse_choice(params[0], ("EXTernal",))
            volts = _with_unit(params[1], "V")
            chosen = next((r for r in self.external_ranges_v if math.isclose(r, volts)), None)
            if chosen is None:
                raise ScpiError(-224)
            settings.current_external, settings.external_range_v = True, chosen
        else:
            amps = _with_unit(params[0], "A")
            chosen = next((r for r in self.current_ranges_a if math.isclose(r, amps)), None)
            if chosen is None:
                raise ScpiError(-224)
            settings.current_external, settings.current_range_a = False, chosen
        settings.current_auto = False  # a fixed range ends auto-ranging

    def _set_sensor_ratio(self, call: Call) -> None:
        self._not_while_integrating()
        (param,) = expect_params(call, 1)
        value = parse_number(param)
        low, high = SENSOR_RATIO_LIMITS
        if not low <= value <= high:
            raise ScpiError(-224)
        self.settings.sensor_ratio_mv_per_a = value

    def _auto_setter(self, quantity: str) -> Callable[[Call], None]:
        def setter(call: Call) -> None:
            self._not_while_integrating()
            (param,) = expect_params(call, 1)
            setattr(self.settings, f"{quantity}_auto", parse_bool(param))
        return setter

    def _set_rate(self, call: Call) -> None:
        self._not_while_integrating()
        (param,) = expect_params(call, 1)
        value = parse_number(param)
        chosen = next((r for r in UPDATE_RATES_S if math.isclose(r, value)), None)
        if chosen is None:
            raise ScpiError(-224)
        self.settings.update_s = chosen

    def _eesr(self, call: Call) -> str:
        """Bit 0 (UPD): a new update has completed since the last read; reading clears it."""
        window = self._last_update()
        end = window[1] if window else -math.inf
        fresh = end > self._eesr_seen_update
        self._eesr_seen_update = max(self._eesr_seen_update, end)
        return "1" if fresh else "0"

    def _factory_settings(self) -> _Settings:
        return _Settings(current_range_a=self.current_ranges_a[-1], external_range_v=self.external_ranges_v[-1])

    def _reset(self, call: Call) -> None:
        self.settings = self._factory_settings()

    def _clear(self, call: Call) -> None:
        self.errors.clear()
        window = self._last_update()
        self._eesr_seen_update = window[1] if window else -math.inf

    def _token(self, mnemonic: str) -> str:
        """A mnemonic as a reply: short form, or long form with ``:COMM:VERB ON``."""
        return mnemonic.upper() if self.verbose else "".join(c for c in mnemonic if not c.islower())

    def _set_header(self, call: Call) -> None:
        self.header = parse_bool(expect_params(call, 1)[0])

    def _set_verbose(self, call: Call) -> None:
        self.verbose = parse_bool(expect_params(call, 1)[0])

    def _set_filter(self, call: Call) -> None:
        self.settings.status_filter = parse_choice(expect_params(call, 1)[0], ("RISE", "FALL", "BOTH", "NEVer"))

    # --- the command table -------------------------------------------------------------------
    def _build_tree(self) -> CommandTree:
        tree = CommandTree()
        s = lambda: self.settings  # noqa: E731 - *RST replaces the settings object

        def add(pattern: str, on_set: Callable[[Call], None] | None = None,
                on_query: Callable[[Call], str] | None = None) -> None:
            tree.add(pattern, on_set=on_set, on_query=self._with_header(on_query) if on_query else None)

        def flag(value: Callable[[], bool]) -> Callable[[Call], str]:
            return lambda call: "1" if value() else "0"

        add("*IDN", on_query=lambda call: self.identity)
        add("*RST", on_set=self._reset)
        add("*CLS", on_set=self._clear)
        add("*OPC", on_set=lambda call: None, on_query=lambda call: "1")
        add(":COMMunicate:HEADer", self._set_header, flag(lambda: self.header))
        add(":COMMunicate:VERBose", self._set_verbose, flag(lambda: self.verbose))
        add(self.rate_header, self._set_rate, lambda call: format_nr3(s().update_s))
        add(":INPut:VOLTage:RANGe", self._range_setter("voltage", VOLTAGE_RANGES_V), self._range_reply("voltage"))
        add(":INPut:VOLTage:AUTO", self._auto_setter("voltage"), flag(lambda: s().voltage_auto))
        add(":INPut:CURRent:RANGe", self._set_current_range, self._range_reply("current"))
        add(":INPut:CURRent:AUTO", self._auto_setter("current"), flag(lambda: s().current_auto))
        add(":INPut:CURRent:SRATio[:ALL]", self._set_sensor_ratio, lambda call: format_nr3(s().sensor_ratio_mv_per_a))
        add(":NUMeric[:NORMal]:NUMber", self._set_item_count, lambda call: str(s().item_count))
        add(":NUMeric[:NORMal]:ITEM<x>", self._set_item, self._item_reply)
        add(":NUMeric[:NORMal]:VALue", on_query=self._values)
        add(":INTEGrate:MODE", self._set_mode, lambda call: self._token(s().integration_mode))
        add(":INTEGrate:TIMer", self._set_timer, self._timer_reply)
        add(":INTEGrate:STARt", on_set=self._integration_start)
        add(":INTEGrate:STOP", on_set=self._integration_stop)
        add(":INTEGrate:RESet", on_set=self._integration_reset)
        add(":INTEGrate:STATe", on_query=lambda call: self._token(s().integration_state))
        add(":STATus:ERRor", on_query=lambda call: self.errors.pop())
        add(":STATus:EESR", on_query=self._eesr)
        add(":STATus:FILTer<x>", self._set_filter, lambda call: self._token(s().status_filter))
        return tree

    def _set_mode(self, call: Call) -> None:
        self._not_while_integrating()
        self.settings.integration_mode = parse_choice(expect_params(call, 1)[0], ("NORMal", "CONTinuous"))

    def _with_header(self, handler: Callable[[Call], str]) -> Callable[[Call], str]:
        def reply(call: Call) -> str:
            text = handler(call)
            header = call.reply_header(self.verbose) if self.header else ""
            return f"{header} {text}" if header else text
        return reply

    # --- the socket ----------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Serve newline-terminated SCPI on ``host:port`` (0 = any free port) and start sampling
        in the background; return the port."""
        port = await super().start(host, port)
        self._sampler = asyncio.create_task(self._sample_forever())
        return port

    async def stop(self) -> None:
        if self._sampler is not None:
            self._sampler.cancel()
            await asyncio.gather(self._sampler, return_exceptions=True)
            self._sampler = None
        await super().stop()

    async def _sample_forever(self) -> None:
        """Measure continuously, as the instrument does, so averages stay exact between commands."""
        while True:
            await asyncio.sleep(max(0.01, self.model.clock.to_wall(self.settings.update_s / 4)))
            self.sample()


_UNIT_PREFIXES = {"": 1.0, "M": 1e-3, "U": 1e-6}


def _with_unit(param: str, unit: str) -> float:
    """An NRf with an optional unit (``0.5``, ``500MA``, ``200mV``, ``2V``), in base units; -104 otherwise.

    twin: SCPI's unit suffixes as the WT series documents them for ranges (``M`` is milli here, as
    in Yokogawa's ``50MV``).
    """
    match = re.fullmatch(rf"(.*?\d\.?)\s*([MU]?){unit}", param.strip(), flags=re.IGNORECASE)
    if match is None:
        return parse_number(param)
    return parse_number(match.group(1)) * _UNIT_PREFIXES[match.group(2).upper()]
