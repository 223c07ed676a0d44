"""Interoperability of the virtual charger with the vendor's own client, ``lektricowifi`` (field facts §1).

The virtual charger is started as a subprocess (``python -m simulator``) and driven with
``lektricowifi.Device`` exactly as the Home Assistant integration drives a real charger: GET
``/rpc/<method>`` for the getters, ``POST /rpc`` frames with native JSON ``config_value`` for the
setters.  What the vendor's client sets is read back through the project's own RPC client, so both
sides of the wire are checked.
"""
from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import pytest_asyncio

lektricowifi = pytest.importorskip("lektricowifi", reason="the vendor client is a dev extra (pip install .[dev])")

from fixtures.launcher import BenchService  # noqa: E402
from instruments.charger_rpc import ChargerClient  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SERIAL_NUMBER = 512345  # started with a serial of our choosing, so device_config() is checked against it


@pytest.fixture(scope="module")
def charger_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    state_dir = tmp_path_factory.mktemp("interop-state")
    service = BenchService([sys.executable, "-m", "simulator", "--port", "0", "--time-scale", "20",
                            "--state-dir", str(state_dir), "--serial-number", str(SERIAL_NUMBER),
                            "--provision", "connected_phase=1"],
                           cwd=PROJECT_ROOT, ready_timeout_s=30)
    try:
        yield service.endpoints["charger_url"]
    finally:
        service.stop()


@pytest_asyncio.fixture
async def device(charger_url: str) -> AsyncIterator[Any]:
    """The vendor's client, addressed as it is in the field: 'host:port', no scheme."""
    client = lektricowifi.Device(urlparse(charger_url).netloc)
    try:
        yield client
    finally:
        await client.close()


@pytest_asyncio.fixture
async def ours(charger_url: str) -> AsyncIterator[ChargerClient]:
    async with ChargerClient(charger_url) as client:
        yield client


def assert_true_frame(reply: dict[str, Any], what: str) -> None:
    """lektricowifi returns the whole reply frame of ``POST /rpc``: its result must be ``true``."""
    assert isinstance(reply, dict) and "error" not in reply, f"{what}: {reply!r}"
    assert reply.get("result") is True, f"{what} answered {reply!r}, expected result true"
    assert reply.get("dst") == "HASS", f"{what}: reply not addressed to the caller's src 'HASS': {reply!r}"


async def test_device_config_reports_type_and_serial(device: Any, ours: ChargerClient) -> None:
    config = await device.device_config()
    assert config["type"] == "1p7k"
    assert config["serial_number"] == SERIAL_NUMBER
    assert config["board_revision"] == (await ours.call("Board_revision.Get"))["board_revision"]


async def test_device_info_parses_charger_info(device: Any, ours: ChargerClient) -> None:
    """device_info merges charger_info, app_config and dynamic_current into the client's model."""
    info = await device.device_info("1p7k")
    assert info["charger_state"] == "available"  # extended state A, no EV
    assert info["fw_version"] == (await ours.call("Sw_version.Get"))["fw_version"]
    app = await ours.call("App_config.Get")
    assert info["install_current"] == app["install_current"]
    assert info["user_current"] == app["user_current"]
    assert info["require_auth"] is (not app["headless"])
    assert info["dynamic_current"] == (await ours.call("Dynamic_current.Get"))["dynamic_current"]


async def test_charge_start_and_stop_answer_true(device: Any) -> None:
    assert_true_frame(await device.send_charge_start(), "charge.start")
    assert_true_frame(await device.send_charge_stop(), "charge.stop")


async def test_charge_schedule_override_answers_true(device: Any) -> None:
    assert_true_frame(await device.send_charge_schedule_override(), "Charging_schedule.Override")


# What the vendor client sets, the value, and where our client reads it back.
SETTERS = [
    pytest.param("set_led_max_brightness", 50, "App_config.Get", "led_max_brightness", id="led_max_brightness-50"),
    pytest.param("set_user_current", 16, "App_config.Get", "user_current", id="user_current-16"),
    pytest.param("set_dynamic_current", 10, "Dynamic_current.Get", "dynamic_current", id="dynamic_current-10"),
    pytest.param("set_charger_locked", True, "App_config.Get", "charger_locked", id="charger_locked-true"),
    pytest.param("set_charger_locked", False, "App_config.Get", "charger_locked", id="charger_locked-false"),
]


@pytest.mark.parametrize(("setter", "value", "getter", "field"), SETTERS)
async def test_vendor_setter_is_applied(device: Any, ours: ChargerClient, setter: str, value: Any, getter: str,
                                        field: str) -> None:
    assert_true_frame(await getattr(device, setter)(value), f"{setter}({value!r})")
    got = (await ours.call(getter))[field]
    assert got == value and type(got) is type(value), f"{setter}({value!r}) reads back {got!r} via {getter}"


async def test_device_info_reflects_vendor_settings(device: Any) -> None:
    """The settings made through the vendor client show in its own device_info model."""
    for setter, value in (("set_led_max_brightness", 70), ("set_dynamic_current", 12), ("set_user_current", 20)):
        assert_true_frame(await getattr(device, setter)(value), f"{setter}({value})")
    info = await device.device_info("1p7k")
    assert (info["led_max_brightness"], info["dynamic_current"], info["user_current"]) == (70, 12, 20)
