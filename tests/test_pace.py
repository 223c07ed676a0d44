"""At a real charger's pace: the snapshot/restore reads only what a test may have changed.

A charger on Wi-Fi answers in tens to hundreds of milliseconds, so every exchange the harness adds
to a test costs real time.  These tests pin the guard's bargain on a scripted charger
(``httpx.MockTransport``): a read-only test costs nothing, a test that reads back what it set costs
only the Set that puts it back, a rejected call costs nothing, an unknowable request costs a full
read; and values the charger will not take back (a fresh ``connected_phase`` of 0, a NULL string)
are put back as faithfully as the charger allows, or reported.  The last test counts exchanges per
test in a real run against the virtual charger.
"""
from __future__ import annotations

import json
import textwrap
import warnings
from pathlib import Path
from typing import Any

import httpx
import pytest

import fixtures.snapshot as snapshot
from fixtures.snapshot import EVERYTHING, ConfigGuard, Domain, RestoreError, RestoreWarning, domains_changed_by
from instruments.charger_rpc import ChargerClient, DeviceError
from instruments.charger_rpc.exchange import CALL_OBSERVERS, OBSERVERS
from instruments.charger_rpc.requested import methods_in_request

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Refused(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class ScriptedCharger:
    """A charger that keeps a configuration and refuses what a fresh 1P7K could refuse."""

    def __init__(self) -> None:
        self.app: dict[str, Any] = {"connected_phase": 0, "charger_alias": None, "user_current": 16,
                                    "install_current": 32, "headless": True}
        self.dynamic = 32
        self.schedule: list[Any] = []
        self.requests: list[str] = []
        self.refuse: set[tuple[str, str]] = set()  # (key, repr(value)) refused on top of the rules

    def handle(self, request: httpx.Request) -> httpx.Response:
        try:
            body = json.loads(request.content)
        except ValueError:
            self.requests.append("<garbage>")
            return httpx.Response(200, json={"id": 0, "error": {"code": -2, "message": "bad json"}})
        method, params = body.get("method"), body.get("params") or {}
        self.requests.append(method)
        try:
            result = self.answer(method, params)
        except Refused as error:
            return httpx.Response(200, json={"id": body["id"], "src": "1p7k", "dst": body.get("src"),
                                             "error": {"code": error.code, "message": error.message}})
        return httpx.Response(200, json={"id": body["id"], "src": "1p7k", "dst": body.get("src"), "result": result})

    def answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "App_config.Get":
            return dict(self.app)
        if method == "Dynamic_current.Get":
            return {"dynamic_current": self.dynamic}
        if method == "Charging_schedule.Get":
            return {"charging_schedule": list(self.schedule)}
        if method == "Device_id.Get":
            return {"device_id": "1p7k_500006"}
        if method == "App_config.Set":
            key, value = params["config_key"], params["config_value"]
            if key not in self.app:
                raise Refused(-6, "unknown key")
            if (key, repr(value)) in self.refuse:
                raise Refused(-4, "refused")
            if key == "connected_phase" and value not in (1, 2, 3):
                raise Refused(-4, "range")
            if key == "charger_alias" and not isinstance(value, str):
                raise Refused(-5, "key format")
            self.app[key] = value
            return True
        if method == "Dynamic_current.Set":
            self.dynamic = params["dynamic_current"]
            return True
        raise Refused(-1, "not scripted")


@pytest.fixture
async def bench() -> Any:
    charger = ScriptedCharger()
    client = ChargerClient("http://charger.test", transport=httpx.MockTransport(charger.handle))
    guard = ConfigGuard(client)
    OBSERVERS.append(guard.observe)
    CALL_OBSERVERS.append(guard.observe_call)
    await guard.before_test()  # the configuration as found: read once
    charger.requests.clear()
    try:
        yield charger, client, guard
    finally:
        OBSERVERS.remove(guard.observe)
        CALL_OBSERVERS.remove(guard.observe_call)
        await client.aclose()


async def test_a_read_only_test_costs_no_exchange(bench: Any) -> None:
    charger, client, guard = bench
    await guard.before_test()
    await client.call("Device_id.Get")
    await client.call("App_config.Get")
    charger.requests.clear()
    await guard.after_test()
    assert charger.requests == []


async def test_a_test_that_reads_back_costs_only_the_set_that_puts_it_back(bench: Any) -> None:
    charger, client, guard = bench
    await client.call("App_config.Set", {"config_key": "user_current", "config_value": 10})
    await client.call("App_config.Get")
    charger.requests.clear()
    outcome = await guard.after_test()
    assert charger.requests == ["App_config.Set"] and outcome.restored == ["user_current"]
    assert charger.app["user_current"] == 16


async def test_without_a_read_back_only_the_changed_domain_is_read(bench: Any) -> None:
    charger, client, guard = bench
    await client.call("Dynamic_current.Set", {"dynamic_current": 8})
    charger.requests.clear()
    await guard.after_test()
    assert charger.requests == ["Dynamic_current.Get", "Dynamic_current.Set"] and charger.dynamic == 32


async def test_a_call_the_charger_refused_changed_nothing_and_costs_nothing(bench: Any) -> None:
    charger, client, guard = bench
    with pytest.raises(DeviceError):
        await client.call("App_config.Set", {"config_key": "no_such_key", "config_value": 1})
    charger.requests.clear()
    await guard.after_test()
    assert charger.requests == []


async def test_a_request_whose_method_cannot_be_known_costs_a_read_of_everything(bench: Any) -> None:
    charger, client, guard = bench
    await client.send_raw(b"{not json")
    charger.requests.clear()
    await guard.after_test()
    assert sorted(charger.requests) == ["App_config.Get", "Charging_schedule.Get", "Dynamic_current.Get"]


def test_what_each_request_may_change() -> None:
    assert domains_changed_by(("App_config.Get",)) == frozenset()
    assert domains_changed_by(("install_current.set",)) == {Domain.APP_CONFIG}  # any case
    assert domains_changed_by(("Charging_schedule.Set",)) == {Domain.SCHEDULE}
    assert domains_changed_by(("Factory.Reset",)) == EVERYTHING
    assert domains_changed_by(("No_such.Method",)) == EVERYTHING
    assert domains_changed_by(None) == EVERYTHING
    assert methods_in_request("/rpc/Dynamic_current.Set", {"dynamic_current": 6}) == ("Dynamic_current.Set",)
    assert methods_in_request("/rpc", b'[{"method": "A.Get"}, {"method": "B.Set"}]') == ("A.Get", "B.Set")
    assert methods_in_request("/rpc", b"\xff garbage") is None
    assert methods_in_request("/rpc", {"id": 1, "method": 7}) is None


async def test_a_factory_default_the_charger_refuses_is_a_labelled_warning(bench: Any,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """connected_phase as found 0 (its documented default, outside its range 1-3): a charger may refuse
    to be set back to it.  Reported with key and code, labelled with the ambiguity; not an error."""
    charger, client, guard = bench
    labels: list[tuple[str, str]] = []
    monkeypatch.setattr(snapshot, "_label", lambda *label: labels.append(label))
    await client.call("App_config.Set", {"config_key": "connected_phase", "config_value": 2})
    with pytest.warns(RestoreWarning, match=r"connected_phase.*0.*code -4.*keeps 2"):
        outcome = await guard.after_test()
    assert [r.key for r in outcome.refused] == ["connected_phase"] and outcome.refused[0].codes == (-4,)
    assert labels and labels[0][0] == "connected_phase_default_out_of_range"
    assert "connected_phase" in guard.left_changed
    charger.requests.clear()  # the next test starts from what the charger keeps: no retry every time
    await client.call("App_config.Set", {"config_key": "user_current", "config_value": 12})
    await client.call("App_config.Get")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        await guard.after_test()
    assert charger.requests[-1] == "App_config.Set" and charger.requests.count("App_config.Set") == 2


async def test_a_null_string_goes_back_in_the_form_the_charger_takes(bench: Any) -> None:
    charger, client, guard = bench
    await client.call("App_config.Set", {"config_key": "charger_alias", "config_value": "Garage"})
    outcome = await guard.after_test()  # null refused with -5, "" taken: the same NULL
    assert outcome.nearest == ["charger_alias"] and not outcome.refused and charger.app["charger_alias"] == ""
    charger.requests.clear()
    await client.call("App_config.Set", {"config_key": "user_current", "config_value": 12})
    await guard.after_test()  # "" now, null as found: equal in meaning, not "restored" again
    assert charger.requests.count("App_config.Set") == 2  # the test's own and user_current's


async def test_refusing_a_value_it_held_in_range_is_a_restore_error(bench: Any) -> None:
    charger, client, guard = bench
    await client.call("App_config.Set", {"config_key": "user_current", "config_value": 10})
    charger.refuse.add(("user_current", "16"))
    with pytest.raises(RestoreError, match=r"user_current.*16.*code -4"):
        await guard.after_test()


async def test_the_end_of_the_run_compares_everything_with_the_configuration_as_found(bench: Any) -> None:
    charger, client, guard = bench
    charger.app["user_current"] = 7  # changed outside any test's restore (e.g. a fixture's leftover)
    outcome = await guard.at_session_end()
    assert outcome.restored == ["user_current"] and guard.restored_at_end == ["user_current"]
    assert charger.app["user_current"] == 16


def test_a_run_counts_exchanges_per_test_and_read_only_tests_cost_no_harness_exchange(
        pytester: pytest.Pytester, virtual_charger: dict[str, str]) -> None:
    # no conftest: the lektrico_hil plugin comes from its pytest11 entry point
    pytester.makeini("[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = session\n"
                     "asyncio_default_test_loop_scope = session\nmarkers =\n    needs: bench capabilities\n")
    pytester.makepyfile(test_tiny=textwrap.dedent("""
        import pytest

        @pytest.mark.parametrize("n", range(3))
        async def test_reads(charger, n):
            assert (await charger.call("Device_id.Get"))["device_id"]

        async def test_sets_and_reads_back(charger):
            await charger.call("App_config.Set", {"config_key": "led_max_brightness", "config_value": 37})
            assert (await charger.call("App_config.Get"))["led_max_brightness"] == 37
    """))
    allure = pytester.path / "allure"
    result = pytester.runpytest_subprocess("--charger-url", virtual_charger["charger_url"], "-p", "no:cacheprovider",
                                           f"--alluredir={allure}")
    result.assert_outcomes(passed=4)
    counts = json.loads((allure / "exchanges.json").read_text())
    result.stdout.fnmatch_lines(["*charger RPC: * RPC exchanges for 4 tests*"])
    by_test = counts["by_test"]
    print(f"\n{by_test}")
    assert counts["tests"] == 4
    for read_only in ("test_tiny.py::test_reads[1]", "test_tiny.py::test_reads[2]"):
        assert by_test[read_only] == {"test": 1}, f"{read_only}: only its own exchange, got {by_test[read_only]}"
    mutating = by_test["test_tiny.py::test_sets_and_reads_back"]
    assert mutating["test"] == 2 and mutating["snapshot"] >= 1  # the Set back (and the end-of-run comparison)
