"""Per-unit end-of-line records in a SQL database (SQLAlchemy 2 + Alembic).

- :mod:`records.schema`: the EOL unit record's contract (schema 1), validated before storing.
- :mod:`records.models`: the tables (unit, eol_test, step, measurement, instrument).
- :mod:`records.migrations`: Alembic revisions; :func:`records.store.open_store` migrates to head.
- :mod:`records.store`: open a database (SQLite path or any SQLAlchemy URL), add an attempt, read,
  export as JSON, the units failing a measurement.
- :mod:`records.certificate`: one record as a printable HTML certificate.
- :mod:`records.lot`: yield, distributions and Cpk across units (HTML with PNG plots, JSON).
- :mod:`records.commands`: ``lektrico-hil export | lot-report | failing | units``.
"""
