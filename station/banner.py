"""The verdict in block letters, readable from across the station: PASS, FAIL or ERROR."""
from __future__ import annotations

GLYPHS: dict[str, tuple[str, ...]] = {
    "P": ("█████ ", "██  ██", "█████ ", "██    ", "██    "),
    "A": (" ████ ", "██  ██", "██████", "██  ██", "██  ██"),
    "S": (" █████", "██    ", " ████ ", "    ██", "█████ "),
    "F": ("██████", "██    ", "█████ ", "██    ", "██    "),
    "I": ("██████", "  ██  ", "  ██  ", "  ██  ", "██████"),
    "L": ("██    ", "██    ", "██    ", "██    ", "██████"),
    "E": ("██████", "██    ", "█████ ", "██    ", "██████"),
    "R": ("█████ ", "██  ██", "█████ ", "██ ██ ", "██  ██"),
    "O": (" ████ ", "██  ██", "██  ██", "██  ██", " ████ "),
}
COLOURS = {"PASS": "\033[1;32m", "FAIL": "\033[1;31m", "ERROR": "\033[1;33m"}
RESET = "\033[0m"


def block_letters(word: str) -> list[str]:
    """``word`` (letters of :data:`GLYPHS`) as five lines of block letters."""
    rows = len(next(iter(GLYPHS.values())))
    return ["  ".join(GLYPHS[letter][row] for letter in word.upper()) for row in range(rows)]


def banner(verdict: str, colour: bool = False) -> str:
    lines = block_letters(verdict)
    if colour and verdict in COLOURS:
        lines = [f"{COLOURS[verdict]}{line}{RESET}" for line in lines]
    return "\n".join(lines)
