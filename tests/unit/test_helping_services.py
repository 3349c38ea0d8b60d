"""Help requests and Digitallotsen without a chat: the use cases of ``bot/helping`` called
with a ``Work`` and plain arguments, on SQLite and PostgreSQL, checked in the database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, event, func, insert, select, update

from bot.community import communities
from bot.domain.models import (
    Community,
    HelpOffer,
    HelpRequest,
    Person,
    Skill,
    VolunteerProfile,
    VolunteerSkill,
)
from bot.domain.roles import MEMBER, VOLUNTEER
from bot.domain.work import Work
from bot.helping import asking, taking, volunteering
from bot.helping import requests as help_requests
from bot.helping.policy import MatchingPolicy
from bot.privacy import rights

POLICY = MatchingPolicy()


async def _setup(app, volunteers: int = 2) -> tuple[int, int, list[int]]:  # type: ignore[no-untyped-def]
    """A community, a resident and ``volunteers`` Digitallotsen who help with smartphones."""
    now = app.clock.now()
    async with app.sessions.begin() as session:
        work = Work(session, now)
        community = await communities.create_community(session, "Digitalcafé Nord", now=now)
        resident = Person(display_name="Anna Alt", created_at=now)
        helpers = [Person(display_name=f"Lotse {n}", created_at=now) for n in range(volunteers)]
        session.add_all([resident, *helpers])
        await session.flush()
        for helper in helpers:
            await communities.grant_role(
                session, helper.id, community.id, VOLUNTEER, granted_by=None, now=now
            )
            await volunteering.toggle_skill(work, helper.id, "smartphone")
            await volunteering.finish_profile(work, community, helper.id, 2)
        return community.id, resident.id, [h.id for h in helpers]


async def _ask(app, community_id: int, resident_id: int) -> int:  # type: ignore[no-untyped-def]
    async with app.sessions.begin() as session:
        community = await session.get(Community, community_id)
        assert community is not None
        request = await asking.ask_for_help(
            Work(session, app.clock.now()),
            community,
            asking.Ask(skill="smartphone", description="Fotos", when_text="dienstags"),
            requester_id=resident_id,
            language="de",
            policy=POLICY,
        )
        return request.id


async def _request(app, request_id: int) -> tuple[HelpRequest, dict[int, str]]:  # type: ignore[no-untyped-def]
    async with app.sessions() as session:
        request = await session.get(HelpRequest, request_id)
        assert request is not None
        offers = dict(
            (
                await session.execute(
                    select(HelpOffer.volunteer_id, HelpOffer.answer).where(
                        HelpOffer.request_id == request_id
                    )
                )
            ).all()
        )
        return request, offers


async def test_asking_saves_the_request_and_offers_it(app) -> None:
    community_id, resident, helpers = await _setup(app)
    request_id = await _ask(app, community_id, resident)
    request, offers = await _request(app, request_id)
    assert (request.status, request.rounds, request.requester_id) == (
        help_requests.OFFERED,
        1,
        resident,
    )
    assert (request.skill, request.description, request.when_text) == (
        "smartphone",
        "Fotos",
        "dienstags",
    )
    assert request.when_days and request.created_by is None
    assert offers == dict.fromkeys(helpers, "")


async def test_a_caller_becomes_a_person_and_the_topic_is_found_by_its_label(app) -> None:
    community_id, staff, _helpers = await _setup(app)
    async with app.sessions.begin() as session:
        community = await session.get(Community, community_id)
        assert community is not None
        request = await asking.ask_for_caller(
            Work(session, app.clock.now()),
            community,
            staff,
            ["Erika Muster", "04542 1234", "smartphone", "", "", "Telefon"],
            POLICY,
        )
        request_id = request.id
    request, offers = await _request(app, request_id)
    assert (request.skill, request.place, request.phone, request.created_by) == (
        "smartphone",
        "phone",
        "04542 1234",
        staff,
    )
    assert request.language == "de" and len(offers) == 2
    async with app.sessions() as session:
        caller = await session.get(Person, request.requester_id)
        assert caller is not None and caller.display_name == "Erika Muster"


async def test_one_volunteer_takes_it_hands_it_back_and_another_finishes(app) -> None:
    community_id, resident, (first, second) = await _setup(app)
    request_id = await _ask(app, community_id, resident)
    async with app.sessions.begin() as session:
        work = Work(session, app.clock.now())
        assert await taking.accept(work, request_id, first) == "accepted"
        assert await taking.accept(work, request_id, second) == "taken"
        assert await taking.running(work, request_id, resident) is not None
        assert await taking.running(work, request_id, resident, volunteer_only=True) is None
    request, offers = await _request(app, request_id)
    assert (request.status, request.volunteer_id) == (help_requests.ACCEPTED, first)
    assert offers == {first: "accepted", second: "taken"}

    async with app.sessions.begin() as session:
        work = Work(session, app.clock.now())
        assert not await taking.hand_back(work, request_id, second, POLICY)
        assert await taking.hand_back(work, request_id, first, POLICY)
    request, offers = await _request(app, request_id)
    assert (request.status, request.volunteer_id) == (help_requests.OPEN, None)
    assert offers[first] == "returned"

    async with app.sessions.begin() as session:
        # Nobody new was left to ask: the request waits, and the second may still take it.
        work = Work(session, app.clock.now())
        assert await taking.accept(work, request_id, second) == "accepted"
        finished = await taking.finish(work, request_id, 45, "Alles gut")
        assert finished is not None
        await taking.thank(work, finished)
        assert await taking.finish(work, request_id, 45, "") is None
        assert not await taking.rate(work, request_id, second, 1)
    request, _offers = await _request(app, request_id)
    assert (request.status, request.minutes, request.note) == (help_requests.DONE, 45, "Alles gut")


async def test_the_meeting_time_and_the_resident_cancelling(app) -> None:
    community_id, resident, (first, _second) = await _setup(app)
    request_id = await _ask(app, community_id, resident)
    async with app.sessions.begin() as session:
        work = Work(session, app.clock.now())
        await taking.accept(work, request_id, first)
        meeting = await taking.agree(work, request_id, first, "25.11. 15 Uhr")
        assert meeting is not None
        assert await taking.cancel(work, request_id, first) == "gone"
        assert await taking.cancel(work, request_id, resident) == "cancelled"
        assert await taking.cancel(work, request_id, resident) == "closed"
    request, _offers = await _request(app, request_id)
    assert request.agreed_at == meeting.start and request.reminded_at is None
    assert request.status == help_requests.CANCELLED


async def test_own_requests_list_both_sides(app) -> None:
    community_id, resident, (first, _second) = await _setup(app)
    request_id = await _ask(app, community_id, resident)
    async with app.sessions.begin() as session:
        work = Work(session, app.clock.now())
        await taking.accept(work, request_id, first)
        [asked] = await taking.mine(work, resident)
        [helping] = await taking.mine(work, first)
    assert (asked.request.id, asked.helping) == (request_id, False)
    assert (helping.request.id, helping.helping) == (request_id, True)
    assert helping.skill is not None and helping.skill.key == "smartphone"


async def test_a_volunteer_profile_a_break_and_the_overview(app) -> None:
    community_id, _resident, (first, second) = await _setup(app)
    now = app.clock.now()
    async with app.sessions.begin() as session:
        work = Work(session, now)
        community = await session.get(Community, community_id)
        assert community is not None
        await volunteering.set_languages(
            work, first, volunteering.language_codes("Deutsch, Türkisch")
        )
        assert await volunteering.toggle_place(work, first, "home") == ["home"]
        assert await volunteering.places_done(work, first)
        await volunteering.set_areas(work, first, volunteering.area_names("Altstadt und Nord"))
        await volunteering.set_times(work, first, "dienstags 14-18 Uhr")
        await volunteering.toggle_skill(work, first, "photos")
        summary = await volunteering.finish_profile(work, community, first, 3)
        last_day = await volunteering.pause(work, community, second, None)
    assert summary.places == ["home"] and summary.max_open == 3
    assert len(summary.topics) == 2
    assert last_day > now + timedelta(days=13)
    async with app.sessions() as session:
        row = await session.scalar(
            select(VolunteerProfile).where(VolunteerProfile.person_id == first)
        )
        assert row is not None
        assert (row.languages, row.areas, row.max_open) == (["de", "tr"], ["Altstadt", "Nord"], 3)
        assert row.windows
        skills = set(
            (
                await session.scalars(
                    select(VolunteerSkill.skill).where(VolunteerSkill.person_id == first)
                )
            ).all()
        )
        assert skills == {"smartphone", "photos"}
    async with app.sessions.begin() as session:
        work = Work(session, app.clock.now())
        community = await session.get(Community, community_id)
        assert community is not None
        lines = {
            line.person_id: line.state for line in await volunteering.overview(work, community)
        }
        assert lines == {first: "available", second: "paused"}
        await volunteering.resume(work, second)
        row = await session.scalar(
            select(VolunteerProfile).where(VolunteerProfile.person_id == second)
        )
        assert row is not None and row.paused_until is None


async def test_staff_invite_and_keep_the_catalog(app) -> None:
    community_id, resident, (first, _second) = await _setup(app)
    async with app.sessions.begin() as session:
        work = Work(session, app.clock.now())
        community = await session.get(Community, community_id)
        assert community is not None
        # The resident belongs to no community yet: a number reveals nobody.
        assert await volunteering.invite(work, community, resident, first) is None
        await communities.grant_role(
            session, resident, community.id, MEMBER, granted_by=None, now=work.now
        )
        invited = await volunteering.invite(work, community, resident, first)
        assert invited is not None and invited.name == "Anna Alt"
        assert VOLUNTEER in await communities.roles_in(session, resident, community.id)
        await volunteering.add_topic(work, community, "Hörgeräte-App")
        assert await volunteering.rename_topic(work, community, 1, "Handy") == "renamed"
        assert await volunteering.rename_topic(work, community, 99, "x") == "no such topic"
        labels = await volunteering.topic_labels(work, community)
    assert labels[0] == "Handy" and labels[-1] == "Hörgeräte-App"
    async with app.sessions() as session:
        keys = (
            await session.scalars(select(Skill.key).where(Skill.community_id == community_id))
        ).all()
        assert "horgerate-app" in keys


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [
        ("45", 45),
        ("45 Minuten", 45),
        ("45 min", 45),
        ("45min.", 45),
        ("1 Stunde", 60),
        ("1,5 Stunden", 90),
        ("1.5 h", 90),
        ("1:30", 90),
        ("1 Std 30 Min", 90),
        ("1 Stunde und 30 Minuten", 90),
        ("eine halbe Stunde", 30),
        ("anderthalb Stunden", 90),
        ("2 hours", 120),
        # As the Ukrainian catalog's example says it (issue #21).
        ("45 хвилин", 45),
        ("1,5 години", 90),
        ("1 година 30 хв", 90),
    ],
)
def test_time_spent_as_volunteers_write_it(typed: str, minutes: int) -> None:
    assert taking.parse_minutes(typed) == minutes


@pytest.mark.parametrize("typed", ["", "0", "eine Weile", "25 Stunden", "1,5", "-5", "45 Tage"])
def test_time_spent_that_is_not_understood(typed: str) -> None:
    assert taking.parse_minutes(typed) is None


@pytest.mark.parametrize(
    ("typed", "place"),
    [
        ("Per Telefon bitte", "phone"),
        ("Rufen Sie mich an, am liebsten anrufen", "phone"),
        ("bei mir zuhause", "home"),
        ("Zu Hause", "home"),
        ("im Digitalcafé", "cafe"),
        ("Telefon oder zu Hause", None),
        ("weiß nicht", None),
    ],
)
def test_a_typed_place_is_understood_when_it_names_one(typed: str, place: str | None) -> None:
    assert asking.place_in_words(typed) == place


def test_languages_typed_in_any_offered_language_become_codes() -> None:
    assert volunteering.language_codes("Deutsch, Türkisch") == ["de", "tr"]
    assert volunteering.language_codes("Українська, німецька, English") == ["de", "en", "uk"]


async def test_requests_of_one_kind_reuse_the_ranking_statements(app) -> None:
    """Issue #22: matching.rank builds its statements once per kind of request and then only
    executes them with the request's values; the same people are still asked."""
    community_id, resident_id, helpers = await _setup(app, volunteers=4)
    ranking: list[object] = []

    def seen(conn, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if "volunteer_profiles" in str(statement) and "max_open" in str(statement):
            ranking.append(statement)

    event.listen(app.engine.sync_engine, "before_execute", seen)
    try:
        first = await _ask(app, community_id, resident_id)
        built = list(ranking)
        second = await _ask(app, community_id, resident_id)
    finally:
        event.remove(app.engine.sync_engine, "before_execute", seen)
    assert built and len(ranking) > len(built)
    assert all(any(s is b for b in built) for s in ranking[len(built) :])
    (_, offered_first), (_, offered_second) = (
        await _request(app, first),
        await _request(app, second),
    )
    assert len(offered_first) == len(offered_second) == 3
    assert set(offered_first) | set(offered_second) == set(helpers)


# The load matching reads from each profile (migration 0029: open requests, pending offers,
# the latest request taken) stays true through every step of a help request.


async def _loads(app) -> dict[int, tuple]:  # type: ignore[no-untyped-def, type-arg]
    """Every profile's stored load next to the load counted from the requests and offers."""
    owner = VolunteerProfile.person_id
    open_now = select(func.count()).where(
        HelpRequest.volunteer_id == owner, HelpRequest.status == "accepted"
    )
    pending = (
        select(func.count())
        .select_from(HelpOffer)
        .join(HelpRequest, HelpRequest.id == HelpOffer.request_id)
        .where(HelpOffer.volunteer_id == owner, HelpOffer.answer == "")
        .where(HelpRequest.status == "offered")
    )
    latest = select(func.max(HelpRequest.accepted_at)).where(HelpRequest.volunteer_id == owner)
    async with app.sessions() as session:
        rows = (
            await session.execute(
                select(
                    owner,
                    VolunteerProfile.open_requests,
                    VolunteerProfile.pending_offers,
                    VolunteerProfile.last_accepted_at,
                    open_now.scalar_subquery(),
                    pending.scalar_subquery(),
                    latest.scalar_subquery(),
                )
            )
        ).all()
    return {row[0]: tuple(row[1:]) for row in rows}


async def _true(app) -> dict[int, tuple]:  # type: ignore[no-untyped-def, type-arg]
    loads = await _loads(app)
    for person_id, load in loads.items():
        assert load[:3] == load[3:], person_id
    return {p: (load[0], load[1]) for p, load in loads.items()}


async def test_the_load_on_the_profile_stays_true(app) -> None:
    community_id, resident, (first, second, third) = await _setup(app, volunteers=3)
    assert await _true(app) == {first: (0, 0), second: (0, 0), third: (0, 0)}

    one = await _ask(app, community_id, resident)  # offered to all three
    assert await _true(app) == {first: (0, 1), second: (0, 1), third: (0, 1)}

    async with app.sessions.begin() as session:
        assert await taking.accept(Work(session, app.clock.now()), one, first) == "accepted"
    assert await _true(app) == {first: (1, 0), second: (0, 0), third: (0, 0)}

    app.clock.advance(hours=1)
    two = await _ask(app, community_id, resident)
    assert await _true(app) == {first: (1, 1), second: (0, 1), third: (0, 1)}
    async with app.sessions.begin() as session:
        work = Work(session, app.clock.now())
        await taking.decline(work, two, second, POLICY)
        assert await taking.finish(work, one, 30, "") is not None
    assert await _true(app) == {first: (0, 1), second: (0, 0), third: (0, 1)}

    async with app.sessions.begin() as session:
        work = Work(session, app.clock.now())
        assert await taking.accept(work, two, third) == "accepted"
        assert await taking.hand_back(work, two, third, POLICY)
    request, _offers = await _request(app, two)
    assert request.status in ("open", "offered")
    loads = await _true(app)
    assert loads[third] == (0, 0)

    async with app.sessions.begin() as session:
        work = Work(session, app.clock.now())
        community = await session.get(Community, community_id)
        assert community is not None
        await volunteering.pause(work, community, first, None)  # a break
        assert await taking.cancel(work, two, resident) == "cancelled"
    assert await _true(app) == {first: (0, 0), second: (0, 0), third: (0, 0)}

    three = await _ask(app, community_id, resident)
    async with app.sessions.begin() as session:
        assert await taking.accept(Work(session, app.clock.now()), three, second) == "accepted"
    assert (await _true(app))[second] == (1, 0)
    async with app.sessions.begin() as session:
        await rights.erase_person(Work(session, app.clock.now()), second)
    assert second not in await _true(app)
    async with app.sessions.begin() as session:
        # Back as a volunteer: the new profile carries the request still taken.
        await volunteering.profile(Work(session, app.clock.now()), second)
    assert (await _true(app))[second] == (1, 0)


async def _write(app, statement) -> None:  # type: ignore[no-untyped-def]
    async with app.sessions.begin() as session:
        await session.execute(statement)


async def _insert(app, statement) -> int:  # type: ignore[no-untyped-def]
    async with app.sessions.begin() as session:
        return int((await session.execute(statement)).inserted_primary_key[0])


async def test_each_kind_of_direct_write_keeps_the_load_true(app) -> None:
    """The load columns hold after plain writes that bypass the services (a staff tool, a
    repair by hand, a cascade): one step per trigger, so none of them can go unnoticed."""
    community_id, resident, (first, second) = await _setup(app)
    one = await _ask(app, community_id, resident)  # offered to both
    app.clock.advance(hours=1)
    two = await _ask(app, community_id, resident)
    assert await _true(app) == {first: (0, 2), second: (0, 2)}

    # help_offers UPDATE: an answer without any change to the request itself.
    await _write(
        app,
        update(HelpOffer)
        .where(HelpOffer.request_id == one, HelpOffer.volunteer_id == second)
        .values(answer="declined"),
    )
    assert await _true(app) == {first: (0, 2), second: (0, 1)}

    # help_offers DELETE and INSERT.
    await _write(app, delete(HelpOffer).where(HelpOffer.request_id == two))
    assert await _true(app) == {first: (0, 1), second: (0, 0)}
    await _write(app, insert(HelpOffer).values(request_id=two, volunteer_id=second, answer=""))
    assert await _true(app) == {first: (0, 1), second: (0, 1)}

    # help_requests UPDATE: taken by hand, then done.
    now = app.clock.now()
    await _write(
        app,
        update(HelpRequest)
        .where(HelpRequest.id == one)
        .values(status="accepted", volunteer_id=first, accepted_at=now),
    )
    loads = await _true(app)
    assert loads == {first: (1, 0), second: (0, 1)}
    await _write(app, update(HelpRequest).where(HelpRequest.id == one).values(status="done"))
    assert await _true(app) == {first: (0, 0), second: (0, 1)}

    # help_requests INSERT (already taken).
    taken = await _insert(
        app,
        insert(HelpRequest).values(
            community_id=community_id,
            requester_id=resident,
            skill="smartphone",
            status="accepted",
            volunteer_id=second,
            accepted_at=now,
            created_at=now,
        ),
    )
    assert await _true(app) == {first: (0, 0), second: (1, 1)}

    # volunteer_profiles INSERT: a profile made by hand carries the load there is.
    await _write(app, delete(VolunteerProfile).where(VolunteerProfile.person_id == second))
    assert second not in await _true(app)
    await _write(
        app,
        insert(VolunteerProfile).values(person_id=second, created_at=now, updated_at=now),
    )
    assert (await _true(app))[second] == (1, 1)

    # help_requests DELETE: one still being offered (its offers go with it), one taken.
    await _write(app, delete(HelpRequest).where(HelpRequest.id == two))
    assert await _true(app) == {first: (0, 0), second: (1, 0)}
    await _write(app, delete(HelpRequest).where(HelpRequest.id == taken))
    assert await _true(app) == {first: (0, 0), second: (0, 0)}
