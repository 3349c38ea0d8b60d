"""Retention: every table with personal data has a rule, the daily job applies each rule as
configured (old rows gone or blanked, recent rows and counts kept), and the privacy report
and README show the configured periods."""

from __future__ import annotations

import contextvars
import os
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import ForeignKey, func, select

from bot.bootstrap import App, build_app, prepare
from bot.config import PrivacySection, Settings
from bot.domain.models import (
    Account,
    AdminCode,
    Announcement,
    AuditLog,
    Base,
    ButtonToken,
    Chat,
    Community,
    ConversationState,
    Event,
    HelpRequest,
    LinkCode,
    Person,
    Role,
    Rsvp,
    VolunteerProfile,
    VolunteerSkill,
)
from bot.infra import migrate
from bot.language.i18n import Catalogs, install, use_locale
from bot.privacy import retention
from bot.privacy.record import retention_table
from tests.conftest import make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.memory import Conversation, MemoryAdapter
from tests.fakes.memory import Person as Someone

ROOT = Path(__file__).resolve().parents[2]
DAY = timedelta(days=1)

# Column names that hold what a person typed or is called, or how to reach them.
PERSONAL_COLUMNS = frozenset(
    {
        "display_name",
        "phone",
        "contact",
        "privacy_contact",
        "comment",
        "wish",
        "description",
        "note",
        "when_text",
        "area",
        "areas",
        "text",
        "content",
        "attachment",
        "label",
        "args",
        "details",
        "data",
        "external_id",
    }
)

# Columns that match the list above but were checked and hold no person's data.
REVIEWED = frozenset({("skills", "label")})  # a topic's name in the catalog


def _points_at_persons(column: object) -> bool:
    keys: set[ForeignKey] = getattr(column, "foreign_keys", set())
    return any(key.target_fullname == "persons.id" for key in keys)


def test_every_table_is_classified_and_personal_tables_have_a_rule() -> None:
    ruled = {rule.table for rule in retention.RULES}
    tables = set(Base.metadata.tables)
    assert ruled <= tables, f"rules for unknown tables: {ruled - tables}"
    assert not ruled & set(retention.NO_PERSONAL_DATA), "a table is both ruled and exempt"
    unclassified = tables - ruled - set(retention.NO_PERSONAL_DATA)
    assert not unclassified, f"tables without a retention rule or exemption: {unclassified}"
    for table in Base.metadata.sorted_tables:
        personal = [
            c.name
            for c in table.columns
            if (c.name in PERSONAL_COLUMNS or _points_at_persons(c))
            and (table.name, c.name) not in REVIEWED
        ]
        if table.name == "persons" or personal:
            assert table.name in ruled, f"{table.name} holds {personal} but has no rule"


def test_every_period_is_a_documented_setting() -> None:
    example = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    for rule in retention.RULES:
        if rule.setting is not None:
            assert rule.setting in PrivacySection.model_fields, rule.setting
            assert f"\n{rule.setting} = " in example, f"{rule.setting} not in config.example"
            assert rule.setting in retention.SETTINGS.values()
        # A rule with a period names it; a rule without one does not pretend to.
        assert ("{period}" in rule.rule) == bool(rule.period or rule.lifetime), rule.label
        assert rule.period is None or rule.period in retention.Retention.__dataclass_fields__
        assert (rule.period is None) or (rule.apply is not None), rule.label
    defaults = retention.Retention.from_settings(PrivacySection())
    assert defaults == retention.Retention(), "dataclass defaults and config defaults differ"


def _english_table() -> str:
    install(Catalogs.load())
    with use_locale("en"):
        return "\n".join(retention_table(Settings()))


def test_readme_table_is_the_rules() -> None:
    # In a context of its own: install() here must not leak into later tests.
    table = contextvars.copy_context().run(_english_table)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("<!-- retention:start -->\n") + len("<!-- retention:start -->\n")
    end = readme.index("\n<!-- retention:end -->")
    assert readme[start:end] == table


# --- the daily job ---------------------------------------------------------------------------


@pytest.fixture
async def app(db_url: str, tmp_path: Path) -> AsyncIterator[App]:
    # Shorter than the default, to see the configured period reach the daily job.
    settings = make_settings(db_url, tmp_path, privacy={"dialog_days": 3})
    application = build_app(settings, clock=FakeClock(), adapters=[MemoryAdapter("console")])
    await prepare(application)
    yield application
    await application.close()


async def _seed(app: App, now: datetime) -> dict[str, int]:
    ids: dict[str, int] = {}
    old = now - 400 * DAY
    async with app.sessions.begin() as session:
        home = Community(slug="retention", name="Café Retention", created_at=old)
        session.add(home)
        await session.flush()

        def person(key: str, name: str, created: datetime) -> Person:
            row = Person(display_name=name, created_at=created)
            session.add(row)
            return row

        staff = person("staff", "Sabine Schulz", old)
        caller_old = person("caller_old", "Jürgen Ärger", old)  # phone only, long ago
        caller_recent = person("caller_recent", "Bo", old)  # phone only, came recently
        caller_new = person("caller_new", "Öz", now - 10 * DAY)  # phone only, new
        former = person("former", "Frieda Früher", old)  # profile, no volunteer role
        lotse = person("lotse", "Lutz Lotse", old)  # profile, still a volunteer
        await session.flush()
        for key, row in (
            ("staff", staff),
            ("caller_old", caller_old),
            ("caller_recent", caller_recent),
            ("caller_new", caller_new),
            ("former", former),
            ("lotse", lotse),
        ):
            ids[key] = row.id
        for row in (staff, former, lotse):
            session.add(
                Account(
                    person_id=row.id,
                    platform="console",
                    external_id=f"r{row.id}",
                    display_name=row.display_name,
                    created_at=old,
                )
            )
        session.add(Role(person_id=lotse.id, community_id=home.id, role="volunteer"))
        session.add(Role(person_id=former.id, community_id=home.id, role="member"))
        chat = Chat(platform="console", external_id="r-chat", kind="direct", person_id=staff.id)
        session.add(chat)
        await session.flush()

        long_ago = Event(community_id=home.id, title="Café", starts_at=now - 380 * DAY)
        month_ago = Event(community_id=home.id, title="Café", starts_at=now - 40 * DAY)
        last_week = Event(community_id=home.id, title="Café", starts_at=now - 7 * DAY)
        session.add_all([long_ago, month_ago, last_week])
        await session.flush()
        for event, who, phone in (
            (long_ago, caller_old, "0170 111"),
            (month_ago, caller_recent, "0170 222"),
            (last_week, caller_recent, "0170 333"),
            (last_week, caller_new, "0170 444"),
        ):
            session.add(
                Rsvp(
                    event_id=event.id,
                    person_id=who.id,
                    status="yes",
                    added_by=staff.id,
                    phone=phone,
                    created_at=event.starts_at - DAY,
                    updated_at=event.starts_at - DAY,
                )
            )
        session.add_all(
            [
                ButtonToken(
                    key="expired",
                    chat_id=chat.id,
                    action="x",
                    label="Jürgen Ärger",
                    created_at=now - 61 * DAY,
                    expires_at=now - DAY,
                ),
                ButtonToken(
                    key="fresh",
                    chat_id=chat.id,
                    action="x",
                    label="Bo",
                    created_at=now - DAY,
                    expires_at=now + 59 * DAY,
                ),
                ConversationState(
                    chat_id=chat.id,
                    person_id=staff.id,
                    state="phone_sign_up",
                    data={"phone": "0170 555"},
                    updated_at=now - 4 * DAY,
                ),
                ConversationState(
                    chat_id=chat.id,
                    person_id=lotse.id,
                    state="help",
                    data={"phone": "0170 666"},
                    updated_at=now - 2 * DAY,
                ),
                LinkCode(code_hash="old", person_id=staff.id, created_at=old, expires_at=old + DAY),
                LinkCode(code_hash="new", person_id=staff.id, created_at=now, expires_at=now + DAY),
                AdminCode(code_hash="old", created_at=now - 10 * DAY),
                AuditLog(at=now - 800 * DAY, action="export", details={"person": staff.id}),
                AuditLog(at=now - 10 * DAY, action="export", details={"person": staff.id}),
                Announcement(
                    community_id=home.id,
                    kind="text",
                    text="Danke an Jürgen Ärger!",
                    due_at=now - 100 * DAY,
                    status="done",
                ),
                Announcement(
                    community_id=home.id,
                    kind="text",
                    text="Bald wieder Café",
                    due_at=now + DAY,
                    status="scheduled",
                ),
                VolunteerProfile(person_id=former.id, areas=["Nord"], updated_at=old),
                VolunteerSkill(person_id=former.id, skill="smartphone"),
                VolunteerProfile(person_id=lotse.id, areas=["Süd"], updated_at=old),
                VolunteerSkill(person_id=lotse.id, skill="smartphone"),
            ]
        )

        def request(key: str, status: str, changed: datetime, requester: Person) -> None:
            row = HelpRequest(
                community_id=home.id,
                requester_id=requester.id,
                skill="smartphone",
                description=f"Handy einrichten ({key})",
                when_text="dienstags",
                area="Nord",
                phone="0170 777",
                note="Klingel defekt",
                status=status,
                minutes=30 if status == "done" else None,
                created_at=changed - DAY,
                updated_at=changed,
            )
            session.add(row)

        request("done_old", "done", now - 200 * DAY, staff)
        request("escalated_old", "escalated", now - 400 * DAY, lotse)
        request("accepted_recent", "accepted", now - 100 * DAY, lotse)
        request("done_recent", "done", now - 20 * DAY, lotse)
    return ids


async def test_daily_job_applies_every_rule_as_configured(app: App) -> None:
    now = app.clock.now()
    ids = await _seed(app, now)
    await app.scheduler.housekeeping()
    async with app.sessions() as session:
        # Expired buttons go; one still valid stays.
        assert (await session.scalars(select(ButtonToken.key))).all() == ["fresh"]
        # Dialogs untouched for more than the configured 3 days go.
        dialogs = (await session.scalars(select(ConversationState.person_id))).all()
        assert dialogs == [ids["lotse"]]
        # Phone numbers of sign-ups by phone go 30 days after the date; the sign-ups stay.
        phones = dict(
            (await session.execute(select(Rsvp.phone, func.count()).group_by(Rsvp.phone))).all()
        )
        assert phones == {None: 2, "0170 333": 1, "0170 444": 1}
        # A person without a chat account and without a date for a year is erased; one
        # with a recent date and one entered recently keep their names.
        names = dict((await session.execute(select(Person.id, Person.display_name))).all())
        assert names[ids["caller_old"]] == ""
        assert names[ids["caller_recent"]] == "Bo"
        assert names[ids["caller_new"]] == "Öz"
        assert names[ids["staff"]] == "Sabine Schulz"
        erased = await session.get(Person, ids["caller_old"])
        assert erased is not None and erased.erased_at == now
        # Help requests: details of closed ones after 6 months, of stuck ones after 12; the
        # rows, their status and minutes stay for the counts.
        requests = {
            r.description or r.status + ":blank": r
            for r in (await session.scalars(select(HelpRequest))).all()
        }
        assert set(requests) == {
            "done:blank",
            "escalated:blank",
            "Handy einrichten (accepted_recent)",
            "Handy einrichten (done_recent)",
        }
        for key in ("done:blank", "escalated:blank"):
            blank = requests[key]
            assert (blank.phone, blank.note, blank.when_text, blank.area) == (None, "", "", "")
        assert requests["done:blank"].minutes == 30
        assert requests["Handy einrichten (accepted_recent)"].phone == "0170 777"
        # A former Digitallotse's profile goes with their topics; a current one's stays.
        assert (await session.scalars(select(VolunteerProfile.person_id))).all() == [ids["lotse"]]
        assert (await session.scalars(select(VolunteerSkill.person_id))).all() == [ids["lotse"]]
        # Codes: expired link codes and admin codes older than 7 days go.
        assert (await session.scalars(select(LinkCode.code_hash))).all() == ["new"]
        assert "old" not in (await session.scalars(select(AdminCode.code_hash))).all()
        # The audit log keeps 24 months (and the erasure just made).
        audit = (await session.scalars(select(AuditLog.at).order_by(AuditLog.at))).all()
        assert now - 800 * DAY not in audit and now - 10 * DAY in audit
        # Posted announcements lose their text; a scheduled one keeps it.
        texts = (await session.scalars(select(Announcement.text).order_by(Announcement.id))).all()
        assert texts[-2:] == ["", "Bald wieder Café"]
    # A second run the same day finds nothing more to do.
    async with app.sessions.begin() as session:
        again = await retention.apply(session, retention.Retention(dialogs=3 * DAY), now)
    assert not any(again.values()), again


# --- member-facing text and the privacy report --------------------------------------------


async def test_privacy_text_names_the_configured_periods(db_url: str, tmp_path: Path) -> None:
    settings = make_settings(
        db_url,
        tmp_path,
        privacy={"feedback_comment_months": 3, "help_details_months": 1},
    )
    adapter = MemoryAdapter(platform="console")
    app = build_app(settings, clock=FakeClock(), adapters=[adapter])
    await prepare(app)
    try:
        [shown] = await Conversation(app, adapter).say(Someone("9", "Erika"), "/datenschutz")
    finally:
        await app.close()
    assert "- Kommentare lösche ich nach 3 Monaten, Einzelheiten zur Hilfe nach 1 Monat." in (
        shown.text
    )


def _report(config: Path, lang: str, **environment: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOTSENBOT_")}
    env.update(environment, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(config), "privacy-report", "--lang", lang],
        capture_output=True,
        text=True,
        env=env,
        cwd=config.parent,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_privacy_report_shows_the_running_configuration(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    url = f"sqlite+aiosqlite:///{data / 'lotsenbot.db'}"
    migrate.upgrade(url)
    with sqlite3.connect(data / "lotsenbot.db") as db:
        db.execute(
            "INSERT INTO communities (slug, name, timezone, locale, contact, relay, is_demo, "
            "privacy_text, privacy_contact, created_at) VALUES ('n', 'Digitalcafé Nord', "
            "'Europe/Berlin', 'de', '', 0, 0, '', 'Frau Schulz, 04542 99', '2026-01-01')"
        )
    config = tmp_path / "config.toml"
    config.write_text(
        f'[bot]\ndata_dir = "{data}"\n'
        '[telegram]\ntoken = "123:abc"\n'
        "[privacy]\nsent_message_days = 45\ndialog_days = 2\n",
        encoding="utf-8",
    )
    german = _report(config, "de")
    assert german.startswith("# Verzeichnis von Verarbeitungstätigkeiten (Artikel 30 DSGVO)")
    assert f"laufenden Einstellung: {config} und die Umgebung LOTSENBOT_*." in german
    assert "Digitalcafé Nord: Kontakt für den Datenschutz Frau Schulz, 04542 99" in german
    assert (
        "| `outbox` | Kopien der Nachrichten, die der Bot sendet. Mit Dateien wie Exporten. | "
        "Gesendete, gescheiterte und abgelaufene Nachrichten werden gelöscht, wenn sie "
        "45 Tage alt sind. | `[privacy] sent_message_days` |"
    ) in german
    assert "Wird gelöscht, wenn 2 Tage lang keine Antwort kommt." in german
    assert "Telegram: Die Nachrichten laufen über die Server von Telegram FZ-LLC" in german
    assert "nur der Besitzer darf ihn lesen (Rechte 0700)" in german
    # The environment wins over the file, in the report as in the bot.
    english = _report(config, "en", LOTSENBOT_PRIVACY__AUDIT_LOG_MONTHS="6")
    assert english.startswith("# Record of processing activities (Art. 30 GDPR)")
    assert "| `audit_log` | Who did what: roles given, exports, erasures (numbers, no " in english
    assert "| Deleted after 6 months. | `[privacy] audit_log_months` |" in english
    assert "Sent, failed and expired messages are deleted after 45 days." in english
    assert "Deleted after 2 days without an answer." in english
    assert "Digitalcafé Nord: data protection contact Frau Schulz, 04542 99" in english
    assert "123:abc" not in german + english
    # Every table with a rule is in the record, in both languages.
    for rule in retention.RULES:
        assert f"| `{rule.table}` |" in german and f"| `{rule.table}` |" in english


def test_privacy_report_without_database_hides_the_password(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[bot]\ndata_dir = "{tmp_path}"\n'
        '[database]\nurl = "postgresql+asyncpg://bot:s3cret-pw@127.0.0.1:1/lotsen"\n'
        '[telegram]\ntoken = "123:abc"\nmode = "webhook"\n'
        f'webhook_secret = "{"k" * 40}"\n',
        encoding="utf-8",
    )
    english = _report(config, "en")
    assert "s3cret-pw" not in english
    assert "PostgreSQL database at 127.0.0.1:1/lotsen" in english
    assert "The database could not be read. Please add the controller by hand." in english
    assert "Telegram webhook with a secret token." in english
    assert "k" * 40 not in english
