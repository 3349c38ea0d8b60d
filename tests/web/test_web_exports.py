"""Exports on the staff page: the tables as XLSX and the half-year report as PDF, one
button each, with the chat's file names; only the coordination gets files; a member and
the team of another group are refused (status and an unchanged audit log)."""

from __future__ import annotations

import io

import openpyxl
from sqlalchemy import func, select

from bot.domain.models import AuditLog
from tests.web.conftest import ADA, BEA, CARL, MIA, Site
from tests.web.test_door import plan, signed_in, token_of

EXPORTS = "/staff/exports"


async def exports_made(site: Site) -> int:
    async with site.app.sessions() as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(AuditLog).where(AuditLog.action == "export")
            )
        )


async def test_tables_and_report_download(site: Site) -> None:
    await plan(site)
    async with await signed_in(site, ADA) as browser:
        status, html = await site.page(browser, f"{EXPORTS}?community=1")
        assert status == 200
        assert "Exporte: Digitalcafé Musterstadt" in html
        assert 'value="dieses halbjahr" checked' in html
        form = {"csrf": token_of(browser), "community": "1", "period": "dieses halbjahr"}
        async with browser.post(site.base + EXPORTS, data={**form, "what": "tables"}) as got:
            assert got.status == 200
            disposition = got.headers["Content-Disposition"]
            data = await got.read()
        async with browser.post(site.base + EXPORTS, data={**form, "what": "report"}) as got:
            assert got.status == 200
            report = got.headers["Content-Disposition"], await got.read()
    assert disposition == (
        'attachment; filename="digitalcafe-musterstadt-tabellen-2026-07-01-2026-12-31.xlsx"'
    )
    book = openpyxl.load_workbook(io.BytesIO(data))
    cells = {str(c.value) for sheet in book for row in sheet.iter_rows() for c in row}
    assert "Sprechstunde" in cells
    assert report[0] == (
        'attachment; filename="digitalcafe-musterstadt-bericht-2026-07-01-2026-12-31.pdf"'
    )
    assert report[1].startswith(b"%PDF")
    assert await exports_made(site) == 2


async def test_wrong_choices_and_the_team_without_coordination(site: Site) -> None:
    async with await signed_in(site, ADA) as browser:
        form = {"csrf": token_of(browser), "community": "1"}
        for wrong in (
            {"period": "nächstes jahrzehnt", "what": "tables"},
            {"period": "dieses jahr", "what": "everything"},
            {},
        ):
            async with browser.post(site.base + EXPORTS, data={**form, **wrong}) as got:
                assert got.status == 400
                assert "Bitte wählen Sie einen Zeitraum" in await got.text()
    async with await signed_in(site, BEA) as browser:
        status, _ = await site.page(browser, f"{EXPORTS}?community=1")
        assert status == 200
        form = {"csrf": token_of(browser), "community": "1", "period": "dieses jahr"}
        async with browser.post(site.base + EXPORTS, data={**form, "what": "tables"}) as got:
            assert got.status == 403
            assert "nur die Koordination" in await got.text()
    assert await exports_made(site) == 0


async def test_member_and_other_team_are_refused(site: Site) -> None:
    for who in (MIA, CARL):
        async with await signed_in(site, who) as browser:
            for path in (f"{EXPORTS}?community=1", EXPORTS, f"{EXPORTS}?community=x"):
                status, html = await site.page(browser, path)
                assert status == 403, path
                assert "Exporte" not in html
            form = {"csrf": token_of(browser), "community": "1", "period": "dieses jahr"}
            for what in ("tables", "report"):
                async with browser.post(site.base + EXPORTS, data={**form, "what": what}) as got:
                    assert got.status == 403
    async with await signed_in(site, ADA) as browser:
        form = {"community": "1", "period": "dieses jahr", "what": "tables"}
        async with browser.post(site.base + EXPORTS, data=form) as got:
            assert got.status == 403  # no CSRF token
    assert await exports_made(site) == 0
