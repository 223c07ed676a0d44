"""Driver for the Yokogawa WT300E series (WT310E/WT310EH) power analyzer over VISA.

The reference meter of the metering suites (field-facts §6): it must fail loudly rather than hand
a suite a number it did not measure, so NAN ("no data") and INF ("over range") raise
:class:`InvalidReading`, a rejected setting raises :class:`InstrumentError` at the line that sent
it, and a silent instrument raises :class:`InstrumentConnectionError` (a bench fault, not a
measurement verdict). Commands are the manual's short forms (field-facts §7); the class body is
the command table.

The instrument as a lab has it: ``*IDN?`` is read once when the driver is initialised, and its
model field decides which current ranges exist (a WT310E's direct input stops at 20 A, a
WT310EH's at 40 A), its firmware field which update-rate command the instrument understands. A
lab whose charger draws more than the direct input holds wires an external current sensor; the
driver then works on the sensor's voltage ranges mapped to amps by the sensor's ratio (readings
stay in amps: the instrument divides by the ratio itself).

Sources: IM WT310E-01EN (user's manual, §2 "Current Range", "External Current Sensor Range",
"Scaling Constant"); IM WT310-02EN §2.10 (direct input maxima of the older WT310/WT310HC);
IM WT310E-17EN (communication manual) for the command syntax, where noted "assumed:" it could not
be checked here.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import pyvisa
import pyvisa.errors

from instruments.power_analyzer.scpi import (
    ScpiInstrument,
    Transport,
    UnexpectedReply,
    control,
    format_number,
    measurement,
    mnemonic_matches,
    parse_number,
    short_form,
)
from instruments.visa import close_on_failure, open_visa_resource
from instruments.visa import resource_kind as resource_kind  # re-exported: wt300.resource_kind is public

VOLTAGE_RANGES_V = (15.0, 30.0, 60.0, 150.0, 300.0, 600.0)

# Direct-input current ranges at crest factor 3, per model (IM WT310E-01EN §2 "Current Range").
# The older WT310/WT310HC have the same maxima (IM WT310-02EN §2.10: external sensor above
# 20 A / 40 A); assumed: their range steps are those of the WT310E/WT310EH.
_WT310E_RANGES_A = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0)
_WT310EH_RANGES_A = (1.0, 2.0, 5.0, 10.0, 20.0, 40.0)
DIRECT_CURRENT_RANGES_A: dict[str, tuple[float, ...]] = {
    "WT310E": _WT310E_RANGES_A,
    "WT310EH": _WT310EH_RANGES_A,
    "WT310": _WT310E_RANGES_A,
    "WT310HC": _WT310EH_RANGES_A,
}
# Every direct range of any model: what the raw ``current_range`` control lets through (the
# instrument rejects a range its model lacks with -224, which the set-error check raises).
CURRENT_RANGES_A = tuple(sorted({r for ranges in DIRECT_CURRENT_RANGES_A.values() for r in ranges}))

# External current sensor input ranges (V of sensor output, crest factor 3), by option. /EX2:
# IM WT310E-01EN §2 works its examples on its 200 mV and 500 mV ranges; assumed: the full lists
# /EX1 2.5/5/10 V and /EX2 50 mV…2 V (WT300E specifications; *IDN? does not say which is fitted,
# so the lab names it: profile key ``external_sensor_option``).
EXTERNAL_SENSOR_RANGES_V: dict[str, tuple[float, ...]] = {
    "EX1": (2.5, 5.0, 10.0),
    "EX2": (0.05, 0.1, 0.2, 0.5, 1.0, 2.0),
}
# The sensor's conversion ratio ("scaling constant"), mV/A: 0.001…9999, factory 10 (IM WT310E-01EN §2).
SENSOR_RATIO_MV_PER_A = (0.001, 9999.0)

# Range choice: the smallest range that holds expected × RANGE_HEADROOM. 10 % covers an EV load's
# overshoot around its set current and the charger's own PWM tolerance, while the reading stays on
# the smallest range that holds it (accuracy is ±(% of reading + % of range)). Crest factor 3 ranges
# measure up to 130 % of range rms (auto-range steps up only above that, IM WT310E-01EN §2), so an
# expected current above range / 1.1 but within the largest range still goes on the largest range.
RANGE_HEADROOM = 1.1

UPDATE_RATES_S = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0)
# Update-rate command by firmware (field-facts §7: ``:RATE`` on older firmware, ``:SAMPle:RATE``
# otherwise). assumed: the split is at F2.00. The one firmware we know answers ``:RATE`` is F1.03
# (field-facts' own *IDN? example, and the twin every suite has run against), so every F1.xx keeps
# ``:RATE``; a command-tree change is the kind of change a major version carries. A lab that knows
# better overrides it (``rate_command``, profile key ``rate_command``). Unparsable firmware keeps
# the older command.
SAMPLE_RATE_FIRMWARE = (2, 0)
RATE_COMMANDS = (":RATE", ":SAMPle:RATE")

MAX_INTEGRATION_TIMER_S = 10000 * 3600
ON_OFF = {True: ("ON", "1"), False: ("OFF", "0")}

# Numeric item functions (manual mnemonic) → Reading field.
ITEM_FIELDS: dict[str, str] = {
    "U": "voltage_v",
    "I": "current_a",
    "P": "power_w",
    "S": "apparent_power_va",
    "Q": "reactive_power_var",
    "LAMBda": "power_factor",
    "PHI": "phase_deg",
    "FU": "frequency_hz",
    "FI": "current_frequency_hz",
    "WH": "energy_wh",
    "WHP": "energy_positive_wh",
    "WHM": "energy_negative_wh",
    "AH": "charge_ah",
    "AHP": "charge_positive_ah",
    "AHM": "charge_negative_ah",
    "TIME": "integration_time_s",
}
DEFAULT_ITEMS = ("U", "I", "P", "S", "LAMBda", "FU", "FI")
ELEMENT = 1  # the WT310E/EH has one input element

# Commands that are sent by methods rather than by a declarative property.
HEADER_OFF = ":COMM:HEAD OFF"
CLEAR_STATUS = "*CLS"
RESET = "*RST"
IDENTIFY = "*IDN?"
ITEM_COUNT = ":NUM:NORM:NUM {}"
ITEM = ":NUM:NORM:ITEM{} {},{}"
VALUES = ":NUM:NORM:VAL?"
INTEGRATION_START = ":INTEG:STAR"
INTEGRATION_STOP = ":INTEG:STOP"
INTEGRATION_RESET = ":INTEG:RES"
CURRENT_RANGE = ":INP:CURR:RANG {}"
CURRENT_RANGE_QUERY = ":INP:CURR:RANG?"
# assumed (IM WT310E-17EN not checked here): ``[:INPut]:CURRent:RANGe[:ALL] EXTernal,<Voltage>``
# selects the sensor input and its range, ``[:INPut]:CURRent:SRATio[:ALL] <NRf>`` the ratio in mV/A
# (the WT series' common syntax, as on the WT3000/WT1800); the query answers ``EXT,<NR3 volts>``.
EXTERNAL_RANGE = ":INP:CURR:RANG EXT,{}"
SENSOR_RATIO = ":INP:CURR:SRAT {}"


class CurrentBeyondRanges(ValueError):
    """The expected current is above every current range this instrument has in its present mode."""


def pick_range(expected: float, ranges: Sequence[float], headroom: float = RANGE_HEADROOM) -> float:
    """The smallest of ``ranges`` that holds ``expected × headroom``; the largest when only
    ``expected`` itself fits (crest factor 3 still measures up to 130 % of range);
    :class:`CurrentBeyondRanges` above the largest. Units are the caller's (A or V)."""
    if not math.isfinite(expected) or expected < 0:
        raise ValueError(f"expected value must be a finite number ≥ 0, got {expected!r}")
    if headroom < 1:
        raise ValueError(f"headroom must be ≥ 1, got {headroom!r}")
    ordered = sorted(ranges)
    if not ordered:
        raise ValueError("no ranges to choose from")
    if expected > ordered[-1] * (1 + 1e-9):
        raise CurrentBeyondRanges(f"{expected:g} exceeds the largest range {ordered[-1]:g}")
    return next((r for r in ordered if expected * headroom <= r * (1 + 1e-9)), ordered[-1])


def direct_ranges_for(model: str) -> tuple[float, ...]:
    """The direct-input current ranges (A) of the *IDN? model field (``WT310E``, ``WT310EH`` …,
    any suffix after ``-`` ignored); ``ValueError`` for a model this driver does not know."""
    name = model.strip().upper().split("-")[0]
    if name not in DIRECT_CURRENT_RANGES_A:
        raise ValueError(f"unknown model {model!r}: current ranges are known for {sorted(DIRECT_CURRENT_RANGES_A)}")
    return DIRECT_CURRENT_RANGES_A[name]


def parse_firmware(firmware: str) -> tuple[int, int] | None:
    """``F1.03`` → (1, 3); None when the field is not ``[F]<major>.<minor>``."""
    match = re.fullmatch(r"\s*F?(\d+)\.(\d+)\s*", firmware, flags=re.IGNORECASE)
    return (int(match.group(1)), int(match.group(2))) if match else None


def rate_command_for(firmware: str) -> str:
    """The update-rate header (short form) the firmware understands: ``:SAMP:RATE`` from
    :data:`SAMPLE_RATE_FIRMWARE` on, ``:RATE`` before it or when the field cannot be parsed."""
    version = parse_firmware(firmware)
    newer = version is not None and version >= SAMPLE_RATE_FIRMWARE
    return _short_header(RATE_COMMANDS[1] if newer else RATE_COMMANDS[0])


def normalise_rate_command(command: str) -> str:
    """A lab's ``rate_command`` (``:RATE``, ``SAMPle:RATE``, ``:samp:rate`` …) as the short header
    the driver sends; ``ValueError`` for anything else."""
    words = command.strip().lstrip(":").split(":")
    for known in RATE_COMMANDS:
        nodes = known.lstrip(":").split(":")
        if len(words) == len(nodes) and all(mnemonic_matches(w, n) for w, n in zip(words, nodes)):
            return _short_header(known)
    raise ValueError(f"rate_command must be one of {list(RATE_COMMANDS)}, got {command!r}")


def _short_header(header: str) -> str:
    return ":" + ":".join(short_form(node) for node in header.lstrip(":").split(":"))


def canonical_item(function: str) -> str:
    """``lambda``/``LAMB``/``LAMBda`` → ``LAMBda``; ``ValueError`` for an unknown function."""
    for mnemonic in ITEM_FIELDS:
        if mnemonic_matches(function, mnemonic):
            return mnemonic
    raise ValueError(f"unknown numeric item function {function!r}; known: {list(ITEM_FIELDS)}")


@dataclass(frozen=True)
class Identification:
    """``*IDN?``: ``YOKOGAWA,WT310E,C2PH13047V,F1.03``."""

    manufacturer: str
    model: str
    serial: str
    firmware: str

    @classmethod
    def parse(cls, reply: str) -> Identification:
        fields = [field.strip() for field in reply.split(",")]
        if len(fields) != 4 or not all(fields):
            raise ValueError("*IDN? must have four non-empty fields")
        return cls(*fields)


@dataclass(frozen=True)
class Reading:
    """One ``:NUM:NORM:VAL?`` result; a field is None when its item was not configured."""

    items: tuple[str, ...]
    voltage_v: float | None = None
    current_a: float | None = None
    power_w: float | None = None
    apparent_power_va: float | None = None
    reactive_power_var: float | None = None
    power_factor: float | None = None
    phase_deg: float | None = None
    frequency_hz: float | None = None
    current_frequency_hz: float | None = None
    energy_wh: float | None = None
    energy_positive_wh: float | None = None
    energy_negative_wh: float | None = None
    charge_ah: float | None = None
    charge_positive_ah: float | None = None
    charge_negative_ah: float | None = None
    integration_time_s: float | None = None


@dataclass(frozen=True)
class ExternalSensor:
    """A current sensor on the external sensor input: its ratio and the input's voltage ranges."""

    mv_per_a: float
    ranges_v: tuple[float, ...]

    def amps(self, volts: float) -> float:
        """The current a sensor output of ``volts`` stands for."""
        return volts * 1000.0 / self.mv_per_a

    def volts(self, amps: float) -> float:
        return amps * self.mv_per_a / 1000.0

    @property
    def ranges_a(self) -> tuple[float, ...]:
        return tuple(self.amps(v) for v in self.ranges_v)


def parse_current_range(reply: str) -> tuple[str, float]:
    """``:INP:CURR:RANG?`` → ("direct", amps) for ``20.0E+00`` or ("external", volts) for
    ``EXT,10.0E+00`` / ``EXTERNAL,10.0E+00``; ``ValueError`` otherwise."""
    head, sep, tail = reply.strip().partition(",")
    if sep:
        if not mnemonic_matches(head, "EXTernal"):
            raise ValueError("expected EXTernal,<volts> or <amps>")
        return "external", parse_number(tail, "current range")
    return "direct", parse_number(head, "current range")


def _timer_to_hms(seconds: int) -> str:
    if not 0 <= int(seconds) <= MAX_INTEGRATION_TIMER_S or int(seconds) != seconds:
        raise ValueError(f"integration timer must be whole seconds in 0…{MAX_INTEGRATION_TIMER_S}, got {seconds}")
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours},{rest // 60},{rest % 60}"


def _hms_to_timer(reply: str) -> int:
    hours, minutes, seconds = (int(float(part)) for part in reply.split(","))
    return hours * 3600 + minutes * 60 + seconds


class PowerAnalyzer(ScpiInstrument):
    """WT300E-series power analyzer. Build with :meth:`open` (VISA), :meth:`from_resource` (a
    profile's ``[power_analyzer]`` table) or from any transport.

    ``identity`` (an :class:`Identification` or the ``*IDN?`` text) spares the ``*IDN?`` read, e.g.
    in a test; without it the driver reads it once, in :meth:`initialise` or at first need.
    ``rate_command`` overrides the update-rate command the firmware field implies.
    """

    ROLES: ClassVar[dict[str, frozenset[str]]] = {"power_analyzer": frozenset({"mains"})}
    TIMERS: ClassVar[frozenset[str]] = frozenset()

    error_query = ":STAT:ERR?"
    connection_errors = (OSError, EOFError, pyvisa.errors.VisaIOError, pyvisa.errors.InvalidSession)

    identification = measurement(IDENTIFY, "Manufacturer, model, serial, firmware (queried each time).",
                                 get_process=Identification.parse)
    voltage_range = control(":INP:VOLT:RANG?", ":INP:VOLT:RANG {}", "Voltage range (V); setting it turns auto off.",
                            values=VOLTAGE_RANGES_V, get_process=parse_number)
    voltage_auto_range = control(":INP:VOLT:AUTO?", ":INP:VOLT:AUTO {}", "Voltage auto-range.", map=ON_OFF)
    current_range = control(CURRENT_RANGE_QUERY, CURRENT_RANGE, "Direct-input current range (A), raw; setting "
                            "it turns auto off. Use set_current_range_for() / current_range_a(), which "
                            "follow the input in use.",
                            values=CURRENT_RANGES_A, get_process=parse_number)
    current_auto_range = control(":INP:CURR:AUTO?", ":INP:CURR:AUTO {}", "Current auto-range.", map=ON_OFF)
    sensor_ratio_mv_per_a = measurement(":INP:CURR:SRAT?", "External current sensor ratio (mV/A); set it "
                                        "with use_external_sensor(), which keeps the driver's mode.",
                                        get_process=parse_number)
    # The update period has two headers, by firmware; update_rate_s sends the one this unit has.
    _rate_s = control(":RATE?", ":RATE {}", "Data update period (s), older firmware.",
                      values=UPDATE_RATES_S, get_process=parse_number)
    _sample_rate_s = control(":SAMP:RATE?", ":SAMP:RATE {}", "Data update period (s), newer firmware.",
                             values=UPDATE_RATES_S, get_process=parse_number)
    integration_mode = control(":INTEG:MODE?", ":INTEG:MODE {}", "Integration mode.",
                               map={"normal": "NORMal", "continuous": "CONTinuous"})
    integration_timer_s = control(":INTEG:TIM?", ":INTEG:TIM {}", "Integration timer (whole s; 0 = manual stop).",
                                  get_process=_hms_to_timer, set_process=_timer_to_hms)
    integration_state = measurement(":INTEG:STAT?", "Integration state.",
                                    map={"reset": "RESet", "running": "STARt", "stopped": "STOP",
                                         "timeup": "TIMEup", "error": "ERRor"})
    item_count = measurement(":NUM:NORM:NUM?", "Number of items :NUM:NORM:VAL? returns.", get_process=int)

    _RATE_CONTROLS: ClassVar[dict[str, str]] = {":RATE": "_rate_s", ":SAMP:RATE": "_sample_rate_s"}

    def __init__(self, transport: Transport, *, check_set_errors: bool = True, name: str = "power analyzer",
                 resource_manager: Any = None, identity: Identification | str | None = None,
                 rate_command: str | None = None) -> None:
        super().__init__(transport, check_set_errors=check_set_errors, name=name)
        self._resource_manager = resource_manager
        self._items: tuple[str, ...] | None = None
        self._identity = Identification.parse(identity) if isinstance(identity, str) else identity
        self._rate_override = normalise_rate_command(rate_command) if rate_command is not None else None
        self._sensor: ExternalSensor | None = None

    @classmethod
    def open(cls, resource: str, timeout_s: float = 2.0, visa_library: str = "@py", *,
             rate_command: str | None = None, external_sensor_mv_per_a: float | None = None,
             external_sensor_option: str = "EX1", **kwargs: Any) -> PowerAnalyzer:
        """Open ``resource`` through pyvisa (:func:`instruments.visa.open_visa_resource`: ``\\n``
        terminations on raw sockets and serial lines, Nagle off on sockets, ``timeout_s`` on every
        read) and :meth:`initialise` it.
        With ``external_sensor_mv_per_a`` the external sensor input is selected (:meth:`use_external_sensor`).
        """
        manager, visa = open_visa_resource(resource, timeout_s, visa_library)
        analyzer = cls(visa, name=f"power analyzer {resource}", resource_manager=manager,
                       rate_command=rate_command, **kwargs)

        def prepare(opened: PowerAnalyzer) -> None:
            opened.initialise()
            if external_sensor_mv_per_a is not None:
                opened.use_external_sensor(external_sensor_mv_per_a, external_sensor_option)

        return close_on_failure(analyzer, prepare)

    @classmethod
    def from_resource(cls, settings: dict[str, Any]) -> PowerAnalyzer:
        """Open from a profile's resource table: ``resource`` (required), ``timeout_s``,
        ``rate_command``, ``external_sensor_mv_per_a``, ``external_sensor_option`` (EX1/EX2)."""
        ratio = settings.get("external_sensor_mv_per_a")
        return cls.open(str(settings["resource"]), timeout_s=float(settings.get("timeout_s", 2.0)),
                        rate_command=settings.get("rate_command"),
                        external_sensor_mv_per_a=float(ratio) if ratio is not None else None,
                        external_sensor_option=str(settings.get("external_sensor_option", "EX1")))

    def initialise(self) -> None:
        """Headers off (replies are bare values), an empty error queue so that any error reported
        from now on belongs to this session's commands, and ``*IDN?`` once: model and firmware
        decide the current ranges and the update-rate command."""
        self.write(HEADER_OFF)
        self.write(CLEAR_STATUS)
        self._identity = self.identification

    def reset(self) -> None:
        """``*RST`` (factory settings: direct input, auto ranges, integration reset) and ``*CLS``;
        items, and an external sensor, must be configured again."""
        self.write(RESET)
        self.write(CLEAR_STATUS)
        self._items = None
        self._sensor = None

    # --- identity ------------------------------------------------------------------------------
    @property
    def identity(self) -> Identification:
        """``*IDN?`` as read once (at :meth:`initialise`, or now if it was never read)."""
        if self._identity is None:
            self._identity = self.identification
        return self._identity

    def identify(self) -> str:
        return ",".join(vars(self.identity).values())

    @property
    def rate_command(self) -> str:
        """The update-rate header this unit understands (short form): the override if given, else
        the firmware field's (:func:`rate_command_for`)."""
        return self._rate_override or rate_command_for(self.identity.firmware)

    @property
    def update_rate_s(self) -> float:
        """Data update period (s): readings average over it. ``:RATE`` or ``:SAMP:RATE`` by firmware."""
        return float(getattr(self, self._RATE_CONTROLS[self.rate_command]))

    @update_rate_s.setter
    def update_rate_s(self, value: float) -> None:
        setattr(self, self._RATE_CONTROLS[self.rate_command], value)

    # --- current input and ranges ----------------------------------------------------------------
    @property
    def external_sensor(self) -> ExternalSensor | None:
        """The sensor in use, or None on the direct input."""
        return self._sensor

    @property
    def current_ranges_a(self) -> tuple[float, ...]:
        """The current ranges (A) of the input in use: the model's direct ranges, or the sensor
        input's voltage ranges mapped to amps by the sensor's ratio."""
        if self._sensor is not None:
            return self._sensor.ranges_a
        return direct_ranges_for(self.identity.model)

    def pick_current_range(self, expected_a: float) -> float:
        """The range (A) :meth:`set_current_range_for` would set for an expected rms current;
        :class:`CurrentBeyondRanges` (a ``ValueError``) when no range of this input holds it."""
        ranges = self.current_ranges_a
        try:
            return pick_range(expected_a, ranges)
        except CurrentBeyondRanges:
            if self._sensor is not None:
                raise CurrentBeyondRanges(
                    f"{expected_a:g} A exceeds the largest range of the external sensor input "
                    f"({max(ranges):g} A at {self._sensor.mv_per_a:g} mV/A): use a sensor with a smaller "
                    f"mV/A ratio") from None
            raise CurrentBeyondRanges(
                f"{expected_a:g} A exceeds the {self.identity.model}'s largest direct-input range "
                f"({max(ranges):g} A): an external current sensor is needed (profile key "
                f"external_sensor_mv_per_a)") from None

    def set_current_range_for(self, expected_a: float) -> float:
        """Set the smallest current range holding ``expected_a`` × :data:`RANGE_HEADROOM` on the
        input in use (auto-range off) and return it in A."""
        range_a = self.pick_current_range(expected_a)
        if self._sensor is None:
            self.send(CURRENT_RANGE.format(format_number(range_a)))
        else:
            volts = self._sensor.ranges_v[self._sensor.ranges_a.index(range_a)]  # the exact volts token
            self.send(EXTERNAL_RANGE.format(format_number(volts)))
        return range_a

    def use_external_sensor(self, mv_per_a: float, option: str = "EX1") -> float:
        """Measure current through a sensor of ``mv_per_a`` on the external sensor input of
        ``option`` (``EX1``: 2.5-10 V, ``EX2``: 50 mV-2 V): set the ratio (the instrument then
        reports amps), select the input on its largest range (nothing can over-range before
        :meth:`set_current_range_for` narrows it) and return that range in A."""
        ratio = _sensor_ratio(mv_per_a)
        key = option.strip().upper().lstrip("/")
        if key not in EXTERNAL_SENSOR_RANGES_V:
            raise ValueError(f"external sensor option must be one of {sorted(EXTERNAL_SENSOR_RANGES_V)}, "
                             f"got {option!r}")
        sensor = ExternalSensor(ratio, EXTERNAL_SENSOR_RANGES_V[key])
        self.send(SENSOR_RATIO.format(format_number(ratio)))
        self.send(EXTERNAL_RANGE.format(format_number(max(sensor.ranges_v))))
        self._sensor = sensor  # only once the instrument took both: the mode follows the instrument
        return max(sensor.ranges_a)

    def use_direct_input(self) -> float:
        """Back to the direct current input, on its largest range; return that range in A."""
        largest = max(direct_ranges_for(self.identity.model))
        self.send(CURRENT_RANGE.format(format_number(largest)))
        self._sensor = None
        return largest

    def current_range_a(self) -> float:
        """The current range in use, in A whichever the input; :class:`UnexpectedReply` if the
        instrument is on the other input than the driver set (e.g. changed at the front panel)."""
        reply = self.query(CURRENT_RANGE_QUERY)
        try:
            kind, value = parse_current_range(reply)
        except ValueError as error:
            raise UnexpectedReply(CURRENT_RANGE_QUERY, reply, str(error)) from None
        expected = "external" if self._sensor is not None else "direct"
        if kind != expected:
            raise UnexpectedReply(CURRENT_RANGE_QUERY, reply, f"the driver set the {expected} input")
        return self._sensor.amps(value) if self._sensor is not None else value

    # --- numeric data --------------------------------------------------------------------------
    def configure_items(self, functions: Iterable[str] = DEFAULT_ITEMS) -> tuple[str, ...]:
        """Make ``:NUM:NORM:VAL?`` return ``functions`` (element 1) in that order."""
        items = tuple(canonical_item(function) for function in functions)
        if not 1 <= len(items) <= 255:
            raise ValueError(f"1…255 items, got {len(items)}")
        self._items = None
        self.send(ITEM_COUNT.format(len(items)))
        for index, item in enumerate(items, start=1):
            self.send(ITEM.format(index, short_form(item), ELEMENT))
        self._items = items
        return items

    @property
    def items(self) -> tuple[str, ...]:
        if self._items is None:
            raise RuntimeError("numeric items are unknown: call configure_items() first")
        return self._items

    def read(self) -> Reading:
        """All configured items from one update; any NAN/INF raises :class:`InvalidReading`."""
        items = self.items
        reply = self.query(VALUES)
        raws = reply.split(",")
        if len(raws) != len(items):
            raise UnexpectedReply(VALUES, reply, f"{len(raws)} values for {len(items)} items {items}")
        values = {ITEM_FIELDS[item]: self._number(VALUES, raw, item) for item, raw in zip(items, raws)}
        return Reading(items=items, **values)

    def read_item(self, function: str) -> float:
        """One configured item (``:NUM:NORM:VAL? <x>``)."""
        item = canonical_item(function)
        if item not in self.items:
            raise ValueError(f"{item} is not among the configured items {self.items}")
        command = f"{VALUES} {self.items.index(item) + 1}"
        return self._number(command, self.query(command), item)

    def energy_wh(self) -> float:
        """Integrated active energy (item WH); NAN before any integration raises."""
        return self.read_item("WH")

    @staticmethod
    def _number(command: str, raw: str, item: str) -> float:
        try:
            return parse_number(raw, item)
        except ValueError:
            raise UnexpectedReply(command, raw, f"{item} is not a number") from None

    # --- integration ---------------------------------------------------------------------------
    def integration_start(self) -> None:
        self.send(INTEGRATION_START)

    def integration_stop(self) -> None:
        self.send(INTEGRATION_STOP)

    def integration_reset(self) -> None:
        self.send(INTEGRATION_RESET)

    # --- lifetime ------------------------------------------------------------------------------
    def __enter__(self) -> PowerAnalyzer:
        return self


def _sensor_ratio(mv_per_a: float) -> float:
    low, high = SENSOR_RATIO_MV_PER_A
    value = float(mv_per_a)
    if not (math.isfinite(value) and low <= value <= high):
        raise ValueError(f"sensor ratio must be {low:g}…{high:g} mV/A, got {mv_per_a!r}")
    return value
