"""The nightly profile: JUnit and a history line per run, the flaky list, the trend, and a last line that says
whose fault the red is.

The flaky rule and the history file are tested on synthetic runs; the exit codes, the last line and three
nights with one flip on a tiny suite (pytester, a second or two each); one real nightly run on two API
tests with a firmware defect that fails exactly one of them (``install_current_accepts_33``) writes JUnit and
its history line.  ``make nightly-demo`` (``LEKTRICO_NIGHTLY_NIGHTS=1``) runs three real nights, the defect on
the second only, builds a report after each into a private Allure history, and checks the flaky list and the
trend (about 40 s: outside CI).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from reports import nightly
from tests.plugin_ini import plugin_ini

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ALLURE = PROJECT_ROOT / "reports" / "node_modules" / ".bin" / "allure"  # reports/build.py runs it
RUN_TIMEOUT_S = 120


def run(bench: str, utc: str, **verdicts: str) -> dict[str, Any]:
    return nightly.history_entry(utc=utc, bench=bench, environment={"charger.fw_version": "1.47"}, exit_code=0,
                                 tests={name: nightly.TestResult("verified", v) for name, v in verdicts.items()},
                                 settings={})


# --- the flaky rule -------------------------------------------------------------------------------------------
def test_a_test_whose_verdict_class_changed_in_the_window_is_flaky_and_a_steady_one_is_not() -> None:
    runs = [run("lab", "d1", a="passed", b="passed", c="skipped"),
            run("lab", "d2", a="product", b="passed", c="skipped"),
            run("lab", "d3", a="passed", b="passed", c="skipped")]
    [found] = nightly.flaky(runs, "lab")
    assert (found.test, found.verdicts, found.changes) == ("a", ("passed", "product", "passed"), 2)
    assert found.sequence == "passed → product → passed"


def test_a_bench_fault_that_comes_and_goes_is_flaky_too() -> None:
    """passed → bench is no product verdict, but nobody should act on one night of it either."""
    runs = [run("lab", "d1", a="passed"), run("lab", "d2", a="bench")]
    assert [f.test for f in nightly.flaky(runs, "lab")] == ["a"]


def test_a_flip_older_than_the_window_is_forgotten() -> None:
    runs = [run("lab", "d1", a="product")] + [run("lab", f"d{n}", a="passed") for n in range(2, 9)]
    assert nightly.flaky(runs, "lab", window=7) == []
    assert [f.test for f in nightly.flaky(runs, "lab", window=8)] == ["a"]


def test_a_night_that_did_not_run_a_test_and_another_bench_change_nothing() -> None:
    runs = [run("lab", "d1", a="passed", b="passed"), run("lab", "d2", a="passed"),
            run("composite", "d2", b="skipped"), run("lab", "d3", a="passed", b="passed")]
    assert nightly.flaky(runs, "lab") == []  # b absent on d2 (deselected), and skipped only on another bench
    runs.append(run("lab", "d4", b="inconclusive"))
    [found] = nightly.flaky(runs, "lab")
    assert found.verdicts == ("passed", nightly.ABSENT, "passed", "inconclusive")


def test_the_history_survives_a_line_cut_short_and_keeps_each_line_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "nightly" / "history.jsonl"
    nightly.append(path, run("lab", "d1", a="passed"))
    with path.open("a") as stream:
        stream.write('{"schema": 1, "utc": "d2", "tests": {"a"\n')  # a runner killed mid-write
    nightly.append(path, run("lab", "d3", a="passed"))
    assert [r["utc"] for r in nightly.read(path)] == ["d1", "d3"]


def test_the_flaky_page_says_what_a_change_across_firmware_means() -> None:
    runs = [run("lab", "d1", a="passed"), run("lab", "d2", a="product")]
    runs[0]["firmware"] = "1.46"
    text = nightly.flaky_markdown(nightly.flaky(runs, "lab"), 2, 7, "lab")
    assert "| `a` | 1 | passed → product |" in text and "other firmware (1.46)" in text


@pytest.mark.parametrize(("code", "red", "line"), [
    (0, {"passed", "skipped"}, "nightly: verified (exit 0)"),
    (1, {"passed", "product", "bench"}, "nightly: product failure (exit 1; red: bench, product)"),
    (3, {"bench", "passed"}, "nightly: bench fault (exit 3; red: bench)"),
    (1, {"harness"}, "nightly: harness error (a bug in this project; no product verdict) (exit 1; red: harness)"),
    (7, {"inconclusive"}, "nightly: requirement not met (exit 7; red: inconclusive)"),
])
def test_the_last_line_names_whose_fault_the_red_is(code: int, red: set[str], line: str) -> None:
    assert nightly.final_line(code, red) == line


# --- three nights of a tiny suite (pytester, each in a subprocess: allure-pytest's listener is process-wide) -------
INI = plugin_ini({"methods": "methods", "rcd": "rcd"})
NIGHTS = textwrap.dedent("""
    import os
    import pytest
    from instruments.errors import BenchFault

    @pytest.mark.methods
    def test_flips():
        assert os.environ.get("TINY_DEFECT") != "1", "the charger answered 33 A"

    @pytest.mark.methods
    def test_steady():
        pass

    @pytest.mark.rcd
    def test_always_a_bench_fault():
        raise BenchFault("no reply from the residual current source within 3 s")

    @pytest.mark.methods
    def test_always_skipped():
        pytest.skip("the bench profile gives no PIN")
""")


def test_three_nights_product_outranks_bench_and_the_flaky_list_names_the_flip_only(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every night has a bench fault (exit 3, ``nightly: bench fault``); the second also a product failure,
    which outranks it (exit 1, ``nightly: product failure``).  Only the test whose verdict changed is flaky:
    not the one that is a bench fault every night, nor the one always skipped."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # only what -p names: the plugin by its name
    pytester.makeini(INI)
    pytester.makepyfile(test_tiny=NIGHTS)
    history = pytester.path / "nightly" / "history.jsonl"
    results: list[pytest.RunResult] = []
    for night in (1, 2, 3):
        monkeypatch.setenv("TINY_DEFECT", "1" if night == 2 else "0")
        results.append(pytester.runpytest_subprocess("--profile", "nightly", "--nightly-history", str(history),
                                                     f"--alluredir={pytester.path / f'allure-{night}'}"))
    assert [r.ret for r in results] == [3, 1, 3]
    assert [r.outlines[-1] for r in results] == ["nightly: bench fault (exit 3; red: bench)",
                                                 "nightly: product failure (exit 1; red: bench, product)",
                                                 "nightly: bench fault (exit 3; red: bench)"]
    first = results[0].outlines
    assert "0 flaky test(s) over the last 1 nightly run(s) (window 7): every test kept its verdict" in first
    last = results[2].outlines
    start = last.index("1 flaky test(s) over the last 3 nightly run(s) (window 7): verdict per run, oldest first")
    assert last[start + 1] == "  test_tiny.py::test_flips: passed → product → passed"
    assert not last[start + 2].startswith("  ")  # only it
    flaky_md = (pytester.path / "allure-3" / "flaky.md").read_text()
    assert "| `test_tiny.py::test_flips` | 2 | passed → product → passed |" in flaky_md
    assert "test_steady" not in flaky_md and "test_always" not in flaky_md
    globals_ = [json.loads(p.read_text()) for p in (pytester.path / "allure-3").glob("*-globals.json")]
    assert any(a["name"] == "Flaky tests" for g in globals_ for a in g["attachments"])
    lines = nightly.read(history)
    assert [line["exit_code"] for line in lines] == [3, 1, 3]
    assert [line["tests"]["test_tiny.py::test_flips"] for line in lines] == [
        {"outcome": "verified", "verdict": "passed"}, {"outcome": "failed", "verdict": "product"},
        {"outcome": "verified", "verdict": "passed"}]
    assert {line["tests"]["test_tiny.py::test_always_a_bench_fault"]["outcome"] for line in lines} == {"not judged"}
    assert {line["tests"]["test_tiny.py::test_always_skipped"]["verdict"] for line in lines} == {"skipped"}
    assert list(history.parent.glob("junit-*.xml"))  # JUnit by default, beside the history (stamps per second)


# --- one real nightly run on two API tests (CI) ---------------------------------------------------------------------
SELECTION = ["suites/api/test_method_params.py", "-k", "install_current and just_outside"]
FLIPS = ("suites/api/test_method_params.py::test_6_integer_param_just_outside_range_is_rejected"
         "[6.15 Install_current.Set-install_current-max]")
STEADY = FLIPS.replace("-max]", "-min]")
DEFECT = "install_current_accepts_33"   # 33 A accepted: the max edge's rejection fails, the min edge's does not


def real_nightly(history: Path, results: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", "--profile", "nightly", *SELECTION, "--fuzz-budget", "5",
               "--load-duration", "0.5", "--nightly-history", str(history), f"--alluredir={results}", *extra]
    return subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)


def test_a_real_nightly_run_writes_junit_and_a_history_line(tmp_path: Path) -> None:
    history = tmp_path / "nightly" / "history.jsonl"
    done = real_nightly(history, tmp_path / "allure", "--defect", DEFECT)
    out = done.stdout.splitlines()
    assert done.returncode == 1, out[-20:]
    assert out[-1] == "nightly: product failure (exit 1; red: product)"
    assert any(line.startswith("run profile nightly: ") and "fuzz budget 5, load 0.5 s" in line for line in out)
    [line] = nightly.read(history)
    assert line["tests"] == {FLIPS: {"outcome": "failed", "verdict": "product"},
                             STEADY: {"outcome": "verified", "verdict": "passed"}}  # deselected tests: not in it
    assert line["bench"] == "virtual" and line["firmware"] and line["settings"]["defects"] == [DEFECT]
    [junit] = history.parent.glob("junit-*.xml")
    cases = {case.get("name"): case for case in ET.parse(junit).getroot().iter("testcase")}
    flipped = cases[FLIPS.split("::")[1]]
    assert flipped.find("failure") is not None
    assert {p.get("name"): p.get("value") for p in flipped.iter("property")}["verdict_class"] == "product"


# --- three real nightly runs and their reports: the trend (make nightly-demo) ---------------------------------------
NIGHTS_ENV = "LEKTRICO_NIGHTLY_NIGHTS"
three_real_nights = pytest.mark.skipif(
    os.environ.get(NIGHTS_ENV) != "1",
    reason=f"three real nightly runs and three report builds (about 40 s): `make nightly-demo` ({NIGHTS_ENV}=1) "
           "runs them")


@pytest.fixture(scope="module")
def three_nights(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Night 1 correct, night 2 with the defect, night 3 correct; each report built after its run."""
    root = tmp_path_factory.mktemp("nightly")
    history, trend = root / "nightly" / "history.jsonl", root / "allure-history.jsonl"  # a private trend
    nights: list[dict[str, Any]] = []
    for night, defects in enumerate(([], [DEFECT], []), start=1):
        results = root / f"allure-{night}"
        done = real_nightly(history, results, *(word for defect in defects for word in ("--defect", defect)))
        built = None
        if ALLURE.exists():  # the project's own build (reports/build.py), its trend kept in a private history
            built = subprocess.run([sys.executable, "-m", "reports.build", str(results), str(root / f"html-{night}"),
                                    "--history", str(trend)], cwd=PROJECT_ROOT, capture_output=True, text=True,
                                   timeout=RUN_TIMEOUT_S)
        nights.append({"code": done.returncode, "out": done.stdout.splitlines(), "results": results,
                       "trend_lines": len(trend.read_text().splitlines()) if trend.exists() else 0,
                       "built": built, "html": root / f"html-{night}"})
    return {"history": history, "trend": trend, "nights": nights}


@three_real_nights
def test_each_night_writes_junit_and_one_history_line(three_nights: dict[str, Any]) -> None:
    nights = three_nights["nights"]
    assert [n["code"] for n in nights] == [0, 1, 0], [n["out"][-5:] for n in nights]
    assert [n["out"][-1] for n in nights] == ["nightly: verified (exit 0)",
                                              "nightly: product failure (exit 1; red: product)",
                                              "nightly: verified (exit 0)"]
    lines = nightly.read(three_nights["history"])
    assert [line["tests"][FLIPS]["verdict"] for line in lines] == ["passed", "product", "passed"]
    assert [line["tests"][STEADY]["verdict"] for line in lines] == ["passed"] * 3
    assert len(lines[0]["tests"]) == 2  # the deselected tests are not in the history
    assert lines[1]["settings"]["defects"] == [DEFECT] and lines[0]["settings"]["fuzz_budget"] == 5
    assert lines[0]["firmware"] and lines[0]["bench"] == "virtual"
    junit = sorted(three_nights["history"].parent.glob("junit-*.xml"))
    assert len(junit) == 3
    cases = {case.get("name"): case for case in ET.parse(junit[1]).getroot().iter("testcase")}
    flipped = cases[FLIPS.split("::")[1]]
    assert flipped.find("failure") is not None
    assert {p.get("name"): p.get("value") for p in flipped.iter("property")}["verdict_class"] == "product"


@three_real_nights
def test_the_flipped_test_and_only_it_is_listed_as_flaky(three_nights: dict[str, Any]) -> None:
    last = three_nights["nights"][-1]
    out = last["out"]
    start = next(i for i, line in enumerate(out) if "flaky tests (nightly history)" in line)
    assert out[start + 1] == "1 flaky test(s) over the last 3 nightly run(s) (window 7): verdict per run, oldest first"
    assert out[start + 2] == f"  {FLIPS}: passed → product → passed"
    assert not out[start + 3].startswith("  ")
    flaky_md = (last["results"] / "flaky.md").read_text()
    assert f"| `{FLIPS}` | 2 | passed → product → passed |" in flaky_md and STEADY not in flaky_md
    attachments = [json.loads(p.read_text()) for p in last["results"].glob("*-globals.json")]
    assert any(a["name"] == "Flaky tests" for g in attachments for a in g["attachments"])
    first = three_nights["nights"][0]["out"]
    assert any(line.startswith("0 flaky test(s) over the last 1 nightly run(s)") for line in first)


@three_real_nights
@pytest.mark.skipif(not ALLURE.exists(), reason="allure is not installed in reports/node_modules: `make install`")
def test_three_built_reports_leave_three_runs_in_the_allure_history_the_trend(three_nights: dict[str, Any]) -> None:
    nights = three_nights["nights"]
    assert [n["built"].returncode for n in nights] == [0, 0, 0], [n["built"].stderr[-500:] for n in nights]
    assert [n["trend_lines"] for n in nights] == [1, 2, 3]
    runs = [json.loads(line) for line in three_nights["trend"].read_text().splitlines()]
    failed = [sum(1 for result in run["testResults"].values() if result.get("status") == "failed") for run in runs]
    assert failed == [0, 1, 0], failed  # the trend the third report draws: night 2 red, nights 1 and 3 green
    assert (nights[-1]["html"] / "index.html").exists()
