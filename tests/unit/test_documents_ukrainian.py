"""Every PDF of a group whose language is Ukrainian is in Ukrainian: poster, door sheet,
volunteer certificate and half-year report, read back from the text layer (pypdf). Dates
are written in Ukrainian forms from Babel ("середа, 9 грудня 2026 р.", "січень 2026")."""

from __future__ import annotations

from datetime import date, timedelta

from bot.certificates.document import certificate_pdf
from bot.dates.door_sheet import door_sheet_pdf
from bot.dates.poster import poster_pdf
from bot.exports import report
from bot.exports.report_pdf import report_pdf
from bot.exports.tables import Scope
from bot.language import i18n
from tests.pdfs import keep_pages, text_of
from tests.unit.test_documents import H2, URL, _community, _event, _figures, _record, translated

GROUP = _community(locale="uk", name="Цифрове кафе Мюнстер", contact="Олена, тел. 0123 456")
CAFE = _event(title="Цифрове кафе", place="Бібліотека", topic="Смартфон")


def test_the_poster_is_in_ukrainian() -> None:
    later = _event(id=8, title="Цифрове кафе", starts_at=CAFE.starts_at + timedelta(days=7))
    pdf = translated(
        lambda: poster_pdf(GROUP, [CAFE, later], sign_up_url=URL, groups=[("Telegram", "Кафе")])
    )
    text = text_of(pdf)
    assert "Наступні зустрічі:" in text
    assert "середа, 9 грудня 2026 р., 15:00, Бібліотека" in text
    assert "Запис: у Telegram, група «Кафе» або через Олена, тел. 0123 456" in text
    assert "Скануйте телефоном, щоб записатися" in text
    keep_pages(pdf, "poster-uk")


def test_the_door_sheet_is_in_ukrainian() -> None:
    pdf = translated(
        lambda: door_sheet_pdf(GROUP, CAFE, "48213", "https://t.me/x?start=hier_48213", "/hier")
    )
    text = text_of(pdf)
    assert text.startswith("Ви тут? Цифрове кафе середа, 9 грудня 2026 р., з 15:00 до 17:00")
    assert "Відскануйте код телефоном. Або напишіть боту: /hier 48213" in text
    assert "Тоді ми знаємо, що ви тут. Дякуємо!" in text


def test_the_certificate_is_in_ukrainian_with_months_named_as_headings() -> None:
    pdf = translated(
        lambda: certificate_pdf(
            _record(helps=30, dates=40), GROUP, "Олена Шевченко", date(2026, 12, 7)
        )
    )
    text = text_of(pdf)
    assert "Довідка про волонтерську роботу" in text
    assert "Період: з 1 січня 2026 р. до 31 грудня 2026 р." in text
    # A month on its own is in the nominative ("січень"), not as in a date ("1 січня").
    assert "січень 2026: 3 запити про допомогу" in text
    assert "грудень 2026, 3 зустрічі: Олена Шевченко" in text
    assert "січня 2026:" not in text
    assert "Щиро дякуємо за вашу допомогу!" in text
    assert "Видано понеділок, 7 грудня 2026 р." in text
    assert "Сторінка 1 з 2" in text and "Сторінка 2 з 2" in text
    keep_pages(pdf, "certificate-uk")


def test_the_report_is_in_ukrainian() -> None:
    scope = Scope(GROUP, H2)
    days = [(date(2026, 7, 7) + timedelta(weeks=n), 5 + n % 4) for n in range(20)]
    f = _figures(days)

    def make() -> bytes:
        with i18n.use_locale("uk"):
            charts = [report.attendance_chart(f, scope), report.rating_chart(f, scope)]
            return report_pdf(scope, f, [*charts, report.skill_chart(f, scope)])

    pdf = translated(make)
    text = text_of(pdf)
    assert text.startswith("Піврічний звіт: Цифрове кафе Мюнстер У другому півріччі 2026")
    assert "Відвідування: 130" in text
    assert "Для ваших груп і преси" in text
    assert "Цифрове кафе Мюнстер · У другому півріччі 2026 Сторінка 2 з 2" in text
    keep_pages(pdf, "report-uk")


def test_a_report_for_a_period_that_is_no_half_year_names_its_days_in_ukrainian() -> None:
    scope = Scope(GROUP, type(H2)(date(2026, 3, 1), date(2026, 5, 31)))

    def words() -> str:
        with i18n.use_locale("uk"):
            return report.period_words(scope)

    # Babel's long Ukrainian date: "р." for the year, after a narrow no-break space.
    assert translated(words) == "З 1 березня 2026\u202fр. до 31 травня 2026\u202fр."
