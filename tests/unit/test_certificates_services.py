"""The certificate use case without a chat (bot/certificates/issuing.issue), on both
databases: whose, which period, the PDF, and the audit log for someone else's."""

from __future__ import annotations

from datetime import timedelta

from bot.certificates import issuing
from bot.domain.models import AuditLog, Community, Event, EventHelper
from bot.domain.roles import STAFF, VOLUNTEER
from tests.unit.work_world import demo_id, person, rows, work


async def _helped(app, person_id: int) -> None:  # type: ignore[no-untyped-def]
    """The person helped at a date ten days ago."""
    here = await demo_id(app)
    async with work(app) as w:
        event = Event(
            community_id=here,
            title="Digitalcafé",
            starts_at=w.now - timedelta(days=10),
            created_at=w.now - timedelta(days=20),
        )
        w.session.add(event)
        await w.session.flush()
        w.session.add(EventHelper(event_id=event.id, person_id=person_id, created_at=w.now))


async def test_a_certificate_for_oneself_and_by_staff_for_a_helper(app) -> None:  # type: ignore[no-untyped-def]
    here = await demo_id(app)
    vera = await person(app, "Vera Lotsin", VOLUNTEER)
    sam = await person(app, "Sam", STAFF)
    stranger = await person(app, "Fremd")
    async with work(app) as w:
        community = await w.session.get(Community, here)
        assert community is not None
        nothing = await issuing.issue(w, community, vera, None, by=vera)
        assert nothing == issuing.NothingRecorded(vera, "Vera Lotsin")
        this_year = w.now.year
        assert await issuing.issue(w, community, vera, 1999, by=vera) == issuing.YearOutOfRange(
            issuing.FIRST_YEAR, this_year
        )
        assert await issuing.issue(w, community, stranger, None, by=sam) == "not_here"
    assert await rows(app, AuditLog, AuditLog.action == "certificate") == []

    await _helped(app, vera)
    async with work(app) as w:
        community = await w.session.get(Community, here)
        assert community is not None
        own = await issuing.issue(w, community, vera, None, by=vera)
        assert isinstance(own, issuing.Certificate)
        assert own.pdf.startswith(b"%PDF") and own.filename.startswith("nachweis-")
        theirs = await issuing.issue(w, community, vera, None, by=sam)
        assert isinstance(theirs, issuing.Certificate)
        assert theirs.filename.endswith(f"-{vera}.pdf")
    [log] = await rows(app, AuditLog, AuditLog.action == "certificate")
    assert (log.actor_person_id, log.community_id) == (sam, here)
    assert log.details == {"person": vera, "year": "12 months"}
