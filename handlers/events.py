"""Dates of a community: post the next one to every chat, and sign up with one tap."""

from __future__ import annotations

from bot.context import Context
from bot.domain import events, rsvps
from bot.domain.models import Community, Event
from bot.i18n import N_, _, format_when, ngettext, use_locale
from bot.roles import STAFF
from bot.router import Router
from bot.types import Button, Outgoing
from handlers.community import group_chats


def free_places(event: Event, taken: int) -> str:
    if event.capacity is None:
        return ""
    free = max(event.capacity - taken, 0)
    if free == 0:
        return _("No places left.")
    return ngettext("{free} place left.", "{free} places left.", free).format(free=free)


def announcement(event: Event, community: Community, taken: int) -> Outgoing:
    """The date written out, in the community's language, with the sign-up buttons."""
    with use_locale(community.locale):
        lines = [event.title, format_when(event.starts_at, community.timezone)]
        if event.place:
            lines.append(event.place)
        if event.topic:
            lines.append(_("Topic: {topic}").format(topic=event.topic))
        if places := free_places(event, taken):
            lines.append(places)
        buttons = (
            Button(_("I am coming"), "rsvp.yes", {"event": event.id}, (_("yes"),)),
            Button(_("I cannot come"), "rsvp.no", {"event": event.id}, (_("no"),)),
        )
        return Outgoing("\n".join(lines), buttons)


def register(router: Router) -> None:
    """Add the announce command and the sign-up buttons."""

    @router.command(
        "ankuendigen",
        "announce",
        description=N_("Post the next date to all chats"),
        roles=(STAFF,),
    )
    async def announce(ctx: Context) -> None:
        """Post the community's next date, with sign-up buttons, to each linked group chat."""
        assert ctx.community is not None
        event = await events.next_event(ctx.session, ctx.community.id, ctx.now)
        if event is None:
            await ctx.reply(_("There is no next date yet."))
            return
        message = announcement(event, ctx.community, await rsvps.seats_taken(ctx.session, event.id))
        chats = await group_chats(ctx)
        for n, chat in enumerate(chats):
            await ctx.send(chat, message, dedup_key=f"announce:{ctx.dispatch_id}:{n}")
        await ctx.reply(_("Sent to {count} chats.").format(count=len(chats)))

    @router.button("rsvp.yes")
    async def coming(ctx: Context) -> None:
        """Sign up; one answer per person, from whichever app."""
        event = await _event(ctx)
        if event is None:
            return
        taken = await rsvps.seats_taken(ctx.session, event.id)
        current = await rsvps.status_of(ctx.session, event.id, ctx.person.id)
        if event.capacity is not None and current != rsvps.YES and taken >= event.capacity:
            await ctx.reply(_("Sorry, this date is full."))
            return
        await rsvps.answer(ctx.session, event, ctx.person.id, rsvps.YES, ctx.now)
        taken = await rsvps.seats_taken(ctx.session, event.id)
        await ctx.reply(
            "\n".join(
                part
                for part in (_("Thank you! You are signed up."), free_places(event, taken))
                if part
            )
        )

    @router.button("rsvp.no")
    async def not_coming(ctx: Context) -> None:
        """Say no (or take back a yes)."""
        event = await _event(ctx)
        if event is None:
            return
        await rsvps.answer(ctx.session, event, ctx.person.id, rsvps.NO, ctx.now)
        await ctx.reply(_("Thank you for letting us know."))


async def _event(ctx: Context) -> Event | None:
    event = await ctx.session.get(Event, int(ctx.button_args.get("event", 0)))
    if event is None or ctx.community is None or event.community_id != ctx.community.id:
        await ctx.reply(
            _("This button no longer works. Please write {prefix}start.").format(
                prefix=ctx.command_prefix
            )
        )
        return None
    return event
