"""One-to-one help: residents ask ("Wobei brauchen Sie Hilfe?"), volunteers take a request
with one tap, agree a time, write through the bot, report it done; staff file requests for
callers. Matching and the rounds of offers live in ``bot/helping/offers.py``."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import or_, select

from bot.chat.context import Context
from bot.chat.router import Router
from bot.chat.types import Button
from bot.dates.announcements import mark_changed
from bot.dates.notices import tell_person
from bot.domain import weekly
from bot.domain.models import Community, HelpRequest, Person
from bot.domain.names import clean_name
from bot.domain.numbers import is_number
from bot.domain.roles import STAFF
from bot.domain.when import WhenError, parse_when
from bot.helping import matching, skills
from bot.helping import offers as helping
from bot.helping import requests as help_requests
from bot.helping import texts as help_texts
from bot.language.i18n import N_, _, format_when
from bot.reminders.jobs import reminder_due
from bot.reminders.texts import RATINGS
from handlers.menus import command_list
from handlers.when_words import when_error

OTHER = matching.ANY_SKILL
ASK, DESCRIBE, WHEN, AREA, PHONE = "hr.skill", "hr.describe", "hr.when", "hr.area", "hr.phone"
PICK, WHERE, ANY_TIME, CHAT_ONLY, COMMANDS = (
    "hr.pick",
    "hr.where",
    "hr.any_time",
    "hr.chat_only",
    "hr.commands",
)
MESSAGE, AGREED, MINUTES, NOTE = "hr.message", "hr.agreed", "hr.minutes", "hr.note"
MAX_TEXT = 500
_PHONE = re.compile(r"^\+?[0-9][0-9 /()\-]{3,38}$")


# Add the help request dialog, the volunteers' buttons and staff's phone requests.
router = Router()


@router.command(
    "anfrage", "request_help", description=N_("Ask for personal help with a device or app")
)
async def ask(ctx: Context) -> None:
    """ "Wobei brauchen Sie Hilfe?" with the skills as buttons."""
    await start_request(ctx)


@router.button(COMMANDS)
async def commands(ctx: Context) -> None:
    """ "Was kann der Bot?": the command list instead of a request."""
    await ctx.finish_dialog()
    await ctx.reply(command_list(ctx))


@router.button(PICK)
async def pick(ctx: Context) -> None:
    """A skill tapped (or "Etwas anderes")."""
    if await ctx.dialog_data(ASK) is None:
        await ctx.button_gone()
        return
    await _describe(ctx, {"skill": str(ctx.button_args.get("skill", OTHER))})


@router.state(ASK)
async def skill_typed(ctx: Context) -> None:
    """A typed answer that is no button: taken as the description of something else."""
    await ctx.finish_dialog()
    text = ctx.text.strip()[:MAX_TEXT]
    await _ask_when(ctx, {"skill": OTHER, "description": text})


@router.state(DESCRIBE)
async def described(ctx: Context) -> None:
    """ "Beschreiben Sie es kurz"."""
    assert ctx.state is not None
    data = dict(ctx.state.data)
    data["description"] = ctx.text.strip()[:MAX_TEXT]
    await _ask_when(ctx, data)


@router.state(WHEN)
async def when_typed(ctx: Context) -> None:
    """ "Wann passt es Ihnen?" in the person's words."""
    assert ctx.state is not None
    data = dict(ctx.state.data)
    data["when_text"] = ctx.text.strip()[:200]
    await _ask_where(ctx, data)


@router.button(ANY_TIME)
async def any_time(ctx: Context) -> None:
    """ "Egal": any time suits."""
    data = await ctx.dialog_data(WHEN)
    if data is None:
        await ctx.button_gone()
        return
    await _ask_where(ctx, data)


@router.button(WHERE)
async def where(ctx: Context) -> None:
    """Digitalcafé, phone or at home."""
    data = await ctx.dialog_data(WHERE)
    if data is None:
        await ctx.button_gone()
        return
    data["place"] = str(ctx.button_args.get("place", "cafe"))
    if data["place"] == "home":
        await ctx.ask(_("In which part of town do you live?"), AREA, data)
    elif data["place"] == "phone":
        await _ask_phone(ctx, data)
    else:
        await _save(ctx, data)


@router.state(WHERE)
async def where_typed(ctx: Context) -> None:
    """A typed answer to "Wo?" that is none of the buttons."""
    assert ctx.state is not None
    await ctx.reply(_("Please tap one of the three answers."))


@router.state(AREA)
async def area_typed(ctx: Context) -> None:
    """The part of town, for a visit at home."""
    assert ctx.state is not None
    data = dict(ctx.state.data)
    data["area"] = ctx.text.strip()[:100]
    await _ask_phone(ctx, data)


@router.state(PHONE)
async def phone_typed(ctx: Context) -> None:
    """A phone number for the volunteer, checked loosely."""
    assert ctx.state is not None
    data = dict(ctx.state.data)
    number = ctx.text.strip()
    if not _PHONE.match(number):
        await ctx.reply(_("That does not look like a phone number. Please write only the number."))
        return
    data["phone"] = number
    await _save(ctx, data)


@router.button(CHAT_ONLY)
async def chat_only(ctx: Context) -> None:
    """ "Lieber hier im Chat": no phone number."""
    data = await ctx.dialog_data(PHONE)
    if data is None:
        await ctx.button_gone()
        return
    await _save(ctx, data)


@router.command(
    "hilfe_fuer",
    "help_for",
    description=N_("Ask for help for someone who called: name; phone; topic; what; when; where"),
    roles=(STAFF,),
)
async def help_for(ctx: Context) -> None:
    """A request for a caller without a chat account; the team hears who takes it."""
    assert ctx.community is not None
    parts = [p.strip() for p in ctx.args.split(";")] if ctx.args else []
    if parts:
        # The caller's name is shown to the Digitallotsen: no invisible characters.
        parts[0] = clean_name(parts[0])
    if len(parts) < 3 or not parts[0] or len(parts[0]) > 100:
        await ctx.reply(_phone_usage(ctx))
        return
    catalog = await skills.catalog(ctx.session, ctx.community)
    wanted = parts[2].casefold()
    skill = next(
        (
            s
            for s in catalog
            if wanted in (s.key, s.label.casefold(), skills.label(s, ctx.community).casefold())
        ),
        None,
    )
    person = Person(display_name=parts[0], created_at=ctx.now)
    ctx.session.add(person)
    await ctx.session.flush()
    places = {"telefon": "phone", "phone": "phone", "zu hause": "home", "home": "home"}
    data: dict[str, Any] = {
        "skill": skill.key if skill else OTHER,
        "description": (parts[3] if len(parts) > 3 else "") or ("" if skill else parts[2]),
        "when_text": parts[4] if len(parts) > 4 else "",
        "place": places.get((parts[5] if len(parts) > 5 else "").casefold(), "cafe"),
        "phone": parts[1][:40] or None,
    }
    request = await _create(ctx, data, requester_id=person.id)
    await ctx.reply(
        _("Request {number} for {name} is saved. We are looking for someone.").format(
            number=request.id, name=parts[0]
        ),
        about=(person.id,),
    )


@router.button(help_texts.ACCEPT)
async def accept(ctx: Context) -> None:
    """ "Ich übernehme": exactly one volunteer gets it; the others are told kindly."""
    request = await _request(ctx)
    if request is None:
        return
    won = await help_requests.accept(ctx.session, request.id, ctx.person.id, ctx.now)
    if not won:
        await ctx.reply(
            _("Thank you! Someone else has already taken this request.")
            if request.status in (help_requests.ACCEPTED, help_requests.DONE)
            or request.volunteer_id is not None
            else _("This request is no longer open. Thank you!")
        )
        return
    community = await ctx.session.get(Community, request.community_id)
    assert community is not None
    await helping.accepted(ctx.session, request, community, ctx.now)
    if request.created_by is not None and request.phone:
        await _tell_staff_who(ctx, request, community)


@router.button(help_texts.DECLINE)
async def decline(ctx: Context) -> None:
    """ "Diesmal nicht": fine; when all asked said no, the next people are asked."""
    request = await _request(ctx)
    if request is None:
        return
    everyone_said_no = await help_requests.decline(ctx.session, request, ctx.person.id, ctx.now)
    await ctx.reply(_("All right. Thank you for letting us know."))
    if everyone_said_no:
        community = await ctx.session.get(Community, request.community_id)
        assert community is not None
        await helping.offer_round(ctx.session, request, community, ctx.services.matching, ctx.now)


@router.button(help_texts.WRITE)
async def write(ctx: Context) -> None:
    """Write to the other side through the bot (no phone number needed)."""
    request = await _mine(ctx)
    if request is not None:
        await ctx.ask(_("Please write your message."), MESSAGE, {"request": request.id})


@router.state(MESSAGE)
async def message_typed(ctx: Context) -> None:
    """Pass the message on, with a button to answer."""
    assert ctx.state is not None
    request = await ctx.session.get(HelpRequest, int(ctx.state.data.get("request", 0)))
    await ctx.finish_dialog()
    if request is None or request.status != help_requests.ACCEPTED:
        await ctx.button_gone()
        return
    other = request.volunteer_id if ctx.person.id == request.requester_id else request.requester_id
    community = await ctx.session.get(Community, request.community_id)
    assert community is not None and other is not None
    text = ctx.text.strip()[:MAX_TEXT]
    name = helping.first_name(ctx.person)
    delivered = await tell_person(
        ctx.session,
        other,
        community,
        lambda _prefix: _("Message from {name} (request {number}):\n{text}").format(
            name=name, number=request.id, text=text
        ),
        f"help-message:{request.id}:{ctx.dispatch_id}",
        ctx.now,
        buttons=lambda: (Button(_("Answer"), help_texts.WRITE, {"request": request.id}),),
        about=helping.parties(request),
    )
    await ctx.reply(
        _("Your message is passed on.")
        if delivered
        else _("Sorry, I cannot reach this person in a chat. Please call them.")
    )


@router.button(help_texts.AGREE)
async def agree(ctx: Context) -> None:
    """Enter the meeting time both agreed on; both get a reminder the day before."""
    request = await _mine(ctx, volunteer_only=True)
    if request is not None:
        await ctx.ask(
            _("When do you meet? For example: Dienstag 15 Uhr"),
            AGREED,
            {"request": request.id},
        )


@router.state(AGREED)
async def agreed_typed(ctx: Context) -> None:
    """The meeting time, in German words."""
    assert ctx.state is not None
    request = await ctx.session.get(HelpRequest, int(ctx.state.data.get("request", 0)))
    community = await ctx.session.get(Community, request.community_id) if request else None
    if request is None or community is None or request.status != help_requests.ACCEPTED:
        await ctx.finish_dialog()
        await ctx.button_gone()
        return
    try:
        when = parse_when(ctx.text, ctx.now, community.timezone, require_time=True)
    except WhenError as error:
        await ctx.reply(when_error(error))
        return
    await ctx.finish_dialog()
    request.agreed_at, request.updated_at = when.start, ctx.now
    # Less than a day ahead: no reminder needed (and none at an odd hour).
    due = reminder_due("1d@10:00", when.start, community.timezone)
    request.reminded_at = ctx.now if due <= ctx.now else None
    mark_changed(ctx.session)
    shown = format_when(when.start, community.timezone)
    await ctx.reply(_("Saved: {when}. You both get a reminder the day before.").format(when=shown))
    name = helping.first_name(ctx.person)
    await tell_person(
        ctx.session,
        request.requester_id,
        community,
        lambda _prefix: _("Your meeting with {name}: {when}").format(name=name, when=shown),
        f"help-agreed:{request.id}:{when.start.isoformat()}",
        ctx.now,
        about=helping.parties(request),
    )


@router.button(help_texts.DONE)
async def done(ctx: Context) -> None:
    """Report it done: minutes, then an optional note."""
    request = await _mine(ctx, volunteer_only=True)
    if request is not None:
        await ctx.ask(
            _("How many minutes did it take? Please write a number."),
            MINUTES,
            {"request": request.id},
            numbers=True,
        )


@router.state(MINUTES)
async def minutes_typed(ctx: Context) -> None:
    """The minutes spent."""
    assert ctx.state is not None
    text = ctx.text.strip()
    if not is_number(text) or not 1 <= int(text) <= help_requests.MAX_MINUTES:
        await ctx.reply(_("Please write the minutes as a number, for example 45."))
        return
    data = {**ctx.state.data, "minutes": int(text)}
    await ctx.ask(
        _("Would you like to note something? Otherwise write 'nein'."),
        NOTE,
        data,
    )


@router.state(NOTE)
async def note_typed(ctx: Context) -> None:
    """The optional note; then thanks to the volunteer and a question to the resident."""
    assert ctx.state is not None
    data = dict(ctx.state.data)
    await ctx.finish_dialog()
    request = await ctx.session.get(HelpRequest, int(data.get("request", 0)))
    if request is None or request.status != help_requests.ACCEPTED:
        await ctx.button_gone()
        return
    note = ctx.text.strip()
    note = "" if note.casefold() in ("nein", "no", "-") else note[:MAX_TEXT]
    help_requests.finish(request, int(data.get("minutes", 0)), note, ctx.now)
    community = await ctx.session.get(Community, request.community_id)
    assert community is not None
    await ctx.reply(_("Saved: {minutes} minutes.").format(minutes=request.minutes))
    await helping.finished(ctx.session, request, community, ctx.now)


@router.button(help_texts.RETURN)
async def give_back(ctx: Context) -> None:
    """The volunteer cannot do it: it is offered to others."""
    request = await _mine(ctx, volunteer_only=True)
    if request is None:
        return
    community = await ctx.session.get(Community, request.community_id)
    assert community is not None
    await help_requests.hand_back(ctx.session, request, ctx.now)
    await ctx.reply(_("Thank you for letting us know. We will look for someone else."))
    await helping.offer_round(ctx.session, request, community, ctx.services.matching, ctx.now)


@router.button(help_texts.CANCEL)
async def cancel(ctx: Context) -> None:
    """The resident no longer needs help; the volunteer is told."""
    request = await _request(ctx)
    if request is None or request.requester_id != ctx.person.id:
        await ctx.button_gone()
        return
    if request.status not in help_requests.ACTIVE:
        await ctx.reply(_("This request is already closed."))
        return
    volunteer = request.volunteer_id
    help_requests.cancel(request, ctx.now)
    await ctx.reply(_("All right. Your request is cancelled."))
    community = await ctx.session.get(Community, request.community_id)
    if volunteer is not None and community is not None:
        await tell_person(
            ctx.session,
            volunteer,
            community,
            lambda _prefix: _(
                "Request {number} is cancelled. You do not need to do anything. Thank you!"
            ).format(number=request.id),
            f"help-cancelled:{request.id}",
            ctx.now,
            about=(request.requester_id,),
        )


@router.button(help_texts.RATE)
async def rate(ctx: Context) -> None:
    """The resident's one answer after the help."""
    request = await _request(ctx)
    rating = ctx.button_args.get("rating")
    if (
        request is None
        or request.requester_id != ctx.person.id
        or request.status != help_requests.DONE
        or rating not in {value for value, _f, _w in RATINGS}
    ):
        await ctx.button_gone()
        return
    request.rating = int(rating)
    await ctx.reply(_("Thank you for your answer!"))


@router.command(
    "meine_anfragen", "my_requests", description=N_("Your help requests"), where="direct"
)
async def mine(ctx: Context) -> None:
    """Open requests the person asked for or is helping with, with their buttons."""
    rows = (
        await ctx.session.scalars(
            select(HelpRequest)
            .where(
                or_(
                    HelpRequest.requester_id == ctx.person.id,
                    HelpRequest.volunteer_id == ctx.person.id,
                ),
                HelpRequest.status.in_(help_requests.ACTIVE),
            )
            .order_by(HelpRequest.id)
        )
    ).all()
    if not rows:
        await ctx.reply(_("You have no open help requests."))
        return
    for request in rows:
        community = await ctx.session.get(Community, request.community_id)
        assert community is not None
        skill = await skills.find(ctx.session, community, request.skill)
        topic = help_texts.skill_words(request, skill, community)
        if request.volunteer_id == ctx.person.id:
            text = _("Request {number}: {topic}. You are helping.").format(
                number=request.id, topic=topic
            )
            await ctx.reply(
                text, help_texts.volunteer_buttons(request), about=helping.parties(request)
            )
        else:
            text = _("Your request {number}: {topic}.").format(number=request.id, topic=topic)
            await ctx.reply(
                text, help_texts.requester_buttons(request), about=helping.parties(request)
            )


@router.entry("help_request")
async def start_request(ctx: Context) -> None:
    """The first question of a help request, used by /anfrage and by /hilfe in private."""
    assert ctx.community is not None
    buttons = [
        Button(skills.label(skill, ctx.community), PICK, {"skill": skill.key})
        for skill in await skills.catalog(ctx.session, ctx.community)
    ]
    buttons.append(Button(_("Something else"), PICK, {"skill": OTHER}))
    buttons.append(Button(_("What can the bot do?"), COMMANDS))
    await ctx.ask(_("What do you need help with? Please tap a topic."), ASK, {}, buttons)


async def _describe(ctx: Context, data: dict[str, Any]) -> None:
    await ctx.ask(
        _("Please describe it briefly. For example: I want to send photos to my grandchildren."),
        DESCRIBE,
        data,
    )


async def _ask_when(ctx: Context, data: dict[str, Any]) -> None:
    await ctx.ask(
        _("When does it suit you? For example: dienstags nachmittags"),
        WHEN,
        data,
        [Button(_("Any time"), ANY_TIME)],
    )


async def _ask_where(ctx: Context, data: dict[str, Any]) -> None:
    buttons = [
        Button(_("At the Digitalcafé"), WHERE, {"place": "cafe"}),
        Button(_("By phone"), WHERE, {"place": "phone"}),
        Button(_("At my home"), WHERE, {"place": "home"}),
    ]
    await ctx.ask(_("Where should the help be?"), WHERE, data, buttons)


async def _ask_phone(ctx: Context, data: dict[str, Any]) -> None:
    await ctx.ask(
        _("Which phone number can the helper call? Or tap: Rather here in the chat"),
        PHONE,
        data,
        [Button(_("Rather here in the chat"), CHAT_ONLY)],
    )


async def _save(ctx: Context, data: dict[str, Any]) -> None:
    await ctx.finish_dialog()
    await _create(ctx, data, requester_id=ctx.person.id)
    await ctx.reply(help_texts.searching())


async def _create(ctx: Context, data: dict[str, Any], *, requester_id: int) -> HelpRequest:
    assert ctx.community is not None
    when_text = str(data.get("when_text", ""))
    days, hours = weekly.parse(when_text)
    request = HelpRequest(
        community_id=ctx.community.id,
        requester_id=requester_id,
        skill=str(data.get("skill", OTHER)),
        description=str(data.get("description", "")),
        when_text=when_text,
        when_days=days,
        when_hours=hours,
        place=str(data.get("place", "cafe")),
        area=str(data.get("area", "")),
        language=ctx.locale if requester_id == ctx.person.id else ctx.community.locale,
        phone=data.get("phone"),
        created_by=None if requester_id == ctx.person.id else ctx.person.id,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.session.add(request)
    await ctx.session.flush()
    await helping.offer_round(ctx.session, request, ctx.community, ctx.services.matching, ctx.now)
    return request


async def _request(ctx: Context) -> HelpRequest | None:
    request = await ctx.session.get(HelpRequest, int(ctx.button_args.get("request", 0) or 0))
    if request is None:
        await ctx.button_gone()
    return request


async def _mine(ctx: Context, *, volunteer_only: bool = False) -> HelpRequest | None:
    """The request behind the button, if this person takes part in it and it is running."""
    request = await ctx.session.get(HelpRequest, int(ctx.button_args.get("request", 0) or 0))
    if request is None or request.status != help_requests.ACCEPTED:
        await ctx.button_gone()
        return None
    allowed = (
        {request.volunteer_id}
        if volunteer_only
        else {
            request.volunteer_id,
            request.requester_id,
        }
    )
    if ctx.person.id not in allowed:
        await ctx.button_gone()
        return None
    return request


async def _tell_staff_who(ctx: Context, request: HelpRequest, community: Community) -> None:
    """A caller has no chat: the staff member who filed it passes the news on."""
    assert request.created_by is not None
    requester = await ctx.session.get(Person, request.requester_id)
    name = helping.first_name(ctx.person)
    await tell_person(
        ctx.session,
        request.created_by,
        community,
        lambda _prefix: _(
            "{helper} has taken request {number} for {name}. Please tell {name}."
        ).format(helper=name, number=request.id, name=requester.display_name if requester else "?"),
        f"help-staff-told:{request.id}",
        ctx.now,
        about=helping.parties(request),
    )


def _phone_usage(ctx: Context) -> str:
    return _(
        "Please write it like this: {prefix}hilfe_fuer Erika Muster; 04542 1234; Smartphone; "
        "Fotos verschicken; dienstags; Telefon"
    ).format(prefix=ctx.command_prefix)
