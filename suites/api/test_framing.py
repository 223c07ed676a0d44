"""Transport and frame handling (spec chapter 1 "JSON-RPC 2.0", field facts §1).

Every request style reaches a getter; replies echo the request id exactly and address the caller;
errors are well-formed error objects in every style; a notification is executed but never answered;
method names match case-insensitively.  Where the spec is silent (JSON-RPC or vendor codes for framing
errors, echoing ``jsonrpc``) every defensible reading is accepted and labelled.  Garbage (random params,
random bytes) must always get an error object, never a result, and must leave the configuration alone.
"""
from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fixtures.bench import Bench
from fixtures.snapshot import dynamic_current_of
from instruments.charger_rpc import ChargerClient, DeviceError, RawReply, RequestStyle
from instruments.charger_rpc.styles import build
from reports.allure_support import ambiguity, cover
from suites.api.support import ConfigValueForm, label, reading
from reference.spec import AMBIGUITIES_BY_ID, KEYS_BY_NAME, METHODS, METHODS_BY_NAME, RANGE

pytestmark = [pytest.mark.api, pytest.mark.framing]

SECTION = "1 Commands format"
SRC = "hil-framing-probe"
GETTER = METHODS_BY_NAME["Device_id.Get"]
URL_STYLES = (RequestStyle.URL_POST, RequestStyle.URL_GET)
UNKNOWN_METHODS = ("No_such.Method", "Charger_info.Gett")
NOTIFICATION_APPLY_S = 2.0  # device s for a notification's effect to show; a lab decision, not from the spec

# --- spec ambiguities framing_error_codes / unknown_method_code: the defensible codes per fault ----------
FRAMING = "framing_error_codes"
Accepted = dict[int, tuple[str, str]]


def _codes(ambiguity_id: str, name: str, *codes: int) -> Accepted:
    return {code: label(ambiguity_id, name) for code in codes}


PARSE_ERROR_CODES = {**_codes(FRAMING, "jsonrpc", -32700), **_codes(FRAMING, "vendor", -2)}
INVALID_REQUEST_CODES = {**_codes(FRAMING, "jsonrpc", -32600), **_codes(FRAMING, "vendor", -2)}
# Params that are not an object: JSON-RPC's invalid request / invalid params, or the vendor's -2 / -5.
BAD_PARAMS_CODES = {**_codes(FRAMING, "jsonrpc", -32600, -32602), **_codes(FRAMING, "vendor", -2, -5)}
UNKNOWN_METHOD = "unknown_method_code"
UNKNOWN_METHOD_CODES = {**_codes(UNKNOWN_METHOD, "code_404", 404), **_codes(UNKNOWN_METHOD, "jsonrpc_32601", -32601),
                        **_codes(UNKNOWN_METHOD, "general_fail", -1), **_codes(UNKNOWN_METHOD, "unknown_key", -6)}
# An empty or non-string method: an invalid request, or looked up and not found (method_name_invalid).
BAD_METHOD_NAME_CODES = {**{c: label("method_name_invalid", "invalid_request") for c in INVALID_REQUEST_CODES},
                         **{c: label("method_name_invalid", "unknown_method") for c in UNKNOWN_METHOD_CODES}}

# Two frame families share POST /rpc: the Mongoose/Shelly frame and a plain JSON-RPC 2.0 request.
FAMILIES = {
    "frame": lambda call_id, method, **extra: {"id": call_id, "src": SRC, "method": method, **extra},
    "jsonrpc": lambda call_id, method, **extra: {"jsonrpc": "2.0", "id": call_id, "method": method, **extra},
}
IDS = {
    "integer": 7,
    "large integer": 9_007_199_254_740_991,  # 2**53 - 1: the largest integer every JSON parser keeps exactly
    "string": "hil-req-7",
    "digit string": "4711",
}


# --- helpers ----------------------------------------------------------------------------------------
async def post_frame(charger: ChargerClient, body: Any, label: str = "frame") -> RawReply:
    return await charger.send_raw(body, path="/rpc", label=label)


def frame_reply(reply: RawReply) -> dict[str, Any]:
    """A POST /rpc reply: HTTP 200 carrying one JSON object (field facts §1)."""
    assert reply.status == 200 and isinstance(reply.json, dict), (
        f"expected HTTP 200 with a JSON frame; {reply.exchange.summary()}")
    return reply.json


def error_object_problem(error: Any) -> str | None:
    """Why ``error`` is not a JSON-RPC error object (integer code, string message), or None."""
    if not isinstance(error, dict):
        return f"error {error!r} is not an object"
    if not isinstance(error.get("code"), int) or isinstance(error.get("code"), bool):
        return f"error {error!r} lacks an integer 'code'"
    if not isinstance(error.get("message"), str):
        return f"error {error!r} lacks a string 'message' (JSON-RPC 2.0 §5.1)"
    return None


def assert_error_frame(reply: RawReply, accepted: dict[int, tuple[str, str]] | None = None, *,
                       any_status: bool = False) -> int:
    """The reply is a frame with an error object (and no result); returns the code, labelling it.

    ``any_status`` tolerates a non-200 HTTP status as long as the body is still an error frame.
    """
    if any_status:
        assert isinstance(reply.json, dict), (
            f"no JSON frame came back (a crash?); {reply.exchange.summary()}")
        frame = reply.json
    else:
        frame = frame_reply(reply)
    assert "result" not in frame, f"a request that must fail got a result; {reply.exchange.summary()}"
    assert "error" in frame, f"reply carries no error object; {reply.exchange.summary()}"
    problem = error_object_problem(frame["error"])
    assert problem is None, f"{problem}; {reply.exchange.summary()}"
    code = frame["error"]["code"]
    if accepted is not None:
        assert code in accepted, (f"error code {code} is none of the defensible codes {sorted(accepted)}; "
                                  f"{reply.exchange.summary()}")
        ambiguity(*accepted[code])
    return code


async def send_in_style(charger: ChargerClient, style: RequestStyle, method: str,
                        params: dict[str, Any] | None) -> RawReply:
    """Put a call on the wire exactly as the client's style would, and return the raw HTTP reply."""
    wire = build(style, method, params, 1, charger.src)
    return await charger.send_raw(wire.body, path=wire.path, http_method=wire.http_method, label=method)


async def app_config(charger: ChargerClient) -> dict[str, Any]:
    return await charger.call("App_config.Get")


async def dynamic_current(charger: ChargerClient) -> Any:
    reply = await charger.call("Dynamic_current.Get")
    return dynamic_current_of(reply)


# --- request styles, ids, addressing -----------------------------------------------------------------
@pytest.mark.parametrize("style", list(RequestStyle), ids=lambda s: s.value)
async def test_1_getter_answers_in_every_request_style(charger: ChargerClient, style: RequestStyle,
                                                       style_offered: Any) -> None:
    cover(SECTION)
    style_offered(style)
    result = await charger.call(GETTER.name, style=style)  # the client checks id, dst and form per style
    assert isinstance(result, dict) and isinstance(result.get("device_id"), str) and result["device_id"], (
        f"{GETTER.name} in style {style.value} answered {result!r}; {charger.exchanges[-1].summary()}")


@pytest.mark.parametrize("id_kind", list(IDS))
@pytest.mark.parametrize("family", list(FAMILIES))
async def test_1_reply_echoes_request_id_exactly(charger: ChargerClient, family: str, id_kind: str) -> None:
    cover(SECTION)
    sent = IDS[id_kind]
    reply = frame_reply(await post_frame(charger, FAMILIES[family](sent, GETTER.name)))
    echoed = reply.get("id", "<no id>")
    assert echoed == sent and type(echoed) is type(sent), (
        f"sent id {sent!r} ({type(sent).__name__}), reply id {echoed!r} ({type(echoed).__name__}); "
        f"{charger.exchanges[-1].summary()}")
    assert "result" in reply, f"a getter failed; {charger.exchanges[-1].summary()}"


async def test_1_frame_reply_is_addressed_to_the_caller(charger: ChargerClient) -> None:
    cover(SECTION)
    reply = frame_reply(await post_frame(charger, FAMILIES["frame"](11, GETTER.name)))
    summary = charger.exchanges[-1].summary()
    assert reply.get("dst") == SRC, f"reply dst {reply.get('dst')!r} is not our src {SRC!r}; {summary}"
    device_id = reply.get("result", {}).get("device_id")
    assert isinstance(reply.get("src"), str) and reply["src"] == device_id, (
        f"reply src {reply.get('src')!r} is not the charger's id {device_id!r} (reference/standards.md T41: "
        f"src is '1p7k_<serial>'); {summary}")


async def test_1_jsonrpc_version_echo_is_labelled(charger: ChargerClient) -> None:
    cover(SECTION)
    reply = frame_reply(await post_frame(charger, FAMILIES["jsonrpc"](12, GETTER.name)))
    summary = charger.exchanges[-1].summary()
    assert reply.get("id") == 12 and "result" in reply and "error" not in reply, (
        f"a JSON-RPC 2.0 request to a getter must get its result; {summary}")
    if "jsonrpc" in reply:
        assert reply["jsonrpc"] == "2.0", f"reply claims jsonrpc {reply['jsonrpc']!r}, not '2.0'; {summary}"
        ambiguity(*label("jsonrpc_version_echo", "echoed"))
    else:
        ambiguity(*label("jsonrpc_version_echo", "not_echoed"))


async def test_1_null_id_is_answered_with_null_or_taken_as_a_notification(charger: ChargerClient) -> None:
    """JSON-RPC 2.0 §4.1: only a request *without* an id member is a notification; a Mongoose-OS frame
    parser reads a null id as none (ambiguity null_id_frame).  Either way, never a reply with another id."""
    cover(SECTION)
    reply = await post_frame(charger, FAMILIES["frame"](None, GETTER.name))
    if reply.status < 300 and not reply.text.strip():
        ambiguity(*label("null_id_frame", "notification"))
        return
    frame = frame_reply(reply)
    assert "id" in frame and frame["id"] is None and "result" in frame, (
        f"a request with id null must be answered with id null and its result, or not at all; "
        f"{reply.exchange.summary()}")
    ambiguity(*label("null_id_frame", "answered"))


async def test_1_null_params_are_no_params_or_invalid(charger: ChargerClient) -> None:
    """"params": null is no structured value (JSON-RPC 2.0 §4.2): a getter answers (taken as no params) or
    the frame is refused as invalid params (ambiguity null_params_frame)."""
    cover(SECTION)
    raw = await post_frame(charger, FAMILIES["frame"](14, GETTER.name, params=None))
    reply = frame_reply(raw)
    assert reply.get("id") == 14, f"reply does not echo id 14; {raw.exchange.summary()}"
    if "result" in reply:
        assert isinstance(reply["result"], dict) and "device_id" in reply["result"], raw.exchange.summary()
        ambiguity(*label("null_params_frame", "as_omitted"))
        return
    assert_error_frame(raw, BAD_PARAMS_CODES)
    ambiguity(*label("null_params_frame", "rejected"))


async def test_1_batch_is_refused_as_one_error_or_served_whole(charger: ChargerClient) -> None:
    """JSON-RPC 2.0 §6 batches are not in the RPC list (ambiguity batch_request): an array gets one error
    object (not a frame), or an array holding one reply per request, each echoing its id."""
    cover(SECTION)
    batch = [FAMILIES["frame"](41, GETTER.name), FAMILIES["frame"](42, "Sw_version.Get")]
    reply = await post_frame(charger, batch, label="batch")
    if isinstance(reply.json, list):
        assert reply.status == 200 and sorted(r.get("id") for r in reply.json if isinstance(r, dict)) == [41, 42] \
            and all("result" in r for r in reply.json), f"a served batch answers each request; {reply.exchange.summary()}"
        ambiguity(*label("batch_request", "served"))
        return
    assert_error_frame(reply, INVALID_REQUEST_CODES)
    ambiguity(*label("batch_request", "rejected"))


# --- errors on POST /rpc ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", UNKNOWN_METHODS)
@pytest.mark.parametrize("family", list(FAMILIES))
async def test_1_unknown_method_is_an_error(charger: ChargerClient, family: str, name: str) -> None:
    cover(SECTION)
    reply = await post_frame(charger, FAMILIES[family](13, name))
    assert_error_frame(reply, UNKNOWN_METHOD_CODES)
    assert reply.json.get("id") == 13, f"error reply does not echo id 13; {reply.exchange.summary()}"


MALFORMED = {
    "truncated JSON": (b'{"id": 21, "src": "hil-framing-probe", "method": "Device_id.Get"', PARSE_ERROR_CODES),
    "not JSON": (b"Device_id.Get", PARSE_ERROR_CODES),
    "empty body": (b"", PARSE_ERROR_CODES),
    "JSON string, not a frame": (b'"Device_id.Get"', INVALID_REQUEST_CODES),
    "JSON number, not a frame": (b"42", INVALID_REQUEST_CODES),
    "frame without method": ({"id": 22, "src": SRC}, INVALID_REQUEST_CODES),
    "method not a string": ({"id": 23, "src": SRC, "method": 42}, BAD_METHOD_NAME_CODES),
    "empty method": ({"id": 24, "src": SRC, "method": ""}, BAD_METHOD_NAME_CODES),
}


@pytest.mark.parametrize("case", list(MALFORMED))
async def test_1_malformed_request_gets_an_error_object(charger: ChargerClient, case: str) -> None:
    cover(SECTION)
    body, accepted = MALFORMED[case]
    assert_error_frame(await post_frame(charger, body, label=case), accepted)


WRONG_PARAMS = {"array": [16], "string": "16", "number": 16, "boolean": True}


@pytest.mark.parametrize("kind", list(WRONG_PARAMS))
async def test_1_params_not_an_object_is_rejected_and_not_executed(charger: ChargerClient, kind: str) -> None:
    cover(SECTION)
    before = await dynamic_current(charger)
    params = WRONG_PARAMS[kind]
    reply = await post_frame(charger, FAMILIES["frame"](25, "Dynamic_current.Set", params=params))
    assert_error_frame(reply, BAD_PARAMS_CODES)
    assert reply.json.get("id") == 25, f"error reply does not echo id 25; {reply.exchange.summary()}"
    after = await dynamic_current(charger)
    assert after == before, f"dynamic current went {before!r} -> {after!r} after {reply.exchange.summary()}"


# --- notifications ----------------------------------------------------------------------------------
async def test_1_notification_is_executed_and_gets_no_reply(charger: ChargerClient, bench: Bench,
                                                            config_value_form: ConfigValueForm) -> None:
    cover(SECTION)
    key = KEYS_BY_NAME["led_max_brightness"]
    current = (await app_config(charger))[key.name]
    form = config_value_form  # the config_value form the charger takes (ambiguity config_value_type)
    target = 55 if current != 55 else 56
    notification = {"src": SRC, "method": "App_config.Set",
                    "params": {"config_key": key.name, "config_value": form(target)}}
    reply = await post_frame(charger, notification, label="notification")
    assert reply.status < 300 and not reply.text.strip(), (
        f"a frame without id is a notification and must get no reply body; {reply.exchange.summary()}")
    # JSON-RPC 2.0 §4.1 (cited by spec chapter 1): notifications are executed, only the reply is omitted.
    await bench.clock.wait_for(lambda: app_config(charger), lambda cfg: cfg.get(key.name) == target,
                               within_s=NOTIFICATION_APPLY_S,
                               what=f"the notified App_config.Set {key.name}={target} to take effect")


# --- method names -----------------------------------------------------------------------------------
CASINGS = {"lower": str.lower, "upper": str.upper, "mixed": str.swapcase}


@pytest.mark.parametrize("style", (RequestStyle.FRAME, RequestStyle.URL_POST), ids=lambda s: s.value)
@pytest.mark.parametrize("casing", list(CASINGS))
async def test_1_method_names_match_case_insensitively(charger: ChargerClient, casing: str,
                                                       style: RequestStyle, style_offered: Any) -> None:
    cover(SECTION)
    style_offered(style)
    name = CASINGS[casing](GETTER.name)
    result = await charger.call(name, style=style)
    assert isinstance(result, dict) and "device_id" in result, (
        f"{name} answered {result!r}; {charger.exchanges[-1].summary()}")


# --- per-method URL styles ----------------------------------------------------------------------------
def bare_error_code(reply: RawReply) -> int:
    """A per-method URL error: the bare error object (no frame around it)."""
    body = reply.json
    assert isinstance(body, dict) and "id" not in body and "error" not in body and "result" not in body, (
        f"expected a bare error object, not a frame; {reply.exchange.summary()}")
    problem = error_object_problem(body)
    assert problem is None, f"{problem}; {reply.exchange.summary()}"
    return body["code"]


@pytest.mark.parametrize("name", UNKNOWN_METHODS)
@pytest.mark.parametrize("style", URL_STYLES, ids=lambda s: s.value)
async def test_1_url_unknown_method_is_http_404(charger: ChargerClient, style: RequestStyle, name: str,
                                                style_offered: Any) -> None:
    cover(SECTION)  # field facts §1: "on error the bare error object with HTTP 500 (404 for an unknown method)"
    style_offered(style)
    reply = await send_in_style(charger, style, name, None)
    assert reply.status == 404, f"unknown method on /rpc/<Method> must be HTTP 404; {reply.exchange.summary()}"
    code = bare_error_code(reply)
    assert code in UNKNOWN_METHOD_CODES, (f"unknown method answered code {code}, none of "
                                          f"{sorted(UNKNOWN_METHOD_CODES)}; {reply.exchange.summary()}")
    ambiguity(*UNKNOWN_METHOD_CODES[code])


@pytest.mark.parametrize("style", URL_STYLES, ids=lambda s: s.value)
async def test_1_url_error_is_http_500_with_the_exact_code(charger: ChargerClient, style: RequestStyle,
                                                           style_offered: Any) -> None:
    cover(SECTION)
    style_offered(style)
    setter = METHODS_BY_NAME["Install_current.Set"]
    param = setter.params[0]
    before = (await app_config(charger))["install_current"]
    reply = await send_in_style(charger, style, setter.name, {param.name: param.maximum + 1})
    assert reply.status == 500, f"an RPC error on /rpc/<Method> must be HTTP 500; {reply.exchange.summary()}"
    code = bare_error_code(reply)
    assert code == RANGE, f"{param.name}={param.maximum + 1} must be code {RANGE}, got {code}; " \
                          f"{reply.exchange.summary()}"
    assert (await app_config(charger))["install_current"] == before, "a rejected call changed install_current"


async def _alias(charger: ChargerClient) -> Any:
    return (await app_config(charger))["charger_alias"]


GET_CASES = {
    # A quoted digit string must stay a string; an unquoted number is a number.
    "quoted digit string": ("App_config.Set", {"config_key": "charger_alias", "config_value": "4321"},
                            _alias, "4321"),
    "quoted text with a space": ("App_config.Set", {"config_key": "charger_alias", "config_value": "HIL bay 2"},
                                 _alias, "HIL bay 2"),
    "unquoted integer": ("Dynamic_current.Set", {"dynamic_current": 13}, dynamic_current, 13),
}


@pytest.mark.parametrize("case", list(GET_CASES))
async def test_1_url_get_takes_json_query_values(charger: ChargerClient, case: str, style_offered: Any) -> None:
    cover(SECTION)
    style_offered(RequestStyle.URL_GET)
    name, params, read, expected = GET_CASES[case]
    result = await charger.call(name, params, style=RequestStyle.URL_GET)
    assert result is True, f"{name} via GET answered {result!r}; {charger.exchanges[-1].summary()}"
    seen = await read(charger)
    assert seen == expected and type(seen) is type(expected), (
        f"GET {name} with {params!r} stored {seen!r}, expected {expected!r}")


# --- garbage never gets a result (property-based) -------------------------------------------------------
_SCALARS = (st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False, allow_infinity=False)
            | st.text(max_size=16))
_JSON = st.recursive(st.none() | _SCALARS,
                     lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=8), kids, max_size=3),
                     max_leaves=8)
NOT_AN_OBJECT = _JSON.filter(lambda v: v is not None and not isinstance(v, dict))
SAFE_METHODS = sorted(m.name for m in METHODS if not m.destructive)


def _not_json(body: bytes) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return True
    return False


NOT_JSON = st.binary(min_size=1, max_size=48).filter(_not_json)
_FUZZ = settings(max_examples=30, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


async def assert_garbage_refused(charger: ChargerClient, body: Any) -> None:
    before = await app_config(charger)
    reply = await post_frame(charger, body, label="garbage")
    assert_error_frame(reply, any_status=True)
    after = await app_config(charger)
    changed = {k: (before.get(k), after.get(k)) for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert not changed, f"garbage changed App_config {changed}; {reply.exchange.summary()}"


@_FUZZ
@given(name=st.sampled_from(SAFE_METHODS), params=NOT_AN_OBJECT)
async def test_1_params_of_any_non_object_type_never_get_a_result(charger: ChargerClient, name: str,
                                                                  params: Any) -> None:
    cover(SECTION)
    await assert_garbage_refused(charger, {"id": 31, "src": SRC, "method": name, "params": params})


@_FUZZ
@given(body=NOT_JSON)
async def test_1_non_json_bytes_never_get_a_result(charger: ChargerClient, body: bytes) -> None:
    cover(SECTION)
    await assert_garbage_refused(charger, body)

