"""Privacy use cases without a chat (bot/privacy): access and erasure, on both databases."""

from __future__ import annotations

from datetime import timedelta

from bot.dates import rsvps, signup
from bot.domain.models import AuditLog, Community, Event, Person, Role, Rsvp
from bot.domain.roles import MEMBER
from bot.privacy import consent, rights
from tests.unit.work_world import demo_id, person, rows, work


async def _full_date(app, *people: int) -> int:  # type: ignore[no-untyped-def]
    """A coming date with one place, signed up for by ``people`` in that order."""
    here = await demo_id(app)
    async with work(app) as w:
        community = await w.session.get(Community, here)
        assert community is not None
        event = Event(
            community_id=here,
            title="Sprechstunde",
            starts_at=w.now + timedelta(days=3),
            capacity=1,
            created_at=w.now,
        )
        w.session.add(event)
        await w.session.flush()
        for someone in people:
            await signup.sign_up(w, community, event, someone, 1)
        return event.id


async def test_erase_person_gives_the_place_to_the_waiting_list_and_forgets_the_person(app) -> None:  # type: ignore[no-untyped-def]
    jo = await person(app, "Jo Jürgens", MEMBER, area="Nord", age_band="70-79")
    bea = await person(app, "Bea", MEMBER)
    event_id = await _full_date(app, jo, bea)
    async with work(app) as w:
        erased = await rights.erase_person(w, jo)
    assert erased.dates_given_back == 1
    statuses = {r.person_id: r.status for r in await rows(app, Rsvp, Rsvp.event_id == event_id)}
    assert statuses == {jo: rsvps.CANCELLED, bea: rsvps.YES}  # the count stays, the place moved
    [gone] = await rows(app, Person, Person.id == jo)
    assert (gone.display_name, gone.area, gone.age_band) == ("", None, None)
    assert gone.erased_at is not None
    assert await rows(app, Role, Role.person_id == jo) == []
    [log] = await rows(app, AuditLog, AuditLog.action == "person_erased")
    assert log.details == {"person": jo}


async def test_access_report_holds_every_sign_up_and_the_optional_facts(app) -> None:  # type: ignore[no-untyped-def]
    jo = await person(app, "Jo", MEMBER)
    await _full_date(app, jo)
    async with work(app) as w:
        someone = await w.session.get(Person, jo)
        assert someone is not None
        assert consent.agree(w, someone)  # the first consent: the facts question is due
        assert not consent.set_age_band(w, someone, "jung")
        assert consent.set_age_band(w, someone, "80+")
        consent.set_area(w, someone, "  Altstadt  ")
    async with work(app) as w:
        report = await rights.access_report(w, jo)
    assert [r["status"] for r in report["sign_ups"]] == [rsvps.YES]
    assert (report["person"]["age_band"], report["person"]["area"]) == ("80+", "Altstadt")
    assert report["person"]["consent_at"] is not None
