"""A tiny PyMeasure-style declarative layer for SCPI instrument drivers.

A driver should read like the instrument's manual: one line per command, naming its query, its
setter and the values it accepts, so manual and driver can be compared line by line::

    class Analyzer(ScpiInstrument):
        update_rate_s = control(":RATE?", ":RATE {}", values=(0.1, 0.25, 0.5), get_process=parse_number)
        state = measurement(":INTEG:STAT?", map={"reset": "RESet", "running": "STARt"})

Nothing here knows a particular instrument or transport: the transport is any object with
``write(str)``, ``query(str) -> str`` and ``close()`` (a pyvisa resource, a pyserial wrapper, or the
scripted fake below), so the EV simulator driver can reuse it.

``map`` goes from Python values to instrument tokens (PyMeasure's direction), written as the
manual's mnemonics: the short form is sent (``NORMal`` → ``NORM``), and a reply matches in its short
or long form in any case (``STARt`` matches ``STAR`` with verbose off and ``START`` with it on); a
tuple of tokens sends the first and accepts all (``("ON", "1")``).

Failures come in four kinds, kept apart so a red verdict says whose fault it is:
:class:`InstrumentConnectionError` (the bench: timeout, refused, reset), :class:`InstrumentError`
(the instrument's error queue), :class:`InvalidReading` (NAN/INF where a number was needed) and
:class:`UnexpectedReply` (a reply the driver cannot parse).
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from instruments.errors import BenchFault

# SCPI/IEEE 488.2 binary-equivalent codes the ASCII tokens stand for (Yokogawa: NAN 9.91E+37,
# INF 9.9E+37): both are far outside any physical reading.
_NOT_A_NUMBER_TOKENS = {"NAN", "INF", "+INF", "-INF"}
_NOT_A_NUMBER_MAGNITUDE = 9.9e37


class Transport(Protocol):
    """What a driver needs from its connection (a pyvisa resource satisfies it)."""

    def write(self, command: str) -> Any: ...

    def query(self, command: str) -> str: ...

    def close(self) -> Any: ...


# --- failures --------------------------------------------------------------------------------
class InstrumentConnectionError(BenchFault):
    """The bench could not complete the exchange (timeout, refused, reset): no verdict on the
    product or the measurement."""

    def __init__(self, reason: str, command: str | None = None) -> None:
        super().__init__(f"{reason}" + (f" (command {command!r})" if command else ""))
        self.reason = reason
        self.command = command


class InstrumentError(Exception):
    """The instrument reported an error in its error queue after ``command``."""

    def __init__(self, code: int, message: str, command: str | None = None) -> None:
        super().__init__(f"instrument error {code} ({message!r})" + (f" after {command!r}" if command else ""))
        self.code = code
        self.message = message
        self.command = command


class InvalidReading(Exception):
    """An item read NAN (no data) or INF (over range): there is no number to compare with a limit."""

    def __init__(self, item: str, raw: str) -> None:
        super().__init__(f"{item} has no valid value: instrument returned {raw!r}")
        self.item = item
        self.raw = raw


class UnexpectedReply(Exception):
    """The instrument answered something the driver cannot interpret."""

    def __init__(self, command: str, reply: str, reason: str = "") -> None:
        super().__init__(f"unexpected reply {reply!r} to {command!r}" + (f": {reason}" if reason else ""))
        self.command = command
        self.reply = reply


# --- values ----------------------------------------------------------------------------------
def parse_number(raw: str, item: str = "value") -> float:
    """An NR1/NR2/NR3 reply as a float; NAN/INF (ASCII or their 9.9xE+37 codes) raise
    :class:`InvalidReading`, garbage raises ``ValueError``."""
    text = raw.strip()
    if text.upper() in _NOT_A_NUMBER_TOKENS:
        raise InvalidReading(item, raw)
    value = float(text)
    if not math.isfinite(value) or abs(value) >= _NOT_A_NUMBER_MAGNITUDE:
        raise InvalidReading(item, raw)
    return value


def format_number(value: float) -> str:
    """A setting's number as the shortest exact NRf (``300``, ``0.25``)."""
    return f"{value:g}" if float(value) == float(f"{value:g}") else repr(float(value))


def short_form(mnemonic: str) -> str:
    """``NORMal`` → ``NORM``: the upper-case part of a manual mnemonic, as the driver sends it."""
    short = re.match(r"\*?[A-Z0-9_]*", mnemonic)
    return short.group(0) if short and short.group(0) else mnemonic.upper()


def mnemonic_matches(token: str, mnemonic: str) -> bool:
    """``STAR``/``start``/``STARt`` all name ``STARt``: short or long form, any case."""
    return token.strip().strip('"').upper() in {mnemonic.upper(), short_form(mnemonic)}


def _tokens(token: str | tuple[str, ...]) -> tuple[str, ...]:
    return token if isinstance(token, tuple) else (token,)


# --- declarative properties ------------------------------------------------------------------
class _ScpiProperty:
    """A data descriptor: reading it queries ``get_cmd``, assigning it sends ``set_cmd``."""

    def __init__(self, get_cmd: str | None, set_cmd: str | None, doc: str = "", *,
                 values: Iterable[Any] | None = None,
                 map: Mapping[Any, str | tuple[str, ...]] | None = None,
                 get_process: Callable[[str], Any] | None = None,
                 set_process: Callable[[Any], str] | None = None) -> None:
        self.get_cmd, self.set_cmd = get_cmd, set_cmd
        self.values = tuple(values) if values is not None else None
        self.map = dict(map) if map is not None else None
        self.get_process, self.set_process = get_process, set_process
        self.name = ""
        self.__doc__ = doc

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        if self.get_cmd is None:
            raise AttributeError(f"{self.name} is write-only")
        reply = obj.query(self.get_cmd)
        return self.decode(reply, self.get_cmd)

    def __set__(self, obj: Any, value: Any) -> None:
        if self.set_cmd is None:
            raise AttributeError(f"{self.name} is read-only ({self.get_cmd})")
        obj.send(self.set_cmd.format(self.encode(value)))

    def decode(self, reply: str, command: str) -> Any:
        text = reply.strip()
        if self.map is not None:
            for value, token in self.map.items():
                if any(mnemonic_matches(text, t) for t in _tokens(token)):
                    return value
            raise UnexpectedReply(command, reply, f"expected one of {list(self.map.values())}")
        if self.get_process is None:
            return text
        try:
            return self.get_process(text)
        except ValueError as error:
            raise UnexpectedReply(command, reply, str(error)) from None

    def encode(self, value: Any) -> str:
        if self.map is not None:
            if value not in self.map:
                raise ValueError(f"{self.name}: {value!r} is not one of {list(self.map)}")
            return short_form(_tokens(self.map[value])[0])
        if self.values is not None and not any(_same(value, allowed) for allowed in self.values):
            raise ValueError(f"{self.name}: {value!r} is not one of {list(self.values)}")
        if self.set_process is not None:
            return self.set_process(value)
        return format_number(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def _same(value: Any, allowed: Any) -> bool:
    if isinstance(value, (int, float)) and isinstance(allowed, (int, float)):
        return math.isclose(value, allowed, rel_tol=1e-9)
    return bool(value == allowed)


def control(get_cmd: str | None, set_cmd: str | None, doc: str = "", *,
            values: Iterable[Any] | None = None, map: Mapping[Any, str | tuple[str, ...]] | None = None,
            get_process: Callable[[str], Any] | None = None,
            set_process: Callable[[Any], str] | None = None) -> Any:
    """A setting that can be read back: ``get_cmd`` is queried, ``set_cmd.format(token)`` sent.

    ``values`` restricts what may be set (checked before anything is sent); ``map`` translates
    Python values to instrument tokens both ways; ``get_process`` parses a reply (its
    ``ValueError`` becomes :class:`UnexpectedReply`); ``set_process`` formats a value.
    """
    return _ScpiProperty(get_cmd, set_cmd, doc, values=values, map=map,
                         get_process=get_process, set_process=set_process)


def measurement(get_cmd: str, doc: str = "", *, map: Mapping[Any, str | tuple[str, ...]] | None = None,
                get_process: Callable[[str], Any] | None = None) -> Any:
    """A read-only quantity: assigning it raises ``AttributeError``."""
    return _ScpiProperty(get_cmd, None, doc, map=map, get_process=get_process)


# --- the instrument base ---------------------------------------------------------------------
class ScpiInstrument:
    """Write/query over a transport, with connection failures and the error queue made explicit.

    ``send`` (used by every setter) writes a command and then, with ``check_set_errors``, reads the
    error queue: SCPI set commands have no reply, so this is the only way a rejected setting can
    fail at the line that caused it instead of as a wrong reading much later.
    """

    #: the error-queue query (``:SYSTem:ERRor?`` on most SCPI instruments)
    error_query = ":SYST:ERR?"
    #: exceptions of the transport that mean "the bench could not talk to the instrument"
    connection_errors: tuple[type[BaseException], ...] = (OSError, EOFError)
    #: how many entries ``error_queue`` drains at most (an instrument queue is finite)
    max_error_entries = 32

    def __init__(self, transport: Transport, *, check_set_errors: bool = True, name: str = "") -> None:
        self.transport = transport
        self.check_set_errors = check_set_errors
        self.name = name or type(self).__name__

    # --- I/O ---------------------------------------------------------------------------------
    def write(self, command: str) -> None:
        try:
            self.transport.write(command)
        except self.connection_errors as error:
            raise InstrumentConnectionError(f"{self.name}: write failed: {error}", command) from error

    def query(self, command: str) -> str:
        try:
            return str(self.transport.query(command)).strip()
        except self.connection_errors as error:
            raise InstrumentConnectionError(f"{self.name}: no reply: {error}", command) from error

    def send(self, command: str) -> None:
        """A set command, followed by an error-queue check when ``check_set_errors``."""
        self.write(command)
        if self.check_set_errors:
            self.check_errors(command)

    # --- error queue -------------------------------------------------------------------------
    def error_queue(self) -> list[tuple[int, str]]:
        """Drain the error queue: every ``(code, message)`` until ``0,"No error"``."""
        entries: list[tuple[int, str]] = []
        for _ in range(self.max_error_entries):
            code, message = self._parse_error(self.query(self.error_query))
            if code == 0:
                return entries
            entries.append((code, message))
        raise UnexpectedReply(self.error_query, "", f"queue not empty after {self.max_error_entries} reads")

    def check_errors(self, command: str | None = None) -> None:
        """Raise :class:`InstrumentError` for the first error in the queue (the rest are drained
        and named in the message, so none is left to be blamed on a later command)."""
        entries = self.error_queue()
        if entries:
            code, message = entries[0]
            if len(entries) > 1:
                message += f" (and {len(entries) - 1} more: {entries[1:]})"
            raise InstrumentError(code, message, command)

    def _parse_error(self, reply: str) -> tuple[int, str]:
        code, sep, message = reply.partition(",")
        try:
            return int(code.strip()), message.strip().strip('"')
        except ValueError:
            raise UnexpectedReply(self.error_query, reply, "expected <code>,\"<message>\"") from None

    # --- lifetime ----------------------------------------------------------------------------
    def close(self) -> None:
        try:
            self.transport.close()
        except self.connection_errors:
            pass  # closing a dead connection is not a new fault

    def __enter__(self) -> ScpiInstrument:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# --- exact command/response tests ------------------------------------------------------------
class ScriptedTransport:
    """A fake transport that expects an exact sequence of commands (PyMeasure's expected_protocol).

    ``script`` lists ``(command, reply)``: ``reply`` is ``None`` for a write, a string for a query,
    or an exception instance to raise (a timeout). Any other command fails the test at once, naming
    what was expected; :meth:`assert_done` fails if commands were left unsent.
    """

    def __init__(self, script: Iterable[tuple[str, str | BaseException | None]]) -> None:
        self.script = list(script)
        self.position = 0
        self.closed = False
        self.read_termination: str | None = None
        self.write_termination: str | None = None
        self.timeout: float | None = None
        self.visa_attributes: dict[Any, Any] = {}

    def _next(self, command: str, is_query: bool) -> str | BaseException | None:
        kind = "query" if is_query else "write"
        if self.position >= len(self.script):
            raise AssertionError(f"unexpected {kind} {command!r}: script already finished")
        expected, reply = self.script[self.position]
        expected_kind = "write" if reply is None else "query"
        if isinstance(reply, BaseException):
            expected_kind = kind  # a failing exchange: the fault is raised whichever way it was sent
        if (expected, expected_kind) != (command, kind):
            raise AssertionError(f"step {self.position}: got {kind} {command!r}, expected {expected_kind} {expected!r}")
        self.position += 1
        return reply

    def write(self, command: str) -> None:
        reply = self._next(command, is_query=False)
        if isinstance(reply, BaseException):
            raise reply

    def query(self, command: str) -> str:
        reply = self._next(command, is_query=True)
        if isinstance(reply, BaseException):
            raise reply
        assert reply is not None
        return reply

    def set_visa_attribute(self, attribute: Any, value: Any) -> None:
        self.visa_attributes[attribute] = value

    def close(self) -> None:
        self.closed = True

    def assert_done(self) -> None:
        if self.position != len(self.script):
            raise AssertionError(f"commands never sent: {self.script[self.position:]}")
