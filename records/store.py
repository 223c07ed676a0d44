"""The per-unit record store: open (and migrate) a database, add an attempt, read it back, query it.

::

    from records.store import open_store
    store = open_store(None)                 # SQLite file in platformdirs.user_data_dir("lektrico-hil")
    store = open_store("eol.sqlite3")        # a plain path: that SQLite file
    store = open_store("postgresql+psycopg://eol@db/lektrico")   # any SQLAlchemy URL, as is
    attempt = store.attempts("500123") + 1
    test_id = store.add_record(record, retest=attempt > 1)
    store.export_json(test_id)

Every open runs the Alembic migrations to head on the connection it will use, so a new database and
one written by an older station both end at the current schema; a database written by a *newer*
station is refused (this code cannot know its tables).  The default location can be moved for a whole
station by configuration: ``LEKTRICO_HIL_DB`` (a path or a URL).

Attempts: a unit's records are numbered 1, 2, ... in the order they are stored; the operator's retest
flag must agree with that number (a retest of a unit never seen, or a first test of a unit already
recorded, is refused), so first-pass yield can never be inflated by a unit that was quietly re-run.
"""
from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import platformdirs
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, func, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from records.models import EolTest, Instrument, MeasurementRow, Step, Unit
from records.schema import check_serial, instrument_overdue, parse_date, parse_utc, validate

APP_NAME = "lektrico-hil"
DB_ENV = "LEKTRICO_HIL_DB"
DEFAULT_FILE = "eol-records.sqlite3"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


class RecordNotFound(LookupError):
    """No EOL test with that id in this database."""


class SchemaTooNew(ValueError):
    """The database was migrated by a newer lektrico-hil: this one cannot know its tables.  A ValueError,
    like every other unusable ``--db``, so a station refuses it before testing a unit (exit 4)."""


def default_url() -> str:
    """Where records go when no ``--db`` is given: ``$LEKTRICO_HIL_DB``, else a SQLite file in the
    user's data directory (``~/.local/share/lektrico-hil/`` on Linux), so a station keeps its records
    across runs and across working directories."""
    configured = os.environ.get(DB_ENV, "").strip()
    if configured:
        return url_of(configured)
    return url_of(Path(platformdirs.user_data_dir(APP_NAME)) / DEFAULT_FILE)


def url_of(target: str | os.PathLike[str] | None) -> str:
    """``None`` -> :func:`default_url`; a SQLAlchemy URL as is; anything else is a path to a SQLite file."""
    if target is None:
        return default_url()
    text = os.fspath(target)
    if _URL.match(text):
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def masked(url: str) -> str:
    """The URL fit to print: any password replaced by ``***`` (a line's PostgreSQL URL carries one)."""
    return make_url(url).render_as_string(hide_password=True)


def migrations_config(url: str) -> Config:
    """An Alembic configuration built in code: our migrations, that database (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # configparser interpolation
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(migrations_config("sqlite://")).get_current_head()
    assert head is not None, "records/migrations has no revision"
    return head


def _naive_utc(instant: datetime) -> datetime:
    return instant.astimezone(timezone.utc).replace(tzinfo=None)


def utc_text(instant: datetime) -> str:
    """A stored (naive UTC) time as the record writes it: ``2026-12-02T18:00:00.000Z``."""
    return instant.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


@dataclass(frozen=True)
class FailingUnit:
    """One attempt that failed a given measurement: which unit, when, where, and by how much."""

    serial: str
    test_id: int
    attempt: int
    retest: bool
    started_utc: str
    station: str
    order_id: str
    value: float | None
    value_text: str | None
    unit: str
    low: float | None
    high: float | None
    margin: float | None
    unit_verdict: str    # the attempt's verdict (FAIL; ERROR if the bench faulted later)
    final_verdict: str   # the unit's verdict on its latest attempt (PASS after a good retest)


@dataclass(frozen=True)
class UnitSummary:
    serial: str
    attempts: int
    first_verdict: str
    last_verdict: str
    last_test_id: int
    last_started_utc: str
    order_id: str


class Store:
    """One records database.  Thread-compatible (one Store per thread); each call is one transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def url(self) -> str:
        """The database's URL with its password masked (for messages and reports)."""
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        with self._sessions.begin() as session:
            yield session

    # -- writing -----------------------------------------------------------------------------------

    def attempts(self, serial: str) -> int:
        """How many records this serial already has (0: never tested here)."""
        check_serial(serial)
        with self.session() as session:
            return session.scalar(select(func.count(EolTest.id)).join(Unit).where(Unit.serial == serial)) or 0

    def add_record(self, record: Mapping[str, Any], *, retest: bool) -> int:
        """Store one validated EOL unit record as the unit's next attempt; return its eol_test id.

        Raises ValueError for an invalid record (naming the field) and for a retest flag that
        contradicts the unit's history.  Two stations storing the same unit at once cannot both get
        the same attempt number (a unique constraint): the loser retries once, and is then stored as
        the next attempt if it said retest, or refused (ValueError) if it claimed to be the first."""
        checked = validate(record)
        for tries in range(2):
            try:
                return self._insert(checked, retest=retest)
            except IntegrityError:
                if tries:
                    raise
        raise AssertionError("unreachable")

    def _insert(self, record: dict[str, Any], *, retest: bool) -> int:
        serial = record["serial"]
        started = parse_utc(record["started_utc"], "record.started_utc")
        now = _naive_utc(datetime.now(timezone.utc))
        with self.session() as session:
            unit = session.scalar(select(Unit).where(Unit.serial == serial))
            if unit is None:
                unit = Unit(serial=serial, first_seen_utc=now)
                session.add(unit)
                session.flush()
            earlier = session.scalar(select(func.count(EolTest.id)).where(EolTest.unit_id == unit.id)) or 0
            if retest and earlier == 0:
                raise ValueError(f"serial {serial}: recorded as a retest, but this unit has no earlier record")
            if not retest and earlier > 0:
                raise ValueError(f"serial {serial}: already has {earlier} record(s); store this attempt as a retest")
            failed = record["failed_step"] or {}
            identity = record["identity"]
            test = EolTest(
                unit=unit, attempt=earlier + 1, retest=retest,
                station=record["station"], operator=record["operator"],
                started_utc=_naive_utc(started),
                finished_utc=_naive_utc(parse_utc(record["finished_utc"], "record.finished_utc")),
                duration_s=float(record["duration_s"]), verdict=record["verdict"],
                failed_step=failed.get("step"), failed_message=failed.get("message"),
                firmware=identity.get("firmware"), board_revision=identity.get("board_revision"),
                order_id=record["order"]["id"], bench=record["bench"], time_scale=float(record["time_scale"]),
                stored_utc=now, raw_json=json.dumps(_json_safe(record), ensure_ascii=False, allow_nan=False),
            )
            test.steps = [Step(position=i, step=s["step"], title=s["title"], verdict=s["verdict"],
                               started_s=_float(s["started_s"]), duration_s=_float(s["duration_s"]),
                               message=s.get("message"))
                          for i, s in enumerate(record["steps"])]
            test.measurements = [_measurement_row(i, m) for i, m in enumerate(record["measurements"])]
            test.instruments = [
                Instrument(position=i, name=s["name"], adapter=s["adapter"], idn=s["idn"],
                           calibration_due=None if s.get("calibration_due") is None
                           else parse_date(s["calibration_due"], "calibration_due"),
                           overdue=instrument_overdue(s, started.date()))
                for i, s in enumerate(record["instruments"])]
            for row in (unit, test, *test.steps, *test.measurements, *test.instruments):
                _check_lengths(row)
            session.add(test)
            session.flush()
            return test.id

    # -- reading -----------------------------------------------------------------------------------

    def record(self, test_id: int) -> dict[str, Any]:
        """The stored record as exported: the station's document verbatim, plus a ``database`` block
        (this attempt's id, number, retest flag, when it was stored, the schema revision)."""
        with self.session() as session:
            test = session.get(EolTest, test_id)
            if test is None:
                raise RecordNotFound(f"no EOL test with id {test_id} in {self.url}")
            document = json.loads(test.raw_json)
            document["database"] = {"id": test.id, "attempt": test.attempt, "retest": test.retest,
                                    "stored_utc": utc_text(test.stored_utc), "revision": self.revision()}
            return document

    def export_json(self, test_id: int) -> str:
        """The record as JSON text (UTF-8, indented): what `lektrico-hil export --format json` writes."""
        return json.dumps(self.record(test_id), indent=2, ensure_ascii=False) + "\n"

    def revision(self) -> str | None:
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def test_ids(self, serial: str | None = None) -> list[int]:
        """Every stored attempt's id in storing order (one serial's, when given)."""
        query = select(EolTest.id).order_by(EolTest.id)
        if serial is not None:
            query = query.join(Unit).where(Unit.serial == serial)
        with self.session() as session:
            return list(session.scalars(query))

    def measurement_names(self) -> list[str]:
        with self.session() as session:
            return list(session.scalars(select(MeasurementRow.name).distinct().order_by(MeasurementRow.name)))

    def failing(self, measurement_name: str) -> list[FailingUnit]:
        """Every attempt that failed ``measurement_name`` (verdict FAIL), oldest first, with the value,
        its limits and margin, and the unit's verdict now (a failed unit may have passed a retest)."""
        with self.session() as session:
            rows = session.execute(
                select(MeasurementRow, EolTest, Unit)
                .join(EolTest, MeasurementRow.test_id == EolTest.id).join(Unit, EolTest.unit_id == Unit.id)
                .where(MeasurementRow.name == measurement_name, MeasurementRow.verdict == "FAIL")
                .order_by(EolTest.started_utc, EolTest.id)).all()
            latest = _latest_verdicts(session, {unit.id for _, _, unit in rows})
            return [FailingUnit(serial=unit.serial, test_id=test.id, attempt=test.attempt, retest=test.retest,
                                started_utc=utc_text(test.started_utc), station=test.station,
                                order_id=test.order_id, value=m.value, value_text=m.value_text, unit=m.unit,
                                low=m.low, high=m.high, margin=m.margin, unit_verdict=test.verdict,
                                final_verdict=latest[unit.id])
                    for m, test, unit in rows]

    def units(self) -> list[UnitSummary]:
        """Every unit with its number of attempts, first and latest verdict, by serial."""
        with self.session() as session:
            units = session.scalars(select(Unit).options(selectinload(Unit.tests)).order_by(Unit.serial)).all()
            return [UnitSummary(serial=u.serial, attempts=len(u.tests), first_verdict=u.tests[0].verdict,
                                last_verdict=u.tests[-1].verdict, last_test_id=u.tests[-1].id,
                                last_started_utc=utc_text(u.tests[-1].started_utc), order_id=u.tests[-1].order_id)
                    for u in units if u.tests]


def _latest_verdicts(session: Session, unit_ids: set[int]) -> dict[int, str]:
    if not unit_ids:
        return {}
    rows = session.execute(select(EolTest.unit_id, EolTest.attempt, EolTest.verdict)
                           .where(EolTest.unit_id.in_(unit_ids)).order_by(EolTest.attempt)).all()
    return {unit_id: verdict for unit_id, _, verdict in rows}   # the last attempt wins


def _check_lengths(row: Any) -> None:
    """A text longer than its column is refused here, on every backend alike: SQLite would keep it,
    PostgreSQL would refuse the whole attempt with a DataError."""
    for column in inspect(row).mapper.columns:
        length = getattr(column.type, "length", None)
        value = getattr(row, column.key)
        if length is not None and isinstance(value, str) and len(value) > length:
            raise ValueError(f"{column.table.name}.{column.key}: {len(value)} characters, the records hold at most "
                             f"{length} ({value[:40]!r}…)")


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


def _json_safe(value: Any) -> Any:
    """The record with any NaN or infinity (a reading that was not a number) as its text, so the
    stored document and every export stay strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    return value


def _measurement_row(position: int, m: Mapping[str, Any]) -> MeasurementRow:
    value = m["value"]
    number: float | None = None
    text: str | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        number = float(value)
    elif value is not None:
        text = str(value)   # kept as read: a measurement is never turned into a number it was not
    return MeasurementRow(position=position, step=m["step"], name=m["name"], value=number, value_text=text,
                          unit=m["unit"], low=m["low"], high=m["high"], nominal=m.get("nominal"),
                          margin=m.get("margin"), uncertainty=m.get("uncertainty"), verdict=m["verdict"],
                          origin=m["origin"])


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def open_store(target: str | os.PathLike[str] | None = None, *, create: bool = True) -> Store:
    """Open the records database at ``target`` (see :func:`url_of`) and migrate it to head.

    ``create=False`` (the read-only commands): a SQLite file that does not exist is an error, not a
    new empty database that would answer "no records" for a mistyped path."""
    url = url_of(target)
    path = _sqlite_file(url)
    if path is not None:
        if not path.exists():
            if not create:
                raise FileNotFoundError(f"no records database at {path}")
            if target is None or not _URL.match(os.fspath(target)):
                path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        migrate(engine)
    except BaseException:
        engine.dispose()
        raise
    return Store(engine)


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` on one of its own connections (Alembic, in code)."""
    head = head_revision()
    config = migrations_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
        known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
        if current is not None and current not in known:
            raise SchemaTooNew(f"records database {engine.url.render_as_string(hide_password=True)} is at "
                               f"schema revision {current}, newer than this lektrico-hil knows (head {head}): "
                               "upgrade lektrico-hil on this station")
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """SQLite enforces foreign keys only when asked, per connection."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
