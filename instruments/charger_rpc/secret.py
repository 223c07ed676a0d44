"""A credential that never prints: the PIN, the AP password and the HTTP credentials of a bench.

A failing test's traceback shows its arguments and (``-l``) its locals, an assertion shows both
operands, a log line formats its arguments: every one of those goes through ``repr``, ``str`` or
``format``.  :class:`Secret` answers all three with a mask, so the value is masked where it is born
(the profile) instead of wherever it might later be printed.

It is a ``str`` subclass, so a suite compares, measures and sends it as the string it is
(``pin != other``, ``len(password)``, ``{"pin": pin}``).  Two paths still see the value, by design of
``str``: ``json.dumps`` (the wire, which must carry it) and string operations that build a new plain
``str`` (``pin + "0"``, slicing, ``.encode()``).  :meth:`Secret.reveal` is the one explicit way to
get the plain value (for a library that insists on a plain ``str``, and for the wire).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

MASK = "***"


class Secret(str):
    """A string whose ``repr``, ``str`` and ``format`` are masked; :meth:`reveal` gives the value."""

    __slots__ = ("name",)

    def __new__(cls, value: str, name: str = "secret") -> Secret:
        self = super().__new__(cls, value)
        self.name = name
        return self

    def reveal(self) -> str:
        """The value as a plain ``str``: only for the wire and for libraries that need a plain string."""
        return str.__str__(self)

    def __repr__(self) -> str:
        return f"<{self.name} {MASK}>"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return format(MASK, spec)

    def __reduce__(self) -> Any:  # a copy (pytest's deepcopy of params, pickling) stays a Secret
        return (Secret, (self.reveal(), self.name))


def reveal(value: Any) -> Any:
    """``value`` with every :class:`Secret` inside it (dicts, lists, tuples) made a plain ``str``:
    what goes on the wire, built where it is sent so no caller's frame holds it in clear."""
    if isinstance(value, Secret):
        return value.reveal()
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(reveal(v) for v in value)
    return value


def values_of(secrets: Iterable[str | None]) -> tuple[str, ...]:
    """The plain values of the non-empty secrets (what a scrubber or a leak search looks for)."""
    return tuple(dict.fromkeys(s.reveal() if isinstance(s, Secret) else s for s in secrets if s))
