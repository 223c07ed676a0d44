"""Shared helpers of the API suites (kept tiny and generic; each suite owns its own logic)."""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any

import pytest
import pytest_asyncio

from fixtures.transports import Transports, pytest_terminal_summary, transports  # noqa: F401 - fixtures, hook
from instruments.charger_rpc import ChargerClient, DeviceError, RequestStyle
from reports.allure_support import ambiguity
from suites.api import latest
from suites.api.support import ConfigValueForm, spelled
from reference.spec import KEY_FORMAT

# An accepted error code maps to None (the code the spec names) or to the (ambiguity id, reading) it shows.
AcceptedCodes = Mapping[int, "tuple[str, str] | None"]
ExpectRpcError = Callable[..., Awaitable[DeviceError]]


@pytest_asyncio.fixture(scope="session")
async def config_value_form(charger_session: ChargerClient) -> ConfigValueForm:
    """Learned once, by a no-op: led_max_brightness set to the value it holds, natively."""
    current = (await charger_session.call("App_config.Get"))["led_max_brightness"]
    try:
        await charger_session.call("App_config.Set", {"config_key": "led_max_brightness", "config_value": current})
    except DeviceError as error:
        assert error.code == KEY_FORMAT, f"App_config.Set of led_max_brightness={current!r} (its value): {error}"
        await charger_session.call("App_config.Set", {"config_key": "led_max_brightness",
                                                      "config_value": spelled(current)})
        return ConfigValueForm(native=False)
    return ConfigValueForm(native=True)


@pytest.fixture(scope="session")
def latest_readings() -> Iterator[latest.LatestReadings]:
    """The charger's latest answers to its configuration getters (a rejected-input test's "before")."""
    yield from latest.registered()


@pytest.fixture
def set_app_key(charger: ChargerClient, config_value_form: ConfigValueForm) -> Callable[[str, Any], Awaitable[Any]]:
    """``await set_app_key(key, value)``: App_config.Set in the form the charger takes (a precondition)."""
    async def call(key: str, value: Any) -> Any:
        return await charger.call("App_config.Set", {"config_key": key, "config_value": config_value_form(value)})
    return call


@pytest.fixture
def style_offered(transports: Transports) -> Callable[[RequestStyle], None]:
    """``style_offered(style)``: skip, with the probe's evidence, when the charger lacks that URL style."""
    return transports.require_style


@pytest.fixture
def expect_rpc_error(charger: ChargerClient) -> ExpectRpcError:
    """``await expect_rpc_error(method, params, accepted)``: the call must fail with an accepted code.

    ``accepted`` is one code, or a mapping code -> None / (ambiguity id, reading); the reading the
    charger chose is labelled.  A result instead of an error fails with what was sent and received.
    """
    async def call(method: str, params: Any, accepted: int | AcceptedCodes, *,
                   style: RequestStyle | None = None) -> DeviceError:
        codes: AcceptedCodes = {accepted: None} if isinstance(accepted, int) else accepted
        try:
            result = await charger.call(method, params, style=style)
        except DeviceError as error:
            assert error.code in codes, (
                f"{method} answered code {error.code} ({error.message!r}), expected one of "
                f"{sorted(codes)}; {error.exchange.summary()}")
            chosen = codes[error.code]
            if chosen is not None:
                ambiguity(*chosen)
            return error
        pytest.fail(f"{method} accepted what it must reject (expected code {sorted(codes)}), answering "
                    f"{result!r}; {charger.exchanges[-1].summary()}")
    return call
