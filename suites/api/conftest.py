"""Shared helpers of the API suites (kept tiny and generic; each suite owns its own logic)."""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import pytest

from instruments.charger_rpc import ChargerClient, DeviceError, RequestStyle
from reports.allure_support import ambiguity

# An accepted error code maps to None (the code the spec names) or to the (ambiguity id, reading) it shows.
AcceptedCodes = Mapping[int, "tuple[str, str] | None"]
ExpectRpcError = Callable[..., Awaitable[DeviceError]]


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
            label = codes[error.code]
            if label is not None:
                ambiguity(*label)
            return error
        pytest.fail(f"{method} accepted what it must reject (expected code {sorted(codes)}), answering "
                    f"{result!r}; {charger.exchanges[-1].summary()}")
    return call
