"""Bad input at volume, from the spec table: each input the exact bytes of one request, with the answers
the spec allows for it.

Every :class:`FuzzInput` carries

* ``body``: the bytes of one ``POST /rpc`` request, exactly as sent (a duplicated name, a nesting no
  encoder writes, bytes that are not UTF-8 survive: bodies are built as text by hand where ``json.dumps``
  could not write them);
* ``expected``: what a correct charger may answer.  The error codes come from chapter 3 and the ambiguity
  table through the very tables the API suites judge with (imported from test_method_params,
  test_framing, test_schedule_api and test_app_config_keys), each code mapped to the reading it shows;
  whether a result may come back instead (an ignored extra param, a duplicated name whose no-op value
  won); for an oversized body, whether a refusal at the transport is allowed;
* ``domains``: the configuration it could change if the charger got it wrong: the domains of the method a
  lenient parser could find in it, all of them when none can be known.

A request that would be valid in any reading is built to change nothing or to show it: a setter's own
params hold the value the charger already has (a no-op: ignoring an extra param, or a duplicated name
resolved either way, leaves the configuration as found), and where a charger could execute a request it
must refuse (a misspelt name, an unknown method, params that are no object, a body it must not parse),
the params hold a valid value *other* than the current one, so a lenient charger's change shows.

Not fuzzed, because a correct charger may take them or their tests must put things back: the credential
methods (a PIN or password a defective charger took could not be restored by the guard, and a wrong PIN
at volume could lock a real unit out: test_credentials.py owns them), methods that reboot, reset, or
start and stop sessions; range bounds themselves (test_method_params and test_app_config_keys set and
restore them), connected_phase 0, led_dimming_delay between 2**31 and 2**32 (its readings), integral
doubles for integer keys, ids past 2**53 (no parser keeps them exactly), batches and null ids or params
(test_framing labels each), over-long free strings (ambiguity free_string_length).  Generated text never
contains one of the bench's secrets, so no input, description or replay carries one.

Two input classes have no entry in the ambiguity table, so the rule is written here: a duplicated name
(RFC 8259 §4: "the behavior ... is unpredictable": either value's answer, or a parse error, is allowed, as
long as the configuration stays as found), and an oversized body (besides the code the unpadded request
gets, a refusal at the transport: HTTP 413 Payload Too Large or the connection closed, the charger still
answering).  A body nested past a small parser's depth, or that is not UTF-8, may get the parse error of
ambiguity framing_error_codes.
"""
from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from hypothesis import strategies as st

from fixtures.snapshot import EVERYTHING, NOTHING, Domain, domains_changed_by
from instruments.charger_rpc.values import ocpp_spelling
from reference.spec import (
    APP_KEYS,
    INT_MAX,
    JSON_FORMAT,
    KEY_FORMAT,
    KEYS_BY_NAME,
    LENGTH,
    METHODS,
    METHODS_BY_NAME,
    RANGE,
    SCHEDULE_INTERVAL_FIELDS,
    UNKNOWN_KEY,
    ConfigKey,
    JsonType,
    Method,
    Param,
)
from suites.api.fuzz_replay import short
from suites.api.support import label
from suites.api.test_app_config_keys import codes_allowed_by, reading_for_code
from suites.api.test_framing import (
    BAD_METHOD_NAME_CODES,
    BAD_PARAMS_CODES,
    INVALID_REQUEST_CODES,
    PARSE_ERROR_CODES,
    UNKNOWN_METHOD_CODES,
)
from suites.api.test_method_params import EXTRA_REFUSED, NULL_AS_MISSING, accepted_codes
from suites.api.test_schedule_api import MISSING_FIELD, OUT_OF_RANGE, WRONG_TYPE

SRC = "hil-fuzz"
INT32_MIN = -(2**31)
UINT32_MAX = 2**32 - 1
JSON_SAFE_INT = 2**53 - 1     # the largest integer every JSON parser keeps exactly (test_framing's large id)
PAD_MIN, PAD_MAX = 16 * 1024, 56 * 1024   # an oversized body: past a small frame buffer, below 64 KiB
DEPTH_MAX = 512   # past any small parser's limit, within a host JSON library's (the client decodes each exchange)
FRAME_SECTION = "1 Commands format"
ERRORS_SECTION = "3 Error codes"

Label = tuple[str, str]
Codes = Mapping[int, "Label | None"]
Members = tuple[tuple[str, str], ...]   # a params object's members: (name, value as JSON text), duplicates kept


class _NoId:
    def __repr__(self) -> str:
        return "<no id>"


NO_ID: Any = _NoId()

APP_SET = METHODS_BY_NAME["App_config.Set"]
INSTALL = METHODS_BY_NAME["Install_current.Set"]
DYNAMIC = METHODS_BY_NAME["Dynamic_current.Set"]
SCHEDULE = METHODS_BY_NAME["Charging_schedule.Set"]
INT_SETTERS = (INSTALL, DYNAMIC)   # one integer param each
SETTERS = (APP_SET, INSTALL, DYNAMIC, SCHEDULE)
"""The setters fuzzed: what each can change is in the guard's domains (the configuration, read back)."""
GETTERS = tuple(m for m in METHODS if m.is_getter and not m.params and not m.deprecated and not m.destructive)
METHOD_NAMES = frozenset(m.name.casefold() for m in METHODS)
KEY_NAMES = frozenset(k.casefold() for k in KEYS_BY_NAME)
INTERVAL_FIELDS = {p.name: p for p in SCHEDULE_INTERVAL_FIELDS}
FREE_STRING_KEYS = tuple(k for k in APP_KEYS if k.type is JsonType.STRING and k.pattern is None
                         and not k.invalid_examples)
INT_KEYS = tuple(k for k in APP_KEYS if k.type is JsonType.INTEGER)
PARSE = PARSE_ERROR = PARSE_ERROR_CODES   # a body the charger cannot (or must not) parse


def _pretty(self: Any, printer: Any, cycle: bool) -> None:
    """IPython's pretty-printing protocol, which hypothesis's report of a failing example follows: the
    one-line repr, not every field (an oversized body is 56 KiB)."""
    printer.text(repr(self))



# --- what a correct charger may answer ---------------------------------------------------------------
@dataclass(frozen=True)
class Expected:
    """The answers allowed: an error with one of ``codes`` (None: the spec's own code, else the reading it
    shows), a result of kind ``result`` ("none": no result allowed, "true": a setter's true, "object": a
    getter's object), and for an oversized body a refusal at the transport."""

    codes: Codes
    rule: str
    result: str = "none"
    result_label: Label | None = None
    transport_refusal: bool = False

    def __repr__(self) -> str:
        return f"<allowed: {self.describe()}>"

    _repr_pretty_ = _pretty

    def also(self, codes: Codes, rule: str) -> Expected:
        """These answers or those; a code two readings share says neither (no label: the answer cannot
        tell which reading the charger took)."""
        merged = dict(codes)
        for code, chosen in self.codes.items():
            merged[code] = chosen if merged.get(code, chosen) == chosen else None
        return replace(self, codes=merged, rule=f"{self.rule}; or {rule}")

    def describe(self) -> str:
        parts = [f"error {', '.join(str(c) for c in sorted(self.codes))}"] if self.codes else []
        if self.result != "none":
            parts.append(f"result {self.result}")
        if self.transport_refusal:
            parts.append("a refusal at the transport (HTTP 413, connection closed)")
        return " or ".join(parts) + f" ({self.rule})"


def only(code: int, rule: str) -> Expected:
    return Expected({code: None}, rule)


# --- one request -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FuzzInput:
    """One bad request: its bytes, what may come back, what it could change, and a one-line description."""

    kind: str
    body: bytes
    expected: Expected
    domains: frozenset[Domain]
    about: str
    sent_id: Any = NO_ID
    http_method: str = "POST"
    path: str = "/rpc"

    def __repr__(self) -> str:  # what hypothesis prints for a falsifying example: no body, no secret
        return f"<{self.kind}: {self.about}; {len(self.body)} bytes>"

    _repr_pretty_ = _pretty


@dataclass(frozen=True)
class Call:
    """A frame before it is encoded: its method, its params as members (None: no params member) or as the
    JSON text of a value that is no object, what may come back, and what it could change."""

    method: str
    members: Members | None
    expected: Expected
    about: str
    domains: frozenset[Domain] | None = None   # None: the method's own (snapshot.CHANGES)
    params_text: str | None = None

    def __repr__(self) -> str:  # what hypothesis prints of a failing example: the one-line description
        return f"<{self.method}: {self.about}>"

    _repr_pretty_ = _pretty

    def params_json(self, pad: str = "") -> str | None:
        if self.params_text is not None:
            return self.params_text
        if self.members is None:
            return None
        texts = [f"{json.dumps(name)}:{value}" for name, value in self.members]
        if not texts:
            return "{" + pad + "}"
        return "{" + ",".join(texts[:-1]) + ("," if len(texts) > 1 else "") + pad + texts[-1] + "}"

    def encoded(self, kind: str, call_id: int, pad: str = "") -> FuzzInput:
        """The frame's bytes (``pad``: JSON whitespace before the params' last member: an oversized body)."""
        text = json.dumps({"id": call_id, "src": SRC, "method": self.method}, separators=(",", ":"))[:-1]
        params = self.params_json(pad)
        body = (text + (f',"params":{params}' if params is not None else "") + "}").encode("utf-8")
        domains = self.domains if self.domains is not None else domains_changed_by((self.method,))
        about = self.about + (f", padded with {len(pad)} bytes of whitespace" if pad else "")
        expected = replace(self.expected, transport_refusal=True) if pad else self.expected
        return FuzzInput(kind, body, expected, domains, about, call_id)


def members(params: Mapping[str, Any]) -> Members:
    return tuple((name, json.dumps(value)) for name, value in params.items())


# --- the charger's configuration as the run found it: what a no-op and a change are ------------------
@dataclass(frozen=True)
class Baseline:
    """The configuration the fuzz test started from (the guard's), the config_value form this charger
    takes (ambiguity config_value_type, learned once per run), and the bench's secrets (kept out of every
    generated text)."""

    app: Mapping[str, Any]
    dynamic_current: Any
    schedule: Any
    native: bool = True
    secrets: tuple[str, ...] = ()
    _strategies: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def __repr__(self) -> str:  # strategies print their arguments: never the secrets, nor every key
        return f"<Baseline: {len(self.app)} keys, native={self.native}, {len(self.secrets)} secrets masked>"

    def cached(self, key: Any, build: Callable[[], Any]) -> Any:
        """A strategy built once per baseline (building one inside every draw is what makes generation slow)."""
        if key not in self._strategies:
            self._strategies[key] = build()
        return self._strategies[key]

    def form(self, value: Any) -> Any:
        """``value`` as this charger's App_config.Set takes it (natively, or spelled 'OCPP style')."""
        return value if self.native else ocpp_spelling(value)

    def clean(self, text: str | bytes) -> bool:
        """No secret of the bench inside ``text``."""
        if isinstance(text, bytes):
            return not any(str.encode(s) in text for s in self.secrets if s)
        return not any(s in text for s in self.secrets if s)

    def noop_keys(self) -> tuple[ConfigKey, ...]:
        """Chapter 4 keys whose value as found can be set back as it is (set, in range, of its type)."""
        keys = []
        for key in APP_KEYS:
            value = self.app.get(key.name)
            if value is None or value == "" or not key.type.accepts(value):
                continue
            if key.minimum is not None and not key.minimum <= value <= key.maximum:
                continue  # connected_phase 0 as a fresh unit holds it: not settable in every reading
            keys.append(key)
        return tuple(keys)


def per_baseline(build: Callable[..., Any]) -> Callable[..., Any]:
    """A strategy builder whose last argument is the baseline, built once per (arguments, baseline):
    building strategies inside every draw (hypothesis digests each lambda's source) is what makes
    generation slow."""
    @functools.wraps(build)
    def cached(*args: Any) -> Any:
        return args[-1].cached((build.__name__, *args[:-1]), lambda: build(*args))
    return cached


def text(baseline: Baseline, **kwargs: Any) -> st.SearchStrategy[str]:
    return baseline.cached(("text", tuple(sorted(kwargs.items()))), lambda: st.text(**kwargs).filter(baseline.clean))


def json_values(baseline: Baseline, max_leaves: int = 6) -> st.SearchStrategy[Any]:
    def build() -> st.SearchStrategy[Any]:
        scalars = (st.none() | st.booleans() | st.integers(INT32_MIN, INT_MAX)
                   | st.floats(allow_nan=False, allow_infinity=False, width=32) | text(baseline, max_size=12))
        return st.recursive(scalars, lambda kids: st.lists(kids, max_size=3)
                            | st.dictionaries(text(baseline, max_size=8), kids, max_size=3), max_leaves=max_leaves)
    return baseline.cached(("json", max_leaves), build)


def containers(baseline: Baseline) -> st.SearchStrategy[Any]:
    """An array or an object: the wrong type for every scalar param and key in every reading."""
    def build() -> st.SearchStrategy[Any]:
        kids = json_values(baseline, max_leaves=3)
        return st.lists(kids, max_size=3) | st.dictionaries(text(baseline, max_size=8), kids, max_size=3)
    return baseline.cached("containers", build)


def _spells_a_value(s: str) -> bool:
    """A string some reading of config_value_type could take for a number or a boolean: any digit, a
    number float() reads ('inf', 'nan'), true/false, 0/1."""
    stripped = s.strip().lower()
    if any(ch.isdigit() for ch in s) or stripped in ("true", "false"):
        return True
    try:
        float(stripped)
    except ValueError:
        return False
    return True


@per_baseline
def words(baseline: Baseline) -> st.SearchStrategy[str]:
    """Strings that spell no number and no boolean (wrong for a non-string key in every reading)."""
    return text(baseline, max_size=12).filter(lambda s: not _spells_a_value(s))


@functools.cache
def fractions() -> st.SearchStrategy[float]:
    """Finite doubles with a fractional part (an integral double is 'one number type' in JSON: not fuzzed)."""
    return st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False).filter(lambda f: f != math.floor(f))


@per_baseline
def wrong_for_key(key: ConfigKey, baseline: Baseline) -> st.SearchStrategy[Any]:
    """config_value of a JSON type the key does not have, in every reading of config_value_type."""
    if key.type is JsonType.BOOL:
        return st.integers(INT32_MIN, INT_MAX) | fractions() | words(baseline) | containers(baseline)
    if key.type is JsonType.INTEGER:
        return st.booleans() | fractions() | words(baseline) | containers(baseline)
    if key.type is JsonType.DOUBLE:
        return st.booleans() | words(baseline) | containers(baseline)
    return st.integers(INT32_MIN, INT_MAX) | fractions() | st.booleans() | containers(baseline)


@per_baseline
def wrong_for_param(param: Param, baseline: Baseline) -> st.SearchStrategy[Any]:
    """A value of another JSON type for a typed param (a string is wrong for an integer param, "16" too)."""
    if param.type is JsonType.INTEGER:
        return st.booleans() | fractions() | text(baseline, max_size=12) | containers(baseline)
    if param.type is JsonType.ARRAY:
        return (st.booleans() | st.integers(INT32_MIN, INT_MAX) | fractions() | text(baseline, max_size=12)
                | st.dictionaries(text(baseline, max_size=8), json_values(baseline, 3), max_size=3))
    return st.booleans() | st.integers(INT32_MIN, INT_MAX) | fractions() | containers(baseline)


@functools.cache
def outside(low: int, high: int, *, lowest: int = INT32_MIN, highest: int = INT_MAX) -> st.SearchStrategy[int]:
    """Integers outside [low, high] within [lowest, highest], the first ones outside each bound favoured."""
    choices: list[st.SearchStrategy[int]] = []
    if low - 1 >= lowest:
        choices += [st.sampled_from(sorted({low - 1, lowest})), st.integers(lowest, low - 1)]
    if high + 1 <= highest:
        choices += [st.sampled_from(sorted({high + 1, highest})), st.integers(high + 1, highest)]
    return st.one_of(choices)


@per_baseline
def other_valid(key: ConfigKey, baseline: Baseline) -> st.SearchStrategy[Any]:
    """A valid value of ``key`` other than the one the charger holds: what shows a lenient charger's change."""
    current = baseline.app.get(key.name)
    if key.type is JsonType.BOOL:
        return st.just(not current if isinstance(current, bool) else not key.default)
    if key.type is JsonType.INTEGER:
        return st.integers(int(key.minimum), int(key.maximum)).filter(lambda v: v != current)
    if key.type is JsonType.DOUBLE:
        return st.sampled_from((12.5, -33.75, 45.5)).filter(lambda v: v != current)
    return st.sampled_from(tuple(v for v in key.valid_examples if v and v != current))


@st.composite
def _valid_interval(draw: st.DrawFn) -> dict[str, int]:
    """One interval valid in every reading of schedule_interval_rules: within one day, ending after it starts."""
    day, start_h = draw(st.integers(1, 7)), draw(st.integers(0, 22))
    return {"start_d": day, "start_h": start_h, "start_m": draw(st.integers(0, 59)), "end_d": day,
            "end_h": draw(st.integers(start_h + 1, 23)), "end_m": draw(st.integers(0, 59)),
            "current": draw(st.sampled_from((0, 6, 16, 32)) | st.integers(6, 32)), "lb_mode": draw(st.integers(1, 3))}


VALID_INTERVAL = _valid_interval()


@per_baseline
def changing_params(method: Method, baseline: Baseline) -> st.SearchStrategy[dict[str, Any]]:
    """Valid params of a setter that would change the configuration (what a lenient charger would apply)."""
    if method is APP_SET:
        return _keyed({key.name: other_valid(key, baseline) for key in APP_KEYS}).map(
            lambda pair: {"config_key": pair[0].name, "config_value": baseline.form(pair[1])})
    if method is SCHEDULE:
        return st.lists(VALID_INTERVAL, min_size=1, max_size=2).filter(
            lambda s: s != baseline.schedule).map(lambda s: {"charging_schedule": s})
    param = method.params[0]
    current = baseline.app.get("install_current") if method is INSTALL else baseline.dynamic_current
    return st.integers(param.minimum, param.maximum).filter(lambda v: v != current).map(lambda v: {param.name: v})


@per_baseline
def noop_params(method: Method, baseline: Baseline) -> st.SearchStrategy[dict[str, Any]] | None:
    """Params of a setter that set what the charger already holds (None: nothing settable as found)."""
    if method is APP_SET:
        keys = baseline.noop_keys()
        return st.sampled_from(keys).map(lambda key: {"config_key": key.name,
                                                      "config_value": baseline.form(baseline.app[key.name])}) \
            if keys else None
    if method is SCHEDULE:
        return st.just({"charging_schedule": baseline.schedule}) if isinstance(baseline.schedule, list) else None
    param = method.params[0]
    current = baseline.app.get("install_current") if method is INSTALL else baseline.dynamic_current
    ok = isinstance(current, int) and not isinstance(current, bool) and param.minimum <= current <= param.maximum
    return st.just({param.name: current}) if ok else None


# --- names: misspellings, unknown methods ----------------------------------------------------------------
@functools.cache
@st.composite
def misspelt(draw: st.DrawFn, name: str, taken: frozenset[str]) -> str:
    """``name`` misspelt (a character dropped, doubled, swapped or replaced, a separator changed, a suffix),
    never one of ``taken`` (case-folded, stripped): a firmware matching names in any case or trimming
    blanks must still not know it."""
    letters = st.sampled_from("abcdefghijklmnopqrstuvwxyz_.")
    i = draw(st.integers(0, len(name) - 1))
    edits: list[Callable[[], str]] = [
        lambda: name[:i] + name[i + 1:],
        lambda: name[:i] + name[i] + name[i:],
        lambda: name[:i] + name[i + 1:i + 2] + name[i:i + 1] + name[i + 2:],
        lambda: name[:i] + draw(letters) + name[i + 1:],
        lambda: name[:i] + draw(letters) + name[i:],
        lambda: name.replace("_", draw(st.sampled_from(("-", " ", "", "__")))),
        lambda: name + draw(st.sampled_from(("s", "_", "1", "x"))),
    ]
    result = draw(st.sampled_from(edits))()
    return result if result and result.strip().casefold() not in taken else name + "_x"


@per_baseline
def unknown_method_names(method: Method, baseline: Baseline) -> st.SearchStrategy[str]:
    """Method names the RPC list lacks: a misspelt one, the other verb of a method that has none, any text."""
    name = method.name
    other_verb = name.rsplit(".", 1)[0] + (".Get" if name.endswith(".Set") else ".Set")
    return (misspelt(name, METHOD_NAMES)
            | st.just(other_verb).filter(lambda n: n.casefold() not in METHOD_NAMES)
            | text(baseline, min_size=1, max_size=24).filter(lambda n: n.strip().casefold() not in METHOD_NAMES))


@st.composite
def _keyed(draw: st.DrawFn, by_key: Mapping[str, st.SearchStrategy[Any]]) -> tuple[ConfigKey, Any]:
    key = draw(st.sampled_from(APP_KEYS))
    return key, draw(by_key[key.name])


@per_baseline
def misspelt_keys(baseline: Baseline) -> st.SearchStrategy[tuple[ConfigKey, str]]:
    """(a chapter 4 key, a name chapter 4 and 5 lack made from it)."""
    unknown = text(baseline, max_size=20).filter(lambda n: n.strip().casefold() not in KEY_NAMES)
    return _keyed({key.name: misspelt(key.name, KEY_NAMES) | unknown for key in APP_KEYS})


# --- the input classes -------------------------------------------------------------------------------------
def _type_codes(method: Method, param: Param, value: Any) -> Codes:
    codes = dict(accepted_codes(method, param, "type", KEY_FORMAT))
    if value is None:
        codes[JSON_FORMAT] = NULL_AS_MISSING
    return codes


def _app_set(key_name: str, value_json: str) -> Members:
    return (("config_key", json.dumps(key_name)), ("config_value", value_json))


@per_baseline
@st.composite
def wrong_type_calls(draw: st.DrawFn, baseline: Baseline) -> Call:
    """A param, a config_value or an interval field of a JSON type it does not have: -5 (a null also -2,
    read as a missing param: ambiguity null_param_code; a schedule's codes: schedule_validation_codes)."""
    target = draw(st.sampled_from(("int_param", "schedule", "interval", "config_key", "config_value")))
    if target == "int_param":
        method = draw(st.sampled_from(INT_SETTERS))
        param = method.params[0]
        value = draw(wrong_for_param(param, baseline) | st.none())
        return Call(method.name, members({param.name: value}),
                    Expected(_type_codes(method, param, value), "wrong JSON type (chapter 3 -5)"),
                    f"{method.name} {param.name}={short(value)}")
    if target == "schedule":
        param = SCHEDULE.params[0]
        value = draw(wrong_for_param(param, baseline) | st.none())
        return Call(SCHEDULE.name, members({param.name: value}),
                    Expected(_type_codes(SCHEDULE, param, value), "a schedule that is no array"),
                    f"{SCHEDULE.name} charging_schedule={short(value)}")
    if target == "interval":
        interval, name = draw(VALID_INTERVAL), draw(st.sampled_from(sorted(INTERVAL_FIELDS)))
        value = draw(wrong_for_param(INTERVAL_FIELDS[name], baseline) | st.none())
        codes = {**(MISSING_FIELD if value is None else {}), **WRONG_TYPE}
        return Call(SCHEDULE.name, members({"charging_schedule": [{**interval, name: value}]}),
                    Expected(codes, "an interval field of the wrong type (schedule_validation_codes)"),
                    f"{SCHEDULE.name} interval {name}={short(value)}")
    if target == "config_key":
        param = APP_SET.params[0]
        value = draw(st.integers(INT32_MIN, INT_MAX) | st.booleans() | fractions() | containers(baseline) | st.none())
        key = draw(st.sampled_from(APP_KEYS))
        value_json = json.dumps(baseline.form(draw(other_valid(key, baseline))))
        return Call(APP_SET.name, (("config_key", json.dumps(value)), ("config_value", value_json)),
                    Expected(_type_codes(APP_SET, param, value), "config_key is no string"),
                    f"App_config.Set config_key={short(value)}")
    key = draw(st.sampled_from(APP_KEYS))
    value = draw(wrong_for_key(key, baseline) | (st.none() if key.type is not JsonType.STRING else st.nothing()))
    codes: dict[int, Label | None] = {KEY_FORMAT: None}
    if value is None:
        codes[JSON_FORMAT] = NULL_AS_MISSING
    return Call(APP_SET.name, _app_set(key.name, json.dumps(value)),
                Expected(codes, f"config_value of another JSON type than {key.name}'s {key.type.value}"),
                f"App_config.Set {key.name}={short(value)}")


@per_baseline
@st.composite
def out_of_range_calls(draw: st.DrawFn, baseline: Baseline) -> Call:
    """An integer outside its range (within the device's 32-bit int, or past 2**32 for an INT_MAX key):
    -4 (past 2**32: ambiguity int_max_overflow_code); an interval field out of range, a current of 1-5 A,
    more intervals than any reading stores (17+: -3)."""
    target = draw(st.sampled_from(("int_param", "key", "interval", "intervals")))
    if target == "int_param":
        method = draw(st.sampled_from(INT_SETTERS))
        param = method.params[0]
        value = draw(outside(param.minimum, param.maximum))
        return Call(method.name, members({param.name: value}), only(RANGE, "out of range (chapter 3 -4)"),
                    f"{method.name} {param.name}={value}")
    if target == "key":
        key = draw(st.sampled_from(INT_KEYS))
        low, high = int(key.minimum), int(key.maximum)
        if high == INT_MAX and draw(st.booleans()):
            value = draw(st.integers(UINT32_MAX + 1, 2**63))  # past any 32-bit store (led_dimming_delay_int_max)
            allowed = codes_allowed_by("int_max_overflow_code")
            expected = Expected({code: ("int_max_overflow_code", reading_for_code("int_max_overflow_code", code))
                                 for code in allowed}, "past the device's integer (int_max_overflow_code)")
        else:
            value = draw(outside(low, high, highest=INT_MAX if high < INT_MAX else high).filter(
                lambda v: not (key.default is not None and v == key.default)))  # connected_phase 0: its readings
            expected = only(RANGE, "out of range (chapter 3 -4)")
        return Call(APP_SET.name, _app_set(key.name, json.dumps(baseline.form(value))), expected,
                    f"App_config.Set {key.name}={value}")
    if target == "interval":
        interval, name = draw(VALID_INTERVAL), draw(st.sampled_from(sorted(INTERVAL_FIELDS)))
        field_ = INTERVAL_FIELDS[name]
        bad = draw(st.integers(1, 5)) if name == "current" and draw(st.booleans()) else draw(
            outside(field_.minimum, field_.maximum))
        return Call(SCHEDULE.name, members({"charging_schedule": [{**interval, name: bad}]}),
                    Expected(dict(OUT_OF_RANGE), "an interval field out of range (schedule_validation_codes)"),
                    f"{SCHEDULE.name} interval {name}={bad}")
    count = draw(st.integers(17, 28))
    intervals = [{"start_d": 1 + i // 4, "start_h": (i % 4) * 6, "start_m": 0, "end_d": 1 + i // 4,
                  "end_h": (i % 4) * 6 + 5, "end_m": 0, "current": 6 + i, "lb_mode": 1 + i % 3} for i in range(count)]
    return Call(SCHEDULE.name, members({"charging_schedule": intervals}),
                only(LENGTH, "more intervals than any reading stores (schedule_interval_rules: -3)"),
                f"{SCHEDULE.name} with {count} disjoint intervals")


@per_baseline
@st.composite
def unknown_key_calls(draw: st.DrawFn, baseline: Baseline) -> Call:
    """App_config.Set of a key chapter 4 lacks (a misspelt key, any text), with a value valid for the key
    it was made from and other than its current one: -6."""
    key, name = draw(misspelt_keys(baseline))
    value = baseline.form(draw(other_valid(key, baseline)))
    return Call(APP_SET.name, _app_set(name, json.dumps(value)), only(UNKNOWN_KEY, "unknown key (chapter 3 -6)"),
                f"App_config.Set {short(name)}={short(value)} (from {key.name})")


def _missing_codes(method: Method, param: Param) -> Codes:
    return accepted_codes(method, param, "missing", JSON_FORMAT)


@per_baseline
@st.composite
def misspelt_param_calls(draw: st.DrawFn, baseline: Baseline) -> Call:
    """A setter whose required param is misspelt (the value valid and a change): the param is missing (-2,
    or -1: missing_param_code), or the extra name is refused (-6/-2: extra_params)."""
    method = draw(st.sampled_from(SETTERS))
    params = draw(changing_params(method, baseline))
    param = draw(st.sampled_from(method.params))
    wrong = draw(misspelt(param.name, frozenset(p.name.casefold() for p in method.params)))
    sent = {(wrong if name == param.name else name): value for name, value in params.items()}
    expected = Expected(_missing_codes(method, param), "a missing param (missing_param_code)").also(
        EXTRA_REFUSED, "an undocumented param refused (extra_params)")
    return Call(method.name, members(sent), expected, f"{method.name} {short(sent, 80)}")


@per_baseline
@st.composite
def missing_param_calls(draw: st.DrawFn, baseline: Baseline) -> Call:
    """A setter without a required param (or with no params at all): -2, or -1 (missing_param_code)."""
    form = draw(st.sampled_from(("no config_value", "no config_value", "no config_key", "empty params",
                                 "no params member")))
    if form in ("no config_value", "no config_key"):
        key = draw(st.sampled_from(APP_KEYS))  # every key: a boolean one must not read a missing value as false
        dropped = APP_SET.params[0 if form == "no config_key" else 1]
        params = {"config_key": key.name, "config_value": baseline.form(draw(other_valid(key, baseline)))}
        params.pop(dropped.name)
        return Call(APP_SET.name, members(params), Expected(_missing_codes(APP_SET, dropped), "a missing param"),
                    f"App_config.Set {short(params)}")
    method = draw(st.sampled_from(SETTERS))
    return Call(method.name, () if form == "empty params" else None,
                Expected(_missing_codes(method, method.params[0]), "missing params (missing_param_code)"),
                f"{method.name} with {form}")


def _extra_names(method: Method, baseline: Baseline) -> st.SearchStrategy[str]:
    """Names a method does not document: real keys' and other methods' param names, and identifiers."""
    def build() -> st.SearchStrategy[str]:
        own = frozenset(p.name for p in method.params)
        known = sorted({*KEYS_BY_NAME, *(p.name for m in SETTERS for p in m.params), "tag", "id", "method",
                        "params"} - own)
        keys = sorted(k.name for k in APP_KEYS if k.name not in own)  # names a bulk setter would apply
        return (st.sampled_from(keys) | st.sampled_from(known) | st.from_regex(r"\A[a-z][a-z0-9_]{0,15}\Z")).filter(
            lambda n: n not in own and baseline.clean(n))
    return baseline.cached(("extra names", method.name), build)


@per_baseline
@st.composite
def extra_param_calls(draw: st.DrawFn, baseline: Baseline) -> Call:
    """A no-op setter call or a getter with undocumented params next to its own (names of real keys and
    params among them, with values valid for them): executed as if they were absent, or refused with
    -6/-2 (ambiguity extra_params); either way the configuration stays as found."""
    usable = [m for m in SETTERS if noop_params(m, baseline) is not None]
    # App_config.Set twice as often as another setter or a getter: its extra param may name another key
    target = draw(st.sampled_from(("App_config.Set", "App_config.Set", "setter", "getter")))
    if usable and target != "getter":
        method = APP_SET if target == "App_config.Set" and APP_SET in usable else draw(st.sampled_from(usable))
        params = dict(draw(noop_params(method, baseline)))  # type: ignore[arg-type]
        result = "true"
    else:
        method, params, result = draw(st.sampled_from(GETTERS)), {}, "object"
    extras = draw(st.dictionaries(_extra_names(method, baseline), st.none(), min_size=1, max_size=3))
    for name in extras:
        key = KEYS_BY_NAME.get(name)
        if key is not None and key in APP_KEYS and draw(st.integers(0, 2)):  # mostly a valid other value
            extras[name] = baseline.form(draw(other_valid(key, baseline)))
        else:
            extras[name] = draw(json_values(baseline, 2))
    sent = {**params, **extras}
    expected = Expected(dict(EXTRA_REFUSED), "undocumented params refused (extra_params)", result,
                        label("extra_params", "ignored"))
    return Call(method.name, members(sent), expected, f"{method.name} {short(sent, 100)}")


@per_baseline
@st.composite
def malformed_frames(draw: st.DrawFn, baseline: Baseline) -> FuzzInput:
    """A frame that is not a request: no method, a method that is no non-empty string, a method the RPC list
    lacks (with params that would change something), params that are no object, a truncated frame, bytes
    that are not JSON, a JSON value that is no object.  Codes: framing_error_codes, unknown_method_code,
    method_name_invalid."""
    kind = "malformed_frame"
    call_id = draw(st.integers(1, 99_999))
    form = draw(st.sampled_from(("no method", "method not a string", "empty method", "unknown method",
                                 "params not an object", "truncated", "not JSON", "not an object")))
    if form in ("unknown method", "params not an object", "truncated"):
        method = draw(st.sampled_from(SETTERS))
        params = draw(changing_params(method, baseline))
        if form == "unknown method":
            name = draw(unknown_method_names(method, baseline))
            call = Call(name, members(params), Expected(dict(UNKNOWN_METHOD_CODES), "unknown_method_code"),
                        f"method {short(name)} with {short(params)}", domains=domains_changed_by((method.name,)))
            return call.encoded(kind, call_id)
        if form == "params not an object":
            values = list(params.values())
            value = draw(st.sampled_from((values, values[0], json.dumps(params), True)))
            call = Call(method.name, None,
                        Expected(dict(BAD_PARAMS_CODES), "params not an object (framing_error_codes)"),
                        f"{method.name} params={short(value)}", params_text=json.dumps(value))
            return call.encoded(kind, call_id)
        whole = Call(method.name, members(params), Expected({}, ""), "").encoded(kind, call_id).body
        cut = draw(st.integers(1, len(whole) - 1))
        return FuzzInput(kind, whole[:cut], Expected(dict(PARSE_ERROR), "truncated JSON (framing_error_codes)"),
                         domains_changed_by((method.name,)), f"{method.name} frame cut at byte {cut} of {len(whole)}")
    if form == "not JSON":
        body = draw(st.binary(min_size=1, max_size=48).filter(lambda b: _not_json(b) and baseline.clean(b)))
        return FuzzInput(kind, body, Expected(dict(PARSE_ERROR), "not JSON (framing_error_codes)"), EVERYTHING,
                         f"{len(body)} bytes that are not JSON")
    if form == "not an object":
        value = draw(st.none() | st.booleans() | st.integers() | text(baseline, max_size=24))
        return FuzzInput(kind, json.dumps(value).encode(), Expected(dict(INVALID_REQUEST_CODES),
                                                                    "a JSON value that is no frame"),
                         EVERYTHING, f"the JSON value {short(value)}")
    frame: dict[str, Any] = {"id": call_id, "src": SRC}
    if form == "method not a string":
        frame["method"] = draw(st.integers() | st.booleans() | fractions() | st.none() | containers(baseline))
        codes, rule = BAD_METHOD_NAME_CODES, "method_name_invalid"
    elif form == "empty method":
        frame["method"], codes, rule = "", BAD_METHOD_NAME_CODES, "method_name_invalid"
    else:
        codes, rule = INVALID_REQUEST_CODES, "a frame without method (framing_error_codes)"
    frame["params"] = draw(changing_params(draw(st.sampled_from(SETTERS)), baseline))
    return FuzzInput(kind, json.dumps(frame, separators=(",", ":")).encode(), Expected(dict(codes), rule),
                     EVERYTHING, f"{form}: {short(frame.get('method', '<none>'))}", call_id)


def _not_json(body: bytes) -> bool:
    try:
        json.loads(body)
    except (ValueError, RecursionError):
        return True
    return False


PADDABLE = ("wrong_type", "out_of_range", "unknown_key", "missing_param")


@per_baseline
@st.composite
def oversized_inputs(draw: st.DrawFn, baseline: Baseline) -> FuzzInput:
    """A request of another class padded with 16-56 KiB of JSON whitespace before the last member of its
    params: the same answer as unpadded, or a refusal at the transport; never the answer to a prefix."""
    base = draw(st.sampled_from(PADDABLE))
    call = draw(CALLS[base](baseline).filter(lambda c: c.members is not None))
    unit = draw(st.sampled_from((" ", "\n", "\t", "\r\n", " \t")))
    size = draw(st.integers(PAD_MIN, PAD_MAX))
    pad = (unit * (size // len(unit) + 1))[:size]
    return call.encoded("oversized", draw(st.integers(1, 99_999)), pad=pad)


def _nested(depth: int, leaf: str, shape: str) -> str:
    if shape == "array":
        return "[" * depth + leaf + "]" * depth
    return '{"a":' * depth + leaf + "}" * depth


@per_baseline
@st.composite
def deep_nesting_calls(draw: st.DrawFn, baseline: Baseline) -> Call:
    """A value nested 2-512 deep where no structure belongs (an integer param, a config_value, a schedule,
    an extra param of a getter): the code the value gets, or a parse error from a charger whose parser
    stops at some depth (framing_error_codes)."""
    depth = draw(st.sampled_from((2, 20, 21, 32, 64, 65, 256, DEPTH_MAX)) | st.integers(2, DEPTH_MAX))
    shape = draw(st.sampled_from(("array", "object")))
    parse = "a parser's depth limit (framing_error_codes)"
    target = draw(st.sampled_from(("int_param", "config_value", "schedule", "getter")))
    if target == "int_param":
        method = draw(st.sampled_from(INT_SETTERS))
        nested = _nested(depth, "16", shape)
        expected = Expected(_type_codes(method, method.params[0], []), "a structure for an integer").also(PARSE, parse)
        return Call(method.name, ((method.params[0].name, nested),), expected,
                    f"{method.name} {method.params[0].name} nested {depth} deep ({shape}s)")
    if target == "config_value":
        key = draw(st.sampled_from(APP_KEYS))
        nested = _nested(depth, json.dumps(baseline.form(draw(other_valid(key, baseline)))), shape)
        return Call(APP_SET.name, (("config_key", json.dumps(key.name)), ("config_value", nested)),
                    only(KEY_FORMAT, "a structure for a scalar key").also(PARSE, parse),
                    f"App_config.Set {key.name} nested {depth} deep ({shape}s)")
    if target == "schedule":
        nested = _nested(depth, json.dumps(draw(VALID_INTERVAL)), "array")
        return Call(SCHEDULE.name, (("charging_schedule", nested),),
                    Expected(dict(WRONG_TYPE), "intervals that are no objects (schedule_validation_codes)").also(
                        PARSE, parse), f"{SCHEDULE.name} nested {depth} deep")
    getter = draw(st.sampled_from(GETTERS))
    expected = Expected(dict(EXTRA_REFUSED), "an undocumented param refused (extra_params)", "object",
                        label("extra_params", "ignored")).also(PARSE, parse)
    return Call(getter.name, (("hil_nested", _nested(depth, "1", shape)),), expected,
                f"{getter.name} with an extra param nested {depth} deep ({shape}s)")


INVALID_UTF8 = (b"\xff", b"\xfe", b"\x80", b"\xbf", b"\xc0\xaf", b"\xc3", b"\xe9", b"\xe2\x82", b"\xed\xa0\x80",
                b"\xf5\x80\x80\x80", b"\xf0\x9f\x98")
"""Classic ill-formed UTF-8: stray bytes, a lone continuation, an overlong '/', cut sequences, a Latin-1 é,
an encoded surrogate, a code point past U+10FFFF."""


def _ill_formed(chunk: bytes) -> bool:
    try:
        chunk.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


@per_baseline
@st.composite
def non_utf8_inputs(draw: st.DrawFn, baseline: Baseline) -> FuzzInput:
    """A frame that would be valid but for bytes that are not UTF-8 inside a string (a free string's value,
    a key, a param name): not JSON (RFC 8259 §8.1: JSON text exchanged between systems is UTF-8), so a
    parse error (framing_error_codes), and nothing stored: a charger decoding leniently would store the
    value with U+FFFD in it."""
    chunk = draw(st.sampled_from(INVALID_UTF8) | st.lists(st.integers(0x80, 0xFF), min_size=1, max_size=4).map(
        bytes).filter(_ill_formed))
    where = draw(st.sampled_from(("value", "key", "param")))
    call_id = draw(st.integers(1, 99_999))
    if where == "param":
        method = draw(st.sampled_from(INT_SETTERS))
        param = method.params[0]
        value = draw(changing_params(method, baseline))[param.name]
        cut = draw(st.integers(1, len(param.name) - 1))
        name = param.name[:cut].encode() + chunk + param.name[cut:].encode()
        params = b"{" + b'"' + name + b'":' + json.dumps(value).encode() + b"}"
        about = f"{method.name} {param.name} with bytes {chunk!r} in its name"
    else:
        key = draw(st.sampled_from(FREE_STRING_KEYS))
        method = APP_SET
        alias = draw(text(baseline, alphabet="abcdefghijklmnopqrstuvwxyz -", min_size=2, max_size=12))
        cut = draw(st.integers(0, len(alias)))
        value = alias[:cut].encode() + chunk + alias[cut:].encode()
        if where == "value":
            params = b'{"config_key":' + json.dumps(key.name).encode() + b',"config_value":"' + value + b'"}'
            about = f"App_config.Set {key.name} with bytes {chunk!r} in its value"
        else:
            cut = draw(st.integers(1, len(key.name) - 1))
            name = key.name[:cut].encode() + chunk + key.name[cut:].encode()
            params = (b'{"config_key":"' + name + b'","config_value":' + json.dumps(alias).encode() + b"}")
            about = f"App_config.Set with bytes {chunk!r} in the key {key.name}"
    head = json.dumps({"id": call_id, "src": SRC, "method": method.name}, separators=(",", ":"))[:-1].encode()
    return FuzzInput("non_utf8", head + b',"params":' + params + b"}",
                     Expected(dict(PARSE_ERROR), "not UTF-8, so not JSON (framing_error_codes)"),
                     domains_changed_by((method.name,)), about, call_id)


@per_baseline
@st.composite
def duplicate_key_calls(draw: st.DrawFn, baseline: Baseline) -> Call:
    """A no-op setter call whose param (or App_config.Set's config_key) appears twice, once with a bad value,
    in either order (RFC 8259 §4: the behaviour is unpredictable, so either value's answer or a parse error
    is allowed); the configuration must stay as found: what is checked is what is stored."""
    usable = [m for m in SETTERS if m is not SCHEDULE and noop_params(m, baseline) is not None]
    method = draw(st.sampled_from(usable))
    params = draw(noop_params(method, baseline))  # type: ignore[arg-type]
    if method is APP_SET:
        key = KEYS_BY_NAME[params["config_key"]]
        if draw(st.booleans()):
            name, bad_members = "config_key", '"hil_no_such_key"'
            bad = only(UNKNOWN_KEY, "the unknown key's -6")
        else:
            name = "config_value"
            if key.type is JsonType.INTEGER and draw(st.booleans()):
                bad_value = baseline.form(draw(outside(int(key.minimum), int(key.maximum),
                                                       highest=int(key.maximum) if key.maximum == INT_MAX else INT_MAX)
                                               .filter(lambda v: v != key.default)))
                bad = only(RANGE, "the bad value's -4")
            else:
                bad_value = draw(wrong_for_key(key, baseline))
                bad = only(KEY_FORMAT, "the bad value's -5")
            bad_members = json.dumps(bad_value)
    else:
        param = method.params[0]
        name = param.name
        if draw(st.booleans()):
            bad_value = draw(outside(param.minimum, param.maximum))
            bad = only(RANGE, "the bad value's -4")
        else:
            bad_value = draw(wrong_for_param(param, baseline))
            bad = Expected(_type_codes(method, param, bad_value), "the bad value's -5")
        bad_members = json.dumps(bad_value)
    good = json.dumps(params[name])
    pair = [(name, bad_members), (name, good)]
    if draw(st.booleans()):
        pair.reverse()
    rest = [(n, json.dumps(v)) for n, v in params.items() if n != name]
    sent = tuple(rest + pair) if name == "config_value" else tuple(pair + rest)
    expected = replace(bad.also(PARSE, "a parser refusing duplicate names"), result="true",
                       rule=bad.rule + "; or true (the no-op value won); or a parse error (RFC 8259 §4)")
    order = "bad first" if pair[0][1] == bad_members else "no-op first"
    return Call(method.name, sent, expected, f"{method.name} {name} twice ({order}: {short(bad_members, 40)})")


@per_baseline
@st.composite
def huge_id_inputs(draw: st.DrawFn, baseline: Baseline) -> FuzzInput:
    """A getter frame whose id is an integer up to ±(2**53-1) or a string of up to 300 characters, in both
    frame families: answered with the id echoed exactly, of the same JSON type (JSON-RPC 2.0 §5)."""
    kind = draw(st.sampled_from(("edge", "integer", "string", "long string", "long string", "digits")))
    call_id = draw({"edge": st.sampled_from((0, -1, 2**31 - 1, 2**31, -(2**31) - 1, 2**32, 2**32 + 1, JSON_SAFE_INT,
                                             -JSON_SAFE_INT)),
                    "integer": st.integers(-JSON_SAFE_INT, JSON_SAFE_INT),
                    "string": text(baseline, max_size=32),
                    "long string": text(baseline, min_size=33, max_size=300),   # past a small id buffer
                    "digits": st.integers(0, 10**15).map(str)}[kind])
    family = draw(st.sampled_from(("frame", "jsonrpc")))
    getter = draw(st.sampled_from(GETTERS))
    head = {"jsonrpc": "2.0", "id": call_id} if family == "jsonrpc" else {"id": call_id, "src": SRC}
    body = json.dumps({**head, "method": getter.name}, separators=(",", ":")).encode()
    return FuzzInput("huge_ids", body, Expected({}, "a getter answers", "object"), NOTHING,
                     f"{getter.name} ({family}) with id {short(call_id)}", call_id)


# --- the table the suite runs ----------------------------------------------------------------------------
CALLS: dict[str, Callable[[Baseline], st.SearchStrategy[Call]]] = {
    "wrong_type": wrong_type_calls,
    "out_of_range": out_of_range_calls,
    "unknown_key": unknown_key_calls,
    "misspelt_param": misspelt_param_calls,
    "missing_param": missing_param_calls,
    "extra_params": extra_param_calls,
    "deep_nesting": deep_nesting_calls,
    "duplicate_keys": duplicate_key_calls,
}


def _encoded(name: str) -> Callable[[Baseline], st.SearchStrategy[FuzzInput]]:
    def build(baseline: Baseline) -> st.SearchStrategy[FuzzInput]:
        return st.tuples(CALLS[name](baseline), st.integers(1, 99_999)).map(
            lambda pair: pair[0].encoded(name, pair[1]))
    return build


@dataclass(frozen=True)
class InputClass:
    """One kind of bad input: its share of the budget (weight), the spec section it covers, and its
    strategy built from the run's :class:`Baseline`."""

    name: str
    weight: int
    section: str
    build: Callable[[Baseline], st.SearchStrategy[FuzzInput]] = field(compare=False)

    def __repr__(self) -> str:  # the report's parameter value
        return self.name

    @property
    def doc(self) -> str:
        source = CALLS.get(self.name) or self.build
        return (source.__doc__ or "").strip()

    def strategy(self, baseline: Baseline) -> st.SearchStrategy[FuzzInput]:
        """The class's inputs, none of which carries a secret of the bench anywhere (a number's digits
        included: a 4-digit PIN is in many an id)."""
        return self.build(baseline).filter(lambda case: baseline.clean(case.body) and baseline.clean(case.about))


CLASSES: tuple[InputClass, ...] = (
    InputClass("wrong_type", 3, ERRORS_SECTION, _encoded("wrong_type")),
    InputClass("out_of_range", 3, ERRORS_SECTION, _encoded("out_of_range")),
    InputClass("unknown_key", 2, ERRORS_SECTION, _encoded("unknown_key")),
    InputClass("misspelt_param", 1, ERRORS_SECTION, _encoded("misspelt_param")),
    InputClass("missing_param", 2, ERRORS_SECTION, _encoded("missing_param")),
    InputClass("extra_params", 2, ERRORS_SECTION, _encoded("extra_params")),
    InputClass("malformed_frame", 2, FRAME_SECTION, malformed_frames),
    InputClass("oversized", 1, FRAME_SECTION, oversized_inputs),
    InputClass("deep_nesting", 1, FRAME_SECTION, _encoded("deep_nesting")),
    InputClass("non_utf8", 1, FRAME_SECTION, non_utf8_inputs),
    InputClass("duplicate_keys", 2, FRAME_SECTION, _encoded("duplicate_keys")),
    InputClass("huge_ids", 2, FRAME_SECTION, huge_id_inputs),
)
CLASSES_BY_NAME = {c.name: c for c in CLASSES}
WEIGHTS = {c.name: c.weight for c in CLASSES}


def framing_codes() -> frozenset[int]:
    """Codes with which a charger says it could not read the frame (so it may not echo the id: JSON-RPC 2.0
    §5 'If there was an error in detecting the id ... it MUST be Null')."""
    return frozenset(PARSE_ERROR) | frozenset(INVALID_REQUEST_CODES)
