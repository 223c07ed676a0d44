"""ESPEC SH/SU-series bench-top environmental chamber (e.g. SH-241, SU-241) as the bench's ``thermal``
role: the charger (or its board) sits in the chamber, and the chamber's setpoint drives its temperature.
Feature ``board_temperature``.

The chamber speaks ESPEC's own line protocol over RS-232C (or a serial-to-LAN adapter), not SCPI:

* A *monitor* command (``TEMP?``, ``TYPE?``) is answered with its data; a *setting* command is answered
  ``OK:<the command>`` when processed and ``NA:<error message>`` when not (ESPEC *Communication
  Function Operation Manual*, §1.3 "Transmitted Data": "When the setting command is correctly
  processed "OK : address, setting command" / When ... not correctly processed "NA : error message"",
  https://www.easymanua.ls/espec/ehs-211m/manual?p=10; the SH/SU series, addressed one to one, omit
  the address).
* ``TEMP?`` → ``<monitored temperature>,<target temperature>,<upper alarm>,<lower alarm>``;
  ``TEMP, S<°C>`` sets the target; ``MODE, CONSTANT`` runs constant-temperature operation, ``MODE,
  STANDBY`` stops temperature control; ``POWER, ON|OFF`` the control power; ``TYPE?`` identifies the
  chamber (e.g. ``T,T,S2,160.0`` from an SH-641); lines end in CR LF.  Command set and reply shapes
  as used by the public SH-641 driver of akaeba/ATWG (``ATWG/driver/espec/sh641.py``,
  ``sh641Const.py``: ``TEMP?``, ``TEMP,S``, ``POWER,``, ``MODE,CONSTANT|STANDBY|OFF``, ``TYPE?``,
  replies ``OK:TEMP,S25`` / ``NA``, ``\\r\\n``) and the ESPEC command manual's ``TEMP, S23.0``.

The model used by the virtual bench has one temperature: the chamber's air and the board are one
(a heater clamped on the board's sensor behaves the same).  On a real bench the chamber's own sensor
reads the air, which the board follows (plus its self-heating); the suites wait for the charger's own
reading, never assume it.

The transport is any pyserial URL (``/dev/ttyUSB0``, ``socket://host:port``, ``rfc2217://host:port``),
so the same driver serves a chamber's RS-232 port and the TCP twin.
"""
from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from instruments.errors import BenchFault

TERMINATOR = b"\r\n"
IDENTIFY = "TYPE?"
TEMPERATURE = "TEMP?"
SET_TEMPERATURE = "TEMP, S{:.1f}"
MODE = "MODE, {}"
CONSTANT = "CONSTANT"
STANDBY = "STANDBY"
_REFUSED = re.compile(r"^NA\s*:(.*)$", re.IGNORECASE)  # "NA:<message>" (not a reading such as "nan,...")


ROOM_C = 25.0
"""The chamber's safe setpoint: the room temperature a charger's tests assume (°C)."""


class SerialLike(Protocol):
    def write(self, data: bytes) -> int | None: ...

    def readline(self) -> bytes: ...

    def close(self) -> None: ...


class ChamberError(Exception):
    """The chamber refused a setting (``NA:<message>``): the suite asked for something it cannot do."""

    def __init__(self, message: str, command: str) -> None:
        super().__init__(f"chamber refused {command!r}: {message}")
        self.message = message
        self.command = command


class ChamberConnectionError(BenchFault):
    """No complete reply in time, or the port failed: a bench fault, no verdict on the charger."""

    def __init__(self, reason: str, command: str) -> None:
        super().__init__(f"chamber did not answer {command!r}: {reason}")
        self.reason = reason
        self.command = command


class ChamberReplyError(BenchFault):
    """A reply the driver cannot use (garbled, or not the acknowledgement of what was sent)."""

    def __init__(self, reason: str, command: str, reply: str) -> None:
        super().__init__(f"chamber reply {reply!r} to {command!r} unusable: {reason}")
        self.reason = reason
        self.command = command
        self.reply = reply


@dataclass(frozen=True)
class TemperatureStatus:
    """``TEMP?``: what the chamber measures, its target and its alarm limits (°C)."""

    measured_c: float
    target_c: float
    upper_alarm_c: float
    lower_alarm_c: float

    @classmethod
    def parse(cls, reply: str) -> TemperatureStatus:
        fields = [field.strip() for field in reply.split(",")]
        if len(fields) != 4:
            raise ValueError("expected <measured>,<target>,<upper alarm>,<lower alarm>")
        values = [float(field) for field in fields]
        if not all(math.isfinite(value) for value in values):
            raise ValueError("a temperature is not a finite number")
        return cls(*values)


class EspecShChamber:
    """The chamber: build with :meth:`open` or :meth:`from_resource`, or around any port for tests."""

    ROLES: ClassVar[dict[str, frozenset[str]]] = {"thermal": frozenset({"board_temperature"})}
    TIMERS: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, port: SerialLike) -> None:
        self._port = port
        self._lock = threading.Lock()  # one exchange at a time: replies are matched by order

    @classmethod
    def open(cls, url: str, baudrate: int = 9600, timeout_s: float = 2.0) -> EspecShChamber:
        """Open any pyserial URL; ``timeout_s`` bounds the wait for each reply line."""
        import serial  # imported here so the scripted tests need no pyserial

        try:
            port = serial.serial_for_url(url, baudrate=baudrate, timeout=timeout_s)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise ChamberConnectionError(f"cannot open {url}: {exc}", "<open>") from exc
        return cls(port)

    @classmethod
    def from_resource(cls, settings: dict[str, Any]) -> EspecShChamber:
        """Profile keys: ``url`` (pyserial URL), ``baudrate`` (9600), ``timeout_s`` (2)."""
        return cls.open(str(settings["url"]), baudrate=int(settings.get("baudrate", 9600)),
                        timeout_s=float(settings.get("timeout_s", 2.0)))

    # --- the exchange -------------------------------------------------------------------------
    def query(self, command: str) -> str:
        """Send one line, return the reply line; ``NA:`` raises :class:`ChamberError`."""
        with self._lock:
            try:
                self._port.write(command.encode("ascii") + TERMINATOR)
                raw = self._port.readline()
            except (OSError, ValueError) as exc:  # serial.SerialException is an OSError
                raise ChamberConnectionError(str(exc) or type(exc).__name__, command) from exc
        if not raw.endswith(b"\n"):
            raise ChamberConnectionError("no reply before the timeout" if not raw else f"incomplete reply {raw!r}",
                                         command)
        try:
            reply = raw.decode("ascii").strip()
        except UnicodeDecodeError as exc:
            raise ChamberReplyError("not ASCII", command, repr(raw)) from exc
        refused = _REFUSED.match(reply)
        if refused:
            raise ChamberError(refused.group(1).strip(), command)
        return reply

    def command(self, command: str) -> None:
        """A setting: the reply must be ``OK:`` and name the command sent."""
        reply = self.query(command)
        status, _, echoed = reply.partition(":")
        if status.strip().upper() != "OK" or _compact(echoed) != _compact(command):
            raise ChamberReplyError(f"expected OK:{command}", command, reply)

    # --- role: thermal -------------------------------------------------------------------------
    def set_temperature(self, celsius: float) -> None:
        """Hold ``celsius`` in constant-temperature operation (target first, then the mode)."""
        if not math.isfinite(celsius):
            raise ValueError(f"chamber temperature must be finite, got {celsius!r}")
        self.command(SET_TEMPERATURE.format(celsius))
        self.command(MODE.format(CONSTANT))

    def measured_temperature(self) -> float:
        """What the chamber's sensor reads (°C)."""
        return self.status().measured_c

    def thermal_safe(self) -> None:
        """Hold room temperature (:data:`ROOM_C`) in constant mode.  Standby would stop the control and
        leave a board that a failed test heated to its critical threshold hot for many minutes, so the
        next test would meet a derating it never asked for; holding room temperature brings it back."""
        self.set_temperature(ROOM_C)

    def status(self) -> TemperatureStatus:
        reply = self.query(TEMPERATURE)
        try:
            return TemperatureStatus.parse(reply)
        except ValueError as exc:
            raise ChamberReplyError(str(exc), TEMPERATURE, reply) from None

    # --- identity and lifetime -----------------------------------------------------------------
    def identify(self) -> str:
        return self.query(IDENTIFY)

    def close(self) -> None:
        self._port.close()

    def __enter__(self) -> EspecShChamber:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _compact(text: str) -> str:
    """A command without its blanks, in upper case (``TEMP, S60.0`` = ``temp,s60.0``)."""
    return "".join(text.split()).upper()


__all__ = ["ChamberConnectionError", "ChamberError", "ChamberReplyError", "EspecShChamber", "TemperatureStatus"]
