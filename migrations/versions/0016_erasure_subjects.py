"""erasure by reference: the people each outbox row and button is about

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 21:30:00

Erasure used to search the rendered text of outbox rows for a person's name, which missed
escaped umlauts, short names, first names and attachments. From now on every row records
the people it is about. Rows written before this migration get the one subject that is
certain (the person of a private chat); attachments already delivered are purged.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_subjects",
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox.id"],
            name=op.f("fk_outbox_subjects_outbox_id_outbox"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_outbox_subjects_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("outbox_id", "person_id", name=op.f("pk_outbox_subjects")),
    )
    with op.batch_alter_table("outbox_subjects", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_subjects_person_id"), ["person_id"], unique=False
        )
    op.create_table(
        "button_token_subjects",
        sa.Column("button_key", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["button_key"],
            ["button_tokens.key"],
            name=op.f("fk_button_token_subjects_button_key_button_tokens"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_button_token_subjects_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("button_key", "person_id", name=op.f("pk_button_token_subjects")),
    )
    with op.batch_alter_table("button_token_subjects", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_button_token_subjects_person_id"), ["person_id"], unique=False
        )
    # What is certain for rows written before: a private chat's messages are about its person.
    op.execute(
        "INSERT INTO outbox_subjects (outbox_id, person_id) "
        "SELECT outbox.id, chats.person_id FROM outbox JOIN chats ON chats.id = outbox.chat_id "
        "WHERE chats.kind = 'direct' AND chats.person_id IS NOT NULL"
    )
    op.execute(
        "INSERT INTO button_token_subjects (button_key, person_id) "
        "SELECT button_tokens.key, chats.person_id FROM button_tokens "
        "JOIN chats ON chats.id = button_tokens.chat_id "
        "WHERE chats.kind = 'direct' AND chats.person_id IS NOT NULL"
    )
    # Delivered files (exports, data copies) are not kept.
    op.execute("UPDATE outbox SET attachment = NULL WHERE status IN ('sent', 'expired')")


def downgrade() -> None:
    with op.batch_alter_table("button_token_subjects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_button_token_subjects_person_id"))
    op.drop_table("button_token_subjects")
    with op.batch_alter_table("outbox_subjects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_subjects_person_id"))
    op.drop_table("outbox_subjects")
