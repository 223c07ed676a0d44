"""The 34972A + 34903A contactor-fault relay box: driver by exact command/response pairs, the twin
line by line, and the real driver against the twin over loopback (channel closed = fault active)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import pytest

from instruments.errors import BenchFault
from instruments.fault_injection import Keysight34970aRelayBox
from instruments.power_analyzer import InstrumentError, ScriptedTransport, UnexpectedReply
from instruments.roles import ROLE_FEATURES, TIMERS, FaultInjection
from simulator.clock import DeviceClock
from simulator.physics.model import PhysicalModel
from simulator.twins.relay_box import IDENTITY, RelayBoxTwin
from tests.scpi_twins import ManualClock, Script, driver_on_twin, scripted_instrument, wait_until

NO_ERROR = '+0,"No error"'
ERR = "SYST:ERR?"


def ok(command: str) -> Script:
    return [(command, None), (ERR, NO_ERROR)]


def scripted(script: Script, **kwargs: Any) -> AbstractContextManager[Keysight34970aRelayBox]:
    return scripted_instrument(Keysight34970aRelayBox, script, **kwargs)


# --- declarations ------------------------------------------------------------------------------
def test_declares_both_contactor_faults() -> None:
    roles = Keysight34970aRelayBox.ROLES
    assert roles == {"fault_injection": frozenset({"contactor_welded", "contactor_stuck_open"})}
    assert roles["fault_injection"] <= set(ROLE_FEATURES["fault_injection"])
    assert Keysight34970aRelayBox.TIMERS == frozenset() and Keysight34970aRelayBox.TIMERS <= set(TIMERS)
    assert isinstance(Keysight34970aRelayBox(ScriptedTransport([])), FaultInjection)


# --- driver: exact command/response pairs -----------------------------------------------------
@pytest.mark.parametrize(("call", "command"), [
    (lambda b: b.set_contactor_welded(True), "ROUT:CLOS (@101)"),
    (lambda b: b.set_contactor_welded(False), "ROUT:OPEN (@101)"),
    (lambda b: b.set_contactor_stuck_open(True), "ROUT:CLOS (@102)"),
    (lambda b: b.set_contactor_stuck_open(False), "ROUT:OPEN (@102)"),
    (lambda b: b.faults_safe(), "ROUT:OPEN (@101,102)"),
], ids=["weld", "unweld", "stick", "unstick", "safe"])
def test_a_fault_is_its_channel_closed(call, command: str) -> None:
    with scripted(ok(command)) as box:
        call(box)


def test_channels_come_from_the_profile() -> None:
    with scripted(ok("ROUT:CLOS (@215)") + ok("ROUT:OPEN (@215,216)"), welded_channel=215,
                  stuck_open_channel=216) as box:
        box.set_contactor_welded(True)
        box.faults_safe()


@pytest.mark.parametrize("kwargs", [{"welded_channel": 121}, {"welded_channel": 401}, {"stuck_open_channel": 100},
                                    {"welded_channel": 103, "stuck_open_channel": 103}])
def test_impossible_wiring_is_refused(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        Keysight34970aRelayBox(ScriptedTransport([]), **kwargs)


@pytest.mark.parametrize(("reply", "faults"), [("1,0", (True, False)), ("0,1", (False, True)), ("0,0", (False, False))])
def test_faults_active_reads_both_relays(reply: str, faults: tuple[bool, bool]) -> None:
    with scripted([("ROUT:CLOS? (@101,102)", reply)]) as box:
        assert box.faults_active() == faults


@pytest.mark.parametrize("reply", ["1", "1,2", "closed,open"])
def test_garbled_relay_state_is_an_unexpected_reply(reply: str) -> None:
    with scripted([("ROUT:CLOS? (@101,102)", reply)]) as box, pytest.raises(UnexpectedReply):
        box.faults_active()


def test_refused_route_raises_naming_the_command() -> None:
    script = [("ROUT:CLOS (@101)", None), (ERR, '+521,"Card not installed"'), (ERR, NO_ERROR)]
    with scripted(script) as box, pytest.raises(InstrumentError) as caught:
        box.set_contactor_welded(True)
    assert caught.value.command == "ROUT:CLOS (@101)" and not isinstance(caught.value, BenchFault)


# --- the twin, line by line -----------------------------------------------------------------
@pytest.fixture
def manual() -> tuple[PhysicalModel, RelayBoxTwin]:
    model = PhysicalModel(ManualClock())  # type: ignore[arg-type]  # only now() is used
    return model, RelayBoxTwin(model)


def faults(model: PhysicalModel) -> tuple[bool, bool]:
    return model.contactor.welded, model.contactor.stuck_open


def test_twin_closed_channels_are_the_injected_faults(manual) -> None:
    model, twin = manual
    assert twin.handle("*IDN?") == IDENTITY
    assert faults(model) == (False, False) and twin.handle("ROUT:CLOS? (@101,102)") == "0,0"
    model.clock.t = 2.0
    twin.handle("ROUT:CLOS (@101)")
    assert faults(model) == (True, False) and model.contactor_fault_changed_at == 2.0
    assert model.contactor.is_closed(2.0)  # the circuit: bypassed whatever the coil commands
    twin.handle("route:close (@102)")
    assert faults(model) == (True, True) and not model.contactor.is_closed(2.0)
    assert (twin.handle("ROUT:CLOS? (@101:102)"), twin.handle("ROUT:OPEN? (@101,102,103)")) == ("1,1", "0,0,1")
    twin.handle("ROUT:OPEN (@101,102)")
    assert faults(model) == (False, False)
    twin.handle("ROUT:CLOS (@103:110)")  # other channels are wired to nothing the model knows
    assert faults(model) == (False, False)
    twin.handle("ROUT:CLOS (@101)")
    twin.handle("*RST")
    assert faults(model) == (False, False) and twin.handle("ROUT:CLOS? (@101)") == "0"


@pytest.mark.parametrize(("line", "code"), [
    ("ROUT:CLOS (@121)", -222),   # the 34903A has channels 01-20
    ("ROUT:CLOS (@101:130)", -222),
    ("ROUT:CLOS 101", -102),      # a channel list is (@...)
    ("ROUT:CLOS (@1x1)", -102),
    ("ROUT:CLOS", -109),
    ("ROUT:SHUT (@101)", -113),
])
def test_twin_rejections_queue_an_error_and_change_nothing(manual, line: str, code: int) -> None:
    model, twin = manual
    twin.handle("ROUT:CLOS (@102)")
    assert twin.handle(line) is None
    assert twin.handle("SYST:ERR?").startswith(f"{code},")
    assert twin.handle("SYST:ERR?").startswith("0,")
    assert faults(model) == (False, True)


# --- the real driver against the twin over loopback ----------------------------------------------
@dataclass
class Loopback:
    model: PhysicalModel
    box: Keysight34970aRelayBox


@pytest.fixture(scope="module")
def loopback_twin() -> Iterator[Loopback]:
    model = PhysicalModel(DeviceClock(time_scale=20))
    with driver_on_twin(RelayBoxTwin(model), Keysight34970aRelayBox.from_resource,
                        welded_channel=101, stuck_open_channel=102) as box:
        yield Loopback(model, box)


@pytest.fixture
def bench(loopback_twin: Loopback) -> Loopback:
    """No fault, the charger's coil released (contacts open)."""
    loopback_twin.box.faults_safe()
    loopback_twin.model.command_contactor(False)
    wait_until("the contactor open", loopback_twin.model.contactor_closed, lambda closed: not closed)
    return loopback_twin


def test_driver_identifies_the_twin(bench: Loopback) -> None:
    assert bench.box.identify() == IDENTITY


def test_welded_keeps_the_ev_side_supplied_with_the_coil_released(bench: Loopback) -> None:
    box, model = bench.box, bench.model
    box.set_contactor_welded(True)
    assert model.mains_present_at_ev() and not model.contactor.contacts_closed(model.clock.now())
    assert box.faults_active() == (True, False)
    box.faults_safe()
    assert not model.mains_present_at_ev() and box.faults_active() == (False, False)


def test_stuck_open_never_supplies_the_ev_side_with_the_coil_energised(bench: Loopback) -> None:
    box, model = bench.box, bench.model
    box.set_contactor_stuck_open(True)
    model.command_contactor(True)
    wait_until("the contacts closed", lambda: model.contactor.contacts_closed(model.clock.now()), bool)
    assert not model.mains_present_at_ev()
    box.set_contactor_stuck_open(False)
    assert model.mains_present_at_ev()
