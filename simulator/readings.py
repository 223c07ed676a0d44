"""Which defensible reading of the RPC list the virtual charger takes, one switch per ambiguity.

Where the vendor's list allows two readings, a correct charger may take either, so the suites must
pass on every one.  The virtual charger therefore reads its behaviour at each ambiguous place from
this table instead of hard-coding our own reading.  Each switch is keyed by the ambiguity's id in
``suites/spec/ambiguities.py`` and names its readings by short slugs; the first is the default.
The suites' table is written separately (a project test holds the two against each other), so the
simulator never imports the suites.

``python -m simulator --reading NAME=SLUG`` picks one; ``--readings alternative`` takes, for every
switch, a reading other than the default (``alternative:2`` the third where there is one); 
``--readings random:SEED`` draws a seeded mix.
"""
from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ReadingSwitch:
    """One ambiguous place: the readings a correct charger may take there (first = default)."""

    ambiguity: str
    choices: tuple[str, ...]
    summary: str


def _s(ambiguity: str, summary: str, *choices: str) -> ReadingSwitch:
    return ReadingSwitch(ambiguity, tuple(choices), summary)


# Each entry: ambiguity id, what the firmware does differently, and its reading slugs (default first).
# Two sections, one per area of the firmware, so work on one does not collide with the other.
SWITCHES: dict[str, ReadingSwitch] = {s.ambiguity: s for s in (
    # --- API: framing, configuration keys, method results --------------------------------------
    _s("connected_phase_default_out_of_range", "a fresh unit's connected_phase and whether 0 can be set",
       "zero_rejected", "zero_accepted", "fresh_reports_1"),
    _s("null_string_defaults", "how an unset string key is reported", "empty_string", "json_null", "omitted"),
    # --- bench: states, PWM, metering, session control, faults ----------------------------------
)}


class UnknownReading(ValueError):
    """A reading name or slug that no switch knows (a usage error of the launch command)."""


class ActiveReadings:
    """The readings a virtual charger runs with; ``readings["ambiguity"]`` is the firmware's check."""

    def __init__(self, chosen: Mapping[str, str] | None = None) -> None:
        chosen = dict(chosen or {})
        for name, slug in chosen.items():
            if name not in SWITCHES:
                raise UnknownReading(f"unknown reading {name!r}; known: {sorted(SWITCHES)}")
            if slug not in SWITCHES[name].choices:
                raise UnknownReading(f"reading {name!r} has no choice {slug!r}; choices: {SWITCHES[name].choices}")
        self.chosen = chosen

    def __getitem__(self, name: str) -> str:
        if name not in SWITCHES:
            raise UnknownReading(f"firmware checks an unregistered reading {name!r}")
        return self.chosen.get(name, SWITCHES[name].choices[0])

    def is_(self, name: str, slug: str) -> bool:
        """True when the charger takes reading ``slug`` of ``name`` (a typo in either raises)."""
        if slug not in SWITCHES.get(name, ReadingSwitch(name, (), "")).choices:
            raise UnknownReading(f"reading {name!r} has no choice {slug!r}")
        return self[name] == slug

    def as_dict(self) -> dict[str, str]:
        """Every switch with the reading in force (for the ready line and the report)."""
        return {name: self[name] for name in SWITCHES}

    def __repr__(self) -> str:
        return f"ActiveReadings({self.chosen})"


def preset(name: str) -> dict[str, str]:
    """``default``; ``alternative`` (every switch's second choice); ``alternative:N`` (its N-th, or its
    last non-default one where it has fewer); or ``random:SEED``."""
    if name == "default":
        return {}
    if name == "alternative" or name.startswith("alternative:"):
        suffix = name.partition(":")[2] or "1"
        index = int(suffix) if suffix.isdigit() else 0
        if index < 1:
            raise UnknownReading(f"readings preset {name!r}: alternative:N takes N >= 1")
        return {n: s.choices[min(index, len(s.choices) - 1)] for n, s in SWITCHES.items() if len(s.choices) > 1}
    if name.startswith("random:"):
        seed = name.partition(":")[2]
        rng = random.Random(seed)
        return {n: rng.choice(s.choices) for n, s in SWITCHES.items()}
    raise UnknownReading(f"unknown readings preset {name!r}: default, alternative or random:SEED")


def from_arguments(presets: Iterable[str], pairs: Iterable[str]) -> ActiveReadings:
    """The readings for ``--readings PRESET`` (applied in order) and ``--reading NAME=SLUG`` (last wins)."""
    chosen: dict[str, str] = {}
    for name in presets:
        chosen.update(preset(name))
    for pair in pairs:
        name, sep, slug = pair.partition("=")
        if not sep:
            raise UnknownReading(f"--reading takes NAME=SLUG, not {pair!r}")
        chosen[name.strip()] = slug.strip()
    return ActiveReadings(chosen)
