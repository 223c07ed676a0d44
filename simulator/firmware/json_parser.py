"""The firmware's JSON frame parser: what a small embedded parser does that a host's does not.

* A nesting limit: embedded JSON parsers walk a frame with a fixed-size stack (Mongoose's mjson stops at
  20 levels), so a frame nested deeper is refused as malformed, never parsed with recursion into a crash.
  :func:`nesting_depth` measures it without parsing.
* A fixed frame buffer: a build that reads the body into one and "repairs" what it cut
  (:func:`complete_prefix`: the members read so far, open brackets closed) is defect
  ``oversized_body_truncated``.
* One object, two lookups: a build that range-checks a param by one lookup and stores it by another
  sees a duplicated name twice (:func:`first_kept` keeps the first value aside; defect
  ``duplicate_key_parser_differential``).
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

MAX_JSON_DEPTH = 20        # levels of arrays/objects the parser's stack holds (mjson's MJSON_MAX_DEPTH)
CRASH_DEPTH = 64           # without the check (defect deep_nesting_crash) the handler's stack overflows here
FRAME_BUFFER_BYTES = 16 * 1024


def outside_strings(text: str) -> Iterator[tuple[int, str]]:
    """Each character of a JSON text that lies outside its strings, with its index (an opening quote is
    yielded, what it opens is not): the scan both the depth check and the cut-body repair make."""
    in_string = escaped = False
    for index, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        yield index, ch


def nesting_depth(text: str) -> int:
    """How deep arrays and objects nest in a JSON text (strings skipped), without parsing it."""
    depth = deepest = 0
    for _, ch in outside_strings(text):
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def complete_prefix(text: str) -> str:
    """A JSON text cut short, "repaired": up to the last point between members, its open brackets closed."""
    stack: list[str] = []
    cut, closers = 0, ""
    for index, ch in outside_strings(text):
        if ch in "[{":
            stack.append("]" if ch == "[" else "}")
            cut, closers = index + 1, "".join(reversed(stack))
        elif ch in "]}":
            if stack:
                stack.pop()
            cut, closers = index + 1, "".join(reversed(stack))
        elif ch == ",":
            cut, closers = index, "".join(reversed(stack))
    return text[:cut] + closers


class Members(dict):  # type: ignore[type-arg]
    """A JSON object as the host parser reads it (a duplicated name's last value), with the first value of
    each duplicated name kept aside in ``first``."""

    first: dict[str, Any]


def first_kept(pairs: list[tuple[str, Any]]) -> Members:
    """``object_pairs_hook`` for :func:`json.loads`: the last value wins, the first is kept in ``first``."""
    members = Members(pairs)
    members.first = {}
    seen: set[str] = set()
    for name, value in pairs:
        if name in seen:
            continue
        seen.add(name)
        if sum(1 for other, _ in pairs if other == name) > 1:
            members.first[name] = value
    return members


def first_of(params: dict[str, Any], name: str, value: Any) -> Any:
    """The value a second lookup finds: a duplicated name's first value, else ``value``."""
    return getattr(params, "first", {}).get(name, value)
