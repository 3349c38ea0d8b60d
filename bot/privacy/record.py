"""``lotsenbot privacy-report``: a record of processing activities (GDPR Art. 30) in
Markdown, built from the running configuration, the retention rules and, when the database
can be reached, the communities and their contacts."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import select

from bot.config import Settings
from bot.language.i18n import N_, Catalogs, _, install, ngettext, use_locale
from bot.privacy.retention import RULES, Retention, Rule

log = logging.getLogger(__name__)

MINUTE = timedelta(minutes=1)

# Telegram is run from outside the EU (Telegram FZ-LLC, Dubai, United Arab Emirates).
TELEGRAM_OPERATOR = "Telegram FZ-LLC, Dubai (United Arab Emirates)"


@dataclass(frozen=True)
class CommunityContact:
    name: str
    contact: str
    privacy_contact: str


async def load_communities(settings: Settings) -> list[CommunityContact] | None:
    """The communities and their contacts; None when the database cannot be read."""
    from bot.domain.models import Community
    from bot.infra.db import create_engine

    url = settings.database_url
    if _missing_sqlite_file(url):
        return None
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(Community.name, Community.contact, Community.privacy_contact)
                    .where(~Community.is_demo)
                    .order_by(Community.id)
                )
            ).all()
    except Exception as exc:  # any failure means "not reachable"; the report goes on
        log.warning("privacy report: database not readable (%s)", type(exc).__name__)
        return None
    finally:
        await engine.dispose()
    return [CommunityContact(*row) for row in rows]


def _missing_sqlite_file(url: str) -> bool:
    # Opening a missing SQLite file would create it; a report must change nothing.
    if not url.startswith("sqlite"):
        return False
    path = url.split(":///", 1)[-1]
    return not path or not Path(path).exists()


def database_kind(settings: Settings) -> str:
    """ "SQLite file …" or "PostgreSQL on host:port/db", never a password."""
    url = settings.database_url
    if url.startswith("sqlite"):
        return _("SQLite file {path}").format(path=url.split(":///", 1)[-1])
    parts = urlsplit(url)
    where = f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path}"
    return _("PostgreSQL database at {where}").format(where=where)


def period_text(rule: Rule, settings: Settings) -> str:
    """The rule's text with its period as configured written out."""
    text = _(rule.rule)
    if rule.setting is not None:
        value = getattr(settings.privacy, rule.setting)
        unit = "months" if rule.setting.endswith("_months") else "days"
        return text.format(prefix="/", period=_amount(value, unit))
    length = getattr(Retention(), rule.period) if rule.period else rule.lifetime
    if length is None:
        return text.format(prefix="/")
    if length < timedelta(days=1):
        return text.format(prefix="/", period=_amount(length // MINUTE, "minutes"))
    return text.format(prefix="/", period=_amount(length.days, "days"))


def _amount(n: int, unit: str) -> str:
    if unit == "months":
        return ngettext("{n} month", "{n} months", n).format(n=n)
    if unit == "minutes":
        return ngettext("{n} minute", "{n} minutes", n).format(n=n)
    return ngettext("{n} day", "{n} days", n).format(n=n)


def retention_table(settings: Settings) -> list[str]:
    """The retention rules as a Markdown table, in the current locale."""
    lines = [
        "| " + " | ".join((_("Table"), _("Personal data"), _("Rule"), _("Setting"))) + " |",
        "|---|---|---|---|",
    ]
    for rule in RULES:
        setting = f"`[privacy] {rule.setting}`" if rule.setting else "–"
        lines.append(
            f"| `{rule.table}` | {_(rule.data)} | {period_text(rule, settings)} | {setting} |"
        )
    return lines


PURPOSES = (
    N_("Dates: announce them, take sign-ups and waiting lists, remind people."),
    N_("Help from Digitallotsen: take a wish for help and find someone who fits."),
    N_("Ask 'How was it?' after a date, to make the next one better."),
    N_("Reports for the group and its funders, with counts only."),
    N_("Certificates for Digitallotsen, when they ask for one."),
)
SUBJECTS = (
    N_("People who come to dates or ask for help."),
    N_("Digitallotsen who help."),
    N_("Staff and admins of a group."),
    N_("People staff sign up by phone or at the door."),
)
MEASURES = (
    N_("Every command and every button press checks the role in our own database."),
    N_("Admin rights in a Telegram group or a Matrix room grant nothing here."),
    N_("Buttons carry only a random key, never names or numbers."),
    N_("Volunteers see a person's contact only after they agreed to help."),
    N_("People see all their data with /meine_daten and erase it with /loeschen."),
    N_("Exports show numbers instead of names, unless staff ask for names."),
    N_("Every export and every erasure is written to the audit log."),
    N_("Reports show ages and parts of town only where at least 5 people share them."),
    N_("Passwords and tokens are hidden in logs and in check-config."),
    N_("Every day the bot deletes what is past its retention period (see above)."),
    N_("Whoever writes too many messages too fast gets a note and then a pause."),
)


def render(
    settings: Settings, communities: list[CommunityContact] | None, config: Path | None
) -> str:
    """The record in the current locale, as Markdown (``config``: the file read, if any)."""
    source = (
        _("{file} and the LOTSENBOT_* environment").format(file=config)
        if config is not None
        else _("the built-in defaults and the LOTSENBOT_* environment")
    )
    out: list[str] = [
        "# " + _("Record of processing activities (Art. 30 GDPR)"),
        "",
        _("Made by lotsenbot privacy-report from the configuration in use: {source}.").format(
            source=source
        ),
        _("Check it and fill in what is marked as missing."),
        "",
        "## 1. " + _("Controller"),
        "",
    ]
    if communities is None:
        out.append(_("The database could not be read. Please add the controller by hand."))
    elif not communities:
        out.append(_("No group is set up yet. Please add the controller by hand."))
    for community in communities or []:
        contact = community.privacy_contact or community.contact or _("(missing)")
        out.append(
            "- "
            + _("{name}: data protection contact {contact}").format(
                name=community.name, contact=contact
            )
        )
    out += ["", "## 2. " + _("Purposes"), ""]
    out += ["- " + _(text) for text in PURPOSES]
    out += ["", "## 3. " + _("Categories of people"), ""]
    out += ["- " + _(text) for text in SUBJECTS]
    out += ["", "## 4. " + _("Categories of personal data"), ""]
    seen: set[str] = set()
    for rule in RULES:
        if rule.data not in seen:
            seen.add(rule.data)
            out.append(f"- `{rule.table}`: {_(rule.data)}")
    out += ["", "## 5. " + _("Recipients"), ""]
    out += _recipients(settings)
    out += ["", "## 6. " + _("Transfers to third countries"), ""]
    if settings.telegram_enabled:
        out.append(
            "- "
            + _("Telegram: messages pass through the servers of {operator}.").format(
                operator=TELEGRAM_OPERATOR
            )
        )
    if settings.matrix_enabled:
        out.append(
            "- "
            + _("Matrix: check where the server {server} is run.").format(
                server=settings.matrix.homeserver
            )
        )
    if not (settings.telegram_enabled or settings.matrix_enabled):
        out.append("- " + _("None: no chat platform is set up."))
    out += ["", "## 7. " + _("Retention per table"), ""]
    out += retention_table(settings)
    out += ["", "## 8. " + _("Technical and organisational measures"), ""]
    out += ["- " + _(text) for text in MEASURES]
    out += ["- " + line for line in _configured_measures(settings)]
    return "\n".join(out) + "\n"


def _recipients(settings: Settings) -> list[str]:
    lines = []
    if settings.telegram_enabled:
        lines.append(
            "- "
            + _("Telegram ({operator}) carries the messages.").format(operator=TELEGRAM_OPERATOR)
        )
    if settings.matrix_enabled:
        lines.append(
            "- "
            + _("The Matrix server {server} carries the messages.").format(
                server=settings.matrix.homeserver
            )
        )
    lines.append("- " + _("E-mail: the bot sends no e-mail."))
    lines.append("- " + _("Staff of a group see its sign-ups and wishes for help."))
    lines.append("- " + _("Nothing is sold or passed on to anyone else."))
    return lines


def _configured_measures(settings: Settings) -> list[str]:
    lines = [_("Database: {kind}.").format(kind=database_kind(settings))]
    if settings.telegram_enabled:
        if settings.telegram.mode == "webhook":
            # The configuration refuses webhook mode without a secret of 32+ characters.
            lines.append(_("Telegram webhook with a secret token."))
        else:
            lines.append(_("Telegram by polling: no port is open for Telegram."))
    if settings.web.enabled:
        lines.append(
            _("Web server for the calendar and /health on {host}:{port}.").format(
                host=settings.web.host, port=settings.web.port
            )
        )
    else:
        lines.append(_("No web server is running."))
    lines.append(_data_folder(settings.bot.data_dir))
    return lines


def _data_folder(path: Path) -> str:
    """What the file system says about the data folder now, not what it should say."""
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        return _("Data folder {path}: does not exist yet.").format(path=path)
    if mode & 0o077:
        return _(
            "Data folder {path}: WARNING, other users of the computer may read it "
            "(mode {mode}). Set it to 0700."
        ).format(path=path, mode=oct(mode)[2:].zfill(4))
    return _("Data folder {path}: only its owner may read it (mode {mode}).").format(
        path=path, mode=oct(mode)[2:].zfill(4)
    )


async def report(settings: Settings, config: Path | None, locale: str) -> str:
    """The whole record for ``settings`` in ``locale`` (one of the configured languages)."""
    communities = await load_communities(settings)
    install(Catalogs.for_settings(settings))
    with use_locale(locale):
        return render(settings, communities, config)
