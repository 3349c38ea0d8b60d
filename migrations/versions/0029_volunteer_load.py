"""each Digitallotse's load kept on the profile (matching reads a column, not three subqueries)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 09:00:00

volunteer_profiles.open_requests (requests taken and not done), pending_offers (offers not
answered of requests still being offered) and last_accepted_at (the latest request taken)
are kept true by triggers on help_requests, help_offers and volunteer_profiles, in the same
transaction as every write that changes them (the bot's, the staff page's, an erasure's).
The data migration fills them for the profiles there are.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The load of every profile the condition selects, counted again from the requests and offers
# (the same definition as bot/helping/matching.py: accepted is open, offered is pending).
REFRESH = """
UPDATE volunteer_profiles SET
  open_requests = (SELECT count(*) FROM help_requests AS r
                   WHERE r.volunteer_id = volunteer_profiles.person_id
                     AND r.status = 'accepted'),
  pending_offers = (SELECT count(*) FROM help_offers AS o
                    JOIN help_requests AS r ON r.id = o.request_id
                    WHERE o.volunteer_id = volunteer_profiles.person_id
                      AND o.answer = '' AND r.status = 'offered'),
  last_accepted_at = (SELECT max(r.accepted_at) FROM help_requests AS r
                      WHERE r.volunteer_id = volunteer_profiles.person_id)
WHERE {where}
"""
OFFERED_TO = "person_id IN (SELECT o.volunteer_id FROM help_offers AS o WHERE o.request_id = {id})"

# (name, table, event, SQLite WHEN or "", whose load changes)
TRIGGERS = (
    ("volunteer_load_request_insert", "help_requests", "INSERT", "NEW.volunteer_id IS NOT NULL",
     "person_id = NEW.volunteer_id"),
    ("volunteer_load_request_update", "help_requests",
     "UPDATE OF status, volunteer_id, accepted_at", "",
     "person_id IN (NEW.volunteer_id, OLD.volunteer_id) OR " + OFFERED_TO.format(id="NEW.id")),
    ("volunteer_load_request_delete", "help_requests", "DELETE", "",
     "person_id = OLD.volunteer_id OR " + OFFERED_TO.format(id="OLD.id")),
    ("volunteer_load_offer_insert", "help_offers", "INSERT", "", "person_id = NEW.volunteer_id"),
    ("volunteer_load_offer_update", "help_offers", "UPDATE OF answer, volunteer_id, request_id",
     "", "person_id IN (NEW.volunteer_id, OLD.volunteer_id)"),
    ("volunteer_load_offer_delete", "help_offers", "DELETE", "", "person_id = OLD.volunteer_id"),
    ("volunteer_load_profile_insert", "volunteer_profiles", "INSERT", "",
     "person_id = NEW.person_id"),
)  # fmt: skip


def _create_triggers() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, table, event, when, where in TRIGGERS:
        refresh = REFRESH.format(where=where)
        if not postgres:
            condition = f" WHEN {when}" if when else ""
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{condition}"
                f" BEGIN {refresh}; END"
            )
            continue
        # PostgreSQL: NEW is NULL in a DELETE trigger and OLD in an INSERT trigger.
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN {refresh}; RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()"
        )


def upgrade() -> None:
    # Plain ADD COLUMN (see 0026): batch mode would copy and drop volunteer_profiles.
    op.add_column(
        "volunteer_profiles",
        sa.Column("open_requests", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column(
        "volunteer_profiles",
        sa.Column("pending_offers", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column(
        "volunteer_profiles",
        sa.Column("last_accepted_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.execute(REFRESH.format(where="1 = 1"))
    _create_triggers()


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, table, *_rest in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgres else ""))
        if postgres:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    with op.batch_alter_table("volunteer_profiles", schema=None) as batch_op:
        batch_op.drop_column("last_accepted_at")
        batch_op.drop_column("pending_offers")
        batch_op.drop_column("open_requests")
