"""Indexes for the line's two questions: a lot by order and time, the units failing a measurement.

A database created by 0001 holds records already; this revision only adds indexes, so it runs on a
live station database without touching a row (the migration path test upgrades a filled 0001 database).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_eol_test_order_started", "eol_test", ["order_id", "started_utc"])
    op.create_index("ix_measurement_name_verdict", "measurement", ["name", "verdict"])


def downgrade() -> None:
    op.drop_index("ix_measurement_name_verdict", table_name="measurement")
    op.drop_index("ix_eol_test_order_started", table_name="eol_test")
