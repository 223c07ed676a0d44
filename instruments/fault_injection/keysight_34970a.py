"""Keysight (Agilent) 34970A / 34972A data acquisition unit with a 34903A actuator module as the
bench's contactor-fault relay box (role ``fault_injection``).

Two channels of the 34903A's 20 SPDT (form C) relays are wired to the charger's contactor, each through
an external power relay rated for the charging current (a 34903A contact switches 300 V / 1 A: it drives
the power relay's coil, never the charging current itself):

* ``welded_channel``: the power relay's normally-open contact **across** the contactor's contacts.
  Channel closed: the contactor is bypassed, the EV side stays supplied whatever the charger commands
  (a welded contactor).
* ``stuck_open_channel``: the power relay's normally-closed contact **in series** with the contactor.
  Channel closed: the series contact opens, the EV side is never supplied (a contactor stuck open).

The convention is the same for both: **channel closed = fault active**, channel open = no fault.  So
the module's own safe state (every channel open: ``*RST``, power-up, ``ROUTe:OPEN``) is "no fault", and
:meth:`faults_safe` is one ``ROUT:OPEN`` of both channels.

Sources:

* [U] *Keysight 34970A/34972A Data Acquisition / Switch Unit User's Guide*, chapter 7 "Actuators and
  General-Purpose Switching" (https://www.easymanua.ls/keysight/34972a/manual?p=321): the 34903A
  "provides 20 independent, isolated SPDT (single-pole, double-throw) or Form C switches"; with a
  channel open "the normally-closed contacts ... are connected to COM".
* [R] *HP 34970A User's Guide*, chapter 5 "Remote Interface Reference", Switch Control Commands
  (https://manualsdump.com/en/manuals/hp-34970a/285793/257): ``ROUTe:CLOSe (@<ch_list>)``,
  ``ROUTe:OPEN (@<ch_list>)``, ``ROUTe:CLOSe? (@<ch_list>)`` "Returns 1 if the channel is closed or 0
  if the channel is open" (one value per channel, comma-separated), channel numbers ``scc`` (slot 1-3,
  channel 01-20: ``(@101)``).
* ``*IDN?``, ``*CLS`` and ``SYSTem:ERRor?`` (``<code>,"<message>"``) are the unit's IEEE 488.2 common
  commands and SCPI error queue ([R], same chapter).
"""
from __future__ import annotations

from typing import Any, ClassVar

import pyvisa
import pyvisa.errors

from instruments.power_analyzer.scpi import ScpiInstrument, Transport, UnexpectedReply, measurement
from instruments.power_analyzer.wt300 import Identification
from instruments.visa import close_on_failure, open_visa_resource

CLEAR_STATUS = "*CLS"
CLOSE = "ROUT:CLOS (@{})"
OPEN = "ROUT:OPEN (@{})"
CLOSED_QUERY = "ROUT:CLOS? (@{})"
DEFAULT_WELDED_CHANNEL = 101
DEFAULT_STUCK_OPEN_CHANNEL = 102


def _channel(value: Any, what: str) -> int:
    """A 34903A channel ``scc``: slot 1-3, channel 01-20 ([R])."""
    channel = int(value)
    slot, number = divmod(channel, 100)
    if not (1 <= slot <= 3 and 1 <= number <= 20):
        raise ValueError(f"{what} must be a 34903A channel 101-120, 201-220 or 301-320, got {value!r}")
    return channel


class Keysight34970aRelayBox(ScpiInstrument):
    """The relay box: build with :meth:`open` or :meth:`from_resource`, or around any transport for tests."""

    ROLES: ClassVar[dict[str, frozenset[str]]] = {
        "fault_injection": frozenset({"contactor_welded", "contactor_stuck_open"}),
    }
    TIMERS: ClassVar[frozenset[str]] = frozenset()

    error_query = "SYST:ERR?"
    connection_errors = (OSError, EOFError, pyvisa.errors.VisaIOError, pyvisa.errors.InvalidSession)

    identification = measurement("*IDN?", "Manufacturer, model, serial, firmware.",
                                 get_process=Identification.parse)

    def __init__(self, transport: Transport, *, check_set_errors: bool = True, name: str = "relay box",
                 welded_channel: int = DEFAULT_WELDED_CHANNEL,
                 stuck_open_channel: int = DEFAULT_STUCK_OPEN_CHANNEL, resource_manager: Any = None) -> None:
        super().__init__(transport, check_set_errors=check_set_errors, name=name)
        self.welded_channel = _channel(welded_channel, "welded_channel")
        self.stuck_open_channel = _channel(stuck_open_channel, "stuck_open_channel")
        if self.welded_channel == self.stuck_open_channel:
            raise ValueError(f"welded_channel and stuck_open_channel must differ, both are {welded_channel}")
        self._resource_manager = resource_manager

    # --- opening -------------------------------------------------------------------------------
    @classmethod
    def open(cls, resource: str, timeout_s: float = 2.0, visa_library: str = "@py",
             **kwargs: Any) -> Keysight34970aRelayBox:
        """Open ``resource`` through pyvisa, then clear the error queue; the relays are left as found
        (the rig's safe state opens them)."""
        manager, visa = open_visa_resource(resource, timeout_s, visa_library)
        box = cls(visa, name=f"relay box {resource}", resource_manager=manager, **kwargs)
        return close_on_failure(box, lambda opened: opened.write(CLEAR_STATUS))

    @classmethod
    def from_resource(cls, settings: dict[str, Any]) -> Keysight34970aRelayBox:
        """Profile keys: ``resource`` (VISA address), ``timeout_s`` (2), ``welded_channel`` (101),
        ``stuck_open_channel`` (102): where the two power relays' coils are wired."""
        return cls.open(str(settings["resource"]), timeout_s=float(settings.get("timeout_s", 2.0)),
                        welded_channel=settings.get("welded_channel", DEFAULT_WELDED_CHANNEL),
                        stuck_open_channel=settings.get("stuck_open_channel", DEFAULT_STUCK_OPEN_CHANNEL))

    # --- role: fault_injection -----------------------------------------------------------------
    def set_contactor_welded(self, on: bool) -> None:
        """Close (fault) or open (no fault) the relay across the contactor."""
        self.send((CLOSE if on else OPEN).format(self.welded_channel))

    def set_contactor_stuck_open(self, on: bool) -> None:
        """Close (fault: the series contact opens) or open (no fault) the relay in series."""
        self.send((CLOSE if on else OPEN).format(self.stuck_open_channel))

    def faults_safe(self) -> None:
        """Both channels open: no fault."""
        self.send(OPEN.format(f"{self.welded_channel},{self.stuck_open_channel}"))

    def faults_active(self) -> tuple[bool, bool]:
        """(welded, stuck open) as the relays are now (``ROUT:CLOS?`` of both channels)."""
        command = CLOSED_QUERY.format(f"{self.welded_channel},{self.stuck_open_channel}")
        reply = self.query(command)
        fields = [field.strip() for field in reply.split(",")]
        if len(fields) != 2 or any(field not in ("0", "1") for field in fields):
            raise UnexpectedReply(command, reply, "expected two 1/0 values")
        return fields[0] == "1", fields[1] == "1"

    # --- identity and lifetime -----------------------------------------------------------------
    def identify(self) -> str:
        ident = self.identification
        return f"{ident.manufacturer},{ident.model},{ident.serial},{ident.firmware}"

    def __enter__(self) -> Keysight34970aRelayBox:
        return self


__all__ = ["DEFAULT_STUCK_OPEN_CHANNEL", "DEFAULT_WELDED_CHANNEL", "Keysight34970aRelayBox"]
