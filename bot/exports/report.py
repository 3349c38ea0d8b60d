"""The half-year report: key figures, three PNG charts, a summary for the coordinator's own
report and a short public one without names for the community's chats."""

from __future__ import annotations

import io
import itertools
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from babel.numbers import format_decimal
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.models import Attendance, Event, EventHelper, Feedback, Series
from bot.exports.tables import (
    Scope,
    date_figures,
    help_rows,
    hours_to_accept,
    reach,
    served_as_volunteer,
    skill_labels,
)
from bot.language.i18n import _, current_locale, format_long_day, format_short_day, ngettext
from bot.reminders.texts import RATINGS


@dataclass
class Figures:
    """What a funder's half-year report asks for."""

    dates: list[tuple[date, int]] = field(default_factory=list)  # held dates and visits
    cafes_only: bool = True
    cancelled: int = 0
    visits: int = 0
    people: int = 0
    signed_up: int = 0
    without_sign_up: int = 0
    no_shows: int = 0
    ratings: Counter[int] = field(default_factory=Counter)
    comments: int = 0
    wishes: int = 0
    requests: int = 0
    requests_done: int = 0
    hours_to_accept: float | None = None
    help_minutes: int = 0
    by_skill: Counter[str] = field(default_factory=Counter)
    volunteers: int = 0
    bands: list[tuple[str, int]] = field(default_factory=list)
    areas: list[tuple[str, int]] = field(default_factory=list)

    @property
    def held(self) -> int:
        return len(self.dates)

    @property
    def mean_rating(self) -> float | None:
        total = sum(self.ratings.values())
        if not total:
            return None
        return sum(value * n for value, n in self.ratings.items()) / total


async def figures(session: AsyncSession, scope: Scope, now: datetime) -> Figures:
    result = Figures()
    kinds = dict(
        (
            await session.execute(
                select(Event.id, Series.kind)
                .outerjoin(Series, Series.id == Event.series_id)
                .where(scope.events())
            )
        ).all()
    )
    held_ids = []
    for f in await date_figures(session, scope):
        if f.status == "cancelled":
            result.cancelled += 1
            continue
        if f.starts_at > now:
            continue
        held_ids.append(f.event_id)
        result.dates.append((scope.local(f.starts_at).date(), f.visits))  # type: ignore[union-attr]
        result.cafes_only &= kinds.get(f.event_id) == "cafe"
        result.visits += f.visits
        result.signed_up += f.signed_up
        result.without_sign_up += f.without_sign_up
        result.no_shows += f.no_shows
    if held_ids:
        result.people = (
            await session.scalar(
                select(func.count(func.distinct(Attendance.person_id))).where(
                    Attendance.event_id.in_(held_ids)
                )
            )
        ) or 0
        rows = (
            await session.execute(
                select(Feedback.rating, Feedback.comment, Feedback.wish).where(
                    Feedback.event_id.in_(held_ids)
                )
            )
        ).all()
        result.ratings = Counter(r for r, _c, _w in rows if r is not None)
        result.comments = sum(1 for _r, c, _w in rows if c)
        result.wishes = sum(1 for _r, _c, w in rows if w)
    labels = await skill_labels(session, scope.community)
    waits = []
    helpers = set()
    for request, _name in await help_rows(session, scope):
        result.requests += 1
        result.by_skill[labels.get(request.skill, request.skill)] += 1
        if request.status == "done":
            result.requests_done += 1
            result.help_minutes += request.minutes or 0
        if (hours := hours_to_accept(request)) is not None:
            waits.append(hours)
            helpers.add(request.volunteer_id)
    if held_ids:
        helpers |= set(
            (
                await session.scalars(
                    select(EventHelper.person_id).where(
                        EventHelper.event_id.in_(held_ids), served_as_volunteer(scope)
                    )
                )
            ).all()
        )
    result.volunteers = len(helpers - {None})
    result.hours_to_accept = statistics.median(waits) if waits else None
    result.bands, result.areas = await reach(session, scope)
    return result


# --- texts -----------------------------------------------------------------------------


def _number(value: float) -> str:
    return format_decimal(round(value, 1), format="0.#", locale=current_locale())


def period_words(scope: Scope) -> str:
    """ "Im ersten Halbjahr 2026" or "Vom 1. Januar 2026 bis 30. Juni 2026"."""
    half = scope.period.half_year()
    if half is not None:
        year, which = half
        if which == 1:
            return _("In the first half of {year}").format(year=year)
        return _("In the second half of {year}").format(year=year)
    return _("From {start} to {end}").format(
        start=format_long_day(scope.period.start), end=format_long_day(scope.period.end)
    )


def summary(scope: Scope, f: Figures) -> str:
    """The key figures, one a line, for the coordinator to paste into a report."""
    lines = [
        (_("Half-year report: {name}") if scope.period.half_year() else _("Report: {name}")).format(
            name=scope.community.name
        ),
        period_words(scope),
        "",
        _("Dates held: {n} (called off: {cancelled})").format(n=f.held, cancelled=f.cancelled),
        _("Visits: {n}, of them without sign-up: {walk}").format(
            n=f.visits, walk=f.without_sign_up
        ),
        _("Different people: {n}").format(n=f.people),
        _("Sign-ups: {n}, did not come: {no} ({share} %)").format(
            n=f.signed_up,
            no=f.no_shows,
            share=_number(100 * f.no_shows / f.signed_up) if f.signed_up else "0",
        ),
    ]
    mean = f.mean_rating
    if mean is None:  # no average to show, not "im Schnitt – von 5"
        ratings = _("Ratings: 0; comments: {comments}").format(comments=f.comments)
    else:
        ratings = _("Ratings: {n}, average {mean} of 5; comments: {comments}").format(
            n=sum(f.ratings.values()), mean=_number(mean), comments=f.comments
        )
    lines.append(ratings)
    lines.append(_("Topic wishes: {n}").format(n=f.wishes))
    lines.append(
        _("Help requests: {n}, done: {done}, minutes of help: {minutes}").format(
            n=f.requests, done=f.requests_done, minutes=f.help_minutes
        )
    )
    if f.hours_to_accept is not None:
        lines.append(
            _("Hours until taken on (median): {hours}").format(hours=_number(f.hours_to_accept))
        )
    lines.append(_("Active Digitallotsen: {n}").format(n=f.volunteers))
    if f.bands or f.areas:
        lines.append(_("Who we reach (only groups of 5 or more people):"))
        lines.extend(f"  {_('Age')} {band}: {n}" for band, n in f.bands)
        lines.extend(f"  {area}: {n}" for area, n in f.areas)
    return "\n".join(lines)


def public_summary(scope: Scope, f: Figures) -> str:
    """A few plain sentences without names, for the community's chats."""
    if f.cafes_only:
        to_dates = ngettext("to {n} Digitalcafé", "to {n} Digitalcafés", f.held)
    else:
        to_dates = ngettext("to {n} date", "to {n} dates", f.held)
    lines = [
        ngettext(
            "{when}, {n} person came {to_dates}.", "{when}, {n} people came {to_dates}.", f.visits
        ).format(when=period_words(scope), n=f.visits, to_dates=to_dates.format(n=f.held))
    ]
    if f.requests_done:
        lines.append(
            ngettext(
                "Digitallotsen helped {n} time one to one.",
                "Digitallotsen helped {n} times one to one.",
                f.requests_done,
            ).format(n=f.requests_done)
        )
    mean = f.mean_rating
    if mean is not None and sum(f.ratings.values()) >= 5:
        lines.append(_("On average the dates got {mean} of 5 points.").format(mean=_number(mean)))
    lines.append(_("Thank you to everyone who took part!"))
    return "\n".join(lines)


# --- charts ----------------------------------------------------------------------------

# Print resolution: a chart 17 cm wide on paper still has fine lines and sharp text.
DPI = 200
# Up to this many dates, each date gets its own tick (a single date is named under its bar).
TICK_EACH_DATE = 8


def chart_titles() -> list[str]:
    """The charts' titles, in the order the report sends them: the caption of each, too."""
    return [_("Visits per date"), _("How it was (ratings)"), _("Help requests by topic")]


def _figure(title: str, scope: Scope, count: str):  # type: ignore[no-untyped-def]
    """A figure with its title, the community and period above, the count and source below."""
    import matplotlib

    matplotlib.use("Agg")  # no display; must come before pyplot
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 4.5), dpi=DPI, layout="constrained")
    figure.suptitle(f"{scope.community.name} · {period_words(scope)}", fontsize=10, color="#444444")
    figure.supxlabel(
        f"{count}. " + _("Source: Lotsenbot, from sign-ups, attendance and answers in the chat."),
        fontsize=8,
        color="#444444",
    )
    axes = figure.add_subplot()
    axes.set_title(title)
    axes.spines[["top", "right"]].set_visible(False)
    return figure, axes


def _png(figure) -> bytes:  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, metadata={"Software": "Lotsenbot"})
    return out.getvalue()


def _whole_numbers(axis) -> None:  # type: ignore[no-untyped-def]
    """Counts are whole numbers: no tick at "2.5 answers"."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def _empty(axes) -> None:  # type: ignore[no-untyped-def]
    axes.text(0.5, 0.5, _("No data in this period"), ha="center", va="center")
    axes.set_axis_off()


def _day_label(day: date) -> str:
    """ "9.12." in German, "9 Dec" in English, "9 груд." in Ukrainian."""
    return format_short_day(day)


def attendance_figure(f: Figures, scope: Scope):  # type: ignore[no-untyped-def]
    """Visits per date as bars, with the straight-line trend over them; the x axis is the
    period and nothing outside it."""
    import matplotlib.dates as mdates
    import numpy
    from matplotlib.ticker import FuncFormatter

    count = ngettext("{n} visit", "{n} visits", f.visits).format(n=f.visits)
    count += ", " + ngettext("{n} date", "{n} dates", f.held).format(n=f.held)
    figure, axes = _figure(chart_titles()[0], scope, count)
    if not f.dates:
        _empty(axes)
        return figure
    days = [mdates.date2num(day) for day, _n in f.dates]
    visits = [n for _d, n in f.dates]
    gaps = [b - a for a, b in itertools.pairwise(days) if b > a]
    width = min(5.0, 0.8 * min(gaps)) if gaps else 5.0  # weekly dates: bars of 5 days
    bars = axes.bar(days, visits, width=width, color="#3b7dd8", label=_("Visits"))
    axes.bar_label(bars)
    axes.set_ylim(0, max(visits) * 1.25 + 1)  # room for the legend above the bars
    if len(set(days)) >= 2:  # a trend needs at least two different days
        # Fitted on days since the first date: raw date numbers (about 20,000) make the
        # least-squares fit poorly conditioned.
        since = [day - days[0] for day in days]
        slope, offset = numpy.polyfit(since, visits, 1)
        axes.plot(
            [days[0], days[-1]],
            [offset, slope * since[-1] + offset],
            color="#d8573b",
            linewidth=2,
            label=_("Trend"),
        )
    # The whole period, and ticks only inside it (half a day of room at each end).
    first = mdates.date2num(scope.period.start)
    last = mdates.date2num(scope.period.end)
    axes.set_xlim(first - 0.5, last + 0.5)
    if len(set(days)) <= TICK_EACH_DATE:
        axes.set_xticks(sorted(set(days)))
    else:
        axes.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=4, maxticks=8))
    axes.xaxis.set_major_formatter(
        FuncFormatter(lambda value, _pos: _day_label(mdates.num2date(value).date()))
    )
    axes.set_ylabel(_("Visits"))
    _whole_numbers(axes.yaxis)
    axes.legend(frameon=False, loc="upper left", ncols=2)
    return figure


def attendance_chart(f: Figures, scope: Scope) -> bytes:
    return _png(attendance_figure(f, scope))


def rating_chart(f: Figures, scope: Scope) -> bytes:
    answers = sum(f.ratings.values())
    count = ngettext("{n} answer", "{n} answers", answers).format(n=answers)
    figure, axes = _figure(chart_titles()[1], scope, count)
    if not f.ratings:
        _empty(axes)
        return _png(figure)
    order = sorted(RATINGS)  # 1 (bad) to 5 (very good)
    labels = [f"{value}\n{_(label)}" for value, _face, label in order]
    counts = [f.ratings.get(value, 0) for value, _face, _label in order]
    bars = axes.bar(labels, counts, color="#49a078")
    axes.bar_label(bars)
    axes.set_ylabel(_("Answers"))
    _whole_numbers(axes.yaxis)
    return _png(figure)


def skill_chart(f: Figures, scope: Scope) -> bytes:
    total = sum(f.by_skill.values())
    count = ngettext("{n} help request", "{n} help requests", total).format(n=total)
    figure, axes = _figure(chart_titles()[2], scope, count)
    if not f.by_skill:
        _empty(axes)
        return _png(figure)
    ranked = f.by_skill.most_common()[::-1]  # largest at the top
    bars = axes.barh([label for label, _n in ranked], [n for _l, n in ranked], color="#8a63d2")
    axes.bar_label(bars)
    axes.set_xlabel(_("Requests"))
    _whole_numbers(axes.xaxis)
    return _png(figure)
