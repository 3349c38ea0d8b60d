"""web sign-in: one-time links and browser sessions for the staff web page

Revision ID: 0025
Revises: 0022
Create Date: 2026-12-07 03:15:00

/web in a private chat sends a one-time link (web_sign_ins); opening it starts a browser
session (web_sessions). Both are stored as hashes only.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _table(name: str, secret: str, last: sa.Column) -> None:  # type: ignore[type-arg]
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(secret, sa.String(length=128), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        last,
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f(f"fk_{name}_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint(secret, name=op.f(f"uq_{name}_{secret}")),
    )
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{name}_person_id"), ["person_id"], unique=False)


def upgrade() -> None:
    _table(
        "web_sign_ins",
        "token_hash",
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("web_sign_ins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("used_at", sa.DateTime(timezone=True), nullable=True))
    _table(
        "web_sessions",
        "id_hash",
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for name in ("web_sessions", "web_sign_ins"):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{name}_person_id"))
        op.drop_table(name)
