"""The WebSocket RPC channel (field-facts §1) and the heartbeat notification (spec 6.30).

Over the WebSocket a request frame gets its reply frame (id echoed, addressed to the caller), an
error is an error frame, and a notification is a frame *without* an id.  Where the heartbeat goes
is not said by the spec (ambiguity heartbeat_notification_channel): the suite labels the channel
the charger chose, and judges the notification's form when it arrives on the WebSocket.
"""
from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from fixtures.bench import Bench
from fixtures.transports import Transports
from instruments.charger_rpc import ChargerClient
from instruments.charger_rpc.websocket import ChargerWebSocket
from reports.allure_support import ambiguity, attach_exchange, cover
from suites.api.support import label
from reference.spec import AMBIGUITIES_BY_ID, UNKNOWN_KEY, method

pytestmark = [pytest.mark.api, pytest.mark.framing]

SRC = "hil-websocket-probe"
HEARTBEAT_WITHIN_S = 5.0  # device s for the notification to follow the request; a lab decision
CHANNEL = AMBIGUITIES_BY_ID["heartbeat_notification_channel"]


@pytest_asyncio.fixture
async def websocket(charger: ChargerClient, transports: Transports) -> AsyncIterator[ChargerWebSocket]:
    """The WebSocket channel; skipped with the reason on a charger that has none (websocket_channel)."""
    transports.require("websocket")
    async with ChargerWebSocket(charger.base_url, src=SRC, timeout_s=charger.timeout_s,
                                listeners=[attach_exchange]) as ws:
        yield ws


async def test_1_websocket_request_gets_its_reply_frame(websocket: ChargerWebSocket, charger: ChargerClient) -> None:
    cover("1 Commands format", title="WebSocket: a request frame gets a reply with its id, addressed to the caller")
    reply = await websocket.call("Device_id.Get")
    assert reply.get("dst") == SRC, f"reply not addressed to the caller: {reply}"
    assert "error" not in reply and reply.get("result") == await charger.call("Device_id.Get"), reply


async def test_1_websocket_error_is_an_error_frame(websocket: ChargerWebSocket, charger: ChargerClient) -> None:
    cover(method("App_config.Set"), title="WebSocket: a rejected request answers an error frame with its code")
    before = await charger.call("App_config.Get")
    reply = await websocket.call("App_config.Set", {"config_key": "no_such_key", "config_value": 1})
    assert "result" not in reply and reply.get("error", {}).get("code") == UNKNOWN_KEY, reply
    assert await charger.call("App_config.Get") == before


async def test_6_30_heartbeat_notification_is_a_notification(websocket: ChargerWebSocket, bench: Bench) -> None:
    cover(method("Heartbeat.Trigger"))
    reply = await websocket.call("Heartbeat.Trigger")
    assert reply.get("result") is True, f"Heartbeat.Trigger must answer true: {reply}"
    notification = websocket.notifications[0] if websocket.notifications else \
        await websocket.receive(bench.clock.wall(HEARTBEAT_WITHIN_S))
    if notification is None:  # nothing on the WebSocket within HEARTBEAT_WITHIN_S device s
        ambiguity(*label(CHANNEL.id, "ocpp_only"))
        return
    ambiguity(*label(CHANNEL.id, "websocket"))
    assert "id" not in notification, f"a notification must carry no id (JSON-RPC 2.0), got {notification}"
    assert isinstance(notification.get("method"), str) and notification["method"], notification
    assert isinstance(notification.get("params", {}), dict), notification
