"""undecrypted Matrix events, kept until their key arrives

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 21:30:00

A Matrix message whose room key is missing used to be dropped; it is now kept, retried
after every sync and handled once the key is there (or its sender is asked to send it again).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "undecrypted_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.String(length=255), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("sender", sa.String(length=255), nullable=False),
        sa.Column("session_id", sa.String(length=255), nullable=False),
        sa.Column("source", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_undecrypted_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_undecrypted_events_event_id")),
    )


def downgrade() -> None:
    op.drop_table("undecrypted_events")
