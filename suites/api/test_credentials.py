"""PIN and AP password (6.26 Ap_password.Set, 6.34 Pin.Set, 6.35 Pin.Check).

Pin.Check takes the current PIN and refuses any other; Pin.Set keeps the 4-digit rule (wrong lengths
-3, non-digits per ambiguity pin_invalid_code) and a new PIN replaces the old one for Pin.Check.
Ap_password.Set takes 8 to 63 characters or the empty string (which removes password access) and
refuses 7 and 64.  A missing or non-string PIN/password is covered with every other method's params in
test_method_params.py.  Every test that changes a credential puts the bench's own value back, and no
recorded exchange ever carries a PIN or password in clear.
"""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest

from fixtures.transports import STYLE_TRANSPORT, Transports
from instruments.charger_rpc import ChargerClient, DeviceError, Exchange, RequestStyle
from reports.allure_support import ambiguity, cover
from suites.api.support import label
from reference.spec import KEY_FORMAT, LENGTH, METHODS_BY_NAME, RANGE, Method, Param

pytestmark = [pytest.mark.api, pytest.mark.credentials]

PIN_SET = METHODS_BY_NAME["Pin.Set"]
PIN_CHECK = METHODS_BY_NAME["Pin.Check"]
AP_SET = METHODS_BY_NAME["Ap_password.Set"]


def codes(ambiguity_id: str, reading_of: dict[int, str]) -> dict[int, tuple[str, str]]:
    """Accepted codes of an ambiguity, each with the reading it stands for (code -> reading name)."""
    return {code: label(ambiguity_id, name) for code, name in reading_of.items()}


# pin_invalid_code: -3 length checked first, -5 non-digits checked first, -4 the PIN read as a number.
# A fault of one kind only gets its own code under either order of the checks.
PIN_WRONG_LENGTH = codes("pin_invalid_code", {LENGTH: "length_first_3", RANGE: "range_4"})     # all digits
PIN_NON_DIGITS = codes("pin_invalid_code", {KEY_FORMAT: "digits_first_5", RANGE: "range_4"})   # right length
PIN_BOTH_WRONG = codes("pin_invalid_code", {LENGTH: "length_first_3", KEY_FORMAT: "digits_first_5",
                                            RANGE: "range_4"})                                 # the order decides
AP_WRONG_LENGTH = codes("ap_password_length_code", {LENGTH: "length_3", RANGE: "range_4", KEY_FORMAT: "format_5"})
LENGTH_CODES = {"Pin.Set/pin": PIN_WRONG_LENGTH, "Pin.Check/pin": PIN_WRONG_LENGTH,
                "Ap_password.Set/password": AP_WRONG_LENGTH}
assert all(LENGTH in c for c in LENGTH_CODES.values()), "chapter 3's length code must always be accepted"


def other_pin(pin: str, *avoid: str) -> str:
    """A well-formed 4-digit PIN that is not ``pin`` (nor any of ``avoid``)."""
    return next(c for c in ("4826", "6284", "9051", "1357") if c != pin and c not in avoid)


def text_of_length(param: Param, length: int) -> str:
    """A string of ``length`` characters that breaks no rule of ``param`` but its length."""
    alphabet = "0123456789" if param.pattern and param.pattern.startswith("[0-9]") else "HilPass-x9"
    return (alphabet * (length // len(alphabet) + 1))[:length]


@pytest.fixture
async def restore_pin(charger: ChargerClient, pin: str) -> Any:
    """The bench's PIN, put back after the test whatever happened."""
    try:
        yield pin
    finally:
        await charger.call(PIN_SET.name, {"pin": pin})


@pytest.fixture
async def restore_ap_password(charger: ChargerClient, ap_password: str) -> Any:
    """The bench's AP password ('' = none), put back after the test whatever happened."""
    try:
        yield ap_password
    finally:
        await charger.call(AP_SET.name, {"password": ap_password})


async def pin_check_passes(charger: ChargerClient, pin: str) -> bool:
    """Whether Pin.Check accepts ``pin``: ``true`` yes; an error or ``false`` no (ambiguity pin_check_mismatch)."""
    try:
        result = await charger.call(PIN_CHECK.name, {"pin": pin})
    except DeviceError as error:
        assert error.code in (-7, -1), (f"a wrong PIN must be refused with -7 or -1 (pin_check_mismatch), got "
                                        f"{error.code}; {error.exchange.summary()}")
        ambiguity(*label("pin_check_mismatch", "error_7" if error.code == -7 else "error_1"))
        return False
    assert result in (True, False), f"{PIN_CHECK.label} answered {result!r}; {charger.exchanges[-1].summary()}"
    if result is False:
        ambiguity(*label("pin_check_mismatch", "false"))
    return result


# --- 6.35 Pin.Check ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("style", list(RequestStyle), ids=lambda s: s.value)
async def test_6_35_pin_check_accepts_the_current_pin(charger: ChargerClient, pin: str, style: RequestStyle,
                                                      style_offered: Any) -> None:
    cover(PIN_CHECK)
    style_offered(style)
    result = await charger.call(PIN_CHECK.name, {"pin": pin}, style=style)  # URL_GET sends it quoted
    assert result is True, f"{PIN_CHECK.label} with the current PIN answered {result!r}; " \
                           f"{charger.exchanges[-1].summary()}"


@pytest.mark.parametrize("nth", [0, 1, 2])
async def test_6_35_pin_check_refuses_a_wrong_pin(charger: ChargerClient, pin: str, nth: int) -> None:
    cover(PIN_CHECK)
    wrong = ("4826", "6284", "9051", "1357")
    wrong_pin = [p for p in wrong if p != pin][nth]
    assert not await pin_check_passes(charger, wrong_pin), (
        f"{PIN_CHECK.label} accepted a wrong PIN; {charger.exchanges[-1].summary()}")


# --- string length rules of the secret params (from the table) ----------------------------------------------
def _length_cases() -> list[Any]:
    out = []
    for m in (PIN_SET, PIN_CHECK, AP_SET):
        for p in m.params:
            for length in (p.min_length - 1, p.max_length + 1):
                if length > 0:  # Ap_password.Set's length 0 is documented as valid (clears the password)
                    out.append(pytest.param(m, p, length, id=f"{m.label}-{p.name}-{length} chars"))
    return out


# The bench value each secret param holds, and the setter that puts it back.
SECRET_OF = {"pin": ("pin", PIN_SET), "password": ("ap_password", AP_SET)}


@pytest.mark.parametrize(("method", "param", "length"), _length_cases())
async def test_6_secret_of_wrong_length_is_refused(charger: ChargerClient, request: pytest.FixtureRequest,
                                                   method: Method, param: Param, length: int,
                                                   expect_rpc_error: Any) -> None:
    cover(method)
    fixture, setter = SECRET_OF[param.name]
    original = request.getfixturevalue(fixture)
    try:
        await expect_rpc_error(method.name, {param.name: text_of_length(param, length)},
                               LENGTH_CODES[f"{method.name}/{param.name}"])
    finally:
        if method is setter:  # a charger that wrongly took the value must not keep it
            await charger.call(setter.name, {param.name: original})
    if param.name == "pin":  # the AP password has no getter: only the PIN can be read back
        assert await pin_check_passes(charger, original), "a refused call changed the PIN"


# --- 6.34 Pin.Set -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("bad", "accepted"), [
    pytest.param("12a4", PIN_NON_DIGITS, id="letter"),
    pytest.param("12 4", PIN_NON_DIGITS, id="space"),
    pytest.param("-123", PIN_NON_DIGITS, id="sign"),
    pytest.param("١٢٣٤", PIN_BOTH_WRONG, id="non-ASCII digits"),  # 4 characters, 8 bytes in UTF-8
    pytest.param("12a45", PIN_BOTH_WRONG, id="letter and 5 chars"),
])
async def test_6_34_pin_set_refuses_non_digits(charger: ChargerClient, restore_pin: str, bad: str,
                                               accepted: dict[int, tuple[str, str]], expect_rpc_error: Any) -> None:
    cover(PIN_SET)
    await expect_rpc_error(PIN_SET.name, {"pin": bad}, accepted)
    assert await pin_check_passes(charger, restore_pin), "a refused Pin.Set changed the PIN"


async def test_6_34_new_pin_replaces_the_old_one(charger: ChargerClient, restore_pin: str, temporary_pin: str) -> None:
    cover(PIN_SET)
    new = temporary_pin  # derived from the bench's PIN and the journal's nonce (fixtures/journal.py): a run
    # killed before restore_pin puts the PIN back leaves one the next run can recognise and undo
    result = await charger.call(PIN_SET.name, {"pin": new})
    assert result is True, f"{PIN_SET.label} answered {result!r}; {charger.exchanges[-1].summary()}"
    assert await pin_check_passes(charger, new), "Pin.Check refuses the PIN just set"
    assert not await pin_check_passes(charger, restore_pin), "Pin.Check still accepts the replaced PIN"


# --- 6.26 Ap_password.Set -------------------------------------------------------------------------------------
PASSWORD = AP_SET.params[0]


@pytest.mark.parametrize("length", [PASSWORD.min_length, PASSWORD.max_length, 0], ids=lambda n: f"{n} chars")
async def test_6_26_ap_password_of_valid_length_is_accepted(charger: ChargerClient, restore_ap_password: str,
                                                            length: int) -> None:
    cover(AP_SET)  # 8 to 63 characters; "If length is 0, password access is removed."
    result = await charger.call(AP_SET.name, {"password": text_of_length(PASSWORD, length)})
    assert result is True, f"{AP_SET.label} with {length} characters answered {result!r}; " \
                           f"{charger.exchanges[-1].summary()}"


@pytest.mark.parametrize("characters", [8, 32], ids=lambda n: f"{n} two-byte chars")
async def test_6_26_ap_password_of_non_ascii_characters(charger: ChargerClient, restore_ap_password: str,
                                                        characters: int, expect_rpc_error: Any) -> None:
    """'8 to 63 characters' with two-byte UTF-8 characters: 8 of them (16 bytes) are valid whichever is
    counted; 32 (64 bytes) are valid counted in characters, too long counted in bytes (ambiguity
    ap_password_length_unit)."""
    cover(AP_SET)
    password = "é" * characters
    if len(password.encode()) <= PASSWORD.max_length:
        assert await charger.call(AP_SET.name, {"password": password}) is True, charger.exchanges[-1].summary()
        return
    try:
        result = await charger.call(AP_SET.name, {"password": password})
    except DeviceError as error:
        assert error.code in AP_WRONG_LENGTH, (f"{characters} two-byte characters refused with {error.code}, "
                                               f"none of {sorted(AP_WRONG_LENGTH)}; {error.exchange.summary()}")
        ambiguity(*label("ap_password_length_unit", "utf8_bytes"))
        return
    assert result is True, f"{AP_SET.label} answered {result!r}; {charger.exchanges[-1].summary()}"
    ambiguity(*label("ap_password_length_unit", "characters"))


# --- secrets never in clear -------------------------------------------------------------------------------------
def _without_ids(body: Any) -> Any:
    return {k: v for k, v in body.items() if k != "id"} if isinstance(body, dict) else body


def where_a_secret_could_show(exchange: Exchange) -> str:
    """The URL path and query and both bodies of an exchange; frame ids, the port and timings left out,
    since a short PIN could match their digits by chance."""
    url = urlsplit(exchange.url)
    bodies = json.dumps([_without_ids(exchange.request_body), _without_ids(exchange.reply_body)], ensure_ascii=False)
    return f"{url.path}?{url.query} {bodies} {exchange.error or ''}"


@pytest.fixture
def recorded(charger: ChargerClient) -> Any:
    """Every exchange the client records during the test, as the report's listener receives it."""
    seen: list[Exchange] = []
    charger.listeners.append(seen.append)
    try:
        yield seen
    finally:
        charger.listeners.remove(seen.append)


def offered_styles(transports: Transports) -> list[RequestStyle]:
    """Every request style the charger serves (frames always; the URL styles where offered)."""
    return [s for s in RequestStyle if s not in STYLE_TRANSPORT or transports.has(STYLE_TRANSPORT[s])]


async def test_6_35_recorded_exchanges_never_show_the_pin(charger: ChargerClient, pin: str,
                                                          recorded: list[Exchange], transports: Transports) -> None:
    cover(PIN_CHECK)
    for style in offered_styles(transports):
        await charger.call(PIN_CHECK.name, {"pin": pin}, style=style)
    await pin_check_passes(charger, other_pin(pin))
    leaks = [e.method for e in recorded if pin in where_a_secret_could_show(e)]
    assert recorded and not leaks, f"the PIN appears in clear in {len(leaks)} recorded exchange(s): {leaks}"


async def test_6_26_recorded_exchanges_never_show_the_ap_password(charger: ChargerClient, restore_ap_password: str,
                                                                  recorded: list[Exchange],
                                                                  transports: Transports) -> None:
    cover(AP_SET)
    secret = "HIL-secret-pw-7319"
    for style in offered_styles(transports):
        assert await charger.call(AP_SET.name, {"password": secret}, style=style) is True
    leaks = [e.method for e in recorded if secret in e.to_json() or secret in e.summary()]
    assert recorded and not leaks, f"the AP password appears in clear in {len(leaks)} recorded exchange(s)"
