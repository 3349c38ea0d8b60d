"""``lotsenbot export COMMUNITY``: the coordinator's tables and the half-year report as files,
with the same options as /export in the chat and the same use case (``files.export``).
Logged in the audit log like a chat export."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from bot.config import Settings
from bot.domain.work import Work
from bot.exports.choices import CSV, KINDS, REPORT, XLSX, parse_period
from bot.exports.files import export
from bot.infra.db import create_engine, session_factory
from bot.infra.package_data import catalog_languages
from bot.language.i18n import Catalogs, install

WHAT = (*KINDS, "all", REPORT)


def add_parser(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    export = commands.add_parser(
        "export",
        parents=[common],
        help="write attendance, feedback, volunteer figures or the half-year report to files",
        description="Export one community's figures for a period, as /export does in the chat. "
        "People appear under labels that hold within one export unless --names is given.",
    )
    export.add_argument("community", metavar="COMMUNITY", help="number or short name")
    export.add_argument(
        "--what",
        choices=WHAT,
        default="all",
        help="which table, 'all' for every table, or 'report' for the half-year report",
    )
    export.add_argument("--format", choices=(XLSX, CSV), default=XLSX, dest="fmt")
    export.add_argument(
        "--separator", choices=(",", ";"), default=",", help="CSV separator (';' for Excel)"
    )
    export.add_argument(
        "--period",
        default="dieses Halbjahr",
        help="e.g. 'dieses Halbjahr', 'letztes Halbjahr', '1. Halbjahr 2026', '2026', "
        "'1.1.2026 - 30.6.2026' (default: this half year)",
    )
    export.add_argument("--names", action="store_true", help="show names instead of labels")
    export.add_argument("--lang", choices=catalog_languages(), default=None, help="column titles")
    export.add_argument("--out", type=Path, default=Path("."), help="folder for the files")


async def run_export(settings: Settings, args: argparse.Namespace) -> int:
    now = datetime.now().astimezone()
    period = parse_period(args.period, now.date())
    if period is None:
        print(f"lotsenbot: cannot read the period {args.period!r}", file=sys.stderr)
        return 2
    install(Catalogs.for_settings(settings))
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    try:
        async with sessions.begin() as session:
            made = await export(
                Work(session, now),
                args.community,
                period,
                args.what,
                args.fmt,
                args.separator,
                args.names,
                asker=None,
                via="cli",
                locale=args.lang,
            )
    finally:
        await engine.dispose()
    if made == "unknown":
        print(f"lotsenbot: there is no community {args.community!r}", file=sys.stderr)
        return 2
    assert not isinstance(made, str)
    community, result = made.request.community, made.result
    args.out.mkdir(parents=True, exist_ok=True)
    for attachment in result.files:
        target = args.out / attachment.filename
        target.write_bytes(attachment.data)
        print(f"written: {target}")
    if args.what == REPORT:
        for name, text in (("zusammenfassung", result.summary), ("oeffentlich", result.public)):
            target = args.out / f"{community.slug}-{name}.txt"
            target.write_text(text + "\n", encoding="utf-8")
            print(f"written: {target}")
        print()
        print(result.summary)
        print()
        print(result.public)
    print(f"rows: {result.rows}")
    return 0
