"""Languages come from catalog folders: a Ukrainian speaker is served in Ukrainian, dates
typed as numbers work in any language, and a new folder plus one config line is a language."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from odf import teletype
from odf.opendocument import load
from odf.text import H, P
from sqlalchemy import select, update

from bot.bootstrap import build_app, prepare
from bot.domain.models import Community, Event, Person, Rsvp
from tests.conftest import make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.memory import Conversation, MemoryAdapter
from tests.fakes.memory import Person as Someone
from tests.handlers.conftest import ADA, GROUP
from tests.languages import locales_with

# Telegram tells her app's language: language_code "uk".
OLENA = Someone("500", "Olena", "uk")


async def test_a_ukrainian_speaker_is_answered_in_ukrainian(tg: Conversation) -> None:
    [greeting] = await tg.say(OLENA, "/start", chat=tg.group(GROUP))
    assert greeting.text.startswith("Вітаю, Olena!\nЯ помічник групи Digitalcafé Musterstadt.")
    assert "Digitalcafé: середа, 25 листопада 2026\u202fр., 15:00" in greeting.text
    assert "Напишіть /help. Тоді я покажу вам, що вмію." in greeting.text

    [menu] = await tg.say(OLENA, "/help")
    assert menu.text == "Що ви хочете зробити?"
    assert [label for label, _ in menu.buttons] == [
        "Зустрічі",
        "Допомога волонтера",
        "Усі команди",
    ]
    [commands] = await tg.press(OLENA, menu, "Усі команди")
    assert commands.text.startswith("Ось що я вмію:")
    assert "/language – Вибрати мову" in commands.text

    [preview] = await tg.say(ADA, "/termin_neu Digitalcafé; 2.12. 15 Uhr; Stadtbibliothek; 15")
    await tg.press(ADA, preview, "Speichern und jetzt ankündigen")
    [post] = [s for s in tg.adapter.to(GROUP) if s.buttons]
    [confirmed] = await tg.press(OLENA, post, "Ich komme", chat=tg.group(GROUP))
    assert confirmed.chat_id == "dm-500"
    assert confirmed.text.startswith(
        "Ви записані. Чекаємо на вас!\n\nDigitalcafé\nсереда, 2 грудня 2026\u202fр., 15:00"
    )
    # The greeting's example question is understood as she writes it.
    [asked] = await tg.say(OLENA, "Коли наступна зустріч?")
    assert asked.text.startswith("Digitalcafé\nсереда, 25 листопада 2026\u202fр., з 15:00 до 17:00")
    assert "Вільно 15 з 15 місць." in asked.text
    [dates] = await tg.say(OLENA, "/termine")
    assert dates.text.startswith("Наступні зустрічі:\n№ 1: Digitalcafé, середа, 25 листопада")
    async with tg.app.sessions() as session:
        olena = await session.scalar(select(Person).where(Person.display_name == "Olena"))
        assert olena is not None
        assert await session.scalar(select(Rsvp).where(Rsvp.person_id == olena.id)) is not None


async def test_ukrainian_is_offered_and_confirmed_in_ukrainian(tg: Conversation) -> None:
    [question] = await tg.say(ADA, "/sprache")
    assert [label for label, _ in question.buttons] == ["Deutsch", "English", "Українська"]
    [done] = await tg.press(ADA, question, "Українська")
    assert done.text == "Дякую. Відтепер я пишу вам українською."
    # Typed as a word in any spelling the language list knows, too.
    await tg.say(ADA, "/language")
    [typed] = await tg.say(ADA, "ukrainian")
    assert typed.text == "Дякую. Відтепер я пишу вам українською."


@pytest.mark.parametrize(
    "when",
    ["24.12. 14:30", "24.12.2026 14.30 Uhr", "2026-12-24 14:30", "24/12 14:30", "24/12/2026 14:30"],
)
async def test_dates_typed_as_numbers_work_in_any_language(tg: Conversation, when: str) -> None:
    [question] = await tg.say(ADA, "/sprache")
    await tg.press(ADA, question, "Українська")
    [preview] = await tg.say(ADA, f"/termin_neu Цифрове кафе; {when}; Stadtbibliothek; 15")
    assert preview.text.startswith("Так це побачать учасники:")
    [saved] = await tg.press(ADA, preview, "Зберегти")
    assert saved.text.startswith("Збережено: Цифрове кафе, четвер, 24 грудня 2026")
    async with tg.app.sessions() as session:
        starts = await session.scalar(select(Event.starts_at).where(Event.title == "Цифрове кафе"))
    assert starts is not None
    assert starts.replace(tzinfo=UTC) == datetime(2026, 12, 24, 13, 30, tzinfo=UTC)  # 14:30 Berlin


@pytest.mark.parametrize(
    ("language", "when", "saved"),
    [
        ("Українська", "вівторок, 15 грудня 15:00", "Збережено: Кафе, вівторок, 15 грудня 2026"),
        ("Українська", "15 груд. 15:00", "Збережено: Кафе, вівторок, 15 грудня 2026"),
        ("English", "Tuesday, 15 December 15:00", "Saved: Кафе, Tuesday, 15 December 2026"),
    ],
)
async def test_day_and_month_words_of_the_persons_language_work(
    tg: Conversation, language: str, when: str, saved: str
) -> None:
    [question] = await tg.say(ADA, "/sprache")
    await tg.press(ADA, question, language)
    [preview] = await tg.say(ADA, f"/termin_neu Кафе; {when}; Stadtbibliothek; 15")
    [done] = await tg.press(ADA, preview, preview.buttons[0][0])
    assert done.text.startswith(saved)
    async with tg.app.sessions() as session:
        starts = await session.scalar(select(Event.starts_at).where(Event.title == "Кафе"))
    assert starts is not None
    assert starts.replace(tzinfo=UTC) == datetime(2026, 12, 15, 14, 0, tzinfo=UTC)  # 15:00 Berlin


async def test_a_wrong_day_in_words_is_answered_in_ukrainian(tg: Conversation) -> None:
    [question] = await tg.say(ADA, "/sprache")
    await tg.press(ADA, question, "Українська")
    [wrong] = await tg.say(ADA, "/termin_neu Кафе; 31 лютого 15:00; Stadtbibliothek; 15")
    assert wrong.text == "Такого дня не існує. Наприклад: 9.12. 15:00 або вівторок, 15 грудня 15:00"
    async with tg.app.sessions() as session:
        assert await session.scalar(select(Event.id).where(Event.title == "Кафе")) is None


async def test_the_date_question_shows_examples_that_work_in_ukrainian(tg: Conversation) -> None:
    [question] = await tg.say(ADA, "/sprache")
    await tg.press(ADA, question, "Українська")
    await tg.say(ADA, "/termin_neu")
    [asked] = await tg.say(ADA, "Цифрове кафе")
    assert (
        asked.text == "Коли це? Наприклад:\n9.12. 15:00–17:00\n24/12/2027 10:00\n2027-12-24 14.30"
    )
    [wrong] = await tg.say(ADA, "колись")
    assert wrong.text.startswith("Я не зрозумів дату.")


POLISH = """\
msgid ""
msgstr ""
"Language: pl\\n"
"Plural-Forms: nplurals=3; "
"plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);\\n"
"Content-Type: text/plain; charset=utf-8\\n"

msgid "Which language would you like?"
msgstr "Jaki język Pan/Pani wybiera?"

msgid "Thank you. I will write to you in English from now on."
msgstr "Dziękuję. Od teraz piszę po polsku."

msgid "Hello {name}!"
msgstr "Dzień dobry, {name}!"
"""


@pytest.mark.parametrize("offered", [True, False], ids=["with-the-line", "without"])
async def test_a_catalog_folder_and_one_config_line_make_a_language(
    db_url: str, tmp_path: Path, offered: bool
) -> None:
    languages = ["de", "en", "uk", "pl"] if offered else ["de", "en", "uk"]
    settings = make_settings(
        db_url,
        tmp_path,
        bot={"locales_dir": str(locales_with(tmp_path, "pl", POLISH)), "languages": languages},
    )
    adapter = MemoryAdapter(platform="console")
    app = build_app(settings, clock=FakeClock(), adapters=[adapter])
    await prepare(app)
    try:
        talk = Conversation(app, adapter)
        anna = Someone("100", "Anna", "de")
        [question] = await talk.say(anna, "/sprache")
        labels = [label for label, _ in question.buttons]
        assert labels == ["Deutsch", "English", "Українська"] + (["Polski"] if offered else [])
        if not offered:
            assert (await talk.say(anna, "polski"))[0].text != "Dziękuję. Od teraz piszę po polsku."
            return
        [done] = await talk.press(anna, question, "Polski")
        assert done.text == "Dziękuję. Od teraz piszę po polsku."
        [hello] = await talk.say(anna, "/start")
        assert hello.text.startswith("Dzień dobry, Anna!")
        async with app.sessions() as session:
            chosen = await session.scalar(
                select(Person.locale).where(Person.display_name == "Anna")
            )
        assert chosen == "pl"
    finally:
        await app.close()


async def test_a_ukrainian_groups_press_text_is_in_ukrainian(tg: Conversation) -> None:
    """The text for the local paper speaks the group's language, whoever asks for it."""
    [question] = await tg.say(ADA, "/sprache")
    await tg.press(ADA, question, "Deutsch")
    async with tg.app.sessions.begin() as session:
        await session.execute(update(Community).values(locale="uk"))
    [preview] = await tg.say(ADA, "/termin_neu Кафе; 9.12. 10 Uhr; Бібліотека; 12")
    await tg.press(ADA, preview, "Speichern und jetzt ankündigen")
    async with tg.app.sessions() as session:
        number = await session.scalar(select(Event.id).where(Event.title == "Кафе"))
    odt, txt = await tg.say(ADA, f"/presse {number}")
    assert odt.attachment is not None and txt.attachment is not None
    document = load(io.BytesIO(odt.attachment.data))
    lines = [teletype.extractText(e) for e in document.getElementsByType(H)] + [
        teletype.extractText(e) for e in document.getElementsByType(P)
    ]
    assert lines[0] == "Digitalcafé Musterstadt запрошує Вас: Кафе"
    assert "Коли: середа, 9 грудня 2026\u202fр., 10:00" in lines
    assert "Місце: Бібліотека" in lines
    text = txt.attachment.data.decode("utf-8")
    assert text.startswith("Digitalcafé Musterstadt запрошує Вас: Кафе\n\nКоли: середа, 9 грудня")
