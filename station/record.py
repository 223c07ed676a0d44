"""The EOL unit record and its live events: what one unit's end-of-line run leaves behind.

The record (``--eol-record FILE``, one JSON object, schema 1) is the contract with the records database
(``records.store``): the unit, its order, station and operator, start and stop, the verdict and the
first failing step with its value against its limit, the identity read from the unit, each instrument's
``*IDN?`` and calibration due date, every step and every measurement.  It is written at the end of the
run whatever the ending: a bench fault before the first step still gives a record, verdict ERROR, with
the message.

The events (``--eol-events FILE``, JSON lines) are written and flushed as each step starts and ends, so
the station shows a live progress line without reading pytest's output.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = 1
VERDICTS = ("PASS", "FAIL", "ERROR")
STEP_VERDICTS = ("PASS", "FAIL", "ERROR", "SKIPPED")


def utc_stamp(moment: dt.datetime | None = None) -> str:
    """``2026-12-02T18:00:00.000Z``: UTC, milliseconds, as every record carries its times."""
    moment = moment or dt.datetime.now(dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class EventLog:
    """JSON lines appended and flushed one by one (the station tails the file while the run goes on)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._file = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("a", encoding="utf-8")

    def emit(self, event: str, **fields: Any) -> None:
        if self._file is None:
            return
        self._file.write(json.dumps({"event": event, **fields}, default=str) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


@dataclass
class StepResult:
    """One step of the sequence as the record keeps it (times in wall seconds from the run's start)."""

    step: str
    title: str
    verdict: str = "SKIPPED"
    started_s: float | None = None
    duration_s: float | None = None
    message: str = ""
    failed: dict[str, Any] | None = field(default=None, repr=False)   # the failing check, for failed_step

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("failed")
        return data


@dataclass(frozen=True)
class Instrument:
    """A bench instrument as the record keeps it: its identity and whether its calibration is still valid."""

    name: str
    adapter: str
    idn: str
    calibration_due: str | None
    overdue: bool

    @property
    def warning(self) -> str | None:
        if not self.overdue:
            return None
        return f"calibration of {self.name} ({self.idn or self.adapter}) was due {self.calibration_due}: overdue"


def instruments(resources: dict[str, Any], identities: dict[str, str], today: dt.date | None = None) -> list[Instrument]:
    """Each bench resource with its ``*IDN?`` (``identities``: name -> identity, as the report's
    environment has it) and its ``calibration_due`` from the profile, overdue when past ``today``."""
    today = today or dt.date.today()
    found = []
    for name, table in resources.items():
        due = table.get("calibration_due")
        due_date = due if isinstance(due, dt.date) else (dt.date.fromisoformat(due) if isinstance(due, str) else None)
        found.append(Instrument(name, str(table.get("adapter", "")), identities.get(name, ""),
                                None if due_date is None else due_date.isoformat(),
                                due_date is not None and due_date < today))
    return found


@dataclass
class UnitRecord:
    """The record being built while the run goes on; :meth:`to_json` gives the contract's object."""

    serial: str
    order: dict[str, Any]
    station: str | None
    operator: str | None
    bench: str
    time_scale: float
    started_utc: str = field(default_factory=utc_stamp)
    finished_utc: str | None = None
    duration_s: float | None = None
    verdict: str = "ERROR"
    message: str = ""
    identity: dict[str, Any] = field(default_factory=dict)
    instruments: list[Instrument] = field(default_factory=list)
    steps: list[StepResult] = field(default_factory=list)
    measurements: list[dict[str, Any]] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)   # virtual bench only: the firmware defects it was given

    def failed_step(self) -> dict[str, Any] | None:
        """The first step that failed (FAIL, else ERROR), with its failing check when there was one."""
        for wanted in ("FAIL", "ERROR"):
            for step in self.steps:
                if step.verdict == wanted:
                    return {"step": step.step, "measurement": None, "value": None, "unit": "", "limits": None,
                            **(step.failed or {}), "message": step.message}
        if self.verdict == "ERROR" and self.message:
            return {"step": None, "measurement": None, "value": None, "unit": "", "limits": None,
                    "message": self.message}
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA, "serial": self.serial, "order": self.order, "station": self.station,
            "operator": self.operator, "bench": self.bench, "time_scale": self.time_scale,
            "started_utc": self.started_utc, "finished_utc": self.finished_utc, "duration_s": self.duration_s,
            "verdict": self.verdict, "failed_step": self.failed_step(), "identity": self.identity,
            "instruments": [asdict(i) for i in self.instruments],
            "steps": [s.to_json() for s in self.steps], "measurements": self.measurements,
            **({"defects": self.defects} if self.defects else {}),
        }

    def write(self, path: Path) -> None:
        """Atomically: a station never reads half a record."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_text(json.dumps(self.to_json(), indent=1, default=str) + "\n")
        os.replace(partial, path)
