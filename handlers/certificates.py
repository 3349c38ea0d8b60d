"""The Ehrenamtsnachweis: volunteers get their own, staff make one for any helper."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.certificates.document import (
    calendar_year,
    certificate_pdf,
    last_twelve_months,
    volunteer_record,
)
from bot.chat.context import Context
from bot.chat.router import Router
from bot.chat.types import Attachment
from bot.community import communities
from bot.domain.models import AuditLog, Person
from bot.domain.roles import COORDINATOR, STAFF, VOLUNTEER
from bot.language.i18n import N_, _

SELF_WORDS = {"ich", "me", "mich", "mir"}
FIRST_YEAR = 2000


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
    period = await _period(ctx, year_text)
    if period is None:
        return
    if person_id != ctx.person.id and not await _helper_here(ctx, person_id):
        await ctx.reply(
            _("There is nobody with number {number} here. {prefix}lotsen shows the numbers.")
            .format(number=person_id, prefix=ctx.command_prefix)
        )  # fmt: skip
        return
    person = await ctx.session.get(Person, person_id)
    assert person is not None
    record = await volunteer_record(ctx.session, person_id, ctx.community, *period)
    if record.empty:
        if person_id == ctx.person.id:
            text = _("There is no help recorded for you in this time yet.")
        else:
            text = _("There is no help recorded for {name} in this time.").format(
                name=person.display_name
            )
        await ctx.reply(text, about=(person_id,))
        return
    if person_id != ctx.person.id:
        # Staff see and hand out someone else's figures: logged like an export.
        ctx.session.add(
            AuditLog(
                at=ctx.now,
                actor_person_id=ctx.person.id,
                community_id=ctx.community.id,
                action="certificate",
                details={"person": person_id, "year": year_text or "12 months"},
            )
        )
    local_today = ctx.now.astimezone(ZoneInfo(ctx.community.timezone)).date()
    pdf = certificate_pdf(record, ctx.community, person.display_name, local_today)
    name = f"nachweis-{year_text}" if year_text else f"nachweis-{local_today:%Y-%m-%d}"
    if person_id != ctx.person.id:
        name += f"-{person_id}"
    await ctx.reply(
        _("Here is the certificate. You can print it or send it on."),
        attachment=Attachment(filename=f"{name}.pdf", data=pdf, mime_type="application/pdf"),
        about=(person_id,),
    )


async def _period(ctx: Context, year_text: str | None) -> tuple[datetime, datetime] | None:
    """The last 12 months, or a calendar year that has begun."""
    assert ctx.community is not None
    if year_text is None:
        return last_twelve_months(ctx.now)
    this_year = ctx.now.astimezone(ZoneInfo(ctx.community.timezone)).year
    year = int(year_text)
    if not FIRST_YEAR <= year <= this_year:
        await ctx.reply(
            _("Please write a year from {first} to {last}.").format(
                first=FIRST_YEAR, last=this_year
            )
        )
        return None
    return calendar_year(year, ctx.community.timezone)


def _is_number(word: str) -> bool:
    # ASCII only ("²" is a digit to str.isdigit) and short enough for an integer column.
    return word.isascii() and word.isdigit() and len(word) <= 9


async def _helper_here(ctx: Context, person_id: int) -> bool:
    """Staff may ask for anyone with a role in their community, nobody else."""
    assert ctx.community is not None
    return bool(await communities.granted_roles(ctx.session, person_id, ctx.community.id))


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
