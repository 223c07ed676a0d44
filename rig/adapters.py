"""The adapters a bench profile may name, the roles each serves and the settings each takes.

Declared here as data (labgrid's driver registry), so a profile is checked, and the bench's
capabilities derived, before any instrument is opened or even imported.  Each entry must agree with
its class's own ``ROLES`` / ``TIMERS`` (tests/test_rig_binding.py checks it), so the table cannot
drift from the drivers.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

COMMON_SETTINGS = ("adapter", "timers", "timeout_s")


@dataclass(frozen=True)
class AdapterSpec:
    """One adapter: where its class lives, what it serves, what a profile may set for it."""

    name: str
    target: str                                   # "package.module:Class"
    roles: dict[str, frozenset[str]]              # role -> features offered
    timers: frozenset[str]
    settings: tuple[str, ...]                     # keys of its resource table besides COMMON_SETTINGS
    required: tuple[str, ...]                     # keys it cannot open without
    model: str                                    # the instrument, for the README and error messages

    def load(self) -> Any:
        module, _, cls = self.target.partition(":")
        return getattr(importlib.import_module(module), cls)


def _f(*names: str) -> frozenset[str]:
    return frozenset(names)


ADAPTERS: dict[str, AdapterSpec] = {spec.name: spec for spec in (
    AdapterSpec("ascii", "instruments.ev_simulator.ascii_adapter:AsciiEvSimulator",
                {"cp_control": _f("states", "diode_short", "cp_pe_short", "pe_open"),
                 "ev_load": _f("current", "ramp", "follows_pwm", "overdraw"),
                 "residual_current": _f("dc", "ac"),
                 "cp_measurement": _f("frequency", "duty", "levels"),
                 "mains_sense": _f("present")},
                _f("contactor", "trip"), ("url", "baudrate"), ("url",),
                "EV simulator speaking instruments/ev_simulator/COMMANDS.md"),
    AdapterSpec("j1772-ev-sim-remote", "instruments.ev_simulator.j1772_remote:J1772EvSimRemote",
                {"cp_control": _f("states"), "cp_measurement": _f("frequency", "duty", "levels")},
                _f(), ("url", "baudrate", "frame_skew_s", "command_latency_s"), ("url",), "J1772 EV Sim Remote open CP board (1 s frames)"),
    AdapterSpec("chroma-63800", "instruments.ac_load.chroma63800:Chroma63800Load",
                {"ev_load": _f("current", "overdraw"), "mains_sense": _f("present")},
                _f(), ("resource", "mains_present_v", "peak_max_a"), ("resource",),
                "Chroma 63800-series programmable AC electronic load"),
    AdapterSpec("fluke-5522a", "instruments.residual_source.fluke5522a:Fluke5522aResidualSource",
                {"residual_current": _f("dc", "ac")},
                _f(), ("resource", "ac_frequency_hz"), ("resource",),
                "Fluke 5522A calibrator as residual-current source"),
    AdapterSpec("wt300e", "instruments.power_analyzer.wt300:PowerAnalyzer",
                {"power_analyzer": _f("mains")},
                _f(), ("resource", "external_sensor_mv_per_a", "external_sensor_option", "rate_command"), ("resource",),
                "Yokogawa WT300E-series power analyzer"),
    AdapterSpec("keysight-ac6800b", "instruments.ac_source.keysight_ac6800b:KeysightAc6800bSource",
                {"ac_source": _f("voltage", "frequency", "output")},
                _f(), ("resource",), ("resource",),
                "Keysight AC6800B-series basic AC source (AC6801B) feeding the charger"),
    AdapterSpec("keysight-34970a", "instruments.fault_injection.keysight_34970a:Keysight34970aRelayBox",
                {"fault_injection": _f("contactor_welded", "contactor_stuck_open")},
                _f(), ("resource", "welded_channel", "stuck_open_channel"), ("resource",),
                "Keysight 34970A/34972A with a 34903A actuator as contactor-fault relay box"),
    AdapterSpec("espec-sh", "instruments.thermal.espec_sh:EspecShChamber",
                {"thermal": _f("board_temperature")},
                _f(), ("url", "baudrate"), ("url",),
                "ESPEC SH/SU-series bench-top climate chamber"),
)}
