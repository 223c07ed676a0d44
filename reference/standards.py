"""The rows of reference/standards.md, read from the file itself (one source), and how origins cite them.

An origin cites ``reference/standards.md T4`` (or ``T10, T11``); :func:`cited_rows` finds the row
ids an origin names and :func:`rows` the ids the table defines, so a test can check that every cited
row exists and that no origin cites a notes file the project does not ship.
"""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path

TABLE = Path(__file__).with_name("standards.md")
_ROW = re.compile(r"^\| (T\d+) \|", re.MULTILINE)
_CITATION = re.compile(r"reference/standards\.md ((?:T\d+)(?:(?:, | and |/)T\d+)*)")


@cache
def rows() -> frozenset[str]:
    """Every row id the table defines (``T1`` …)."""
    return frozenset(_ROW.findall(TABLE.read_text(encoding="utf-8")))


def cited_rows(origin: str) -> list[str]:
    """The row ids an origin cites, in order (``[]`` when it cites none)."""
    return [row for match in _CITATION.finditer(origin) for row in re.findall(r"T\d+", match.group(1))]
