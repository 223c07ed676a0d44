"""One primary spec section per test, and a title that reads like the spec.

The report groups tests chapter → section.  A test that covers several sections (``cover()`` called
more than once) belongs to the *first* one only, so the groups never contain each other's tests and
their counts add up to the test count; the others are listed as tags (``covers:6.5 Charger_info.Get``)
and as the label ``covers`` (which :mod:`reports.spec_coverage` reads).  A test that never calls
``cover()`` (or fails before it does) gets the section of its module, from :data:`MODULE_SECTIONS`,
else of its first known marker (:data:`MARKER_SECTIONS`): never an empty group.
"""
from __future__ import annotations

import re

CHAPTERS = {"1": "1 Commands format", "3": "3 Error codes", "4": "4 Application configuration keys",
            "5": "5 Charger configuration keys", "6": "6 Commands"}
"""The RPC list's chapters (spec 000_8f425004d40a163b.txt); a section outside them is its own standard."""

MODULE_SECTIONS: dict[str, str] = {
    "suites/api/test_app_config_keys.py": "4 Application configuration keys",
    "suites/api/test_charger_config_keys.py": "5 Charger configuration keys",
    "suites/api/test_consistency.py": "6 Commands: one value through every method",
    "suites/api/test_credentials.py": "6.26 Pin.Set / 6.34-6.35 AP password",
    "suites/api/test_framing.py": "1 Commands format",
    "suites/api/test_fuzz.py": "3 Error codes: bad input at volume",
    "suites/api/test_load.py": "1 Commands format: concurrent clients",
    "suites/api/test_method_params.py": "6 Commands: parameters",
    "suites/api/test_method_schemas.py": "6 Commands: results",
    "suites/api/test_resets.py": "6 Commands: Device.Reset / Factory.Reset",
    "suites/api/test_schedule_api.py": "6.31 Charging_schedule.Set",
    "suites/api/test_websocket.py": "1 Commands format: WebSocket",
    "suites/bench/test_contactor_failure.py": "IEC 61851-1 contactor failure",
    "suites/bench/test_cp_faults.py": "IEC 61851-1 CP / PE faults",
    "suites/bench/test_mains.py": "IEC 61851-1 supply voltage band",
    "suites/bench/test_metering.py": "IEC 62053-21 metering accuracy",
    "suites/bench/test_overcurrent.py": "IEC 61851-1 overcurrent",
    "suites/bench/test_pwm_mapping.py": "IEC 61851-1 A PWM",
    "suites/bench/test_rcd.py": "IEC 62955 / IEC 61008-1 residual current",
    "suites/bench/test_schedule.py": "6.31 Charging_schedule over time",
    "suites/bench/test_session_control.py": "IEC 61851-1 session control",
    "suites/bench/test_states.py": "IEC 61851-1 states",
    "suites/bench/test_temperature.py": "IEC 61851-1 temperature derating",
    "suites/eol/test_eol.py": "End of line: one unit",
}
"""The section a module's tests belong to when they name none themselves."""

MARKER_SECTIONS: dict[str, str] = {
    "eol": "End of line: one unit", "rcd": "IEC 62955 / IEC 61008-1 residual current",
    "faults": "IEC 61851-1 protective functions", "pwm": "IEC 61851-1 A PWM",
    "states": "IEC 61851-1 states", "metering": "IEC 62053-21 metering accuracy",
    "session": "IEC 61851-1 session control", "schedule": "6.31 Charging_schedule",
    "credentials": "6.26 Pin.Set / 6.34-6.35 AP password", "framing": "1 Commands format",
    "config": "4 Application configuration keys", "methods": "6 Commands", "api": "6 Commands",
    "bench": "IEC 61851-1 bench",
}
"""Marker → section, for a module the table above does not know (a suite added later)."""

OTHER = "Other: no spec section"


def chapter_of(section: str) -> str:
    """The group above a section: the RPC list's chapter, or the standard the section cites."""
    head = section.split(".")[0].split(" ")[0]
    if head in CHAPTERS:
        return CHAPTERS[head]
    if section.startswith("IEC"):
        return "IEC 61851-1 / IEC 62955 / IEC 62053-21 (standards)"
    if section.startswith("End of line"):
        return "End of line"
    return "Other"


def fallback_section(nodeid: str, markers: list[str]) -> str:
    """The section of a test that did not name one: its module's, else its first known marker's."""
    module = nodeid.split("::", 1)[0]
    for path, section in MODULE_SECTIONS.items():
        if module == path or module.endswith("/" + path):
            return section
    for marker, section in MARKER_SECTIONS.items():  # the table's order: the most specific marker first
        if marker in markers:
            return section
    return OTHER


_SECTION_PREFIX = re.compile(r"^test_(?:\d+_)*")


def readable(function_name: str) -> str:
    """``test_6_15_install_current_rejects_above_range`` → ``install current rejects above range``:
    the section number is dropped because the title starts with the section itself."""
    return _SECTION_PREFIX.sub("", function_name).replace("_", " ").strip() or function_name


def behaviour(docstring: str | None, function_name: str) -> str:
    """What the test checks in one line: the docstring's first sentence, else its readable name."""
    if docstring:
        paragraph = " ".join(line.strip() for line in docstring.strip().split("\n\n")[0].splitlines())
        sentence = re.split(r"(?<=[.!?])\s", paragraph, maxsplit=1)[0].rstrip(".:")
        if sentence:
            return sentence if len(sentence) <= 140 else sentence[:139].rstrip() + "…"
    return readable(function_name)


def title(section: str, what: str, param_id: str | None) -> str:
    """``6.15 Install_current.Set: rejects above range [33]``; the section is not repeated when the
    behaviour already starts with it."""
    number = section.split(" ")[0]
    text = what if what.startswith(number) else f"{section}: {what}"
    return f"{text} [{param_id}]" if param_id and f"[{param_id}]" not in text else text
