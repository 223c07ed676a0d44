"""Chapter 6 of the RPC list: the 35 methods, as data.

Each entry carries the spec's section number, heading, parameters and documented result, so a suite
parametrizes over ``METHODS`` and its test ids read like the spec (``6.15 Install_current.Set``).
Quirks are transcribed as written (a result key with a trailing space, a copied description) and
named in ``ambiguities.py``; the table never silently corrects the spec.
"""
from __future__ import annotations

from .keys import APP_KEYS, CHARGER_KEYS
from .schema import ConfigKey, Field, JsonType, Method, Param

_B, _I, _D, _S = JsonType.BOOL, JsonType.INTEGER, JsonType.DOUBLE, JsonType.STRING
_TRUE = JsonType.TRUE

# IEC 61851 states as the spec spells them (6.5 charger_state, 6.13 adc_state).
IEC_STATES = ("A", "B", "C", "D", "E", "F")
# 6.5 extended_charger_state, in spec order.
EXTENDED_STATES = ("A", "B", "B_AUTH", "C", "D", "E", "OTA", "LOCKED", "B_PAUSE", "B_SCHEDULER")

# 6.9 / 6.16: the same 18 flags, "If true, flag is set."
_ERROR_FLAGS: tuple[tuple[str, str], ...] = (
    ("state_e_activated", "State machine E activated."),
    ("overtemp", "Overtemperature."),
    ("critical_temp", "Critical temperature."),
    ("overcurrent", "Overcurrent."),
    ("meter_fault", "Meter fault."),
    ("voltage_error", "Voltage error."),
    ("rcd_error", "RCD error."),
    ("rcd_test_error", "RCD test error."),
    ("rcd_err_pin_error", "RCD err pin error."),
    ("rcd_err6_pin_error", "RCD 6 mA pin error."),
    ("rcd_init_start_error", "RCD init start error."),
    ("rcd_init_end_error", "RCD init end error."),
    ("state_f_activated", "State machine F activated."),
    ("contactor_failure", "Contactor failure."),
    ("cp_diode_failure", "CP diode failure."),
    ("undervoltage_error", "Undervoltage."),
    ("overvoltage_error", "Overvoltage."),
    ("state_machine_na_error", "State machine in unknown state."),
)
ERROR_FLAG_FIELDS: tuple[Field, ...] = tuple(Field(n, _B, doc=d) for n, d in _ERROR_FLAGS)

# 6.31 / 6.32: one interval of the charging schedule.
SCHEDULE_INTERVAL_FIELDS: tuple[Param, ...] = (
    Param("start_d", _I, minimum=1, maximum=7, doc="Weekday the interval starts; 1 = Monday."),
    Param("start_h", _I, minimum=0, maximum=23, doc="Hour the interval starts."),
    Param("start_m", _I, minimum=0, maximum=59, doc="Minute the interval starts."),
    Param("end_d", _I, minimum=1, maximum=7, doc="Weekday the interval ends; 1 = Monday."),
    Param(
        "end_h", _I, minimum=0, maximum=23,
        doc="Hour the interval ends (spec says 'activated'; see ambiguity schedule_end_described_as_activated).",
    ),
    Param(
        "end_m", _I, minimum=0, maximum=59,
        doc="Minute the interval ends (spec says 'activated'; see ambiguity schedule_end_described_as_activated).",
    ),
    Param(
        "current", _I, minimum=0, maximum=32,
        doc="Current [A] during the interval: 0 pauses charging, otherwise 6-32; so 1-5 are invalid.",
    ),
    Param("lb_mode", _I, minimum=1, maximum=3, doc="Load-balancing mode for the EM device: 1, 2 or 3."),
)



def _key_fields(keys: tuple[ConfigKey, ...]) -> tuple[Field, ...]:
    """6.3 / 6.21 answer one field per configuration key; derive them so chapter 4/5 stay the one source."""
    return tuple(
        Field(k.name, k.type, minimum=k.minimum, maximum=k.maximum, pattern=k.pattern, doc=k.doc)
        for k in keys
    )


_SCHEDULE_FIELD = Field(
    "charging_schedule", JsonType.ARRAY, items=JsonType.OBJECT,
    doc="Intervals, each with the fields of SCHEDULE_INTERVAL_FIELDS.",
)
_PIN = Param(
    "pin", _S, min_length=4, max_length=4, pattern="[0-9]{4}", secret=True,
    doc="4-digit PIN value (see ambiguity pin_invalid_code).",
)

METHODS: tuple[Method, ...] = (
    Method(
        "Charge.Start", "6.1", "Remote charging start",
        params=(Param("tag", _S, required=False, doc="Tag name; optional."),),
        doc="Remote charging start.",
    ),
    Method("Charge.Stop", "6.2", "Remote charging stop", doc="Remote charging stop."),
    Method(
        "App_config.Get", "6.3", "Get application configurations",
        result=_key_fields(APP_KEYS),
        doc="Get application configurations: an object with every chapter 4 key "
        "(see ambiguities app_config_get_value_types, null_string_defaults).",
    ),
    Method(
        "App_config.Set", "6.4", "Set application configurations",
        params=(
            Param("config_key", _S, doc="A chapter 4 key name."),
            Param(
                "config_value", _S,
                doc="Key value; typed 'string' ('OCPP style') although real clients send JSON numbers "
                "and booleans (see ambiguity config_value_type).",
            ),
        ),
        doc="Set application configuration OCPP style.",
    ),
    Method(
        "Charger_info.Get", "6.5", "Get charger information",
        result=(
            Field("charger_state", _S, choices=IEC_STATES, doc="IEC 61851 state letter."),
            Field("session_energy", _D, doc="Current session charged energy [Wh]."),
            Field("charging_time", _I, doc="Current session charging time [s]."),
            Field("session_id", _I, doc="Current session ID."),
            Field("instant_power", _D, doc="Instant power [W]."),
            Field("current", _D, doc="Current value (see ambiguity current_voltage_scalar_meaning)."),
            Field(
                "currents", JsonType.ARRAY, items=_D, length=3,
                doc="Currents L1, L2, L3 (see ambiguity single_phase_arrays).",
            ),
            Field(
                "current_limit_reason", _I, minimum=0, maximum=8,
                doc="0 HW capabilities, 1 install current, 2 user current, 3 dynamic current, "
                "4 schedule, 5 EM device offline, 6 EM device, 7 OCPP current, 8 temperature control.",
            ),
            Field("voltage", _D, doc="Voltage value (see ambiguity current_voltage_scalar_meaning)."),
            Field(
                "voltages", JsonType.ARRAY, items=_D, length=3,
                doc="Voltages L1, L2, L3 (see ambiguity single_phase_arrays).",
            ),
            Field("temperature", _D, doc="Board temperature."),
            Field("energy_index", _D, doc="Energy index value."),
            Field(
                "total_charged_energy", _I,
                doc="Total charged energy; integer here, double in kWh in 6.22 "
                "(see ambiguity total_charged_energy_type_unit).",
            ),
            Field("headless", _B, doc="Headless flag (chapter 4 key)."),
            Field(
                "led_max_brightness", _I, minimum=10, maximum=100,
                doc="LED brightness; range from the chapter 4 key.",
            ),
            Field(
                "install_current", _I, minimum=6, maximum=32,
                doc="Installation current; range from chapter 4 / 6.15.",
            ),
            Field("dynamic_current", _I, minimum=0, maximum=32, doc="Dynamic current; range from 6.18."),
            Field("em_current", _I, doc="EM current value."),
            Field("fw_version", _S, doc="Firmware version."),
            Field(
                "extended_charger_state", _S, choices=EXTENDED_STATES,
                doc="State with internal sub-states (B_AUTH waiting for authentication, OTA, LOCKED, "
                "B_PAUSE paused, B_SCHEDULER paused by the scheduler).",
            ),
            Field("has_active_errors", _B, doc="Charger has active errors."),
            Field("charger_is_paused", _B, doc="Charger is paused."),
            Field("heap_free", _I, doc="Free heap."),
            Field("pwm_current", _I, doc="Current at which the PWM was calculated."),
        ),
        doc="Get charger information.",
    ),
    Method(
        "Sw_version.Get", "6.6", "Get software version",
        result=(
            Field("fw_version", _S, doc="Firmware version number."),
            Field("fw_id", _S, doc="Firmware id."),
        ),
        doc="Get software version.",
    ),
    Method(
        "Device.Reset", "6.7", "Reset device",
        destructive=True,
        doc="Reset device; with an active charging session the device first waits for its end "
        "(see ambiguity device_reset_during_session).",
    ),
    Method(
        "Board_revision.Get", "6.8", "Get board revision",
        result=(Field("board_revision", _S, pattern="[A-Z]", doc="Board revision, A to Z."),),
        doc="Get board revision.",
    ),
    Method(
        "Logged_errors.Get", "6.9", "Get logged errors",
        result=ERROR_FLAG_FIELDS,
        doc="Get error flags (latched).",
    ),
    Method("Logged_errors.Reset", "6.10", "Reset logged errors", doc="Reset logged errors."),
    Method(
        "Serial_number.Get", "6.11", "Get serial number. (deprecated)",
        result=(
            Field(
                "serial_number", _S, pattern="[0-9]{6}",
                doc="Board serial number 'xxxxxx', x = 0..9 (see ambiguity serial_number_type_mismatch).",
            ),
        ),
        deprecated=True,
        doc="Get serial number (see ambiguity deprecated_method_served).",
    ),
    Method(
        "Pwm_value.Get", "6.12", "12.Get PWM value",
        result=(Field("pwm_value", _D, minimum=0.0, maximum=1.0, doc="Current PWM value, 0.0-1.0."),),
        doc="Get current PWM value (heading garbled; see ambiguity pwm_heading_typo).",
    ),
    Method(
        "Adc_state.Get", "6.13", "Get ADC state",
        result=(
            Field("adc_state", _S, choices=IEC_STATES, doc="Current ADC state, IEC 61851 letter."),
            Field("adc_raw", _I, doc="Raw ADC value."),
        ),
        doc="Get current ADC state name.",
    ),
    Method(
        "Device_id.Get", "6.14", "Get device ID",
        result=(
            Field(
                "device_id", _S, pattern="1p7k_[0-9]+",
                doc="Device ID string; the spec gives no format, the pattern is the field format "
                "'<type>_<serial>' (see ambiguity device_id_format).",
            ),
        ),
        doc="Get device ID.",
    ),
    Method(
        "Install_current.Set", "6.15", "Set installation current value",
        params=(Param("install_current", _I, minimum=6, maximum=32, doc="Installation current [A], 6-32."),),
        doc="Set software current value.",
    ),
    Method(
        "Active_errors.Get", "6.16", "Get active errors",
        result=ERROR_FLAG_FIELDS,
        doc="Get active errors.",
    ),
    Method(
        "Wifi_status.Get", "6.17", "Get wifi status",
        result=(
            Field("connected", _B, doc="True if Wi-Fi is connected."),
            Field("sta_ip", _S, doc="Station IP."),
            Field("sta_name", _S, doc="Station name."),
            Field("rssi", _I, doc="RSSI level."),
            Field("bssid", _S, doc="BSSID, if known (see ambiguity bssid_unknown)."),
        ),
        doc="Get wifi status.",
    ),
    Method(
        "Dynamic_current.Set", "6.18", "Set dynamic current",
        params=(Param("dynamic_current", _I, minimum=0, maximum=32, doc="Dynamic current [A], 0-32."),),
        doc="Set dynamic current.",
    ),
    Method(
        "Dynamic_current.Get", "6.19", "Get dynamic current",
        # The spec writes the key with a trailing space; transcribed as written.
        result=(
            Field(
                "dynamic_current ", _I, minimum=0, maximum=32,
                doc="Dynamic current value (see ambiguity dynamic_current_trailing_space).",
            ),
        ),
        doc="Get dynamic current.",
    ),
    Method(
        "System_currents.Get", "6.20", "Get system currents",
        result=(
            Field("cable_current", _I, doc="Cable current value."),
            Field("install_current", _I, minimum=6, maximum=32, doc="Install current; range from 6.15."),
            Field("dynamic_current", _I, minimum=0, maximum=32, doc="Dynamic current; range from 6.18."),
            Field("user_current", _I, minimum=6, maximum=32, doc="User current; range from chapter 4."),
            Field("charging_current", _I, doc="Charging current value."),
            Field("system_max_current", _I, doc="System max current value."),
            Field("schedule_current", _I, doc="Schedule current value."),
            Field(
                "ocpp_current", _I,
                doc="Described as 'System max current value' (see ambiguity ocpp_current_description).",
            ),
            Field("em_current", _I, doc="Energy-management max current value."),
            Field("temperature_current", _I, doc="Temperature-controlled current value."),
            Field("user_power_current", _I, doc="User-power max current value."),
        ),
        doc="Get system currents.",
    ),
    Method(
        "Charger_config.Get", "6.21", "Get charger configurations",
        result=_key_fields(CHARGER_KEYS),
        doc="Get charger configurations: an object with every chapter 5 key.",
    ),
    Method(
        "Counters_config.Get", "6.22", "Get counters configurations",
        result=(
            Field("total_charged_time", _I, doc="Total charged time [min]."),
            Field("total_charged_sessions", _I, doc="Total charged sessions."),
            Field(
                "total_charged_energy", _D,
                doc="Total charged energy [kWh] (see ambiguity total_charged_energy_type_unit).",
            ),
            Field("last_session_energy", _I, doc="Last session energy [Wh]."),
        ),
        doc="Get counters configurations.",
    ),
    Method(
        "Ota.Verify", "6.23", "Ota verification",
        destructive=True,
        doc="Trigger an OTA verification sequence.",
    ),
    Method(
        "Session_energy.Reset", "6.24", "Reset session energy",
        allowed_states=("A", "B", "E", "F"),
        doc="Reset session energy value. Accessible only in states A, B, E, F "
        "(see ambiguity state_restricted_code).",
    ),
    Method(
        "Factory.Reset", "6.25", "Factory Reset",
        destructive=True,
        doc="Reset to factory settings.",
    ),
    Method(
        "Ap_password.Set", "6.26", "Set AP password",
        params=(
            Param(
                "password", _S, min_length=8, max_length=63, secret=True,
                doc="AP password, 8 to 63 characters; length 0 is also accepted and removes password "
                "access (see ambiguity ap_password_length_code).",
            ),
        ),
        doc="Set access point password.",
    ),
    Method("Charge.Pause", "6.27", "Pause charge", doc="Pause the charging process."),
    Method(
        "Charge.Resume", "6.28", "Resume charge",
        # allowed_states deliberately left None: the state rule belongs to the copied text.
        doc="Spec text: 'Reset session energy value. Accessible only in states A,B,E,F', copied from "
        "6.24 (see ambiguity charge_resume_description_copied).",
    ),
    Method(
        "Device_info.Get", "6.29", "Get device info",
        result=(
            Field("device_id", _S, pattern="1p7k_[0-9]+", doc="Device ID (see ambiguity device_id_format)."),
            Field(
                "connected_phase", _I, minimum=1, maximum=3,
                doc="Connected phase; accepted range 1-3 (chapter 4) but default 0 "
                "(see ambiguity connected_phase_default_out_of_range).",
            ),
            Field("fw_version", _S, doc="Firmware version."),
            Field("charger_alias", _S, doc="Charger alias (see ambiguity null_string_defaults)."),
        ),
        doc="Spec text: 'Get serial number.' (see ambiguity device_info_description).",
    ),
    Method(
        "Heartbeat.Trigger", "6.30", "Heartbeat trigger",
        doc="Trigger Heartbeat notification (see ambiguity heartbeat_notification_channel).",
    ),
    Method(
        "Charging_schedule.Set", "6.31", "Set charging schedule",
        params=(
            Param(
                "charging_schedule", JsonType.ARRAY,
                doc="Array of intervals, each an object with SCHEDULE_INTERVAL_FIELDS "
                "(see ambiguities schedule_validation_codes, schedule_interval_rules).",
            ),
        ),
        doc="Set charging schedule.",
    ),
    Method(
        "Charging_schedule.Get", "6.32", "Get charging schedule",
        result=(_SCHEDULE_FIELD,),
        doc="Get charging schedule.",
    ),
    Method(
        "Charging_schedule.Override", "6.33", "Override charging schedule",
        doc="Ignore the charging schedule for the current session; it is reactivated when the car "
        "is disconnected.",
    ),
    Method("Pin.Set", "6.34", "Set PIN", params=(_PIN,), doc="Set access PIN value."),
    Method(
        "Pin.Check", "6.35", "Check PIN",
        params=(_PIN,),
        doc="Check PIN value (see ambiguity pin_check_mismatch).",
    ),
)

METHODS_BY_NAME: dict[str, Method] = {m.name: m for m in METHODS}
_BY_FOLDED_NAME: dict[str, Method] = {m.name.casefold(): m for m in METHODS}


def method(name: str) -> Method:
    """Look a method up case-insensitively, as the charger itself matches names (field facts §1)."""
    try:
        return _BY_FOLDED_NAME[name.casefold()]
    except KeyError:
        raise KeyError(f"no method {name!r} in RPC list chapter 6") from None
