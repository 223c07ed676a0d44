"""The picture of one residual-current trip: what was applied, when the EV lost mains, what the mains saw.

Three panels against device time from the stimulus (the residual-current change): the residual current
the source was set to, mains presence at the EV side (1 present, 0 lost) and, when an analyzer is bound,
the charger's mains current.  The limit is a vertical line; the measured trip is a line at its value with
its uncertainty as a band, so a reader sees at once whether the bench resolved the limit or not.

Plain data in, PNG bytes out (as :mod:`reports.plots`), so it is checked without a bench.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from reports.plots import png_of, pyplot


@dataclass(frozen=True)
class TripSample:
    """One poll while a trip was timed: device s from the stimulus, the residual current set (mA),
    mains at the EV side, and the analyzer's current (A) when this poll read it (None otherwise)."""

    time_s: float
    residual_ma: float
    mains_present: bool | None
    analyzer_a: float | None = None


@dataclass(frozen=True)
class TripMark:
    """What is marked on the picture: the limit (s) and the measured trip as [low, high] s."""

    limit_s: float
    limit_name: str
    trip_low_s: float | None = None
    trip_high_s: float | None = None
    how: str = ""


def trip_plot(samples: Sequence[TripSample], mark: TripMark, title: str = "Residual-current trip") -> bytes:
    """PNG of residual current, mains at the EV (0/1) and analyzer current against time from the stimulus."""
    if not samples:
        raise ValueError("a trip plot needs at least one sample")
    ordered = sorted(samples, key=lambda s: s.time_s)
    times_ms = [s.time_s * 1000.0 for s in ordered]
    plt = pyplot()
    figure, (ax_residual, ax_mains, ax_current) = plt.subplots(3, 1, sharex=True, figsize=(9, 7))
    try:
        ax_residual.step(times_ms, [s.residual_ma for s in ordered], where="post", color="tab:red")
        ax_residual.set_ylabel("residual set (mA)")

        mains = [(t, 1.0 if s.mains_present else 0.0) for t, s in zip(times_ms, ordered) if s.mains_present is not None]
        ax_mains.step([t for t, _ in mains], [v for _, v in mains], where="post", color="tab:purple")
        ax_mains.set_yticks([0, 1], ["lost", "present"])
        ax_mains.set_ylim(-0.2, 1.2)
        ax_mains.set_ylabel("mains at EV")

        current = [(t, s.analyzer_a) for t, s in zip(times_ms, ordered) if s.analyzer_a is not None]
        if current:
            ax_current.plot([t for t, _ in current], [a for _, a in current], marker=".", color="tab:blue")
        else:
            ax_current.text(0.5, 0.5, "no power analyzer bound", ha="center", va="center",
                            transform=ax_current.transAxes)
        ax_current.set_ylabel("analyzer current (A)")
        ax_current.set_xlabel("device time from the residual-current change (ms)")

        for axis in (ax_residual, ax_mains, ax_current):
            axis.axvline(mark.limit_s * 1000.0, color="black", linestyle="--",
                         label=f"limit {mark.limit_name} = {mark.limit_s * 1000.0:g} ms")
            if mark.trip_low_s is not None and mark.trip_high_s is not None and math.isfinite(mark.trip_high_s):
                low, high = mark.trip_low_s * 1000.0, mark.trip_high_s * 1000.0
                axis.axvspan(low, high, color="tab:orange", alpha=0.3,
                             label=f"trip {(low + high) / 2:.1f} ± {(high - low) / 2:.1f} ms")
                axis.axvline((low + high) / 2, color="tab:orange")
            axis.grid(True, alpha=0.3)
        ax_residual.legend(loc="best", fontsize="small")
        figure.suptitle(title if not mark.how else f"{title}\n{mark.how}", fontsize="medium")
        return png_of(figure)
    finally:
        plt.close(figure)
