"""communities: whether the public calendar page shows how many places are free

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 03:50:00

The public page (#20) shows no counts of people unless the community allows it
(/webseite plätze an); off by default.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN, never batch mode: on SQLite batch mode copies the table and drops
    # the old one, and with foreign keys on that drop empties chats.community_id (SET NULL).
    op.add_column(
        "communities",
        sa.Column("public_places", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("communities", schema=None) as batch_op:
        batch_op.drop_column("public_places")
