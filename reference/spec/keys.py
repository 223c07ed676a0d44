"""Chapters 4 and 5 of the RPC list: the configuration keys, as data.

Chapter 4 keys are read by ``App_config.Get`` and written by ``App_config.Set``; chapter 5 keys are only
read (``Charger_config.Get``), the spec documents no setter for them.  Ranges, defaults and formats are
the spec's; where a format rule (a LED template, a URL) cannot be written as a range, concrete
``valid_examples`` / ``invalid_examples`` stand in for it.  Where the spec contradicts itself the entry
says so and names the ambiguity (``ambiguities.py``) instead of choosing silently.
"""
from __future__ import annotations

from .schema import INT_MAX, ConfigKey, JsonType, KeyGroup

# One LED channel value, 0..255 without leading zeros (spec §4 led_template: "Values: 0..255").
_BYTE = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
# Twelve comma-separated channel values; the spec's own example has a space after a comma
# ("red2, green2"), so spaces after commas are tolerated.
LED_TEMPLATE_PATTERN = rf"{_BYTE}(?:, *{_BYTE}){{11}}"

# "Any string" keys: the empty string and non-ASCII text are both "any string" (spec §4).
_ANY_STRING_EXAMPLES = ("", "Garage", "Garáž ⚡ Ștefan")

_APP = KeyGroup.APP
_CHG = KeyGroup.CHARGER

# Chapter 4, in spec order.
APP_KEYS: tuple[ConfigKey, ...] = (
    ConfigKey(
        "headless", _APP, JsonType.BOOL, True, "4",
        doc="Headless charger: no OCPP control, plug in and it charges.",
    ),
    ConfigKey(
        "install_current", _APP, JsonType.INTEGER, 6, "4", minimum=6, maximum=32,
        doc="Current [A] limited by software.",
    ),
    ConfigKey(
        "led_max_brightness", _APP, JsonType.INTEGER, 10, "4", minimum=10, maximum=100,
        doc="LED maximum brightness in %.",
    ),
    ConfigKey(
        "led_dimming_delay", _APP, JsonType.INTEGER, 0, "4", minimum=0, maximum=INT_MAX,
        doc="Seconds before maximum LED brightness applies; 0 means always at maximum brightness. "
        "Upper bound written 'INT_MAX' (see ambiguity led_dimming_delay_int_max).",
    ),
    ConfigKey(
        "charger_locked", _APP, JsonType.BOOL, False, "4",
        doc="Charger locked: while true no charging session starts.",
    ),
    ConfigKey(
        "auto_update", _APP, JsonType.BOOL, True, "4",
        doc="Periodically check the OTA server for new firmware.",
    ),
    ConfigKey(
        "led_template_enabled", _APP, JsonType.BOOL, False, "4",
        doc="Custom LED template feature enabled.",
    ),
    ConfigKey(
        "led_template", _APP, JsonType.STRING, None, "4",
        pattern=LED_TEMPLATE_PATTERN,
        valid_examples=(
            "255,0,0,0,255,0,0,0,255,10,20,30",
            "0,0,0,0,0,0,0,0,0,0,0,0",
            "255,255,255,255,255,255,255,255,255,255,255,255",
            "1,2,3,4, 5,6,7,8,9,10,11,12",  # the spec's own example has a space after a comma
        ),
        invalid_examples=(
            "0,0,0,0,0,0,0,0,0,0,0",  # 11 values
            "0,0,0,0,0,0,0,0,0,0,0,0,0",  # 13 values
            "256,0,0,0,0,0,0,0,0,0,0,0",  # above 255
            "-1,0,0,0,0,0,0,0,0,0,0,0",  # negative
            "a,b,c,d,e,f,g,h,i,j,k,l",  # letters
            "0,0,0,0,0,0,0,0,0,0,0,0,",  # trailing comma
        ),
        doc="Custom LED template, segments seen from the front: 'r1,g1,b1,r2,g2,b2,r3,g3,b3,r4,g4,b4' "
        "for top, right, bottom, left; each 0..255 (see ambiguities led_template_color_names, "
        "led_template_invalid_code).",
    ),
    ConfigKey(
        "charger_alias", _APP, JsonType.STRING, None, "4",
        valid_examples=_ANY_STRING_EXAMPLES,
        doc="Charger alias, used by the app. Any string (see ambiguity free_string_length).",
    ),
    ConfigKey(
        "latitude", _APP, JsonType.DOUBLE, 0.0, "4",
        doc="Charger latitude; 'Double value', no range given (see ambiguity latitude_longitude_range).",
    ),
    ConfigKey(
        "longitude", _APP, JsonType.DOUBLE, 0.0, "4",
        doc="Charger longitude; 'Double value', no range given (see ambiguity latitude_longitude_range).",
    ),
    ConfigKey(
        "ocpp_server_link", _APP, JsonType.STRING, None, "4",
        valid_examples=(
            "ws://ocpp.example.com:8080/ocpp/1p7k_500006",
            "wss://ocpp.example.com/ocpp/1p7k_500006",
        ),
        invalid_examples=("not a url", "ftp//x"),
        doc="OCPP server link; must be a valid URL (see ambiguity ocpp_server_link_url_rule).",
    ),
    ConfigKey(
        "connected_phase", _APP, JsonType.INTEGER, 0, "4", minimum=1, maximum=3,
        doc="Supply phase the charger is connected to. Accepted 1-3, yet the default is 0 "
        "(see ambiguity connected_phase_default_out_of_range).",
    ),
    ConfigKey(
        "owner_id", _APP, JsonType.STRING, None, "4",
        valid_examples=_ANY_STRING_EXAMPLES,
        doc="Owner ID. Any string (see ambiguity free_string_length).",
    ),
    ConfigKey(
        "user_current", _APP, JsonType.INTEGER, 32, "4", minimum=6, maximum=32,
        doc="User current [A].",
    ),
    ConfigKey(
        "gmt_offset", _APP, JsonType.INTEGER, 0, "4", minimum=-12, maximum=12,
        doc="GMT offset in hours, used for charging-schedule time calculations "
        "(see ambiguity gmt_offset_vs_timezone).",
    ),
    ConfigKey(
        "precise_pwm_mode", _APP, JsonType.BOOL, False, "4",
        doc="Precise PWM mode: steadier PWM, but LEDs are fixed in state C.",
    ),
    ConfigKey(
        "energy_management_enabled", _APP, JsonType.BOOL, False, "4",
        doc="Energy-management control flag; the app sets/clears it with load balancing.",
    ),
    ConfigKey(
        "charging_schedule_enabled", _APP, JsonType.BOOL, False, "4",
        doc="Charging schedule enabled; when false the charger ignores the schedule.",
    ),
    ConfigKey(
        "em_id", _APP, JsonType.STRING, None, "4",
        valid_examples=("", "em_0001", "Compteur-énergie ①"),
        doc="Current energy-management device ID. Any string (see ambiguity free_string_length).",
    ),
    ConfigKey(
        "timezone", _APP, JsonType.STRING, None, "4",
        valid_examples=("", "Europe/Bucharest", "Europe/București"),
        doc="Timezone name. Any string (see ambiguities free_string_length, gmt_offset_vs_timezone).",
    ),
    ConfigKey(
        "user_power", _APP, JsonType.INTEGER, 7360, "4", minimum=1380, maximum=7360,
        doc="User power [W] (1380 W = 6 A and 7360 W = 32 A at 230 V).",
    ),
)

# Chapter 5, in spec order.  Read-only as far as the spec goes (see ambiguity set_charger_key_code).
CHARGER_KEYS: tuple[ConfigKey, ...] = (
    ConfigKey(
        "overtemp_threshold", _CHG, JsonType.INTEGER, 70, "5", minimum=55, maximum=INT_MAX,
        doc="Overtemperature threshold.",
    ),
    ConfigKey(
        "critical_temp_threshold", _CHG, JsonType.INTEGER, 80, "5", minimum=65, maximum=INT_MAX,
        doc="Critical temperature threshold.",
    ),
    ConfigKey(
        "voltage_gain", _CHG, JsonType.DOUBLE, 1.0, "5", minimum=0.8, maximum=1.2,
        doc="Meter voltage gain.",
    ),
    ConfigKey(
        "current_gain", _CHG, JsonType.DOUBLE, 1.0, "5", minimum=0.8, maximum=1.2,
        doc="Meter current gain.",
    ),
    ConfigKey(
        "calibration_temperature", _CHG, JsonType.DOUBLE, 25.0, "5", minimum=10.0, maximum=40.0,
        doc="Calibration temperature.",
    ),
    ConfigKey(
        "rcd_enabled", _CHG, JsonType.BOOL, True, "5",
        doc="Residual-current detector enabled.",
    ),
    ConfigKey(
        "serial_number", _CHG, JsonType.INTEGER, 0, "5", minimum=0, maximum=999_999,
        doc="Charger serial number; an integer here but a 6-digit string in Serial_number.Get "
        "(see ambiguity serial_number_type_mismatch).",
    ),
    ConfigKey(
        "board_revision", _CHG, JsonType.STRING, "E", "5",
        min_length=1, max_length=1, pattern="[A-Z]",
        valid_examples=("A", "E", "Z"),
        invalid_examples=("", "e", "AB", "1"),
        doc="Charger board revision, one letter A-Z.",
    ),
    ConfigKey(
        "temp_offset", _CHG, JsonType.DOUBLE, 0.0, "5",
        doc="Energy-meter temperature offset; any floating-point value.",
    ),
)

KEYS_BY_NAME: dict[str, ConfigKey] = {k.name: k for k in (*APP_KEYS, *CHARGER_KEYS)}
