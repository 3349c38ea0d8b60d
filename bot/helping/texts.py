"""Member-facing texts of help requests. Call inside ``use_locale`` for the reader."""

from __future__ import annotations

from datetime import datetime

from bot.chat.types import Button
from bot.domain.models import Community, HelpRequest, Skill
from bot.helping.skills import label
from bot.language.i18n import N_, _, format_when
from bot.reminders.texts import MILESTONES, RATINGS

ACCEPT, DECLINE = "help.accept", "help.decline"
DONE, RETURN, AGREE, WRITE = "help.done", "help.return", "help.agree", "help.write"
CANCEL, RATE = "help.cancel", "help.rate"
PLACES = {"cafe": N_("at the Digitalcafé"), "phone": N_("by phone"), "home": N_("at home")}


def place_words(request: HelpRequest) -> str:
    where = _(PLACES.get(request.place, PLACES["cafe"]))
    if request.place == "home" and request.area:
        where += f" ({request.area})"
    return where


def skill_words(request: HelpRequest, skill: Skill | None, community: Community) -> str:
    return label(skill, community) if skill is not None else request.skill


def _what_when_where(request: HelpRequest, skill: Skill | None, community: Community) -> list[str]:
    return [
        _("Topic: {skill}").format(skill=skill_words(request, skill, community)),
        _("When: {when}").format(when=request.when_text or _("any time")),
        _("Where: {where}").format(where=place_words(request)),
    ]


def _in_full(
    head: str,
    request: HelpRequest,
    skill: Skill | None,
    community: Community,
    name: str,
    phone: str | None,
    no_phone: str = "",
) -> str:
    """Everything about a request, with who asked: for whoever takes care of it."""
    lines = [head, _("Name: {name}").format(name=name)]
    if phone:
        lines.append(_("Phone: {phone}").format(phone=phone))
    elif no_phone:
        lines.append(no_phone)
    lines += _what_when_where(request, skill, community)
    if request.description:
        lines.append(_("In their words: {text}").format(text=request.description))
    return "\n".join(lines)


def offer(request: HelpRequest, skill: Skill | None, community: Community) -> str:
    """What a volunteer sees before taking it: the topic, a rough time, the area. No name."""
    lines = [
        _("Someone needs help. Can you take it?"),
        *_what_when_where(request, skill, community),
    ]
    return "\n".join(lines)


def offer_buttons(request: HelpRequest) -> tuple[Button, ...]:
    args = {"request": request.id}
    return (Button(_("I will do it"), ACCEPT, args), Button(_("Not this time"), DECLINE, args))


def for_volunteer(
    request: HelpRequest,
    skill: Skill | None,
    community: Community,
    name: str,
    phone: str | None,
) -> str:
    """After accepting: who it is, how to reach them, what it is about."""
    return _in_full(
        _("Thank you! Request {number} is yours now.").format(number=request.id),
        request,
        skill,
        community,
        name,
        phone,
        # "Wählen" fits a button to tap and a numbered line to write alike.
        _('No phone number: write through me. Choose "Write a message" below.'),
    )


def volunteer_buttons(request: HelpRequest) -> tuple[Button, ...]:
    args = {"request": request.id}
    return (
        Button(_("Write a message"), WRITE, args),
        Button(_("Enter the meeting time"), AGREE, args),
        Button(_("Help given"), DONE, args),
        Button(_("Give it back"), RETURN, args),
    )


def for_requester(first_name: str) -> str:
    return _("Good news: {name} will help you. {name} will get in touch with you soon.").format(
        name=first_name
    )


def requester_buttons(request: HelpRequest) -> tuple[Button, ...]:
    args = {"request": request.id}
    return (
        Button(_("Write a message"), WRITE, args),
        Button(_("I no longer need help"), CANCEL, args),
    )


def searching() -> str:
    return _("Thank you. We are looking for someone for you. You will hear from us by tomorrow.")


def escalated_requester() -> str:
    return _(
        "We have not found anyone yet. We will take care of it personally "
        "and get in touch with you."
    )


def escalated_staff(
    request: HelpRequest,
    skill: Skill | None,
    community: Community,
    name: str,
    phone: str | None,
) -> str:
    head = _("Nobody has taken help request {number} yet. Please take care of it.").format(
        number=request.id
    )
    return _in_full(head, request, skill, community, name, phone)


def volunteer_thanks(done: int) -> str:
    text = _("Thank you for your help! It means a lot to the people you help.")
    if done in MILESTONES:
        text += "\n" + _(
            "That was already your {count}th help request. Thank you for your time!"
        ).format(count=done)
    return text


def meeting_reminder(request: HelpRequest, community: Community, other: str) -> str:
    return _("Reminder: tomorrow you meet {name}, {when}.").format(
        name=other, when=format_when(request.agreed_at or datetime.min, community.timezone)
    )


def feedback_question() -> str:
    """Whether the help worked; "Bitte tippen Sie auf ein Gesicht." follows on platforms
    with buttons (``bot.language.choosing.tap_a_face``)."""
    return _("Did the help work out for you?")


def rating_buttons(request: HelpRequest) -> tuple[Button, ...]:
    return tuple(
        Button(f"{face} {_(words)}", RATE, {"request": request.id, "rating": value})
        for value, face, words in RATINGS
    )
