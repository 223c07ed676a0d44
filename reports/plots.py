"""Plots for the report: small matplotlib (Agg) figures rendered to PNG bytes and attached to Allure.

Each plot is one function taking plain data and returning PNG bytes, so a plot can be checked
without a bench and attached from any test.  The advertised current is derived from the *measured*
duty cycle with the suite's own IEC reference (:mod:`reference.iec61851`), never the charger's claim.
"""
from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from types import ModuleType

import allure

from reference.iec61851 import current_for_duty_percent

STATE_LEVELS = ("A", "B", "C", "D", "E", "F")


def pyplot() -> ModuleType:
    """matplotlib's pyplot on the Agg backend (no display on a bench PC or in CI), imported at the first plot:
    the plugin imports this module in every session, and half a second of matplotlib is wasted on one that
    draws nothing (an API-only run, each pytester run of the project's own tests)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


@dataclass(frozen=True)
class TraceSample:
    """One instant of a charging session as the bench saw it (device time, s)."""

    time_s: float
    state: str              # the charger's reported IEC state (Charger_info.Get charger_state)
    duty_percent: float     # CP duty measured by the EV simulator
    current_a: float        # mains current measured (analyzer, or the EV simulator's load reading)
    power_w: float | None = None  # active power measured by the analyzer, when one is in use


def advertised_current_a(duty_percent: float) -> float:
    """The current the measured duty advertises (0 where no charging is allowed), per IEC 61851-1."""
    return current_for_duty_percent(duty_percent) or 0.0


def session_trace(samples: Sequence[TraceSample], title: str = "Charging session") -> bytes:
    """PNG of state, advertised current, measured current and power against device time."""
    if not samples:
        raise ValueError("a session trace needs at least one sample")
    t0 = samples[0].time_s
    times = [s.time_s - t0 for s in samples]
    plt = pyplot()
    figure, (ax_state, ax_current, ax_power) = plt.subplots(3, 1, sharex=True, figsize=(9, 7))
    try:
        ax_state.step(times, [STATE_LEVELS.index(s.state) if s.state in STATE_LEVELS else -1 for s in samples],
                      where="post", color="tab:purple")
        ax_state.set_yticks(range(len(STATE_LEVELS)), STATE_LEVELS)
        ax_state.set_ylabel("charger state")
        ax_state.grid(True, alpha=0.3)

        ax_current.step(times, [advertised_current_a(s.duty_percent) for s in samples], where="post",
                        label="advertised (from measured duty)", color="tab:orange")
        ax_current.plot(times, [s.current_a for s in samples], label="measured", color="tab:blue")
        ax_current.set_ylabel("current (A)")
        ax_current.legend(loc="best", fontsize="small")
        ax_current.grid(True, alpha=0.3)

        ax_power.plot(times, [float("nan") if s.power_w is None else s.power_w for s in samples],
                      color="tab:green")
        ax_power.set_ylabel("power (W)")
        ax_power.set_xlabel(f"device time (s) from {t0:.3f} s")
        ax_power.grid(True, alpha=0.3)

        figure.suptitle(title)
        return png_of(figure)
    finally:
        plt.close(figure)


def png_of(figure: Any) -> bytes:
    """The figure as PNG bytes, laid out: the one rendering every plot of the report shares."""
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def attach_png(name: str, png: bytes) -> None:
    """Attach PNG bytes to the running Allure test or step."""
    allure.attach(png, name=name, attachment_type=allure.attachment_type.PNG)


def attach_plot(name: str, draw: Callable[[], bytes]) -> None:
    """Draw a plot and attach it to the running test, unless this run draws none (``--no-plots``).

    A plot changes no verdict, but drawing one costs 0.2 to 0.5 s of CPU (a fifth of a whole bench-suite
    run at time scale 20): a run whose report nobody reads (the project's mutation hunts, reading mixes and
    other benches' runs) leaves them out and says so in the report's environment."""
    from reports.allure_support import run_record  # noqa: PLC0415 - allure_support imports the spec table

    if run_record().plots:
        attach_png(name, draw())
