"""Prepare a copy of one run's Allure results for the HTML report (reports.build works on the copy).

* Setup and teardown show the project's own fixtures only, named readably (``charger guard``,
  ``rig (teardown)``): pytest's internals (``_session_scoped_runner``, ``event_loop_policy``,
  ``tmp_path_factory``), parametrize's pseudo-fixtures (``key``, ``case``) and the ``<lambda>``
  finalizers pytest adds to every fixture are dropped, unless one of them failed or carries steps or
  attachments.  Which fixtures are the project's comes from ``fixtures.json`` (reports.test_result).
* Global attachments on the overview: "Spec ambiguities met" (an HTML table from ambiguities.json)
  and "Spec coverage" (the matrix of reports.spec_coverage).  The verification summary is written
  at run time (fixtures.verification).
"""
from __future__ import annotations

import html
import json
import re
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any

from reports.allure_support import write_global_attachment
from reports.spec_coverage import markdown as coverage_markdown
from reports.spec_coverage import read_results

_FINALIZER = re.compile(r"^(?P<name>[^:]+)::(?P<finalizer>.+)$")


def readable_fixture(name: str) -> str:
    return name.strip("_").replace("_", " ")


def _has_content(step: dict[str, Any]) -> bool:
    return bool(step.get("steps") or step.get("attachments")) or step.get("status") not in (None, "passed")


def clean_container(container: dict[str, Any], project: set[str]) -> dict[str, Any]:
    """The container with only the project's fixtures, each named once and readably."""
    befores = []
    for before in container.get("befores", []):
        if before["name"] in project or _has_content(before):
            befores.append({**before, "name": readable_fixture(before["name"])})
    afters, seen = [], set()
    for after in container.get("afters", []):
        match = _FINALIZER.match(after["name"])
        fixture = match["name"] if match else after["name"]
        internal = fixture not in project or (match is not None and match["finalizer"] == "<lambda>")
        if internal and not _has_content(after):
            continue
        if fixture in seen and not _has_content(after):
            continue
        seen.add(fixture)
        afters.append({**after, "name": f"{readable_fixture(fixture)} (teardown)"})
    return {**container, "befores": befores, "afters": afters}


def clean_containers(results: Path) -> int:
    """Rewrite every container in ``results``; the number of fixture entries hidden."""
    listed = results / "fixtures.json"
    project = set(json.loads(listed.read_text())) if listed.exists() else set()
    hidden = 0
    for path in results.glob("*-container.json"):
        container = json.loads(path.read_text())
        cleaned = clean_container(container, project)
        hidden += (len(container.get("befores", [])) + len(container.get("afters", []))
                   - len(cleaned["befores"]) - len(cleaned["afters"]))
        path.write_text(json.dumps(cleaned))
    return hidden


def ambiguity_table(entries: list[dict[str, Any]]) -> str:
    """One row per ambiguity met: id, section, summary, the reading(s) the charger chose, the tests."""
    by_id: dict[str, dict[str, Any]] = {}
    tests: dict[str, set[str]] = defaultdict(set)
    readings: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        by_id.setdefault(entry["id"], entry)
        tests[entry["id"]].add(entry["test"])
        readings[entry["id"]].add(entry["reading"])
    rows = "".join(
        "<tr>" + "".join(f"<td>{cell}</td>" for cell in (
            html.escape(key), html.escape(by_id[key]["section"]), html.escape(by_id[key]["summary"]),
            "<br>".join(html.escape(r) for r in sorted(readings[key])),
            f"{len(tests[key])}: " + "<br>".join(html.escape(t) for t in sorted(tests[key])[:20])
            + ("<br>…" if len(tests[key]) > 20 else ""))) + "</tr>"
        for key in sorted(by_id))
    body = (f"<p>{len(by_id)} place(s) where the RPC list allows two readings met in this run; each test "
            "accepted the readings the ambiguity table allows and labels the one this charger took.</p>"
            if by_id else "<p>No spec ambiguity was met in this run.</p>")
    return ("<!doctype html><html><head><meta charset='utf-8'><style>body{font:13px system-ui,sans-serif}"
            "table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:3px 6px;vertical-align:top;"
            "text-align:left;overflow-wrap:anywhere}th{background:#f0f0f0}td:last-child{min-width:30em}"
            "</style></head><body>" + body
            + ("<table id='ambiguities'><thead><tr><th>id</th><th>section</th><th>summary</th>"
               f"<th>reading chosen</th><th>tests</th></tr></thead><tbody>{rows}</tbody></table>" if by_id else "")
            + "</body></html>")


def add_global_attachments(results: Path) -> None:
    ambiguities = results / "ambiguities.json"
    if ambiguities.exists():
        write_global_attachment(results, "Spec ambiguities met", ambiguity_table(json.loads(ambiguities.read_text())),
                                "text/html", "html")
    if any(results.glob("*-result.json")):
        write_global_attachment(results, "Spec coverage", coverage_markdown(read_results(results)),
                                "text/markdown", "md")


def stage(results: Path, staging: Path) -> Path:
    """A prepared copy of ``results`` in ``staging`` (the run's own results stay as pytest wrote them)."""
    if staging.exists():
        shutil.rmtree(staging)
    shutil.copytree(results, staging)
    clean_containers(staging)
    add_global_attachments(staging)
    return staging
