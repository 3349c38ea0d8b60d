"""Member-facing texts of help requests. Call inside ``use_locale`` for the reader."""

from __future__ import annotations

from datetime import datetime

from bot.domain.models import Community, HelpRequest, Skill
from bot.domain.skills import label
from bot.follow_up_texts import MILESTONES, RATINGS
from bot.i18n import N_, _, format_when
from bot.types import Button

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


def offer(request: HelpRequest, skill: Skill | None, community: Community) -> str:
    """What a volunteer sees before taking it: the topic, a rough time, the area. No name."""
    lines = [
        _("Someone needs help. Can you take it?"),
        _("Topic: {skill}").format(skill=skill_words(request, skill, community)),
        _("When: {when}").format(when=request.when_text or _("any time")),
        _("Where: {where}").format(where=place_words(request)),
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
    lines = [
        _("Thank you! Request {number} is yours now.").format(number=request.id),
        _("Name: {name}").format(name=name),
    ]
    if phone:
        lines.append(_("Phone: {phone}").format(phone=phone))
    else:
        lines.append(_("No phone number: write through me with the button below."))
    lines += [
        _("Topic: {skill}").format(skill=skill_words(request, skill, community)),
        _("When: {when}").format(when=request.when_text or _("any time")),
        _("Where: {where}").format(where=place_words(request)),
    ]
    if request.description:
        lines.append(_("In their words: {text}").format(text=request.description))
    return "\n".join(lines)


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
    lines = [
        _("Nobody has taken help request {number} yet. Please take care of it.").format(
            number=request.id
        ),
        _("Name: {name}").format(name=name),
    ]
    if phone:
        lines.append(_("Phone: {phone}").format(phone=phone))
    lines += [
        _("Topic: {skill}").format(skill=skill_words(request, skill, community)),
        _("When: {when}").format(when=request.when_text or _("any time")),
        _("Where: {where}").format(where=place_words(request)),
    ]
    if request.description:
        lines.append(_("In their words: {text}").format(text=request.description))
    return "\n".join(lines)


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
    return _("Did the help work out for you? Please tap a face.")


def rating_buttons(request: HelpRequest) -> tuple[Button, ...]:
    return tuple(
        Button(f"{face} {_(words)}", RATE, {"request": request.id, "rating": value})
        for value, face, words in RATINGS
    )
