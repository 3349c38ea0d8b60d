"""The Ehrenamtsnachweis: volunteers get their own, staff make one for any helper."""

from __future__ import annotations

from bot.certificates import issuing
from bot.chat.context import Context
from bot.chat.router import Router
from bot.chat.types import Attachment
from bot.domain.roles import COORDINATOR, STAFF, VOLUNTEER
from bot.language.i18n import N_, _

SELF_WORDS = {"ich", "me", "mich", "mir"}


# Add /nachweis (/certificate).
router = Router()


@router.command(
    "nachweis",
    "certificate",
    description=N_("Certificate of your volunteer work (PDF): optionally a year"),
    where="direct",
    list_roles=(VOLUNTEER, STAFF),
)
async def certificate(ctx: Context) -> None:
    """A PDF of the hours, help given and dates served: the last 12 months or a year."""
    assert ctx.community is not None
    staff = ctx.has_role(STAFF, COORDINATOR)
    if not staff and not ctx.has_role(VOLUNTEER):
        await ctx.reply(_("The certificate is for Digitallotsen and the team."))
        return
    words = ctx.args.split()
    person_id, year_text = ctx.person.id, None
    if len(words) > 2 or not all(_is_number(w) or w.casefold() in SELF_WORDS for w in words):
        await _usage(ctx, staff)
        return
    numbers = [w for w in words if _is_number(w)]
    if staff and len(numbers) == 2:
        person_id, year_text = int(numbers[0]), numbers[1]
    elif staff and len(numbers) == 1 and len(words) == 1:
        person_id = int(numbers[0])
    elif len(numbers) == 1:
        year_text = numbers[0]  # "/nachweis 2026", "/nachweis ich 2026"
    elif numbers:
        await _usage(ctx, staff)
        return
    done = await issuing.issue(
        ctx.work,
        ctx.community,
        person_id,
        int(year_text) if year_text is not None else None,
        by=ctx.person.id,
    )
    await _answer(ctx, done, person_id)


async def _answer(ctx: Context, done: issuing.Outcome, person_id: int) -> None:
    """The certificate as a PDF, or why there is none."""
    if isinstance(done, issuing.YearOutOfRange):
        await ctx.reply(
            _("Please write a year from {first} to {last}.").format(
                first=done.first, last=done.last
            )
        )
    elif done == "not_here":
        await ctx.reply(
            _("There is nobody with number {number} here. {prefix}lotsen shows the numbers.")
            .format(number=person_id, prefix=ctx.command_prefix)
        )  # fmt: skip
    elif isinstance(done, issuing.NothingRecorded):
        if done.person_id == ctx.person.id:
            text = _("There is no help recorded for you in this time yet.")
        else:
            text = _("There is no help recorded for {name} in this time.").format(name=done.name)
        await ctx.reply(text, about=(done.person_id,))
    else:
        await ctx.reply(
            _("Here is the certificate. You can print it or send it on."),
            attachment=Attachment(
                filename=done.filename, data=done.pdf, mime_type="application/pdf"
            ),
            about=(done.person_id,),
        )


def _is_number(word: str) -> bool:
    # ASCII only ("²" is a digit to str.isdigit) and short enough for an integer column.
    return word.isascii() and word.isdigit() and len(word) <= 9


async def _usage(ctx: Context, staff: bool) -> None:
    prefix = ctx.command_prefix
    if staff:
        text = _(
            "Please write it like this: {prefix}nachweis 12 2026\n"
            "12 is the number of the person, 2026 the year. Without the year: the last 12 months.\n"
            "For yourself: {prefix}nachweis ich 2026"
        )
    else:
        text = _(
            "Please write {prefix}nachweis for the last 12 months.\n"
            "Or with a year: {prefix}nachweis 2026"
        )
    await ctx.reply(text.format(prefix=prefix))
