"""The per-unit record tables (SQLAlchemy 2.0 declarative ORM).

One ``unit`` per serial; one ``eol_test`` per attempt at it (attempt 1, 2, ... and whether the operator
ran it as a retest), holding the record's scalar facts as columns for the queries a line needs (lot
yield, the units failing a measurement) and the record itself, verbatim, as the archived document;
its ``step``, ``measurement`` and ``instrument`` rows.

Only portable types and constraints are used (no SQLite- or PostgreSQL-only SQL): the same models
serve the default SQLite file and a line's PostgreSQL server.  Constraint names follow one naming
convention so that Alembic migrations name them identically on every backend.  Times are UTC, stored
without an offset (``timestamp without time zone`` holding UTC), since SQLite keeps none.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (Boolean, CheckConstraint, Date, DateTime, Float, ForeignKey, Index, Integer, MetaData,
                        String, Text, UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Unit(Base):
    """A charger, known by the serial scanned on it."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    serial: Mapped[str] = mapped_column(String(64), unique=True)
    first_seen_utc: Mapped[datetime] = mapped_column(DateTime)

    tests: Mapped[list[EolTest]] = relationship(back_populates="unit", order_by="EolTest.attempt")


class EolTest(Base):
    """One end-of-line attempt at one unit: the record's facts, and the record as the station wrote it."""

    __tablename__ = "eol_test"
    __table_args__ = (
        UniqueConstraint("unit_id", "attempt"),   # two stations can never both store attempt 2
        CheckConstraint("verdict IN ('PASS', 'FAIL', 'ERROR')", name="verdict"),
        CheckConstraint("attempt >= 1", name="attempt"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"))
    attempt: Mapped[int] = mapped_column(Integer)
    retest: Mapped[bool] = mapped_column(Boolean)
    station: Mapped[str] = mapped_column(String(128))
    operator: Mapped[str] = mapped_column(String(128))
    started_utc: Mapped[datetime] = mapped_column(DateTime)
    finished_utc: Mapped[datetime] = mapped_column(DateTime)
    duration_s: Mapped[float] = mapped_column(Float)
    verdict: Mapped[str] = mapped_column(String(8))
    failed_step: Mapped[str | None] = mapped_column(String(64))
    failed_message: Mapped[str | None] = mapped_column(Text)
    firmware: Mapped[str | None] = mapped_column(String(64))
    board_revision: Mapped[str | None] = mapped_column(String(32))
    order_id: Mapped[str] = mapped_column(String(128))
    bench: Mapped[str] = mapped_column(String(128))
    time_scale: Mapped[float] = mapped_column(Float)
    stored_utc: Mapped[datetime] = mapped_column(DateTime)
    raw_json: Mapped[str] = mapped_column(Text)   # the record, verbatim: what an export or an audit shows

    unit: Mapped[Unit] = relationship(back_populates="tests")
    steps: Mapped[list[Step]] = relationship(back_populates="test", cascade="all, delete-orphan",
                                             order_by="Step.position")
    measurements: Mapped[list[MeasurementRow]] = relationship(back_populates="test", cascade="all, delete-orphan",
                                                              order_by="MeasurementRow.position")
    instruments: Mapped[list[Instrument]] = relationship(back_populates="test", cascade="all, delete-orphan",
                                                         order_by="Instrument.position")


class Step(Base):
    """One step of the EOL sequence as it ran on this attempt."""

    __tablename__ = "step"
    __table_args__ = (
        CheckConstraint("verdict IN ('PASS', 'FAIL', 'ERROR', 'SKIPPED')", name="verdict"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    test_id: Mapped[int] = mapped_column(ForeignKey("eol_test.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(256))
    verdict: Mapped[str] = mapped_column(String(8))
    started_s: Mapped[float | None] = mapped_column(Float)    # None: the step never started
    duration_s: Mapped[float | None] = mapped_column(Float)
    message: Mapped[str | None] = mapped_column(Text)

    test: Mapped[EolTest] = relationship(back_populates="steps")


class MeasurementRow(Base):
    """One checked measurement with its limits, margin and their origin (the standard and clause)."""

    __tablename__ = "measurement"
    __table_args__ = (
        CheckConstraint("verdict IN ('PASS', 'FAIL', 'INCONCLUSIVE')", name="verdict"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    test_id: Mapped[int] = mapped_column(ForeignKey("eol_test.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(256))
    value: Mapped[float | None] = mapped_column(Float)    # None: the reading was not a finite number
    value_text: Mapped[str | None] = mapped_column(Text)  # what was read when it was not a number
    unit: Mapped[str] = mapped_column(String(32))
    low: Mapped[float | None] = mapped_column(Float)
    high: Mapped[float | None] = mapped_column(Float)
    nominal: Mapped[float | None] = mapped_column(Float)
    margin: Mapped[float | None] = mapped_column(Float)
    uncertainty: Mapped[float | None] = mapped_column(Float)
    verdict: Mapped[str] = mapped_column(String(16))
    origin: Mapped[str] = mapped_column(Text)

    test: Mapped[EolTest] = relationship(back_populates="measurements")


class Instrument(Base):
    """An instrument of the bench as this attempt identified it, with its calibration due date."""

    __tablename__ = "instrument"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    test_id: Mapped[int] = mapped_column(ForeignKey("eol_test.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64))
    adapter: Mapped[str] = mapped_column(String(64))
    idn: Mapped[str | None] = mapped_column(Text)
    calibration_due: Mapped[date | None] = mapped_column(Date)
    overdue: Mapped[bool | None] = mapped_column(Boolean)

    test: Mapped[EolTest] = relationship(back_populates="instruments")


# Added by migration 0002: the lot report selects by order and by time, the failing query by name.
Index("ix_eol_test_order_started", EolTest.order_id, EolTest.started_utc)
Index("ix_measurement_name_verdict", MeasurementRow.name, MeasurementRow.verdict)
