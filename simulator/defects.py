"""The catalogue of named firmware defects the virtual charger can be started with.

Each defect is a realistic bug a firmware team could ship.  The firmware checks for it where the
bug would live (``"name" in defects``); the project's mutation test starts the virtual bench with
each one and proves the suites go red.  ``suites`` names where a catching test is expected, only
to order the mutation run (a defect not caught there is still hunted by the whole suite).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Defect:
    name: str
    area: str
    summary: str
    suites: tuple[str, ...]
    limit: str | None = None  # a boundary defect: just outside this limit of benches/default-limits.toml


def _d(name: str, area: str, summary: str, *suites: str, limit: str | None = None) -> Defect:
    return Defect(name, area, summary, tuple(suites), limit)


API = "suites/api"
FRAMING = "suites/api/test_framing.py"
WEBSOCKET = "suites/api/test_websocket.py"
KEYS = "suites/api/test_app_config_keys.py"
METHODS = "suites/api/test_method_schemas.py"
PARAMS = "suites/api/test_method_params.py"
CONSISTENCY = "suites/api/test_consistency.py"
SECRETS = "suites/api/test_credentials.py"
RESETS = "suites/api/test_resets.py"
SCHEDULE = "suites/api/test_schedule_api.py"
STATES = "suites/bench/test_states.py"
PWM = "suites/bench/test_pwm_mapping.py"
METERING = "suites/bench/test_metering.py"
SESSION = "suites/bench/test_session_control.py"
FAULTS = "suites/bench/test_cp_faults.py"
RCD = "suites/bench/test_rcd.py"
OVERCURRENT = "suites/bench/test_overcurrent.py"
CONTACTOR = "suites/bench/test_contactor_failure.py"
MAINS = "suites/bench/test_mains.py"
TEMPERATURE = "suites/bench/test_temperature.py"
SCHEDULE_TIME = "suites/bench/test_schedule.py"
FUZZ = "suites/api/test_fuzz.py"
LOAD = "suites/api/test_load.py"

CATALOGUE: dict[str, Defect] = {d.name: d for d in (
    # --- framing ------------------------------------------------------------------------------
    _d("id_not_echoed", "framing", "replies carry id 0 instead of the request's id", FRAMING),
    _d("string_id_coerced", "framing", "a string id is echoed back as a number", FRAMING),
    _d("notification_answered", "framing", "a frame without id gets a reply", FRAMING),
    _d("case_sensitive_methods", "framing", "method names only match with the spec's exact case", FRAMING),
    _d("dst_not_set", "framing", "frame replies omit dst (the caller's src)", FRAMING),
    _d("url_errors_http_200", "framing", "per-method URL calls report errors with HTTP 200", FRAMING),
    _d("unknown_method_true", "framing", "an unknown method answers true instead of an error", FRAMING),
    _d("ws_notification_has_id", "framing", "WebSocket notifications carry an id, so clients take them for replies",
       WEBSOCKET),
    # --- configuration keys -------------------------------------------------------------------
    _d("install_current_accepts_33", "config", "install_current upper bound off by one (33 accepted)", KEYS, PARAMS),
    _d("install_current_rejects_6", "config", "install_current lower bound off by one (6 rejected)", KEYS),
    _d("user_current_accepts_5", "config", "user_current accepts 5 A", KEYS),
    _d("led_brightness_rejects_100", "config", "led_max_brightness rejects its maximum 100", KEYS),
    _d("gmt_offset_unsigned", "config", "gmt_offset stored unsigned: negative offsets rejected", KEYS),
    _d("user_power_range_code", "config", "user_power out of range answered -5 instead of -4", KEYS),
    _d("unknown_key_code", "config", "an unknown key answered -4 instead of -6", KEYS),
    _d("bool_key_accepts_int", "config", "boolean keys accept 0/1 integers", KEYS),
    _d("led_dimming_delay_16bit", "config", "led_dimming_delay kept in 16 bits: values above 65535 rejected", KEYS),
    _d("user_current_not_applied", "config", "App_config.Set user_current answers true but keeps the old value", KEYS),
    _d("latitude_truncated", "config", "latitude stored as an integer (45.5 reads back 45)", KEYS),
    _d("led_template_unvalidated", "config", "led_template accepted with any number of values", KEYS),
    _d("string_for_int_sets_zero", "config", "a non-numeric string for an integer key stores 0", KEYS),
    _d("led_brightness_not_persisted", "config", "led_max_brightness lost on Device.Reset", RESETS),
    _d("alias_not_persisted", "config", "charger_alias lost on Device.Reset", RESETS),
    _d("factory_reset_keeps_user_current", "config", "Factory.Reset leaves user_current as set", RESETS),
    _d("rejected_value_half_applied", "config", "a rejected out-of-range install_current still changes the live limit", KEYS, CONSISTENCY),
    # --- method results -----------------------------------------------------------------------
    _d("info_missing_pwm_current", "schema", "Charger_info.Get lacks pwm_current", METHODS),
    _d("info_temperature_string", "schema", "Charger_info.Get reports temperature as a string", METHODS),
    _d("serial_number_as_int", "schema", "Serial_number.Get returns an integer", METHODS),
    _d("charger_config_missing_rcd", "schema", "Charger_config.Get lacks rcd_enabled", METHODS),
    _d("app_config_missing_timezone", "schema", "App_config.Get lacks timezone", METHODS),
    _d("wifi_rssi_string", "schema", "Wifi_status.Get reports rssi as a string", METHODS),
    # --- method parameters and cross-method consistency ---------------------------------------
    _d("dynamic_current_accepts_33", "params", "Dynamic_current.Set accepts 33", PARAMS),
    _d("dynamic_current_missing_param_true", "params", "Dynamic_current.Set without its param answers true", PARAMS),
    _d("install_set_not_in_app_config", "consistency", "Install_current.Set not reflected in App_config.Get", CONSISTENCY),
    _d("device_id_wrong_serial", "consistency", "Device_id.Get built from a stale serial number", CONSISTENCY),
    _d("sw_version_mismatch", "consistency", "Sw_version.Get and Charger_info.Get report different versions", CONSISTENCY),
    _d("schedule_accepts_current_5", "params", "Charging_schedule.Set accepts a current of 5 A", SCHEDULE),
    _d("schedule_get_drops_lb_mode", "schema", "Charging_schedule.Get omits lb_mode", SCHEDULE),
    # --- credentials --------------------------------------------------------------------------
    _d("pin_length_unchecked", "credentials", "Pin.Set accepts 5 digits", SECRETS),
    _d("pin_digits_unchecked", "credentials", "Pin.Set accepts non-digits", SECRETS),
    _d("pin_check_accepts_any", "credentials", "Pin.Check answers true for a wrong PIN", SECRETS),
    _d("ap_password_short_accepted", "credentials", "Ap_password.Set accepts 7 characters", SECRETS),
    _d("ap_password_long_accepted", "credentials", "Ap_password.Set accepts 64 characters", SECRETS),
    _d("ap_password_empty_rejected", "credentials", "Ap_password.Set rejects the empty password that clears it", SECRETS),
    # --- physical: PWM, contactor, metering, states --------------------------------------------
    _d("duty_formula_wrong_above_20a", "pwm", "duty computed with the 51-80 A formula above 20 A", PWM),
    _d("pwm_frequency_1100hz", "pwm", "CP PWM runs at 1100 Hz", PWM),
    _d("install_current_not_limiting", "pwm", "PWM ignores install_current", PWM),
    _d("user_power_ignored", "pwm", "user_power not converted into a current limit", PWM),
    _d("wrong_limit_reason_dynamic", "pwm", "dynamic limit reported as reason 2 (user)", PWM),
    _d("pwm_current_stale", "pwm", "pwm_current not updated when the limit changes", PWM),
    _d("pwm_value_percent", "pwm", "Pwm_value.Get answers percent instead of 0..1", PWM),
    _d("dynamic_zero_keeps_charging", "pwm", "dynamic_current 0 still advertises 6 A", PWM, SESSION),
    _d("slow_contactor_close", "states", "contactor closes 4 s after state C", STATES),
    _d("slow_contactor_open", "states", "contactor opens 300 ms after C->B", STATES),
    _d("contactor_closes_in_b", "states", "contactor closes while the EV is in state B", STATES),
    _d("ev_d_treated_as_c", "states", "EV state D reported as C", STATES),
    _d("state_e_not_reported", "states", "a CP-PE short is reported as state A", STATES, FAULTS),
    _d("diode_check_missing", "states", "a shorted EV diode is not detected", STATES, FAULTS),
    _d("pwm_kept_on_pause", "session", "Charge.Pause keeps the PWM on", SESSION),
    _d("pause_never_opens", "session", "paused with the EV still in C, the contactor never opens", SESSION),
    _d("locked_still_charges", "session", "charger_locked true still lets the EV charge", SESSION),
    _d("headless_ignored", "session", "headless false still charges without Charge.Start", SESSION),
    _d("resume_ignored", "session", "Charge.Resume answers true but charging stays paused", SESSION),
    _d("session_energy_reset_in_c", "session", "Session_energy.Reset allowed while charging", SESSION),
    _d("session_energy_not_reset", "session", "Session_energy.Reset answers true but keeps the energy", SESSION),
    _d("meter_gain_applied_twice", "metering", "current_gain applied twice in the meter", METERING),
    _d("meter_current_offset", "metering", "meter current has a +0.4 A offset", METERING),
    _d("energy_index_frozen", "metering", "energy_index does not advance while charging", METERING),
    _d("sessions_not_counted", "metering", "total_charged_sessions not incremented at session end", METERING, SESSION),
    _d("reset_ignores_session", "session", "Device.Reset reboots at once during a charging session", SESSION),
    # --- boundary defects: each just outside one limit (its correct twin runs with --near-limit) -----
    _d("slow_contactor_close_3_2s", "states", "contactor closes 3.2 s after state C (limit 3 s)", STATES,
       limit="contactor_close_s"),
    _d("contactor_open_120ms", "states", "contactor opens 120 ms after C->B (limit 100 ms)", STATES,
       limit="contactor_open_s"),
    _d("fault_open_120ms", "faults", "contactor opens 120 ms after a CP fault (limit 100 ms)", FAULTS,
       limit="fault_response_s"),
    _d("pwm_frequency_1022hz", "pwm", "CP PWM runs at 1022 Hz (limit 1020 Hz)", PWM, limit="frequency_max_hz"),
    _d("pwm_frequency_978hz", "pwm", "CP PWM runs at 978 Hz (limit 980 Hz)", PWM, limit="frequency_min_hz"),
    _d("duty_offset_0_6pct", "pwm", "CP duty 0.6 % above the Annex A value (limit ±0.5 %)", PWM,
       limit="duty_tolerance_pct"),
    _d("pwm_update_5_5s", "pwm", "PWM follows a new current limit after 5.5 s (limit 5 s)", PWM,
       limit="pwm_update_s"),
    _d("pause_opens_5_8s", "session", "paused with the EV in C, the contactor opens under load after 5.8 s "
       "(at least 6 s)", SESSION, limit="pause_open_min_s"),
    _d("pause_opens_9_3s", "session", "paused with the EV in C, the contactor opens after 9.3 s (at most 9 s)",
       SESSION, limit="pause_open_max_s"),
    _d("state_f_shown_0_2s", "faults", "state F after a diode fault shown for 0.2 s (at least 0.3 s)", FAULTS,
       limit="state_f_min_s"),
    _d("meter_error_1_3pct", "metering", "meter current reads 1.3 % high (class 1: 1 %)", METERING,
       limit="meter_error_pct"),
    _d("last_session_energy_2wh_short", "metering", "last_session_energy booked 2 Wh short (1 Wh resolution)",
       METERING, SESSION, limit="counter_resolution_wh"),
    # --- protective functions (simulator/firmware/protection.py, power.py) ------------------------
    # residual current: trip times are residual change -> contacts open, as an RCD tester times them
    _d("rcd_dc_6ma_10_5s", "rcd", "6 mA DC trips after 10.5 s (IEC 62955: 10 s)", RCD, limit="rcd_dc_6ma_trip_s"),
    _d("rcd_dc_60ma_0_32s", "rcd", "60 mA DC trips after 0.32 s (0.3 s)", RCD, limit="rcd_dc_60ma_trip_s"),
    _d("rcd_dc_200ma_0_11s", "rcd", "200 mA DC trips after 0.11 s (0.1 s)", RCD, limit="rcd_dc_200ma_trip_s"),
    _d("rcd_ac_1x_0_32s", "rcd", "30 mA AC (1 x IΔn) trips after 0.32 s (0.3 s)", RCD, limit="rcd_ac_1x_trip_s"),
    _d("rcd_ac_2x_0_16s", "rcd", "60 mA AC (2 x IΔn) trips after 0.16 s (0.15 s)", RCD, limit="rcd_ac_2x_trip_s"),
    _d("rcd_ac_5x_0_045s", "rcd", "150 mA AC (5 x IΔn) trips after 45 ms (40 ms)", RCD, limit="rcd_ac_5x_trip_s"),
    _d("rcd_dc_trips_at_2_9ma", "rcd", "the DC channel trips from 2.9 mA: a 3 mA leakage stops charging "
       "(no trip below 3 mA)", RCD, limit="rcd_dc_no_trip_ma"),
    _d("rcd_ac_trips_at_14ma", "rcd", "the AC channel trips from 14 mA: 0.5 x IΔn (15 mA) stops charging", RCD,
       limit="rcd_ac_no_trip_ma"),
    _d("rcd_ac_2x_slow_0_5s", "rcd", "2 x IΔn AC trips after 0.5 s (a slow filter on the AC channel)", RCD),
    _d("rcd_dc_threshold_6_5ma", "rcd", "the DC threshold set to 6.5 mA: 6 mA DC never trips", RCD),
    _d("rcd_ac_threshold_32ma", "rcd", "the AC threshold set to 32 mA: 30 mA AC never trips", RCD),
    _d("rcd_dc_channel_dead", "rcd", "the DC residual channel is never read: no DC trip at all", RCD),
    _d("rcd_ac_channel_dead", "rcd", "the AC residual channel is never read: no AC trip at all", RCD),
    _d("rcd_no_latch", "rcd", "the logged rcd_error is cleared with the active one", RCD),
    _d("rcd_logged_not_reset", "rcd", "Logged_errors.Reset leaves rcd_error logged", RCD),
    _d("rcd_resumes_with_fault", "rcd", "an unplug clears the trip and re-zeroes the sensor on the residual "
       "still present: the next plug-in charges into the fault", RCD),
    _d("rcd_closes_with_residual", "rcd", "the residual current is watched only while the contactor is "
       "closed: it closes into a present fault, then trips", RCD),
    _d("rcd_error_not_active", "rcd", "a trip opens the contactor but never sets rcd_error active", RCD),
    _d("rcd_trip_not_shown", "rcd", "a trip opens the contactor but the charger reports the EV's letter, "
       "its normal extended state and no active error", RCD),
    _d("rcd_init_flag_after_reset", "rcd", "after Device.Reset rcd_init_end_error stays set (the warm boot "
       "skips the end of the RCD self-test)", RCD),
    # overcurrent
    _d("overcurrent_ignored", "overcurrent", "an EV drawing more than the PWM allows is never stopped", OVERCURRENT),
    _d("overcurrent_flag_missing", "overcurrent", "an overdraw is stopped but overcurrent is never set", OVERCURRENT),
    _d("overcurrent_response_5_5s", "overcurrent", "an overdraw is stopped after 5.5 s (limit 5 s)", OVERCURRENT,
       limit="overcurrent_response_s"),
    # contactor feedback
    _d("contactor_weld_not_flagged", "contactor", "a welded contactor is never detected", CONTACTOR),
    _d("contactor_stuck_open_not_flagged", "contactor", "a contactor that does not close is never detected",
       CONTACTOR),
    _d("charges_after_contactor_failure", "contactor", "the contactor failure clears at unplug: PWM back on at the "
       "next plug-in", CONTACTOR),
    _d("contactor_failure_detect_1_2s", "contactor", "a welded contactor is flagged 1.2 s after the coil "
       "release (limit 1 s)", CONTACTOR, limit="contactor_failure_detect_s"),
    # mains
    _d("overvoltage_ignored", "mains", "an over-voltage supply never stops charging", MAINS),
    _d("undervoltage_ignored", "mains", "an under-voltage supply never stops charging", MAINS),
    _d("overvoltage_trips_at_250v", "mains", "charging stops above 250 V: a normal 253 V supply trips", MAINS,
       limit="mains_high_ok_v"),
    _d("undervoltage_trips_at_210v", "mains", "charging stops below 210 V: a normal 207 V supply trips", MAINS,
       limit="mains_low_ok_v"),
    _d("mains_fault_response_1_2s", "mains", "a supply out of its band is acted on after 1.2 s (limit 1 s)",
       MAINS, limit="mains_fault_response_s"),
    _d("energy_lost_on_power_cut", "mains", "no power-fail save: the session's energy since the last booking "
       "is lost on a mains cut", MAINS),
    _d("voltage_flag_missing", "mains", "an over-voltage stops charging but sets no voltage flag", MAINS),
    # temperature
    _d("derate_missing", "temperature", "overtemp is set but the current is not derated", TEMPERATURE),
    _d("derate_wrong_reason", "temperature", "overtemperature derates but reports current_limit_reason 0",
       TEMPERATURE),
    _d("critical_temp_keeps_charging", "temperature", "critical_temp is set but charging goes on", TEMPERATURE),
    _d("overtemp_flag_missing", "temperature", "overtemperature derates but overtemp stays false", TEMPERATURE),
    _d("derate_after_5_5s", "temperature", "the temperature is acted on 5.5 s after it crosses the threshold "
       "(the firmware re-reads it every 5.5 s; limit 5 s)", TEMPERATURE, limit="temperature_response_s"),
    # CP faults
    _d("cp_pe_short_flag_missing", "faults", "a CP-PE short shows state E but never sets state_e_activated",
       FAULTS),
    # --- the charging schedule over time (simulator/firmware/schedule.py; spec 6.31-6.33, chapter 4) ---
    _d("schedule_gmt_offset_wrong_sign", "schedule", "the schedule's local time is UTC minus gmt_offset "
       "instead of plus", SCHEDULE_TIME),
    _d("schedule_gmt_offset_ignored", "schedule", "the schedule runs on UTC whatever gmt_offset says",
       SCHEDULE_TIME),
    _d("schedule_midnight_wrap_broken", "schedule", "an interval whose end time of day is earlier than its "
       "start time of day (crossing midnight) never applies, whatever its days", SCHEDULE_TIME),
    _d("schedule_week_wrap_broken", "schedule", "an interval ending earlier in the week than it starts "
       "(past Sunday 24:00) never applies", SCHEDULE_TIME),
    _d("schedule_monday_is_day_0", "schedule", "days counted from Monday = 0: an interval for day d applies "
       "on day d+1", SCHEDULE_TIME),
    _d("schedule_sunday_is_day_1", "schedule", "days counted from Sunday = 1: an interval for day d applies "
       "on day d-1", SCHEDULE_TIME),
    _d("schedule_override_not_rearmed", "schedule", "Charging_schedule.Override stays in force after the EV "
       "is unplugged, until a reboot", SCHEDULE_TIME),
    _d("schedule_override_ignored", "schedule", "Charging_schedule.Override answers true and changes nothing",
       SCHEDULE_TIME),
    _d("schedule_current_not_applied", "schedule", "an interval's non-zero current is reported as "
       "schedule_current but does not limit the charging current", SCHEDULE_TIME),
    _d("schedule_zero_as_6a", "schedule", "an interval of current 0 charges at 6 A instead of pausing",
       SCHEDULE_TIME),
    _d("schedule_enable_ignored", "schedule", "the schedule applies while charging_schedule_enabled is false",
       SCHEDULE_TIME),
    _d("schedule_lost_on_reset", "schedule", "the schedule is not kept in flash: Device.Reset (any reboot) "
       "empties it", SCHEDULE_TIME),
    _d("schedule_limit_reason_wrong", "schedule", "current_limit_reason 2 (user) instead of 4 (schedule) when "
       "the schedule's current binds", SCHEDULE_TIME),
    _d("schedule_edge_minute_late", "schedule", "the schedule is compared with the minute just ended: every "
       "edge 60 s late", SCHEDULE_TIME),
    _d("schedule_edge_10_8s", "schedule", "a schedule edge reaches the CP line 10.8 s after its minute "
       "boundary (limit 10 s)", SCHEDULE_TIME, limit="schedule_edge_s"),
    # --- robustness: the HTTP server under load (simulator/http_server.py) ----------------------------
    _d("stops_answering_under_concurrency", "robustness", "more than 2 requests in flight at once deadlock the "
       "HTTP server: from then on every request hangs unanswered", LOAD),
    # --- robustness: bad input at volume (frame parser, firmware handlers; killed by the fuzz suite) -----
    _d("heap_leak_per_request", "robustness", "every request handled leaks its 200-byte reply buffer: heap_free "
       "falls steadily (reboot frees it)", FUZZ),
    _d("deep_nesting_crash", "robustness", "no nesting limit in the frame parser: a frame nested deeper than 64 "
       "levels overflows the handler's stack (HTTP 500, no frame)", FUZZ),
    _d("duplicate_key_parser_differential", "robustness", "a duplicated param is range-checked by its last value "
       "and stored with its first (two lookups into one object)", FUZZ),
    _d("long_string_id_truncated", "robustness", "a string id is kept in a 32-byte buffer: a longer id is echoed "
       "cut to 31 characters", FUZZ),
    _d("non_utf8_string_stored", "robustness", "a body that is not UTF-8 is decoded leniently and executed: a "
       "Latin-1 alias is stored with U+FFFD in it", FUZZ),
    _d("oversized_body_truncated", "robustness", "a body over the 16 KiB frame buffer is cut there and the "
       "members read so far are executed", FUZZ),
    _d("missing_bool_value_stored_false", "robustness", "App_config.Set of a boolean key without config_value "
       "stores false and answers true (a missing item read as false)", FUZZ),
    _d("extra_param_applied", "robustness", "App_config.Set also applies every extra param that names a chapter 4 "
       "key (a bulk-set path left in the handler)", FUZZ),
)}


class UnknownDefect(ValueError):
    pass


class ActiveDefects:
    """The defects a virtual charger runs with; ``"name" in defects`` is the firmware's check."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        names = tuple(n for n in names if n)
        unknown = [n for n in names if n not in CATALOGUE]
        if unknown:
            raise UnknownDefect(f"unknown defect(s) {unknown}; known: {sorted(CATALOGUE)}")
        self.names = frozenset(names)

    def __contains__(self, name: object) -> bool:
        if name not in CATALOGUE:
            raise UnknownDefect(f"firmware checks an uncatalogued defect {name!r}")
        return name in self.names

    def __repr__(self) -> str:
        return f"ActiveDefects({sorted(self.names)})"
