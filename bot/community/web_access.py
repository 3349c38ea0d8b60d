"""Signing in to the staff web page through the chat: one-time links and browser sessions.

``/web`` in a private chat hands out a link that works once, for ten minutes, for that
person only. Opening it starts a browser session. Links and sessions are stored as SHA-256
hashes only: whoever reads the database cannot sign in with what they find there.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update

from bot.community import communities
from bot.domain.models import Community, Person, WebSession, WebSignIn
from bot.domain.roles import STAFF, acting_roles, may
from bot.domain.work import Work

LINK_VALID = timedelta(minutes=10)
# The longest a browser session may be configured to last, and to stay unused
# ([web] staff_session_hours, staff_idle_minutes): retention removes any older one.
SESSION_LONGEST = timedelta(days=7)
SESSION_UNUSED = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Visitor:
    """The person behind a browser session, as the pages need them."""

    person_id: int
    name: str
    locale: str | None
    deployment_admin: bool
    # Derived from the session's secret id (never stored): the forms' CSRF token.
    csrf: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def csrf_token(session_id: str) -> str:
    """The session's CSRF token: bound to its secret id, so it cannot be guessed or reused."""
    return hmac.new(session_id.encode(), b"lotsenbot-staff-csrf", hashlib.sha256).hexdigest()


def csrf_matches(session_id: str, sent: str) -> bool:
    """Whether a form sent this session's token (compared in constant time)."""
    return hmac.compare_digest(csrf_token(session_id), sent)


async def new_link(work: Work, person_id: int) -> str:
    """A fresh one-time sign-in token for the person (valid ten minutes, used once)."""
    await work.session.execute(
        delete(WebSignIn).where(WebSignIn.person_id == person_id, WebSignIn.expires_at < work.now)
    )
    token = secrets.token_urlsafe(32)
    work.session.add(
        WebSignIn(
            token_hash=_hash(token),
            person_id=person_id,
            created_at=work.now,
            expires_at=work.now + LINK_VALID,
        )
    )
    return token


async def open_link(work: Work, token: str, replacing: str | None) -> str | None:
    """Use a sign-in token: a new session's secret id for its person; None when the token is
    unknown, used or expired. A session the browser had before (``replacing``, whoever's it
    was) ends: the browser is then the link owner's alone."""
    # One statement: of two browsers opening the same link at once, one wins.
    person_id = await work.session.scalar(
        update(WebSignIn)
        .where(
            WebSignIn.token_hash == _hash(token),
            WebSignIn.used_at.is_(None),
            WebSignIn.expires_at > work.now,
        )
        .values(used_at=work.now)
        .returning(WebSignIn.person_id)
    )
    person = await work.session.get(Person, person_id) if person_id is not None else None
    if person is None or person.erased_at is not None:
        return None
    if replacing:
        await end_session(work, replacing)
    session_id = secrets.token_urlsafe(32)
    work.session.add(
        WebSession(
            id_hash=_hash(session_id),
            person_id=person.id,
            created_at=work.now,
            last_seen_at=work.now,
        )
    )
    return session_id


async def visit(
    work: Work, session_id: str, *, idle: timedelta, longest: timedelta
) -> Visitor | None:
    """The person of a live session (it counts as used now); None when there is none or it
    expired (unused for ``idle``, or started more than ``longest`` ago; then it ends)."""
    row = await work.session.scalar(
        select(WebSession).where(WebSession.id_hash == _hash(session_id))
    )
    if row is None:
        return None
    person = await work.session.get(Person, row.person_id)
    if (
        person is None
        or person.erased_at is not None
        or row.last_seen_at + idle <= work.now
        or row.created_at + longest <= work.now
    ):
        await work.session.delete(row)
        return None
    row.last_seen_at = work.now
    return Visitor(
        person.id,
        person.display_name,
        person.locale,
        person.deployment_admin,
        csrf_token(session_id),
    )


async def end_session(work: Work, session_id: str) -> None:
    """Sign this browser out."""
    await work.session.execute(delete(WebSession).where(WebSession.id_hash == _hash(session_id)))


async def sign_out_everywhere(work: Work, person_id: int) -> int:
    """End every browser session of the person and forget their unused links; how many
    sessions ended."""
    ended = await work.session.execute(delete(WebSession).where(WebSession.person_id == person_id))
    await work.session.execute(delete(WebSignIn).where(WebSignIn.person_id == person_id))
    return int(ended.rowcount or 0)  # type: ignore[attr-defined]


async def roles_at(work: Work, visitor: Visitor, community_id: int) -> set[str]:
    """The visitor's roles in that community, exactly as the chat computes them."""
    community = await work.session.get(Community, community_id)
    if community is None:
        return set()
    granted = await communities.granted_roles(work.session, visitor.person_id, community_id)
    return acting_roles(granted, deployment_admin=visitor.deployment_admin, in_community=True)


async def team_community(work: Work, visitor: Visitor, community_id: int) -> Community | None:
    """The community when the visitor is in its team (the chat's role check); else None."""
    if not may(await roles_at(work, visitor, community_id), (STAFF,)):
        return None
    return await work.session.get(Community, community_id)


async def team_communities(work: Work, visitor: Visitor) -> list[Community]:
    """The communities the visitor is in the team of (a deployment admin: all), by number."""
    person = await work.session.get(Person, visitor.person_id)
    if person is None:
        return []
    found = []
    for community in await communities.ties_of(work.session, person):
        if may(await roles_at(work, visitor, community.id), (STAFF,)):
            found.append(community)
    return found
