"""The EOL unit record's contract (schema 1), checked before anything is stored.

The station writes one JSON object per unit (fields: the common brief of issue 11, mirrored in
:data:`REQUIRED`).  A record is an archive document: a line manager signs a lot off from it, so a
record that is incomplete or contradicts itself is refused here with a :class:`ValueError` that names
the field (``record.measurements[3].origin: missing``) rather than stored and found wrong months later.

Besides presence and type, three contradictions a defective station would produce are refused:
a PASS with a failed step or measurement, a FAIL without the failing step, and a measurement that
belongs to no step of the record.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime, timezone
from typing import Any

SCHEMA_VERSION = 1
UNIT_VERDICTS = ("PASS", "FAIL", "ERROR")                    # ERROR: bench fault, no product verdict
STEP_VERDICTS = ("PASS", "FAIL", "ERROR", "SKIPPED")
MEASUREMENT_VERDICTS = ("PASS", "FAIL", "INCONCLUSIVE")      # as rig.measurement.Measurement checks

# A scanned serial: printable, one line, bounded (a scanner that sends a whole buffer is refused).
SERIAL_MAX = 64
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# Field name -> accepted types, per level.  None in a tuple: the value may be null (the key must be there).
_NUM = (int, float)
REQUIRED: dict[str, dict[str, tuple[type | None, ...]]] = {
    "record": {
        "schema": (int,), "serial": (str,), "order": (dict,), "station": (str,), "operator": (str,),
        "bench": (str,), "time_scale": _NUM, "started_utc": (str,), "finished_utc": (str,),
        "duration_s": _NUM, "verdict": (str,), "failed_step": (dict, None), "identity": (dict,),
        "instruments": (list,), "steps": (list,), "measurements": (list,),
    },
    "order": {"id": (str,)},
    "identity": {"serial_number": (str, None), "board_revision": (str, None), "firmware": (str, None)},
    "failed_step": {"step": (str, None), "message": (str,)},   # step null: a bench fault before any step
    "instruments": {"name": (str,), "adapter": (str,), "idn": (str, None)},
    "steps": {"step": (str,), "title": (str,), "verdict": (str,), "started_s": (*_NUM, None),
              "duration_s": (*_NUM, None)},   # null: never started (SKIPPED, or ERROR before it)
    "measurements": {
        "step": (str,), "name": (str,), "value": (*_NUM, str, bool, None), "unit": (str,),
        "low": (*_NUM, None), "high": (*_NUM, None), "verdict": (str,), "origin": (str,),
    },
}
# Optional fields, with the types they must have when present.
OPTIONAL: dict[str, dict[str, tuple[type | None, ...]]] = {
    "identity": {"device_id": (str, None)},
    "instruments": {"calibration_due": (str, None), "overdue": (bool, None)},
    "steps": {"message": (str, None)},
    "measurements": {"nominal": (*_NUM, None), "margin": (*_NUM, None), "uncertainty": (*_NUM, None),
                     "how": (str, None)},
    "failed_step": {"measurement": (str, None), "value": (*_NUM, str, bool, None), "unit": (str, None),
                    "limits": (str, None)},
}


def _type_names(types: tuple[type | None, ...]) -> str:
    return " or ".join("null" if t is None else t.__name__ for t in types)


def _check_fields(obj: Any, level: str, where: str) -> None:
    if not isinstance(obj, dict):
        raise ValueError(f"{where}: expected an object, got {type(obj).__name__}")
    for key, types in REQUIRED.get(level, {}).items():
        if key not in obj:
            raise ValueError(f"{where}.{key}: missing")
        _check_type(obj[key], types, f"{where}.{key}")
    for key, types in OPTIONAL.get(level, {}).items():
        if key in obj:
            _check_type(obj[key], types, f"{where}.{key}")


def _check_type(value: Any, types: tuple[type | None, ...], where: str) -> None:
    if value is None:
        if None in types:
            return
        raise ValueError(f"{where}: null, expected {_type_names(types)}")
    concrete = tuple(t for t in types if t is not None)
    # bool is an int in Python; a True where a number is due is a station bug, not a number.
    if isinstance(value, bool) and bool not in concrete:
        raise ValueError(f"{where}: a boolean, expected {_type_names(types)}")
    if not isinstance(value, concrete):
        raise ValueError(f"{where}: {type(value).__name__}, expected {_type_names(types)}")
    if isinstance(value, float) and not math.isfinite(value) and where.rsplit(".", 1)[-1] != "value":
        raise ValueError(f"{where}: {value!r} is not a finite number")


def parse_utc(text: str, where: str) -> datetime:
    """An ISO 8601 instant with its offset (``...Z``) as an aware UTC datetime; a naive one is refused,
    since a record compared across stations in different time zones must say which instant it means."""
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{where}: {text!r} is not an ISO 8601 time") from None
    if instant.tzinfo is None:
        raise ValueError(f"{where}: {text!r} has no UTC offset (write it as ...Z)")
    return instant.astimezone(timezone.utc)


def parse_date(text: str, where: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{where}: {text!r} is not an ISO date (YYYY-MM-DD)") from None


def check_serial(serial: Any, where: str = "serial") -> str:
    """The serial as scanned: non-empty, one printable line, at most :data:`SERIAL_MAX` characters."""
    if not isinstance(serial, str) or not serial.strip():
        raise ValueError(f"{where}: empty")
    if serial != serial.strip() or _CONTROL.search(serial):
        raise ValueError(f"{where}: {serial!r} has surrounding blanks or control characters (strip the scan)")
    if len(serial) > SERIAL_MAX:
        raise ValueError(f"{where}: {len(serial)} characters, at most {SERIAL_MAX}")
    return serial


def validate(record: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``record`` against schema 1; return it as a plain dict.  Raises ValueError naming the field."""
    record = dict(record)
    _check_fields(record, "record", "record")
    if record["schema"] != SCHEMA_VERSION:
        raise ValueError(f"record.schema: {record['schema']!r}, this store reads schema {SCHEMA_VERSION}")
    check_serial(record["serial"], "record.serial")
    _check_fields(record["order"], "order", "record.order")
    if record["verdict"] not in UNIT_VERDICTS:
        raise ValueError(f"record.verdict: {record['verdict']!r}, expected one of {', '.join(UNIT_VERDICTS)}")
    if record["verdict"] == "ERROR":   # a bench fault may come before the unit was even identified
        _check_fields(record["identity"], "", "record.identity")
        for key, types in REQUIRED["identity"].items():
            if key in record["identity"]:
                _check_type(record["identity"][key], types, f"record.identity.{key}")
    else:
        _check_fields(record["identity"], "identity", "record.identity")
    if record["time_scale"] <= 0:
        raise ValueError(f"record.time_scale: {record['time_scale']!r} is not positive")
    if record["duration_s"] < 0:
        raise ValueError(f"record.duration_s: {record['duration_s']!r} is negative")
    started = parse_utc(record["started_utc"], "record.started_utc")
    finished = parse_utc(record["finished_utc"], "record.finished_utc")
    if finished < started:
        raise ValueError(f"record.finished_utc: {record['finished_utc']} is before started_utc {record['started_utc']}")

    steps: set[str] = set()
    for i, step in enumerate(record["steps"]):
        where = f"record.steps[{i}]"
        _check_fields(step, "steps", where)
        if step["verdict"] not in STEP_VERDICTS:
            raise ValueError(f"{where}.verdict: {step['verdict']!r}, expected one of {', '.join(STEP_VERDICTS)}")
        if step["verdict"] in ("PASS", "FAIL") and (step["started_s"] is None or step["duration_s"] is None):
            raise ValueError(f"{where}: a {step['verdict']} step without started_s/duration_s")
        if step["step"] in steps:
            raise ValueError(f"{where}.step: {step['step']!r} appears twice")
        steps.add(step["step"])
    for i, measurement in enumerate(record["measurements"]):
        where = f"record.measurements[{i}]"
        _check_fields(measurement, "measurements", where)
        if measurement["verdict"] not in MEASUREMENT_VERDICTS:
            raise ValueError(f"{where}.verdict: {measurement['verdict']!r}, "
                             f"expected one of {', '.join(MEASUREMENT_VERDICTS)}")
        if measurement["step"] not in steps:
            raise ValueError(f"{where}.step: {measurement['step']!r} is not a step of this record")
        if measurement["low"] is None and measurement["high"] is None:
            raise ValueError(f"{where}: no limit (low and high both null)")
        if not measurement["origin"].strip():
            raise ValueError(f"{where}.origin: empty (name the standard and clause of the limits)")
    for i, instrument in enumerate(record["instruments"]):
        where = f"record.instruments[{i}]"
        _check_fields(instrument, "instruments", where)
        if instrument.get("calibration_due") is not None:
            parse_date(instrument["calibration_due"], f"{where}.calibration_due")

    failed = record["failed_step"]
    if failed is not None:
        _check_fields(failed, "failed_step", "record.failed_step")
        if failed["step"] is not None and failed["step"] not in steps:
            raise ValueError(f"record.failed_step.step: {failed['step']!r} is not a step of this record")
    if record["verdict"] == "FAIL" and (failed is None or failed["step"] is None):
        raise ValueError("record.failed_step: no failing step on a FAIL (name it)")
    if record["verdict"] == "PASS":
        bad = [s["step"] for s in record["steps"] if s["verdict"] in ("FAIL", "ERROR")]
        bad += [m["name"] for m in record["measurements"] if m["verdict"] != "PASS"]
        if bad or failed is not None:
            raise ValueError(f"record.verdict: PASS contradicts {', '.join(bad) or 'failed_step'}")
    return record


def instrument_overdue(instrument: Mapping[str, Any], on: date) -> bool | None:
    """Whether the instrument's calibration was overdue on ``on``: the record's own flag when it has one,
    else computed from ``calibration_due`` (None: no due date known)."""
    if instrument.get("overdue") is not None:
        return bool(instrument["overdue"])
    due = instrument.get("calibration_due")
    return None if due is None else parse_date(due, "calibration_due") < on
