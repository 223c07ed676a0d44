"""The release sign-off summary (reports/signoff.py) says what a release manager must know, and never
reads as a signed release unless it is one: every area verified, at time scale 1.0, on a real bench.

Most tests build it from synthetic run records (no bench); one runs a tiny suite with ``--profile release
--time-scale 20`` on the virtual bench (pytester, in a subprocess), and reads the files it wrote.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from fixtures.verification import AREAS, Outcome, Verification
from fixtures.verification import TestRecord as Record  # not "Test…": pytest would try to collect it
from reports import signoff
from reports.allure_support import AmbiguityRecord, RunRecord
from tests.plugin_ini import plugin_ini

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FAILING = "suites/api/test_method_params.py::test_just_outside[33]"
ENVIRONMENT = {"bench": "lab-bench-1", "charger.fw_version": "1.47", "charger.serial_number": "500123",
               "charger.board_revision": "C", "analyzer.idn": "YOKOGAWA,WT310E,C2PH12345,F1.03",
               "ev.idn": "LEKTRI.CO,EVSIM,0001,2.1"}


def every_area_verified() -> Verification:
    """One verified test per area, each under a spec section or none: what a clean release looks like."""
    tests = {f"suites/t.py::test_{area.name}": Record(f"suites/t.py::test_{area.name}", (area.name,),
                                                         Outcome.VERIFIED) for area in AREAS}
    return Verification(tests=tests)


def a_run_with_everything() -> tuple[Verification, RunRecord, dict[str, str]]:
    """A failure, a bench fault, an ambiguity, a skip and an inconclusive, each with what names it."""
    verification = every_area_verified()
    verification.tests[FAILING] = Record(FAILING, ("methods", "error_codes"), Outcome.FAILED, "", "product")
    verification.tests["suites/bench/test_rcd.py::test_trip"] = Record(
        "suites/bench/test_rcd.py::test_trip", ("rcd",), Outcome.NOT_JUDGED, "bench fault in call", "bench")
    verification.tests["suites/api/test_credentials.py::test_pin"] = Record(
        "suites/api/test_credentials.py::test_pin", ("credentials",), Outcome.SKIPPED, "the bench profile gives no PIN")
    verification.tests["suites/bench/test_states.py::test_open"] = Record(
        "suites/bench/test_states.py::test_open", ("states",), Outcome.INCONCLUSIVE,
        "unresolved: contactor_open_delay (needs better than ±3 ms)")
    verification.tests["suites/api/test_framing.py::test_frame"] = Record(
        "suites/api/test_framing.py::test_frame", ("framing",), Outcome.AMBIGUOUS)
    record = RunRecord(environment=dict(ENVIRONMENT))
    record.sections.update({FAILING: "6.15 Install_current.Set", "suites/api/test_framing.py::test_frame": "1 Commands",
                            "suites/t.py::test_methods": "6.2 Charger_info.Get",
                            "suites/t.py::test_keys": "4.3 install_current"})
    record.ambiguities.append(AmbiguityRecord("suites/api/test_framing.py::test_frame", "framing_error_codes", "1",
                                              "framing codes", "vendor codes"))
    failures = {FAILING: "Failed: Install_current.Set accepted what it must reject (expected code [-4]) <b>",
                "suites/bench/test_rcd.py::test_trip": "BenchFault: no reply from analyzer within 3 s"}
    return verification, record, failures


def build(verification: Verification, record: RunRecord, failures: dict[str, str], exit_code: int, *,
          virtual: bool = False, time_scale: float = 1.0) -> signoff.SignOff:
    return signoff.build(verification, record, failures, exit_code, bench="lab-bench-1",
                         bench_profile="benches/lab.toml", virtual=virtual, time_scale=time_scale,
                         finished_utc="2026-12-02T18:00:00.000Z")


@pytest.mark.parametrize(("virtual", "time_scale", "clean", "exit_code", "line", "named"), [
    (False, 1.0, True, 0, "RELEASE SIGN-OFF: PASS", ()),
    (False, 1.0, False, 1, "RELEASE SIGN-OFF: FAIL", ("1 product failure", "failed: methods, error_codes",
                                                      "not verified: credentials, states")),
    (False, 1.0, True, 7, "RELEASE SIGN-OFF: FAIL", ("exit 7",)),
    (True, 1.0, True, 0, "NOT A RELEASE SIGN-OFF", ("is virtual", "This run: every area verified")),
    (False, 20.0, True, 0, "NOT A RELEASE SIGN-OFF", ("time scale 20, not 1",)),
    (True, 20.0, False, 1, "NOT A RELEASE SIGN-OFF", ("is virtual", "time scale 20", "1 product failure")),
], ids=["real bench, verified", "real bench, a failure", "real bench, requirement not met", "virtual bench",
        "time scale 20", "virtual, scale 20, a failure"])
def test_the_sign_off_line_passes_only_a_verified_run_at_real_time_on_real_hardware(
        virtual: bool, time_scale: float, clean: bool, exit_code: int, line: str, named: tuple[str, ...]) -> None:
    verification, record, failures = (every_area_verified(), RunRecord(environment=dict(ENVIRONMENT)), {}) if clean \
        else a_run_with_everything()
    summary = build(verification, record, failures, exit_code, virtual=virtual, time_scale=time_scale)
    assert summary.line.startswith(line), summary.line
    assert summary.signed == (line == "RELEASE SIGN-OFF: PASS")
    for words in named:
        assert words in summary.line, (words, summary.line)
    if line.startswith("NOT"):
        assert "RELEASE SIGN-OFF: PASS" not in signoff.markdown(summary)


def test_the_page_names_firmware_unit_bench_and_each_instrument() -> None:
    text = signoff.markdown(build(*a_run_with_everything(), 1))
    for expected in ("| firmware under test | 1.47 |", "| serial number | 500123 |", "| board revision | C |",
                     "lab-bench-1 (real; profile `benches/lab.toml`)", "| time scale | 1 |",
                     "| instrument `analyzer` | YOKOGAWA,WT310E,C2PH12345,F1.03 |",
                     "| instrument `ev` | LEKTRI.CO,EVSIM,0001,2.1 |", "| exit code | 1: a product failure"):
        assert expected in text, expected


def test_each_section_gets_the_verdict_of_its_tests_and_sectionless_tests_their_area() -> None:
    summary = build(*a_run_with_everything(), 1)
    rows = {(row.chapter, row.section): row for row in summary.sections}
    assert rows[("6 Commands", "6.15 Install_current.Set")].status == "FAILED"
    assert rows[("6 Commands", "6.2 Charger_info.Get")].status == "verified"
    assert rows[("1 Commands format", "1 Commands")].detail == "1 ambiguous"
    assert rows[(signoff.BY_AREA, "states")].status == "not verified"   # an inconclusive is not green
    assert rows[(signoff.BY_AREA, "credentials")].detail == "1 verified, 1 skipped"
    order = [row.section for row in summary.sections if row.chapter == "6 Commands"]
    assert order == ["6.2 Charger_info.Get", "6.15 Install_current.Set"]  # the spec's order, not the alphabet's
    assert sum(row.tests for row in summary.sections) == len(a_run_with_everything()[0].tests)  # each test once


def test_each_failure_has_its_section_whose_fault_and_one_line_message() -> None:
    summary = build(*a_run_with_everything(), 1)
    assert [(f.section, f.whose) for f in summary.failures] == [("6.15 Install_current.Set", "product"),
                                                                 ("rcd", "bench")]
    text = signoff.markdown(summary)
    assert ("| 6.15 Install_current.Set | `suites/api/test_method_params.py::test_just_outside[33]` | product | "
            "Failed: Install_current.Set accepted what it must reject (expected code [-4]) <b> |") in text
    page = signoff.html_page(summary)
    assert "&lt;b&gt;" in page and "reject (expected code [-4]) <b>" not in page  # a message is text, never markup


def test_ambiguities_skips_and_inconclusives_are_counted_with_their_reasons() -> None:
    text = signoff.markdown(build(*a_run_with_everything(), 1))
    assert "## Spec ambiguities met (1)" in text and "| framing_error_codes | 1 | vendor codes | 1 |" in text
    assert "## Skipped and inconclusive (2)" in text
    assert "| skipped | 1 | the bench profile gives no PIN |" in text
    assert "| inconclusive | 1 | unresolved: contactor_open_delay (needs better than ±3 ms) |" in text


def test_write_puts_markdown_and_html_in_each_directory(tmp_path: Path) -> None:
    summary = build(every_area_verified(), RunRecord(environment=dict(ENVIRONMENT)), {}, 0)
    written = signoff.write(summary, [tmp_path / "a", tmp_path / "b"], stem="signoff-x")
    assert [p.relative_to(tmp_path).as_posix() for p in written] == ["a/signoff-x.md", "a/signoff-x.html",
                                                                      "b/signoff-x.md", "b/signoff-x.html"]
    assert "<p class='line pass'>RELEASE SIGN-OFF: PASS</p>" in written[1].read_text()


# --- a real (tiny) release run ----------------------------------------------------------------------------------
INI = plugin_ini({"api": "RPC API", "methods": "methods", "config": "keys", "framing": "framing",
                  "destructive": "reboots or factory-resets the charger"},
                 "filterwarnings = ignore::pytest.PytestAssertRewriteWarning")
TINY_RELEASE = textwrap.dedent("""
    import pytest
    from reports.allure_support import ambiguity, cover

    @pytest.mark.methods
    def test_install_current_rejects_33():
        cover("6.15 Install_current.Set")
        assert False, "Install_current.Set accepted 33"

    @pytest.mark.framing
    def test_framing_codes():
        cover("1 Commands format")
        ambiguity("framing_error_codes", "vendor codes")

    @pytest.mark.config
    def test_pin_key():
        pytest.skip("the bench profile gives no PIN")
""")


def test_a_release_run_on_the_virtual_bench_writes_a_summary_that_is_not_a_sign_off(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makeini(INI)
    pytester.makepyfile(test_tiny=TINY_RELEASE)
    out, results = pytester.path / "release", pytester.path / "allure"
    # A subprocess: allure-pytest's listener is process-wide, and this run of the project's tests has its own.
    result = pytester.runpytest_subprocess("--profile", "release", "--time-scale", "20", "--signoff-dir", str(out),
                                           f"--alluredir={results}")
    assert result.ret == 1, result.outlines[-20:]  # the product failure decides, as without the profile
    [markdown_file] = out.glob("signoff-*.md")
    text = markdown_file.read_text()
    assert text == (results / "signoff.md").read_text() and (results / "signoff.html").exists()
    line = text.splitlines()[2]
    assert line.startswith("**NOT A RELEASE SIGN-OFF (the bench 'virtual' is virtual") and "time scale 20" in line
    assert "| 6.15 Install_current.Set | `test_tiny.py::test_install_current_rejects_33` | product | " \
           "AssertionError: Install_current.Set accepted 33" in text
    assert "| framing_error_codes | 1 | vendor codes | 1 |" in text
    assert "| skipped | 1 | the bench profile gives no PIN |" in text
    assert "| exit code | 1: a product failure" in text
    assert "| bench | virtual (virtual;" in text
    result.stdout.fnmatch_lines(["run profile release: *time scale 20*", "NOT A RELEASE SIGN-OFF (*"])
