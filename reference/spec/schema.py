"""Types that the spec-as-data tables are written in.

The vendor's RPC list (shared/spec/000_8f425004d40a163b.txt, v2.0) is transcribed once, into these
frozen records, so every suite is parametrized from the same table and a reviewer can compare table
and spec line by line.  Nothing here knows about the virtual charger: the table is the spec's reading,
never the simulator's.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

INT_MAX = 2_147_483_647
"""The spec writes ``INT_MAX`` for open upper bounds; the charger is a 32-bit (ESP32-class) device."""


class JsonType(str, Enum):
    """JSON types as the spec names them ("bool", "integer", "double", "string", arrays)."""

    BOOL = "bool"
    INTEGER = "integer"
    DOUBLE = "double"
    STRING = "string"
    ARRAY = "array"
    OBJECT = "object"
    TRUE = "true"  # the literal ``true`` that setters return on success

    def accepts(self, value: Any) -> bool:
        """Whether a decoded JSON value has this type (a bool is not an integer, an integer is a double)."""
        if self is JsonType.BOOL:
            return isinstance(value, bool)
        if self is JsonType.INTEGER:
            return isinstance(value, int) and not isinstance(value, bool)
        if self is JsonType.DOUBLE:
            return isinstance(value, (int, float)) and not isinstance(value, bool)
        if self is JsonType.STRING:
            return isinstance(value, str)
        if self is JsonType.ARRAY:
            return isinstance(value, list)
        if self is JsonType.OBJECT:
            return isinstance(value, dict)
        return value is True


@dataclass(frozen=True)
class Field:
    """One field of a documented result object.

    ``minimum``/``maximum`` bound numbers, ``choices`` enumerates the allowed values, ``pattern`` is a
    regular expression a string must fully match, ``items``/``length`` describe an array.
    """

    name: str
    type: JsonType
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] | None = None
    pattern: str | None = None
    items: JsonType | None = None
    length: int | None = None
    doc: str = ""


@dataclass(frozen=True)
class Param:
    """One request parameter as documented.

    ``min_length``/``max_length`` bound strings (a fixed-length string has both equal), ``pattern`` is
    the character rule (e.g. digits only), ``minimum``/``maximum`` bound integers.
    """

    name: str
    type: JsonType
    required: bool = True
    minimum: int | None = None
    maximum: int | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    secret: bool = False
    doc: str = ""


@dataclass(frozen=True)
class Method:
    """One RPC method of chapter 6.

    ``result`` is either ``JsonType.TRUE`` (setters answer ``true``) or a tuple of result fields.
    ``allowed_states`` lists the IEC states in which the method is documented as accessible (None: any);
    ``destructive`` marks methods that reboot, wipe or otherwise disturb a bench (excluded from
    ordinary runs by the ``destructive`` marker); ``secret_params`` never appear in clear in reports.
    """

    name: str
    section: str
    title: str
    params: tuple[Param, ...] = ()
    result: JsonType | tuple[Field, ...] = JsonType.TRUE
    allowed_states: tuple[str, ...] | None = None
    destructive: bool = False
    deprecated: bool = False
    doc: str = ""

    @property
    def label(self) -> str:
        """The Allure story label, e.g. ``6.15 Install_current.Set``."""
        return f"{self.section} {self.name}"

    @property
    def is_getter(self) -> bool:
        return not isinstance(self.result, JsonType)


class KeyGroup(str, Enum):
    APP = "app"          # chapter 4: read by App_config.Get, written by App_config.Set
    CHARGER = "charger"  # chapter 5: read by Charger_config.Get, no documented setter


@dataclass(frozen=True)
class ConfigKey:
    """One configuration key of chapter 4 or 5.

    ``default`` is the documented default (None where the spec says NULL), ``minimum``/``maximum``
    the accepted numeric range, ``min_length``/``max_length``/``pattern`` the string rules, and
    ``valid_examples``/``invalid_examples`` concrete values the suites send for format rules that a
    range cannot express (a LED template, a URL).
    """

    name: str
    group: KeyGroup
    type: JsonType
    default: Any
    section: str
    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    valid_examples: tuple[Any, ...] = ()
    invalid_examples: tuple[Any, ...] = ()
    doc: str = ""

    @property
    def label(self) -> str:
        return f"{self.section} {self.name}"


@dataclass(frozen=True)
class ErrorCode:
    code: int
    name: str
    doc: str


@dataclass(frozen=True)
class Ambiguity:
    """A place where the spec is silent, inconsistent or wrong.

    The suites never silently pick one reading: a test touching an ambiguity accepts every reading in
    ``readings`` and labels the report with ``id`` and the reading the charger chose.
    ``reading_names`` are short slugs parallel to ``readings``: the virtual charger has a switch with
    exactly these slugs (``simulator/readings.py``), so every defensible reading is exercised.  An
    ambiguity with a single defensible reading has no names and no switch.  ``dropped`` lists the
    readings judged not defensible, each with the spec text that rules it out.
    """

    id: str
    section: str
    summary: str
    readings: tuple[str, ...] = field(default_factory=tuple)
    reading_names: tuple[str, ...] = field(default_factory=tuple)
    dropped: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.reading_names and len(self.reading_names) != len(self.readings):
            raise ValueError(f"ambiguity {self.id}: {len(self.readings)} readings, "
                             f"{len(self.reading_names)} reading names")

    @property
    def single_reading(self) -> bool:
        """Only one defensible reading: the spec is sloppy here but not open (no switch needed)."""
        return len(self.readings) == 1

    def reading(self, name: str) -> str:
        """The text of the reading called ``name`` (what ``ambiguity(id, text)`` labels a test with)."""
        try:
            return self.readings[self.reading_names.index(name)]
        except ValueError:
            raise KeyError(f"ambiguity {self.id} has no reading {name!r}; names: {self.reading_names}") from None
