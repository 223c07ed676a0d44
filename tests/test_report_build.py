"""The report's results read like the spec and say whose fault a red result is (reports.test_result,
reports.postprocess, reports.sections), and every limit origin cites a row of reference/standards.md.

A tiny suite runs in a subprocess next to the project's plugins (pytester, no charger): its Allure
results must give each test one primary section (groups that never contain each other's tests), a
title of section + behaviour, the label ``verdict_class``, and a "Measurements" table instead of
parameter chips.  A run whose charger does not answer must show a *broken* "Bench fault at start-up"
result and a run-level error, not "1 skipped".  A defective report would get each of these wrong.
"""
from __future__ import annotations

import ast
import json
import textwrap
import tomllib
from pathlib import Path
from typing import Any

import pytest

from reference.standards import cited_rows, rows
from reports.measurement_table import html_table
from reports.allure_support import MeasurementRecord
from reports.postprocess import ambiguity_table, clean_container, stage
from reports.sections import behaviour, fallback_section, title
from tests.plugin_ini import plugin_ini

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INI = plugin_ini({"methods": "methods", "rcd": "residual current"})
SUITE = textwrap.dedent('''
    import pytest
    from reports.allure_support import cover
    from rig.measurement import Measurement

    pytestmark = pytest.mark.methods


    def test_6_15_covers_two_sections():
        """Install_current.Set is read back by Charger_info.Get.

        More text that is not the title."""
        cover("6.15 Install_current.Set")
        cover("6.5 Charger_info.Get")
        cover("6.15 Install_current.Set")
        Measurement("pwm duty at 16 A", unit="%", nominal=26.67, tolerance=0.5,
                    origin="IEC 61851-1 Annex A (reference/standards.md T4)").check(26.7)


    @pytest.mark.parametrize("amps", [6, 32])
    def test_never_calls_cover(amps):
        assert amps


    def test_out_of_its_limit():
        cover("IEC 61851-1 contactor timing", title="B2 → C2: contactor closes in time")
        Measurement("contactor close delay", unit="s", high=3.0,
                    origin="IEC 61851-1 Annex A (ref) (reference/standards.md T10)").check(3.2, 0.05, "timer")
''')


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makeini(INI)
    pytester.makepyfile(test_tiny=SUITE)
    return pytester


def _results(directory: Path) -> dict[str, dict[str, Any]]:
    return {json.loads(p.read_text())["fullName"].split("#")[-1] + str(i): json.loads(p.read_text())
            for i, p in enumerate(sorted(directory.glob("*-result.json")))}


def _labels(result: dict[str, Any], name: str) -> list[str]:
    return [label["value"] for label in result.get("labels", []) if label["name"] == name]


def test_each_test_has_one_section_a_spec_title_a_verdict_class_and_a_measurement_table(suite: pytest.Pytester) -> None:
    allure = suite.path / "allure"
    result = suite.runpytest_subprocess(f"--alluredir={allure}")
    assert result.ret == 1, result.stdout.str()[-2000:]
    by_name = {r["name"]: r for r in _results(allure).values()}
    assert set(by_name) == {
        "6.15 Install_current.Set: Install_current.Set is read back by Charger_info.Get",
        "6 Commands: never calls cover [6]", "6 Commands: never calls cover [32]",
        "IEC 61851-1 contactor timing: B2 → C2: contactor closes in time"}, sorted(by_name)
    for result_ in by_name.values():  # one primary section each: the groups add up to the test count
        assert len(_labels(result_, "feature")) == 1 and len(_labels(result_, "story")) == 1, result_["labels"]
        assert not [p for p in result_.get("parameters", []) if p["name"] in ("pwm duty at 16 A", "contactor close delay")]
    two = by_name["6.15 Install_current.Set: Install_current.Set is read back by Charger_info.Get"]
    assert _labels(two, "story") == ["6.15 Install_current.Set"] and _labels(two, "feature") == ["6 Commands"]
    assert "covers:6.5 Charger_info.Get" in _labels(two, "tag")
    assert sorted(set(_labels(two, "covers"))) == ["6.15 Install_current.Set", "6.5 Charger_info.Get"]
    assert _labels(two, "verdict_class") == ["passed"]
    red = by_name["IEC 61851-1 contactor timing: B2 → C2: contactor closes in time"]
    assert _labels(red, "verdict_class") == ["product"]
    table = next(a for a in red["attachments"] if a["name"] == "Measurements")
    assert table["type"] == "text/html"
    text = (allure / table["source"]).read_text()
    for cell in ("contactor close delay", "3.2 ± 0.05", "≤ 3", "-0.2", "FAIL", "reference/standards.md T10"):
        assert cell in text, cell
    assert _labels(by_name["6 Commands: never calls cover [6]"], "story") == ["6 Commands"]
    project = json.loads((allure / "fixtures.json").read_text())
    assert "event_loop_policy" not in project and "tmp_path_factory" not in project and "amps" not in project


def test_a_charger_that_does_not_answer_is_a_broken_bench_fault_result_not_a_skip(suite: pytest.Pytester) -> None:
    allure = suite.path / "allure"
    suite.makepyfile(test_tiny="import pytest\n\npytestmark = pytest.mark.methods\n\n"
                               "async def test_needs_the_charger(charger):\n    pass\n")
    result = suite.runpytest_subprocess(f"--alluredir={allure}", "--charger-url", "http://127.0.0.1:9")
    assert result.ret == 3, result.stdout.str()[-2000:]
    results = list(_results(allure).values())
    broken = [r for r in results if r["status"] == "broken"]
    assert len(broken) == 1, [(r["name"], r["status"]) for r in results]
    assert broken[0]["name"].startswith("Bench fault at start-up: the charger at http://127.0.0.1:9 does not answer")
    assert _labels(broken[0], "verdict_class") == ["bench"]
    assert all(r.get("statusDetails", {}).get("message") for r in results), "a skip without its reason"
    unrun = next(r for r in results if r["status"] == "skipped")
    assert unrun["name"] == "Other: no spec section: needs the charger", unrun  # test_tiny.py: in no table
    assert _labels(unrun, "story") == ["Other: no spec section"], unrun
    errors = [e["message"] for p in allure.glob("*-globals.json") for e in json.loads(p.read_text())["errors"]]
    assert any(e.startswith("Bench fault at start-up") for e in errors), errors
    assert "bench" in json.loads((allure / "fixtures.json").read_text()), "the project's fixtures, as set up"


def test_setup_and_teardown_keep_only_the_project_fixtures_named_readably() -> None:
    container = {"befores": [{"name": "_session_scoped_runner", "status": "passed"}, {"name": "key", "status": "passed"},
                             {"name": "charger_guard", "status": "passed"},
                             {"name": "event_loop_policy", "status": "broken", "statusDetails": {"message": "x"}}],
                 "afters": [{"name": "charger_guard::<lambda>", "status": "passed"},
                            {"name": "charger_guard::finalizer", "status": "passed", "steps": [{"name": "restore"}]},
                            {"name": "rig::1", "status": "passed"}, {"name": "rig::<lambda>", "status": "passed"},
                            {"name": "key::<lambda>", "status": "passed"}]}
    cleaned = clean_container(container, {"charger_guard", "rig"})
    assert [b["name"] for b in cleaned["befores"]] == ["charger guard", "event loop policy"]  # a failure stays
    assert [a["name"] for a in cleaned["afters"]] == ["charger guard (teardown)", "rig (teardown)"]


def test_staging_adds_the_ambiguity_and_coverage_pages(tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    (results / "ambiguities.json").write_text(json.dumps([
        {"test": "t::a", "id": "config_value_type", "section": "6.4", "summary": "s", "reading": "strings too"}]))
    (results / "x-result.json").write_text(json.dumps({"name": "x", "status": "passed", "fullName": "m#x",
                                                      "labels": [{"name": "covers", "value": "6.4 App_config.Set"}]}))
    staged = stage(results, tmp_path / "staged")
    names = {a["name"] for p in staged.glob("*-globals.json") for a in json.loads(p.read_text())["attachments"]}
    assert names == {"Spec ambiguities met", "Spec coverage"}
    coverage = next(staged.glob("*-attachment.md")).read_text()
    assert "| 6.4 | App_config.Set | ✓ |" in coverage  # covered through a 'covers' label, not only 'story'
    assert "config_value_type" in ambiguity_table(json.loads((results / "ambiguities.json").read_text()))


@pytest.mark.parametrize(("nodeid", "markers", "section"), [
    ("suites/bench/test_rcd.py::test_x", [], "IEC 62955 / IEC 61008-1 residual current"),
    ("elsewhere/test_new.py::test_x", ["bench", "rcd"], "IEC 62955 / IEC 61008-1 residual current"),
    ("elsewhere/test_new.py::test_x", [], "Other: no spec section"),
])
def test_a_test_without_cover_gets_its_module_or_marker_section(nodeid: str, markers: list[str], section: str) -> None:
    assert fallback_section(nodeid, markers) == section


def test_titles_start_with_the_section_and_name_the_behaviour() -> None:
    assert behaviour(None, "test_6_15_install_current_rejects_above_range") == "install current rejects above range"
    assert behaviour("One past either bound: -4. More.\n\nMore.", "test_x") == "One past either bound: -4"
    assert title("6.15 Install_current.Set", "rejects above range", "33") == "6.15 Install_current.Set: rejects above range [33]"
    assert title("6.5 Charger_info.Get", "6.5 answers", None) == "6.5 answers"


def test_the_measurement_table_has_value_limits_margin_verdict_and_origin() -> None:
    record = MeasurementRecord("t", "duty", 27.9, "%", 26.17, 27.17, 26.67, -0.73, 0.0, "FAIL", "IEC 61851-1 Annex A")
    text = html_table([record])
    for cell in ("<td>duty</td>", "<td>27.9</td>", "[26.17, 27.17]", "-0.73", "FAIL", "IEC 61851-1 Annex A"):
        assert cell in text, cell


def _origin_strings() -> list[tuple[str, str]]:
    """Every limit origin of the default limits, and every origin text in suites/ and rig/ source:
    ``origin=`` keywords, ``Limit(...)``'s fourth argument, names ending in ``ORIGIN``/``origin``."""
    found: list[tuple[str, str]] = []
    limits = tomllib.loads((PROJECT_ROOT / "benches" / "default-limits.toml").read_text())["limits"]
    for name, limit in limits.items():
        found += [(f"default-limits.toml {name}", limit["origin"])]
        if "marginal_origin" in limit:
            found.append((f"default-limits.toml {name} marginal", limit["marginal_origin"]))
    for path in sorted((PROJECT_ROOT / "suites").rglob("*.py")) + sorted((PROJECT_ROOT / "rig").glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            texts: list[ast.AST] = []
            if isinstance(node, ast.Call):
                texts += [k.value for k in node.keywords if k.arg in ("origin", "marginal_origin")]
                if getattr(node.func, "id", getattr(node.func, "attr", "")) == "Limit" and len(node.args) >= 4:
                    texts.append(node.args[3])
            elif isinstance(node, ast.Assign) and any(getattr(t, "id", "").lower().endswith("origin") for t in node.targets):
                texts.append(node.value)
            elif isinstance(node, ast.FunctionDef) and node.name.endswith("origin"):
                texts += [n.value for n in ast.walk(node) if isinstance(n, ast.Return) and n.value is not None]
            for text in texts:
                parts = [n.value for n in ast.walk(text) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
                if parts:
                    found.append((f"{path.relative_to(PROJECT_ROOT)}:{text.lineno}", "".join(parts)))
    return found


def test_every_origin_cites_the_standard_and_a_row_of_the_reference_table_never_the_notes() -> None:
    origins = _origin_strings()
    assert len(origins) > 60
    notes = [(where, text) for where, text in origins if "field-facts" in text or "field facts" in text]
    assert not notes, f"origins citing a notes file the project does not ship: {notes}"
    unknown = [(where, row) for where, text in origins for row in cited_rows(text) if row not in rows()]
    assert not unknown, f"origins citing rows reference/standards.md lacks: {unknown}"
