"""A unit's end-of-line certificate: one printable HTML page from one stored record.

It is what goes into the unit's box or the customer's file, so it reads on paper (A4, print CSS, no
script, no external resource): the unit and its production order, station, operator and times, the
verdict in large type (with the failing step and its value against its limit), every step, every
measurement with its value, limits, margin and the origin of the limits, and each instrument with its
identity and calibration due date (an overdue one highlighted, since a measurement made with it is
then not traceable).

Every text comes from a scanner, a production order or an instrument's ``*IDN?``: all of it is
escaped (:func:`html.escape`), nothing in a record can add markup to the page.
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

VERDICT_CLASS = {"PASS": "pass", "FAIL": "fail", "ERROR": "error", "SKIPPED": "skipped", "INCONCLUSIVE": "error"}

CSS = """
@page { size: A4; margin: 14mm 12mm; }
* { box-sizing: border-box; }
body { font: 10.5pt/1.35 "DejaVu Sans", Arial, sans-serif; color: #111; margin: 0 auto; max-width: 190mm; }
h1 { font-size: 16pt; margin: 0 0 2mm; }
h2 { font-size: 12pt; margin: 6mm 0 2mm; border-bottom: 1px solid #999; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #bbb; padding: 1.2mm 1.6mm; text-align: left; vertical-align: top;
         overflow-wrap: break-word; }
table.steps td:nth-child(2) { width: 30%; }
th { background: #eee; }
td.origin { width: 34%; word-break: break-word; }
td.small { word-break: break-word; }
td.lim { font-variant-numeric: tabular-nums; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr { break-inside: avoid; page-break-inside: avoid; }
thead { display: table-header-group; }
.facts th { width: 30%; }
.verdict { font-size: 44pt; font-weight: bold; text-align: center; padding: 4mm; margin: 4mm 0;
           border: 3px solid; letter-spacing: 0.1em; }
.verdict.pass { color: #0a6b2d; border-color: #0a6b2d; }
.verdict.fail { color: #b00020; border-color: #b00020; }
.verdict.error { color: #8a5a00; border-color: #8a5a00; }
.failed { border: 2px solid #b00020; padding: 2mm 3mm; }
td.pass { color: #0a6b2d; font-weight: bold; }
td.fail { color: #b00020; font-weight: bold; }
td.error, td.skipped { color: #8a5a00; font-weight: bold; }
tr.overdue td { background: #ffe1e1; }
.overdue-flag { color: #b00020; font-weight: bold; }
.small { font-size: 8.5pt; color: #444; }
@media print { body { max-width: none; } * { -webkit-print-color-adjust: exact; print-color-adjust: exact; } }
"""


def text(value: Any) -> str:
    """Any value as escaped text ('—' for none); an object or a list (the order's factory defaults,
    the identity as each method reported it) as one ``key: value`` line per leaf, JSON-valued."""
    if value is None or value == "":
        return "—"
    if isinstance(value, list) and not any(isinstance(item, (dict, list)) for item in value):
        return escape(json.dumps(value, ensure_ascii=False, default=str))
    if isinstance(value, (dict, list)):
        return "<br>".join(f"{escape(key)}: {escape(json.dumps(leaf, ensure_ascii=False, default=str))}"
                           for key, leaf in _leaves(value)) or "—"
    return escape(str(value), quote=True)


def _leaves(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """``{"app": {"headless": True}}`` -> ``[("app.headless", True)]``."""
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list) and any(isinstance(item, (dict, list)) for item in value):
        items = [(f"[{i}]", item) for i, item in enumerate(value)]
    else:
        return [(prefix or "value", value)]
    found: list[tuple[str, Any]] = []
    for key, item in items:
        name = f"{prefix}.{key}" if prefix and not str(key).startswith("[") else f"{prefix}{key}"
        found += _leaves(item, name) if isinstance(item, (dict, list)) else [(name, item)]
    return found


def number(value: Any, digits: int = 4) -> str:
    """A number in 4 significant digits (escaped text for anything else: a reading that was not one)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "—" if not math.isfinite(value) else escape(f"{value:.{digits}g}")
    return text(value)


def limits(low: Any, high: Any, unit: str) -> str:
    lo = "−∞" if low is None else number(low, 6)
    hi = "+∞" if high is None else number(high, 6)
    return f"[{lo}, {hi}] {text(unit) if unit else ''}".rstrip()


def _facts(rows: Iterable[tuple[str, Any]]) -> str:
    body = "".join(f"<tr><th>{text(k)}</th><td>{text(v)}</td></tr>" for k, v in rows)
    return f"<table class='facts'>{body}</table>"


def _table(headers: Sequence[str], rows: Iterable[str], css: str) -> str:
    head = "".join(f"<th>{text(h)}</th>" for h in headers)
    body = "".join(rows)
    return f"<table class='{css}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _verdict_cell(verdict: Any) -> str:
    return f"<td class='{VERDICT_CLASS.get(str(verdict), 'error')}'>{text(verdict)}</td>"


def _failed_block(failed: Mapping[str, Any] | None) -> str:
    if not failed:
        return ""
    value = failed.get("value")
    value_text = "" if value is None else f"{number(value)} {text(failed.get('unit') or '')}".rstrip()
    parts = [f"<b>Failed step:</b> {text(failed.get('step'))}"]
    if failed.get("measurement"):
        parts.append(f"<b>{text(failed['measurement'])}</b> = {value_text or '—'} "
                     f"against {text(failed.get('limits'))}")
    if failed.get("message"):
        parts.append(text(failed["message"]))
    return "<div class='failed'>" + "<br>".join(parts) + "</div>"


def render(record: Mapping[str, Any]) -> str:
    """The certificate of one record (as :meth:`records.store.Store.record` returns it) as HTML text."""
    database = record.get("database") or {}
    verdict = str(record.get("verdict", "ERROR"))
    order = record.get("order") or {}
    identity = record.get("identity") or {}
    shown_verdict = {"ERROR": "NOT JUDGED"}.get(verdict, verdict)

    unit_facts = [("Serial (scanned)", record.get("serial")),
                  ("Serial (charger)", identity.get("serial_number")),
                  ("Board revision", identity.get("board_revision")),
                  ("Firmware", identity.get("firmware"))]
    unit_facts += [(f"Identity: {k}", v) for k, v in identity.items()
                   if k not in ("serial_number", "board_revision", "firmware")]
    order_facts = [("Order", order.get("id"))] + [(f"Order: {k}", v) for k, v in order.items() if k != "id"]
    run_facts = [("Station", record.get("station")), ("Operator", record.get("operator")),
                 ("Bench", record.get("bench")), ("Time scale", record.get("time_scale")),
                 ("Started (UTC)", record.get("started_utc")), ("Finished (UTC)", record.get("finished_utc")),
                 ("Duration (s)", record.get("duration_s")),
                 ("Attempt", f"{database.get('attempt', '—')}{' (retest)' if database.get('retest') else ''}"),
                 ("Record id", database.get("id")), ("Stored (UTC)", database.get("stored_utc"))]

    steps = [f"<tr><td>{text(s.get('step'))}</td><td>{text(s.get('title'))}</td>{_verdict_cell(s.get('verdict'))}"
             f"<td class='num'>{number(s.get('started_s'))}</td><td class='num'>{number(s.get('duration_s'))}</td>"
             f"<td>{text(s.get('message'))}</td></tr>" for s in record.get("steps", [])]
    measurements = [
        f"<tr><td>{text(m.get('name'))}<br><span class='small'>{text(m.get('step'))}</span></td>"
        f"<td class='num'>{number(m.get('value'), 6)} {text(m.get('unit')) if m.get('unit') else ''}</td>"
        f"<td class='lim'>{limits(m.get('low'), m.get('high'), m.get('unit', ''))}</td>"
        f"<td class='num'>{number(m.get('margin'))}</td>"
        f"<td class='num'>{'±' + number(m.get('uncertainty')) if m.get('uncertainty') else '—'}</td>"
        f"{_verdict_cell(m.get('verdict'))}<td class='small origin'>{text(m.get('origin'))}</td></tr>"
        for m in record.get("measurements", [])]
    instruments = []
    for s in record.get("instruments", []):
        overdue = bool(s.get("overdue"))
        due = text(s.get("calibration_due")) + (" <span class='overdue-flag'>OVERDUE</span>" if overdue else "")
        instruments.append(f"<tr class='{'overdue' if overdue else ''}'><td>{text(s.get('name'))}</td>"
                           f"<td>{text(s.get('adapter'))}</td><td class='small'>{text(s.get('idn'))}</td>"
                           f"<td>{due}</td></tr>")

    serial = text(record.get("serial"))
    return "\n".join([
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        f"<title>EOL certificate {serial}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>End-of-line test certificate — Lektri.co 1P7K, serial {serial}</h1>",
        f"<div class='verdict {VERDICT_CLASS.get(verdict, 'error')}' id='verdict'>{text(shown_verdict)}</div>",
        _failed_block(record.get("failed_step")),
        "<h2>Unit</h2>", _facts(unit_facts),
        "<h2>Production order</h2>", _facts(order_facts),
        "<h2>Test run</h2>", _facts(run_facts),
        "<h2>Steps</h2>",
        _table(["Step", "Title", "Verdict", "Start (s)", "Duration (s)", "Message"], steps, "steps"),
        "<h2>Measurements</h2>",
        _table(["Measurement (step)", "Value", "Limits", "Margin", "±", "Verdict", "Origin of the limits"],
               measurements, "measurements"),
        "<h2>Instruments</h2>",
        _table(["Name", "Adapter", "Identity (*IDN?)", "Calibration due"], instruments, "instruments"),
        f"<p class='small'>Schema {text(record.get('schema'))}, database revision {text(database.get('revision'))}. "
        "Margin: distance to the nearest limit in the measurement's unit, positive inside the limits.</p>",
        "</body></html>",
    ]) + "\n"
