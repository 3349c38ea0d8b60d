"""The ``lotsenbot`` command: run, migrate, check-config, privacy-report, qr, export, --version."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from bot.config import (
    ConfigError,
    Settings,
    config_file,
    load_settings,
    masked,
    secret_values,
)
from bot.infra.failures import CannotStart, database_failure
from bot.infra.logs import redact, setup_logging
from bot.infra.package_data import catalog_languages, installed_version
from bot.infra.private_files import restrict_umask, secure_tree

# Commands that write the database or files with personal data (exports).
_WRITING = ("run", "migrate", "export", "backup", "restore")


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        type=Path,
        default=argparse.SUPPRESS,
        help="TOML configuration file (default: $LOTSENBOT_CONFIG, else ./config.toml, else "
        "/etc/lotsenbot/config.toml; built-in defaults when none exists)",
    )
    common.add_argument(
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="when the start fails, show the whole traceback, not only the one line",
    )
    parser = argparse.ArgumentParser(
        prog="lotsenbot",
        description="Chat bot for Digitalcafés, courses and Digitallotsen.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"lotsenbot {installed_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser(
        "run",
        parents=[common],
        help="start the bot (the console chat when no platform is configured)",
        description="Migrate an SQLite database if needed, then start the bot. With no Telegram "
        "or Matrix credentials it opens the console chat; /ende or Ctrl-D quits.",
    )
    migrate = commands.add_parser(
        "migrate",
        parents=[common],
        help="bring the database schema up to date",
        description="Run the Alembic migrations against the configured database.",
    )
    migrate.add_argument("--revision", default="head", help="target revision (default: head)")
    migrate.add_argument(
        "--downgrade", action="store_true", help="go down to --revision instead of up"
    )
    commands.add_parser(
        "check-config",
        parents=[common],
        help="print the effective configuration with secrets masked",
        description="Load config.toml and the LOTSENBOT_* environment, validate them and print "
        "the result with tokens and passwords masked.",
    )
    report = commands.add_parser(
        "privacy-report",
        parents=[common],
        help="print the record of processing activities (GDPR Art. 30) as Markdown",
        description="Print, from the configuration in use and the database (when it can be "
        "read), a record of processing activities: controller, purposes, people and data, "
        "recipients, transfers, retention per table as configured, and measures.",
    )
    report.add_argument(
        "--lang",
        choices=catalog_languages(),
        default="de",
        help="language of the record (default: de)",
    )
    qr = commands.add_parser(
        "qr",
        parents=[common],
        help="make the check-in QR code of a date as a PNG picture",
        description="Write the QR code people scan at the venue to check in (Telegram), and "
        "print the number they can type instead (Matrix, console). DATE is the date's number "
        "(shown by /termine to staff) or a day such as 2026-12-09 or 9.12.2026.",
    )
    qr.add_argument("date", metavar="DATE", help="number of the date, or its day")
    qr.add_argument(
        "--out", type=Path, default=None, help="PNG file to write (default: checkin-<number>.png)"
    )
    from bot.exports.cli import add_parser as add_export

    add_export(commands, common)
    _operations(commands, common)
    return parser


def _operations(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    backup = commands.add_parser(
        "backup",
        parents=[common],
        help="write the database and the data directory into one file (also while running)",
        description="Write a backup: the database (SQLite through its online backup API, "
        "safe while the bot runs; PostgreSQL through pg_dump) and the files in the data "
        "directory (the Matrix keys among them) into one .tar.gz file.",
    )
    backup.add_argument("file", metavar="FILE", type=Path, help="the backup file to write")
    backup.add_argument("--force", action="store_true", help="replace FILE if it exists")
    restore = commands.add_parser(
        "restore",
        parents=[common],
        help="put a backup back into an empty data directory",
        description="Unpack a backup made by 'lotsenbot backup' into the configured, empty "
        "data directory (and database); then start the bot as usual.",
    )
    restore.add_argument("file", metavar="FILE", type=Path, help="the backup file to read")
    move = commands.add_parser(
        "move-to-postgres",
        parents=[common],
        help="copy a stopped SQLite deployment into an empty PostgreSQL database",
        description="Migrate the empty PostgreSQL database at URL, copy every table of the "
        "configured SQLite database into it and compare the row counts. Stop the bot first; "
        "afterwards set [database] url to URL.",
    )
    move.add_argument("url", metavar="URL", help="e.g. postgresql://lotsenbot@localhost/lotsenbot")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    config_path: Path | None = getattr(args, "config", None)
    try:
        settings = load_settings(config_path, explicit=config_path is not None)
    except ConfigError as exc:
        print(f"lotsenbot: configuration error: {exc}", file=sys.stderr)
        return 2
    setup_logging(
        settings.logging.level,
        json_lines=settings.logging.format == "json",
        secrets=secret_values(settings),
    )
    if args.command == "check-config":
        print(redact(json.dumps(masked(settings), indent=2, ensure_ascii=False)))
        return 0
    if args.command == "privacy-report":
        from bot.privacy.record import report

        file, _ = config_file(config_path)
        used = file if file is not None and file.exists() else None
        print(asyncio.run(report(settings, used, args.lang)), end="")
        return 0
    if args.command in _WRITING:
        # Before anything is created: the data directory 0700, every file in it 0600, also
        # those SQLite and nio create themselves.
        restrict_umask()
        secure_tree(settings.bot.data_dir)
    try:
        return _command(settings, args)
    except CannotStart as exc:
        if getattr(args, "verbose", False):
            logging.getLogger("lotsenbot").error("lotsenbot %s failed", args.command, exc_info=exc)
        # One line the operator can act on; through redact, as a setting may hold a secret.
        print(redact(f"lotsenbot: {exc}"), file=sys.stderr)
        return exc.code
    except Exception:
        # Through the masking log handler, not Python's own traceback printer.
        logging.getLogger("lotsenbot").exception("lotsenbot %s failed", args.command)
        return 1


def _command(settings: Settings, args: argparse.Namespace) -> int:
    if args.command == "migrate":
        return _migrate(settings, args.revision, args.downgrade)
    if args.command == "qr":
        from bot.dates.checkin_qr import write_qr
        from bot.offline import configured_platforms, offline_deep_link

        link = partial(offline_deep_link, settings)
        platforms = configured_platforms(settings)
        return asyncio.run(write_qr(settings, args.date, args.out, link, platforms))
    if args.command == "export":
        from bot.exports.cli import run_export

        return asyncio.run(run_export(settings, args))
    if args.command in ("backup", "restore", "move-to-postgres"):
        return _operate(settings, args)
    return _run(settings)


def _operate(settings: Settings, args: argparse.Namespace) -> int:
    """backup, restore and move-to-postgres: one line on stderr when they cannot be done."""
    from bot.infra import backup, move

    try:
        if args.command == "backup":
            made = backup.backup(
                settings.database_url,
                settings.bot.data_dir,
                args.file,
                force=args.force,
                version=installed_version(),
                pg_dump=settings.backup.pg_dump,
            )
            print(f"backup written: {args.file} ({made.database}, migration {made.migration})")
        elif args.command == "restore":
            made = backup.restore(
                args.file,
                settings.database_url,
                settings.bot.data_dir,
                pg_restore=settings.backup.pg_restore,
            )
            print(f"restored: {args.file} (made {made.created_at}, version {made.version})")
        else:
            move.move(settings.database_url, args.url)
            print("moved; now set [database] url to the PostgreSQL URL and start the bot")
    except (backup.BackupError, move.MoveError) as exc:
        print(f"lotsenbot: {exc}", file=sys.stderr)
        return 1
    return 0


def _migrate(settings: Settings, revision: str, down: bool) -> int:
    from bot.infra import migrate

    with _database(settings):
        if down:
            migrate.downgrade(settings.database_url, revision)
        else:
            migrate.upgrade(settings.database_url, revision)
    logging.getLogger("lotsenbot").info("database at %s", revision)
    return 0


def _run(settings: Settings) -> int:
    from bot.infra.process_lock import AlreadyRunning, sqlite_lock

    # Held for the process's life (the kernel drops it when the process ends): a second
    # process on the same SQLite file would lead too and resend the first one's messages.
    lock = sqlite_lock(settings.database_url)
    try:
        if lock is not None:
            lock.acquire()
        return _run_locked(settings)
    except AlreadyRunning as exc:
        print(f"lotsenbot: {exc}", file=sys.stderr)
        return 1
    finally:
        if lock is not None:
            lock.release()


def _run_locked(settings: Settings) -> int:
    from bot.bootstrap import build_app, run
    from bot.infra import migrate

    if settings.database_url.startswith("sqlite"):
        # The embedded database migrates itself; a shared one is migrated by the operator.
        with _database(settings):
            migrate.upgrade(settings.database_url)

    async def main_async() -> int:
        app = build_app(settings)
        if not settings.database_url.startswith("sqlite"):
            try:
                with _database(settings):
                    current = await migrate.database_revision(app.engine)
            except CannotStart:
                await app.close()
                raise
            if current != migrate.head_revision():
                await app.close()
                print(
                    "lotsenbot: the database is not up to date; run 'lotsenbot migrate' first",
                    file=sys.stderr,
                )
                return 2
        await run(app)
        return 0

    return asyncio.run(main_async())


@contextmanager
def _database(settings: Settings) -> Iterator[None]:
    """The first contact with the database: what keeps the bot from it becomes one line."""
    try:
        yield
    except Exception as exc:
        failure = database_failure(exc, settings.database_url)
        if failure is None:
            raise
        raise failure from exc
