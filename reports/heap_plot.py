"""The picture of the heap over a fuzz run: heap_free against requests, the fitted line and the leak limit.

One panel: each heap_free sample (Charger_info.Get, spec 6.5) against the number of requests the session
client had made, the least-squares line through them (fixtures.fuzzing.HeapTrend), and, from the same
start, the shallowest line the leak rule would call a leak (a fitted drop of MIN_DROP_BYTES over the
run), so a reader sees at once how far the charger's trend is from the limit.

Plain data in, PNG bytes out (as :mod:`reports.plots`), so it is checked without a bench.
"""
from __future__ import annotations

from collections.abc import Sequence

from fixtures.fuzzing import MIN_DROP_BYTES, HeapSample, HeapTrend
from reports.plots import png_of, pyplot


def heap_plot(samples: Sequence[HeapSample], trend: HeapTrend, title: str = "heap_free over the fuzz run") -> bytes:
    """PNG of heap_free against requests with the fitted line and the leak limit."""
    if not samples:
        raise ValueError("a heap plot needs at least one sample")
    xs = [s.requests for s in samples]
    ys = [s.heap_free for s in samples]
    first, last = min(xs), max(xs)
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(9, 4.5))
    try:
        axis.plot(xs, ys, marker=".", linestyle="none", color="tab:blue", label="heap_free (Charger_info.Get)")
        if trend.span > 0:
            start = trend.intercept + trend.slope * first
            axis.plot([first, last], [start, trend.intercept + trend.slope * last], color="tab:orange",
                      label=f"fit {trend.slope:+.2f} ± {trend.stderr:.2f} B/request (t = {trend.t:.1f})")
            axis.plot([first, last], [start, start - MIN_DROP_BYTES], color="tab:red", linestyle="--",
                      label=f"leak limit: {MIN_DROP_BYTES} B fitted drop over the run")
        axis.set_xlabel("requests made by the session client")
        axis.set_ylabel("heap_free (bytes)")
        axis.grid(True, alpha=0.3)
        axis.legend(loc="best", fontsize="small")
        verdict = "LEAK" if trend.leaking else "no leak"
        axis.set_title(f"{title}: {verdict} (fitted drop {trend.fitted_drop:.0f} B)", fontsize="medium")
        return png_of(figure)
    finally:
        plt.close(figure)
