"""The supply: charging goes on within the normal band, stops outside it, and survives a mains loss
(spec 6.9 / 6.16 ``overvoltage_error``, ``undervoltage_error``, ``voltage_error``; 6.5, 6.22 counters).

A programmable AC source feeds the charger (``ac_source``).  Limits (benches/default-limits.toml):

* **in band** (``mains_high_ok_v`` 253 V, ``mains_low_ok_v`` 207 V: 230 V ± 10 %, IEC 60038 /
  EN 50160, a normal supply): charging goes on, no flag, current flowing, for long enough that a
  charger tripping there would have stopped;
* **out of band** (``overvoltage_stop_v``, ``undervoltage_stop_v``): charging stops within
  ``mains_fault_response_s`` of the source's change (mains absent at the EV, timed with its
  uncertainty, judged by the rig), zero current at the analyzer, the voltage flag raised and no
  unrelated one: the specific flag, the generic ``voltage_error`` or both (ambiguity
  ``mains_voltage_flag``, each accepted, labelled); no charging while the voltage stays out of band;
  back at nominal the charger recovers by itself, the EV still plugged in (ambiguity
  ``mains_fault_recovery``, labelled): charging resumes, the active flag clears and the logged one
  stays until ``Logged_errors.Reset``;
* **mains loss** during a session (destructive: the charger is unpowered): it stops answering, which
  is expected (``rig.call_if_reachable``), answers again within ``reboot_max_s`` of the supply's
  return, and its lifetime counters (6.22) lose nothing counted before the cut: the energy booked
  after, plus the resumed session's if the same session goes on (ambiguity
  ``session_after_mains_loss``, labelled), is at least the total before plus the session's energy at
  the cut, within ``counter_resolution_wh``.
"""
from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass

import pytest

from fixtures.clock import WaitTimeout
from instruments.errors import BenchFault
from reference.spec import KEYS_BY_NAME, method
from reports.allure_support import cover
from rig import Rig, SessionTrace
from rig.flags import check_latched, check_raised, check_reset_clears, read_flags
from rig.measurement import Measurement
from rig.site import NOMINAL_V
from rig.timing import Timing

pytestmark = [pytest.mark.bench, pytest.mark.faults]
BENCH = pytest.mark.needs("ev_load", "power_analyzer", "ac_source.voltage")
SOURCE_TOLERANCE = 0.01
"""The AC source must put out what it was set to within 1 % (a bench check: an AC6800B is ±0.1 %)."""


@dataclass(frozen=True)
class SupplyCase:
    """A supply voltage (a limit of the profile) and, out of band, the flags the charger may raise."""

    limit: str
    specific: str | None = None      # the flag naming this fault; voltage_error is the generic one

    @property
    def own(self) -> tuple[str, ...]:
        return (self.specific, "voltage_error") if self.specific else ()


IN_BAND = (SupplyCase("mains_high_ok_v"), SupplyCase("mains_low_ok_v"))
OUT_OF_BAND = (SupplyCase("overvoltage_stop_v", "overvoltage_error"),
               SupplyCase("undervoltage_stop_v", "undervoltage_error"))


async def _supply_at(rig: Rig, volts: float) -> None:
    """Set the source; the bench checks it puts that out (its own measurement) before judging anything."""
    rig.sites.set_mains_voltage(volts)
    try:
        await rig.clock.wait_for_sync(rig.sites.mains_voltage, lambda v: abs(v - volts) <= SOURCE_TOLERANCE * volts,
                                      within_s=rig.settle_s, what=f"the AC source putting out {volts:g} V")
    except WaitTimeout as timeout:
        raise BenchFault(f"AC source: {timeout}") from None


@BENCH
@pytest.mark.parametrize("case", IN_BAND, ids=lambda c: c.limit)
async def test_supply_within_band_charging_goes_on(case: SupplyCase, rig: Rig, trace: SessionTrace) -> None:
    cover(method("Active_errors.Get"), title=f"supply at {case.limit}: charging goes on, no error flag")
    await rig.charge()
    volts = rig.limit(case.limit).value
    await _supply_at(rig, volts)
    # Long enough for a charger that trips here to act and for every viewpoint to show it.
    for_s = rig.limit("mains_fault_response_s").value + rig.settle_s
    try:
        await rig.hold(lambda o: o.charging and not o.info["has_active_errors"], for_s=for_s,
                       what=f"charging on (contactor closed, current flowing, no active error) at {volts:g} V, a "
                            f"normal supply ({case.limit}: {rig.limit(case.limit).origin})")
    except AssertionError as stopped:
        flags = await read_flags(rig)  # say which protection acted, not only that charging stopped
        currents = await rig.charger.call("System_currents.Get")
        raise AssertionError(f"{stopped}; active flags {list(flags.raised_active)}, "
                             f"logged {list(flags.raised_logged)}; System_currents.Get {currents}") from None
    flags = await read_flags(rig)
    assert not flags.raised_active and not flags.raised_logged, (
        f"error flags at {volts:g} V, a normal supply: active {list(flags.raised_active)}, "
        f"logged {list(flags.raised_logged)}")


@BENCH
@pytest.mark.parametrize("case", OUT_OF_BAND, ids=lambda c: c.limit)
async def test_supply_out_of_band_stops_charging_and_is_flagged(case: SupplyCase, rig: Rig,
                                                                 trace: SessionTrace) -> None:
    cover(method("Active_errors.Get"))
    cover(method("Logged_errors.Get"), title=f"supply at {case.limit}: charging stops within mains_fault_response_s, "
                                             "voltage flag, no charging until the supply is back, recovery")
    await rig.charge()
    volts = rig.limit(case.limit).value
    response = rig.limit("mains_fault_response_s")
    within = 2 * response.value + rig.settle_s
    try:
        timing = await rig.time_contactor(lambda: rig.sites.set_mains_voltage(volts), closed_after=False, rearm="C",
                                          within_s=within, what=f"mains_fault_stop_{case.limit}")
    except WaitTimeout:
        raise AssertionError(f"the charger kept supplying the EV for {within:g} s at {volts:g} V ({case.limit}: "
                             f"{rig.limit(case.limit).origin}); {response.name} is {response.value:g} s") from None
    rig.check_contactor(timing, response)
    what = f"a supply at {volts:g} V"
    await rig.wait(lambda o: not o.mains_present and o.no_current, within_s=rig.settle_s,
                   what=f"no mains at the EV and no current at the analyzer with {what}")
    raised = check_raised(await read_flags(rig), what, case.own)
    rig.label_ambiguity("mains_voltage_flag", "both" if len(raised) == 2 else
                        "specific" if raised == (case.specific,) else "generic")

    await rig.hold(lambda o: not o.mains_present and o.no_current,
                   for_s=rig.limit("contactor_close_s").value + rig.settle_s,
                   what=f"no charging resumed while the supply stays at {volts:g} V")

    rig.sites.set_mains_voltage(NOMINAL_V)  # ambiguity mains_fault_recovery: clears by itself, charging resumes
    window = rig.limit("pwm_update_s").value + rig.charging_deadline_s
    try:
        await rig.wait(lambda o: o.charging, within_s=window,
                       what=f"charging again at {NOMINAL_V:g} V with the EV still plugged in")
    except WaitTimeout as timeout:
        raise AssertionError(f"no charging within {window:g} s of the supply's return to {NOMINAL_V:g} V after {what}, "
                             f"the EV still plugged in and asking: {timeout}") from None
    rig.label_ambiguity("mains_fault_recovery", "clears by itself once the supply is back in band; charging resumes")
    check_latched(await read_flags(rig), what, case.own, f"the supply was back at {NOMINAL_V:g} V")
    await rig.unplug()
    await check_reset_clears(rig, what)
    await rig.charge()


# --- mains loss -------------------------------------------------------------------------------------
MAX_A = int(KEYS_BY_NAME["install_current"].maximum)
ENERGY_BEFORE_CUT = 5
"""Counter resolutions of session energy charged before the cut, so a loss is well beyond the resolution."""
COUNTER_ORIGIN = "spec 6.22: a lifetime counter keeps what it counted; counter_resolution_wh"


@BENCH
@pytest.mark.destructive
@pytest.mark.needs("ev_load", "power_analyzer", "ac_source.output", "destructive")
async def test_mains_loss_during_a_session_loses_no_counted_energy(rig: Rig, trace: SessionTrace) -> None:
    cover(method("Counters_config.Get"))
    cover(method("Charger_info.Get"), title="mains lost while charging: back within reboot_max_s, no counted energy "
                                            "lost, the session resumed or a new one")
    assert await rig.app_config_set("install_current", MAX_A) is True
    await rig.charge(load_a=MAX_A)
    resolution = rig.limit("counter_resolution_wh")
    await rig.wait(lambda o: o.info["session_energy"] >= ENERGY_BEFORE_CUT * resolution.value,
                   within_s=rig.limit("meter_settle_s").value + rig.limit("meter_window_s").value,
                   what=f"session_energy ≥ {ENERGY_BEFORE_CUT * resolution.value:g} Wh before the cut")
    counters_before = await rig.charger.call("Counters_config.Get")
    before = await rig.charger.call("Charger_info.Get")  # just before the cut: the session's energy so far
    rig.sites.set_mains_on(False)

    def info() -> Awaitable[dict | None]:
        return rig.call_if_reachable("Charger_info.Get")

    await rig.clock.wait_for_sync(rig.ev.mains_present, lambda present: not present, within_s=rig.settle_s,
                                  what="no mains at the EV with the supply cut")
    try:  # an unpowered charger stops answering: expected; one with a hold-up may answer a little longer
        await rig.clock.wait_for(info, lambda reply: reply is None, within_s=rig.limit("state_report_s").value,
                                 what="the charger unpowered")
    except WaitTimeout:
        pass
    restored, _ = rig.stamp(lambda: rig.sites.set_mains_on(True))
    reboot = rig.limit("reboot_max_s")
    try:
        back = await rig.edge(info, lambda reply: reply is not None, since=restored, within_s=reboot.value,
                              what="the charger answering with its supply back")
    except WaitTimeout:
        raise AssertionError(f"the charger did not answer within {reboot.name} {reboot.value:g} s of its supply's "
                             f"return ({reboot.origin})") from None
    rig.judge("answering_after_mains_loss", Timing.polled(back, restored, "Charger_info.Get"), reboot)
    after = await rig.wait(lambda o: o.state != "A", within_s=rig.limit("state_report_s").value + rig.cp_lag_s,
                           what="the charger seeing the EV, still plugged in, after its reboot")
    counters_after = await rig.charger.call("Counters_config.Get")

    resumed = after.info["session_id"] == before["session_id"]
    rig.label_ambiguity("session_after_mains_loss", "resumed" if resumed else "new_session")
    resumed_wh = after.info["session_energy"] if resumed else 0.0
    total_before_wh = counters_before["total_charged_energy"] * 1000.0
    Measurement("energy counted after the mains loss (6.22 total_charged_energy x 1000"
                f"{' + the resumed session_energy' if resumed else ''})", "Wh",
                low=round(total_before_wh + before["session_energy"] - resolution.value, 3),
                origin=f"{COUNTER_ORIGIN}: the total before ({total_before_wh:.3f} Wh) plus the session's "
                       f"{before['session_energy']} Wh at the cut").check(
        counters_after["total_charged_energy"] * 1000.0 + resumed_wh)
    for key in ("total_charged_sessions", "total_charged_time"):
        Measurement(f"{key} after the mains loss", "", low=counters_before[key], origin=COUNTER_ORIGIN).check(
            counters_after[key])
    Measurement("Charger_info.Get total_charged_energy after the mains loss", "", low=before["total_charged_energy"],
                origin="spec 6.5: a lifetime total (unit: ambiguity total_charged_energy_type_unit)").check(
        after.info["total_charged_energy"])
