"""The export use case without a chat (bot/exports/files.export), on both databases: who may
export, whether names show, and the audit log; the chat and ``lotsenbot export`` call it."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.models import AuditLog
from bot.domain.roles import COORDINATOR, MEMBER
from bot.exports import files
from bot.exports.choices import ATTENDANCE, CSV, XLSX, Period
from tests.unit.work_world import demo_id, person, rows, work


def _half_year(app) -> Period:  # type: ignore[no-untyped-def]
    today = app.clock.now().date()
    return Period(today - timedelta(days=180), today)


async def test_only_the_coordination_exports_and_each_export_is_logged(app) -> None:  # type: ignore[no-untyped-def]
    here = await demo_id(app)
    bea = await person(app, "Bea", MEMBER)
    cora = await person(app, "Cora", COORDINATOR)
    period = _half_year(app)
    async with work(app) as w:
        refused = await files.export(
            w, here, period, ATTENDANCE, names=True, asker=files.Asker(bea), via="chat"
        )
        assert refused == "not_allowed"
        assert await files.export(w, None, period, "all", asker=files.Asker(cora), via="chat") == (
            "unknown"
        )
        made = await files.export(
            w, here, period, ATTENDANCE, CSV, ";", True, asker=files.Asker(cora), via="chat"
        )
    assert isinstance(made, files.Made)
    assert made.request.names and made.request.community.id == here
    [attachment] = made.result.files
    assert attachment.filename.endswith(".csv") and attachment.data
    [log] = await rows(app, AuditLog, AuditLog.action == "export")
    assert (log.actor_person_id, log.community_id) == (cora, here)
    assert (log.details["what"], log.details["format"], log.details["names"]) == (
        ATTENDANCE,
        CSV,
        True,
    )
    assert log.details["via"] == "chat"


async def test_the_command_line_exports_by_short_name_as_nobody(app) -> None:  # type: ignore[no-untyped-def]
    here = await demo_id(app)
    async with work(app) as w:
        assert await files.export(
            w, "gibt-es-nicht", _half_year(app), "all", asker=None, via="cli"
        ) == ("unknown")
        made = await files.export(
            w, str(here), _half_year(app), "all", XLSX, asker=None, via="cli", locale="en"
        )
    assert isinstance(made, files.Made) and not made.request.names
    [workbook] = made.result.files
    assert workbook.filename.endswith(".xlsx")
    [log] = await rows(app, AuditLog, AuditLog.action == "export")
    assert (log.actor_person_id, log.details["via"]) == (None, "cli")
