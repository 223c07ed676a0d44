"""The PWM mapping plot: expected vs measured CP duty per advertised current, with the tolerance band.

``points`` are :class:`PwmPoint` records (or any objects / mappings with the same fields), one per
current of a sweep; the expected duty comes from the suite's own IEC reference (reference/iec61851.py),
never from the charger under test.  The PNG is attached with :func:`attach_pwm_mapping_plot`.
"""
from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reports.plots import attach_plot, pyplot


@dataclass(frozen=True)
class PwmPoint:
    current_a: float
    expected_duty_pct: float
    measured_duty_pct: float | None  # None: no PWM measured (timed out before the step)
    tolerance_pct: float


def _field(point: Any, name: str) -> Any:
    return point[name] if isinstance(point, Mapping) else getattr(point, name)


def pwm_mapping_plot(points: Iterable[Any], title: str = "CP duty vs advertised current") -> bytes:
    """A PNG: the expected duty line, its ±tolerance band, and the measured duties (failures in red)."""
    rows = sorted(((float(_field(p, "current_a")), float(_field(p, "expected_duty_pct")),
                    _field(p, "measured_duty_pct"), float(_field(p, "tolerance_pct"))) for p in points))
    plt = pyplot()
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(7.0, 5.4), sharex=True,
                                         gridspec_kw={"height_ratios": (3, 1.4)})
    figure.subplots_adjust(left=0.1, right=0.98, top=0.93, bottom=0.1, hspace=0.08)
    try:
        if rows:
            amps = [r[0] for r in rows]
            expected = [r[1] for r in rows]
            tolerance = [r[3] for r in rows]
            top.fill_between(amps, [e - t for e, t in zip(expected, tolerance)],
                             [e + t for e, t in zip(expected, tolerance)], color="tab:green", alpha=0.25,
                             label="expected ± tolerance")
            top.plot(amps, expected, color="tab:green", linewidth=1.0, label="expected (IEC 61851-1 A)")
            bottom.fill_between(amps, [-t for t in tolerance], tolerance, color="tab:green", alpha=0.25)
            bottom.axhline(0.0, color="tab:green", linewidth=1.0)
            measured = [(a, m, e, t) for a, e, m, t in rows if m is not None]
            inside = [(a, m, m - e) for a, m, e, t in measured if abs(m - e) <= t]
            outside = [(a, m, m - e) for a, m, e, t in measured if abs(m - e) > t]
            for group, colour, label in ((inside, "tab:blue", "measured"),
                                         (outside, "tab:red", "measured, out of band")):
                if group:
                    top.plot([g[0] for g in group], [g[1] for g in group], "o", color=colour, markersize=4, label=label)
                    bottom.plot([g[0] for g in group], [g[2] for g in group], "o", color=colour, markersize=4)
        top.set_ylabel("duty (%)")
        top.set_title(title)
        top.grid(True, alpha=0.3)
        top.legend(loc="upper left", fontsize=8)
        bottom.set_xlabel("advertised current (A)")
        bottom.set_ylabel("measured − expected (%)")
        bottom.grid(True, alpha=0.3)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=80)
        return buffer.getvalue()
    finally:
        plt.close(figure)


def attach_pwm_mapping_plot(points: Iterable[Any], name: str) -> None:
    attach_plot(name, lambda: pwm_mapping_plot(points, title=name))
