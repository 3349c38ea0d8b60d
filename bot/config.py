"""Settings: TOML file, environment overrides (LOTSENBOT_SECTION__KEY), built-in defaults.

Every secret key also accepts ``<key>_file``: a path whose content is the value (Docker and
Kubernetes secrets, systemd credentials). Where the file comes from when ``--config`` is
not given: ``$LOTSENBOT_CONFIG``, then ``./config.toml``, then ``/etc/lotsenbot/config.toml``.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.infra.package_data import LOCALES_DIR, catalog_languages

ROLE_NAMES = ("member", "volunteer", "staff", "coordinator", "admin")


class ConfigError(Exception):
    """The configuration cannot be used; the message is one line for the operator."""


ENV_PREFIX = "LOTSENBOT_"
# Where the configuration file is looked for when neither --config nor $LOTSENBOT_CONFIG
# names one; the first that exists is read, none means the built-in defaults.
CONFIG_ENV = "LOTSENBOT_CONFIG"
DEFAULT_CONFIG_FILES = (Path("config.toml"), Path("/etc/lotsenbot/config.toml"))
FILE_SUFFIX = "_file"


class _KeyProblem(Exception):
    """A key of one section cannot be used; load_settings names where it was set."""

    def __init__(self, section: str, keys: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.section, self.keys, self.message = section, keys, message


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Keys whose value may instead be read from a file named by "<key>_file".
    secret_keys: ClassVar[tuple[str, ...]] = ()
    # The section's name in the configuration, for messages.
    section_name: ClassVar[str] = ""

    @model_validator(mode="before")
    @classmethod
    def _secrets_from_files(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not cls.secret_keys:
            return data
        data = dict(data)
        for key in cls.secret_keys:
            file_key = key + FILE_SUFFIX
            path = data.pop(file_key, None)
            if path in (None, ""):
                continue
            if data.get(key) not in (None, ""):
                raise _KeyProblem(
                    cls.section_name, (key, file_key), "both are set; keep only one of them"
                )
            data[key] = read_secret_file(str(path), f"{cls.section_name}.{file_key}")
        return data


def read_secret_file(path: str, key: str) -> str:
    """The content of a secret file without its trailing line break. ``$CREDENTIALS_DIRECTORY``
    (systemd's LoadCredential) and other variables in the path are expanded."""
    file = Path(os.path.expandvars(path)).expanduser()
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise _KeyProblem(
            key.partition(".")[0], (key.partition(".")[2],), f"cannot read {file}: {reason}"
        ) from None
    value = text.rstrip("\r\n")
    if not value:
        raise _KeyProblem(key.partition(".")[0], (key.partition(".")[2],), f"{file} is empty")
    return value


class BotSection(_Section):
    name: str = "Lotsenbot"
    # The languages offered: each needs locales/<code>/LC_MESSAGES/messages.po. Empty means
    # every catalog folder found.
    languages: list[str] = Field(default_factory=list)
    # Empty means German when it is offered, else the first language.
    default_locale: str = ""
    # Where the catalogs are; empty means those shipped with the bot.
    locales_dir: Path | None = None
    data_dir: Path = Path("var")
    # Platform accounts ("telegram:12345", "matrix:@anna:example.org", "console:local")
    # that are admins of every community from the start.
    admins: list[str] = Field(default_factory=list)
    max_text_length: int = Field(default=4000, ge=100, le=100_000)
    # A PNG or JPEG printed in the top corner of every poster; none when empty.
    poster_logo: Path | None = None
    # When stopping: how long what is due may still go out; the rest waits for the next start.
    stop_seconds: float = Field(default=10.0, ge=0, le=300)

    @field_validator("poster_logo", mode="before")
    @classmethod
    def _no_logo_when_empty(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("admins")
    @classmethod
    def _accounts_have_platform(cls, value: list[str]) -> list[str]:
        for item in value:
            platform, _, user = item.partition(":")
            if platform not in ("telegram", "matrix", "console") or not user:
                raise ValueError(
                    f"'{item}' must look like 'telegram:12345', 'matrix:@name:server' "
                    "or 'console:local'"
                )
        return value

    @field_validator("locales_dir", mode="before")
    @classmethod
    def _empty_is_shipped(cls, value: Any) -> Any:
        return None if value == "" else value

    @model_validator(mode="after")
    def _languages_have_catalogs(self) -> BotSection:
        folder = self.locales_dir or LOCALES_DIR
        found = catalog_languages(folder)
        missing = [code for code in self.languages if code not in found]
        if missing:
            raise ValueError(f"languages: no catalog {folder}/{missing[0]}/LC_MESSAGES/messages.po")
        self.languages = list(dict.fromkeys(self.languages)) or list(found)
        if not self.languages:
            raise ValueError(f"languages: no catalog found in {folder}")
        if not self.default_locale:
            self.default_locale = "de" if "de" in self.languages else self.languages[0]
        elif self.default_locale not in self.languages:
            raise ValueError(
                f"default_locale '{self.default_locale}' must be one of the languages "
                f"{', '.join(self.languages)}"
            )
        return self


class DatabaseSection(_Section):
    secret_keys = ("url", "password")
    section_name = "database"
    # Empty means an SQLite file in the data directory.
    url: str = ""
    # The PostgreSQL password, when it is not written into the URL (e.g. from password_file).
    password: SecretStr = SecretStr("")
    echo: bool = False
    # Group commit (bot/infra/group_commit.py): updates waiting for the database are
    # committed together, at most group_max at a time; group_wait_ms is a window before a
    # group is taken (0: only what queued meanwhile). "auto": on with SQLite, whose one
    # connection serialises updates anyway; off with PostgreSQL, where updates run side by
    # side on the pool and one slow update (a report) must not hold up the others.
    group_commit: bool | Literal["auto"] = "auto"
    group_max: int = Field(default=32, ge=1, le=1000)
    group_wait_ms: float = Field(default=0.0, ge=0, le=5000)

    @field_validator("url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if value and not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with 'sqlite+aiosqlite://' or 'postgresql+asyncpg://'")
        return value


class TelegramSection(_Section):
    secret_keys = ("token", "webhook_secret")
    section_name = "telegram"
    token: SecretStr = SecretStr("")
    base_url: str = "https://api.telegram.org/bot"
    mode: Literal["polling", "webhook"] = "polling"
    poll_timeout: int = Field(default=25, ge=0, le=50)
    max_in_flight: int = Field(default=1, ge=1, le=100)
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_path: str = "/telegram"
    webhook_url: str = ""
    # Telegram sends it with every webhook POST; without it anyone who can reach the port
    # could post updates "from" any user, an admin included. Required in webhook mode.
    webhook_secret: SecretStr = Field(default=SecretStr(""), validate_default=True)
    # Several bot processes on one host may share the webhook port (SO_REUSEPORT); the
    # system then spreads Telegram's connections over them.
    webhook_reuse_port: bool = False
    # The bot's overall sending rate; Telegram allows about 30 a second (more only with
    # paid broadcasts). Several processes share it.
    messages_per_second: int = Field(default=30, ge=1, le=1000)

    @field_validator("webhook_secret")
    @classmethod
    def _secret_in_webhook_mode(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        if info.data.get("mode") == "webhook":
            check_webhook_secret(value.get_secret_value())
        return value


WEBHOOK_SECRET_MIN = 32
# What Telegram allows in the secret (and so in the header it sends back).
_WEBHOOK_SECRET_CHARS = re.compile(r"[A-Za-z0-9_-]{1,256}")


def check_webhook_secret(secret: str) -> None:
    """Raise ValueError unless the secret is one Telegram accepts and long enough not to be
    guessed: 32 characters or more."""
    if len(secret) < WEBHOOK_SECRET_MIN:
        raise ValueError(
            f"webhook mode needs a secret of at least {WEBHOOK_SECRET_MIN} characters "
            "(e.g. the output of 'openssl rand -hex 32')"
        )
    if not _WEBHOOK_SECRET_CHARS.fullmatch(secret):
        raise ValueError("only A-Z, a-z, 0-9, '_' and '-' are allowed, at most 256 characters")


class MatrixSection(_Section):
    secret_keys = ("password", "access_token")
    section_name = "matrix"
    homeserver: str = ""
    user_id: str = ""
    password: SecretStr = SecretStr("")
    access_token: SecretStr = SecretStr("")
    device_name: str = "Lotsenbot"
    # A message the bot cannot decrypt is kept and retried while its key may still come;
    # after this long the sender is asked, once, to send it again.
    undecryptable_notice_seconds: float = Field(default=600.0, gt=0)


class ConsoleSection(_Section):
    # "auto": the console chat opens when neither Telegram nor Matrix is configured.
    enabled: Literal["auto", "yes", "no"] = "auto"
    user_name: str = "Gast"


class DeliverySection(_Section):
    batch_size: int = Field(default=50, ge=1, le=1000)
    max_backoff_seconds: float = Field(default=300.0, gt=0)
    poll_seconds: float = Field(default=5.0, gt=0)


class ClusterSection(_Section):
    # Only with PostgreSQL: how often a process says it is alive and tries to become the
    # leader. A dead leader is replaced within about this time (its lock goes with its
    # connection); a process not seen for three times this long counts as gone.
    heartbeat_seconds: float = Field(default=2.0, ge=0.2, le=60)


class WebSection(_Section):
    # A small web server for the calendar feed (/kalender/<group>.ics) and /health; off
    # unless wanted.
    enabled: bool = False
    # What it serves: each may be switched off, e.g. /health for monitoring without a
    # public calendar.
    calendar: bool = True
    health: bool = True
    # GET /metrics in the Prometheus text format; off unless wanted.
    metrics: bool = False
    # Loopback by default: a reverse proxy in front adds HTTPS and the public name.
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    # The address people use to reach the feed, e.g. "https://termine.stadt.example";
    # the bot shows it when it hands out a feed link.
    public_url: str = ""

    @field_validator("public_url")
    @classmethod
    def _web_address(cls, value: str) -> str:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("must start with 'https://' (or 'http://')")
        return value.rstrip("/")

    # /health answers 503 when a due message has waited longer than this (stuck delivery).
    health_max_delay_seconds: int = Field(default=600, ge=10)
    # The staff web page under /staff/ (sign-in through the chat with /web); off unless
    # wanted. Its links use public_url, so that must be set too.
    staff: bool = False
    # A signed-in browser is signed out after this long without a page opened, and after
    # staff_session_hours in any case.
    staff_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    staff_session_hours: int = Field(default=12, ge=1, le=7 * 24)


class RemindersSection(_Section):
    # When a date reminds everyone signed up, unless its series says otherwise:
    # "1d@10:00" the day before at 10:00 (the group's time), "2h" two hours before.
    default: list[str] = Field(default_factory=lambda: ["1d@10:00", "2h"])
    # What fell due while the bot was off is still sent this long after its time;
    # older is marked expired and staff are told.
    grace_minutes: int = Field(default=120, ge=0, le=7 * 24 * 60)
    # The feedback question goes out this long after a date ends.
    feedback_after_minutes: int = Field(default=30, ge=0, le=24 * 60)
    # One gentle second ask for feedback, this long after the first; never more.
    feedback_nudge_hours: int = Field(default=24, ge=1, le=14 * 24)
    # Ask for topic wishes after the feedback.
    ask_wishes: bool = True

    @field_validator("default")
    @classmethod
    def _offsets(cls, value: list[str]) -> list[str]:
        from bot.dates.jobs import parse_offset

        for spec in value:
            parse_offset(spec)
        return value


class VolunteersSection(_Section):
    # A help request is offered to this many fitting Digitallotsen at a time.
    offer_to: int = Field(default=3, ge=1, le=20)
    # Nobody took it after this long: the next fitting people are asked too.
    widen_after_hours: float = Field(default=4, gt=0, le=7 * 24)
    # Still nobody after this long: staff are told and take care of it.
    escalate_after_hours: float = Field(default=24, gt=0, le=14 * 24)


class EmailSection(_Section):
    """E-mail for people without a chat app (signed up by staff with an address)."""

    secret_keys = ("password", "link_secret")
    section_name = "email"
    # The SMTP server that takes the bot's mail; e-mail is off while this is empty.
    host: str = ""
    port: int = Field(default=587, ge=1, le=65535)
    # "starttls" (port 587), "tls" (port 465) or "none" (a relay on the same machine).
    security: Literal["starttls", "tls", "none"] = "starttls"
    user: str = ""
    password: SecretStr = SecretStr("")
    # The sender people see, e.g. "termine@digitalcafe.example" and "Digitalcafé Musterstadt".
    sender_address: str = ""
    sender_name: str = "Lotsenbot"
    # At most this many messages a minute (the provider's limit).
    rate_per_minute: int = Field(default=60, ge=1, le=100_000)
    # Signs the links in e-mails ("Ich kann nicht", the feedback question); empty: a random
    # one kept in the data directory (email-link-secret). Changing it ends the old links.
    link_secret: SecretStr = SecretStr("")
    # Bounces: the envelope sender is bounce+<message>@<domain>; the mail server hands mail
    # for those addresses to this small SMTP listener (0: no listener, bounces go unseen).
    bounce_domain: str = ""
    bounce_host: str = "127.0.0.1"
    bounce_port: int = Field(default=0, ge=0, le=65535)
    timeout_seconds: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _needs_sender(self) -> EmailSection:
        if self.host and "@" not in self.sender_address:
            raise ValueError("email.sender_address must be set when email.host is")
        return self


class PrivacySection(_Section):
    # Show the short data protection note after a person's first private message.
    first_contact_note: bool = True
    # Retention: details older than this are removed every day (counts stay).
    feedback_comment_months: int = Field(default=12, ge=1, le=120)
    help_details_months: int = Field(default=6, ge=1, le=120)
    unreachable_account_months: int = Field(default=12, ge=1, le=120)
    sent_message_days: int = Field(default=90, ge=1, le=3650)
    # Help requests under way but untouched this long lose their details too.
    stuck_help_months: int = Field(default=12, ge=1, le=120)
    # Half-finished dialogs (they can hold a phone number) without an answer.
    dialog_days: int = Field(default=7, ge=1, le=365)
    # The phone number of a sign-up taken by phone, counted from the date.
    sign_up_phone_days: int = Field(default=30, ge=1, le=3650)
    # People without a chat account (entered by staff), after their last date or help.
    person_without_account_months: int = Field(default=12, ge=1, le=120)
    # A Digitallotse's profile once they no longer hold the role, after its last change.
    former_volunteer_months: int = Field(default=12, ge=1, le=120)
    audit_log_months: int = Field(default=24, ge=1, le=120)
    # A person who sends more than this many messages in the window gets one polite note
    # and is then not answered until the window has passed.
    flood_messages: int = Field(default=30, ge=5, le=1000)
    flood_seconds: int = Field(default=60, ge=5, le=3600)


class DemoSection(_Section):
    enabled: bool = True
    community_name: str = "Digitalcafé Musterstadt"
    timezone: str = "Europe/Berlin"


class BackupSection(_Section):
    # A daily backup (see "lotsenbot backup") into this directory; off while it is empty.
    dir: str = ""
    # How many daily backups stay; older ones are removed after a new one is made.
    keep: int = Field(default=7, ge=1, le=3650)
    # When the daily backup is made ("HH:MM"), in ``timezone``.
    time: str = "03:00"
    timezone: str = "Europe/Berlin"
    # The PostgreSQL client programs, when the database is PostgreSQL.
    pg_dump: str = "pg_dump"
    pg_restore: str = "pg_restore"

    @field_validator("time")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", value):
            raise ValueError("must look like '03:00' (hours:minutes)")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{value}'") from None
        return value


class LoggingSection(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["text", "json"] = "text"


class Settings(BaseSettings):
    """The whole configuration of one deployment."""

    model_config = SettingsConfigDict(
        env_prefix="LOTSENBOT_", env_nested_delimiter="__", extra="forbid"
    )

    bot: BotSection = Field(default_factory=BotSection)
    database: DatabaseSection = Field(default_factory=DatabaseSection)
    telegram: TelegramSection = Field(default_factory=TelegramSection)
    matrix: MatrixSection = Field(default_factory=MatrixSection)
    console: ConsoleSection = Field(default_factory=ConsoleSection)
    delivery: DeliverySection = Field(default_factory=DeliverySection)
    web: WebSection = Field(default_factory=WebSection)
    email: EmailSection = Field(default_factory=EmailSection)
    cluster: ClusterSection = Field(default_factory=ClusterSection)
    reminders: RemindersSection = Field(default_factory=RemindersSection)
    volunteers: VolunteersSection = Field(default_factory=VolunteersSection)
    privacy: PrivacySection = Field(default_factory=PrivacySection)
    demo: DemoSection = Field(default_factory=DemoSection)
    backup: BackupSection = Field(default_factory=BackupSection)
    logging: LoggingSection = Field(default_factory=LoggingSection)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The TOML data arrives as init kwargs; the environment must win over it.
        return (env_settings, init_settings)

    @property
    def database_url(self) -> str:
        url = self.database.url or f"sqlite+aiosqlite:///{self.bot.data_dir / 'lotsenbot.db'}"
        password = self.database.password.get_secret_value()
        if password and self.database.url:
            from sqlalchemy.engine import make_url

            url = make_url(url).set(password=password).render_as_string(hide_password=False)
        return url

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram.token.get_secret_value())

    @property
    def matrix_enabled(self) -> bool:
        return bool(self.matrix.homeserver and self.matrix.user_id)

    @property
    def email_enabled(self) -> bool:
        return bool(self.email.host)

    @property
    def console_enabled(self) -> bool:
        if self.console.enabled == "auto":
            return not (self.telegram_enabled or self.matrix_enabled)
        return self.console.enabled == "yes"


def _env_name(section: str, key: str) -> str | None:
    """The environment variable that set ``section.key``, if one did."""
    wanted = f"{ENV_PREFIX}{section}__{key}".upper()
    return next((name for name in os.environ if name.upper() == wanted), None)


def _source(section: str, key: str, file: Path | None) -> str:
    env = _env_name(section, key)
    if env:
        return f"environment variable {env}"
    return str(file) if file else "built-in defaults"


def _describe(error: ValidationError, file: Path | None) -> str:
    first = error.errors()[0]
    loc = [str(part) for part in first["loc"]]
    key = ".".join(loc) or "(top level)"
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "unknown key"
    source = _source(loc[0], loc[1], file) if len(loc) >= 2 else (str(file) if file else "")
    return f"{source}: {key}: {message}" if source else f"{key}: {message}"


def _describe_problem(problem: _KeyProblem, file: Path | None) -> str:
    names = [_env_name(problem.section, key) or f"{problem.section}.{key}" for key in problem.keys]
    in_file = any(not _env_name(problem.section, key) for key in problem.keys)
    where = f"{file}: " if in_file and file else ""
    return f"{where}{' and '.join(names)}: {problem.message}"


def _check_environment() -> None:
    """A LOTSENBOT_SECTION__KEY variable must name a known section and key; a typo is named
    as the variable it is, not blamed on a file that may not exist."""
    for name in os.environ:
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or "__" not in upper:
            continue
        section, _, key = upper[len(ENV_PREFIX) :].lower().partition("__")
        field = Settings.model_fields.get(section)
        if field is None:
            raise ConfigError(f"environment variable {name}: there is no section [{section}]")
        model = field.annotation
        secret_files = {k + FILE_SUFFIX for k in getattr(model, "secret_keys", ())}
        if key not in model.model_fields and key not in secret_files:  # type: ignore[union-attr]
            raise ConfigError(f"environment variable {name}: unknown key {section}.{key}")


def config_file(path: Path | str | None = None) -> tuple[Path | None, bool]:
    """The configuration file to read and whether it was named (then it must exist):
    ``--config``, else ``$LOTSENBOT_CONFIG``, else the first of ./config.toml and
    /etc/lotsenbot/config.toml that exists, else none (built-in defaults)."""
    if path:
        return Path(path), True
    named = os.environ.get(CONFIG_ENV)
    if named:
        return Path(named), True
    return next((file for file in DEFAULT_CONFIG_FILES if file.exists()), None), False


def load_settings(path: Path | str | None = None, *, explicit: bool = False) -> Settings:
    """Read the TOML file (see config_file; a missing file means defaults unless it was
    named) plus the environment."""
    file, named = config_file(path)
    data: dict[str, Any] = {}
    if file is not None and file.exists():
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file}: not valid TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"{file}: cannot read: {exc.strerror or exc}") from None
    elif file is not None and (explicit or (named and path is None)):
        via = "" if path else f"{CONFIG_ENV}: "
        raise ConfigError(f"{via}{file}: file not found")
    _check_environment()
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, file)) from None
    except _KeyProblem as problem:
        raise ConfigError(_describe_problem(problem, file)) from None


def masked(settings: Settings) -> dict[str, Any]:
    """The effective configuration as plain data, secrets replaced by stars (also the
    password in the database URL, and any configured secret repeated in another key)."""
    from bot.infra.logs import MASK, redact

    data = settings.model_dump(mode="json")
    for section in data.values():
        for key, value in section.items():
            if isinstance(value, str) and value and _is_secret(key):
                section[key] = MASK
            elif isinstance(value, str):
                section[key] = redact(value)
    return data


def secret_values(settings: Settings) -> list[str]:
    """Every configured secret value, for masking wherever it might turn up."""
    values = [
        settings.telegram.token.get_secret_value(),
        settings.telegram.webhook_secret.get_secret_value(),
        settings.matrix.password.get_secret_value(),
        settings.matrix.access_token.get_secret_value(),
        settings.database.password.get_secret_value(),
        settings.email.password.get_secret_value(),
        settings.email.link_secret.get_secret_value(),
    ]
    # The part after "12345:" is the secret half of a Telegram token.
    values.append(values[0].partition(":")[2])
    if settings.database.url:
        from sqlalchemy.engine import make_url

        try:
            values.append(make_url(settings.database.url).password or "")
        except Exception:  # a URL SQLAlchemy cannot read has no password to add
            pass
    return [value for value in values if value]


def _is_secret(key: str) -> bool:
    return key in ("token", "password", "access_token", "webhook_secret", "link_secret")
