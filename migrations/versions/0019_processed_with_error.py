"""processed events: the kind of error an event was processed with

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 21:30:00

An update whose handling failed for good (bad data, a bug) is recorded as processed, with
the kind of error (exception class and SQLSTATE, never values), so it is not retried
forever and the chats behind it go on.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("processed_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("error", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("processed_events", schema=None) as batch_op:
        batch_op.drop_column("error")
