"""Unit tests of the charger RPC client: wire format per style, reply reading, errors, masking.

No server: ``httpx.MockTransport`` answers with scripted replies, so each test pins one exact
request and one exact reply.
"""
from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from instruments.charger_rpc import (
    ChargerClient,
    ChargerUnreachable,
    DeviceError,
    MalformedReply,
    RequestStyle,
)

Handler = Callable[[httpx.Request], httpx.Response]


def client_with(handler: Handler, **kwargs: object) -> ChargerClient:
    return ChargerClient("http://charger.test", transport=httpx.MockTransport(handler), **kwargs)  # type: ignore[arg-type]


def echo_frame(result: object) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        reply = {"id": body["id"], "src": "1p7k_500006", "dst": body.get("src"), "result": result}
        if "jsonrpc" in body:
            reply = {"jsonrpc": "2.0", "id": body["id"], "result": result}
        return httpx.Response(200, json=reply)
    return handler


async def test_frame_style_posts_a_whole_frame_and_returns_the_result() -> None:
    seen: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return echo_frame({"device_id": "1p7k_500006"})(request)

    async with client_with(handler, src="bench-7") as client:
        assert await client.call("Device_id.Get") == {"device_id": "1p7k_500006"}
    assert seen[0]["method"] == "Device_id.Get" and seen[0]["src"] == "bench-7"
    assert isinstance(seen[0]["id"], int) and "params" not in seen[0]


async def test_jsonrpc_style_sends_the_version_and_params() -> None:
    seen: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return echo_frame(True)(request)

    async with client_with(handler, style=RequestStyle.JSONRPC) as client:
        assert await client.call("Install_current.Set", {"install_current": 16}) is True
    assert seen[0]["jsonrpc"] == "2.0" and seen[0]["params"] == {"install_current": 16}


async def test_url_get_quotes_string_values_as_json() -> None:
    urls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        urls.append(str(request.url))
        return httpx.Response(200, json=True)

    async with client_with(handler, style=RequestStyle.URL_GET) as client:
        await client.call("App_config.Set", {"config_key": "charger_alias", "config_value": "bay 3"})
    assert urls == ['http://charger.test/rpc/App_config.Set?config_key=%22charger_alias%22'
                    '&config_value=%22bay%203%22']


async def test_url_post_error_is_read_from_the_bare_error_object() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/rpc/Install_current.Set"
        assert json.loads(request.content) == {"install_current": 33}
        return httpx.Response(500, json={"code": -4, "message": "out of range"})

    async with client_with(handler, style=RequestStyle.URL_POST) as client:
        with pytest.raises(DeviceError) as caught:
            await client.call("Install_current.Set", {"install_current": 33})
    assert caught.value.code == -4 and caught.value.exchange.status == 500


async def test_frame_error_raises_device_error_with_the_exchange() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        return httpx.Response(200, json={"id": body["id"], "dst": body["src"], "error": {"code": -6, "message": "x"}})

    async with client_with(handler) as client:
        with pytest.raises(DeviceError) as caught:
            await client.call("App_config.Set", {"config_key": "nope", "config_value": 1})
    assert caught.value.code == -6
    assert "App_config.Set" in caught.value.exchange.summary()


@pytest.mark.parametrize("reply, reason", [
    ({"id": 0, "dst": "lektrico-hil", "result": True}, "does not echo"),
    ({"id": "STR", "dst": "lektrico-hil", "result": True}, "does not echo"),
    ({"id": "ID", "result": True}, "dst"),
    ({"id": "ID", "dst": "lektrico-hil"}, "exactly one"),
    ({"id": "ID", "dst": "lektrico-hil", "error": {"code": "-4"}}, "integer 'code'"),
])
async def test_out_of_form_frames_are_malformed_not_guessed(reply: dict, reason: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        ids = {"ID": body["id"], "STR": str(body["id"])}
        return httpx.Response(200, json={k: ids.get(v, v) if isinstance(v, str) else v for k, v in reply.items()})

    async with client_with(handler) as client:
        with pytest.raises(MalformedReply, match=reason):
            await client.call("Device_id.Get")


async def test_connection_failure_is_a_bench_fault_not_a_device_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async with client_with(handler) as client:
        with pytest.raises(ChargerUnreachable) as caught:
            await client.call("Device_id.Get")
    assert caught.value.exchange.status is None and "ConnectError" in (caught.value.exchange.error or "")


async def test_secrets_are_masked_in_every_recorded_exchange() -> None:
    recorded = []

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=True)

    async with client_with(handler, style=RequestStyle.URL_GET, secrets=("8421",)) as client:
        client.listeners.append(recorded.append)
        await client.call("Pin.Check", {"pin": "8421"})
        await client.send_raw('{"method":"Pin.Set","params":{"pin":"8421"}', label="broken json")
    texts = [e.to_json() for e in recorded]
    assert all("8421" not in text for text in texts), texts
    assert "pin=***" in recorded[0].url


async def test_notification_reply_body_is_reported_raw() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"")

    async with client_with(handler) as client:
        reply = await client.send_raw({"method": "Charger_info.Get"})
    assert reply.status == 200 and reply.json is None and reply.text == ""


async def test_every_exchange_names_the_methods_it_requested_and_calls_are_observed() -> None:
    """What the snapshot fixture needs to restore only what a test could change (fixtures/snapshot.py)."""
    from instruments.charger_rpc.exchange import CALL_OBSERVERS, OBSERVERS

    exchanges, calls = [], []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content.startswith(b"{") else {}
        if body.get("method") == "App_config.Set":
            return httpx.Response(200, json={"id": body["id"], "dst": body["src"], "error": {"code": -6}})
        return echo_frame(True)(request) if body.get("id") else httpx.Response(200, json=True)

    OBSERVERS.append(exchanges.append)
    CALL_OBSERVERS.append(calls.append)
    try:
        async with client_with(handler) as client:
            await client.call("Dynamic_current.Set", {"dynamic_current": 8})
            with pytest.raises(DeviceError):
                await client.call("App_config.Set", {"config_key": "x", "config_value": 1})
            await client.send_raw(b"\x00 not json")
            await client.send_raw(None, path="/rpc/Charge.Start", http_method="GET")
            assert client.exchange_count == 4
    finally:
        OBSERVERS.remove(exchanges.append)
        CALL_OBSERVERS.remove(calls.append)
    assert [e.rpc_methods for e in exchanges] == [("Dynamic_current.Set",), ("App_config.Set",), None, ("Charge.Start",)]
    assert [(c.method, c.result, type(c.error).__name__) for c in calls] == [
        ("Dynamic_current.Set", True, "NoneType"), ("App_config.Set", None, "DeviceError")]


@pytest.fixture(scope="module")
def charger_with_auth(tmp_path_factory: pytest.TempPathFactory):
    import sys

    from fixtures.launcher import BenchService
    from tests.conftest import PROJECT_ROOT

    service = BenchService([sys.executable, "-m", "simulator", "--port", "0", "--auth", "bench:s3cret-pw",
                            "--state-dir", str(tmp_path_factory.mktemp("auth"))], cwd=PROJECT_ROOT, ready_timeout_s=30)
    yield service.endpoints["charger_url"]
    service.stop()


@pytest.mark.parametrize("auth", [httpx.DigestAuth("bench", "s3cret-pw"), httpx.BasicAuth("bench", "s3cret-pw")],
                         ids=["digest", "basic"])
async def test_credentials_from_the_profile_open_an_authenticated_charger(charger_with_auth: str,
                                                                          auth: httpx.Auth) -> None:
    async with ChargerClient(charger_with_auth, auth=auth) as client:
        assert (await client.call("Device_id.Get"))["device_id"].startswith("1p7k_")
        assert all("s3cret-pw" not in e.to_json() for e in client.exchanges)


@pytest.mark.parametrize("auth", [None, httpx.DigestAuth("bench", "wrong")], ids=["none", "wrong-password"])
async def test_missing_or_wrong_credentials_are_a_bench_fault(charger_with_auth: str, auth: httpx.Auth | None) -> None:
    from instruments.charger_rpc import BenchFault, ChargerAuthenticationRequired

    async with ChargerClient(charger_with_auth, auth=auth) as client:
        with pytest.raises(ChargerAuthenticationRequired) as caught:
            await client.call("Device_id.Get")
    assert isinstance(caught.value, BenchFault)
