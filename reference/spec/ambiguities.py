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
        "The spec claims JSON-RPC 2.0 but lists only vendor codes, so the code for a frame that "
        "is not JSON, not a request object, or whose params are not an object is unspecified.",
        (
            "vendor codes: -2 for unparseable or invalid frames, -2 (or -5) for params that are "
            "not an object",
            "JSON-RPC 2.0 codes: -32700 parse error, -32600 invalid request, -32602 invalid "
            "params",
        ),
        ("vendor", "jsonrpc",),
        dropped=(
            "no reply at all to a malformed frame: ruled out by chapter 1 'All commands follow "
            "the Request/Response JSON-RPC 2.0 format' (JSON-RPC 2.0 §5: an error is answered "
            "with an error object)",
        ),
    ),
    Ambiguity(
        "unknown_method_code", "1",
        "Chapter 3 has no code for a method that does not exist; JSON-RPC 2.0 (chapter 1) says "
        "-32601, the Mongoose-OS family answers 404 'No handler for X', a vendor build may use "
        "its -1 or -6.",
        (
            "404, Mongoose-OS 'No handler for <method>'",
            "-32601, JSON-RPC 2.0 method not found",
            "-1 general fail",
            "-6 unknown key",
        ),
        ("code_404", "jsonrpc_32601", "general_fail", "unknown_key",),
    ),
    Ambiguity(
        "method_name_invalid", "1",
        "A frame whose method is empty or not a string is an invalid request to JSON-RPC 2.0 (§4 "
        "'method: A String'), but a Mongoose-OS dispatcher looks any token up and answers 'No "
        "handler'.",
        (
            "an invalid request: the framing_error_codes code (-2 or -32600)",
            "an unknown method: the unknown_method_code code",
        ),
        ("invalid_request", "unknown_method",),
    ),
    Ambiguity(
        "null_params_frame", "1",
        "'params': null in a frame: JSON-RPC 2.0 §4.2 wants a structured value or no member, a "
        "JSON parser that maps null to 'absent' takes it as no params.",
        (
            "taken as no params: a getter answers",
            "rejected as invalid params (framing_error_codes code)",
        ),
        ("as_omitted", "rejected",),
    ),
    Ambiguity(
        "null_id_frame", "1",
        "A frame with \"id\": null: JSON-RPC 2.0 §4.1 calls only a request without an id member a "
        "notification, a Mongoose-OS frame parser reads a null id as no id.",
        (
            "a request: answered with id null",
            "a notification: executed, no reply",
        ),
        ("answered", "notification",),
    ),
    Ambiguity(
        "batch_request", "1",
        "JSON-RPC 2.0 §6 allows a batch (an array of requests); the RPC list never mentions "
        "batches and the Mongoose-OS frame family has none.",
        (
            "an array is not a frame: one error object (invalid request)",
            "served: an array of replies, one per request with an id",
        ),
        ("rejected", "served",),
    ),
    Ambiguity(
        "websocket_channel", "1",
        "The WebSocket RPC channel (field-facts §1) is not in the RPC list: chapter 1 names only "
        "the JSON-RPC 2.0 format, no transport.",
        (
            "a WebSocket on /rpc carries frames and notifications",
            "no WebSocket channel: HTTP only",
        ),
        ("served", "absent",),
    ),
    Ambiguity(
        "per_method_url_styles", "1",
        "POST /rpc/<Method> and GET /rpc/<Method>?k=v (field-facts §1) are not in the RPC list "
        "either; a firmware may serve only whole frames on POST /rpc.",
        (
            "POST /rpc/<Method> and GET /rpc/<Method> are both served",
            "neither: only whole frames on POST /rpc",
            "POST /rpc/<Method> only; GET is not served",
        ),
        ("both", "none", "post_only",),
    ),
    Ambiguity(
        "jsonrpc_version_echo", "1",
        "Whether a request carrying \"jsonrpc\":\"2.0\" gets \"jsonrpc\":\"2.0\" echoed in the reply.",
        (
            "echoed, as JSON-RPC 2.0 requires",
            "not echoed: replies keep the Mongoose-OS frame (id, src, dst, result/error)",
        ),
        ("echoed", "not_echoed",),
    ),
    Ambiguity(
        "error_message_text", "3",
        "Errors carry a code and 'an error message according to RPC-JSON specification' (sic), "
        "but no message text is specified.",
        (
            "message is free text; only the code is normative",
            "message is the chapter 3 description of the code",
        ),
        ("free_text", "chapter3_text",),
        dropped=(
            "no message member: ruled out by chapter 1's JSON-RPC 2.0, whose error object (§5.1) "
            "has 'message: A String providing a short description of the error'",
        ),
    ),
    Ambiguity(
        "missing_param_code", "3",
        "-2 'usually means that a not all keys were found' covers a missing required param "
        "loosely; a firmware may also answer its general fail.",
        (
            "missing required param -> -2 JSON request format error",
            "missing required param -> -1 general fail",
        ),
        ("json_format", "general_fail",),
    ),
    Ambiguity(
        "extra_params", "3",
        "Params a method does not document (to a 'No parameters' method, or an unknown name next "
        "to the documented ones) are covered by no chapter 3 code.",
        (
            "ignored: the call is executed as if they were absent",
            "rejected with -6 unknown key (or -2), nothing executed",
        ),
        ("ignored", "rejected",),
    ),
    Ambiguity(
        "null_param_code", "3",
        "A param sent as JSON null is neither documented as a wrong type nor as a missing key.",
        (
            "-5 key format: null is a value of the wrong type",
            "-2 JSON format: null is read as an absent param",
        ),
        ("key_format", "json_format",),
    ),
    # --- chapter 4 / 5 keys ----------------------------------------------------------------------
    Ambiguity(
        "connected_phase_default_out_of_range", "4",
        "connected_phase defaults to 0 although its accepted values are 1-3: a factory-fresh unit"
        " holds a value it may refuse to take back.",
        (
            "0 is a legitimate 'not configured' value that only the getters report; "
            "App_config.Set rejects 0 with -4",
            "0 is accepted by App_config.Set too (range really 0-3)",
            "the documented default is wrong and a fresh charger reports 1",
        ),
        ("zero_rejected", "zero_accepted", "fresh_reports_1",),
    ),
    Ambiguity(
        "led_template_color_names", "4",
        "In led_template every green_n and blue_n channel is described as 'Red color' "
        "(copy-paste).",
        (
            "the names are right, the descriptions are wrong: order is R,G,B per segment",
        ),
        (),
        dropped=(
            "the channel order differs from the names: ruled out by the format line itself, "
            "'\"red1,green1,blue1,red2, green2,blue2,...\"', which names every position",
        ),
    ),
    Ambiguity(
        "led_template_invalid_code", "4",
        "The error code for a malformed LED template (wrong count, value 256, letters) is "
        "unspecified.",
        (
            "-5 key format for a malformed template, -4 range for a value above 255",
            "-5 key format for any malformed template",
            "-3 length for a wrong number of values, -4 range for a value above 255, -5 otherwise",
            "-1 general fail",
        ),
        ("format_5_range_4", "format_5", "length_3", "general_fail",),
    ),
    Ambiguity(
        "led_dimming_delay_int_max", "4",
        "led_dimming_delay's range is written '0 - INT_MAX' without saying which INT_MAX.",
        (
            "2147483647, a signed 32-bit int on the ESP32-class device",
            "4294967295, an unsigned 32-bit counter",
        ),
        ("int32", "uint32",),
        dropped=(
            "a smaller practical limit (e.g. 65535): ruled out by 'Accepted values 0 - INT_MAX', "
            "the C INT_MAX of a 32-bit ESP32 being 2147483647",
        ),
    ),
    Ambiguity(
        "int_max_overflow_code", "4",
        "For keys bounded by INT_MAX, the code for a value above INT_MAX (which no longer fits "
        "the device's int) is unspecified.",
        (
            "-4 range: it is an integer outside the range",
            "-5 key format: it cannot be parsed as the key's integer type",
            "-1 general fail",
        ),
        ("range_4", "format_5", "general_fail",),
    ),
    Ambiguity(
        "free_string_length", "4",
        "'Any string' keys (charger_alias, owner_id, em_id, timezone) have no documented maximum "
        "length, but the device's storage is finite.",
        (
            "over-long strings are rejected with -3 length",
            "any length and any UTF-8 is stored verbatim",
            "over-long strings are truncated silently",
        ),
        ("rejected_3", "verbatim", "truncated",),
    ),
    Ambiguity(
        "null_string_defaults", "4",
        "String keys default to NULL; how a getter reports an unset string is not said.  A "
        "C-string store keeps \"\" as NULL, so a key set to \"\" reads back in this form too.",
        (
            "empty string",
            "JSON null",
            "key omitted from the answer",
        ),
        ("empty_string", "json_null", "omitted",),
    ),
    Ambiguity(
        "null_string_set_back", "4",
        "Chapter 4 says string keys default to NULL but gives no way to set NULL again through "
        "App_config.Set (whose config_value is a string).",
        (
            "config_value \"\" puts the key back to NULL; null is a wrong type",
            "config_value null puts the key back to NULL; \"\" is stored as an empty string",
            "no way back: \"\" is stored as an empty string (rejected with -5 by led_template and "
            "ocpp_server_link, not being a template or URL) and null is a wrong type",
        ),
        ("empty_clears", "null_clears", "refused",),
    ),
    Ambiguity(
        "ocpp_server_link_url_rule", "4",
        "'valid URL' does not say which schemes are valid, or which code an invalid URL gets.",
        (
            "any ws://, wss://, http:// or https:// URL is accepted; an invalid URL gets -5 key "
            "format",
            "only ws:// and wss:// are valid (OCPP-J); an invalid URL gets -5 key format",
            "any URL is accepted; an invalid URL gets -1 general fail",
        ),
        ("any_scheme", "ws_only", "general_fail",),
    ),
    Ambiguity(
        "latitude_longitude_range", "4",
        "latitude/longitude accept 'Double value' with no range, though geography bounds them to "
        "+-90 / +-180.",
        (
            "any finite double is accepted",
            "values outside +-90 / +-180 are rejected with -4",
        ),
        ("unbounded", "geographic",),
        dropped=(
            "an integral JSON number (45) rejected for a double key: ruled out by 'Key type "
            "double' and JSON itself (RFC 8259 §6: one number type; 45 is the double 45.0)",
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
        ("gmt_offset_only", "timezone_overrides",),
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
        ("unknown_key_6", "prohibited_7", "writable",),
    ),
    Ambiguity(
        "serial_number_type_mismatch", "5",
        "serial_number is an integer 0-999999 in chapter 5 but a 6-digit string in "
        "Serial_number.Get (6.11).",
        (
            "same number, two representations: string zero-padded to 6 digits, integer unpadded",
            "the chapter 5 key is also a string on the wire",
            "serials below 100000 appear with fewer than 6 digits in 6.11",
        ),
        ("padded_string", "string_key", "unpadded",),
    ),
    # --- chapter 6 methods -----------------------------------------------------------------------
    Ambiguity(
        "config_value_type", "6.4",
        "config_value is typed 'string' ('OCPP style') while real clients send JSON numbers and "
        "booleans; whether a string spelling a value ('16', 'true') is taken for a non-string key"
        " follows.",
        (
            "native JSON types matching the key's type are accepted, strings too",
            "only native JSON types are accepted; strings for non-string keys get -5",
            "only strings are accepted; native JSON types get -5",
        ),
        ("both", "native_only", "string_only",),
    ),
    Ambiguity(
        "app_config_get_value_types", "6.3",
        "6.3 shows only placeholders ('key1_type'); the values' JSON types are those of chapter "
        "4.",
        (
            "values use the chapter 4 JSON types (bool, integer, double, string)",
        ),
        (),
        dropped=(
            "values come back as strings: ruled out by the spec's own notation, where every "
            "result format writes a value as its type name in quotes ('\"session_energy\": "
            "\"double\"' in 6.5) and 6.3 refers to chapter 4's 'Key type' column",
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
        ('connected_phase', 'l1', 'max_mean',),
    ),
    Ambiguity(
        "single_phase_arrays", "6.5",
        "On a single-phase charger the L1-L3 currents/voltages arrays' unused phases are not specified.",
        (
            "always 3 elements, unused phases reported as 0",
            "always 3 elements, the measured value at the connected phase's index",
            "fewer than 3 elements",
        ),
        ('zeros', 'at_connected_index', 'single_element',),
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
        ('wh_integer', 'kwh_truncated', 'wh_float',),
    ),
    Ambiguity(
        "dynamic_current_volatile", "6.18",
        "The spec does not say whether the dynamic current survives Device.Reset or "
        "Factory.Reset.",
        (
            "volatile: back to 32 A (no dynamic limit) after a reset",
            "persisted like the application keys",
        ),
        ("volatile_32", "persisted",),
        dropped=(
            "volatile, back to 0 A at power-up: ruled out by chapter 4 headless (default true): "
            "'just plug in the connector and it will charge'",
        ),
    ),
    Ambiguity(
        "user_power_to_current", "4",
        "user_power [W] becomes a current limit at an unstated voltage and rounding; only its range "
        "1380-7360 W (= 6-32 A at 230 V) hints at 230 V nominal.",
        (
            "W / 230 V nominal, rounded down to whole amperes",
            "W / 230 V nominal, rounded to the nearest ampere",
            "W / measured mains voltage, rounded to the nearest ampere",
        ),
        ('nominal_floor', 'nominal_round', 'measured_round',),
        dropped=(
            "W / measured voltage, rounded down: a measured voltage just under 230 V would turn the documented minimum 1380 W into 5 A, below the 6 A minimum of IEC 61851-1 that the range '1380 - 7360' (= 6-32 A at 230 V) is written to mean",
        ),
    ),
    Ambiguity(
        "user_power_limit_reason", "6.5",
        "No current_limit_reason code names user_power; the code reported when it is the lowest limit "
        "is unspecified.",
        ("2 user current (user_power is a user limit)", "another code"),
        ('user', 'hw',),
    ),
    Ambiguity(
        "limit_reason_tie", "6.5",
        "When several limits are equal and lowest (at 32 A every limit equals the hardware maximum), "
        "which current_limit_reason is reported is unspecified.",
        ("0 HW capabilities", "the code of the limit that was set"),
        ('hw', 'set_limit',),
    ),
    Ambiguity(
        "diode_fault_state", "6.5",
        "A shorted EV diode must be detected (field-facts §2) but the spec does not say which state the "
        "charger shows for it.",
        ("F: EVSE not available (-12 V), cp_diode_failure set", "E: error state, cp_diode_failure set",
         "stays in B/C with extended state E and cp_diode_failure set"),
        ('f', 'e', 'cp_letter',),
    ),
    Ambiguity(
        "extended_state_in_f", "6.5",
        "extended_charger_state lists A, B, B_AUTH, C, D, E, OTA, LOCKED, B_PAUSE, B_SCHEDULER: no F, "
        "although charger_state can be F.",
        ("F, mirroring charger_state", "E, the error state covering F"),
        ('f', 'e',),
    ),
    Ambiguity(
        "pe_open_state", "6.5",
        "Neither the spec nor field facts say what a charger shows when the protective earth to the EV "
        "opens (the CP return path is lost).",
        ("A: no vehicle (the CP line floats to +12 V)", "E: error state", "F: EVSE not available"),
        ('a', 'e', 'f',),
    ),
    Ambiguity(
        "dynamic_current_zero_state", "6.18",
        "Dynamic_current.Set accepts 0 (range 0-32) while PWM can only advertise 6 A and above; the state "
        "the charger reports at 0 A is not said.",
        ("B_PAUSE: charging paused", "B: connected, not charging", "B_SCHEDULER", "C with PWM off"),
        ('b_pause', 'b', 'b_scheduler', 'c_pwm_off',),
    ),
    Ambiguity(
        "device_reset_during_session", "6.7",
        "Device.Reset 'waits for the end' of an active session; whether it answers at once and how "
        "long it waits is not said.",
        (
            "answers true at once and reboots after the session ends",
            "rejects with -7 while a session is active",
        ),
        ('defer', 'reject',),
        dropped=(
            "answers only when the reset is imminent: ruled out by chapter 1's Request/Response JSON-RPC 2.0 over HTTP (field-facts §1): a reply held back until a session ends outlives every client's request timeout, so a caller could not tell acceptance from a hung charger",
        ),
    ),
    Ambiguity(
        "deprecated_method_served", "6.11",
        "Serial_number.Get is marked deprecated; whether it still answers is not said.",
        (
            "still served as documented",
            "removed: answered as an unknown method",
        ),
        ("served", "removed",),
    ),
    Ambiguity(
        "pwm_heading_typo", "6.12",
        "The 6.12 heading reads '12.Get PWM value' (a stray section number).",
        ("a typo for 'Get PWM value'; the method is Pwm_value.Get",),
    ),
    Ambiguity(
        "pwm_value_without_pwm", "6.12",
        "Pwm_value.Get gives 'Current PWM value. Range: 0.0-1.0.' without saying what it reads "
        "while no PWM runs (state A: constant +12 V, IEC 61851-1 x1).",
        (
            "1.0: a constant high level is 100 % duty",
            "0.0: the PWM generator is off",
        ),
        ("dc_is_1", "off_is_0",),
    ),
    Ambiguity(
        "device_id_format", "6.14",
        "Device_id.Get says only 'Device ID string'; clients rely on '<type>_<serial>' (e.g. "
        "1p7k_500006) from field practice.",
        (
            "'1p7k_' followed by the serial digits",
            "'1p7k_' followed by the 6-digit zero-padded serial",
        ),
        ("serial_digits", "padded",),
        dropped=(
            "any string: ruled out by the contract's transport facts (field-facts §1: "
            "'Device_id.Get returns <type>_<serial>, e.g. 1p7k_500006; clients split it at _'), "
            "and by the frame src",
        ),
    ),
    Ambiguity(
        "bssid_unknown", "6.17",
        "bssid is returned 'if known'; no format is given, and what an unknown BSSID looks like "
        "is not said.",
        (
            "known: a lower-case colon-separated MAC",
            "known: an upper-case colon-separated MAC",
            "field omitted",
            "empty string",
            "JSON null",
        ),
        ("known_lower", "known_upper", "omitted", "empty", "null",),
    ),
    Ambiguity(
        "dynamic_current_trailing_space", "6.19",
        "Dynamic_current.Get's result key is written \"dynamic_current \" with a trailing space.",
        (
            "a typo: the key is \"dynamic_current\"",
            "the firmware really sends \"dynamic_current \" with the space",
        ),
        ("typo", "with_space",),
    ),
    Ambiguity(
        "ocpp_current_description", "6.20",
        "System_currents.Get describes ocpp_current as 'System max current value', the text of "
        "system_max_current.",
        (
            "copy-paste: ocpp_current is the limit set by the OCPP server (cf. limit reason 7)",
            "ocpp_current mirrors system_max_current",
        ),
        ("ocpp_limit", "mirrors_system_max",),
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
        ('prohibited', 'general_fail', 'accepted_ignored',),
    ),
    Ambiguity(
        "ap_password_length_code", "6.26",
        "Ap_password.Set takes 8-63 characters or 0 (removes password access); -3 is for "
        "fixed-length strings, so the code for lengths 1-7 or 64+ is open.",
        (
            "-3 length error",
            "-4 range error",
            "-5 key format",
        ),
        ("length_3", "range_4", "format_5",),
    ),
    Ambiguity(
        "ap_password_length_unit", "6.26",
        "'8 to 63 characters' does not say whether characters or bytes are counted (a WPA2 "
        "passphrase is 8-63 bytes of ASCII; a UTF-8 character can take up to 4).",
        (
            "characters are counted",
            "UTF-8 bytes are counted: 32 two-byte characters are 64, too long",
        ),
        ("characters", "utf8_bytes",),
    ),
    Ambiguity(
        "charge_resume_description_copied", "6.28",
        "Charge.Resume's description is 6.24's ('Reset session energy value. Accessible only in "
        "states A,B,E,F').",
        (
            "copy-paste: Charge.Resume resumes a paused charge, with no state restriction",
            "Charge.Resume really is restricted to states A, B, E, F",
        ),
        ("resumes", "restricted",),
        dropped=(
            "Charge.Resume also resets the session energy: ruled out by its own title 'Resume "
            "charge' and 6.27/6.28 pairing it with Charge.Pause; resetting would also break "
            "6.24's 'Accessible only in states A,B,E,F' whenever a resume follows a pause in C",
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
        "Heartbeat.Trigger 'triggers Heartbeat notification' without saying where it goes.",
        (
            "an RPC notification frame on the WebSocket",
            "an OCPP Heartbeat.req only (nothing on the WebSocket); true even when headless",
        ),
        ("websocket", "ocpp_only",),
    ),
    Ambiguity(
        "schedule_end_described_as_activated", "6.31",
        "end_h and end_m are described as the time the interval is 'activated' (copied from start_*).",
        ("copy-paste: end_h/end_m are when the interval is deactivated",),
    ),
    Ambiguity(
        "schedule_validation_codes", "6.31",
        "The code for an invalid schedule interval (field out of range, current 1-5, missing "
        "field) is unspecified.",
        (
            "-4 range for out-of-range values, -2 for a missing field",
            "-5 key format for any malformed interval",
            "-1 general fail",
        ),
        ("range_4_missing_2", "format_5", "general_fail",),
    ),
    Ambiguity(
        "schedule_interval_rules", "6.31",
        "Nothing is said about an empty schedule, overlapping or wrapping intervals (end before "
        "start), or a maximum interval count.",
        (
            "an empty array clears the schedule; overlapping and week-wrapping intervals are "
            "stored as sent; at most 16 intervals (-3 above)",
            "an empty array clears the schedule; overlapping intervals and intervals ending "
            "before they start are refused with -4; at most 7 intervals (-3 above)",
        ),
        ("lenient", "strict",),
    ),
    Ambiguity(
        "pin_invalid_code", "6.34",
        "The code for a malformed PIN is unspecified: right length with a non-digit ('12a4'), "
        "wrong length ('123'), or both ('12a45').",
        (
            "-3 length for any wrong length, checked first",
            "-5 key format for non-digits, checked first",
            "-4 range, treating the PIN as a number 0000-9999",
        ),
        ("length_first_3", "digits_first_5", "range_4",),
    ),
    Ambiguity(
        "pin_check_mismatch", "6.35",
        "Pin.Check documents only 'true' on success; the answer to a wrong but well-formed PIN is"
        " not said.",
        (
            "an error object: -7 prohibited",
            "an error object: -1 general fail",
            "result false",
        ),
        ("error_7", "error_1", "false",),
    ),
    # --- bench: states, PWM, metering, session control, faults (new entries go here) ------------
    Ambiguity(
        "blocked_state_letter", "6.5",
        "While an extended state holds a connected EV off (B_AUTH, LOCKED, B_SCHEDULER, B_PAUSE), the spec "
        "does not say whether charger_state is the EV's CP letter (C when the EV asks to charge) or B, the "
        "EVSE's own view (connected, not charging); Adc_state shows the line's letter either way.",
        (
            "the EV's CP letter (C while the EV is in C)",
            "B: the charger's own state, not charging",
        ),
        ('ev_letter', 'b',),
    ),
    Ambiguity(
        "session_booked_at", "6.22",
        "When a session is counted in total_charged_sessions and booked into total_charged_energy and "
        "last_session_energy is not said: when the EV is unplugged (the session ends), or already when "
        "charging ends (contactor open, EV back in B); either way once per plug-in.",
        (
            "at unplug (state A)",
            "when charging ends (contactor opens, EV in B), topped up at unplug",
        ),
        ('unplug', 'charging_end',),
    ),
    Ambiguity(
        "charger_stop_sequence", "6.23",
        "A charger-side stop (Ota.Verify while charging) may remove the PWM and open the contactor together, "
        "or remove the PWM first and open as for a pause: when the EV returns to B, else under load after "
        ">= 6 s (field-facts §4).  Neither the spec nor IEC 61851-1 fixes the order for OTA.",
        (
            "PWM off and contactor open together",
            "PWM off first; contactor open when the EV is in B, or after pause_open_min_s with the EV in C",
        ),
        ('together', 'pwm_first',),
    ),
    # protective functions (6.9 / 6.16 flags, chapter 5 rcd_enabled / *_temp_threshold, field-facts §5)
    Ambiguity(
        "rcd_fault_state", "6.5",
        "After a residual-current trip (rcd_error, 6.16) the spec does not say which state the charger "
        "shows: charger_state lists A-F, and nothing ties rcd_error to E or F.",
        (
            "charger_state stays the EV's CP letter, extended_charger_state E, CP steady +12 V (PWM off)",
            "F: the charger drives -12 V (EVSE not available)",
            "E: charger_state E",
        ),
        ('cp_letter', 'f', 'e',),
    ),
    Ambiguity(
        "rcd_recovery", "6.16",
        "'rcd_error - RCD error flag' says nothing of when an active trip clears: IEC 62955 lets an "
        "RDC-DD reclose once the fault is gone, a charger may also wait for the unplug or for a reset.",
        (
            "clears once the EV is unplugged and the residual current is gone",
            "clears automatically a few seconds after the residual current is gone, EV still plugged",
            "clears only on Device.Reset (or a power cycle)",
        ),
        ('unplug', 'automatic', 'reset',),
        dropped=(
            "never clears while the logged flag is set: ruled out by 6.9/6.10 keeping a separate "
            "'Logged_errors.Reset' for the logged copy, so the active flag (6.16 'Get active errors') "
            "must be able to clear on its own",
        ),
    ),
    Ambiguity(
        "mains_voltage_flag", "6.16",
        "6.9/6.16 list 'voltage_error - Voltage error flag' beside 'undervoltage_error' and "
        "'overvoltage_error' without saying which a supply out of its band sets.",
        (
            "the specific flag: overvoltage_error or undervoltage_error",
            "the generic voltage_error",
            "both the generic and the specific flag",
        ),
        ('specific', 'generic', 'both',),
    ),
    Ambiguity(
        "session_after_mains_loss", "6.5",
        "Whether a session cut by a mains loss continues when the supply is back (the EV still in C) is "
        "not said: session_id is only 'Current session ID'.",
        (
            "a new session (a new session_id) starts for the EV still in C",
            "the same session (same session_id) continues",
        ),
        ('new_session', 'resumed',),
        dropped=(
            "the energy charged before the cut is lost: ruled out by 6.5/6.22's 'total_charged_energy - "
            "Total charged energy', which would then miss energy the meter ('energy_index - Current "
            "energy index value') counted",
        ),
    ),
    Ambiguity(
        "overcurrent_recovery", "6.16",
        "'overcurrent - Overcurrent flag' says nothing of when an active overcurrent clears.",
        ("clears when the EV is unplugged (the overdrawing vehicle leaves); the logged flag stays until "
         "Logged_errors.Reset",),
    ),
    Ambiguity(
        "contactor_failure_recovery", "6.16",
        "'contactor_failure - Contactor failure error flag' says nothing of when it clears; a contactor "
        "that welded or did not close cannot be trusted to switch the next session.",
        ("latched until Device.Reset or a power cycle: no PWM, no charging attempt meanwhile",),
    ),
    Ambiguity(
        "mains_fault_recovery", "6.16",
        "'overvoltage_error' / 'undervoltage_error' / 'voltage_error' say nothing of when they clear.",
        ("clear automatically once the supply has been back within 230 V ±10 % for a couple of seconds; "
         "charging then resumes",),
    ),
    # the charging schedule over time (6.31-6.33, chapter 4 gmt_offset / charging_schedule_enabled)
    Ambiguity(
        "schedule_end_minute", "6.31",
        "'end_h – Hour at which the interval is activated' / 'end_m – Minute at which the interval is "
        "activated' [sic] (6.31, 6.32) do not say whether the end minute belongs to the interval: whether an "
        "interval ending 08:30 still applies at 08:30:30.",
        (
            "exclusive: the interval ends at end_h:end_m:00; the end minute is not part of it",
            "inclusive: the end minute is part of the interval; it ends at end_h:end_m + 1 minute",
        ),
        ("exclusive", "inclusive",),
    ),
    Ambiguity(
        "schedule_outside_intervals", "6.31",
        "6.31 'current – Current value for the time interval. A 0 value means charging is paused, otherwise "
        "the 6-32 range is applied' says nothing of a time no interval covers while charging_schedule_enabled "
        "is true (chapter 4 'If disabled, the charger will ignore the charging schedule').",
        (
            "unrestricted: outside every interval the schedule sets no limit and charging is allowed",
            "paused: outside every interval the charger holds the EV in B_SCHEDULER (schedule_current 0)",
        ),
        ("unrestricted", "paused",),
    ),
    Ambiguity(
        "schedule_override_without_ev", "6.33",
        "6.33 'Ignore charging schedule for the current charging session. Charging schedule is reactivated "
        "when the car is disconnected.': with no EV plugged in there is no current session; what the call "
        "does then is not said.  With an EV plugged in every reading overrides until the unplug, and no "
        "reading keeps an Override across a reboot.",
        (
            "accepted (true) for the next session: the next plug-in ignores the schedule until that EV is "
            "disconnected",
            "accepted (true) with no effect: the next plug-in follows the schedule",
            "refused with -1 general fail (no charging session); nothing changes",
        ),
        ("next_session", "no_effect", "refused",),
    ),
    Ambiguity(
        "temperature_recovery", "5",
        "'overtemp_threshold' and 'critical_temp_threshold' (chapter 5) give the set points but no "
        "hysteresis: when overtemp / critical_temp clear is not said.",
        ("each clears a few degrees (5 °C) below its threshold: derating and the stop end there",),
    ),
)

AMBIGUITIES_BY_ID: dict[str, Ambiguity] = {a.id: a for a in AMBIGUITIES}

# Which table entries each ambiguity concerns: a method name, a key name, or "Method/field".
# Protocol-wide ambiguities (framing) concern no single entry and are absent here.
ABOUT: dict[str, tuple[str, ...]] = {
    "missing_param_code": tuple(  # every method with a required param
        ("App_config.Set", "Install_current.Set", "Dynamic_current.Set", "Charging_schedule.Set", "Pin.Set",
         "Pin.Check", "Ap_password.Set")),
    "extra_params": (),  # protocol-wide: any method
    "null_string_set_back": ("led_template", "charger_alias", "ocpp_server_link", "owner_id", "em_id", "timezone"),
    "pwm_value_without_pwm": ("Pwm_value.Get/pwm_value",),
    "ap_password_length_unit": ("Ap_password.Set/password",),
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
    # bench section
    "blocked_state_letter": ("Charger_info.Get/charger_state",),
    "session_booked_at": ("Counters_config.Get", "Counters_config.Get/total_charged_sessions"),
    "charger_stop_sequence": ("Ota.Verify",),
    "rcd_fault_state": ("Charger_info.Get/charger_state", "Charger_info.Get/extended_charger_state",
                        "Active_errors.Get/rcd_error"),
    "rcd_recovery": ("Active_errors.Get/rcd_error", "Logged_errors.Get/rcd_error", "rcd_enabled"),
    "mains_voltage_flag": ("Active_errors.Get/voltage_error", "Active_errors.Get/overvoltage_error",
                           "Active_errors.Get/undervoltage_error"),
    "session_after_mains_loss": ("Charger_info.Get/session_id", "Counters_config.Get/total_charged_energy"),
    "overcurrent_recovery": ("Active_errors.Get/overcurrent",),
    "contactor_failure_recovery": ("Active_errors.Get/contactor_failure", "Device.Reset"),
    "mains_fault_recovery": ("Active_errors.Get/voltage_error", "Active_errors.Get/overvoltage_error",
                             "Active_errors.Get/undervoltage_error"),
    "temperature_recovery": ("overtemp_threshold", "critical_temp_threshold", "Active_errors.Get/overtemp",
                             "Active_errors.Get/critical_temp"),
    "schedule_end_minute": ("Charging_schedule.Set/charging_schedule", "System_currents.Get/schedule_current"),
    "schedule_outside_intervals": ("Charging_schedule.Set/charging_schedule", "charging_schedule_enabled",
                                   "System_currents.Get/schedule_current",
                                   "Charger_info.Get/extended_charger_state"),
    "schedule_override_without_ev": ("Charging_schedule.Override",),
}


def ambiguities_for(subject: str) -> tuple[Ambiguity, ...]:
    """The ambiguities concerning one table entry (a method, a key, or ``Method/field``), in table order."""
    return tuple(a for a in AMBIGUITIES if subject in ABOUT.get(a.id, ()))
