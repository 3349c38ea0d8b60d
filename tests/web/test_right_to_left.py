"""A language written right to left (Arabic, from a fixture catalog a town could add) turns
the staff and the public web pages around: ``<html lang="ar" dir="rtl">``, from Babel's
text direction, with no code for the language."""

from __future__ import annotations

from pathlib import Path

from tests.languages import catalog, locales_with
from tests.web.conftest import BEA, Site, open_site

ARABIC = catalog(
    "ar",
    "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : "
    "n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);",
    {
        "Next dates": "المواعيد القادمة",
        "Our dates: {name}": "مواعيدنا: {name}",
    },
)
PAGE = "/termine/digitalcafe-musterstadt"


async def _page(site: Site, path: str) -> str:
    async with site.browser() as browser:
        status, html = await site.page(browser, path)
    assert status == 200, html
    return html


async def test_the_public_page_in_arabic_is_right_to_left(db_url: str, tmp_path: Path) -> None:
    folder = locales_with(tmp_path, "ar", ARABIC)
    languages = ["de", "en", "uk", "ar"]
    async with open_site(
        db_url, tmp_path, public=True, locales_dir=str(folder), languages=languages
    ) as site:
        german = await _page(site, PAGE)
        arabic = await _page(site, f"{PAGE}?lang=ar")
        ukrainian = await _page(site, f"{PAGE}?lang=uk")
    assert '<html lang="de">' in german
    # Every other language is offered, named in itself; Arabic's name reads right to left.
    assert '<a href="?lang=ar" hreflang="ar" lang="ar" dir="rtl">العربية</a>' in german
    assert '<a href="?lang=uk" hreflang="uk" lang="uk">Українська</a>' in german
    assert '<html lang="ar" dir="rtl">' in arabic
    assert "<title>مواعيدنا: Digitalcafé Musterstadt</title>" in arabic
    assert '<html lang="uk">' in ukrainian
    assert "<title>Наші зустрічі: Digitalcafé Musterstadt</title>" in ukrainian


async def test_the_staff_page_of_someone_who_chose_arabic_is_right_to_left(
    db_url: str, tmp_path: Path
) -> None:
    folder = locales_with(tmp_path, "ar", ARABIC)
    languages = ["de", "en", "uk", "ar"]
    async with open_site(db_url, tmp_path, locales_dir=str(folder), languages=languages) as site:
        [question] = await site.chat.say(BEA, "/sprache")
        await site.chat.press(BEA, question, "العربية")
        browser = site.browser()
        async with browser:
            assert (await site.sign_in(browser, await site.link(BEA))).status == 303
            status, html = await site.page(browser, "/staff/")
    assert status == 200
    assert '<html lang="ar" dir="rtl">' in html
    assert "المواعيد القادمة" in html
