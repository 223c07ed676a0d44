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
from simulator.firmware.methods import DOCUMENTED_PARAMS, HANDLERS
from simulator.firmware.rpc_errors import (
    GENERAL_FAIL,
    JSON_FORMAT,
    KEY_FORMAT,
    METHOD_NOT_FOUND,
    NO_HANDLER,
    UNKNOWN_KEY,
    VALUE_RANGE,
    RpcError,
    UnknownMethod,
)
from simulator.firmware.settings import APP_SETTINGS, app_defaults, coerce
from simulator.firmware.timing import FirmwareTiming
from simulator.physics.control_pilot import PilotMode
from simulator.physics.model import PhysicalModel
from simulator.readings import ActiveReadings

_BY_LOWER = {name.lower(): name for name in HANDLERS}
_UNKNOWN_METHOD_CODES = {"code_404": NO_HANDLER, "jsonrpc_32601": METHOD_NOT_FOUND, "general_fail": GENERAL_FAIL,
                         "unknown_key": UNKNOWN_KEY}
_NOT_PERSISTED = {"led_brightness_not_persisted": "led_max_brightness", "alias_not_persisted": "charger_alias"}
HEAP_FREE_BYTES = 118_000  # an ESP32-class free heap after boot (field facts §1)
HEAP_JITTER_BYTES = 4096   # Wi-Fi and TCP buffers coming and going: a sawtooth in device time
LEAK_BYTES_PER_REQUEST = 200  # defect heap_leak_per_request: each request's reply buffer never freed


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
        self.store = ConfigStore(state_dir / "config.json", serial_number, pin, app_defaults(self.readings))
        self.stale_app_values: dict[str, Any] = {}
        self.front_end = FrontEnd(1.0 / self.store.charger["voltage_gain"], 1.0 / self.store.charger["current_gain"])
        self.controller = ChargingController(model, self.store, self.defects, self.timing,
                                             meter_energy_wh=lambda: self.meter().energy_wh,
                                             readings=self.readings)
        self.reboot_pending = False
        self.on_reboot: Callable[[], None] = lambda: None
        # The transport's hooks for the supply (simulator/firmware/power.py): the firmware's tick raises
        # them, possibly from an instrument twin's thread, when mains goes off and comes back.
        self.on_power_loss: Callable[[], None] = lambda: None
        self.on_power_back: Callable[[], None] = lambda: None
        self.controller.power.on_power_loss = lambda: self.on_power_loss()
        self.controller.power.on_power_back = lambda: self.on_power_back()
        self.notifications: list[Callable[[dict[str, Any]], None]] = []
        self._energy_index_base = float(self.store.data["counters"].get("energy_index_wh", 0.0))
        self.requests_handled = 0  # since boot (a leak is freed by a reboot)

    # --- identity -------------------------------------------------------------------------------
    @property
    def serial_number(self) -> int:
        return self.store.charger["serial_number"]

    @property
    def device_id(self) -> str:
        serial = 500000 if "device_id_wrong_serial" in self.defects else self.serial_number
        if self.readings.is_("device_id_format", "padded"):
            return f"1p7k_{serial:06d}"
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
            name = _BY_LOWER[method.lower()]
            if not (name == "Serial_number.Get" and self.readings.is_("deprecated_method_served", "removed")):
                return name
        raise self.unknown_method(method)

    def unknown_method(self, method: Any) -> UnknownMethod:
        """'No handler' in the code this build uses (ambiguity unknown_method_code)."""
        code = _UNKNOWN_METHOD_CODES[self.readings["unknown_method_code"]]
        return UnknownMethod(code, f"No handler for {method}")

    def call(self, method: str, params: dict[str, Any]) -> Any:
        self.model.advance()
        self.requests_handled += 1
        name = self.resolve(method)
        extra = sorted(set(params) - set(DOCUMENTED_PARAMS.get(name, ())))
        if extra and self.readings.is_("extra_params", "rejected"):
            raise RpcError(UNKNOWN_KEY, f"{name} takes no param {extra[0]!r}")
        try:
            return HANDLERS[name](self, params)
        except RpcError as error:
            raise self._as_read(error) from None

    def _as_read(self, error: RpcError) -> RpcError:
        """The code this build answers where chapter 3 leaves it open (missing, null, schedule)."""
        code = error.code
        if error.kind == "schedule":
            code = {"range_4_missing_2": code, "format_5": KEY_FORMAT,
                    "general_fail": GENERAL_FAIL}[self.readings["schedule_validation_codes"]]
        elif error.kind == "missing_param" and self.readings.is_("missing_param_code", "general_fail"):
            code = GENERAL_FAIL
        elif error.kind == "null_param" and self.readings.is_("null_param_code", "json_format"):
            code = JSON_FORMAT
        if code == error.code:
            return error
        return RpcError(code, error.message)

    # --- configuration --------------------------------------------------------------------------
    def config_value(self, key: str, value: Any, *, from_app_config: bool = True) -> Any:
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
        if key in ("install_current", "user_current", "user_power"):
            self.controller.limit_set(key)  # a tie names the limit set last (reading limit_reason_tie)
        try:
            coerced = coerce(setting, value, **bounds, readings=self.readings, key=key,
                             from_app_config=from_app_config)
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
        self.store.app[key] = coerce(APP_SETTINGS[key], value, readings=self.readings, key=key,
                                     from_app_config=False)
        self.store.save()

    # --- live values ----------------------------------------------------------------------------
    def meter(self) -> MeterReading:
        charger = self.store.charger
        timing = self.controller.timing  # the meter's window and calibration (bench section, helper B)
        reading = read_meter(self.model.electrical_mean(timing.meter_window_s), charger["voltage_gain"],
                             charger["current_gain"], self.clock.now(), self.front_end,
                             gain_applied_twice="meter_gain_applied_twice" in self.defects,
                             voltage_error=timing.meter_voltage_error, current_error=timing.meter_current_error)
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
            **phase_values(self.readings, app.get("connected_phase", 1), round(reading.current_a, 2),
                           round(reading.voltage_v, 1)),
            "current_limit_reason": arbitration.reason,
            "temperature": temperature,
            "energy_index": round(self.energy_index_wh(reading), 2),
            "total_charged_energy": total_charged_energy(self.readings,
                                                         self.store.data["counters"]["total_charged_energy_wh"]),
            "headless": app["headless"],
            "led_max_brightness": app["led_max_brightness"],
            "install_current": app["install_current"],
            "dynamic_current": ctl.dynamic_current,
            "em_current": arbitration.limits["em_current"],
            "fw_version": self.fw_version,
            "extended_charger_state": extended,
            "has_active_errors": ctl.errors.any_active(),
            "charger_is_paused": extended in ("B_PAUSE", "B_SCHEDULER"),
            "heap_free": self.heap_free(),
            "pwm_current": ctl.s.pwm_current,
        }
        if "info_missing_pwm_current" in self.defects:
            del info["pwm_current"]
        return info

    def heap_free(self) -> int:
        """Free heap: the boot figure, jitter, and with defect heap_leak_per_request what the requests leaked."""
        leaked = LEAK_BYTES_PER_REQUEST * self.requests_handled if "heap_leak_per_request" in self.defects else 0
        return max(0, HEAP_FREE_BYTES - leaked) + int(self.clock.now() * 13) % HEAP_JITTER_BYTES

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

    @property
    def powered(self) -> bool:
        """Whether the firmware runs (mains on and booted)."""
        return self.controller.power.powered

    def power_on(self) -> None:
        """What the unit does when it comes back: reload flash, reset volatile state."""
        self.store.data["counters"]["energy_index_wh"] = self.energy_index_wh(self.meter())
        self.store.save()
        self.store.reload()
        for defect, key in _NOT_PERSISTED.items():
            if defect in self.defects:
                self.store.app[key] = APP_SETTINGS[key].default
        self.stale_app_values.clear()
        self.requests_handled = 0
        self._energy_index_base = float(self.store.data["counters"].get("energy_index_wh", 0.0)) - self.meter().energy_wh
        self.controller.reboot()
        if self.readings.is_("dynamic_current_volatile", "persisted") and "dynamic_current" in self.store.data:
            self.controller.dynamic_current = self.store.data["dynamic_current"]  # a factory reset drops it


def phase_values(readings: ActiveReadings, connected_phase: int, amps: float, volts: float) -> dict[str, Any]:
    """Charger_info's scalar and per-phase current/voltage on a single-phase unit, as the readings
    single_phase_arrays and current_voltage_scalar_meaning say (bench section, helper B)."""
    index = min(max(int(connected_phase or 1), 1), 3) - 1
    arrays = readings["single_phase_arrays"]
    if arrays == "single_element":
        currents, voltages = [amps], [volts]
    else:
        at = index if arrays == "at_connected_index" else 0
        currents, voltages = [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]
        currents[at], voltages[at] = amps, volts
    scalar = readings["current_voltage_scalar_meaning"]
    current, voltage = (currents[0], voltages[0]) if scalar == "l1" else (amps, volts)
    return {"current": current, "currents": currents, "voltage": voltage, "voltages": voltages}


def total_charged_energy(readings: ActiveReadings, wh: float) -> int | float:
    """6.5's total_charged_energy: integer Wh, kWh truncated, or Wh as a float (reading
    total_charged_energy_type_unit)."""
    unit = readings["total_charged_energy_type_unit"]
    if unit == "kwh_truncated":
        return int(wh // 1000)
    return round(wh, 2) if unit == "wh_float" else int(wh)


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
