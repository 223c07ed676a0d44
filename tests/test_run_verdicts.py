"""Green means verified: a bad set-up is one usage error, exit codes tell whose fault a red run is,
destructive tests run only when asked, and every run ends with a per-area verification summary.

Each test runs pytest in a subprocess on a tiny suite next to the project's plugins (pytester), as a
user meets them; only the charger-only tests need the virtual charger.
"""
from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

from fixtures.verification import AREAS, BENCH_FAULT, REQUIREMENT_NOT_MET, parse_requirements
from tests.plugin_ini import plugin_ini

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFTEST = textwrap.dedent("""
    # The lektrico_hil plugin is loaded by its entry-point name (-p lektrico_hil in addopts), as in a
    # lab's own directory after `pip install`; autoloading is off so nothing else comes with it.
""")
INI = plugin_ini({"api": "RPC API", "methods": "methods", "config": "keys", "states": "states",
                  "destructive": "reboots or factory-resets the charger"})
USAGE_ERROR = 4
SETUP_BUDGET_S = 20.0
"""A hang guard, not a speed figure: a bad set-up must not wait out a launch or ready timeout (30 s).
That no test ran is proven by the one-line output; pytest's own start-up on a loaded 2-core host takes 5-8 s."""
TINY_SUITE = "import pytest\n\npytestmark = pytest.mark.methods\n\ndef test_passes():\n    pass\n"


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # only what -p names: the plugin by its name
    pytester.makeconftest(CONFTEST.format(root=str(PROJECT_ROOT)))
    pytester.makeini(INI)
    pytester.makepyfile(test_tiny=TINY_SUITE)
    return pytester


def profile(pytester: pytest.Pytester, text: str) -> str:
    path = pytester.path / f"profile-{len(list(pytester.path.glob('profile-*.toml')))}.toml"
    path.write_text(textwrap.dedent(text))
    return str(path)


LAB = """
    name = "lab"
    [charger]
    url = "http://192.0.2.10"
"""


ROLES = """
    [resources.box]
    adapter = "ascii"
    url = "socket://x:1"
    [resources.board]
    adapter = "j1772-ev-sim-remote"
    url = "socket://x:2"
    [roles]
    cp_control = "box"
"""


def usage_error_cases(pytester: pytest.Pytester) -> dict[str, tuple[list[str], str]]:
    """Each bad set-up: its command line and what its one message must name."""
    return {
        "missing profile": (["--bench", str(pytester.path / "absent.toml")], "absent.toml not found"),
        "unreadable profile (a directory)": (["--bench", str(pytester.path)], "is a directory"),
        "invalid TOML": (["--bench", profile(pytester, "name = \n")], "not valid TOML"),
        "no [charger] url": (["--bench", profile(pytester, 'name = "x"\n[charger]\nstyle = "frame"\n')],
                             "[charger] has no 'url'"),
        "no [charger] at all": (["--bench", profile(pytester, 'name = "x"\n')], "[charger] has no 'url'"),
        "capabilities by hand": (["--bench", profile(pytester, 'capabilities = ["ev_simulator"]\n' + LAB)],
                                 "'capabilities' is no longer written by hand"),
        "misspelt role": (["--bench", profile(pytester, LAB + ROLES.replace("cp_control =", "cp_contrl ="))],
                          "unknown role 'cp_contrl'"),
        "unknown adapter": (["--bench", profile(pytester, LAB + ROLES.replace('"ascii"', '"asci"'))],
                            "adapter 'asci' is unknown"),
        "role the adapter cannot play": (["--bench", profile(pytester, LAB + ROLES + 'ev_load = "board"\n')],
                                         "cannot play ev_load"),
        "role bound to no resource": (["--bench", profile(pytester, LAB + ROLES.replace('cp_control = "box"',
                                                                                        'cp_control = "bx"'))],
                                      "no [resources.bx]"),
        "timer the adapter lacks": (["--bench", profile(pytester, LAB + ROLES.replace('url = "socket://x:2"',
                                                                                      'url = "socket://x:2"\ntimers = ["contactor"]'))],
                                    "does not have"),
        "resource key the adapter lacks": (["--bench", profile(pytester, LAB + ROLES.replace(
            'url = "socket://x:2"', 'url = "socket://x:2"\nresource = "GPIB0::1::INSTR"'))], "unknown key 'resource'"),
        "unknown profile key": (["--bench", profile(pytester, 'rolez = []\n' + LAB)],
                                "unknown profile key 'rolez'"),
        "unknown key in a section": (["--bench", profile(pytester, LAB + 'timout_s = 3\n')],
                                     "unknown key 'timout_s' in [charger]"),
        "unknown transport": (["--bench", profile(pytester, LAB + 'transports = ["ws"]\n')], "unknown value 'ws'"),
        "unknown limit": (["--bench", profile(pytester, LAB + '[limits]\ncontactor_close = { value = 3, '
                                                               'origin = "x" }\n')], "unknown limit 'contactor_close'"),
        "profile time scale 0": (["--bench", profile(pytester, LAB + '[timing]\ntime_scale = 0\n')],
                                 "[timing] time_scale must be a positive number"),
        "--time-scale 0": (["--time-scale", "0"], "--time-scale must be a positive number"),
        "--time-scale negative": (["--time-scale", "-1"], "--time-scale must be a positive number"),
        "unknown -m marker": (["-m", "methods and not destructiv"], "unknown marker 'destructiv'"),
        "unknown --require name": (["--require", "methods,metring"], "unknown name 'metring'"),
        "required capability the bench lacks": (["--charger-url", "http://127.0.0.1:9", "--require", "cp_control"],
                                                "requirement not met: cp_control is required"),
        "profile requires what it lacks": (["--bench", profile(pytester, 'required = ["power_analyzer"]\n' + LAB)],
                                           "requirement not met: power_analyzer is required"),
        "--bench and --charger-url": (["--bench", profile(pytester, LAB), "--charger-url", "http://x"],
                                      "not both"),
        "--defect without a launched bench": (["--charger-url", "http://127.0.0.1:9", "--defect", "x"],
                                              "--defect needs a launched virtual bench"),
    }


CASES = ["missing profile", "unreadable profile (a directory)", "invalid TOML", "no [charger] url",
         "no [charger] at all", "capabilities by hand", "misspelt role", "unknown adapter",
         "role the adapter cannot play", "role bound to no resource", "timer the adapter lacks",
         "resource key the adapter lacks", "unknown profile key",
         "unknown key in a section", "unknown transport", "unknown limit",
         "profile time scale 0", "--time-scale 0", "--time-scale negative", "unknown -m marker",
         "unknown --require name", "required capability the bench lacks", "profile requires what it lacks",
         "--bench and --charger-url", "--defect without a launched bench"]


@pytest.mark.parametrize("case", CASES)
def test_a_bad_set_up_is_one_usage_error_before_any_test(suite: pytest.Pytester, case: str) -> None:
    arguments, named = usage_error_cases(suite)[case]
    started = time.monotonic()
    result = suite.runpytest_subprocess(*arguments)
    elapsed = time.monotonic() - started
    lines = [line for line in result.outlines + result.errlines if line.strip()]
    assert result.ret == USAGE_ERROR, (case, result.ret, lines)
    assert len(lines) == 1 and lines[0].startswith("ERROR: ") and named in lines[0], lines
    assert elapsed < SETUP_BUDGET_S, f"{case}: {elapsed:.1f} s"


def test_an_unknown_capability_in_a_needs_marker_is_named(suite: pytest.Pytester) -> None:
    suite.makepyfile(test_tiny="import pytest\n\n@pytest.mark.needs('cp_contrl')\ndef test_x():\n    pass\n")
    result = suite.runpytest_subprocess()
    assert result.ret == USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown capability 'cp_contrl'*"])


@pytest.mark.parametrize(("body", "code"), [
    ("assert False, 'the charger answered 7'", 1),
    ("from instruments.charger_rpc.errors import DeviceError\n    raise DeviceError(-4, 'out of range')", 1),
    ("from instruments.errors import BenchFault\n    raise BenchFault('analyzer gone')", BENCH_FAULT),
    ("raise RuntimeError('a bug in the suite')", 1),
], ids=["product-assertion", "product-device-error", "bench-fault", "harness-error"])
def test_exit_code_tells_whose_fault_a_red_result_is(suite: pytest.Pytester, body: str, code: int) -> None:
    suite.makepyfile(test_tiny=f"import pytest\n\npytestmark = pytest.mark.methods\n\ndef test_red():\n    {body}\n")
    assert suite.runpytest_subprocess().ret == code


def test_a_product_failure_outranks_a_bench_fault(suite: pytest.Pytester) -> None:
    suite.makepyfile(test_tiny=textwrap.dedent("""
        from instruments.errors import BenchFault

        def test_bench():
            raise BenchFault("analyzer gone")

        def test_product():
            assert False
    """))
    assert suite.runpytest_subprocess().ret == 1


def test_the_summary_ends_a_normal_run(suite: pytest.Pytester) -> None:
    suite.makepyfile(test_tiny=textwrap.dedent("""
        import pytest

        @pytest.mark.methods
        def test_verified():
            pass

        @pytest.mark.config
        def test_skipped():
            pytest.skip("the bench profile gives no PIN")
    """))
    result = suite.runpytest_subprocess(f"--alluredir={suite.path / 'allure'}")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*verification summary*", "area * status * tests * verified*",
                                 "methods * verified * 1 * 1 *", "keys * not verified * 1 * 0 *",
                                 "reasons (tests):", "*1  skipped: the bench profile gives no PIN"])
    assert (suite.path / "allure" / "verification-summary.md").read_text().startswith("# Verification summary")
    assert list((suite.path / "allure").glob("*-globals.json")), "no global attachment for the report"


def test_a_required_area_with_a_skip_exits_requirement_not_met(suite: pytest.Pytester) -> None:
    suite.makepyfile(test_tiny="import pytest\n\n@pytest.mark.methods\ndef test_x():\n    pytest.skip('no PIN')\n")
    result = suite.runpytest_subprocess("--require", "methods")
    assert result.ret == REQUIREMENT_NOT_MET
    result.stdout.fnmatch_lines(["requirement not met: area 'methods' is not verified (1 skipped)"])


INCONCLUSIVE_SUITE = textwrap.dedent("""
    import pytest
    from rig.measurement import Measurement

    @pytest.mark.methods
    def test_open_delay():
        # 95 ms ± 12 ms against ≤ 100 ms: the bench cannot tell
        Measurement("contactor_open_delay", unit="s", high=0.1, origin="field-facts §4").check(0.095, 0.012, "polled")
""")


def test_an_unresolved_timing_is_inconclusive_counted_and_not_green_under_require(suite: pytest.Pytester) -> None:
    suite.makepyfile(test_tiny=INCONCLUSIVE_SUITE)
    plain = suite.runpytest_subprocess("-rs")
    assert plain.ret == 0  # not a failure: nothing was found wrong with the charger
    plain.stdout.fnmatch_lines(["methods * not verified * 1 * 0 * 0 * 0 * 1 *",
                                "*inconclusive: unresolved: contactor_open_delay (needs better than ±0.005 s)*"])
    required = suite.runpytest_subprocess("--require", "methods")
    assert required.ret == REQUIREMENT_NOT_MET
    required.stdout.fnmatch_lines(["requirement not met: area 'methods' is not verified (1 inconclusive)"])


def test_require_all_names_every_area_and_an_area_without_tests_is_not_met(suite: pytest.Pytester) -> None:
    assert parse_requirements(["all"]).areas == tuple(area.name for area in AREAS)
    result = suite.runpytest_subprocess("--require", "all")
    assert result.ret == REQUIREMENT_NOT_MET
    result.stdout.fnmatch_lines(["requirement not met: area 'states' is no tests: no test of it ran"])


def test_a_deselected_required_area_is_not_met(suite: pytest.Pytester) -> None:
    assert suite.runpytest_subprocess("--require", "methods", "-m", "not methods").ret == REQUIREMENT_NOT_MET


def test_a_met_requirement_exits_0_and_says_so(suite: pytest.Pytester) -> None:
    result = suite.runpytest_subprocess("--require", "methods")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["requirements met: methods"])


DESTRUCTIVE_SUITE = textwrap.dedent("""
    import pytest

    @pytest.mark.destructive
    def test_factory_reset():
        pass

    class TestReset:
        @pytest.fixture(scope="class")
        def rebooted(self):
            raise AssertionError("a class fixture of a destructive test ran")

        @pytest.mark.destructive
        def test_reset(self, rebooted):
            pass
""")


def test_destructive_tests_are_skipped_on_a_charger_only_bench_unless_asked(suite: pytest.Pytester) -> None:
    suite.makepyfile(test_tiny=DESTRUCTIVE_SUITE)
    skipped = suite.runpytest_subprocess("--charger-url", "http://127.0.0.1:9", "-rs")
    skipped.assert_outcomes(skipped=2)
    skipped.stdout.fnmatch_lines(["*destructive: pass --allow-destructive*"])
    allowed = suite.runpytest_subprocess("--charger-url", "http://127.0.0.1:9", "--allow-destructive", "-k", "factory")
    allowed.assert_outcomes(passed=1, deselected=1)


def test_the_virtual_bench_allows_destructive_tests(suite: pytest.Pytester) -> None:
    suite.makepyfile(test_tiny=DESTRUCTIVE_SUITE)
    suite.runpytest_subprocess("-k", "factory").assert_outcomes(passed=1, deselected=1)


def test_a_profile_outside_the_project_works_with_no_test_path(suite: pytest.Pytester,
                                                               tmp_path_factory: pytest.TempPathFactory) -> None:
    """`pytest --bench /elsewhere/lab.toml`: pytest takes the value for a test path and misses pytest.ini;
    fixtures.options, loaded early (pytest11 entry point, -p, PYTEST_PLUGINS), finds it again."""
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "lab.toml"
    elsewhere.write_text(textwrap.dedent(LAB))
    suite.makeini(INI.replace("[pytest]", "[pytest]\ntestpaths = .", 1))
    result = suite.runpytest_subprocess("-p", "fixtures.options", "--bench", str(elsewhere), "-v")
    assert result.ret == 0, result.outlines + result.errlines
    result.stdout.fnmatch_lines(["test_tiny.py::test_passes PASSED*"])
    assert suite.runpytest_subprocess(f"--bench={elsewhere}").ret == 0  # the form pytest parses alone


def test_charger_only_run_requiring_the_ev_simulator_fails_fast(suite: pytest.Pytester,
                                                                virtual_charger: dict[str, str]) -> None:
    started = time.monotonic()
    result = suite.runpytest_subprocess("--charger-url", virtual_charger["charger_url"], "--require", "cp_control")
    assert result.ret == USAGE_ERROR and time.monotonic() - started < SETUP_BUDGET_S
    result.stderr.fnmatch_lines(["ERROR: requirement not met: cp_control is required, but the charger-only "
                                 "bench lacks cp_control*"])


def test_environment_names_the_real_bench(suite: pytest.Pytester, virtual_charger: dict[str, str]) -> None:
    suite.makepyfile(test_tiny="async def test_reads(charger):\n    await charger.call('Device_id.Get')\n")
    results = suite.path / "allure"
    assert suite.runpytest_subprocess("--charger-url", virtual_charger["charger_url"],
                                      f"--alluredir={results}").ret == 0
    environment = (results / "environment.properties").read_text()
    assert "bench=charger-only" in environment and "charger.fw_version=" in environment
    assert "bench.allow_destructive=false" in environment


def test_teardowns_failing_together_are_classed_by_what_failed() -> None:
    """Several finalizers failing at once arrive as one exception group (a bench gone mid-run: every
    teardown meets a dead charger): bench faults alone stay a bench fault; a product verdict among them decides."""
    from fixtures.verdicts import VerdictClass, classify_error
    from instruments.errors import BenchFault

    bench_only = ExceptionGroup("errors during test teardown", [BenchFault("gone"), BenchFault("still gone")])
    mixed = ExceptionGroup("errors during test teardown", [BenchFault("gone"), AssertionError("left in C")])
    assert classify_error(bench_only) is VerdictClass.BENCH_FAULT
    assert classify_error(mixed) is VerdictClass.PRODUCT
    assert classify_error(ExceptionGroup("x", [BenchFault("gone"), KeyError("k")])) is VerdictClass.HARNESS
