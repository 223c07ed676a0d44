"""The EV's charging load: it draws what the CP PWM advertises, within its own maximum.

The EV decodes the duty cycle as IEC 61851-1 Annex A prescribes for the vehicle side
(field-facts §3) and follows a change after a reaction time (≤ 5 s allowed, field-facts §4), then
ramps at a finite rate.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


def ev_decoded_current(duty: float) -> float:
    """Current (A) an EV reads from a PWM duty fraction; 0 where the duty allows no charging."""
    percent = duty * 100.0
    if percent < 8.0:
        return 0.0
    if percent < 10.0:
        return 6.0
    if percent <= 85.0:
        return percent * 0.6
    if percent <= 96.0:
        return (percent - 64.0) * 2.5
    return 0.0


@dataclass
class EvLoad:
    max_current_a: float = 32.0       # what the simulated battery would take (EV simulator setting)
    # An EV simulator's load is electronic: it follows within tens of ms unless programmed slower
    # (LOAD:RAMP).  A slower, car-like response is a setting, never a hidden wait in every test.
    ramp_a_per_s: float = 1000.0      # how fast the load current moves
    reaction_s: float = 0.05          # delay before the EV follows a new advertised current
    # True: an EV (or EV emulator) that decodes the PWM and draws no more than it advertises.  False:
    # a plain electronic load (an AC load on a composite bench) that draws ``max_current_a`` whenever
    # energised; keeping it within the advertised current is then the rig's job, as on a real bench.
    follows_pwm: bool = True
    current_a: float = 0.0
    _seen_limit_a: float = 0.0        # the advertised current the EV has reacted to
    # A delay line of (device time, advertised current): the EV acts on what the PWM said
    # ``reaction_s`` ago, so a run of quick changes is followed change by change, never postponed.
    _heard: deque[tuple[float, float]] = field(default_factory=deque)

    def step(self, now: float, dt: float, advertised_a: float, energised: bool, connected: bool = True) -> None:
        """Advance the load by ``dt`` device seconds ending at ``now``.

        ``connected`` False (EV side in state A: unplugged) empties the delay line: an EV that is not
        plugged in hears no PWM, so a new session starts from nothing offered, never from what the last
        session's PWM said ``reaction_s`` before the unplug (which would have it draw, in the next
        session, a current no PWM of that session ever advertised)."""
        if not connected:
            self._heard.clear()
            self._seen_limit_a = self.current_a = 0.0
            return
        if not self._heard or self._heard[-1][1] != advertised_a:
            self._heard.append((now - dt, advertised_a))
        while self._heard and self._heard[0][0] <= now - self.reaction_s:
            self._seen_limit_a = self._heard.popleft()[1]
        limit = self._seen_limit_a if self.follows_pwm else self.max_current_a
        target = min(self.max_current_a, limit) if energised else 0.0
        if not energised:
            self.current_a = 0.0  # no voltage, no current: the contactor cut it
            return
        delta = target - self.current_a
        max_move = self.ramp_a_per_s * dt
        self.current_a += max(-max_move, min(max_move, delta))
