"""accounts: when the person was told how commands start on this platform

Revision ID: 0022
Revises: 0019
Create Date: 2026-12-07 00:40:00

Element may send "/termine" as text; the bot runs it and tells the person once (per account)
that "!termine" is the way on Matrix.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prefix_noted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("prefix_noted_at")
