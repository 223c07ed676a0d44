"""6.7 Device.Reset and 6.25 Factory.Reset: what survives a reboot, and what a factory reset restores.

Each reset runs once per class (a reboot is slow on a real charger), from a charger on which every
chapter 4 key was first set to a valid non-default value chosen from the table (``PERSIST_VALUE``);
the per-key tests then judge the outcome one key at a time.  After Device.Reset every key reads back
as set (persistence); after Factory.Reset every key reads back as its documented default while the
chapter 5 keys (calibration, serial number) are untouched.  Both classes put the whole pre-test
configuration back (application keys, dynamic current, schedule, and the PIN a factory reset may clear).
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import pytest_asyncio

from fixtures.bench import Bench
from fixtures.clock import WaitTimeout
from fixtures.snapshot import dynamic_current_of, restore_snapshot, take_snapshot
from instruments.charger_rpc import ChargerClient, ChargerUnreachable, DeviceError
from reports.allure_support import ambiguity, cover
from suites.api.support import ConfigValueForm, label
from reference.spec import APP_KEYS, METHODS_BY_NAME, ConfigKey, JsonType

# The destructive marker is the gate: without --allow-destructive (or allow_destructive in the profile)
# these tests are skipped with the reason at collection, before any class fixture could reset the charger.
pytestmark = [pytest.mark.api, pytest.mark.config, pytest.mark.destructive]

DOWN_WITHIN_S = 30.0  # device s from the reset's answer until the charger stops answering
BACK_WITHIN_S = 60.0  # device s until it answers again

# Chapter 4 gives latitude/longitude no range ("Double value"); any fractional double will do.
UNRANGED_DOUBLE = {"latitude": 44.4268, "longitude": -26.1025}


def persist_value(key: ConfigKey) -> Any:
    """A valid value other than the documented default, from the table: the other boolean, the range
    bound that is not the default, the last valid example of a string key."""
    if key.type is JsonType.BOOL:
        return not key.default
    if key.type is JsonType.STRING:
        return [v for v in key.valid_examples if v and v != key.default][-1]
    if key.minimum is None:
        return UNRANGED_DOUBLE[key.name]
    return int(key.maximum) if key.maximum != key.default else int(key.minimum)


PERSIST_VALUE: dict[str, Any] = {key.name: persist_value(key) for key in APP_KEYS}
DYNAMIC_CURRENT = 13  # 6.18: 0-32; neither bound, so a value falling back to a bound shows


def matches(key: ConfigKey, got: Any, want: Any) -> bool:
    """Exact value with the key's chapter 4 JSON type (a bool is not an integer)."""
    if key.type is JsonType.BOOL:
        return got is want
    return key.type.accepts(got) and got == want


@dataclass
class ResetOutcome:
    answer: Any = None
    error: DeviceError | None = None
    went_down: bool = False
    before: dict[str, Any] = field(default_factory=dict)  # App_config.Get once every key was set
    after: dict[str, Any] = field(default_factory=dict)   # App_config.Get once the charger was back
    dynamic_before: Any = None
    dynamic_after: Any = None
    charger_config_before: dict[str, Any] = field(default_factory=dict)
    charger_config_after: dict[str, Any] = field(default_factory=dict)
    device_id_before: str = ""
    device_id_after: str = ""


async def _device_id_or_down(charger: ChargerClient) -> str | None:
    try:
        return (await charger.call("Device_id.Get"))["device_id"]
    except ChargerUnreachable:
        return None


async def reset_and_return(charger: ChargerClient, bench: Bench, method: str, *, must_go_down: bool,
                           form: ConfigValueForm) -> ResetOutcome:
    """Set every key to its PERSIST_VALUE, call the reset, wait for the charger to go and come back."""
    outcome = ResetOutcome()
    for name, value in PERSIST_VALUE.items():
        try:  # a refused value is reported per key, by the check of ``before``
            await charger.call("App_config.Set", {"config_key": name, "config_value": form(value)})
        except DeviceError:
            pass
    await charger.call("Dynamic_current.Set", {"dynamic_current": DYNAMIC_CURRENT})
    outcome.before = await charger.call("App_config.Get")
    outcome.dynamic_before = dynamic_current_of(await charger.call("Dynamic_current.Get"))
    outcome.charger_config_before = await charger.call("Charger_config.Get")
    outcome.device_id_before = await _device_id_or_down(charger) or ""
    try:
        outcome.answer = await charger.call(method)
    except DeviceError as error:
        outcome.error = error
        return outcome
    try:
        await bench.clock.wait_for(lambda: _device_id_or_down(charger), lambda seen: seen is None,
                                   within_s=DOWN_WITHIN_S, what=f"the charger rebooting (unreachable) after {method}")
        outcome.went_down = True
    except WaitTimeout:
        if must_go_down:
            raise
    outcome.device_id_after = await bench.clock.wait_for(
        lambda: _device_id_or_down(charger), lambda seen: seen is not None, within_s=BACK_WITHIN_S,
        what=f"Device_id.Get answering again after {method}")
    outcome.after = await charger.call("App_config.Get")
    outcome.dynamic_after = dynamic_current_of(await charger.call("Dynamic_current.Get"))
    outcome.charger_config_after = await charger.call("Charger_config.Get")
    return outcome


async def restore_credentials(charger: ChargerClient, bench: Bench) -> None:
    """Put back the PIN (and a non-empty AP password) that a factory reset may have cleared."""
    pin = bench.profile.secret("charger", "pin")
    if pin:
        await charger.call("Pin.Set", {"pin": pin})
    ap_password = bench.profile.secret("charger", "ap_password")
    if ap_password:
        await charger.call("Ap_password.Set", {"password": ap_password})


def _key_cases() -> list[Any]:
    return [pytest.param(key, id=key.name) for key in APP_KEYS]


@asynccontextmanager
async def reset_then_restore(bench: Bench, charger: ChargerClient, method: str, *, must_go_down: bool,
                             credentials: bool, form: ConfigValueForm) -> AsyncIterator[ResetOutcome]:
    """Run one reset for a whole class of checks, then put the charger back as it was found."""
    snapshot = await take_snapshot(charger)
    try:
        yield await reset_and_return(charger, bench, method, must_go_down=must_go_down, form=form)
    finally:
        await bench.clock.wait_for(lambda: _device_id_or_down(charger), lambda seen: seen is not None,
                                   within_s=BACK_WITHIN_S, what="the charger answering before the restore")
        if credentials:
            await restore_credentials(charger, bench)
        await restore_snapshot(charger, snapshot)


# Class-scoped: one reset per class, judged by many tests.
@pytest_asyncio.fixture(scope="class")
async def device_reset(bench: Bench, charger_session: ChargerClient,
                       config_value_form: ConfigValueForm) -> AsyncIterator[ResetOutcome]:
    async with reset_then_restore(bench, charger_session, "Device.Reset", must_go_down=True,
                                  credentials=False, form=config_value_form) as outcome:
        yield outcome


@pytest_asyncio.fixture(scope="class")
async def factory_reset(bench: Bench, charger_session: ChargerClient,
                        config_value_form: ConfigValueForm) -> AsyncIterator[ResetOutcome]:
    async with reset_then_restore(bench, charger_session, "Factory.Reset", must_go_down=False,
                                  credentials=True, form=config_value_form) as outcome:
        yield outcome


class TestDeviceReset:
    """6.7: the charger reboots and keeps its application configuration."""

    async def test_6_7_device_reset_answers_true_and_reboots(self, device_reset: ResetOutcome) -> None:
        cover(METHODS_BY_NAME["Device.Reset"])
        assert device_reset.error is None, f"Device.Reset answered an error: {device_reset.error}"
        assert device_reset.answer is True, f"Device.Reset answered {device_reset.answer!r}, expected true"
        assert device_reset.went_down, "the charger never became unreachable after Device.Reset"
        assert device_reset.device_id_after == device_reset.device_id_before

    @pytest.mark.parametrize("key", _key_cases())
    async def test_6_7_key_persists_across_device_reset(self, device_reset: ResetOutcome, key: ConfigKey) -> None:
        cover(key)
        assert device_reset.answer is True, "Device.Reset did not answer true; nothing to judge"
        want = PERSIST_VALUE[key.name]
        assert matches(key, device_reset.before.get(key.name), want), (
            f"{key.name}={want!r} did not read back before the reset: {device_reset.before.get(key.name)!r}")
        assert key.name in device_reset.after, f"App_config.Get lacks {key.name} after Device.Reset"
        got = device_reset.after[key.name]
        assert matches(key, got, want), f"{key.name} was {want!r} before Device.Reset, {got!r} after"

    async def test_6_18_dynamic_current_after_device_reset(self, device_reset: ResetOutcome) -> None:
        """The spec does not say whether the dynamic current survives a reboot: either way it must be a
        valid dynamic current (6.18: integer 0-32); the report records which the charger does."""
        cover(METHODS_BY_NAME["Dynamic_current.Set"])
        assert device_reset.dynamic_before == DYNAMIC_CURRENT, "Dynamic_current.Set 13 did not read back"
        after = device_reset.dynamic_after
        param = METHODS_BY_NAME["Dynamic_current.Set"].params[0]
        assert JsonType.INTEGER.accepts(after) and param.minimum <= after <= param.maximum, (
            f"Dynamic_current.Get after Device.Reset: {after!r}, not an integer {param.minimum}-{param.maximum}")
        # Persisted (13 again) or volatile back to 32 A, no dynamic limit (ambiguity dynamic_current_volatile;
        # back to 0 A is ruled out by headless "just plug in the connector and it will charge").
        assert after in (DYNAMIC_CURRENT, param.maximum), (
            f"Dynamic_current.Get after Device.Reset: {after}, neither the {DYNAMIC_CURRENT} set nor {param.maximum}")
        ambiguity(*label("dynamic_current_volatile", "persisted" if after == DYNAMIC_CURRENT else "volatile_32"))


class TestFactoryReset:
    """6.25: every application key back to its documented default; the charger's own keys untouched."""

    async def test_6_25_factory_reset_answers_true(self, factory_reset: ResetOutcome) -> None:
        cover(METHODS_BY_NAME["Factory.Reset"])
        assert factory_reset.error is None, f"Factory.Reset answered an error: {factory_reset.error}"
        assert factory_reset.answer is True, f"Factory.Reset answered {factory_reset.answer!r}, expected true"

    @pytest.mark.parametrize("key", _key_cases())
    async def test_6_25_key_back_to_documented_default(self, factory_reset: ResetOutcome, key: ConfigKey) -> None:
        cover(key)
        assert factory_reset.answer is True, "Factory.Reset did not answer true; nothing to judge"
        assert matches(key, factory_reset.before.get(key.name), PERSIST_VALUE[key.name]), (
            f"{key.name}={PERSIST_VALUE[key.name]!r} did not read back before the reset")
        if key.default is None:  # NULL in chapter 4
            if key.name not in factory_reset.after:
                ambiguity(*label("null_string_defaults", "omitted"))
                return
            got = factory_reset.after[key.name]
            assert got in ("", None), f"{key.name} after Factory.Reset: {got!r}, expected NULL (null or \"\")"
            ambiguity(*label("null_string_defaults", "json_null" if got is None else "empty_string"))
            return
        assert key.name in factory_reset.after, f"App_config.Get lacks {key.name} after Factory.Reset"
        got = factory_reset.after[key.name]
        if key.minimum is not None and not key.minimum <= key.default <= key.maximum:
            # connected_phase: documented default 0 outside its accepted 1-3.
            assert matches(key, got, key.default) or matches(key, got, int(key.minimum)), (
                f"{key.name} after Factory.Reset: {got!r}, expected the documented {key.default!r} "
                f"(or {int(key.minimum)} per ambiguity connected_phase_default_out_of_range)")
            ambiguity(*label("connected_phase_default_out_of_range",
                             "zero_rejected" if got == key.default else "fresh_reports_1"))
            return
        assert matches(key, got, key.default), (
            f"{key.name} after Factory.Reset: {got!r}, documented default {key.default!r} ({key.type.value})")

    async def test_6_25_factory_reset_keeps_charger_configuration(self, factory_reset: ResetOutcome) -> None:
        """Chapter 5 keys (calibration gains, serial number, board revision) are not application settings."""
        cover(METHODS_BY_NAME["Factory.Reset"])
        assert factory_reset.answer is True, "Factory.Reset did not answer true; nothing to judge"
        before, after = factory_reset.charger_config_before, factory_reset.charger_config_after
        changed = {k: (before.get(k), after.get(k)) for k in set(before) | set(after) if before.get(k) != after.get(k)}
        assert not changed, f"Factory.Reset changed chapter 5 keys: {changed}"
        assert factory_reset.device_id_after == factory_reset.device_id_before, "Factory.Reset changed the device id"
