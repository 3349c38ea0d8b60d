"""A help request's life: open → offered → accepted → done, or handed back, cancelled,
escalated to staff. State changes only; who is told what lives in ``bot/helping/offers.py``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dates.announcements import mark_changed
from bot.domain.models import HelpOffer, HelpRequest

OPEN, OFFERED, ACCEPTED, DONE = "open", "offered", "accepted", "done"
CANCELLED, ESCALATED = "cancelled", "escalated"
WAITING = (OPEN, OFFERED, ESCALATED)  # still looking for someone
ACTIVE = (*WAITING, ACCEPTED)
MAX_MINUTES = 24 * 60


async def accept(session: AsyncSession, request_id: int, volunteer_id: int, now: datetime) -> bool:
    """Give the request to this volunteer if nobody has it yet; exactly one of several
    simultaneous taps wins (a single conditional UPDATE, on SQLite and PostgreSQL)."""
    offered = await session.scalar(
        select(HelpOffer).where(
            HelpOffer.request_id == request_id, HelpOffer.volunteer_id == volunteer_id
        )
    )
    if offered is None:
        return False
    won = await session.execute(
        update(HelpRequest)
        .where(HelpRequest.id == request_id, HelpRequest.status.in_(WAITING))
        .values(
            status=ACCEPTED,
            volunteer_id=volunteer_id,
            accepted_at=now,
            next_step_at=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    offered.answered_at = now
    offered.answer = "accepted" if won.rowcount == 1 else "taken"
    if won.rowcount == 1:
        request = await session.get(HelpRequest, request_id)
        if request is not None:
            await session.refresh(request)
    return won.rowcount == 1


async def decline(
    session: AsyncSession, request: HelpRequest, volunteer_id: int, now: datetime
) -> bool:
    """ "Diesmal nicht"; True when everyone asked in this round has now said no."""
    offer = await session.scalar(
        select(HelpOffer).where(
            HelpOffer.request_id == request.id, HelpOffer.volunteer_id == volunteer_id
        )
    )
    if offer is None or offer.answer:
        return False
    offer.answer, offer.answered_at = "declined", now
    await session.flush()
    waiting = await session.scalar(
        select(func.count()).where(HelpOffer.request_id == request.id, HelpOffer.answer == "")
    )
    return request.status == OFFERED and not waiting


async def hand_back(session: AsyncSession, request: HelpRequest, now: datetime) -> None:
    """The volunteer cannot do it after all: looking again, without them."""
    offer = await session.scalar(
        select(HelpOffer).where(
            HelpOffer.request_id == request.id, HelpOffer.volunteer_id == request.volunteer_id
        )
    )
    if offer is not None:
        offer.answer, offer.answered_at = "returned", now
    request.status, request.volunteer_id, request.accepted_at = OPEN, None, None
    request.agreed_at = request.reminded_at = None
    request.next_step_at, request.updated_at = now, now
    mark_changed(session)


def finish(request: HelpRequest, minutes: int, note: str, now: datetime) -> None:
    request.status, request.done_at, request.updated_at = DONE, now, now
    request.minutes = max(0, min(minutes, MAX_MINUTES))
    request.note = note


def cancel(request: HelpRequest, now: datetime) -> None:
    request.status, request.next_step_at, request.updated_at = CANCELLED, None, now


async def offered_to(session: AsyncSession, request_id: int) -> set[int]:
    return set(
        (
            await session.scalars(
                select(HelpOffer.volunteer_id).where(HelpOffer.request_id == request_id)
            )
        ).all()
    )


async def due_steps(session: AsyncSession, now: datetime, limit: int = 20) -> list[HelpRequest]:
    """Requests whose next step (ask more people, or hand to staff) is due."""
    return list(
        (
            await session.scalars(
                select(HelpRequest)
                .where(HelpRequest.status.in_((OPEN, OFFERED)), HelpRequest.next_step_at <= now)
                .order_by(HelpRequest.next_step_at, HelpRequest.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
    )


async def next_step(session: AsyncSession) -> datetime | None:
    return await session.scalar(
        select(func.min(HelpRequest.next_step_at)).where(HelpRequest.status.in_((OPEN, OFFERED)))
    )


async def done_count(session: AsyncSession, volunteer_id: int) -> int:
    return (
        await session.scalar(
            select(func.count()).where(
                HelpRequest.volunteer_id == volunteer_id, HelpRequest.status == DONE
            )
        )
    ) or 0
