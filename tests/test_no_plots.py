"""``--no-plots``: a run whose report nobody reads draws no plot and says so in the report's environment.

The project's own whole-suite runs (mutation hunts, reading mixes, the other benches) are read for their
verdicts; drawing a session trace costs about 0.4 s of CPU, a fifth of a bench-suite run.  A plain run
still attaches every plot: the switch must not leak into a lab's report.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.plugin_ini import plugin_ini

PLOTTING_TEST = '''
from reports.plots import TraceSample, attach_plot, session_trace


def test_plots(charger):
    attach_plot("session trace", lambda: session_trace([TraceSample(0.0, "A", 100.0, 0.0),
                                                        TraceSample(1.0, "B", 26.7, 0.0)]))
'''


@pytest.fixture
def plotting_suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makeini(plugin_ini({}))
    pytester.makepyfile(test_plotting=PLOTTING_TEST)
    return pytester


def attachments(results: Path) -> list[str]:
    return [a["type"] for f in results.glob("*-result.json")
            for a in json.loads(f.read_text()).get("attachments", [])]


@pytest.mark.parametrize("no_plots", [False, True], ids=["plots", "no-plots"])
def test_no_plots_draws_nothing_and_says_so(plotting_suite: pytest.Pytester, virtual_charger: dict[str, str],
                                            no_plots: bool) -> None:
    results = plotting_suite.path / "allure"
    result = plotting_suite.runpytest_subprocess("--charger-url", virtual_charger["charger_url"],
                                                 f"--alluredir={results}", *(["--no-plots"] if no_plots else []))
    assert result.ret == 0, result.outlines + result.errlines
    environment = (results / "environment.properties").read_text()
    if no_plots:
        assert "image/png" not in attachments(results)
        assert "report.plots=none drawn (--no-plots)" in environment
    else:
        assert "image/png" in attachments(results)
        assert "report.plots" not in environment
