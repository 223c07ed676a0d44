"""The charger's mains contactor, with its mechanical closing and opening delays.

A command takes effect after the delay, so a suite that measures "contactor closes within 3 s of
state C" measures the command latency of the firmware plus this mechanical delay, as on a bench.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Contactor:
    close_delay_s: float = 0.05
    open_delay_s: float = 0.02
    # Injected faults (the bench's fault_injection role: a relay box on a real bench).  A relay across
    # the contacts makes a welded contactor (the circuit stays closed whatever is commanded); a relay in
    # series that is held open makes one stuck open (the circuit never closes).
    welded: bool = False
    stuck_open: bool = False
    _commanded: bool = False
    commanded_at: float = 0.0  # device time of the last coil change (what the firmware's feedback check times from)
    _changes: list[tuple[float, bool]] = field(default_factory=lambda: [(0.0, False)])

    @property
    def commanded_closed(self) -> bool:
        return self._commanded

    def command(self, closed: bool, now: float) -> None:
        """Drive the coil; the contacts follow after the mechanical delay."""
        if closed == self._commanded:
            return
        self._commanded = closed
        self.commanded_at = now
        delay = self.close_delay_s if closed else self.open_delay_s
        self._changes.append((now + delay, closed))

    def is_closed(self, now: float) -> bool:
        """Whether the circuit through the contactor is closed at device time ``now``: its contacts,
        unless an injected fault bypasses (welded) or interrupts (stuck open) them."""
        if self.stuck_open:
            return False
        return self.welded or self.contacts_closed(now)

    def contacts_closed(self, now: float) -> bool:
        """Whether the contacts themselves are closed at ``now`` (what the coil commanded, after the
        mechanical delay)."""
        state = False
        for at, closed in self._changes:
            if at <= now:
                state = closed
            else:
                break
        self._prune(now)
        return state

    def last_change_at(self, now: float) -> float | None:
        """Device time of the last contact movement that has happened by ``now``."""
        past = [at for at, _ in self._changes if at <= now]
        return past[-1] if past else None

    def _prune(self, now: float) -> None:
        # Keep the last settled change and anything pending, so the list stays short.
        settled = [i for i, (at, _) in enumerate(self._changes) if at <= now]
        if len(settled) > 1:
            del self._changes[: settled[-1]]
