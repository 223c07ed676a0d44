"""Where the RPC list is silent, inconsistent or wrong, named once.

A test touching one of these accepts every reading listed and reports which one the charger chose, so
a spec defect is never turned into a pass/fail verdict by whoever wrote the test.  ``ABOUT`` ties each
ambiguity to the table entries it concerns (a method name, a key name, or ``Method/field``), so a suite
can ask ``ambiguities_for("connected_phase")``.
"""
from __future__ import annotations

from .schema import Ambiguity

AMBIGUITIES: tuple[Ambiguity, ...] = (
    # --- framing (chapters 1 and 3, with field facts §1) -----------------------------------------
    Ambiguity(
        "framing_error_codes", "1",
        "The spec claims JSON-RPC 2.0 but lists only vendor codes, so the code for a parse error, an "
        "invalid request or an unknown method is unspecified.",
        (
            "JSON-RPC 2.0 codes: -32700 parse error, -32600 invalid request, -32601 method not found, "
            "-32602 invalid params",
            "vendor codes: -2 for unparseable/invalid frames, -5 for params of the wrong type, -1 (or -6) "
            "for an unknown method",
            "transport-level: HTTP 404 for an unknown method on /rpc/<Method>, HTTP 500 for other errors",
        ),
    ),
    Ambiguity(
        "jsonrpc_version_echo", "1",
        "Whether a request carrying \"jsonrpc\":\"2.0\" gets \"jsonrpc\":\"2.0\" echoed in the reply.",
        (
            "echoed, as JSON-RPC 2.0 requires",
            "not echoed: replies keep the Mongoose-OS frame (id, src, dst, result/error)",
        ),
    ),
    Ambiguity(
        "error_message_text", "3",
        "Errors carry a code and 'an error message according to RPC-JSON specification' (sic), but no "
        "message text is specified.",
        (
            "message is free text; only the code is normative",
            "message is the chapter 3 description of the code",
        ),
    ),
    Ambiguity(
        "missing_or_extra_param_code", "3",
        "-2 'usually means not all keys were found' covers a missing required param loosely; params "
        "sent to a 'No parameters' method, or unknown extra params, are not covered.",
        (
            "missing required param -> -2; extra params ignored",
            "missing required param -> -1 (general fail)",
            "extra/unknown params rejected with -6 or -2",
        ),
    ),
    Ambiguity(
        "null_param_code", "3",
        "A param sent as JSON null is neither documented as a wrong type nor as a missing key.",
        (
            "-5 key format: null is a value of the wrong type",
            "-2 JSON format: null is read as an absent param",
        ),
    ),
    # --- chapter 4 / 5 keys ----------------------------------------------------------------------
    Ambiguity(
        "connected_phase_default_out_of_range", "4",
        "connected_phase defaults to 0 although its accepted values are 1-3.",
        (
            "0 is a legitimate 'not configured' value that only the getters report; App_config.Set "
            "rejects 0 with -4",
            "0 is accepted by App_config.Set too (range really 0-3)",
            "the documented default is wrong and a fresh charger reports 1",
        ),
    ),
    Ambiguity(
        "led_template_color_names", "4",
        "In led_template every green_n and blue_n channel is described as 'Red color' (copy-paste).",
        (
            "the names are right, the descriptions are wrong: order is R,G,B per segment",
            "the channel order differs from the names (cannot be told from the spec)",
        ),
    ),
    Ambiguity(
        "led_template_invalid_code", "4",
        "The error code for a malformed LED template (wrong count, value 256, letters) is unspecified.",
        (
            "-5 key format for any malformed template",
            "-4 range for a well-formed template with a value outside 0..255",
            "-3 length for a wrong number of values",
            "-1 general fail",
        ),
    ),
    Ambiguity(
        "led_dimming_delay_int_max", "4",
        "led_dimming_delay's range is written '0 - INT_MAX' without saying which INT_MAX.",
        (
            "2147483647, a signed 32-bit int on the ESP32-class device",
            "4294967295, an unsigned 32-bit counter",
            "a smaller practical limit (e.g. a timer in ms overflowing well below INT_MAX s)",
        ),
    ),
    Ambiguity(
        "int_max_overflow_code", "4",
        "For keys bounded by INT_MAX, the code for a value above INT_MAX (which no longer fits the "
        "device's int) is unspecified.",
        (
            "-4 range: it is an integer outside the range",
            "-5 key format: it cannot be parsed as the key's integer type",
            "-1 general fail",
        ),
    ),
    Ambiguity(
        "free_string_length", "4",
        "'Any string' keys (charger_alias, owner_id, em_id, timezone) have no documented maximum "
        "length or character set, but the device's storage is finite.",
        (
            "any length and any UTF-8 is stored verbatim",
            "over-long strings are rejected with -3 length",
            "over-long strings are truncated silently",
        ),
    ),
    Ambiguity(
        "null_string_defaults", "4",
        "String keys default to NULL; how a getter reports an unset string is not said.",
        (
            "JSON null",
            "empty string",
            "key omitted from the answer",
        ),
    ),
    Ambiguity(
        "ocpp_server_link_url_rule", "4",
        "'valid URL' does not say which schemes are valid, whether an empty string clears the link, "
        "or which code an invalid URL gets.",
        (
            "only ws:// and wss:// are valid (OCPP-J)",
            "any syntactically valid URL is accepted (http://, https:// too)",
            "empty string clears the link",
            "invalid URL -> -5 key format, or -1 general fail",
        ),
    ),
    Ambiguity(
        "latitude_longitude_range", "4",
        "latitude/longitude accept 'Double value' with no range, though geography bounds them to "
        "+-90 / +-180.",
        (
            "any finite double is accepted",
            "values outside +-90 / +-180 are rejected with -4",
            "an integer JSON number is accepted for a double key",
        ),
    ),
    Ambiguity(
        "gmt_offset_vs_timezone", "4",
        "gmt_offset is whole hours -12..+12 (no +05:30, +13, +14) and a separate timezone name exists; "
        "which one drives the schedule is not said.",
        (
            "gmt_offset alone drives schedule times; timezone is informational for the app",
            "timezone, when set, overrides gmt_offset",
        ),
    ),
    Ambiguity(
        "set_charger_key_code", "5",
        "Chapter 5 keys have no documented setter; the code App_config.Set returns for one is "
        "unspecified.",
        (
            "-6 unknown key: not an application key",
            "-7 prohibited: the key exists but is read-only",
            "accepted (undocumented write access)",
        ),
    ),
    Ambiguity(
        "serial_number_type_mismatch", "5",
        "serial_number is an integer 0-999999 in chapter 5 but a 6-digit string in Serial_number.Get "
        "(6.11).",
        (
            "same number, two representations: string zero-padded to 6 digits, integer unpadded",
            "the chapter 5 key is also a string on the wire",
            "serials below 100000 appear with fewer than 6 digits in 6.11",
        ),
    ),
    # --- chapter 6 methods -----------------------------------------------------------------------
    Ambiguity(
        "config_value_type", "6.4",
        "config_value is typed 'string' ('OCPP style') while real clients send JSON numbers and "
        "booleans.",
        (
            "only strings are accepted; native JSON types get -5",
            "native JSON types matching the key's type are accepted, strings too",
            "only native JSON types are accepted; strings for non-string keys get -5",
        ),
    ),
    Ambiguity(
        "config_value_numeric_string", "6.4",
        "Whether a string spelling a value ('16', 'true') is accepted for an integer or boolean key.",
        (
            "accepted and converted (OCPP ChangeConfiguration style)",
            "rejected with -5 key format",
        ),
    ),
    Ambiguity(
        "app_config_get_value_types", "6.3",
        "6.3 shows only placeholders ('key1_type'); whether values come back with their chapter 4 "
        "types or as strings (mirroring the 'OCPP style' setter) is not said.",
        (
            "values use the chapter 4 JSON types (bool, integer, double, string)",
            "values come back as strings",
        ),
    ),
    Ambiguity(
        "current_voltage_scalar_meaning", "6.5",
        "Charger_info.Get has scalar 'current'/'voltage' next to L1-L3 arrays, described only as "
        "'Current value' / 'Current voltage value'.",
        (
            "the connected phase's value",
            "L1's value",
            "the maximum (current) or mean (voltage) over phases",
        ),
    ),
    Ambiguity(
        "single_phase_arrays", "6.5",
        "On a single-phase charger the L1-L3 currents/voltages arrays' unused phases are not specified.",
        (
            "always 3 elements, unused phases reported as 0",
            "always 3 elements, the measured value at the connected phase's index",
            "fewer than 3 elements",
        ),
    ),
    Ambiguity(
        "total_charged_energy_type_unit", "6.5",
        "total_charged_energy is an integer without unit in Charger_info.Get (6.5) but a double in kWh "
        "in Counters_config.Get (6.22); session energies elsewhere are in Wh.",
        (
            "6.5 is integer Wh, 6.22 is kWh: the same quantity, different units",
            "both are kWh; 6.5 is truncated to an integer",
            "the types are loose and either may be a JSON integer or float",
        ),
    ),
    Ambiguity(
        "dynamic_current_volatile", "6.18",
        "The spec does not say whether the dynamic current survives Device.Reset or Factory.Reset, nor "
        "what it is at power-up.",
        (
            "volatile: back to 32 A (no dynamic limit) after a reset",
            "persisted like the application keys",
            "volatile: back to 0 A (no charging until an energy manager sets it)",
        ),
    ),
    Ambiguity(
        "user_power_to_current", "4",
        "user_power [W] becomes a current limit at an unstated voltage and rounding; only its range "
        "1380-7360 W (= 6-32 A at 230 V) hints at 230 V nominal.",
        ("W / 230 V nominal", "W / measured mains voltage", "rounded down / to nearest / up"),
    ),
    Ambiguity(
        "user_power_limit_reason", "6.5",
        "No current_limit_reason code names user_power; the code reported when it is the lowest limit "
        "is unspecified.",
        ("2 user current (user_power is a user limit)", "another code"),
    ),
    Ambiguity(
        "limit_reason_tie", "6.5",
        "When several limits are equal and lowest (at 32 A every limit equals the hardware maximum), "
        "which current_limit_reason is reported is unspecified.",
        ("0 HW capabilities", "the code of the limit that was set"),
    ),
    Ambiguity(
        "diode_fault_state", "6.5",
        "A shorted EV diode must be detected (field-facts §2) but the spec does not say which state the "
        "charger shows for it.",
        ("F: EVSE not available (-12 V), cp_diode_failure set", "E: error state, cp_diode_failure set",
         "stays in B/C with extended state E and cp_diode_failure set"),
    ),
    Ambiguity(
        "extended_state_in_f", "6.5",
        "extended_charger_state lists A, B, B_AUTH, C, D, E, OTA, LOCKED, B_PAUSE, B_SCHEDULER: no F, "
        "although charger_state can be F.",
        ("F, mirroring charger_state", "E, the error state covering F"),
    ),
    Ambiguity(
        "pe_open_state", "6.5",
        "Neither the spec nor field facts say what a charger shows when the protective earth to the EV "
        "opens (the CP return path is lost).",
        ("A: no vehicle (the CP line floats to +12 V)", "E: error state", "F: EVSE not available"),
    ),
    Ambiguity(
        "dynamic_current_zero_state", "6.18",
        "Dynamic_current.Set accepts 0 (range 0-32) while PWM can only advertise 6 A and above; the state "
        "the charger reports at 0 A is not said.",
        ("B_PAUSE: charging paused", "B: connected, not charging", "B_SCHEDULER", "C with PWM off"),
    ),
    Ambiguity(
        "device_reset_during_session", "6.7",
        "Device.Reset 'waits for the end' of an active session; whether it answers at once and how "
        "long it waits is not said.",
        (
            "answers true at once and reboots after the session ends",
            "answers only when the reset is imminent",
            "rejects with -7 while a session is active",
        ),
    ),
    Ambiguity(
        "deprecated_method_served", "6.11",
        "Serial_number.Get is marked deprecated; whether it still answers is not said.",
        (
            "still served as documented",
            "removed: answered as an unknown method",
        ),
    ),
    Ambiguity(
        "pwm_heading_typo", "6.12",
        "The 6.12 heading reads '12.Get PWM value' (a stray section number).",
        ("a typo for 'Get PWM value'; the method is Pwm_value.Get",),
    ),
    Ambiguity(
        "device_id_format", "6.14",
        "Device_id.Get says only 'Device ID string'; clients rely on '<type>_<serial>' "
        "(e.g. 1p7k_500006) from field practice.",
        (
            "'1p7k_' followed by the serial digits",
            "'1p7k_' followed by the 6-digit zero-padded serial",
            "any string",
        ),
    ),
    Ambiguity(
        "bssid_unknown", "6.17",
        "bssid is returned 'if known'; what an unknown BSSID looks like is not said.",
        ("field omitted", "empty string", "JSON null"),
    ),
    Ambiguity(
        "dynamic_current_trailing_space", "6.19",
        "Dynamic_current.Get's result key is written \"dynamic_current \" with a trailing space.",
        (
            "a typo: the key is \"dynamic_current\"",
            "the firmware really sends \"dynamic_current \" with the space",
        ),
    ),
    Ambiguity(
        "ocpp_current_description", "6.20",
        "System_currents.Get describes ocpp_current as 'System max current value', the text of "
        "system_max_current.",
        (
            "copy-paste: ocpp_current is the limit set by the OCPP server (cf. limit reason 7)",
            "ocpp_current mirrors system_max_current",
        ),
    ),
    Ambiguity(
        "state_restricted_code", "6.24",
        "Session_energy.Reset is 'accessible only in states A,B,E,F', but the code in C/D is not "
        "said, nor are state rules for Charge.Start/Stop/Pause/Resume.",
        (
            "-7 prohibited action",
            "-1 general fail",
            "accepted and ignored (true)",
        ),
    ),
    Ambiguity(
        "ap_password_length_code", "6.26",
        "Ap_password.Set takes 8-63 characters or 0 (removes password access); -3 is for fixed-length "
        "strings, so the code for lengths 1-7 or 64+ is open.",
        (
            "-3 length error",
            "-4 range error",
            "-5 key format",
        ),
    ),
    Ambiguity(
        "charge_resume_description_copied", "6.28",
        "Charge.Resume's description is 6.24's ('Reset session energy value. Accessible only in "
        "states A,B,E,F').",
        (
            "copy-paste: Charge.Resume resumes a paused charge, with no state restriction",
            "Charge.Resume really is restricted to states A, B, E, F",
            "Charge.Resume also resets the session energy",
        ),
    ),
    Ambiguity(
        "device_info_description", "6.29",
        "Device_info.Get is described as 'Get serial number.' but returns device ID, phase, firmware "
        "and alias.",
        ("copy-paste from 6.11: the result format is normative",),
    ),
    Ambiguity(
        "heartbeat_notification_channel", "6.30",
        "Heartbeat.Trigger 'triggers Heartbeat notification' without saying where it goes, or what "
        "happens in headless mode without OCPP.",
        (
            "an OCPP Heartbeat.req to the central system",
            "an RPC notification frame on the WebSocket",
            "true even when nothing can be sent (headless)",
        ),
    ),
    Ambiguity(
        "schedule_end_described_as_activated", "6.31",
        "end_h and end_m are described as the time the interval is 'activated' (copied from start_*).",
        ("copy-paste: end_h/end_m are when the interval is deactivated",),
    ),
    Ambiguity(
        "schedule_validation_codes", "6.31",
        "The code for an invalid schedule interval (field out of range, current 1-5, missing field) is "
        "unspecified.",
        (
            "-4 range for out-of-range values, -2 for a missing field",
            "-5 key format for any malformed interval",
            "-1 general fail",
        ),
    ),
    Ambiguity(
        "schedule_interval_rules", "6.31",
        "Nothing is said about an empty schedule, overlapping or wrapping intervals (end before start), "
        "zero-length intervals, or a maximum interval count.",
        (
            "an empty array clears the schedule",
            "overlapping intervals are rejected",
            "an interval ending before it starts wraps over the week end",
            "a firmware-specific maximum interval count exists and is enforced with an error",
        ),
    ),
    Ambiguity(
        "pin_invalid_code", "6.34",
        "The code for a malformed PIN is unspecified: right length with a non-digit ('12a4'), wrong "
        "length ('123'), or both ('12a45').",
        (
            "-3 length for any wrong length, checked first",
            "-5 key format for non-digits, checked first",
            "-4 range, treating the PIN as a number 0000-9999",
        ),
    ),
    Ambiguity(
        "pin_check_mismatch", "6.35",
        "Pin.Check documents only 'true' on success; the answer to a wrong but well-formed PIN is "
        "not said.",
        (
            "an error object (-7 prohibited or -1 general fail)",
            "result false",
        ),
    ),
    # --- bench: states, PWM, metering, session control, faults (new entries go here) ------------
)

AMBIGUITIES_BY_ID: dict[str, Ambiguity] = {a.id: a for a in AMBIGUITIES}

# Which table entries each ambiguity concerns: a method name, a key name, or "Method/field".
# Protocol-wide ambiguities (framing) concern no single entry and are absent here.
ABOUT: dict[str, tuple[str, ...]] = {
    "missing_or_extra_param_code": ("App_config.Set", "Install_current.Set", "Dynamic_current.Set"),
    "connected_phase_default_out_of_range": ("connected_phase", "Device_info.Get/connected_phase"),
    "led_template_color_names": ("led_template",),
    "led_template_invalid_code": ("led_template",),
    "led_dimming_delay_int_max": ("led_dimming_delay",),
    "int_max_overflow_code": ("led_dimming_delay", "overtemp_threshold", "critical_temp_threshold"),
    "free_string_length": ("charger_alias", "owner_id", "em_id", "timezone"),
    "null_string_defaults": (
        "led_template", "charger_alias", "ocpp_server_link", "owner_id", "em_id", "timezone",
        "Device_info.Get/charger_alias",
    ),
    "ocpp_server_link_url_rule": ("ocpp_server_link",),
    "latitude_longitude_range": ("latitude", "longitude"),
    "gmt_offset_vs_timezone": ("gmt_offset", "timezone"),
    "set_charger_key_code": (  # every chapter 5 key, spelled out so the table stays greppable
        "overtemp_threshold", "critical_temp_threshold", "voltage_gain", "current_gain",
        "calibration_temperature", "rcd_enabled", "serial_number", "board_revision", "temp_offset",
        "App_config.Set/config_key",
    ),
    "serial_number_type_mismatch": ("serial_number", "Serial_number.Get/serial_number"),
    "config_value_type": ("App_config.Set/config_value",),
    "config_value_numeric_string": ("App_config.Set/config_value",),
    "app_config_get_value_types": ("App_config.Get",),
    "current_voltage_scalar_meaning": ("Charger_info.Get/current", "Charger_info.Get/voltage"),
    "single_phase_arrays": ("Charger_info.Get/currents", "Charger_info.Get/voltages"),
    "total_charged_energy_type_unit": (
        "Charger_info.Get/total_charged_energy", "Counters_config.Get/total_charged_energy",
    ),
    "device_reset_during_session": ("Device.Reset",),
    "user_power_to_current": ("user_power",),
    "user_power_limit_reason": ("Charger_info.Get/current_limit_reason",),
    "limit_reason_tie": ("Charger_info.Get/current_limit_reason",),
    "diode_fault_state": ("Charger_info.Get/charger_state", "Logged_errors.Get/cp_diode_failure"),
    "extended_state_in_f": ("Charger_info.Get/extended_charger_state",),
    "pe_open_state": ("Charger_info.Get/charger_state",),
    "dynamic_current_zero_state": ("Dynamic_current.Set", "Charger_info.Get/extended_charger_state"),
    "dynamic_current_volatile": ("Dynamic_current.Set", "Dynamic_current.Get", "Device.Reset", "Factory.Reset"),
    "deprecated_method_served": ("Serial_number.Get",),
    "pwm_heading_typo": ("Pwm_value.Get",),
    "device_id_format": ("Device_id.Get/device_id", "Device_info.Get/device_id"),
    "bssid_unknown": ("Wifi_status.Get/bssid",),
    "dynamic_current_trailing_space": ("Dynamic_current.Get/dynamic_current ",),
    "ocpp_current_description": ("System_currents.Get/ocpp_current",),
    "state_restricted_code": (
        "Session_energy.Reset", "Charge.Start", "Charge.Stop", "Charge.Pause", "Charge.Resume",
    ),
    "ap_password_length_code": ("Ap_password.Set/password",),
    "charge_resume_description_copied": ("Charge.Resume",),
    "device_info_description": ("Device_info.Get",),
    "heartbeat_notification_channel": ("Heartbeat.Trigger",),
    "schedule_end_described_as_activated": ("Charging_schedule.Set", "Charging_schedule.Get"),
    "schedule_validation_codes": ("Charging_schedule.Set/charging_schedule",),
    "schedule_interval_rules": ("Charging_schedule.Set/charging_schedule",),
    "pin_invalid_code": ("Pin.Set/pin", "Pin.Check/pin"),
    "null_param_code": (),
    "pin_check_mismatch": ("Pin.Check",),
}


def ambiguities_for(subject: str) -> tuple[Ambiguity, ...]:
    """The ambiguities concerning one table entry (a method, a key, or ``Method/field``), in table order."""
    return tuple(a for a in AMBIGUITIES if subject in ABOUT.get(a.id, ()))
