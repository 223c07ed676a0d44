"""The per-unit record tables: unit, eol_test, step, measurement, instrument.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("first_seen_utc", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit")),
        sa.UniqueConstraint("serial", name=op.f("uq_unit_serial")),
    )
    op.create_table(
        "eol_test",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("retest", sa.Boolean(), nullable=False),
        sa.Column("station", sa.String(length=128), nullable=False),
        sa.Column("operator", sa.String(length=128), nullable=False),
        sa.Column("started_utc", sa.DateTime(), nullable=False),
        sa.Column("finished_utc", sa.DateTime(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("verdict", sa.String(length=8), nullable=False),
        sa.Column("failed_step", sa.String(length=64), nullable=True),
        sa.Column("failed_message", sa.Text(), nullable=True),
        sa.Column("firmware", sa.String(length=64), nullable=True),
        sa.Column("board_revision", sa.String(length=32), nullable=True),
        sa.Column("order_id", sa.String(length=128), nullable=False),
        sa.Column("bench", sa.String(length=128), nullable=False),
        sa.Column("time_scale", sa.Float(), nullable=False),
        sa.Column("stored_utc", sa.DateTime(), nullable=False),
        sa.Column("raw_json", sa.Text(), nullable=False),
        sa.CheckConstraint("verdict IN ('PASS', 'FAIL', 'ERROR')", name=op.f("ck_eol_test_verdict")),
        sa.CheckConstraint("attempt >= 1", name=op.f("ck_eol_test_attempt")),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_eol_test_unit_id_unit"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eol_test")),
        sa.UniqueConstraint("unit_id", "attempt", name=op.f("uq_eol_test_unit_id_attempt")),
    )
    op.create_table(
        "step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("test_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=256), nullable=False),
        sa.Column("verdict", sa.String(length=8), nullable=False),
        sa.Column("started_s", sa.Float(), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.CheckConstraint("verdict IN ('PASS', 'FAIL', 'ERROR', 'SKIPPED')", name=op.f("ck_step_verdict")),
        sa.ForeignKeyConstraint(["test_id"], ["eol_test.id"], name=op.f("fk_step_test_id_eol_test"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_step")),
    )
    op.create_index(op.f("ix_step_test_id"), "step", ["test_id"])
    op.create_table(
        "measurement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("test_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("value_text", sa.Text(), nullable=True),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("low", sa.Float(), nullable=True),
        sa.Column("high", sa.Float(), nullable=True),
        sa.Column("nominal", sa.Float(), nullable=True),
        sa.Column("margin", sa.Float(), nullable=True),
        sa.Column("uncertainty", sa.Float(), nullable=True),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.CheckConstraint("verdict IN ('PASS', 'FAIL', 'INCONCLUSIVE')", name=op.f("ck_measurement_verdict")),
        sa.ForeignKeyConstraint(["test_id"], ["eol_test.id"], name=op.f("fk_measurement_test_id_eol_test"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measurement")),
    )
    op.create_index(op.f("ix_measurement_test_id"), "measurement", ["test_id"])
    op.create_table(
        "instrument",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("test_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("adapter", sa.String(length=64), nullable=False),
        sa.Column("idn", sa.Text(), nullable=True),
        sa.Column("calibration_due", sa.Date(), nullable=True),
        sa.Column("overdue", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(["test_id"], ["eol_test.id"], name=op.f("fk_instrument_test_id_eol_test"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instrument")),
    )
    op.create_index(op.f("ix_instrument_test_id"), "instrument", ["test_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_instrument_test_id"), table_name="instrument")
    op.drop_table("instrument")
    op.drop_index(op.f("ix_measurement_test_id"), table_name="measurement")
    op.drop_table("measurement")
    op.drop_index(op.f("ix_step_test_id"), table_name="step")
    op.drop_table("step")
    op.drop_table("eol_test")
    op.drop_table("unit")
