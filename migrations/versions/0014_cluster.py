"""bot processes (several on one PostgreSQL database) and outbox.claimed_by

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-22 07:18:41.517353
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bot_processes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("leader", sa.Boolean(), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bot_processes")),
    )
    with op.batch_alter_table("bot_processes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bot_processes_seen_at"), ["seen_at"], unique=False)

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("claimed_by")

    with op.batch_alter_table("bot_processes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bot_processes_seen_at"))

    op.drop_table("bot_processes")
