"""Finish one test's Allure result at its teardown report, and record a run stopped by a bench fault.

allure-pytest names a test after its function and knows nothing of the spec, of whose fault a red
result is, or of the measurements' limits.  Here, once the test's last phase has run (its result is
still open in allure-pytest's logger until ``pytest_runtest_logfinish``), we set:

* its primary section (the first ``cover()``, else :func:`reports.sections.fallback_section`) as
  feature/story, when ``cover()`` did not already;
* its title: section + behaviour (:func:`reports.sections.title`);
* the label ``verdict_class`` (fixtures.verdicts): the report's categories match it;
* the "Measurements" HTML table of every measurement the test checked (reports.measurement_table).
"""
from __future__ import annotations

import hashlib
import json
import time
import uuid
from pathlib import Path
from typing import Any

import allure
import pytest
from allure_commons.model2 import Label

from reports.allure_support import RunRecord, write_global_errors
from reports.measurement_table import html_table
from reports.sections import behaviour, chapter_of, fallback_section, title

PROJECT_PACKAGES = ("fixtures", "suites", "reports", "rig", "tests", "conftest", "station", "records")
"""Where the project's own fixtures live: the report keeps their setup/teardown, hides the rest."""


def _open_result(item: pytest.Item) -> Any:
    """The item's Allure result while allure-pytest still holds it (None without --alluredir)."""
    listener = item.config.pluginmanager.get_plugin("allure_listener")
    if listener is None:
        return None
    result = listener.allure_logger.get_test(None)
    return result if result is not None and getattr(result, "fullName", None) else None


def finish_test_result(item: pytest.Item, record: RunRecord) -> None:
    result = _open_result(item)
    if result is None:
        return
    names = {label.name for label in result.labels}
    section = record.sections.get(item.nodeid)
    if section is None:
        section = fallback_section(item.nodeid, [marker.name for marker in item.iter_markers()])
    if "story" not in names:
        result.labels += [Label(name="feature", value=chapter_of(section)), Label(name="story", value=section)]
    verdict = getattr(item, "verdict_class", None)
    if verdict is not None:
        result.labels.append(Label(name="verdict_class", value=str(getattr(verdict, "value", verdict))))
    function = getattr(item, "function", None)
    param_id = getattr(getattr(item, "callspec", None), "id", None)
    if result.name == item.name:  # allure-pytest's default: the test did not title itself
        what = behaviour(getattr(function, "__doc__", None), getattr(item, "originalname", item.name))
    else:
        what = result.name
    result.name = title(section, what, param_id)
    measurements = [m for m in record.measurements if m.test == item.nodeid]
    if measurements:
        allure.attach(html_table(measurements), name="Measurements", attachment_type=allure.attachment_type.HTML)


def project_fixture(fixturedef: Any) -> tuple[str, str] | None:
    """``(name, its docstring's first line)`` when the fixture is the project's own, else None (pytest's,
    a plugin's, parametrize's pseudo-fixtures): reports.build keeps only these in setup/teardown."""
    if fixturedef.argname.startswith("_"):
        return None
    module = getattr(fixturedef.func, "__module__", "") or ""
    if module.split(".")[0] not in PROJECT_PACKAGES:
        return None
    doc = (fixturedef.func.__doc__ or "").strip().splitlines()
    return fixturedef.argname, doc[0].strip() if doc else ""


def write_run_fault(results: Path, message: str, started: bool) -> None:
    """A *broken* result for a bench fault that stopped the run, a run-level error, and the reason on
    every test the fault left unrun (allure-pytest closed them as skipped with no reason)."""
    line = message.splitlines()[0] if message else "bench fault"
    line = line.removeprefix("bench fault: ")
    name = f"Bench fault {'during the run' if started else 'at start-up'}: {line}"
    now = int(time.time() * 1000)
    key = hashlib.md5(("lektrico-hil#bench-fault-" + ("run" if started else "start-up")).encode()).hexdigest()
    result = {"uuid": str(uuid.uuid4()), "historyId": key, "testCaseId": key, "name": name,
              "fullName": "lektrico-hil#bench-fault-" + ("during-the-run" if started else "at-start-up"),
              "status": "broken", "stage": "finished",
              "statusDetails": {"message": message,
                                "trace": "The run was stopped by a bench fault (exit code 3): nothing was "
                                         "learned about the charger from the tests that did not run."},
              "labels": [{"name": "feature", "value": "Bench"}, {"name": "story", "value": "Bench fault"},
                         {"name": "verdict_class", "value": "bench"}, {"name": "tag", "value": "bench fault"}],
              "start": now, "stop": now}
    (results / f"{result['uuid']}-result.json").write_text(json.dumps(result))
    write_global_errors(results, [name])
    for path in results.glob("*-result.json"):
        data = json.loads(path.read_text())
        if data.get("status") == "skipped" and not data.get("statusDetails"):
            data["statusDetails"] = {"message": f"not run: {name}"}
            _place_unrun(data)
            path.write_text(json.dumps(data))


def _place_unrun(data: dict[str, Any]) -> None:
    """A test the fault left unrun never reached its teardown: give it its module's section and a
    readable title here, so it is not a raw function name outside every group."""
    if any(label.get("name") == "story" for label in data.get("labels", [])):
        return
    module, _, function = data.get("fullName", "").partition("#")
    tags = [label.get("value", "") for label in data.get("labels", []) if label.get("name") == "tag"]
    section = fallback_section(module.replace(".", "/") + ".py", tags)
    param = data.get("name", "").partition("[")[2].rstrip("]") or None
    data.setdefault("labels", []).extend([{"name": "feature", "value": chapter_of(section)},
                                          {"name": "story", "value": section},
                                          {"name": "verdict_class", "value": "skipped"}])
    data["name"] = title(section, behaviour(data.get("description"), function), param)
