"""The same store on PostgreSQL, by configuration only (a line's shared records server).

Runs only with ``LEKTRICO_HIL_PG_URL`` set to a server URL whose user may create databases, e.g.
``postgresql+psycopg://postgres@/postgres?host=/tmp/pgsock&port=5432`` (needs ``pip install
"psycopg[binary]"``); each test gets a database of its own and drops it.  CI has no PostgreSQL server:
there it is a counted skip that says so.  ``make records-postgres`` starts a throwaway server and runs it.
"""
from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from records.lot import collect
from records.models import Base
from records.store import Store, head_revision, migrate, open_store
from tests.test_records import TABLES, fill, make_record, unit_values

PG_ENV = "LEKTRICO_HIL_PG_URL"
pytestmark = pytest.mark.skipif(not os.environ.get(PG_ENV),
                                reason=f"no PostgreSQL server: set {PG_ENV} (make records-postgres)")


@pytest.fixture()
def pg_url() -> Iterator[str]:
    """A fresh, empty database on the server for one test; dropped afterwards."""
    server = make_url(os.environ[PG_ENV])
    name = f"lektrico_records_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_postgres_database_migrated_to_head_matches_the_models(pg_url: str) -> None:
    with open_store(pg_url) as store:
        assert store.engine.dialect.name == "postgresql"
        assert TABLES <= set(inspect(store.engine).get_table_names())
        assert store.revision() == head_revision()
        with store.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}),
                                    Base.metadata)
        assert diff == []


def test_postgres_round_trip_lot_and_failing_query(pg_url: str) -> None:
    with open_store(pg_url) as store:
        ids = fill(store)
        y = collect(store).yields
        assert (y.units, y.first_pass, y.final_pass, y.retests) == (10, 8, 9, 1)
        assert [f.serial for f in store.failing("rcd trip 30 mA AC")] == ["500108"]
        exported = json.loads(store.export_json(ids["500108"]))
        exported.pop("database")
        assert exported == make_record("500108", unit_values(8), started="2026-12-02T18:00:00.000Z")
        with pytest.raises(ValueError, match="already has 2 record"):
            store.add_record(make_record("500104", unit_values(4)), retest=False)


def test_postgres_database_at_0001_is_migrated_keeping_its_records(pg_url: str) -> None:
    engine = create_engine(pg_url)
    migrate(engine, "0001")
    test_id = Store(engine).add_record(make_record("500001", unit_values(0)), retest=False)
    engine.dispose()
    with open_store(pg_url) as store:
        assert store.revision() == "0002" and store.record(test_id)["serial"] == "500001"
        assert "ix_measurement_name_verdict" in {ix["name"] for ix in inspect(store.engine).get_indexes("measurement")}
