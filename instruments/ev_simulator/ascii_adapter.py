"""Adapter for EV simulators that speak the ASCII line protocol of ``COMMANDS.md``.

One command per line, exactly one reply line per command (value, ``OK`` or ``ERR,<code>,"<msg>"``),
so the driver can never read a stale reply as the answer to a new command.  The transport is any
pyserial URL (``/dev/ttyUSB0``, ``socket://host:port``, ``rfc2217://host:port``, ``loop://``): the
same driver serves a bench port and the TCP twin.
"""
from __future__ import annotations

import math
import re
import threading
import time
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from instruments.ev_simulator.interface import (
    CP_STATES,
    CpMeasurement,
    EvSimulatorConnectionError,
    EvSimulatorError,
    EvSimulatorReplyError,
)

if TYPE_CHECKING:
    from instruments.roles import CpSample

# The command table (short forms), mirrored line by line in COMMANDS.md.
IDENTIFY = "*IDN?"
RESET = "*RST"
DEVICE_TIME = "SYST:TIME?"
CP_STATE = "CP:STAT {}"
DIODE_SHORT = "CP:DIOD:SHOR {}"
PE_OPEN = "PE:OPEN {}"
LOAD_CURRENT = "LOAD:CURR {}"
LOAD_RAMP = "LOAD:RAMP {}"
LOAD_FOLLOW = "LOAD:FOLL {}"
RESIDUAL_DC = "RCD:DC {}"
RESIDUAL_AC = "RCD:AC {}"
MEASURE_CP = "MEAS:CP?"
MEASURE_MAINS = "MEAS:MAIN?"
MEASURE_CURRENT = "MEAS:CURR?"
MEASURE_CONTACTOR_DELAY = "MEAS:TIME:CONT?"
MEASURE_TRIP_TIME = "MEAS:TIME:TRIP?"

OK = "OK"
NAN = "NAN"
_ERR = re.compile(r'^ERR,(?P<code>[+-]?\d+),"(?P<message>(?:[^"]|"")*)"$')


class SerialLike(Protocol):
    """The part of ``serial.Serial`` the driver uses (a scripted fake in the driver tests)."""

    def write(self, data: bytes) -> int | None: ...

    def readline(self) -> bytes: ...

    def close(self) -> None: ...


def _number(value: float, what: str) -> str:
    """Format a setting; NaN or infinity never goes on the wire."""
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    return format(float(value), ".6g")


def _on_off(on: bool) -> str:
    return "ON" if on else "OFF"


class AsciiEvSimulator:
    """:class:`~instruments.ev_simulator.interface.EvSimulator` over the ASCII line protocol.

    One box that plays five roles of instruments/roles.py (CP control with every CP/PE fault, an EV
    load that decodes the PWM and can be told to overdraw, residual current, an on-demand CP scope,
    mains sense) and has two timers on mains presence at the EV side, used only where a profile
    declares them: ``contactor`` (``MEAS:TIME:CONT?``, from the last CP state) and ``trip``
    (``MEAS:TIME:TRIP?``, from the last residual-current change to the loss of mains).  Its device
    clock (``SYST:TIME?``) is not used for timing: no CP-load product has one to offer; the rig
    stamps readings with the host's clock.
    """

    ROLES: ClassVar[dict[str, frozenset[str]]] = {
        "cp_control": frozenset({"states", "diode_short", "cp_pe_short", "pe_open"}),
        "ev_load": frozenset({"current", "ramp", "follows_pwm", "overdraw"}),
        "residual_current": frozenset({"dc", "ac"}),
        "cp_measurement": frozenset({"frequency", "duty", "levels"}),
        "mains_sense": frozenset({"present"}),
    }
    TIMERS: ClassVar[frozenset[str]] = frozenset({"contactor", "trip"})
    resolution_s = 0.0  # an on-demand measurement: its window is the query itself

    def __init__(self, port: SerialLike, *, encoding: str = "ascii") -> None:
        self._port = port
        self._encoding = encoding
        self._lock = threading.Lock()  # one exchange at a time: replies are matched by order
        self._out_of_sync = False
        self._load_a = 0.0  # the last LOAD:CURR asked through set_load_current (restored after an overdraw)

    @classmethod
    def open(cls, url: str, baudrate: int = 115200, timeout_s: float = 1.0) -> AsciiEvSimulator:
        """Open any pyserial URL; ``timeout_s`` bounds the wait for each reply line."""
        import serial  # imported here so the driver tests need no pyserial

        try:
            port = serial.serial_for_url(url, baudrate=baudrate, timeout=timeout_s)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise EvSimulatorConnectionError(f"cannot open {url}: {exc}", "<open>") from exc
        return cls(port)

    @classmethod
    def from_resource(cls, settings: dict[str, Any]) -> AsciiEvSimulator:
        """Open from a profile resource table (``url``, ``baudrate``, ``timeout_s``)."""
        return cls.open(str(settings["url"]), baudrate=int(settings.get("baudrate", 115200)),
                        timeout_s=float(settings.get("timeout_s", 2.0)))

    # --- roles (instruments/roles.py) -----------------------------------------------------------
    def set_state(self, state: str) -> None:
        self.set_cp_state(state)

    def set_cp_pe_short(self, on: bool) -> None:
        """CP shorted to PE is this box's CP state E; removing it leaves the EV unplugged (A)."""
        self.set_cp_state("E" if on else "A")

    def cp_safe(self) -> None:
        self.reset()  # *RST: state A, no faults, no load (following the PWM), no residual current

    def load_safe(self) -> None:
        self.set_load_current(0.0)

    def set_overdraw(self, amps: float | None) -> None:
        """Draw ``amps`` whatever the PWM advertises (``LOAD:FOLL OFF``); None: follow the PWM again,
        within the current last asked through :meth:`set_load_current`.

        The current is set while the load still follows, so the overdraw starts at one instant (the
        ``LOAD:FOLL OFF``); following is restored before the current goes back, so the EV never draws
        more than advertised on the way back."""
        if amps is None:
            self.command(LOAD_FOLLOW.format("ON"))
            self.command(LOAD_CURRENT.format(_number(self._load_a, "amps")))
            return
        self.command(LOAD_CURRENT.format(_number(amps, "amps")))
        self.command(LOAD_FOLLOW.format("OFF"))

    def set_residual(self, dc_ma: float = 0.0, ac_ma: float = 0.0) -> None:
        self.inject_residual_current(dc_ma=dc_ma, ac_ma=ac_ma)

    def residual_safe(self) -> None:
        self.inject_residual_current(0.0, 0.0)

    def sample_cp(self) -> CpSample:
        """One on-demand CP measurement and the host-time window of its query."""
        from instruments.roles import CpSample  # noqa: PLC0415 - roles imports this package's interface

        before = time.monotonic()
        cp = self.measure_cp()
        return CpSample(cp, (before, time.monotonic()))

    # --- the exchange -------------------------------------------------------------------------
    def query(self, command: str) -> str:
        """Send one command line and return its reply line; ``ERR`` raises
        :class:`EvSimulatorError`, no complete reply raises :class:`EvSimulatorConnectionError`."""
        with self._lock:
            if self._out_of_sync:
                self._discard_late_replies()
            try:
                self._port.write((command + "\n").encode(self._encoding))
                raw = self._port.readline()
            except (OSError, ValueError) as exc:  # serial.SerialException is an OSError
                self._out_of_sync = True
                raise EvSimulatorConnectionError(str(exc) or type(exc).__name__, command) from exc
            if not raw.endswith(b"\n"):
                self._out_of_sync = True  # a late reply may still arrive: drop it before the next command
                reason = "no reply before the timeout" if not raw else f"incomplete reply {raw!r}"
                raise EvSimulatorConnectionError(reason, command)
        try:
            reply = raw.decode(self._encoding).strip()
        except UnicodeDecodeError as exc:
            raise EvSimulatorReplyError("not ASCII", command, repr(raw)) from exc
        if reply.startswith("ERR"):
            match = _ERR.match(reply)
            if match is None:
                raise EvSimulatorReplyError("malformed error reply", command, reply)
            raise EvSimulatorError(int(match["code"]), match["message"].replace('""', '"'), command)
        return reply

    def command(self, command: str) -> None:
        """Send a setting; anything but ``OK`` is an error."""
        reply = self.query(command)
        if reply != OK:
            raise EvSimulatorReplyError(f"expected {OK}", command, reply)

    def _discard_late_replies(self) -> None:
        reset = getattr(self._port, "reset_input_buffer", None)
        if reset is not None:
            reset()
        self._out_of_sync = False

    def _float(self, command: str) -> float:
        reply = self.query(command)
        return self._parse_float(reply, command, reply)

    @staticmethod
    def _parse_float(text: str, command: str, reply: str) -> float:
        try:
            value = float(text)
        except ValueError as exc:
            raise EvSimulatorReplyError("not a number", command, reply) from exc
        if not math.isfinite(value):
            raise EvSimulatorReplyError("no value (NAN/INF) where a value is required", command, reply)
        return value

    # --- EvSimulator --------------------------------------------------------------------------
    def identify(self) -> str:
        return self.query(IDENTIFY)

    def reset(self) -> None:
        self.command(RESET)
        self._load_a = 0.0  # *RST: no load, following the PWM

    def set_cp_state(self, state: str) -> None:
        letter = state.strip().upper()
        if letter not in CP_STATES:
            raise ValueError(f"CP state must be one of {', '.join(CP_STATES)}, got {state!r}")
        self.command(CP_STATE.format(letter))

    def set_diode_short(self, on: bool) -> None:
        self.command(DIODE_SHORT.format(_on_off(on)))

    def set_pe_open(self, on: bool) -> None:
        self.command(PE_OPEN.format(_on_off(on)))

    def set_load_current(self, amps: float, ramp_a_per_s: float | None = None) -> None:
        # Ramp first, so the new current is approached at the requested rate.
        if ramp_a_per_s is not None:
            self.command(LOAD_RAMP.format(_number(ramp_a_per_s, "ramp_a_per_s")))
        self.command(LOAD_CURRENT.format(_number(amps, "amps")))
        self._load_a = float(amps)

    def inject_residual_current(self, dc_ma: float = 0.0, ac_ma: float = 0.0) -> None:
        self.command(RESIDUAL_DC.format(_number(dc_ma, "dc_ma")))
        self.command(RESIDUAL_AC.format(_number(ac_ma, "ac_ma")))

    def measure_cp(self) -> CpMeasurement:
        reply = self.query(MEASURE_CP)
        fields = reply.split(",")
        if len(fields) != 4:
            raise EvSimulatorReplyError("expected <freq_hz>,<duty_percent>,<high_v>,<low_v>", MEASURE_CP, reply)
        freq, duty, high, low = (self._parse_float(f, MEASURE_CP, reply) for f in fields)
        return CpMeasurement(frequency_hz=freq, duty_percent=duty, high_v=high, low_v=low)

    def mains_present(self) -> bool:
        reply = self.query(MEASURE_MAINS)
        if reply not in ("0", "1"):
            raise EvSimulatorReplyError("expected 1 or 0", MEASURE_MAINS, reply)
        return reply == "1"

    def load_current_a(self) -> float:
        return self._float(MEASURE_CURRENT)

    def contactor_delay_ms(self) -> float | None:
        reply = self.query(MEASURE_CONTACTOR_DELAY)
        if reply.upper() == NAN:
            return None  # the documented "no change since the last CP:STATe"
        return self._parse_float(reply, MEASURE_CONTACTOR_DELAY, reply)

    def trip_time_ms(self) -> float | None:
        """The trip timer: ms from the last residual-current change to the first loss of mains presence
        after it; None (``NAN``) when mains has not been lost since."""
        reply = self.query(MEASURE_TRIP_TIME)
        if reply.upper() == NAN:
            return None
        return self._parse_float(reply, MEASURE_TRIP_TIME, reply)

    def device_time_s(self) -> float:
        return self._float(DEVICE_TIME)

    def close(self) -> None:
        self._port.close()

    def __enter__(self) -> AsciiEvSimulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
