"""Unit tests of the generic SCPI command-tree matcher the instrument twins share.

The twin must accept exactly what the instrument accepts (short or long form, any case, optional
leading colon, numeric suffixes, ``;`` chains with relative paths) and reject the rest with the
standard error codes, or a driver could pass against the twin and fail on the bench.
"""
from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.twins.scpi_parser import (
    Call,
    CommandTree,
    ErrorQueue,
    ScpiError,
    expect_params,
    format_nr3,
    mnemonic_matches,
    parse_bool,
    parse_choice,
    parse_number,
    short_form,
)


class Recorder:
    """A command tree whose handlers record every call and answer queries with their pattern."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.errors = ErrorQueue()
        self.tree = CommandTree()
        for pattern in (":NUMeric:NORMal:VALue", ":NUMeric:NORMal:ITEM<x>", "[:SAMPle]:RATE",
                        ":INTEGrate:MODE", ":INTEGrate:TIMer", "*IDN", "*CLS"):
            self.tree.add(pattern, on_set=self.record, on_query=self.answer)
        self.tree.add(":INTEGrate:STARt", on_set=self.record)

    def record(self, call: Call) -> None:
        self.calls.append(call)

    def answer(self, call: Call) -> str:
        self.calls.append(call)
        return call.pattern

    def run(self, line: str) -> str | None:
        return self.tree.dispatch(line, self.errors)


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


@pytest.mark.parametrize("line", [":NUM:NORM:VAL?", ":NUMERIC:NORMAL:VALUE?", ":numeric:normal:value?",
                                  "num:norm:val?", ":NuM:nOrMaL:VaLuE?", "  :NUM:NORM:VAL?  "])
def test_short_long_any_case_with_or_without_colon(rec: Recorder, line: str) -> None:
    assert rec.run(line) == ":NUMeric:NORMal:VALue"
    assert len(rec.errors) == 0


@pytest.mark.parametrize("line", [":NUME:NORM:VAL?", ":NUMERI:NORM:VAL?", ":NUM:NOR:VAL?", ":NUM:NORM:VALU?",
                                  ":NUM:NORM?", ":NUM:NORM:VAL:X?", ":FOO?", "*XYZ?"])
def test_neither_short_nor_long_form_is_undefined_header(rec: Recorder, line: str) -> None:
    assert rec.run(line) is None
    assert rec.errors.pop() == '-113,"Undefined header"'
    assert rec.calls == []


def test_set_only_command_queried_is_undefined_header(rec: Recorder) -> None:
    assert rec.run(":INTEG:STAR?") is None
    assert rec.errors.pop() == '-113,"Undefined header"'


@pytest.mark.parametrize(("line", "x"), [(":NUM:NORM:ITEM3 U,1", 3), (":NUM:NORM:ITEM12 P", 12),
                                         (":num:norm:item U", 1)])
def test_numeric_suffix_defaults_to_one(rec: Recorder, line: str, x: int) -> None:
    rec.run(line)
    assert rec.calls[0].suffix("x") == x


def test_suffix_on_a_node_without_one_is_undefined(rec: Recorder) -> None:
    rec.run(":RATE2 0.5")
    assert rec.errors.pop() == '-113,"Undefined header"'


@pytest.mark.parametrize("line", [":RATE 0.5", ":SAMP:RATE 0.5", ":sample:rate 0.5"])
def test_optional_node(rec: Recorder, line: str) -> None:
    rec.run(line)
    assert [c.pattern for c in rec.calls] == ["[:SAMPle]:RATE"]
    assert rec.calls[0].params == ("0.5",)


def test_chain_resolves_relative_headers_against_the_previous_path(rec: Recorder) -> None:
    assert rec.run(":INTEG:MODE NORM;TIM 0,0,10;*CLS;STAR") is None
    assert [(c.pattern, c.params) for c in rec.calls] == [
        (":INTEGrate:MODE", ("NORM",)),
        (":INTEGrate:TIMer", ("0", "0", "10")),
        ("*CLS", ()),
        (":INTEGrate:STARt", ()),  # a common command does not change the path
    ]
    assert len(rec.errors) == 0


def test_chain_joins_query_replies_with_semicolons(rec: Recorder) -> None:
    assert rec.run("*IDN?;:RATE?;:NUM:NORM:ITEM2?") == "*IDN;[:SAMPle]:RATE;:NUMeric:NORMal:ITEM<x>"


def test_absolute_header_in_chain_resets_the_path(rec: Recorder) -> None:
    rec.run(":INTEG:MODE NORM;:RATE 1")
    assert [c.pattern for c in rec.calls] == [":INTEGrate:MODE", "[:SAMPle]:RATE"]


def test_relative_header_is_not_looked_up_from_root(rec: Recorder) -> None:
    rec.run(":INTEG:MODE NORM;RATE 1")  # RATE is not under :INTEGrate
    assert rec.errors.pop() == '-113,"Undefined header"'


def test_error_discards_the_rest_of_the_message(rec: Recorder) -> None:
    assert rec.run(":RATE?;:BOGUS;:RATE?") == "[:SAMPle]:RATE"
    assert len(rec.calls) == 1
    assert rec.errors.pop() == '-113,"Undefined header"'
    assert rec.errors.pop() == '0,"No error"'


def test_quoted_parameters_keep_their_commas_and_semicolons(rec: Recorder) -> None:
    rec.run(':INTEG:MODE "a,b;c",2')
    assert rec.calls[0].params == ('"a,b;c"', "2")


def test_reply_header_short_and_long() -> None:
    tree, errors, seen = CommandTree(), ErrorQueue(), []
    tree.add(":NUMeric:NORMal:ITEM<x>", on_query=lambda call: seen.append(call) or "")
    tree.dispatch(":numeric:norm:item7?", errors)
    assert seen[0].reply_header() == ":NUM:NORM:ITEM7"
    assert seen[0].reply_header(verbose=True) == ":NUMERIC:NORMAL:ITEM7"


def test_handler_error_goes_to_the_queue() -> None:
    tree, errors = CommandTree(), ErrorQueue()

    def reject(call: Call) -> None:
        raise ScpiError(-224)

    tree.add(":RATE", on_set=reject)
    tree.dispatch(":RATE 7", errors)
    assert errors.pop() == '-224,"Illegal parameter value"'


def test_error_queue_is_fifo_and_reports_overflow() -> None:
    queue = ErrorQueue(capacity=2)
    for code in (-113, -224, -104):
        queue.push(ScpiError(code))
    assert [queue.pop() for _ in range(3)] == ['-113,"Undefined header"', '-350,"Queue overflow"', '0,"No error"']


@pytest.mark.parametrize(("mnemonic", "short"), [("NUMeric", "NUM"), ("LAMBda", "LAMB"), ("*IDN", "*IDN"),
                                                 ("U", "U"), ("TIMEup", "TIME")])
def test_short_form(mnemonic: str, short: str) -> None:
    assert short_form(mnemonic) == short
    assert mnemonic_matches(short.lower(), mnemonic)
    assert mnemonic_matches(mnemonic.lower(), mnemonic)


def test_parameter_helpers() -> None:
    assert parse_bool("on") is True and parse_bool("0") is False
    assert parse_choice("cont", ("NORMal", "CONTinuous")) == "CONTinuous"
    assert parse_number("1.5E+01") == 15.0
    for call, code in ((lambda: parse_bool("maybe"), -224), (lambda: parse_choice("x", ("NORMal",)), -224),
                       (lambda: parse_number("abc"), -104), (lambda: parse_number("nan"), -104)):
        with pytest.raises(ScpiError) as error:
            call()
        assert error.value.code == code


@pytest.mark.parametrize(("params", "code"), [((), -109), (("1", "2"), -108), (("",), -109)])
def test_expect_params(params: tuple[str, ...], code: int) -> None:
    call = Call(":X", False, params, (), ":X")
    with pytest.raises(ScpiError) as error:
        expect_params(call, 1)
    assert error.value.code == code


@pytest.mark.parametrize(("value", "text"), [(230.12, "230.12E+00"), (16.0, "16.000E+00"), (3686.4, "3.6864E+03"),
                                             (0.25, "250.00E-03"), (0.0, "0.0000E+00"), (-1.5, "-1.5000E+00"),
                                             (999.996, "1.0000E+03"), (math.nan, "NAN"), (math.inf, "INF")])
def test_format_nr3(value: float, text: str) -> None:
    assert format_nr3(value) == text


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False).filter(lambda v: v == 0 or abs(v) > 1e-12))
def test_format_nr3_round_trips_to_five_significant_digits(value: float) -> None:
    assert float(format_nr3(value)) == pytest.approx(value, rel=1e-4, abs=1e-15)
