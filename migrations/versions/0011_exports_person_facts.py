"""exports: optional person facts for "who we reach" (age band, Ortsteil, consent time)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22 03:44:51.102521
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("age_band", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("area", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column("facts_consent_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_column("facts_consent_at")
        batch_op.drop_column("area")
        batch_op.drop_column("age_band")
