"""The bench fixtures and plugin options, tested as a user meets them (pytester, style.md).

Each test writes a tiny suite next to the project's plugins, runs pytest on it in a subprocess and
checks the outcome: capability skips carry their reason, a charger-only bench runs RPC tests,
options are validated, the bench clock's timeouts say what they waited for.
"""
from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

import pytest

from fixtures.clock import BenchClock, LateWait, WaitTimeout
from fixtures.profile import ProfileError, fill, load_profile

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PLUGINS = textwrap.dedent("""
    # the lektrico_hil plugin comes from its pytest11 entry point, as in any directory after `pip install`
""")
INI = textwrap.dedent("""
    [pytest]
    addopts = -p no:labgrid -p no:hypothesispytest
    asyncio_mode = auto
    asyncio_default_fixture_loop_scope = session
    asyncio_default_test_loop_scope = session
    markers =
        needs: bench capabilities
""")


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(PLUGINS.format(root=str(PROJECT_ROOT)))
    pytester.makeini(INI)
    return pytester


def test_charger_only_bench_runs_rpc_tests_and_skips_instrument_tests_with_reason(
        suite: pytest.Pytester, virtual_charger: dict[str, str]) -> None:
    suite.makepyfile(test_tiny=textwrap.dedent("""
        import pytest

        async def test_reads_device_id(charger):
            assert (await charger.call("Device_id.Get"))["device_id"].startswith("1p7k_")

        @pytest.mark.needs("ev_load")
        async def test_needs_ev(rig):
            raise AssertionError("must not run on a charger-only bench")
    """))
    result = suite.runpytest_subprocess("--charger-url", virtual_charger["charger_url"], "-rs", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*charger-only bench lacks ev_load*no ev_load role is bound*"])


def test_defect_option_needs_a_launched_virtual_bench(suite: pytest.Pytester,
                                                      virtual_charger: dict[str, str]) -> None:
    suite.makepyfile(test_tiny="async def test_x(charger):\n    pass\n")
    result = suite.runpytest_subprocess("--charger-url", virtual_charger["charger_url"],
                                        "--defect", "id_not_echoed", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR  # one usage error before any test, not one error per test
    result.stderr.fnmatch_lines(["ERROR: --defect needs a launched virtual bench*"])


def test_unreachable_charger_is_a_bench_fault_that_stops_the_run(suite: pytest.Pytester) -> None:
    suite.makepyfile(test_tiny="async def test_x(charger):\n    pass\n")
    result = suite.runpytest_subprocess("--charger-url", "http://127.0.0.1:9", "-p", "no:cacheprovider")
    assert result.ret == 3
    result.stdout.fnmatch_lines(["*bench fault: the charger at http://127.0.0.1:9 does not answer*"])


def test_a_timeout_says_what_was_awaited_and_what_was_last_seen() -> None:
    clock = BenchClock(time_scale=100.0)
    readings = iter(range(1_000_000))

    async def probe() -> int:
        return next(readings)

    with pytest.raises(WaitTimeout, match=r"waiting for the counter to reach -1; last seen: \d+"):
        asyncio.run(clock.wait_for(probe, lambda v: v < 0, within_s=0.5, what="the counter to reach -1"))


def test_a_timeout_needs_a_read_begun_after_the_deadline() -> None:
    """A read that began before the deadline and answered after it shows the charger as it was before:
    the charger that changed just in time passes."""
    clock = BenchClock(time_scale=100.0)
    changed_at = clock.now() + 1.0   # device s: the charger changes exactly at the deadline

    async def probe() -> float:
        began = clock.now()
        await asyncio.sleep(clock.wall(0.04))  # each read takes 0.04 device s
        return began

    seen = asyncio.run(clock.wait_for(probe, lambda began: began >= changed_at, within_s=1.0, what="the change"))
    assert seen >= changed_at


def test_a_timeout_whose_reads_lay_too_far_apart_is_a_late_wait_not_a_verdict() -> None:
    """One read of the wait stalled for 40 % of its window (a busy host): a timeout says the bench may be why."""
    clock = BenchClock(time_scale=100.0)
    reads = 0

    async def probe() -> int:
        nonlocal reads
        reads += 1
        if reads == 2:
            await asyncio.sleep(clock.wall(0.4))
        return reads

    with pytest.raises(LateWait) as late:
        asyncio.run(clock.wait_for(probe, lambda v: v < 0, within_s=1.0, what="the contactor to open"))
    assert "reads lay up to" in late.value.reason and "the contactor to open" in late.value.reason


def test_a_test_that_ends_on_a_late_wait_is_inconclusive_with_its_reason(
        suite: pytest.Pytester, virtual_charger: dict[str, str]) -> None:
    suite.makepyfile(test_tiny=textwrap.dedent("""
        from fixtures.clock import LateWait, WaitTimeout

        def test_late():
            try:
                raise LateWait("timed out", "the bench's reads lay up to 1 device s apart")
            except WaitTimeout as timeout:
                raise AssertionError(f"charger never opened: {timeout}") from None

        def test_on_time():
            raise WaitTimeout("timed out after 3 device s waiting for B")
    """))
    result = suite.runpytest_subprocess("--charger-url", virtual_charger["charger_url"], "-rs", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1, skipped=1)
    result.stdout.fnmatch_lines(["*inconclusive: the bench's reads lay up to 1 device s apart*"])


def test_a_hold_check_fails_when_the_condition_breaks() -> None:
    clock = BenchClock(time_scale=100.0)
    readings = iter([1, 1, 0, 0, 0] + [0] * 10_000)

    async def probe() -> int:
        return next(readings)

    with pytest.raises(AssertionError, match="contactor closed stopped holding"):
        asyncio.run(clock.hold(probe, lambda v: v == 1, for_s=1.0, what="contactor closed"))


def test_profile_placeholders_must_all_have_values() -> None:
    assert fill(["{python}", "-m", "x"], {"python": "py"}) == ["py", "-m", "x"]
    with pytest.raises(ProfileError, match="placeholder 'charger_url'"):
        fill("{charger_url}", {})


@pytest.mark.parametrize("name", ["virtual", "charger-only", "example-lab"])
def test_shipped_profiles_load_with_every_limit_and_its_origin(name: str) -> None:
    profile = load_profile(PROJECT_ROOT / "benches" / f"{name}.toml")
    assert {"contactor_close_s", "contactor_open_s", "duty_tolerance_pct", "meter_error_pct"} <= set(profile.limits)
    assert all(limit.origin for limit in profile.limits.values())
    assert profile.section("charger")["url"]
