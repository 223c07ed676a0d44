"""Roles bound in a profile: the adapter table agrees with the drivers, capabilities follow from the
roles, and a test that needs a role the bench lacks says which instrument plays what."""
from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.bench import missing_reason
from fixtures.profile import BENCHES_DIR, load_profile
from instruments.roles import ROLE_FEATURES, TIMERS
from rig.adapters import ADAPTERS
from rig.binding import capabilities, check_bindings, known_capabilities

PROFILES = sorted(BENCHES_DIR.glob("*.toml"))


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_adapter_table_matches_the_driver_class(name: str) -> None:
    """rig/adapters.py is read before any driver is imported: it must say what the class says."""
    spec = ADAPTERS[name]
    cls = spec.load()
    assert {role: frozenset(features) for role, features in cls.ROLES.items()} == spec.roles
    assert frozenset(cls.TIMERS) == spec.timers
    assert callable(getattr(cls, "from_resource", None)), f"{name}: no from_resource"
    for role, features in spec.roles.items():
        assert role in ROLE_FEATURES and features <= set(ROLE_FEATURES[role]), (name, role, features)
    assert spec.timers <= set(TIMERS)


@pytest.mark.parametrize("path", [p for p in PROFILES if p.name not in ("default-limits.toml", "production-order.toml")],
                         ids=lambda p: p.name)
def test_every_shipped_profile_binds_known_roles(path: Path) -> None:
    profile = load_profile(path)
    assert profile.capabilities <= known_capabilities()


def test_capabilities_follow_from_the_roles_bound() -> None:
    virtual = load_profile(BENCHES_DIR / "virtual.toml").capabilities
    composite = load_profile(BENCHES_DIR / "virtual-composite.toml").capabilities
    no_timers = load_profile(BENCHES_DIR / "virtual-no-timers.toml").capabilities
    assert {"timer.contactor", "timer.trip"} <= virtual and not {"timer.contactor", "timer.trip"} & no_timers
    assert virtual - {"timer.contactor", "timer.trip"} == no_timers
    site = {"ac_source.voltage", "ac_source.frequency", "ac_source.output", "fault_injection.contactor_welded",
            "fault_injection.contactor_stuck_open", "ev_load.overdraw"}
    assert site | {"thermal.board_temperature"} <= virtual
    assert site <= composite  # a lab has a supply and a relay box ...
    assert "thermal" not in composite and "thermal.board_temperature" not in composite  # ... but no chamber
    assert {"cp_control.states", "cp_measurement", "ev_load.current", "mains_sense", "residual_current.dc",
            "power_analyzer"} <= composite
    for feature in ("cp_control.diode_short", "cp_control.cp_pe_short", "cp_control.pe_open", "ev_load.follows_pwm"):
        assert feature not in composite, feature
    assert not load_profile(BENCHES_DIR / "charger-only.toml").capabilities


def test_one_instrument_may_play_several_roles_and_a_role_names_its_player() -> None:
    raw = {"resources": {"box": {"adapter": "ascii", "url": "socket://x:1"}},
           "roles": {"cp_control": "box", "mains_sense": "box"}}
    check_bindings(raw)
    assert capabilities(raw) >= {"cp_control", "cp_control.pe_open", "mains_sense"}
    assert "ev_load" not in capabilities(raw)


def test_a_bench_without_a_chamber_says_so_in_the_skip_reason() -> None:
    composite = load_profile(BENCHES_DIR / "virtual-composite.toml")
    reason = missing_reason(composite, ["thermal.board_temperature"])
    assert reason is not None and "thermal" in reason


def test_a_missing_feature_is_skipped_with_the_instrument_that_plays_the_role() -> None:
    composite = load_profile(BENCHES_DIR / "virtual-composite.toml")
    reason = missing_reason(composite, ["cp_control.diode_short"])
    assert reason is not None and "cp_control.diode_short" in reason and "ev_board" in reason
    assert "J1772" in reason and "states only" in reason
    assert missing_reason(composite, ["cp_control", "ev_load"]) is None
