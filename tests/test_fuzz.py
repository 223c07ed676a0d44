"""The fuzz suite's parts, without a bench: the strategies produce every input class, the heap-trend rule
passes flat and jittering series and fails a leaking one, a replay is well formed and masks secrets, the
budget splits as it says, and the virtual charger's frame parser does what its defects rely on.
"""
from __future__ import annotations

import json
import math
import random
import shlex
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from fixtures.fuzzing import MIN_DROP_BYTES, FuzzBudget, HeapSample, fit
from fixtures.snapshot import Domain
from reports.heap_plot import heap_plot
from simulator.firmware.json_parser import complete_prefix, first_kept, nesting_depth
from simulator.firmware.settings import APP_SETTINGS
from suites.api.fuzz_replay import Credentials, bytes_expression, replay
from suites.api.fuzz_strategies import CLASSES, GETTERS, NO_ID, PAD_MIN, SETTERS, WEIGHTS, Baseline, FuzzInput

SECRET = "4826"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FUZZED = {m.name for m in (*SETTERS, *GETTERS)}


def baseline(native: bool = True) -> Baseline:
    app = {name: setting.default for name, setting in APP_SETTINGS.items()}
    app.update(charger_alias="Garage", connected_phase=0)
    return Baseline(app, 32, [], native=native, secrets=(SECRET,))


def drawn(input_class: Any, native: bool, count: int = 40) -> list[FuzzInput]:
    inputs: list[FuzzInput] = []

    @settings(max_examples=count, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @seed(1)
    @given(input_class.strategy(baseline(native)))
    def collect(case: FuzzInput) -> None:
        inputs.append(case)

    collect()
    return inputs


def _decoded(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def _duplicated(body: bytes) -> bool:
    found = []

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        names = [name for name, _ in pairs]
        found.append(len(names) != len(set(names)))
        return dict(pairs)

    json.loads(body, object_pairs_hook=hook)
    return any(found)


def _is_request_to(body: bytes, methods: set[str]) -> bool:
    frame = _decoded(body)
    return isinstance(frame, dict) and frame.get("method") in methods


def _not_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _malformed(body: bytes) -> bool:
    """Not a well-formed request to a method the suite fuzzes."""
    frame = _decoded(body)
    if not isinstance(frame, dict):
        return True
    method = frame.get("method")
    return (not isinstance(method, str) or method not in FUZZED or
            ("params" in frame and not isinstance(frame["params"], dict)))


# What each class's inputs look like on the wire (a property of every drawn input).
SHAPES: dict[str, Callable[[FuzzInput], bool]] = {
    "wrong_type": lambda i: _is_request_to(i.body, FUZZED) and bool(i.expected.codes),
    "out_of_range": lambda i: _is_request_to(i.body, FUZZED) and bool(i.expected.codes),
    "unknown_key": lambda i: _decoded(i.body)["params"]["config_key"] not in APP_SETTINGS,
    "misspelt_param": lambda i: _is_request_to(i.body, FUZZED) and bool(i.expected.codes),
    "missing_param": lambda i: _is_request_to(i.body, FUZZED) and i.expected.result == "none",
    "extra_params": lambda i: _is_request_to(i.body, FUZZED) and i.expected.result in ("true", "object"),
    "malformed_frame": lambda i: _malformed(i.body),
    "oversized": lambda i: len(i.body) >= PAD_MIN and i.expected.transport_refusal,
    "deep_nesting": lambda i: nesting_depth(i.body.decode()) >= 4,
    "non_utf8": lambda i: _not_utf8(i.body),
    "duplicate_keys": lambda i: _duplicated(i.body) and i.expected.result == "true",
    "huge_ids": lambda i: _decoded(i.body)["id"] == i.sent_id and i.expected.result == "object",
}


def test_every_input_class_has_a_shape_check() -> None:
    assert set(SHAPES) == {c.name for c in CLASSES}


@pytest.mark.parametrize("native", [True, False], ids=["native", "string_only"])
@pytest.mark.parametrize("input_class", CLASSES, ids=lambda c: c.name)
def test_strategy_produces_its_input_class(input_class: Any, native: bool) -> None:
    inputs = drawn(input_class, native)
    assert len(inputs) >= 15, f"{input_class.name}: only {len(inputs)} distinct inputs"
    for case in inputs:
        assert case.kind == input_class.name and isinstance(case.body, bytes) and case.body
        assert case.expected.codes or case.expected.result != "none", f"{case!r} allows no answer at all"
        assert case.domains <= frozenset(Domain)
        assert SHAPES[input_class.name](case), f"{case!r} is not a {input_class.name} input: {case.body[:200]!r}"
        assert SECRET.encode() not in case.body and SECRET not in repr(case), f"{case!r} carries the secret"
        frame = _decoded(case.body)
        if isinstance(frame, dict) and isinstance(frame.get("method"), str):
            assert frame["method"] not in ("Pin.Set", "Pin.Check", "Ap_password.Set", "Device.Reset",
                                           "Factory.Reset", "Ota.Verify", "Charge.Start", "Charge.Stop")


def test_inputs_that_could_change_the_configuration_name_their_domains() -> None:
    """A setter's input is read back: its domain is named (the guard's rule), a getter's needs nothing."""
    for case in drawn(next(c for c in CLASSES if c.name == "out_of_range"), True):
        assert case.domains, f"{case!r} names no domain to read back"
    for case in drawn(next(c for c in CLASSES if c.name == "huge_ids"), True):
        assert not case.domains


# --- the heap-trend rule -------------------------------------------------------------------------------------
def series(heap: Callable[[int], float], requests: int = 650, samples: int = 60) -> list[HeapSample]:
    step = requests / (samples - 1)
    return [HeapSample(round(i * step), int(heap(round(i * step))), 0.0) for i in range(samples)]


def sawtooth(requests_per_device_s: float, phase: float) -> Callable[[int], float]:
    """The virtual charger's jitter: 13 B per device second, modulo 4096."""
    return lambda r: 118_000 + int((phase + r / requests_per_device_s) * 13) % 4096


def test_flat_heap_is_no_leak() -> None:
    assert not fit(series(lambda r: 118_000)).leaking


@pytest.mark.parametrize("phase", [0, 100, 157, 250, 300])
@pytest.mark.parametrize("rate", [1.0, 2.0, 6.0, 20.0])
def test_sawtooth_jitter_of_a_correct_charger_is_no_leak(rate: float, phase: float) -> None:
    """Whatever window of the 4096-byte sawtooth a run sees (wraps included), it is not called a leak."""
    assert not fit(series(sawtooth(rate, phase))).leaking


def test_random_jitter_is_no_leak() -> None:
    rng = random.Random(5)
    for _ in range(50):
        assert not fit(series(lambda r: 118_000 + rng.uniform(-2048, 2048))).leaking


def test_a_leak_of_a_few_dozen_bytes_per_request_fails() -> None:
    rng = random.Random(6)
    trend = fit(series(lambda r: 118_000 - 40 * r + rng.uniform(0, 4096)))
    assert trend.leaking and trend.slope == pytest.approx(-40, abs=3), trend.describe()


def test_a_step_below_the_minimum_drop_is_no_leak() -> None:
    """A steady trend whose fitted drop stays under MIN_DROP_BYTES is not called a leak, however regular."""
    trend = fit(series(lambda r: 118_000 - (MIN_DROP_BYTES * 0.8) * r / 650))
    assert trend.t < -3 and not trend.leaking


def test_too_few_samples_are_no_verdict() -> None:
    assert not fit(series(lambda r: 118_000 - 500 * r, samples=4)).leaking


def test_smallest_leak_caught_is_the_minimum_drop_over_the_span() -> None:
    trend = fit(series(lambda r: 118_000))
    assert trend.smallest_leak() == pytest.approx(MIN_DROP_BYTES / 650)
    assert math.isinf(fit([]).smallest_leak())


def test_heap_plot_renders_a_png() -> None:
    samples = series(lambda r: 118_000 - 30 * r)
    assert heap_plot(samples, fit(samples)).startswith(PNG_MAGIC)


# --- replay ----------------------------------------------------------------------------------------------------
def _python_part(command: str) -> str:
    return command.split(" | curl", 1)[0]


@pytest.mark.parametrize("body", [
    b'{"id":1,"src":"hil-fuzz","method":"Install_current.Set","params":{"install_current":40}}',
    b'{"id":2,"method":"App_config.Set","params":{"config_key":"charger_alias","config_value":"\xffa"}}',
    b'{"id":3,"method":"Dynamic_current.Set","params":{' + b" " * 40_000 + b'"dynamic_current":99}}',
    b"'\"$(rm -rf /)\\n`x`",
], ids=["plain", "not_utf8", "oversized", "shell_quotes"])
def test_replay_sends_exactly_the_body_again(body: bytes) -> None:
    text = replay("POST", "/rpc", body, "http://192.0.2.10")
    lines = text.splitlines()
    assert lines[0].startswith("replay: POST http://192.0.2.10/rpc") and f"({len(body)} bytes" in lines[0]
    expression = lines[1].removeprefix("  body: ")
    assert eval(expression, {"__builtins__": {}}) == body  # noqa: S307 - our own bytes expression
    assert len(text) < 2_000, "an oversized body is written as a run, not byte for byte"
    command = lines[2].strip()
    assert "curl -sS -X POST http://192.0.2.10/rpc" in command and "--data-binary" in command
    if "python3 -c" in command:
        python = shlex.split(_python_part(command))
        assert python[:2] == ["python3", "-c"]
        sent = subprocess.run([sys.executable, "-c", python[2]], capture_output=True, check=True).stdout
        assert sent == body
    else:
        assert shlex.split(command)[-1].encode() == body


def test_replay_masks_secrets() -> None:
    params = {"config_key": "charger_alias", "config_value": f"x{SECRET}y", "pin": SECRET}
    body = json.dumps({"id": 4, "method": "App_config.Set", "params": params}).encode()
    text = replay("POST", "/rpc", body, "http://lab:s3cr3t@192.0.2.10", secrets=(SECRET, "s3cr3t"),
                  credentials=Credentials("digest", "LEKTRICO_USER", "LEKTRICO_PASSWORD"))
    assert SECRET not in text and "s3cr3t" not in text
    assert "***" in text and "secrets masked" in text
    assert '--digest -u "$LEKTRICO_USER:$LEKTRICO_PASSWORD"' in text


def test_replay_of_profile_held_credentials_writes_them_masked() -> None:
    text = replay("POST", "/rpc", b"{}", "http://192.0.2.10", credentials=Credentials("basic"))
    assert '-u "***:***"' in text and "--digest" not in text


def test_bytes_expression_writes_runs_once() -> None:
    body = b"a" + b" " * 100 + b"b"
    assert bytes_expression(body) == "b'a' + b' ' * 100 + b'b'"
    assert eval(bytes_expression(b""), {"__builtins__": {}}) == b""  # noqa: S307


def test_input_repr_shows_no_body() -> None:
    body = b'{"pin":"' + SECRET.encode() + b'"}'
    case = FuzzInput("x", body, None, frozenset(), "a PIN check")  # type: ignore[arg-type]
    assert SECRET not in repr(case) and case.sent_id is NO_ID


# --- the budget ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("total", [1, 7, 300, 10_000])
def test_budget_split_adds_up(total: int) -> None:
    shares = FuzzBudget(total, 0).split(WEIGHTS)
    assert set(shares) == set(WEIGHTS) and all(n >= 1 for n in shares.values())
    assert sum(shares.values()) == max(total, len(WEIGHTS))


def test_seed_per_test_is_stable_and_distinct() -> None:
    budget = FuzzBudget(300, 0)
    assert budget.seed_for("wrong_type") == FuzzBudget(10, 0).seed_for("wrong_type")
    assert budget.seed_for("wrong_type") != budget.seed_for("huge_ids") != FuzzBudget(300, 1).seed_for("huge_ids")


def test_zero_budget_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_tiny="def test_x():\n    pass\n")
    result = pytester.runpytest_subprocess("--charger-url", "http://127.0.0.1:9", "--fuzz-budget", "0",
                                           "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--fuzz-budget must be at least 1 input*"])


# --- the virtual charger's frame parser (what its robustness defects rely on) ----------------------------------
def test_nesting_depth_skips_strings() -> None:
    assert nesting_depth('{"a":"' + "[" * 40 + '"}') == 1
    assert nesting_depth("[" * 30 + "]" * 30) == 30


@given(st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), min_size=2, max_size=5))
@settings(max_examples=50, database=None)
def test_complete_prefix_of_a_cut_frame_is_json_without_the_cut_member(params: dict[str, Any]) -> None:
    text = json.dumps({"method": "X", "params": params})
    last = list(params)[-1]
    cut = text.rindex(json.dumps(last)) + 1
    repaired = json.loads(complete_prefix(text[:cut]))
    assert repaired["params"] == {k: v for k, v in params.items() if k != last}


def test_first_kept_keeps_a_duplicated_names_first_value() -> None:
    params = json.loads('{"a": 1, "b": 2, "a": 3}', object_pairs_hook=first_kept)
    assert params == {"a": 3, "b": 2} and params.first == {"a": 1}
