"""The "Measurements" attachment of a test: one HTML table row per checked measurement.

Allure's parameter chips truncate a long value and show no columns, so a reader could not see the
limit or the margin of a duty cycle at a glance.  The table has name, value ± uncertainty, unit,
limits, margin, verdict and the origin of the limits (standard and clause), from the run record's
:class:`reports.allure_support.MeasurementRecord` entries of that test.
"""
from __future__ import annotations

import html
import math
from collections.abc import Iterable
from typing import Any

from reports.allure_support import MeasurementRecord

COLUMNS = ("measurement", "value", "unit", "limits", "margin", "verdict", "origin")
_VERDICT_COLOUR = {"PASS": "#1b7f3b", "FAIL": "#b3261e", "INCONCLUSIVE": "#8a5a00"}


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return f"{value:.6g}"


def limits_text(record: MeasurementRecord) -> str:
    """``[26.17, 27.17]``, ``≤ 3``, ``≥ 980``: the accepted interval in the measurement's unit."""
    if record.low is not None and record.high is not None:
        return f"[{_number(record.low)}, {_number(record.high)}]"
    if record.high is not None:
        return f"≤ {_number(record.high)}"
    return f"≥ {_number(record.low)}"


def value_text(record: MeasurementRecord) -> str:
    spread = record.uncertainty
    if spread and spread == spread:
        return f"{_number(record.value)} ± {_number(spread)}"
    return _number(record.value)


def html_table(records: Iterable[MeasurementRecord], title: str = "Measurements") -> str:
    """A self-contained HTML page (inline style: the report shows it in an iframe) with the table."""
    rows = []
    for record in records:
        colour = _VERDICT_COLOUR.get(record.verdict, "#333")
        how = f"<br><small>{html.escape(record.how)}</small>" if record.how else ""
        cells = (html.escape(record.name) + how, html.escape(value_text(record)), html.escape(record.unit),
                 html.escape(limits_text(record)),
                 html.escape("—" if record.margin is None else _number(record.margin)),
                 f'<b style="color:{colour}">{html.escape(record.verdict)}</b>', html.escape(record.origin))
        rows.append(f'<tr class="{html.escape(record.verdict.lower())}">'
                    + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    head = "".join(f"<th>{name}</th>" for name in COLUMNS)
    return ("<!doctype html><html><head><meta charset='utf-8'><style>"
            "body{font:13px system-ui,sans-serif;margin:8px}table{border-collapse:collapse;width:100%}"
            "th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}"
            "th{background:#f0f0f0}tr.fail{background:#fdecea}tr.inconclusive{background:#fff4e0}"
            "td:nth-child(2),td:nth-child(5){text-align:right;white-space:nowrap}</style></head><body>"
            f"<table id='measurements' aria-label='{html.escape(title)}'><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></body></html>")
