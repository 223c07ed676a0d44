"""Driver for the Yokogawa WT300E series (WT310E/WT310EH) power analyzer over VISA.

The reference meter of the metering suites (field-facts §6): it must fail loudly rather than hand
a suite a number it did not measure, so NAN ("no data") and INF ("over range") raise
:class:`InvalidReading`, a rejected setting raises :class:`InstrumentError` at the line that sent
it, and a silent instrument raises :class:`InstrumentConnectionError` (a bench fault, not a
measurement verdict). Commands are the manual's short forms (field-facts §7); the class body is
the command table.
"""
from __future__ import annotations

import socket as socket_module
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pyvisa
import pyvisa.constants
import pyvisa.errors

from instruments.power_analyzer.scpi import (
    InstrumentConnectionError,
    ScpiInstrument,
    Transport,
    UnexpectedReply,
    control,
    measurement,
    mnemonic_matches,
    parse_number,
    short_form,
)

# Crest factor 3 ranges. Current: WT310E direct input (5 mA … 20 A) and WT310EH (1 … 40 A); the
# instrument rejects a range its model lacks (-224), which the set-error check turns into an error.
VOLTAGE_RANGES_V = (15.0, 30.0, 60.0, 150.0, 300.0, 600.0)
CURRENT_RANGES_A = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 40.0)
UPDATE_RATES_S = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0)
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
ITEM_COUNT = ":NUM:NORM:NUM {}"
ITEM = ":NUM:NORM:ITEM{} {},{}"
VALUES = ":NUM:NORM:VAL?"
INTEGRATION_START = ":INTEG:STAR"
INTEGRATION_STOP = ":INTEG:STOP"
INTEGRATION_RESET = ":INTEG:RES"


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


def _timer_to_hms(seconds: int) -> str:
    if not 0 <= int(seconds) <= MAX_INTEGRATION_TIMER_S or int(seconds) != seconds:
        raise ValueError(f"integration timer must be whole seconds in 0…{MAX_INTEGRATION_TIMER_S}, got {seconds}")
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours},{rest // 60},{rest % 60}"


def _hms_to_timer(reply: str) -> int:
    hours, minutes, seconds = (int(float(part)) for part in reply.split(","))
    return hours * 3600 + minutes * 60 + seconds


def _disable_nagle(visa: Any) -> bool:
    """Turn Nagle off on a raw socket, as NI-VISA does by default (VI_ATTR_TCPIP_NODELAY = true).

    pyvisa-py leaves Nagle on, so a set command followed by the error-queue query waits out the
    peer's delayed ACK (~40 ms each), and some instruments' LAN firmware mishandles the coalesced
    segments (nominal-io/instro#156). pyvisa-py 0.8 wires the attribute's setter to a stub that
    raises UnknownAttribute, hence the fallback to its session's socket. Best effort: False if
    neither route exists (the link still works, only slower).
    """
    try:
        visa.set_visa_attribute(pyvisa.constants.ResourceAttribute.tcpip_nodelay, pyvisa.constants.VI_TRUE)
        return True
    except Exception:  # noqa: BLE001 - any refusal just means "try the socket itself"
        pass
    sessions = getattr(getattr(visa, "visalib", None), "sessions", None)
    session = sessions.get(getattr(visa, "session", None)) if isinstance(sessions, dict) else None
    sock = getattr(session, "interface", None)
    if isinstance(sock, socket_module.socket):
        sock.setsockopt(socket_module.IPPROTO_TCP, socket_module.TCP_NODELAY, 1)
        return True
    return False


class PowerAnalyzer(ScpiInstrument):
    """WT300E-series power analyzer. Build with :meth:`open` (VISA) or from any transport."""

    error_query = ":STAT:ERR?"
    connection_errors = (OSError, EOFError, pyvisa.errors.VisaIOError, pyvisa.errors.InvalidSession)

    identification = measurement("*IDN?", "Manufacturer, model, serial, firmware.",
                                 get_process=Identification.parse)
    voltage_range = control(":INP:VOLT:RANG?", ":INP:VOLT:RANG {}", "Voltage range (V); setting it turns auto off.",
                            values=VOLTAGE_RANGES_V, get_process=parse_number)
    voltage_auto_range = control(":INP:VOLT:AUTO?", ":INP:VOLT:AUTO {}", "Voltage auto-range.", map=ON_OFF)
    current_range = control(":INP:CURR:RANG?", ":INP:CURR:RANG {}", "Current range (A); setting it turns auto off.",
                            values=CURRENT_RANGES_A, get_process=parse_number)
    current_auto_range = control(":INP:CURR:AUTO?", ":INP:CURR:AUTO {}", "Current auto-range.", map=ON_OFF)
    update_rate_s = control(":RATE?", ":RATE {}", "Data update period (s): readings average over it.",
                            values=UPDATE_RATES_S, get_process=parse_number)
    integration_mode = control(":INTEG:MODE?", ":INTEG:MODE {}", "Integration mode.",
                               map={"normal": "NORMal", "continuous": "CONTinuous"})
    integration_timer_s = control(":INTEG:TIM?", ":INTEG:TIM {}", "Integration timer (whole s; 0 = manual stop).",
                                  get_process=_hms_to_timer, set_process=_timer_to_hms)
    integration_state = measurement(":INTEG:STAT?", "Integration state.",
                                    map={"reset": "RESet", "running": "STARt", "stopped": "STOP",
                                         "timeup": "TIMEup", "error": "ERRor"})
    item_count = measurement(":NUM:NORM:NUM?", "Number of items :NUM:NORM:VAL? returns.", get_process=int)

    def __init__(self, transport: Transport, *, check_set_errors: bool = True, name: str = "power analyzer",
                 resource_manager: Any = None) -> None:
        super().__init__(transport, check_set_errors=check_set_errors, name=name)
        self._resource_manager = resource_manager
        self._items: tuple[str, ...] | None = None

    @classmethod
    def open(cls, resource: str, timeout_s: float = 2.0, visa_library: str = "@py",
             **kwargs: Any) -> PowerAnalyzer:
        """Open ``resource`` through pyvisa, set terminations for raw sockets and serial lines
        (without them pyvisa-py waits for an END that never comes, field-facts §7), give every
        read a timeout, and turn reply headers off."""
        try:
            manager = pyvisa.ResourceManager(visa_library)
            visa = manager.open_resource(resource, open_timeout=int(timeout_s * 1000))
        except Exception as error:  # noqa: BLE001 - pyvisa-py raises a bare Exception on connect timeout
            raise InstrumentConnectionError(f"cannot open {resource}: {error}") from error
        visa.timeout = timeout_s * 1000.0  # pyvisa counts milliseconds
        upper = resource.upper()
        socket = upper.startswith("TCPIP") and upper.endswith("::SOCKET")
        if upper.startswith("ASRL") or socket:
            visa.read_termination = "\n"
            visa.write_termination = "\n"
        if socket:
            _disable_nagle(visa)
        analyzer = cls(visa, name=f"power analyzer {resource}", resource_manager=manager, **kwargs)
        try:
            analyzer.initialise()
        except BaseException:
            analyzer.close()
            raise
        return analyzer

    def initialise(self) -> None:
        """Headers off (replies are bare values), and an empty error queue so that any error
        reported from now on belongs to this session's commands."""
        self.write(HEADER_OFF)
        self.write(CLEAR_STATUS)

    def reset(self) -> None:
        """``*RST`` (factory settings, integration reset) and ``*CLS``; items must be configured again."""
        self.write(RESET)
        self.write(CLEAR_STATUS)
        self._items = None

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
    def close(self) -> None:
        super().close()
        if self._resource_manager is not None:
            try:
                self._resource_manager.close()
            except self.connection_errors:
                pass
            self._resource_manager = None

    def __enter__(self) -> PowerAnalyzer:
        return self
