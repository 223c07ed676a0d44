"""Which defensible reading of the RPC list the virtual charger takes, one switch per ambiguity.

Where the vendor's list allows two readings, a correct charger may take either, so the suites must
pass on every one.  The virtual charger therefore reads its behaviour at each ambiguous place from
this table instead of hard-coding our own reading.  Each switch is keyed by the ambiguity's id in
``reference/spec/ambiguities.py`` and names its readings by short slugs; the first is the default.
The suites' table is written separately (a project test holds the two against each other), so the
simulator never imports the suites.

``python -m simulator --reading NAME=SLUG`` picks one; ``--readings alternative`` takes, for every
switch, a reading other than the default (``alternative:2`` the third where there is one); 
``--readings random:SEED`` draws a seeded mix.
"""
from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ReadingSwitch:
    """One ambiguous place: the readings a correct charger may take there (first = default)."""

    ambiguity: str
    choices: tuple[str, ...]
    summary: str


def _s(ambiguity: str, summary: str, *choices: str) -> ReadingSwitch:
    return ReadingSwitch(ambiguity, tuple(choices), summary)


# Each entry: ambiguity id, what the firmware does differently, and its reading slugs (default first).
# Two sections, one per area of the firmware, so work on one does not collide with the other.
SWITCHES: dict[str, ReadingSwitch] = {s.ambiguity: s for s in (
    # --- API: framing, configuration keys, method results --------------------------------------
    # chapter 1: frames and transports
    _s("framing_error_codes", "codes for a frame that is not JSON, not a request, or has non-object params",
       "vendor", "jsonrpc"),
    _s("unknown_method_code", "the code for a method that does not exist", "code_404", "jsonrpc_32601",
       "general_fail", "unknown_key"),
    _s("method_name_invalid", "an empty or non-string method: invalid request, or looked up as a name",
       "invalid_request", "unknown_method"),
    _s("jsonrpc_version_echo", "whether \"jsonrpc\": \"2.0\" is echoed", "echoed", "not_echoed"),
    _s("null_params_frame", "\"params\": null taken as no params, or rejected", "as_omitted", "rejected"),
    _s("null_id_frame", "\"id\": null answered, or a notification", "answered", "notification"),
    _s("batch_request", "a JSON array of frames rejected, or served", "rejected", "served"),
    _s("websocket_channel", "a WebSocket on /rpc", "served", "absent"),
    _s("per_method_url_styles", "POST /rpc/<Method> and GET /rpc/<Method>", "both", "none", "post_only"),
    # chapter 3: error codes and messages
    _s("error_message_text", "an error's message: free text or chapter 3's description", "free_text",
       "chapter3_text"),
    _s("missing_param_code", "a missing required param", "json_format", "general_fail"),
    _s("extra_params", "undocumented params ignored or rejected (-6)", "ignored", "rejected"),
    _s("null_param_code", "a param sent as null", "key_format", "json_format"),
    # chapter 4: application keys
    _s("connected_phase_default_out_of_range", "a fresh unit's connected_phase and whether 0 can be set",
       "zero_rejected", "zero_accepted", "fresh_reports_1"),
    _s("null_string_defaults", "how an unset string key is reported", "empty_string", "json_null", "omitted"),
    _s("null_string_set_back", "how a string key goes back to NULL", "empty_clears", "null_clears", "refused"),
    _s("led_template_invalid_code", "the code for a malformed LED template", "format_5_range_4", "format_5",
       "length_3", "general_fail"),
    _s("led_dimming_delay_int_max", "led_dimming_delay's INT_MAX", "int32", "uint32"),
    _s("int_max_overflow_code", "the code for a value past the device's int", "range_4", "format_5",
       "general_fail"),
    _s("free_string_length", "an over-long 'Any string' value", "rejected_3", "verbatim", "truncated"),
    _s("ocpp_server_link_url_rule", "which URLs ocpp_server_link takes, and the code for others", "any_scheme",
       "ws_only", "general_fail"),
    _s("latitude_longitude_range", "latitude/longitude bounds", "unbounded", "geographic"),
    # chapter 5: charger keys
    _s("set_charger_key_code", "App_config.Set of a chapter 5 key", "unknown_key_6", "prohibited_7", "writable"),
    _s("serial_number_type_mismatch", "the serial number's wire forms", "padded_string", "string_key",
       "unpadded"),
    # chapter 6: methods
    _s("config_value_type", "config_value forms App_config.Set takes", "both", "native_only", "string_only"),
    _s("ocpp_current_description", "System_currents.Get ocpp_current", "ocpp_limit", "mirrors_system_max"),
    _s("dynamic_current_volatile", "the dynamic current across a reboot", "volatile_32", "persisted"),
    _s("deprecated_method_served", "Serial_number.Get still served", "served", "removed"),
    _s("pwm_value_without_pwm", "Pwm_value.Get while no PWM runs", "dc_is_1", "off_is_0"),
    _s("device_id_format", "device_id's serial digits", "serial_digits", "padded"),
    _s("bssid_unknown", "Wifi_status.Get bssid", "known_lower", "known_upper", "omitted", "empty", "null"),
    _s("dynamic_current_trailing_space", "Dynamic_current.Get's result key", "typo", "with_space"),
    _s("ap_password_length_code", "the code for an AP password of a wrong length", "length_3", "range_4",
       "format_5"),
    _s("ap_password_length_unit", "what the AP password length counts", "characters", "utf8_bytes"),
    _s("charge_resume_description_copied", "Charge.Resume's state rule", "resumes", "restricted"),
    _s("heartbeat_notification_channel", "where Heartbeat.Trigger's notification goes", "websocket",
       "ocpp_only"),
    _s("schedule_validation_codes", "the codes for an invalid schedule interval", "range_4_missing_2",
       "format_5", "general_fail"),
    _s("schedule_interval_rules", "overlapping/wrapping intervals and the interval count", "lenient", "strict"),
    _s("pin_invalid_code", "the code for a malformed PIN", "length_first_3", "digits_first_5", "range_4"),
    _s("pin_check_mismatch", "Pin.Check's answer to a wrong PIN", "error_7", "error_1", "false"),
    # --- bench: states, PWM, metering, session control, faults ----------------------------------
    _s("gmt_offset_vs_timezone", "which key sets the schedule's local time", "gmt_offset_only",
       "timezone_overrides"),
    _s("blocked_state_letter", "charger_state while B_AUTH/LOCKED/B_SCHEDULER/B_PAUSE hold the EV off: the "
       "EV's CP letter, or B (the EVSE's own view: not charging)", "ev_letter", "b"),
    _s("diode_fault_state", "the state shown for a shorted EV diode", "f", "e", "cp_letter"),
    _s("extended_state_in_f", "extended_charger_state while charger_state is F", "f", "e"),
    _s("pe_open_state", "the state shown when the protective earth to the EV opens", "a", "e", "f"),
    _s("dynamic_current_zero_state", "extended state at dynamic current 0", "b_pause", "b", "b_scheduler",
       "c_pwm_off"),
    _s("limit_reason_tie", "current_limit_reason when the lowest limits are equal", "hw", "set_limit"),
    _s("user_power_to_current", "user_power [W] to a current limit", "nominal_floor", "nominal_round",
       "measured_round"),
    _s("user_power_limit_reason", "current_limit_reason when user_power binds", "user", "hw"),
    _s("current_voltage_scalar_meaning", "Charger_info scalar current/voltage", "connected_phase", "l1",
       "max_mean"),
    _s("single_phase_arrays", "Charger_info currents/voltages on one phase", "zeros", "at_connected_index",
       "single_element"),
    _s("total_charged_energy_type_unit", "Charger_info total_charged_energy", "wh_integer", "kwh_truncated",
       "wh_float"),
    _s("session_booked_at", "when a session is booked in the 6.22 counters", "unplug", "charging_end"),
    _s("state_restricted_code", "Session_energy.Reset in C/D", "prohibited", "general_fail", "accepted_ignored"),
    _s("device_reset_during_session", "Device.Reset while charging", "defer", "reject"),
    _s("charger_stop_sequence", "an OTA stop while the EV stays in C: PWM and contactor together, or PWM "
       "first and the contactor as for a pause (on B, else after >= 6 s)", "together", "pwm_first"),
    # protective functions (simulator/firmware/protection.py, power.py)
    _s("rcd_fault_state", "the state shown after a residual-current trip", "cp_letter", "f", "e"),
    _s("rcd_recovery", "what clears a residual-current trip", "unplug", "automatic", "reset"),
    _s("mains_voltage_flag", "the flag a supply out of its band sets", "specific", "generic", "both"),
    _s("session_after_mains_loss", "an EV still in C when mains comes back: a new session or the same one",
       "new_session", "resumed"),
    # the charging schedule over time (simulator/firmware/schedule.py; spec 6.31, 6.33)
    _s("schedule_end_minute", "whether an interval's end minute end_h:end_m is part of it (ends at end_m:00, or "
       "one minute later)", "exclusive", "inclusive"),
    _s("schedule_outside_intervals", "the schedule enabled, at a time no interval covers: no schedule limit, or "
       "paused (B_SCHEDULER)", "unrestricted", "paused"),
    _s("schedule_override_without_ev", "Charging_schedule.Override with no EV plugged in: for the next session, "
       "no effect, or refused (-1)", "next_session", "no_effect", "refused"),
)}


class UnknownReading(ValueError):
    """A reading name or slug that no switch knows (a usage error of the launch command)."""


class ActiveReadings:
    """The readings a virtual charger runs with; ``readings["ambiguity"]`` is the firmware's check."""

    def __init__(self, chosen: Mapping[str, str] | None = None) -> None:
        chosen = dict(chosen or {})
        for name, slug in chosen.items():
            if name not in SWITCHES:
                raise UnknownReading(f"unknown reading {name!r}; known: {sorted(SWITCHES)}")
            if slug not in SWITCHES[name].choices:
                raise UnknownReading(f"reading {name!r} has no choice {slug!r}; choices: {SWITCHES[name].choices}")
        self.chosen = chosen

    def __getitem__(self, name: str) -> str:
        if name not in SWITCHES:
            raise UnknownReading(f"firmware checks an unregistered reading {name!r}")
        return self.chosen.get(name, SWITCHES[name].choices[0])

    def is_(self, name: str, slug: str) -> bool:
        """True when the charger takes reading ``slug`` of ``name`` (a typo in either raises)."""
        if slug not in SWITCHES.get(name, ReadingSwitch(name, (), "")).choices:
            raise UnknownReading(f"reading {name!r} has no choice {slug!r}")
        return self[name] == slug

    def as_dict(self) -> dict[str, str]:
        """Every switch with the reading in force (for the ready line and the report)."""
        return {name: self[name] for name in SWITCHES}

    def __repr__(self) -> str:
        return f"ActiveReadings({self.chosen})"


def preset(name: str) -> dict[str, str]:
    """``default``; ``alternative`` (every switch's second choice); ``alternative:N`` (its N-th, or its
    last non-default one where it has fewer); or ``random:SEED``."""
    if name == "default":
        return {}
    if name == "alternative" or name.startswith("alternative:"):
        suffix = name.partition(":")[2] or "1"
        index = int(suffix) if suffix.isdigit() else 0
        if index < 1:
            raise UnknownReading(f"readings preset {name!r}: alternative:N takes N >= 1")
        return {n: s.choices[min(index, len(s.choices) - 1)] for n, s in SWITCHES.items() if len(s.choices) > 1}
    if name.startswith("random:"):
        seed = name.partition(":")[2]
        rng = random.Random(seed)
        return {n: rng.choice(s.choices) for n, s in SWITCHES.items()}
    raise UnknownReading(f"unknown readings preset {name!r}: default, alternative or random:SEED")


def from_arguments(presets: Iterable[str], pairs: Iterable[str]) -> ActiveReadings:
    """The readings for ``--readings PRESET`` (applied in order) and ``--reading NAME=SLUG`` (last wins)."""
    chosen: dict[str, str] = {}
    for name in presets:
        chosen.update(preset(name))
    for pair in pairs:
        name, sep, slug = pair.partition("=")
        if not sep:
            raise UnknownReading(f"--reading takes NAME=SLUG, not {pair!r}")
        chosen[name.strip()] = slug.strip()
    return ActiveReadings(chosen)
