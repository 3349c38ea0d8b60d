"""A community's skill catalog: what residents can ask help with, in plain words.

Every community starts with the same stable keys (DESIGN.md §3), so volunteers of a region
match across its sites; staff rename entries or add their own.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.models import Community, Skill
from bot.language.i18n import N_, _, use_locale

# Stable keys with the English message ids of their default labels.
DEFAULT_SKILLS: tuple[tuple[str, str], ...] = (
    ("smartphone", N_("Smartphone")),
    ("tablet", N_("Tablet")),
    ("computer", N_("Computer")),
    ("email", N_("E-mail")),
    ("messenger", N_("Chat apps like WhatsApp")),
    ("video", N_("Video calls")),
    ("photos", N_("Photos")),
    ("banking", N_("Banking online")),
    ("government", N_("Offices online (ID card, BundID)")),
    ("health", N_("Health (e-prescription, patient file)")),
    ("tickets", N_("Tickets (DB Navigator, Deutschlandticket)")),
    ("safety", N_("Safety and scams on the internet")),
    ("tv", N_("TV and streaming")),
    ("printer", N_("Printer")),
)
_DEFAULT_IDS = dict(DEFAULT_SKILLS)
MAX_LABEL = 80


async def catalog(session: AsyncSession, community: Community) -> list[Skill]:
    """The active skills in order; a community's first look creates the default catalog."""
    rows = list(
        (
            await session.scalars(
                select(Skill)
                .where(Skill.community_id == community.id)
                .order_by(Skill.position, Skill.id)
            )
        ).all()
    )
    if not rows:
        with use_locale(community.locale):
            rows = [
                Skill(community_id=community.id, key=key, label=_(message), position=n)
                for n, (key, message) in enumerate(DEFAULT_SKILLS)
            ]
        session.add_all(rows)
        await session.flush()
    return [row for row in rows if row.active]


def label(skill: Skill, community: Community) -> str:
    """The label in the reader's language where staff kept the default wording."""
    message = _DEFAULT_IDS.get(skill.key)
    if message is not None:
        with use_locale(community.locale):
            default_here = _(message)
        if skill.label == default_here:
            return _(message)
    return skill.label


async def find(session: AsyncSession, community: Community, key: str) -> Skill | None:
    return await session.scalar(
        select(Skill).where(Skill.community_id == community.id, Skill.key == key)
    )


async def add(session: AsyncSession, community: Community, text: str) -> Skill:
    """A new entry at the end of the catalog, its key made from the label."""
    await catalog(session, community)
    base = _key_from(text) or "skill"
    key, n = base, 1
    while await find(session, community, key) is not None:
        n += 1
        key = f"{base}-{n}"
    last = await session.scalar(
        select(func.max(Skill.position)).where(Skill.community_id == community.id)
    )
    skill = Skill(
        community_id=community.id, key=key, label=text[:MAX_LABEL], position=(last or 0) + 1
    )
    session.add(skill)
    await session.flush()
    return skill


def _key_from(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text.casefold()).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:40]
