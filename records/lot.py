"""The lot report: yield across units and each measurement's distribution and Cpk against its limits.

Definitions (a stated lab decision, also printed on the report):

* **The lot** is every unit whose *first* attempt matches the selection (its production order, its
  start time in ``[since, until)``, UTC); all of that unit's attempts then count, retests included.
* An attempt is **judged** when its verdict is PASS or FAIL.  An ERROR attempt (a bench fault: nothing
  was learned about the unit) counts neither for nor against the unit; it is reported on its own,
  since a station that faults often is a problem of its own.
* **First-pass yield** = units whose first judged attempt passed / units with a judged attempt.
  **Final yield** = units whose latest judged attempt passed / the same.  **Retests** = attempts after
  a unit's first.
* **Distributions and Cpk** use each unit's first judged attempt only (one value per unit: a unit that
  was retested after a failure is not counted twice, and rework does not flatter the process).
  A measurement whose limits are the same for every unit is pooled as measured.  One whose limits
  follow a reference read on each unit (the meter against the analyzer: ±1 % of the analyzer's
  reading) is pooled as its error against the nominal: in % of the nominal when the limits so
  normalised agree across units (a relative tolerance), else as value − nominal (an absolute one);
  failing both, each limit set is its own row (Cpk against different limits cannot be pooled).
  Cpk = min(USL − μ, μ − LSL) / 3σ with σ the sample standard deviation (n − 1), one-sided where a
  limit is open, and "n/a" with fewer than 2 values or σ = 0.  This is the overall σ of the lot
  (no rational subgroups at end of line), i.e. what some texts call Ppk.

Output: one self-contained HTML page (PNG plots embedded), a JSON summary, and the plots as PNG files.
"""
from __future__ import annotations

import base64
import io
import json
import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from html import escape
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display on a station PC or in CI

import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)
from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import selectinload  # noqa: E402

from records.models import EolTest, Unit  # noqa: E402
from records.store import Store, utc_text  # noqa: E402

JUDGED = ("PASS", "FAIL")
DEFINITIONS = __doc__.split("Definitions (a stated lab decision, also printed on the report):")[1].split("Output:")[0]


@dataclass(frozen=True)
class Selection:
    """Which units make the lot: one production order and/or a start-time range (UTC, until exclusive)."""

    order: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            instant = getattr(self, name)
            if instant is not None and instant.tzinfo is None:
                raise ValueError(f"lot selection {name}={instant.isoformat()} has no UTC offset")

    def matches(self, test: EolTest) -> bool:
        if self.order is not None and test.order_id != self.order:
            return False
        started = test.started_utc.replace(tzinfo=timezone.utc)
        if self.since is not None and started < self.since.astimezone(timezone.utc):
            return False
        return not (self.until is not None and started >= self.until.astimezone(timezone.utc))

    def describe(self) -> str:
        parts = [f"order {self.order}" if self.order else "every order"]
        if self.since:
            parts.append(f"from {self.since.isoformat()}")
        if self.until:
            parts.append(f"until {self.until.isoformat()}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Yield:
    units: int              # units in the lot
    judged_units: int       # with at least one PASS/FAIL attempt
    first_pass: int
    final_pass: int
    attempts: int
    retests: int            # attempts after a unit's first
    retested_units: int
    error_attempts: int     # bench faults (ERROR), not judged
    failing_steps: dict[str, int] = field(default_factory=dict)   # first judged attempt's failed step -> units

    @property
    def first_pass_yield(self) -> float | None:
        return self.first_pass / self.judged_units if self.judged_units else None

    @property
    def final_yield(self) -> float | None:
        return self.final_pass / self.judged_units if self.judged_units else None


@dataclass(frozen=True)
class Capability:
    """Cpk of one value set against its limits, or why there is none (``reason``)."""

    n: int
    mean: float | None
    sigma: float | None
    cpk: float | None
    reason: str = ""        # "" when cpk is a number

    @property
    def text(self) -> str:
        return f"{self.cpk:.2f}" if self.cpk is not None else f"n/a ({self.reason})"


def cpk(values: Sequence[float], low: float | None, high: float | None) -> Capability:
    """Cpk = min(USL − μ, μ − LSL) / 3σ (σ: sample standard deviation, n − 1); one-sided with an open limit."""
    if low is None and high is None:
        raise ValueError("Cpk needs at least one limit")
    n = len(values)
    if n < 2:
        return Capability(n, values[0] if values else None, None, None, "fewer than 2 values")
    mean = statistics.fmean(values)
    sigma = statistics.stdev(values)
    if sigma == 0:
        return Capability(n, mean, 0.0, None, "σ = 0")
    sides = [side for side in ((high - mean) if high is not None else None,
                               (mean - low) if low is not None else None) if side is not None]
    return Capability(n, mean, sigma, min(sides) / (3 * sigma))


@dataclass
class Distribution:
    """One measurement (by name, unit and limits) across the lot's units."""

    name: str
    unit: str
    low: float | None
    high: float | None
    origin: str
    values: list[float] = field(default_factory=list)
    serials: list[str] = field(default_factory=list)
    fails: int = 0
    failing_serials: list[str] = field(default_factory=list)
    not_numbers: int = 0     # readings that were not a finite number (left out of the statistics)
    slug: str = ""           # a file-name form of the name, unique in the lot (set by collect)
    basis: str = "as measured"   # or "error vs nominal" (% of nominal), "deviation from nominal" (see pool)

    @property
    def capability(self) -> Capability:
        return cpk(self.values, self.low, self.high)

    @property
    def limits(self) -> str:
        low = "−∞" if self.low is None else f"{self.low:g}"
        high = "+∞" if self.high is None else f"{self.high:g}"
        return f"[{low}, {high}] {self.unit}".rstrip()


def slug_of(name: str) -> str:
    """A measurement name as a file name: ``pwm duty at 16 A`` -> ``pwm-duty-at-16-a``."""
    keep = "".join(ch if ch.isalnum() else "-" for ch in name.lower())
    return "-".join(part for part in keep.split("-") if part)[:60] or "measurement"


@dataclass
class Lot:
    selection: Selection
    yields: Yield
    distributions: list[Distribution]
    generated_utc: str
    database: str


@dataclass(frozen=True)
class Sample:
    """One unit's reading of one measurement (its first judged attempt), with that attempt's limits."""

    serial: str
    value: float | None
    low: float | None
    high: float | None
    nominal: float | None
    verdict: str
    origin: str


def _same(limits: Sequence[float | None]) -> bool:
    """Limits that agree across units (to 1e-6 relative: float noise of a limit computed from a reading)."""
    first = limits[0]
    if first is None:
        return all(x is None for x in limits)
    return all(x is not None and math.isclose(x, first, rel_tol=1e-6, abs_tol=1e-9) for x in limits)


def _normalised(samples: Sequence[Sample], how: str) -> list[tuple[float | None, float | None, float | None]]:
    """(value, low, high) of each sample as error vs its nominal: relative in % ("relative"), or absolute."""
    def f(x: float | None, nominal: float) -> float | None:
        if x is None or not math.isfinite(x):
            return None
        return (x - nominal) / abs(nominal) * 100.0 if how == "relative" else x - nominal
    return [(f(s.value, s.nominal), f(s.low, s.nominal), f(s.high, s.nominal))  # type: ignore[arg-type]
            for s in samples]


def pool(name: str, unit: str, samples: Sequence[Sample]) -> list[Distribution]:
    """The distributions of one measurement across units.

    Limits the same for every unit (most measurements): the values as measured.  Limits that follow a
    reference read on each unit (the meter against the analyzer, ±1 % of the analyzer's reading) differ
    per unit, so the values cannot be pooled as they are: then the error against the nominal is pooled,
    in % of the nominal when the limits so normalised agree (a relative tolerance), else in the unit
    when value − nominal limits agree (an absolute one).  Anything else: one row per limit set."""
    def build(basis: str, shown_unit: str, rows: Sequence[tuple[Sample, float | None]], low: float | None,
              high: float | None) -> Distribution:
        d = Distribution(name, shown_unit, low, high, rows[0][0].origin, basis=basis)
        for sample, value in rows:
            if sample.verdict == "FAIL":
                d.fails += 1
                d.failing_serials.append(sample.serial)
            if value is None or not math.isfinite(value):
                d.not_numbers += 1
                continue
            d.values.append(value)
            d.serials.append(sample.serial)
        return d

    if _same([s.low for s in samples]) and _same([s.high for s in samples]):
        return [build("as measured", unit, [(s, s.value) for s in samples], samples[0].low, samples[0].high)]
    if all(s.nominal is not None and s.nominal != 0 for s in samples):
        for how, basis, shown_unit in (("relative", "error vs nominal", "% of nominal"),
                                       ("absolute", "deviation from nominal", unit)):
            normal = _normalised(samples, how)
            if _same([n[1] for n in normal]) and _same([n[2] for n in normal]):
                return [build(basis, shown_unit, [(s, n[0]) for s, n in zip(samples, normal)],
                              normal[0][1], normal[0][2])]
    by_limits: dict[tuple[float | None, float | None], list[Sample]] = {}
    for s in samples:
        by_limits.setdefault((s.low, s.high), []).append(s)
    return [build("as measured (own limit set)", unit, [(s, s.value) for s in group], low, high)
            for (low, high), group in sorted(by_limits.items(), key=lambda item: str(item[0]))]


def collect(store: Store, selection: Selection = Selection()) -> Lot:
    """Read the lot from the store: the yield figures and the distributions (definitions: module doc)."""
    with store.session() as session:
        units = session.scalars(select(Unit).options(
            selectinload(Unit.tests).selectinload(EolTest.measurements)).order_by(Unit.serial)).all()
        in_lot = [u for u in units if u.tests and selection.matches(u.tests[0])]
        judged_units = first_pass = final_pass = attempts = errors = retested = 0
        failing_steps: Counter[str] = Counter()
        samples: dict[tuple[str, str], list[Sample]] = {}
        for unit in in_lot:
            attempts += len(unit.tests)
            retested += len(unit.tests) > 1
            errors += sum(t.verdict == "ERROR" for t in unit.tests)
            judged = [t for t in unit.tests if t.verdict in JUDGED]
            if not judged:
                continue
            judged_units += 1
            first_pass += judged[0].verdict == "PASS"
            final_pass += judged[-1].verdict == "PASS"
            if judged[0].verdict == "FAIL":
                failing_steps[judged[0].failed_step or "?"] += 1
            for m in judged[0].measurements:
                samples.setdefault((m.name, m.unit), []).append(
                    Sample(unit.serial, m.value, m.low, m.high, m.nominal, m.verdict, m.origin))
        yields = Yield(units=len(in_lot), judged_units=judged_units, first_pass=first_pass, final_pass=final_pass,
                       attempts=attempts, retests=attempts - len(in_lot), retested_units=retested,
                       error_attempts=errors, failing_steps=dict(failing_steps.most_common()))
    distributions = [d for (name, unit), group in sorted(samples.items()) for d in pool(name, unit, group)]
    used: Counter[str] = Counter()
    for d in distributions:            # one name under two limit sets: two plots, two slugs
        base = slug_of(d.name)
        used[base] += 1
        d.slug = base if used[base] == 1 else f"{base}-{used[base]}"
    return Lot(selection=selection, yields=yields, distributions=distributions,
               generated_utc=utc_text(datetime.now(timezone.utc)), database=store.url)


def histogram_png(dist: Distribution) -> bytes:
    """The distribution as a histogram with LSL/USL drawn (red) and the mean (blue), as PNG bytes."""
    figure, ax = plt.subplots(figsize=(6.4, 3.2))
    try:
        values = dist.values
        limits = [v for v in (dist.low, dist.high) if v is not None]
        if values:
            span = [min(values + limits), max(values + limits)]
            width = (span[1] - span[0]) or abs(span[0]) or 1.0
            bins = max(5, min(20, math.ceil(math.sqrt(len(values))) * 2))
            ax.hist(values, bins=bins, range=(min(values) - width * 0.02, max(values) + width * 0.02),
                    color="tab:gray", edgecolor="black")
            ax.axvline(statistics.fmean(values), color="tab:blue", linewidth=1.5, label="mean")
            ax.set_xlim(span[0] - width * 0.1, span[1] + width * 0.1)
        for value, label in ((dist.low, "LSL"), (dist.high, "USL")):
            if value is not None:
                ax.axvline(value, color="tab:red", linestyle="--", linewidth=2, label=f"{label} {value:g}")
        basis = "" if dist.basis == "as measured" else f", {dist.basis}"
        ax.set_xlabel(f"{dist.name} ({dist.unit}{basis})" if dist.unit else f"{dist.name}{basis}", fontsize="small")
        ax.set_ylabel("units")
        ax.set_title(f"{dist.name[:60]}: n={len(values)}, Cpk {dist.capability.text}", fontsize="medium")
        ax.legend(loc="best", fontsize="small")
        ax.grid(True, alpha=0.3)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=90)
        return buffer.getvalue()
    finally:
        plt.close(figure)


def _percent(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{100 * ratio:.1f} %"


def _num(value: float | None, digits: int = 4) -> str:
    if value is None:
        return "—"
    return "0" if abs(value) < 1e-12 else f"{value:.{digits}g}"   # float noise of a difference is 0


def _serials(serials: Sequence[str]) -> str:
    shown = ", ".join(serials[:5]) + (", …" if len(serials) > 5 else "")
    return f" <span class='small'>({escape(shown)})</span>" if serials else ""


def summary(lot: Lot, plots: dict[str, str] | None = None) -> dict[str, Any]:
    """The lot as a JSON-ready dict (figures as numbers; Cpk null with its reason when n/a)."""
    y = lot.yields
    return {
        "generated_utc": lot.generated_utc, "database": lot.database,
        "selection": {"order": lot.selection.order,
                      "since": lot.selection.since.isoformat() if lot.selection.since else None,
                      "until": lot.selection.until.isoformat() if lot.selection.until else None},
        "yield": {**asdict(y), "first_pass_yield": y.first_pass_yield, "final_yield": y.final_yield},
        "measurements": [
            {"name": d.name, "basis": d.basis, "unit": d.unit, "low": d.low, "high": d.high, "origin": d.origin,
             "n": d.capability.n, "mean": d.capability.mean, "sigma": d.capability.sigma,
             "min": min(d.values) if d.values else None, "max": max(d.values) if d.values else None,
             "cpk": d.capability.cpk, "cpk_note": d.capability.reason, "fails": d.fails,
             "failing_serials": d.failing_serials,
             "not_numbers": d.not_numbers, "plot": (plots or {}).get(d.slug)}
            for d in lot.distributions],
    }


def render_html(lot: Lot, pngs: dict[str, bytes]) -> str:
    """The lot report as one self-contained HTML page (plots as data: URIs)."""
    y = lot.yields
    e = escape
    rows = []
    for d in lot.distributions:
        c = d.capability
        low_cpk = c.cpk is not None and c.cpk < 1.33
        rows.append(
            f"<tr><td>{e(d.name)}{'' if d.basis == 'as measured' else f'<br><span class=small>{e(d.basis)}</span>'}"
            f"</td><td class='num'>{e(d.limits)}</td><td class='num'>{c.n}</td>"
            f"<td class='num'>{_num(c.mean)}</td><td class='num'>{_num(c.sigma, 3)}</td>"
            f"<td class='num'>{_num(min(d.values) if d.values else None)}</td>"
            f"<td class='num'>{_num(max(d.values) if d.values else None)}</td>"
            f"<td class='num{' low' if low_cpk else ''}'>{e(c.text)}</td>"
            f"<td class='num'>{d.fails}{_serials(d.failing_serials)}</td>"
            f"<td class='small'>{e(d.origin)}</td></tr>")
    figures = "".join(
        f"<figure id='plot-{e(d.slug)}'><img alt='{e(d.name)} histogram' src='data:image/png;base64,"
        f"{base64.b64encode(pngs[d.slug]).decode()}'><figcaption>{e(d.name)} — limits {e(d.limits)}, "
        f"Cpk {e(d.capability.text)}</figcaption></figure>" for d in lot.distributions)
    steps = "".join(f"<tr><td>{e(step)}</td><td class='num'>{count}</td></tr>"
                    for step, count in y.failing_steps.items()) or "<tr><td colspan='2'>none</td></tr>"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>EOL lot report — {e(lot.selection.describe())}</title>
<style>
body {{ font: 11pt/1.4 "DejaVu Sans", Arial, sans-serif; margin: 2em auto; max-width: 1100px; color: #111; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; }}
th, td {{ border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: left; }}
th {{ background: #eee; }} td.num {{ text-align: right; white-space: nowrap; }}
td.low {{ background: #ffe1e1; font-weight: bold; }} .small {{ font-size: 85%; color: #444; word-break: break-word; }}
table#capability {{ width: 100%; }} table#capability td.small {{ width: 32%; }}
.big {{ font-size: 200%; font-weight: bold; }}
figure {{ display: inline-block; margin: 0.5em; }} figure img {{ max-width: 100%; }}
pre {{ white-space: pre-wrap; background: #f6f6f6; padding: 0.6em; }}
@media print {{ figure {{ break-inside: avoid; }} }}
</style></head><body>
<h1>End-of-line lot report</h1>
<p>{e(lot.selection.describe())} · generated {e(lot.generated_utc)} · database {e(lot.database)}</p>
<h2>Yield</h2>
<table id="yield">
<tr><th>units</th><td class="num">{y.units}</td></tr>
<tr><th>first-pass yield</th><td class="num big">{_percent(y.first_pass_yield)}</td></tr>
<tr><th>first pass / judged units</th><td class="num">{y.first_pass} / {y.judged_units}</td></tr>
<tr><th>final yield</th><td class="num big">{_percent(y.final_yield)}</td></tr>
<tr><th>final pass / judged units</th><td class="num">{y.final_pass} / {y.judged_units}</td></tr>
<tr><th>attempts</th><td class="num">{y.attempts}</td></tr>
<tr><th>retests (units retested)</th><td class="num">{y.retests} ({y.retested_units})</td></tr>
<tr><th>bench faults (ERROR attempts, not judged)</th><td class="num">{y.error_attempts}</td></tr>
</table>
<h3>First-attempt failures by step</h3>
<table id="failing-steps"><tr><th>step</th><th>units</th></tr>{steps}</table>
<h2>Measurements: distribution and Cpk</h2>
<table id="capability"><tr><th>measurement</th><th>limits</th><th>n</th><th>mean</th><th>σ</th><th>min</th>
<th>max</th><th>Cpk</th><th>fails</th><th>origin of the limits</th></tr>{''.join(rows)}</table>
<p class="small">Cpk below 1.33 is highlighted (a common capability target; a lab decision, not a standard's limit).</p>
{figures}
<h2>Definitions</h2><pre>{e(DEFINITIONS.strip())}</pre>
</body></html>
"""


@dataclass(frozen=True)
class LotReport:
    lot: Lot
    html: Path
    json: Path
    plots: dict[str, Path]   # slug -> PNG file


def write_report(store: Store, out_dir: str | Path, selection: Selection = Selection()) -> LotReport:
    """Write ``lot-report.html``, ``lot-report.json`` and ``plots/<measurement>.png`` under ``out_dir``."""
    out = Path(out_dir)
    (out / "plots").mkdir(parents=True, exist_ok=True)
    lot = collect(store, selection)
    pngs: dict[str, bytes] = {}
    plots: dict[str, str] = {}
    for d in lot.distributions:
        pngs[d.slug] = histogram_png(d)
        path = out / "plots" / f"{d.slug}.png"
        path.write_bytes(pngs[d.slug])
        plots[d.slug] = path.relative_to(out).as_posix()
    html_path = out / "lot-report.html"
    json_path = out / "lot-report.json"
    html_path.write_text(render_html(lot, pngs), encoding="utf-8")
    json_path.write_text(json.dumps(summary(lot, plots), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return LotReport(lot=lot, html=html_path, json=json_path,
                     plots={slug: out / relative for slug, relative in plots.items()})
