"""Data protection in chat: the short note at first contact and consent, /datenschutz,
/meine_daten (everything stored, as a file and in words), /loeschen (erasure), and the
optional facts for reports (/profil: age band and part of town, asked once)."""

from __future__ import annotations

import json

from bot.chat.context import Context
from bot.chat.router import Router
from bot.chat.types import Attachment, Button, Outgoing
from bot.domain.models import Community
from bot.domain.roles import ADMIN
from bot.language.choosing import joined, or_word
from bot.language.i18n import N_, _, ngettext
from bot.privacy import consent
from bot.privacy import rights as privacy

AGREE, MORE, ERASE, KEEP = "priv.agree", "priv.more", "priv.erase", "priv.keep"
BAND, AREA = "priv.band", "priv.area"
NO_FACTS = "priv.no_facts"


# Add the privacy note, /datenschutz, /meine_daten, /loeschen and /profil.
router = Router()


@router.first_contact
async def first_contact(ctx: Context) -> None:
    """Once per person: what is stored and why, privately, with a button to agree."""
    await consent.note_shown(ctx.work, ctx.person)
    text = _(
        "A short note on data protection: I store your name from the app and your "
        "sign-ups. Only so that the dates work. Nothing is passed on.\n"
        "More about it: {prefix}datenschutz"
    ).format(prefix=ctx.command_prefix)
    buttons = (Button(_("I agree"), AGREE), Button(_("Tell me more"), MORE))
    sent = await ctx.send_private(
        ctx.person.id, Outgoing(text, buttons), f"privacy-note:{ctx.person.id}"
    )
    if not sent and ctx.is_direct:
        await ctx.reply(text, buttons)


@router.button(AGREE)
async def agree(ctx: Context) -> None:
    """Consent, recorded with the time; then, once, the optional facts question."""
    ask_now = consent.agree(ctx.work, ctx.person)
    await ctx.reply(_("Thank you!"))
    if ask_now:
        await ask_facts(ctx)


@router.button(MORE)
async def more(ctx: Context) -> None:
    """The long text."""
    await ctx.reply(privacy_text(ctx), (Button(_("I agree"), AGREE),))


@router.command(
    "datenschutz",
    "privacy",
    description=N_("What is stored about you, and why"),
    needs_community=False,
)
async def privacy_command(ctx: Context) -> None:
    """What is stored, why, how long, and the person's rights."""
    await ctx.reply(privacy_text(ctx))


@router.command(
    "datenschutz_text",
    "privacy_text",
    description=N_("Set the data protection contact and an extra text: contact; text"),
    roles=(ADMIN,),
)
async def set_text(ctx: Context) -> None:
    """The community's data protection contact and its own extra text."""
    assert ctx.community is not None
    contact, _sep, extra = ctx.args.partition(";")
    if not consent.set_contact(ctx.community, contact, extra):
        await ctx.reply(
            _(
                "Please write it like this: {prefix}datenschutz_text "
                "Frau Schulz, datenschutz@stadt.example; Extra text"
            ).format(prefix=ctx.command_prefix)
        )
        return
    await ctx.reply(_("Saved. {prefix}datenschutz shows it.").format(prefix=ctx.command_prefix))


@router.command(
    "meine_daten",
    "my_data",
    description=N_("Everything stored about you"),
    needs_community=False,
    where="direct",
)
async def my_data(ctx: Context) -> None:
    """A file with every row stored about the person, and a summary in words."""
    data = await privacy.access_report(ctx.work, ctx.person.id)
    lines = [
        _("This is stored about you:"),
        _("Name: {name}").format(name=data["person"]["display_name"]),
        _("Apps: {count}").format(count=len(data["accounts"])),
        _("Sign-ups: {count}").format(count=len(data["sign_ups"])),
        _("Answers to 'How was it?': {count}").format(count=len(data["feedback"])),
        _("Help requests: {count}").format(count=len(data["help_requests"])),
        _("Messages from me to you: {count}").format(count=len(data["messages_to_you"])),
        "",
        _("All details are in the file. To erase everything: {prefix}loeschen").format(
            prefix=ctx.command_prefix
        ),
    ]
    payload = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode()
    await ctx.reply(
        "\n".join(lines),
        attachment=Attachment("meine-daten.json", payload, "application/json"),
    )


@router.command(
    "loeschen",
    "delete_me",
    description=N_("Erase your data"),
    needs_community=False,
    where="direct",
)
async def erase_ask(ctx: Context) -> None:
    """Ask once more before erasing."""
    await ctx.reply(
        _(
            "Do you really want me to erase everything about you? Your sign-ups end "
            "and I no longer know you. This cannot be undone."
        ),
        (Button(_("Yes, erase everything"), ERASE), Button(_("No, keep it"), KEEP)),
    )


@router.button(ERASE)
async def erase(ctx: Context) -> None:
    """Erase; the goodbye still reaches this chat, then the chat goes too."""
    if not ctx.is_direct or ctx.chat.person_id != ctx.person.id:
        # Only from the person's own private chat (a group chat must never go with it).
        await ctx.reply(_("Please write this to me in a private chat."))
        return
    # The goodbye still reaches this chat: it is kept until sent, then the chat goes too.
    await privacy.erase_person(ctx.work, ctx.person.id, keep_chat_id=ctx.chat.id)
    await ctx.reply(
        _("Done. Your data is erased. Goodbye, and all the best!")
        + "\n"
        + _("If you write to me again, I will start afresh.")
    )


@router.button(KEEP)
async def keep(ctx: Context) -> None:
    """Nothing happens."""
    await ctx.reply(_("All right. Nothing was erased."))


@router.command(
    "profil",
    "profile",
    description=N_("Optional: your age group and part of town, for our reports"),
    needs_community=False,
    where="direct",
)
async def profile(ctx: Context) -> None:
    """Change the optional facts any time."""
    await ask_facts(ctx)


@router.button(BAND)
async def band(ctx: Context) -> None:
    """An age band tapped; next the part of town."""
    value = ctx.button_args.get("band")
    if not isinstance(value, str) or not consent.set_age_band(ctx.work, ctx.person, value):
        return
    await ctx.ask(
        joined(_("In which part of town do you live?"), or_word(_("Rather not say"), ctx.can_tap)),
        AREA,
        {},
        (Button(_("Rather not say"), NO_FACTS, {"step": "area"}),),
    )


@router.state(AREA)
async def area(ctx: Context) -> None:
    """The part of town, as typed."""
    consent.set_area(ctx.work, ctx.person, ctx.text)
    await ctx.finish_dialog()
    await ctx.reply(
        _("Thank you! You can change or erase it any time with {prefix}profil.").format(
            prefix=ctx.command_prefix
        )
    )


@router.button(NO_FACTS)
async def no_facts(ctx: Context) -> None:
    """Rather not: nothing (more) is stored."""
    if ctx.button_args.get("step") != "area":
        consent.drop_facts(ctx.person)
    await ctx.finish_dialog()
    await ctx.reply(_("All right. That is completely fine."))


async def ask_facts(ctx: Context) -> None:
    """The optional question for reports; asked on its own once, or with /profil."""
    consent.facts_asked(ctx.work, ctx.person)
    buttons = [Button(_(label), BAND, {"band": key}) for key, label in consent.AGE_BANDS]
    buttons.append(Button(_("Rather not say"), NO_FACTS))
    await ctx.reply(
        _(
            "A question, only if you like: how old are you, roughly? It helps us see whom "
            "we do not reach yet. It is voluntary. Reports only show numbers, never names."
        ),
        buttons,
    )


def privacy_text(ctx: Context) -> str:
    community: Community | None = ctx.community
    lines = [
        _("Data protection in short:"),
        _("- I store your name from the app, your app number and your language."),
        _("- I store your sign-ups, whether you came, and your answers to 'How was it?'."),
        _("- If you ask for help, I store your request until it is done."),
        _("- Why: so that dates, reminders and help work. Nothing is passed on or sold."),
        # The configured periods, so the text never promises what the daily job does not do.
        _("- Comments are erased {comments}, details of help {help}.").format(
            comments=_after_months(ctx.services.settings.privacy.feedback_comment_months),
            help=_after_months(ctx.services.settings.privacy.help_details_months),
        ),
        _("- {prefix}meine_daten shows everything stored. {prefix}loeschen erases it.").format(
            prefix=ctx.command_prefix
        ),
    ]
    if community is not None:
        if community.privacy_text:
            lines += ["", community.privacy_text]
        contact = community.privacy_contact or community.contact
        if contact:
            lines += ["", _("Questions about data protection: {contact}").format(contact=contact)]
    return "\n".join(lines)


def _after_months(months: int) -> str:
    return ngettext("after {n} month", "after {n} months", months).format(n=months)
