"""A small, generic SCPI command-tree matcher for the instrument twins.

Real SCPI instruments accept every header in its short form (the upper-case part of the manual's
mnemonic, ``NUM``) or its long form (``NUMERIC``), in any case, with or without the leading colon,
with numeric suffixes (``ITEM3``; omitted means 1), optional nodes (``[:SAMPle]:RATE``) and several
program message units in one line separated by ``;``, where a unit without a leading colon is
resolved relative to the previous unit's path. A twin that is stricter or looser than that would
let a driver pass against the twin and fail against the instrument, so the rules live here once and
every twin (power analyzer, EV simulator) registers its own table of commands.

A handler receives a :class:`Call` and returns the reply text of a query, or ``None`` for a set
command. Handlers signal instrument errors by raising :class:`ScpiError`; :meth:`CommandTree.dispatch`
pushes them on the twin's :class:`ErrorQueue` and discards the rest of the message, as an
instrument's parser does.
"""
from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

#: Standard SCPI error texts (SCPI-99 vol. 2 §21.8), used when a handler gives only a code.
STANDARD_ERRORS: dict[int, str] = {
    0: "No error",
    -100: "Command error",
    -102: "Syntax error",
    -104: "Data type error",
    -108: "Parameter not allowed",
    -109: "Missing parameter",
    -113: "Undefined header",
    -114: "Header suffix out of range",
    -221: "Settings conflict",
    -222: "Data out of range",
    -224: "Illegal parameter value",
    -350: "Queue overflow",
}

#: Reply tokens for "no data" and "over range" in ASCII data (Yokogawa: NAN and INF).
NAN_TOKEN = "NAN"
INF_TOKEN = "INF"


class ScpiError(Exception):
    """An instrument error: goes to the error queue as ``<code>,"<message>"``."""

    def __init__(self, code: int, message: str | None = None) -> None:
        self.code = code
        self.message = message if message is not None else STANDARD_ERRORS.get(code, "Error")
        super().__init__(self.entry())

    def entry(self) -> str:
        return f'{self.code},"{self.message}"'


class ErrorQueue:
    """The instrument's error/event queue: first in, first out; ``0,"No error"`` when empty.

    When full, the newest entry is replaced by -350 "Queue overflow" as SCPI prescribes, so a
    driver that never reads the queue sees that it has lost errors instead of a silently stale one.
    """

    def __init__(self, capacity: int = 16) -> None:
        self.capacity = capacity
        self._entries: deque[ScpiError] = deque()

    def push(self, error: ScpiError) -> None:
        if len(self._entries) >= self.capacity:
            self._entries[-1] = ScpiError(-350)
            return
        self._entries.append(error)

    def pop(self) -> str:
        return self._entries.popleft().entry() if self._entries else ScpiError(0).entry()

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


# --- mnemonics -------------------------------------------------------------------------------
def short_form(mnemonic: str) -> str:
    """``NUMeric`` → ``NUM``: the leading upper-case part of a manual mnemonic (``*IDN`` stays)."""
    match = re.match(r"\*?[A-Z0-9_]*", mnemonic)
    short = match.group(0) if match else ""
    return short or mnemonic.upper()


def mnemonic_matches(token: str, mnemonic: str) -> bool:
    """Whether ``token`` is the short or the long form of ``mnemonic``, in any case.

    Only the two forms are valid: ``NUME`` is neither ``NUM`` nor ``NUMERIC`` and is rejected, as
    by the instrument.
    """
    upper = token.upper()
    return upper in (short_form(mnemonic).upper(), mnemonic.upper())


_TOKEN = re.compile(r"^(\*?[A-Za-z][A-Za-z_]*?)(\d*)$")
_PATTERN_NODE = re.compile(r"^(\*?[A-Za-z][A-Za-z0-9_]*?)(?:<(\w+)>)?$")


@dataclass(frozen=True)
class _Node:
    mnemonic: str           # long form as in the manual, e.g. "NUMeric"
    suffix: str | None      # name of the numeric suffix, e.g. "x" for ITEM<x>
    optional: bool          # [:NODE]

    def render(self, suffix: int | None, long: bool) -> str:
        text = (self.mnemonic if long else short_form(self.mnemonic)).upper()
        return text + (str(suffix) if self.suffix is not None and suffix is not None else "")


def _parse_pattern(pattern: str) -> tuple[_Node, ...]:
    nodes: list[_Node] = []
    for optional, body in re.findall(r"(\[)?:?([^:\[\]]+)\]?", pattern):
        match = _PATTERN_NODE.match(body)
        if not match:
            raise ValueError(f"bad SCPI pattern node {body!r} in {pattern!r}")
        nodes.append(_Node(match.group(1), match.group(2), bool(optional)))
    if not nodes:
        raise ValueError(f"empty SCPI pattern {pattern!r}")
    return tuple(nodes)


@dataclass(frozen=True)
class Call:
    """One program message unit, matched against a registered pattern."""

    pattern: str                          # the registered pattern, e.g. ":NUMeric:NORMal:ITEM<x>"
    query: bool
    params: tuple[str, ...]
    suffixes: tuple[tuple[str, int], ...]  # (suffix name, value), e.g. (("x", 3),)
    header: str                           # the header as received (without "?")
    _rendered: tuple[tuple[_Node, int | None], ...] = ()

    def suffix(self, name: str) -> int:
        return dict(self.suffixes)[name]

    def reply_header(self, verbose: bool = False) -> str:
        """The header an instrument prefixes to a reply when headers are on (``:RATE``)."""
        if self.pattern.startswith("*"):
            return ""
        return ":" + ":".join(node.render(value, verbose) for node, value in self._rendered)


Handler = Callable[[Call], "str | None"]


@dataclass(frozen=True)
class _Entry:
    pattern: str
    nodes: tuple[_Node, ...]
    on_set: Handler | None
    on_query: Handler | None


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    parts, current, quote = [], [], ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == separator:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


class CommandTree:
    """A table of SCPI patterns and their handlers, and the dispatcher for a received line."""

    def __init__(self) -> None:
        self._entries: list[_Entry] = []

    def add(self, pattern: str, *, on_set: Handler | None = None, on_query: Handler | None = None) -> None:
        """Register ``pattern`` (manual notation: ``:INPut:VOLTage:RANGe``, ``:NUMeric:NORMal:ITEM<x>``,
        ``[:SAMPle]:RATE``, ``*IDN``); a missing handler makes that form an undefined header."""
        if on_set is None and on_query is None:
            raise ValueError(f"{pattern}: give on_set, on_query or both")
        self._entries.append(_Entry(pattern, _parse_pattern(pattern), on_set, on_query))

    def dispatch(self, message: str, errors: ErrorQueue) -> str | None:
        """Run every unit of ``message``; return the query replies joined by ``;`` (None if none).

        The first failing unit pushes its error and ends the message, as an instrument discards the
        rest of a message it could not parse.
        """
        replies: list[str] = []
        current_path: list[str] = []
        for unit in _split_outside_quotes(message, ";"):
            unit = unit.strip()
            if not unit:
                continue
            try:
                reply, current_path = self._run_unit(unit, current_path)
            except ScpiError as error:
                errors.push(error)
                break
            if reply is not None:
                replies.append(reply)
        return ";".join(replies) if replies else None

    # --- internals -------------------------------------------------------------------------
    def _run_unit(self, unit: str, current_path: list[str]) -> tuple[str | None, list[str]]:
        header, _, rest = unit.partition(" ")
        header, rest = header.strip(), rest.strip()
        query = header.endswith("?")
        header = header.rstrip("?")
        if not header or "?" in header:
            raise ScpiError(-102)
        if header.startswith("*"):
            tokens, next_path = [header], current_path  # common commands leave the path alone
        elif header.startswith(":"):
            tokens = header[1:].split(":")
            next_path = tokens[:-1]
        else:
            tokens = current_path + header.split(":")
            next_path = tokens[:-1]
        parsed = [_TOKEN.match(token) for token in tokens]
        if not all(parsed):
            raise ScpiError(-102)
        words = [(m.group(1), int(m.group(2)) if m.group(2) else None) for m in parsed if m]
        params = tuple(p.strip() for p in _split_outside_quotes(rest, ",")) if rest else ()
        for entry in self._entries:
            rendered = _match(entry.nodes, words)
            if rendered is None:
                continue
            handler = entry.on_query if query else entry.on_set
            if handler is None:
                continue
            suffixes = tuple((node.suffix, value if value is not None else 1)
                             for node, value in rendered if node.suffix is not None)
            call = Call(entry.pattern, query, params, suffixes, header, tuple(rendered))
            return handler(call), next_path
        raise ScpiError(-113)


def _match(nodes: tuple[_Node, ...], words: list[tuple[str, int | None]]) -> list[tuple[_Node, int | None]] | None:
    """Match header words to pattern nodes, skipping absent optional nodes."""
    if not nodes:
        return [] if not words else None
    node, rest = nodes[0], nodes[1:]
    if words:
        mnemonic, suffix = words[0]
        if mnemonic_matches(mnemonic, node.mnemonic) and (suffix is None or node.suffix is not None):
            tail = _match(rest, words[1:])
            if tail is not None:
                return [(node, suffix), *tail]
    if node.optional:
        return _match(rest, words)
    return None


# --- parameters ------------------------------------------------------------------------------
def expect_params(call: Call, minimum: int, maximum: int | None = None) -> tuple[str, ...]:
    """The unit's parameters, or -109 (missing) / -108 (too many)."""
    maximum = minimum if maximum is None else maximum
    if len(call.params) < minimum or any(not p for p in call.params):
        raise ScpiError(-109)
    if len(call.params) > maximum:
        raise ScpiError(-108)
    return call.params


def parse_number(param: str) -> float:
    """An NRf parameter (``16``, ``0.25``, ``1.5E+01``); -104 if it is not a number."""
    try:
        value = float(param)
    except ValueError:
        raise ScpiError(-104) from None
    if not math.isfinite(value):
        raise ScpiError(-104)
    return value


def parse_bool(param: str) -> bool:
    """``ON``/``OFF``/``1``/``0``; -224 otherwise."""
    upper = param.upper()
    if upper in ("ON", "1"):
        return True
    if upper in ("OFF", "0"):
        return False
    raise ScpiError(-224)


def parse_choice(param: str, choices: Iterable[str]) -> str:
    """The manual mnemonic among ``choices`` that ``param`` names (``norm`` → ``NORMal``); -224 if none."""
    for choice in choices:
        if mnemonic_matches(param, choice):
            return choice
    raise ScpiError(-224)


def format_nr3(value: float, digits: int = 5) -> str:
    """Yokogawa-style NR3 with ``digits`` significant digits in engineering notation.

    ``230.12E+00``, ``16.000E+00``, ``3.6864E+03``; ``NAN`` and ``INF`` for non-finite values so a
    twin can pass "no data" and "over range" through the same formatter.
    """
    if math.isnan(value):
        return NAN_TOKEN
    if math.isinf(value):
        return INF_TOKEN if value > 0 else "-" + INF_TOKEN
    if value == 0:
        return f"{0:.{digits - 1}f}E+00"
    exponent = int(math.floor(math.log10(abs(value)) / 3) * 3)
    mantissa = value / 10**exponent
    integer_digits = len(str(int(abs(mantissa))))
    text = f"{mantissa:.{max(digits - integer_digits, 0)}f}"
    if abs(float(text)) >= 1000:  # rounding carried into the next engineering decade
        exponent += 3
        mantissa = value / 10**exponent
        text = f"{mantissa:.{digits - 1}f}"
    return f"{text}E{exponent:+03d}"
