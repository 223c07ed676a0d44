"""The virtual 1P7K: configuration, identity, live values and the RPC dispatcher.

It owns the :class:`ConfigStore` (flash), the :class:`ChargingController` (the charging logic on
the physical model) and the catalogue of defects it was started with.  The HTTP transport lives in
``simulator.http_server``; this class knows nothing about HTTP.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from simulator.clock import DeviceClock
from simulator.defects import ActiveDefects
from simulator.firmware.charging import ChargingController
from simulator.firmware.config_store import ConfigStore
from simulator.firmware.limits import Arbitration
from simulator.firmware.meter import FrontEnd, MeterReading, read_meter
from simulator.firmware.methods import HANDLERS
from simulator.firmware.rpc_errors import KEY_FORMAT, NO_HANDLER, VALUE_RANGE, RpcError
from simulator.firmware.settings import APP_SETTINGS, coerce
from simulator.firmware.timing import FirmwareTiming
from simulator.physics.control_pilot import PilotMode
from simulator.physics.model import PhysicalModel
from simulator.readings import ActiveReadings

_BY_LOWER = {name.lower(): name for name in HANDLERS}
_NOT_PERSISTED = {"led_brightness_not_persisted": "led_max_brightness", "alias_not_persisted": "charger_alias"}


class VirtualCharger:
    fw_version = "1.47"

    def __init__(self, model: PhysicalModel, state_dir: Path, *, serial_number: int = 500006,
                 pin: str = "1234", defects: ActiveDefects | None = None,
                 timing: FirmwareTiming | None = None, host_ip: str = "127.0.0.1",
                 readings: ActiveReadings | None = None) -> None:
        self.model = model
        self.readings = readings or ActiveReadings()  # which defensible reading of the spec it takes
        self.clock: DeviceClock = model.clock
        self.defects = defects or ActiveDefects()
        self.timing = timing or FirmwareTiming()
        self.host_ip = host_ip
        self.store = ConfigStore(state_dir / "config.json", serial_number, pin)
        self.stale_app_values: dict[str, Any] = {}
        self.front_end = FrontEnd(1.0 / self.store.charger["voltage_gain"], 1.0 / self.store.charger["current_gain"])
        self.controller = ChargingController(model, self.store, self.defects, self.timing,
                                             meter_energy_wh=lambda: self.meter().energy_wh)
        self.reboot_pending = False
        self.on_reboot: Callable[[], None] = lambda: None
        self.notifications: list[Callable[[dict[str, Any]], None]] = []
        self._energy_index_base = float(self.store.data["counters"].get("energy_index_wh", 0.0))

    # --- identity -------------------------------------------------------------------------------
    @property
    def serial_number(self) -> int:
        return self.store.charger["serial_number"]

    @property
    def device_id(self) -> str:
        serial = 500000 if "device_id_wrong_serial" in self.defects else self.serial_number
        return f"1p7k_{serial}"

    @property
    def fw_id(self) -> str:
        return f"1p7k-{self.fw_version}-virtual"

    # --- dispatch -------------------------------------------------------------------------------
    def resolve(self, method: str) -> str:
        """The spec name of ``method``; names match case-insensitively (field-facts §1)."""
        if "case_sensitive_methods" in self.defects:
            if method in HANDLERS:
                return method
        elif method.lower() in _BY_LOWER:
            return _BY_LOWER[method.lower()]
        raise RpcError(NO_HANDLER, f"No handler for {method}")

    def call(self, method: str, params: dict[str, Any]) -> Any:
        self.model.advance()
        return HANDLERS[self.resolve(method)](self, params)

    # --- configuration --------------------------------------------------------------------------
    def config_value(self, key: str, value: Any) -> Any:
        """Validate a value for an application key the way this firmware build does."""
        setting = APP_SETTINGS[key]
        bounds = _defect_bounds(self.defects).get(key, {})
        if "bool_key_accepts_int" in self.defects and setting.kind is bool and value in (0, 1) \
                and not isinstance(value, bool):
            return bool(value)
        if "string_for_int_sets_zero" in self.defects and setting.kind is int and isinstance(value, str) \
                and not value.strip().lstrip("+-").isdigit():
            return 0
        if "led_template_unvalidated" in self.defects and key == "led_template" and isinstance(value, str):
            return value
        try:
            coerced = coerce(setting, value, **bounds)
        except RpcError as error:
            if key == "install_current" and "rejected_value_half_applied" in self.defects and \
                    isinstance(value, int) and error.code == VALUE_RANGE:
                self.store.app[key] = value
            if key == "user_power" and error.code == VALUE_RANGE and "user_power_range_code" in self.defects:
                raise RpcError(KEY_FORMAT, error.message) from None
            raise
        if key == "user_current" and "user_current_not_applied" in self.defects:
            return self.store.app[key]
        if key == "latitude" and "latitude_truncated" in self.defects:
            return float(math.trunc(coerced))
        return coerced

    def provision(self, key: str, value: str) -> None:
        """An installer's setting applied before first use (string values, as App_config.Set takes)."""
        self.store.app[key] = coerce(APP_SETTINGS[key], value)
        self.store.save()

    # --- live values ----------------------------------------------------------------------------
    def meter(self) -> MeterReading:
        charger = self.store.charger
        reading = read_meter(self.model.electrical(), charger["voltage_gain"], charger["current_gain"],
                             self.clock.now(), self.front_end,
                             gain_applied_twice="meter_gain_applied_twice" in self.defects)
        if "meter_current_offset" in self.defects and reading.current_a > 0:
            current = reading.current_a + 0.4
            return MeterReading(reading.voltage_v, current, reading.voltage_v * current, reading.energy_wh)
        return reading

    def arbitration(self) -> Arbitration:
        return self.controller.arbitration(self.clock.now())

    def pwm_fraction(self) -> float:
        pilot = self.model.pilot
        if pilot.mode is PilotMode.PWM:
            return pilot.duty
        return 1.0 if pilot.mode is PilotMode.DC_HIGH else 0.0

    def energy_index_wh(self, reading: MeterReading) -> float:
        if "energy_index_frozen" in self.defects:
            return self._energy_index_base
        return self._energy_index_base + reading.energy_wh

    def charger_info(self) -> dict[str, Any]:
        ctl, app = self.controller, self.store.app
        reading = self.meter()
        arbitration = self.arbitration()
        state = ctl.state
        extended = ctl.extended
        if "ev_d_treated_as_c" in self.defects and state == "D":
            state, extended = "C", "C"
        if "state_e_not_reported" in self.defects and state == "E":
            state, extended = "A", "A"
        session = ctl.session
        temperature: Any = round(self.model.temperature_c() + self.store.charger["temp_offset"], 1)
        if "info_temperature_string" in self.defects:
            temperature = str(temperature)
        info = {
            "charger_state": state,
            "session_energy": round(ctl.session_energy_wh(reading.energy_wh), 2),
            "charging_time": int(session.charging_time_s) if session else 0,
            "session_id": session.session_id if session else self.store.data["counters"]["last_session_id"],
            "instant_power": round(reading.power_w, 1),
            "current": round(reading.current_a, 2),
            "currents": [round(reading.current_a, 2), 0.0, 0.0],
            "current_limit_reason": arbitration.reason,
            "voltage": round(reading.voltage_v, 1),
            "voltages": [round(reading.voltage_v, 1), 0.0, 0.0],
            "temperature": temperature,
            "energy_index": round(self.energy_index_wh(reading), 2),
            "total_charged_energy": int(self.store.data["counters"]["total_charged_energy_wh"]),
            "headless": app["headless"],
            "led_max_brightness": app["led_max_brightness"],
            "install_current": app["install_current"],
            "dynamic_current": ctl.dynamic_current,
            "em_current": arbitration.limits["em_current"],
            "fw_version": self.fw_version,
            "extended_charger_state": extended,
            "has_active_errors": ctl.errors.any_active(),
            "charger_is_paused": extended in ("B_PAUSE", "B_SCHEDULER"),
            "heap_free": 118_000 + int(self.clock.now() * 13) % 4096,
            "pwm_current": ctl.s.pwm_current,
        }
        if "info_missing_pwm_current" in self.defects:
            del info["pwm_current"]
        return info

    def reset_session_energy(self) -> None:
        ctl = self.controller
        if ctl.session is not None:
            ctl.session.reset_offset_wh = ctl.session_energy_wh(self.meter().energy_wh) + ctl.session.reset_offset_wh
        else:
            self.store.data["counters"]["last_session_energy_wh"] = 0
            self.store.save()

    # --- notifications and reboot ---------------------------------------------------------------
    def notify(self, method: str, params: dict[str, Any]) -> None:
        frame: dict[str, Any] = {"src": self.device_id, "method": method, "params": params}
        if "ws_notification_has_id" in self.defects:
            frame["id"] = 0
        for send in list(self.notifications):
            send(frame)

    def request_reboot(self, *, wait_for_session: bool) -> None:
        """Reboot now, or once the charging session has ended (spec 6.7)."""
        self.reboot_pending = True
        self._reboot_waits = wait_for_session
        self.poll_reboot()

    def poll_reboot(self) -> bool:
        """Called by the server's tick: start a pending reboot once it is allowed."""
        if not self.reboot_pending:
            return False
        if self._reboot_waits and self.controller.session is not None and self.controller.state != "A":
            return False
        self.reboot_pending = False
        self.on_reboot()
        return True

    def power_on(self) -> None:
        """What the unit does when it comes back: reload flash, reset volatile state."""
        self.store.data["counters"]["energy_index_wh"] = self.energy_index_wh(self.meter())
        self.store.save()
        self.store.reload()
        for defect, key in _NOT_PERSISTED.items():
            if defect in self.defects:
                self.store.app[key] = APP_SETTINGS[key].default
        self.stale_app_values.clear()
        self._energy_index_base = float(self.store.data["counters"].get("energy_index_wh", 0.0)) - self.meter().energy_wh
        self.controller.reboot()


def _defect_bounds(defects: ActiveDefects) -> dict[str, dict[str, int]]:
    bounds: dict[str, dict[str, int]] = {}
    for defect, key, bound, value in (
        ("install_current_accepts_33", "install_current", "high", 33),
        ("install_current_rejects_6", "install_current", "low", 7),
        ("user_current_accepts_5", "user_current", "low", 5),
        ("led_brightness_rejects_100", "led_max_brightness", "high", 99),
        ("gmt_offset_unsigned", "gmt_offset", "low", 0),
        ("led_dimming_delay_16bit", "led_dimming_delay", "high", 65535),
    ):
        if defect in defects:
            bounds.setdefault(key, {})[bound] = value
    return bounds
