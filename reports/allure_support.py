"""Allure labels and attachments for the suites.

* :func:`cover` labels a test with the spec section it covers (feature = chapter, story =
  ``6.15 Install_current.Set``), so the report reads like the spec.
* :func:`attach_exchange` attaches every RPC exchange (already masked by the client) as JSON to
  the running test or step.
* :func:`ambiguity` labels a test that touched a place where the spec is silent or inconsistent,
  with the reading the charger chose, instead of passing or failing on our own guess.
"""
from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import allure
import pytest

from instruments.charger_rpc import Exchange
from reference.spec import AMBIGUITIES_BY_ID
from reference.spec.schema import ConfigKey, Method
from reports.sections import chapter_of



@dataclass(frozen=True)
class AmbiguityRecord:
    test: str
    id: str
    section: str
    summary: str
    reading: str


@dataclass(frozen=True)
class MeasurementRecord:
    """One checked measurement, as the reports, the sign-off summary and the per-unit records read it.

    ``limits`` is the text form (``[-inf, 3] s``); ``low``/``high`` are None where the limit is open.
    ``margin`` is the distance to the nearest limit (positive inside), ``uncertainty`` its ± (0: exact)."""

    test: str
    name: str
    value: Any
    unit: str
    low: float | None
    high: float | None
    nominal: float | None
    margin: float | None
    uncertainty: float
    verdict: str          # PASS, FAIL or INCONCLUSIVE
    origin: str
    how: str = ""

    def to_json(self) -> dict[str, Any]:
        value = self.value if isinstance(self.value, (int, float, str, bool)) or self.value is None else repr(self.value)
        uncertainty = self.uncertainty if self.uncertainty == self.uncertainty and self.uncertainty != float("inf") else None
        return {**self.__dict__, "value": value, "uncertainty": uncertainty}


@dataclass
class RunRecord:
    """What one run records for its report; its home is ``config.stash[RUN_RECORD]``.

    ``environment``: what the run judged (bench, firmware, serial, board revision, each instrument's
    ``*IDN?``, defects), written to environment.properties.  ``ambiguities``: every labelled reading.
    ``measurements``: every checked measurement, in the order checked.  ``sections``: the spec section
    each test covers (its first :func:`cover`), ``{nodeid: "6.15 Install_current.Set"}``."""

    ambiguities: list[AmbiguityRecord] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    measurements: list[MeasurementRecord] = field(default_factory=list)
    sections: dict[str, str] = field(default_factory=dict)
    current_test: str = "<outside a test>"
    plots: bool = True  # False with --no-plots: :func:`reports.plots.attach_plot` draws nothing


RUN_RECORD = pytest.StashKey[RunRecord]()
_active = [RunRecord()]  # the configured run's record, for helpers called from tests (no config at hand)


def begin_run(config: pytest.Config) -> RunRecord:
    """A fresh record for this run (an in-process pytester run must not inherit the last run's)."""
    record = config.stash[RUN_RECORD] = RunRecord(plots=not config.getoption("no_plots", False))
    if not record.plots:
        record.environment["report.plots"] = "none drawn (--no-plots)"
    _active[0] = record
    return record


def run_record() -> RunRecord:
    return _active[0]


def environment() -> dict[str, str]:
    return _active[0].environment


def recorded() -> list[AmbiguityRecord]:
    return _active[0].ambiguities


def record_measurement(measurement: Any) -> None:
    """Keep a checked :class:`rig.measurement.Measurement` in the run record (for the measurement
    table, the sign-off summary and the EOL unit record)."""
    record = _active[0]
    record.measurements.append(MeasurementRecord(
        record.current_test, measurement.name, measurement.measured, measurement.unit, measurement.low,
        measurement.high, measurement.nominal, measurement.margin, measurement.uncertainty,
        measurement.verdict or ("PASS" if measurement.passed else "FAIL"), measurement.origin, measurement.how))


def set_current_test(nodeid: str) -> None:
    _active[0].current_test = nodeid


def cover(item: Method | ConfigKey | str, title: str | None = None) -> None:
    """Label the running test with a spec section it covers.

    The first call names the test's one primary section (feature = chapter, story = section), so the
    report's groups never contain each other's tests; every call adds the label ``covers`` (what
    :mod:`reports.spec_coverage` counts) and a later one a tag ``covers:<section>`` (reports.sections)."""
    label = item if isinstance(item, str) else item.label
    record = _active[0]
    first = record.current_test not in record.sections
    primary = record.sections.setdefault(record.current_test, label)
    allure.dynamic.label("covers", label)
    if first:
        allure.dynamic.feature(chapter_of(label))
        allure.dynamic.story(label)
    elif label != primary:
        allure.dynamic.tag(f"covers:{label}")
    if title:
        allure.dynamic.title(title)


def attach_exchange(exchange: Exchange) -> None:
    name = f"RPC {exchange.method} ({exchange.style}) -> {exchange.status if exchange.status is not None else 'no reply'}"
    allure.attach(exchange.to_json(), name=name, attachment_type=allure.attachment_type.JSON)


def ambiguity(ambiguity_id: str, reading: str) -> None:
    """Record that the spec is ambiguous here and which reading the charger under test chose."""
    entry = AMBIGUITIES_BY_ID[ambiguity_id]
    allure.dynamic.label("ambiguity", ambiguity_id)
    allure.dynamic.tag(f"ambiguity:{ambiguity_id}")
    allure.attach(json.dumps({"ambiguity": ambiguity_id, "section": entry.section, "summary": entry.summary,
                              "readings": list(entry.readings), "charger_chose": reading}, indent=2),
                  name=f"Spec ambiguity {ambiguity_id}: {reading}", attachment_type=allure.attachment_type.JSON)
    recorded().append(AmbiguityRecord(_active[0].current_test, ambiguity_id, entry.section, entry.summary, reading))


def record_marginal(name: str, text: str) -> None:
    """A measurement within its limit but beyond the product reference inside it: labelled in the
    report so a release manager sees a unit that only just meets the standard's ceiling."""
    allure.dynamic.tag(f"marginal:{name}")
    allure.attach(text, name=f"MARGINAL {name}", attachment_type=allure.attachment_type.TEXT)


IDENTITY_READS = (("Charger_config.Get", "serial_number", "charger.serial_number"),
                  ("Charger_config.Get", "board_revision", "charger.board_revision"),
                  ("Board_revision.Get", "board_revision", "charger.board_revision"),
                  ("Serial_number.Get", "serial_number", "charger.serial_number"))
"""Where the report's environment reads the unit's identity (spec 5, 6.8, 6.11): the first answer wins."""


async def record_charger_identity(client: Any) -> None:
    """Put the charger's serial number and board revision into the run's environment.

    Called once per run by the charger session fixture.  A charger that refuses or garbles one of
    these reads gets ``unreadable (...)``: judging it is the suites' job, not the environment's."""
    from instruments.charger_rpc import DeviceError, MalformedReply  # noqa: PLC0415

    replies: dict[str, Any] = {}
    for method_name, field_name, key in IDENTITY_READS:
        if key in environment() and not environment()[key].startswith("unreadable"):
            continue
        if method_name not in replies:
            try:
                replies[method_name] = await client.call(method_name)
            except (DeviceError, MalformedReply) as error:
                replies[method_name] = error
        reply = replies[method_name]
        if isinstance(reply, dict) and field_name in reply:
            environment()[key] = str(reply[field_name])
        elif key not in environment():
            environment()[key] = f"unreadable ({type(reply).__name__})"


def record_instrument(name: str, identity: object) -> None:
    """An instrument's ``*IDN?`` answer, as the report's environment shows it."""
    environment()[f"{name}.idn"] = str(identity)


def write_global_attachment(results: Path, name: str, content: str, media_type: str, extension: str,
                            errors: list[str] | tuple[str, ...] = ()) -> None:
    """A run-level attachment (and run-level errors) in the Allure results: ``<uuid>-globals.json``,
    which Allure 3 shows on the report's overview, not under any one test."""
    source = f"{uuid.uuid4()}-attachment.{extension}"
    (results / source).write_text(content)
    now = int(time.time() * 1000)
    globals_ = {"attachments": [{"name": name, "source": source, "type": media_type, "timestamp": now}],
                "errors": [{"message": message, "timestamp": now} for message in errors]}
    (results / f"{uuid.uuid4()}-globals.json").write_text(json.dumps(globals_))


def write_global_errors(results: Path, errors: list[str] | tuple[str, ...]) -> None:
    """Run-level errors with no attachment (a bench fault at start-up): shown on the overview."""
    now = int(time.time() * 1000)
    globals_ = {"attachments": [], "errors": [{"message": message, "timestamp": now} for message in errors]}
    (results / f"{uuid.uuid4()}-globals.json").write_text(json.dumps(globals_))
