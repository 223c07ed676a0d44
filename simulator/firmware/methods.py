"""The 35 RPC methods of the vendor's list (spec chapter 6), as the firmware implements them.

Each handler takes the charger and the params object and returns the result, or raises
:class:`RpcError` with the documented code.  Handlers are registered under the spec's spelling;
the dispatcher matches names case-insensitively (field-facts §1).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from simulator.firmware import params as p
from simulator.firmware.errors_register import ERROR_FLAGS
from simulator.firmware.json_parser import first_of
from simulator.firmware.rpc_errors import (
    GENERAL_FAIL,
    KEY_FORMAT,
    PROHIBITED,
    UNKNOWN_KEY,
    VALUE_LENGTH,
    VALUE_RANGE,
    RpcError,
)
from simulator.firmware.settings import APP_SETTINGS, CHARGER_SETTINGS, coerce

if TYPE_CHECKING:
    from simulator.firmware.charger import VirtualCharger

Handler = Callable[["VirtualCharger", dict[str, Any]], Any]
HANDLERS: dict[str, Handler] = {}
DOCUMENTED_PARAMS: dict[str, tuple[str, ...]] = {}  # the params each method's "Request params format" names


def rpc(name: str, *params: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[name] = handler
        DOCUMENTED_PARAMS[name] = params
        return handler
    return register


def null_form(fw: VirtualCharger, values: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """How a getter shows a NULL string key (ambiguity null_string_defaults): "", null, or no key."""
    reading = fw.readings["null_string_defaults"]
    out = dict(values)
    for key in keys:
        if key in out and out[key] is None:
            if reading == "omitted":
                del out[key]
            elif reading == "empty_string":
                out[key] = ""
    return out


STRING_KEYS = tuple(name for name, setting in APP_SETTINGS.items() if setting.kind is str)


# --- 6.1, 6.2, 6.27, 6.28: session control ----------------------------------------------------
@rpc("Charge.Start", "tag")
def charge_start(fw: VirtualCharger, params: dict[str, Any]) -> bool:
    if "tag" in params and not isinstance(params["tag"], str):
        raise p.wrong_type("tag", params["tag"], "a string")
    if fw.store.app["charger_locked"]:
        raise RpcError(PROHIBITED, "charger is locked")
    fw.controller.authorized, fw.controller.user_stopped = True, False
    return True


@rpc("Charge.Stop")
def charge_stop(fw: VirtualCharger, params: dict[str, Any]) -> bool:
    fw.controller.authorized, fw.controller.user_stopped = False, True
    return True


@rpc("Charge.Pause")
def charge_pause(fw: VirtualCharger, params: dict[str, Any]) -> bool:
    fw.controller.paused = True
    return True


@rpc("Charge.Resume")
def charge_resume(fw: VirtualCharger, params: dict[str, Any]) -> bool:
    if fw.controller.state in ("C", "D") and fw.readings.is_("charge_resume_description_copied", "restricted"):
        raise RpcError(PROHIBITED, "Charge.Resume is accessible only in states A, B, E, F")
    if "resume_ignored" not in fw.defects:
        fw.controller.paused = False
    return True


# --- 6.3, 6.4, 6.21: configuration ---------------------------------------------------------------
@rpc("App_config.Get")
def app_config_get(fw: VirtualCharger, params: dict[str, Any]) -> dict[str, Any]:
    config = null_form(fw, {**fw.store.app, **fw.stale_app_values}, STRING_KEYS)
    if "app_config_missing_timezone" in fw.defects:
        config.pop("timezone", None)
    return config


@rpc("App_config.Set", "config_key", "config_value")
def app_config_set(fw: VirtualCharger, params: dict[str, Any]) -> bool:
    key = p.required(params, "config_key")
    if "config_value" not in params and "missing_bool_value_stored_false" in fw.defects \
            and isinstance(key, str) and key in APP_SETTINGS and APP_SETTINGS[key].kind is bool:
        fw.store.app[key] = False  # cJSON_IsTrue() of a missing item: false, stored without a check
        fw.store.save()
        return True
    value = p.required(params, "config_value")
    if not isinstance(key, str):
        raise p.wrong_type("config_key", key, "a string")
    if key in CHARGER_SETTINGS:
        return set_charger_key(fw, key, value)
    if key not in APP_SETTINGS:
        raise RpcError(VALUE_RANGE if "unknown_key_code" in fw.defects else UNKNOWN_KEY, f"unknown key '{key}'")
    fw.store.app[key] = fw.config_value(key, value)
    if "duplicate_key_parser_differential" in fw.defects:  # checked the last value, stores the first
        fw.store.app[key] = first_of(params, "config_value", fw.store.app[key])
    if "extra_param_applied" in fw.defects:  # a bulk-set path left in: every param naming a key is applied
        for name, extra in params.items():
            if name in APP_SETTINGS and name != key:
                fw.store.app[name] = fw.config_value(name, extra)
    fw.store.save()
    return True


def set_charger_key(fw: VirtualCharger, key: str, value: Any) -> bool:
    """A chapter 5 key through App_config.Set: unknown, read-only, or writable (set_charger_key_code)."""
    reading = fw.readings["set_charger_key_code"]
    if reading == "unknown_key_6":
        raise RpcError(UNKNOWN_KEY, f"unknown key '{key}'")
    if reading == "prohibited_7":
        raise RpcError(PROHIBITED, f"'{key}' is read-only")
    setting = CHARGER_SETTINGS[key]
    if setting.kind is str:  # board_revision: one letter A-Z
        if not (isinstance(value, str) and len(value) == 1 and "A" <= value <= "Z"):
            raise RpcError(KEY_FORMAT, f"'{key}' is one letter A-Z")
        coerced: Any = value
    else:
        coerced = coerce(setting, value, readings=fw.readings, key=key)
    fw.store.charger[key] = coerced
    fw.store.save()
    return True


@rpc("Charger_config.Get")
def charger_config_get(fw: VirtualCharger, params: dict[str, Any]) -> dict[str, Any]:
    config = dict(fw.store.charger)
    if fw.readings.is_("serial_number_type_mismatch", "string_key"):
        config["serial_number"] = f"{config['serial_number']:06d}"
    if "charger_config_missing_rcd" in fw.defects:
        config.pop("rcd_enabled")
    return config


# --- 6.5, 6.6, 6.8, 6.11, 6.14, 6.17, 6.29: identity and live information -----------------------
@rpc("Charger_info.Get")
def charger_info_get(fw: VirtualCharger, params: dict[str, Any]) -> dict[str, Any]:
    return fw.charger_info()


@rpc("Sw_version.Get")
def sw_version_get(fw: VirtualCharger, params: dict[str, Any]) -> dict[str, Any]:
    version = "1.46" if "sw_version_mismatch" in fw.defects else fw.fw_version
    return {"fw_version": version, "fw_id": fw.fw_id}


@rpc("Board_revision.Get")
def board_revision_get(fw: VirtualCharger, params: dict[str, Any]) -> dict[str, Any]:
    return {"board_revision": fw.store.charger["board_revision"]}


@rpc("Serial_number.Get")
def serial_number_get(fw: VirtualCharger, params: dict[str, Any]) -> dict[str, Any]:
    serial = fw.store.charger["serial_number"]
    if "serial_number_as_int" in fw.defects:
        return {"serial_number": serial}
    unpadded = fw.readings.is_("serial_number_type_mismatch", "unpadded")
    return {"serial_number": str(serial) if unpadded else f"{serial:06d}"}


@rpc("Device_id.Get")
def device_id_get(fw: VirtualCharger, params: dict[str, Any]) -> dict[str, Any]:
    return {"device_id": fw.device_id}


@rpc("Wifi_status.Get")
def wifi_status_get(fw: VirtualCharger, params: dict[str, Any]) -> dict[str, Any]:
    rssi: Any = -57
    if "wifi_rssi_string" in fw.defects:
        rssi = "-57"
    status: dict[str, Any] = {"connected": True, "sta_ip": fw.host_ip, "sta_name": "lektrico-lab", "rssi": rssi}
    form = fw.readings["bssid_unknown"]
    if form.startswith("known"):
        status["bssid"] = BSSID.upper() if form == "known_upper" else BSSID
    elif form != "omitted":  # this build does not know its BSSID and says so as "" or null
        status["bssid"] = "" if form == "empty" else None
    return status


BSSID = "02:00:00:4c:6b:01"


@rpc("Device_info.Get")
def device_info_get(fw: VirtualCharger, params: dict[str, Any]) -> dict[str, Any]:
    app = fw.store.app
    return null_form(fw, {"device_id": fw.device_id, "connected_phase": app["connected_phase"],
                          "fw_version": fw.fw_version, "charger_alias": app["charger_alias"]}, ("charger_alias",))


# --- 6.12, 6.13, 6.20, 6.22: measurements and counters -------------------------------------------
@rpc("Pwm_value.Get")
def pwm_value_get(fw: VirtualCharger, params: dict[str, Any]) -> dict[str, Any]:
    value = fw.pwm_fraction()
    if value == 1.0 and fw.readings.is_("pwm_value_without_pwm", "off_is_0"):
        value = 0.0  # a constant +12 V is no PWM: the generator is off
    return {"pwm_value": round(value * 100, 2) if "pwm_value_percent" in fw.defects else round(value, 4)}


@rpc("Adc_state.Get")
def adc_state_get(fw: VirtualCharger, params: dict[str, Any]) -> dict[str, Any]:
    letter, raw, _low = fw.model.adc()
    return {"adc_state": letter, "adc_raw": raw}


@rpc("System_currents.Get")
def system_currents_get(fw: VirtualCharger, params: dict[str, Any]) -> dict[str, Any]:
    arbitration = fw.arbitration()
    limits = dict(arbitration.limits)
    if fw.readings.is_("ocpp_current_description", "mirrors_system_max"):
        limits["ocpp_current"] = limits["system_max_current"]
    return {**limits, "charging_current": arbitration.charging_current}


@rpc("Counters_config.Get")
def counters_config_get(fw: VirtualCharger, params: dict[str, Any]) -> dict[str, Any]:
    counters = fw.store.data["counters"]
    return {"total_charged_time": counters["total_charged_time_min"],
            "total_charged_sessions": counters["total_charged_sessions"],
            "total_charged_energy": round(counters["total_charged_energy_wh"] / 1000.0, 3),
            "last_session_energy": counters["last_session_energy_wh"]}


# --- 6.15, 6.18, 6.19: currents ------------------------------------------------------------------
@rpc("Install_current.Set", "install_current")
def install_current_set(fw: VirtualCharger, params: dict[str, Any]) -> bool:
    value = p.required(params, "install_current")
    if isinstance(value, bool) or not isinstance(value, int):
        raise p.wrong_type("install_current", value, "an integer")
    if "install_set_not_in_app_config" in fw.defects:
        fw.stale_app_values.setdefault("install_current", fw.store.app["install_current"])
    fw.store.app["install_current"] = fw.config_value("install_current", value, from_app_config=False)
    if "duplicate_key_parser_differential" in fw.defects:  # checked the last value, stores the first
        fw.store.app["install_current"] = first_of(params, "install_current", fw.store.app["install_current"])
    fw.store.save()
    return True


@rpc("Dynamic_current.Set", "dynamic_current")
def dynamic_current_set(fw: VirtualCharger, params: dict[str, Any]) -> bool:
    if "dynamic_current" not in params and "dynamic_current_missing_param_true" in fw.defects:
        return True
    high = 33 if "dynamic_current_accepts_33" in fw.defects else 32
    fw.controller.dynamic_current = p.integer(params, "dynamic_current", 0, high)
    if "duplicate_key_parser_differential" in fw.defects:  # checked the last value, stores the first
        fw.controller.dynamic_current = first_of(params, "dynamic_current", fw.controller.dynamic_current)
    if fw.readings.is_("dynamic_current_volatile", "persisted"):
        fw.store.data["dynamic_current"] = fw.controller.dynamic_current
        fw.store.save()
    return True


@rpc("Dynamic_current.Get")
def dynamic_current_get(fw: VirtualCharger, params: dict[str, Any]) -> dict[str, Any]:
    spaced = fw.readings.is_("dynamic_current_trailing_space", "with_space")
    return {"dynamic_current " if spaced else "dynamic_current": fw.controller.dynamic_current}


# --- 6.9, 6.10, 6.16: errors -----------------------------------------------------------------------
@rpc("Logged_errors.Get")
def logged_errors_get(fw: VirtualCharger, params: dict[str, Any]) -> dict[str, bool]:
    return {flag: fw.controller.errors.logged[flag] for flag in ERROR_FLAGS}


@rpc("Logged_errors.Reset")
def logged_errors_reset(fw: VirtualCharger, params: dict[str, Any]) -> bool:
    errors = fw.controller.errors
    kept = errors.logged["rcd_error"] and "rcd_logged_not_reset" in fw.defects  # the RCD log is not cleared
    errors.reset_logged()
    errors.logged["rcd_error"] = errors.logged["rcd_error"] or kept
    return True


@rpc("Active_errors.Get")
def active_errors_get(fw: VirtualCharger, params: dict[str, Any]) -> dict[str, bool]:
    return {flag: fw.controller.errors.active[flag] for flag in ERROR_FLAGS}


# --- 6.7, 6.23, 6.24, 6.25, 6.30: device operations ------------------------------------------------
@rpc("Device.Reset")
def device_reset(fw: VirtualCharger, params: dict[str, Any]) -> bool:
    if fw.readings.is_("device_reset_during_session", "reject") and fw.controller.state in ("C", "D") \
            and "reset_ignores_session" not in fw.defects:
        raise RpcError(-7, "a charging session is active")  # reading device_reset_during_session (helper B)
    fw.request_reboot(wait_for_session="reset_ignores_session" not in fw.defects)
    return True


@rpc("Factory.Reset")
def factory_reset(fw: VirtualCharger, params: dict[str, Any]) -> bool:
    keep = ("user_current",) if "factory_reset_keeps_user_current" in fw.defects else ()
    fw.store.factory_reset(keep=keep)
    fw.request_reboot(wait_for_session=False)
    return True


@rpc("Ota.Verify")
def ota_verify(fw: VirtualCharger, params: dict[str, Any]) -> bool:
    fw.controller.start_ota(fw.clock.now())
    return True


@rpc("Session_energy.Reset")
def session_energy_reset(fw: VirtualCharger, params: dict[str, Any]) -> bool:
    if fw.controller.state in ("C", "D") and "session_energy_reset_in_c" not in fw.defects:
        code = fw.readings["state_restricted_code"]  # reading state_restricted_code (helper B)
        if code == "accepted_ignored":
            return True
        raise RpcError(PROHIBITED if code == "prohibited" else -1,
                       "session energy can only be reset in states A, B, E, F")
    if "session_energy_not_reset" not in fw.defects:
        fw.reset_session_energy()
    return True


@rpc("Heartbeat.Trigger")
def heartbeat_trigger(fw: VirtualCharger, params: dict[str, Any]) -> bool:
    if fw.readings.is_("heartbeat_notification_channel", "ocpp_only"):
        return True  # an OCPP Heartbeat.req, when a central system is configured; nothing on the WebSocket
    fw.notify("NotifyHeartbeat", {"ts": round(fw.clock.now(), 3), "device_id": fw.device_id})
    return True


# --- 6.26, 6.34, 6.35: credentials -----------------------------------------------------------------
@rpc("Ap_password.Set", "password")
def ap_password_set(fw: VirtualCharger, params: dict[str, Any]) -> bool:
    password = p.string(params, "password")
    short = 7 if "ap_password_short_accepted" in fw.defects else 8
    long = 64 if "ap_password_long_accepted" in fw.defects else 63
    empty_ok = "ap_password_empty_rejected" not in fw.defects
    length = len(password.encode()) if fw.readings.is_("ap_password_length_unit", "utf8_bytes") else len(password)
    if not (password == "" and empty_ok) and not short <= length <= long:
        code = {"length_3": VALUE_LENGTH, "range_4": VALUE_RANGE, "format_5": KEY_FORMAT}[
            fw.readings["ap_password_length_code"]]
        raise RpcError(code, "password must be 8 to 63 characters, or empty to remove it")
    fw.store.data["ap_password"] = password
    fw.store.save()
    return True


def _pin(fw: VirtualCharger, params: dict[str, Any]) -> str:
    pin = p.string(params, "pin")
    reading = fw.readings["pin_invalid_code"]
    length_code, digits_code = (VALUE_RANGE, VALUE_RANGE) if reading == "range_4" else (VALUE_LENGTH, KEY_FORMAT)
    wrong_length = len(pin) != 4 and not ("pin_length_unchecked" in fw.defects and len(pin) == 5)
    not_digits = not (pin.isascii() and pin.isdigit()) and "pin_digits_unchecked" not in fw.defects  # 0-9 only
    if not_digits and reading == "digits_first_5":
        raise RpcError(digits_code, "PIN must be digits")
    if wrong_length:
        raise RpcError(length_code, "PIN must be 4 digits")
    if not_digits:
        raise RpcError(digits_code, "PIN must be digits")
    return pin


@rpc("Pin.Set", "pin")
def pin_set(fw: VirtualCharger, params: dict[str, Any]) -> bool:
    fw.store.data["pin"] = _pin(fw, params)
    fw.store.save()
    return True


@rpc("Pin.Check", "pin")
def pin_check(fw: VirtualCharger, params: dict[str, Any]) -> bool:
    pin = _pin(fw, params)
    if pin != fw.store.data["pin"] and "pin_check_accepts_any" not in fw.defects:
        reading = fw.readings["pin_check_mismatch"]
        if reading == "false":
            return False
        raise RpcError(GENERAL_FAIL if reading == "error_1" else PROHIBITED, "wrong PIN")
    return True


# --- 6.31, 6.32, 6.33: charging schedule -----------------------------------------------------------
_INTERVAL_RANGES = {"start_d": (1, 7), "start_h": (0, 23), "start_m": (0, 59), "end_d": (1, 7),
                    "end_h": (0, 23), "end_m": (0, 59), "current": (0, 32), "lb_mode": (1, 3)}
MAX_INTERVALS = {"lenient": 16, "strict": 7}  # by reading of schedule_interval_rules


def _schedule_error(error: RpcError) -> RpcError:
    """An interval's error, its code a reading of schedule_validation_codes."""
    return RpcError(error.code, error.message, kind="schedule")


def _minute_of_week(interval: dict[str, int], side: str) -> int:
    return ((interval[f"{side}_d"] - 1) * 24 + interval[f"{side}_h"]) * 60 + interval[f"{side}_m"]


def _strict_rules(cleaned: list[dict[str, int]], inclusive_end: bool) -> None:
    """Reading "strict": no interval ending before it starts, no two intervals overlapping.  With an
    inclusive end minute (reading schedule_end_minute) an interval ends a minute after its end fields,
    so end == start is a one-minute interval, not an empty one."""
    spans = []
    for entry in cleaned:
        start, end = _minute_of_week(entry, "start"), _minute_of_week(entry, "end") + (1 if inclusive_end else 0)
        if end <= start:
            raise _schedule_error(RpcError(VALUE_RANGE, "an interval must end after it starts"))
        spans.append((start, end))
    spans.sort()
    if any(later[0] < earlier[1] for earlier, later in zip(spans, spans[1:])):
        raise _schedule_error(RpcError(VALUE_RANGE, "intervals overlap"))


@rpc("Charging_schedule.Set", "charging_schedule")
def charging_schedule_set(fw: VirtualCharger, params: dict[str, Any]) -> bool:
    intervals = p.required(params, "charging_schedule")
    if not isinstance(intervals, list):
        raise p.wrong_type("charging_schedule", intervals, "an array")
    rules = fw.readings["schedule_interval_rules"]
    if len(intervals) > MAX_INTERVALS[rules]:
        raise RpcError(VALUE_LENGTH, f"at most {MAX_INTERVALS[rules]} intervals")
    cleaned = []
    for interval in intervals:
        if not isinstance(interval, dict):
            raise _schedule_error(RpcError(KEY_FORMAT, "each interval must be an object"))
        try:
            entry = {name: p.integer(interval, name, low, high) for name, (low, high) in _INTERVAL_RANGES.items()}
        except RpcError as error:
            raise _schedule_error(error) from None
        if 0 < entry["current"] < 6 and "schedule_accepts_current_5" not in fw.defects:
            raise _schedule_error(RpcError(VALUE_RANGE, "interval current must be 0 or 6..32"))
        cleaned.append(entry)
    if rules == "strict":
        _strict_rules(cleaned, fw.readings.is_("schedule_end_minute", "inclusive"))
    fw.store.data["schedule"] = cleaned
    fw.store.save()
    return True


@rpc("Charging_schedule.Get")
def charging_schedule_get(fw: VirtualCharger, params: dict[str, Any]) -> dict[str, Any]:
    intervals = [dict(i) for i in fw.store.data["schedule"]]
    if "schedule_get_drops_lb_mode" in fw.defects:
        for interval in intervals:
            interval.pop("lb_mode")
    return {"charging_schedule": intervals}


@rpc("Charging_schedule.Override")
def charging_schedule_override(fw: VirtualCharger, params: dict[str, Any]) -> bool:
    """6.33 'Ignore charging schedule for the current charging session. Charging schedule is reactivated
    when the car is disconnected.'  With an EV plugged in (a session open) the schedule is off until the
    unplug; with none there is no current session, and what the call does is reading
    schedule_override_without_ev."""
    controller = fw.controller
    ignored = "schedule_override_ignored" in fw.defects
    if controller.session is not None:
        controller.schedule_overridden = controller.schedule_overridden or not ignored
        return True
    reading = fw.readings["schedule_override_without_ev"]
    if reading == "refused":
        raise RpcError(GENERAL_FAIL, "no charging session")
    if reading == "next_session" and not ignored:
        controller.schedule_override_armed = True  # taken by the next plug-in (ChargingController._start_session)
    return True


assert len(HANDLERS) == 35, f"the RPC list has 35 methods, the firmware registers {len(HANDLERS)}"
assert not set(APP_SETTINGS) & set(CHARGER_SETTINGS)
