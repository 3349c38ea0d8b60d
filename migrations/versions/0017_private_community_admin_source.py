"""private chat community, deployment admin source

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 21:30:00

A private chat now acts for the community stored on it (``chats.community_id``), chosen
by the person; before, it followed the community the person most recently got a role in.
Existing private chats keep acting for that community. ``persons.admin_source`` says why
someone is a deployment admin: "config" (``bot.admins``, revoked when removed there) or
"code" (the one-time code, kept until revoked in chat).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("admin_source", sa.String(length=8), nullable=True))
    op.execute(
        "UPDATE persons SET admin_source = 'code' WHERE deployment_admin AND id IN "
        "(SELECT used_by FROM admin_codes WHERE used_by IS NOT NULL)"
    )
    op.execute(
        "UPDATE persons SET admin_source = 'config' WHERE deployment_admin AND admin_source IS NULL"
    )
    # Keep today's choice for existing private chats: the most recent role's community.
    op.execute(
        "UPDATE chats SET community_id = (SELECT r.community_id FROM roles r "
        "WHERE r.person_id = chats.person_id ORDER BY r.created_at DESC, r.id DESC LIMIT 1) "
        "WHERE kind = 'direct' AND community_id IS NULL AND person_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_column("admin_source")
