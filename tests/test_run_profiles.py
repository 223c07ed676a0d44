"""``--profile release|nightly|eol`` (fixtures/run_profiles.py): each profile's selection, its defaults (only
where the command line is silent), its usage errors, and the end-of-line suite kept out of every other run.

The rules are checked on configurations pytest parses in-process (no run); a few command lines then run as a
user types them (subprocesses, in parallel), for the exit code and the one line a usage error prints.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fixtures import run_profiles
from fixtures.run_profiles import DEFAULT_HISTORY, EOL_SUITE, PROJECT_ROOT

USAGE_ERROR = 4
API = str(PROJECT_ROOT / "suites" / "api")


def applied(pytester: pytest.Pytester, *args: str) -> pytest.Config:
    """The configuration after the profile's rules, as the other plugins' ``pytest_configure`` read it."""
    config = pytester.parseconfig(*args)
    run_profiles._apply(config, run_profiles.active(config))  # noqa: SLF001 - the rule itself, without a run
    return config


@pytest.mark.parametrize(("args", "named"), [
    (["--profile", "release", "-m", "api"], "--profile release runs every suite: drop -m"),
    (["--profile", "release", "-k", "install_current"], "drop -k"),
    (["--profile", "release", "--deselect", f"{API}/test_resets.py"], "drop --deselect"),
    (["--profile", "release", API], "drop test paths"),
    (["--profile", "release", "-m", "not slow", "-k", "x"], "drop -m, -k"),
    (["--profile", "eol", API], f"--profile eol runs suites/eol only, not {API}"),
    ([str(EOL_SUITE)], "the end-of-line suite runs with --profile eol"),
    (["--profile", "nightly", f"{EOL_SUITE}/test_x.py::test_y"], "the end-of-line suite runs with --profile eol"),
    (["--profile", "nightly", "--flaky-window", "0"], "--flaky-window must be at least 1 run, not 0"),
], ids=["release -m", "release -k", "release --deselect", "release with a path", "release -m and -k",
        "eol with another suite", "the eol suite without its profile", "the eol suite in a nightly",
        "flaky window 0"])
def test_a_profile_refuses_what_would_change_its_meaning(pytester: pytest.Pytester, args: list[str],
                                                         named: str) -> None:
    with pytest.raises(pytest.UsageError) as error:
        applied(pytester, *args)
    assert named in str(error.value) and "\n" not in str(error.value)


def test_release_implies_require_all_and_real_time_unless_a_time_scale_is_given(pytester: pytest.Pytester) -> None:
    config = applied(pytester, "--profile", "release", "--require", "methods")
    assert config.option.require == ["methods", "all"] and config.option.time_scale == 1.0
    assert config.option.xmlpath is None  # JUnit is the nightly's
    assert applied(pytester, "--profile", "release", "--time-scale", "20").option.time_scale == 20.0


def test_nightly_sets_fuzz_load_and_junit_defaults(pytester: pytest.Pytester, tmp_path: Path) -> None:
    config = applied(pytester, "--profile", "nightly")
    assert (config.option.fuzz_budget, config.option.load_duration) == (10_000, 30.0)
    assert config.option.time_scale is None  # the bench's own (20 on the virtual bench, 1 on hardware)
    junit = Path(config.option.xmlpath)
    assert junit.parent == pytester.path / DEFAULT_HISTORY.parent  # under the rootdir: reports/out/nightly/
    assert junit.name.startswith("junit-") and junit.suffix == ".xml"
    elsewhere = applied(pytester, "--profile", "nightly", "--nightly-history", str(tmp_path / "h" / "history.jsonl"))
    assert Path(elsewhere.option.xmlpath).parent == tmp_path / "h"


@pytest.mark.parametrize("args", [
    ["--fuzz-budget", "300", "--load-duration", "2"],
    ["--fuzz-budget=300", "--load-duration=2"],
], ids=["separate values", "= values"])
def test_nightly_keeps_what_the_command_line_gives_even_the_default_value(pytester: pytest.Pytester,
                                                                          args: list[str]) -> None:
    config = applied(pytester, "--profile", "nightly", *args, "--junitxml", "mine.xml")
    assert (config.option.fuzz_budget, config.option.load_duration, config.option.xmlpath) == (300, 2.0, "mine.xml")


def test_nightly_keeps_options_given_in_pytest_addopts(pytester: pytest.Pytester,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_ADDOPTS", "--fuzz-budget 300")
    assert applied(pytester, "--profile", "nightly").option.fuzz_budget == 300


def test_eol_collects_suites_eol_only_at_real_time(pytester: pytest.Pytester) -> None:
    config = applied(pytester, "--profile", "eol")
    assert config.args == [str(EOL_SUITE)] and config.option.time_scale == 1.0
    assert applied(pytester, "--profile", "eol", str(EOL_SUITE)).args == [str(EOL_SUITE)]


def test_an_unknown_profile_is_argparse_s_own_usage_error(pytester: pytest.Pytester) -> None:
    with pytest.raises(pytest.UsageError, match="argument --profile: invalid choice: 'nighty'"):
        pytester.parseconfig("--profile", "nighty")


@pytest.mark.parametrize(("args", "refused"), [
    (["--charger-url", "http://192.0.2.10"], True),
    (["--charger-url", "http://192.0.2.10", "--allow-destructive"], False),
    ([], False),  # the virtual bench's profile allows them
], ids=["charger-only", "charger-only --allow-destructive", "virtual bench"])
def test_release_needs_the_destructive_tests_allowed(pytester: pytest.Pytester, args: list[str], refused: bool) -> None:
    from fixtures.bench import RESOLVED, resolve_bench  # noqa: PLC0415

    config = applied(pytester, "--profile", "release", *args)
    config.stash[RESOLVED] = resolve_bench(config)
    if refused:
        with pytest.raises(pytest.UsageError, match=r"pass --allow-destructive, or set allow_destructive = true in "
                                                    r".*charger-only.toml"):
            run_profiles._check_bench(config, run_profiles.PROFILES["release"])  # noqa: SLF001
    else:
        run_profiles._check_bench(config, run_profiles.PROFILES["release"])  # noqa: SLF001


def test_no_profile_changes_nothing(pytester: pytest.Pytester) -> None:
    config = applied(pytester)
    assert (config.option.time_scale, config.option.xmlpath, config.option.require) == (None, None, [])
    assert (config.option.fuzz_budget, config.option.load_duration) == (300, 2.0)


@pytest.mark.parametrize(("profile", "ignored"), [(None, True), ("release", True), ("nightly", True), ("eol", None)])
def test_suites_eol_is_collected_by_the_eol_profile_only(pytester: pytest.Pytester, profile: str | None,
                                                         ignored: bool | None) -> None:
    config = pytester.parseconfig(*(["--profile", profile] if profile else []))
    assert run_profiles.pytest_ignore_collect(EOL_SUITE, config) is ignored
    assert run_profiles.pytest_ignore_collect(EOL_SUITE / "test_eol.py", config) is ignored
    assert run_profiles.pytest_ignore_collect(PROJECT_ROOT / "suites" / "api", config) is None
    assert run_profiles.pytest_ignore_collect(PROJECT_ROOT / "suites", config) is None


# --- as a user types them -----------------------------------------------------------------------------------------
def test_release_without_destructive_permission_is_one_line_before_any_test(tmp_path: Path) -> None:
    """Refused at the session's start (the bench profile is resolved by then), before the header and any test."""
    done = subprocess.run([sys.executable, "-m", "pytest", "--profile", "release", "--charger-url",
                           "http://127.0.0.1:9", f"--alluredir={tmp_path / 'allure'}"], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=60)
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert done.returncode == USAGE_ERROR, lines[-5:]
    assert len(lines) == 1 and lines[0].startswith("ERROR: --profile release runs the destructive tests too"), lines
    assert "pass --allow-destructive, or set allow_destructive = true in" in lines[0]
    assert not (tmp_path / "allure").exists() or not list((tmp_path / "allure").glob("signoff*")), "nothing to sign"


def test_the_eol_profile_collects_nothing_outside_suites_eol(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pytest", "--profile", "eol", "--serial", "500123", "--collect-only",
                           "-q", f"--alluredir={tmp_path / 'allure'}"], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    items = [line for line in done.stdout.splitlines() if "::" in line]
    assert items and all(item.startswith("suites/eol/") for item in items), items[:5]
