"""The per-unit record store (records/): schema, migrations, round trip, exports, lot figures, commands.

Synthetic records stand in for the station's (schema 1, the contract of issue 11): ten units of one
order, two failing at the step a catalogued defect would fail (PWM duty at 16 A; the 30 mA AC trip),
the first of them retested and passing.  Every expected figure below is computed by hand from the
values the records are built with, never read back from the code under test.
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, select

from records import certificate
from records.commands import register
from records.lot import Sample, Selection, collect, cpk, pool, write_report
from records.models import Base, MeasurementRow
from records.store import (DB_ENV, SchemaTooNew, Store, default_url, head_revision, masked, migrate,
                           migrations_config, open_store, url_of)

ORDER = {"id": "PO-2026-001", "board_revision": "C", "firmware": "1.47"}
DUTY = "IEC 61851-1 Annex A (duty % = I / 0.6; ±5 µs pulse width = ±0.5 % duty)"
TABLES = {"unit", "eol_test", "step", "measurement", "instrument"}

# (step, title, measurements: (name, unit, low, high, nominal, origin))
SEQUENCE: list[tuple[str, str, list[tuple[str, str, float | None, float | None, float | None, str]]]] = [
    ("identity", "Identity against the production order", []),
    ("pwm_duty", "PWM duty at two currents", [
        ("pwm duty at 16 A", "%", 26.17, 27.17, 26.67, DUTY),
        ("pwm duty at 32 A", "%", 52.83, 53.83, 53.33, DUTY)]),
    ("contactor", "Contactor close and open", [
        ("contactor close B2-C2", "s", None, 3.0, None, "IEC 61851-1 Annex A sequence timing (B2 -> C2 <= 3 s)")]),
    ("rcd", "RCD trip 6 mA DC and 30 mA AC", [
        ("rcd trip 30 mA AC", "s", None, 0.3, None, "IEC 61008-1 type A (trip <= 0.3 s at 1 x IΔn)")]),
    ("safe_state", "Safe state at the end", []),
]


def make_record(serial: str, values: dict[str, float], *, order: dict[str, Any] = ORDER,
                started: str = "2026-12-02T18:00:00.000Z", operator: str = "jdoe",
                calibration_due: str | None = "2027-03-01") -> dict[str, Any]:
    """A schema-1 record whose verdicts follow from ``values`` against SEQUENCE's limits; the run
    stops at the first failing step (later steps SKIPPED), as a production sequence does."""
    steps: list[dict[str, Any]] = []
    measurements: list[dict[str, Any]] = []
    failed: dict[str, Any] | None = None
    t = 0.0
    for step, title, table in SEQUENCE:
        if failed is not None:
            steps.append({"step": step, "title": title, "verdict": "SKIPPED", "started_s": t, "duration_s": 0.0,
                          "message": "after a failure"})
            continue
        verdict = "PASS"
        for name, unit, low, high, nominal, origin in table:
            value = values[name]
            margin = min(x for x in ((value - low) if low is not None else math.inf,
                                     (high - value) if high is not None else math.inf))
            passed = margin >= 0
            measurements.append({"step": step, "name": name, "value": value, "unit": unit, "low": low,
                                 "high": high, "nominal": nominal, "margin": margin, "uncertainty": 0.0,
                                 "verdict": "PASS" if passed else "FAIL", "origin": origin})
            if not passed and failed is None:
                verdict = "FAIL"
                failed = {"step": step, "measurement": name, "value": value, "unit": unit,
                          "limits": f"[{'-inf' if low is None else low}, {'+inf' if high is None else high}] {unit}",
                          "message": f"{name} {value} {unit} outside its limits"}
        steps.append({"step": step, "title": title, "verdict": verdict, "started_s": t, "duration_s": 2.0,
                      "message": ""})
        t += 2.0
    return {
        "schema": 1, "serial": serial, "order": dict(order), "station": "line1-eol1", "operator": operator,
        "bench": "virtual", "time_scale": 1.0, "started_utc": started,
        "finished_utc": started.replace("18:00:00", "18:00:41"), "duration_s": 41.2,
        "verdict": "FAIL" if failed else "PASS", "failed_step": failed,
        "identity": {"serial_number": serial, "board_revision": "C", "firmware": "1.47", "device_id": "dev-1"},
        "instruments": [{"name": "analyzer", "adapter": "wt300e", "idn": "YOKOGAWA,WT310E,C2RG00001,F1.03",
                         "calibration_due": calibration_due, "overdue": False}],
        "steps": steps, "measurements": measurements,
    }


# Ten units.  Unit 500104 fails PWM duty at 16 A (27.9 % > 27.17 %) and passes its retest (26.70 %);
# unit 500108 fails the 30 mA AC trip (0.35 s > 0.3 s).
DUTY16 = [26.50, 26.60, 26.70, 26.80, 27.90, 26.60, 26.70, 26.80, 26.70, 26.60]
DUTY32 = [53.30, 53.40, 53.20, 53.35, 53.30, 53.25, 53.30, 53.40, 53.30, 53.30]
CLOSE = [0.80, 0.90, 0.85, 0.82, 0.88, 0.81, 0.86, 0.84, 0.83, 0.87]
TRIP = [0.020, 0.030, 0.025, 0.022, 0.024, 0.021, 0.026, 0.023, 0.350, 0.027]
SERIALS = [f"5001{i:02d}" for i in range(10)]


def unit_values(i: int) -> dict[str, float]:
    return {"pwm duty at 16 A": DUTY16[i], "pwm duty at 32 A": DUTY32[i], "contactor close B2-C2": CLOSE[i],
            "rcd trip 30 mA AC": TRIP[i]}


def fill(store: Store) -> dict[str, int]:
    """The ten units and the one retest; returns serial -> the id of its latest attempt."""
    ids = {}
    for i, serial in enumerate(SERIALS):
        started = f"2026-12-02T{10 + i:02d}:00:00.000Z"
        ids[serial] = store.add_record(make_record(serial, unit_values(i), started=started), retest=False)
    retest = make_record("500104", {**unit_values(4), "pwm duty at 16 A": 26.70}, started="2026-12-02T21:00:00.000Z")
    ids["500104"] = store.add_record(retest, retest=True)
    return ids


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database at head, migrated once and copied per test (a migration costs 0.15 s)."""
    path = tmp_path_factory.mktemp("template") / "records.sqlite3"
    open_store(path).close()
    return path


def fresh_store(template: Path, where: Path) -> Store:
    shutil.copyfile(template, where)
    return open_store(where)


@pytest.fixture(scope="module")
def lot_store(migrated: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    with fresh_store(migrated, tmp_path_factory.mktemp("lot") / "records.sqlite3") as store:
        fill(store)
        yield store


@pytest.fixture()
def store(migrated: Path, tmp_path: Path) -> Iterator[Store]:
    with fresh_store(migrated, tmp_path / "records.sqlite3") as opened:
        yield opened


# -- where the records live ---------------------------------------------------------------------------

def test_store_location_path_url_and_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DB_ENV, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_url() == f"sqlite:///{tmp_path / 'data' / 'lektrico-hil' / 'eol-records.sqlite3'}"
    with open_store(None) as opened:       # the user data directory is created on first use
        assert opened.revision() == head_revision()
    assert (tmp_path / "data" / "lektrico-hil" / "eol-records.sqlite3").is_file()
    assert url_of("rel/eol.db") == f"sqlite:///{Path('rel/eol.db').resolve()}"
    assert url_of("postgresql+psycopg://eol:s3cret@db/lektrico") == "postgresql+psycopg://eol:s3cret@db/lektrico"
    assert "s3cret" not in masked("postgresql+psycopg://eol:s3cret@db/lektrico")
    monkeypatch.setenv(DB_ENV, str(tmp_path / "line.sqlite3"))   # a station's configuration moves it
    assert default_url() == f"sqlite:///{tmp_path / 'line.sqlite3'}"


def test_read_only_open_never_creates_a_database(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no records database"):
        open_store(tmp_path / "typo.sqlite3", create=False)
    assert not (tmp_path / "typo.sqlite3").exists()


# -- migrations --------------------------------------------------------------------------------------

def test_empty_database_upgraded_to_head_matches_the_models(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    with open_store(path) as opened:
        assert TABLES <= set(inspect(opened.engine).get_table_names())
        assert opened.revision() == head_revision() == "0002"
        with opened.engine.connect() as connection:   # what `alembic check` asks: no autogenerate diff
            diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}),
                                    Base.metadata)
        assert diff == []
        config = migrations_config(str(opened.engine.url))
        command.check(config)                          # the same, through Alembic's own command


def test_database_at_0001_with_records_is_migrated_to_head_keeping_them(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    engine = create_engine(f"sqlite:///{path}")
    migrate(engine, "0001")                            # a station that ran the first release
    old = Store(engine)
    test_id = old.add_record(make_record("500001", unit_values(0)), retest=False)
    old.close()
    assert "ix_measurement_name_verdict" not in {ix["name"] for ix in inspect(create_engine(f"sqlite:///{path}"))
                                                 .get_indexes("measurement")}
    with open_store(path) as opened:
        assert opened.revision() == "0002"
        assert opened.record(test_id)["serial"] == "500001"
        indexes = {ix["name"] for ix in inspect(opened.engine).get_indexes("measurement")}
        assert "ix_measurement_name_verdict" in indexes


def test_database_from_a_newer_station_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "newer.sqlite3"
    open_store(path).close()
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0099'")
    with pytest.raises(SchemaTooNew, match="0099, newer than this lektrico-hil knows"):
        open_store(path)


# -- the record's contract ---------------------------------------------------------------------------

def _without(record: dict[str, Any], path: tuple[Any, ...]) -> dict[str, Any]:
    broken = copy.deepcopy(record)
    target = broken
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return broken


@pytest.mark.parametrize("path, message", [
    (("serial",), "record.serial: missing"),
    (("order", "id"), "record.order.id: missing"),
    (("started_utc",), "record.started_utc: missing"),
    (("identity", "firmware"), "record.identity.firmware: missing"),
    (("steps", 1, "verdict"), r"record.steps\[1\].verdict: missing"),
    (("measurements", 0, "origin"), r"record.measurements\[0\].origin: missing"),
    (("measurements", 2, "unit"), r"record.measurements\[2\].unit: missing"),
    (("instruments", 0, "idn"), r"record.instruments\[0\].idn: missing"),
    (("failed_step",), "record.failed_step: missing"),
])
def test_a_missing_field_is_named(store: Store, path: tuple[Any, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        store.add_record(_without(make_record("500001", unit_values(0)), path), retest=False)
    assert store.attempts("500001") == 0   # nothing half-stored


def _edit(**changes: Any) -> dict[str, Any]:
    record = make_record("500001", unit_values(0))
    record.update(changes)
    return record


@pytest.mark.parametrize("record, message", [
    (_edit(verdict="PASS", measurements=[{**make_record("x", unit_values(0))["measurements"][0], "verdict": "FAIL"}]),
     "PASS contradicts pwm duty at 16 A"),
    (_edit(verdict="FAIL", failed_step=None), "no failing step on a FAIL"),
    (_edit(started_utc="2026-12-02T18:00:00"), "no UTC offset"),
    (_edit(finished_utc="2026-12-02T17:00:00Z"), "before started_utc"),
    (_edit(serial="500001\n"), "control characters"),
    (_edit(schema=2), "this store reads schema 1"),
    (_edit(time_scale=True), "a boolean"),
    (_edit(verdict="OK"), "expected one of PASS, FAIL, ERROR"),
    (_edit(measurements=[{**make_record("x", unit_values(0))["measurements"][0], "step": "nowhere"}]),
     "'nowhere' is not a step"),
    (_edit(measurements=[{**make_record("x", unit_values(0))["measurements"][0], "low": None, "high": None}]),
     "no limit"),
    (_edit(station="s" * 129), "eol_test.station: 129 characters, the records hold at most 128"),
])
def test_a_contradictory_record_is_refused(store: Store, record: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        store.add_record(record, retest=False)


def test_the_station_record_of_a_bench_fault_before_any_step_is_stored(store: Store) -> None:
    """What station/record.py (the writer of the contract) leaves when the bench faulted at start:
    no identity, every step SKIPPED and never started, a failed_step with no step, verdict ERROR."""
    from station.record import Instrument as BenchInstrument  # noqa: PLC0415
    from station.record import StepResult, UnitRecord, utc_stamp  # noqa: PLC0415

    unit = UnitRecord("500001", dict(ORDER), "line1-eol1", "jdoe", "virtual", 1.0)
    unit.steps = [StepResult(step, title) for step, title, _ in SEQUENCE]
    unit.instruments = [BenchInstrument("analyzer", "wt300e", "", "2027-03-01", False)]
    unit.verdict, unit.message = "ERROR", "bench fault: analyzer did not answer *IDN? within 3 s"
    unit.finished_utc, unit.duration_s = utc_stamp(), 3.1
    record = json.loads(json.dumps(unit.to_json(), default=str))   # as the file gives it
    exported = store.record(store.add_record(record, retest=False))
    assert exported["verdict"] == "ERROR" and exported["failed_step"]["step"] is None
    assert "NOT JUDGED" in certificate.render(exported)


def test_attempts_are_numbered_and_the_retest_flag_must_agree(store: Store) -> None:
    assert store.attempts("500001") == 0
    with pytest.raises(ValueError, match="no earlier record"):
        store.add_record(make_record("500001", unit_values(0)), retest=True)
    first = store.add_record(make_record("500001", unit_values(0)), retest=False)
    with pytest.raises(ValueError, match="already has 1 record"):
        store.add_record(make_record("500001", unit_values(0)), retest=False)
    second = store.add_record(make_record("500001", unit_values(0)), retest=True)
    assert store.attempts("500001") == 2
    assert (store.record(first)["database"]["attempt"], store.record(second)["database"]["attempt"]) == (1, 2)
    assert store.record(second)["database"]["retest"] is True


# -- round trip and exports ---------------------------------------------------------------------------

def test_json_export_round_trips_the_record_and_the_rows_hold_every_measurement(store: Store) -> None:
    record = make_record("500104", unit_values(4))
    test_id = store.add_record(record, retest=False)
    exported = json.loads(store.export_json(test_id))
    database = exported.pop("database")
    assert exported == record
    assert database["id"] == test_id and database["attempt"] == 1 and database["retest"] is False
    with store.session() as session:
        rows = session.scalars(select(MeasurementRow).where(MeasurementRow.test_id == test_id)
                               .order_by(MeasurementRow.position)).all()
        stored = [{"step": r.step, "name": r.name, "value": r.value, "unit": r.unit, "low": r.low, "high": r.high,
                   "nominal": r.nominal, "margin": r.margin, "uncertainty": r.uncertainty, "verdict": r.verdict,
                   "origin": r.origin} for r in rows]
    assert stored == record["measurements"]


def test_a_reading_that_is_not_a_number_stays_one_and_the_export_stays_strict_json(store: Store) -> None:
    record = make_record("500001", unit_values(0))
    record["verdict"] = "ERROR"
    record["measurements"][0].update(value=float("nan"), margin=None, verdict="INCONCLUSIVE")
    test_id = store.add_record(record, retest=False)
    text = store.export_json(test_id)
    json.loads(text, parse_constant=lambda name: pytest.fail(f"non-standard JSON constant {name}"))
    assert json.loads(text)["measurements"][0]["value"] == "nan"
    with store.session() as session:
        row = session.scalars(select(MeasurementRow).where(MeasurementRow.test_id == test_id)).first()
        assert row is not None and row.value is None and row.value_text == "nan"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)


def test_certificate_escapes_every_text_and_highlights_an_overdue_instrument(store: Store) -> None:
    hostile = '"><img src=x onerror=alert(1)><script>alert(2)</script>'
    record = make_record("<b>500108</b>", unit_values(8), operator=hostile,
                         order={**ORDER, "note": "A&B <i>"}, calibration_due="2026-11-30")
    record["instruments"][0]["overdue"] = True
    record["instruments"][0]["idn"] = "ACME,<svg onload=x>,1"
    page = certificate.render(store.record(store.add_record(record, retest=False)))
    parser = _Tags()
    parser.feed(page)
    assert parser.tags <= {"html", "head", "meta", "title", "style", "body", "h1", "h2", "div", "b", "br", "table",
                           "thead", "tbody", "tr", "th", "td", "span", "p"}
    assert not {"onerror", "onload", "src"} & parser.attributes
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page and "A&amp;B &lt;i&gt;" in page
    assert "&lt;b&gt;500108&lt;/b&gt;" in page
    assert "<tr class='overdue'>" in page and "OVERDUE" in page
    assert "<div class='verdict fail' id='verdict'>FAIL</div>" in page
    assert "rcd trip 30 mA AC</b> = 0.35 s against [-inf, 0.3] s" in page    # failing value against its limit
    for m in record["measurements"]:                                          # every measurement, with origin
        assert m["name"] in page and certificate.text(m["origin"]) in page
    assert "@media print" in page and "@page" in page


@pytest.mark.parametrize("verdict, shown", [("PASS", "<div class='verdict pass' id='verdict'>PASS</div>"),
                                             ("ERROR", "<div class='verdict error' id='verdict'>NOT JUDGED</div>")])
def test_certificate_verdict_in_large_type(store: Store, verdict: str, shown: str) -> None:
    record = make_record("500001", unit_values(0))
    if verdict == "ERROR":
        record.update(verdict="ERROR", failed_step={"step": "rcd", "message": "analyzer did not answer within 3 s"})
    page = certificate.render(store.record(store.add_record(record, retest=False)))
    assert shown in page
    assert ("analyzer did not answer within 3 s" in page) == (verdict == "ERROR")


# -- lot figures --------------------------------------------------------------------------------------

def test_cpk_against_hand_computed_values() -> None:
    # μ = 26.7; σ = sqrt((0.04 + 0.01 + 0 + 0.01 + 0.04) / 4) = sqrt(0.025) = 0.158114
    # Cpk = min(27.17 − 26.7, 26.7 − 26.17) / (3 × 0.158114) = 0.47 / 0.474342 = 0.990847
    two_sided = cpk([26.5, 26.6, 26.7, 26.8, 26.9], 26.17, 27.17)
    assert two_sided.mean == pytest.approx(26.7) and two_sided.sigma == pytest.approx(0.158114, abs=1e-6)
    assert two_sided.cpk == pytest.approx(0.990847, abs=1e-6)
    # upper limit only: μ = 0.03, σ = 0.01, Cpk = (0.3 − 0.03) / 0.03 = 9
    assert cpk([0.02, 0.03, 0.04], None, 0.3).cpk == pytest.approx(9.0)
    # lower limit only: μ = 10, σ = 1, Cpk = (10 − 4) / 3 = 2
    assert cpk([9.0, 10.0, 11.0], 4.0, None).cpk == pytest.approx(2.0)
    # a mean outside the limits: negative Cpk, (27.17 − 28) / 0.3 = −2.7667
    assert cpk([27.9, 28.0, 28.1], 26.17, 27.17).cpk == pytest.approx(-2.766667, abs=1e-6)
    assert cpk([26.7], 26.17, 27.17).text == "n/a (fewer than 2 values)"
    assert cpk([26.7, 26.7], 26.17, 27.17).text == "n/a (σ = 0)"


def _sample(serial: str, value: float, low: float, high: float, nominal: float) -> Sample:
    return Sample(serial, value, low, high, nominal, "PASS" if low <= value <= high else "FAIL", "IEC 62053-21 class 1")


def test_limits_that_follow_a_reference_reading_are_pooled_as_the_error_against_it() -> None:
    # the meter against the analyzer: ±1 % of each unit's analyzer reading (3677.5 W, 3686.1 W, 3700 W)
    relative = [_sample(f"u{i}", reading * (1 + err / 100), reading * 0.99, reading * 1.01, reading)
                for i, (reading, err) in enumerate([(3677.5, 0.02), (3686.1, -0.04), (3700.0, 1.2)])]
    [d] = pool("meter power", "W", relative)
    assert (d.basis, d.unit) == ("error vs nominal", "% of nominal")
    assert (d.low, d.high) == (pytest.approx(-1.0), pytest.approx(1.0))
    assert d.values == [pytest.approx(0.02), pytest.approx(-0.04), pytest.approx(1.2)]
    assert d.failing_serials == ["u2"]
    # an absolute tolerance around a per-unit nominal: ±0.5 % duty points around 26.67 and 16.67
    absolute = [_sample("a", 26.70, 26.17, 27.17, 26.67), _sample("b", 16.60, 16.17, 17.17, 16.67)]
    [d] = pool("duty", "%", absolute)
    assert d.basis == "deviation from nominal" and (d.low, d.high) == (pytest.approx(-0.5), pytest.approx(0.5))
    assert d.values == [pytest.approx(0.03), pytest.approx(-0.07)]
    # neither: each limit set is its own row, never one Cpk against mixed limits
    mixed = [_sample("a", 1.0, 0.0, 2.0, 1.0), _sample("b", 1.0, 0.0, 3.0, 1.0)]
    assert [(d.low, d.high, d.values) for d in pool("x", "V", mixed)] == [(0.0, 2.0, [1.0]), (0.0, 3.0, [1.0])]


def test_yield_counts_the_first_judged_attempt_and_the_retest(lot_store: Store) -> None:
    y = collect(lot_store).yields
    # 10 units; 500104 and 500108 fail first; 500104 passes its retest: FPY 8/10, final 9/10, 1 retest
    assert (y.units, y.judged_units, y.first_pass, y.final_pass) == (10, 10, 8, 9)
    assert y.first_pass_yield == pytest.approx(0.8) and y.final_yield == pytest.approx(0.9)
    assert (y.attempts, y.retests, y.retested_units, y.error_attempts) == (11, 1, 1, 0)
    assert y.failing_steps == {"pwm_duty": 1, "rcd": 1}


def test_an_error_attempt_is_not_judged(store: Store) -> None:
    error = make_record("500001", unit_values(0))
    error.update(verdict="ERROR", failed_step={"step": "rcd", "message": "analyzer did not answer within 3 s"})
    store.add_record(error, retest=False)
    store.add_record(make_record("500001", unit_values(0)), retest=True)
    y = collect(store).yields
    assert (y.units, y.judged_units, y.first_pass, y.error_attempts, y.retests) == (1, 1, 1, 1, 1)


def test_distributions_take_one_value_per_unit_from_its_first_judged_attempt(lot_store: Store) -> None:
    by_name = {d.name: d for d in collect(lot_store).distributions}
    duty = by_name["pwm duty at 16 A"]
    assert sorted(duty.values) == sorted(DUTY16)          # the failing 27.9, not the retest's 26.70
    assert duty.fails == 1
    assert duty.capability.mean == pytest.approx(sum(DUTY16) / 10)
    # 500104 stopped at pwm_duty on its first attempt: no trip value from it
    trip = by_name["rcd trip 30 mA AC"]
    assert sorted(trip.values) == sorted(TRIP[:4] + TRIP[5:]) and trip.fails == 1


def test_lot_selection_by_order_and_time(store: Store) -> None:
    for i, serial in enumerate(SERIALS[:4]):
        order = ORDER if i < 2 else {**ORDER, "id": "PO-2026-002"}
        store.add_record(make_record(serial, unit_values(i), order=order,
                                     started=f"2026-12-0{1 + i}T18:00:00.000Z"), retest=False)
    assert collect(store, Selection(order="PO-2026-002")).yields.units == 2
    since = datetime(2026, 12, 2, tzinfo=timezone.utc)
    until = datetime(2026, 12, 4, tzinfo=timezone.utc)
    assert collect(store, Selection(since=since, until=until)).yields.units == 2   # Dec 2 and 3; until exclusive


def test_an_empty_lot_reports_no_yield_rather_than_a_number(store: Store, tmp_path: Path) -> None:
    report = write_report(store, tmp_path / "empty", Selection(order="PO-NONE"))
    summary = json.loads(report.json.read_text())
    assert summary["yield"]["units"] == 0 and summary["yield"]["first_pass_yield"] is None
    assert summary["measurements"] == [] and "n/a" in report.html.read_text()
    with pytest.raises(ValueError, match="no UTC offset"):
        Selection(since=datetime(2026, 12, 1))


def test_lot_report_writes_html_with_plots_json_and_pngs(lot_store: Store, tmp_path: Path) -> None:
    report = write_report(lot_store, tmp_path / "lot")
    summary = json.loads(report.json.read_text())
    assert summary["yield"]["first_pass_yield"] == pytest.approx(0.8)
    rows = {m["name"]: m for m in summary["measurements"]}
    assert rows["pwm duty at 16 A"]["n"] == 10 and rows["pwm duty at 16 A"]["failing_serials"] == ["500104"]
    assert rows["rcd trip 30 mA AC"]["n"] == 9 and rows["rcd trip 30 mA AC"]["failing_serials"] == ["500108"]
    assert rows["pwm duty at 16 A"]["cpk"] == pytest.approx(cpk(DUTY16, 26.17, 27.17).cpk)
    assert set(report.plots) == {"contactor-close-b2-c2", "pwm-duty-at-16-a", "pwm-duty-at-32-a", "rcd-trip-30-ma-ac"}
    for path in report.plots.values():
        assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    page = report.html.read_text()
    assert page.count("data:image/png;base64,") == 4
    assert "80.0 %" in page and "90.0 %" in page


def test_failing_lists_the_units_that_failed_a_measurement(lot_store: Store) -> None:
    duty = lot_store.failing("pwm duty at 16 A")
    assert [(f.serial, f.attempt, f.value, f.final_verdict) for f in duty] == [("500104", 1, 27.9, "PASS")]
    assert duty[0].margin == pytest.approx(27.17 - 27.9)
    trip = lot_store.failing("rcd trip 30 mA AC")
    assert [(f.serial, f.value, f.high, f.final_verdict) for f in trip] == [("500108", 0.35, 0.3, "FAIL")]
    assert lot_store.failing("pwm duty at 32 A") == []


# -- commands -----------------------------------------------------------------------------------------

def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="lektrico-hil")
    sub = parser.add_subparsers(dest="command_name", required=True)
    register(sub)
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_commands_units_export_failing_and_lot_report(migrated: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "line.sqlite3"
    with fresh_store(migrated, db) as opened:
        ids = fill(opened)
    assert _run(["units", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "10 unit(s)" in out and "500104" in out

    assert _run(["export", "--db", str(db), "--id", str(ids["500108"])]) == 0
    assert json.loads(capsys.readouterr().out)["failed_step"]["step"] == "rcd"
    assert _run(["export", "--db", str(db), "--id", str(ids["500108"]), "--format", "html",
                 "--out", str(tmp_path / "cert.html")]) == 0
    assert "500108" in (tmp_path / "cert.html").read_text()

    assert _run(["failing", "--db", str(db), "rcd trip 30 mA AC"]) == 0
    out = capsys.readouterr().out
    assert "1 attempt(s) failed" in out and "500108" in out

    results = tmp_path / "allure-results"
    assert _run(["lot-report", "--db", str(db), "--order", ORDER["id"], "--out", str(tmp_path / "lot"),
                 "--alluredir", str(results)]) == 0
    assert "first-pass yield 80.0 %, final yield 90.0 %, 1 retests" in capsys.readouterr().out
    assert (tmp_path / "lot" / "lot-report.html").is_file()
    [globals_file] = results.glob("*-globals.json")
    [attachment] = json.loads(globals_file.read_text())["attachments"]
    assert attachment["name"] == "Lot report: yield and Cpk" and attachment["type"] == "text/html"
    page = (results / attachment["source"]).read_text()
    assert "Cpk" in page and "data:image/png;base64," in page  # the plots travel inside the report


@pytest.mark.parametrize("argv, message", [
    (["export", "--id", "999"], "no EOL test with id 999"),
    (["failing", "pwm duty"], "no measurement named 'pwm duty' in the records; did you mean: pwm duty at 16 A"),
])
def test_commands_say_what_is_wrong_in_one_line(migrated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                argv: list[str], message: str) -> None:
    db = tmp_path / "line.sqlite3"
    with fresh_store(migrated, db) as opened:
        opened.add_record(make_record("500001", unit_values(0)), retest=False)
    assert _run([*argv, "--db", str(db)]) == 4
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_commands_refuse_a_database_that_does_not_exist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["units", "--db", str(tmp_path / "typo.sqlite3")]) == 4
    assert "no records database at" in capsys.readouterr().err
    assert not (tmp_path / "typo.sqlite3").exists()
