"""reminder calls for phone sign-ups; newsletter subscriptions

Revision ID: 0028
Revises: 0026
Create Date: 2026-12-07 04:00:00

A caller signed up by staff can want a reminder call the day before (rsvps.call_wanted,
rsvps.called_at). Members and subscribers can get a weekly or monthly e-mail of the coming
dates, after confirming their address (newsletter_subscriptions).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (see 0026): batch mode would copy and drop rsvps.
    op.add_column(
        "rsvps",
        sa.Column("call_wanted", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("rsvps", sa.Column("called_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "newsletter_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("rhythm", sa.String(length=8), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_issue", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_newsletter_subscriptions_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_newsletter_subscriptions_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_newsletter_subscriptions")),
        sa.UniqueConstraint(
            "community_id", "address", name=op.f("uq_newsletter_subscriptions_community_id")
        ),
        sa.UniqueConstraint("token", name=op.f("uq_newsletter_subscriptions_token")),
    )
    with op.batch_alter_table("newsletter_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_newsletter_subscriptions_community_id"), ["community_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_newsletter_subscriptions_person_id"), ["person_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("newsletter_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_newsletter_subscriptions_person_id"))
        batch_op.drop_index(batch_op.f("ix_newsletter_subscriptions_community_id"))
    op.drop_table("newsletter_subscriptions")
    with op.batch_alter_table("rsvps", schema=None) as batch_op:
        batch_op.drop_column("called_at")
        batch_op.drop_column("call_wanted")
