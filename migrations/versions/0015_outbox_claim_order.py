"""outbox claim order index

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 19:40:00

The sender claims pending rows in id order and stops after a batch; with this index it
walks the pending rows in that order instead of sorting every due row on each claim.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_status_id", ["status", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_status_id")
