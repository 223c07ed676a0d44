"""Alembic environment of the per-unit records (records/migrations).

Run programmatically by :func:`records.store.open_store` (which hands over its own connection in
``config.attributes["connection"]``, so an in-memory or a freshly created database is migrated on the
very connection that will use it), or from the command line for a line's database administrator::

    alembic -c records/alembic.ini -x url=postgresql+psycopg://eol@db/lektrico upgrade head

Batch mode renders ALTERs SQLite cannot run as copy-and-move; on PostgreSQL it is plain ALTER.
"""
from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from records.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    """``alembic upgrade head --sql``: the DDL as a script, for a DBA who applies it by hand."""
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url")
    section = config.get_section(config.config_ini_section, {})
    if url:
        section["sqlalchemy.url"] = url
    engine = engine_from_config(section, prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as connection:
        _configure(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
