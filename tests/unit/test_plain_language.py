"""The plain-language checker, and both catalogs (German and English) against
PLAIN-LANGUAGE.md. Plural forms and titles in sentences: tests/unit/test_catalog_grammar.py."""

from __future__ import annotations

import re
from datetime import date
from itertools import takewhile
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.infra.package_data import catalog_languages
from bot.language.plain_language import (
    ABBREVIATIONS,
    ALLOWED_NAMES,
    JARGON,
    Finding,
    check,
    split_sentences,
)

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "PLAIN-LANGUAGE.md"
CATALOGS = {
    locale: ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po"
    for locale in catalog_languages(ROOT / "locales")
}
# Languages whose catalogs get the word rules (PLAIN-LANGUAGE.md); every other language gets
# the one rule that needs no word list: no sentence over 20 words.
WORD_RULE_LANGUAGES = ("de", "en")

# The four examples from PLAIN-LANGUAGE.md (test_guide_examples_are_these checks they match).
ANNOUNCEMENT = """\
Digitalcafé in der Stadtbibliothek
Mittwoch, 3. Dezember, 15 Uhr bis 17 Uhr
Raum 2, Erdgeschoss
Thema: Fotos vom Handy an die Familie schicken
Bringen Sie Ihr Handy mit.
Noch 6 Plätze frei.
[Ich komme]  [Ich komme mit Begleitung]  [Ich kann nicht]"""

WAITING_LIST = """\
Das Digitalcafé am Mittwoch ist leider voll.
Sie stehen auf der Warteliste. Sie sind Nummer 2.
Wird ein Platz frei, schreibe ich Ihnen sofort."""

REMINDER = """\
Erinnerung für morgen: Digitalcafé
Mittwoch, 3. Dezember, 15 Uhr. Stadtbibliothek, Raum 2.
Sie können nicht? Tippen Sie auf "Ich kann nicht".
Dann bekommt jemand anderes Ihren Platz."""

NOT_UNDERSTOOD = """\
Das habe ich leider nicht verstanden.
Bitte schreiben Sie 1, 2 oder 3.
Oder schreiben Sie "Hilfe"."""

BAD_ANNOUNCEMENT = "Unser Event am 9.12. — bitte RSVP bis Freitag via Link"

# Rules every catalog string must pass (German; English has no "man" rule and checks for
# German words left in the text instead).
CATALOG_RULES = frozenset(
    {"long_sentence", "jargon", "abbreviation", "impersonal_man", "german_word"}
)

# The date parser reads German only (bot/domain/when.py), so an English text that shows how
# to write a date shows German input. Such words are fine in English where the English
# msgid shows the same German example; any other German word in English is a finding.
DATE_INPUT_WORDS = frozenset(
    {"uhr", "jeden", "morgen", "montag", "dienstag", "mittwoch", "dienstags"}
)

# Justified exceptions: (msgid, rule, excerpt). Keep this minimal.
# "team" is the literal role word admins type ({prefix}rolle_geben 12 team, see
# bot/domain/roles.ROLE_WORDS), so the admin-only role messages and the role label must use it.
# The label is only shown to the people who hold that role ("Ihre Rollen: …").
# "Admin", "Code" and "Chat" are not flagged by check() at all.
CATALOG_ALLOWLIST = frozenset(
    {
        (
            "I do not know this role. These exist: mitglied, lotse, team, koordination, admin",
            "jargon",
            "team",
        ),
        ("Please write it like this: {prefix}rolle_geben 12 team", "jargon", "team"),
        ("team", "jargon", "Team"),
    }
)
# The same for the English catalog (empty: none are needed).
ENGLISH_ALLOWLIST: frozenset[tuple[str, str, str]] = frozenset()

# Real findings in the catalog, to be fixed by rewording the German msgstr (not allowed
# here). Members see this message when they try a staff command. Suggested German:
# "Das darf in dieser Gruppe leider nur die Leitung." Remove the entry once fixed.
# Findings in the German catalog not yet reworded (empty: none are known).
KNOWN_CATALOG_FINDINGS: frozenset[tuple[str, str, str]] = frozenset()


def _rules(findings: list[Finding]) -> list[str]:
    return [f.rule for f in findings]


def _jargon(findings: list[Finding]) -> set[str]:
    return {f.excerpt for f in findings if f.rule == "jargon"}


# --- examples from PLAIN-LANGUAGE.md -------------------------------------------------


def test_example_announcement_has_no_findings() -> None:
    assert check(ANNOUNCEMENT, announcement=True) == []


@pytest.mark.parametrize("text", [WAITING_LIST, REMINDER, NOT_UNDERSTOOD])
def test_other_examples_have_no_findings(text: str) -> None:
    assert check(text) == []


def test_reminder_passes_as_announcement() -> None:
    assert check(REMINDER, announcement=True) == []


def test_bad_announcement() -> None:
    findings = check(BAD_ANNOUNCEMENT, announcement=True)
    assert {"Event", "RSVP", "Link"} <= _jargon(findings)
    rules = _rules(findings)
    assert "missing_time" in rules
    assert "missing_place" in rules
    assert "missing_date" not in rules  # "9.12." and "Freitag" are dates
    event = next(f for f in findings if f.excerpt == "Event")
    assert event.suggestion == 'Schreiben Sie "Termin" statt "Event".'


def test_bad_text_without_announcement_has_only_jargon() -> None:
    assert set(_rules(check(BAD_ANNOUNCEMENT))) == {"jargon"}


# --- long_sentence -------------------------------------------------------------------


def test_long_sentence() -> None:
    sentence = (
        "Wir treffen uns am Mittwoch in der Stadtbibliothek im Raum 2 "
        "und schauen gemeinsam mit Ihnen, wie Sie Fotos vom Handy an die Familie schicken."
    )
    assert len(sentence.split()) == 25
    findings = check(sentence)
    assert _rules(findings) == ["long_sentence"]
    assert findings[0].excerpt.startswith("Wir treffen uns am Mittwoch")
    assert len(findings[0].excerpt) <= 60
    assert "25 Wörter" in findings[0].suggestion


def test_twenty_words_are_fine_and_max_words_is_configurable() -> None:
    sentence = " ".join(["Wort"] * 19) + " Ende."
    assert check(sentence) == []
    assert _rules(check(sentence, max_words=12)) == ["long_sentence"]


def test_each_line_is_its_own_sentence() -> None:
    text = "\n".join(["Bitte bringen Sie Ihr Handy und Ihr Ladekabel mit"] * 4)
    assert check(text) == []


def test_sentence_splitting_copes_with_dates_and_abbreviations() -> None:
    text = (
        "Am 9. Dezember um 15.30 Uhr treffen wir uns in Raum Nr. 2. "
        "Bringen Sie z. B. Ihr Handy mit. Treffen am 9.12. — bitte pünktlich!"
    )
    assert split_sentences(text) == [
        "Am 9. Dezember um 15.30 Uhr treffen wir uns in Raum Nr. 2.",
        "Bringen Sie z. B. Ihr Handy mit.",
        "Treffen am 9.12. — bitte pünktlich!",
    ]
    assert split_sentences(WAITING_LIST) == [
        "Das Digitalcafé am Mittwoch ist leider voll.",
        "Sie stehen auf der Warteliste.",
        "Sie sind Nummer 2.",
        "Wird ein Platz frei, schreibe ich Ihnen sofort.",
    ]


# --- jargon --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "word", "replacement"),
    [
        ("Das Meeting ist morgen.", "Meeting", '"Treffen"'),
        ("Der Workshop ist voll.", "Workshop", '"Kurs"'),
        ("Bitte registrieren Sie sich.", "registrieren", '"anmelden"'),
        ("Klicken Sie hier.", "Klicken", '"tippen"'),
        ("Drücken Sie den Button.", "Button", '"Knopf"'),
        ("Danke für Ihr Feedback.", "Feedback", '"Rückmeldung"'),
        ("Das ist ein Reminder.", "Reminder", '"Erinnerung"'),
        ("Die Deadline ist Freitag.", "Deadline", '"Anmelden bis Dienstag, 2. Dezember"'),
        ("Die Location ist neu.", "Location", '"Ort"'),
        ("Der Check-in beginnt um 15 Uhr.", "Check-in", '"Sie sind da" oder "Anwesenheit"'),
        ("Es gibt ein Update.", "Update", '"Neuigkeit" oder "Änderung"'),
        ("Ihr Account ist fertig.", "Account", '"Konto"'),
        ("Der Login geht nicht.", "Login", '"anmelden"'),
        ("Jeder User darf kommen.", "User", '"Person"'),
        ("Noch 3 Slots frei.", "Slots", '"Platz"'),
        ("Ihr Ticket ist da.", "Ticket", '"Platz"'),
        ("Unser Team hilft.", "Team", '"wir" oder "die Gruppe"'),
        ("Die Community trifft sich.", "Community", '"wir" oder "die Gruppe"'),
        ("Ihr Status ist gut.", "Status", '"Sie sind angemeldet"'),
        ("Der Download ist fertig.", "Download", '"herunterladen"'),
        ("Der Upload ist fertig.", "Upload", '"schicken"'),
        ("Welcher Skill passt?", "Skill", '"Thema"'),
        ("Das Matching läuft.", "Matching", '"passende Hilfe finden"'),
        ("Ein Volunteer hilft.", "Volunteer", '"Digitallotse" oder "Digitallotsin"'),
        ("Ihr Request ist da.", "Request", '"Anfrage"'),
        ("Öffnen Sie die URL.", "URL", '"Tippen Sie hier"'),
    ],
)
def test_jargon_words(text: str, word: str, replacement: str) -> None:
    findings = check(text)
    assert _jargon(findings) == {word}
    assert replacement in findings[0].suggestion
    assert f'statt "{word}"' in findings[0].suggestion


def test_jargon_case_insensitive_and_hyphen_parts() -> None:
    assert _jargon(check("Der EVENT-Raum ist offen.")) == {"EVENT"}
    assert _jargon(check("Die Events und der link.")) == {"Events", "link"}


def test_jargon_needs_word_boundaries() -> None:
    # "eventuell" contains "event", "links" is the German word for "left".
    assert check("Eventuell tippen Sie oben links.") == []
    assert check("Der Teamgeist zählt.") == []


@pytest.mark.parametrize(
    "text",
    [
        "Schreiben Sie uns bei WhatsApp.",
        "Wir üben Online-Banking.",
        "Sie bekommen eine E-Mail.",
        "Wir üben Videoanrufe mit Microsoft Teams.",
        "Das Digitalcafé mit Ihrer Digitallotsin.",
        "Sie nutzen Telegram oder Element.",
        "Das darf nur ein Admin.",
    ],
)
def test_known_names_are_fine(text: str) -> None:
    assert check(text) == []


def test_placeholders_are_not_jargon() -> None:
    assert check("Bitte tippen Sie hier:\n{link}") == []


# --- abbreviation, impersonal_man ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "excerpt", "replacement"),
    [
        ("Bringen Sie z. B. Ihr Handy mit.", "z. B.", '"zum Beispiel"'),
        ("Bringen Sie z.B. Ihr Handy mit.", "z.B.", '"zum Beispiel"'),
        ("Handy bzw. Tablet.", "bzw.", '"oder"'),
        ("Bringen Sie ggf. eine Brille mit.", "ggf.", '"wenn nötig"'),
        ("Wir üben u. a. Fotos schicken.", "u. a.", '"unter anderem"'),
    ],
)
def test_abbreviation(text: str, excerpt: str, replacement: str) -> None:
    findings = check(text)
    assert _rules(findings) == ["abbreviation"]
    assert findings[0].excerpt == excerpt
    assert replacement in findings[0].suggestion


def test_impersonal_man() -> None:
    findings = check("Man kann sich anmelden.")
    assert _rules(findings) == ["impersonal_man"]
    assert findings[0].excerpt == "Man kann sich anmelden."
    assert '"Sie können sich anmelden."' in findings[0].suggestion
    assert check("Der Mann kommt. Sie können sich anmelden.") == []


# --- announcement checks -------------------------------------------------------------


def test_announcement_missing_date() -> None:
    text = "Digitalcafé um 15 Uhr\nStadtbibliothek, Raum 2"
    assert _rules(check(text, announcement=True)) == ["missing_date"]
    assert _rules(check(text)) == []


@pytest.mark.parametrize(
    "when",
    [
        "Dienstag, 15 Uhr",
        "Dienstag, 9. Dezember, 15:30 Uhr",
        "Dienstag, 9.12.2025, 15.30 Uhr",
        "dienstags 09.12.2025 15 Uhr",
    ],
)
def test_announcement_date_and_time_forms(when: str) -> None:
    assert check(f"Digitalcafé\n{when}\nStadtbibliothek", announcement=True) == []


# A real invitation from a town, as staff pasted it into /ankuendigung_neu.
INVITATION = (
    "Informations- und Austausch-Veranstaltung für alle Digitallotsen am 24.07. von "
    "17–20 Uhr mit anschließendem Grillen. Anmeldung bis 20.07."
)


def test_a_real_invitation_gets_every_tip() -> None:
    findings = check(INVITATION, announcement=True, today=date(2026, 12, 7))
    assert [(f.rule, f.excerpt) for f in findings] == [
        ("long_word", "Austausch-Veranstaltung"),
        ("noun_style", "Informations- und Austausch-Veranstaltung"),
        ("missing_weekday", "24.07."),
        ("missing_year", "24.07."),
        ("date_in_past", "24.07., 20.07."),
        ("missing_place", "Informations- und Austausch-Veranstaltung für alle Digitall…"),
    ]
    assert "Heute ist Montag, 7. Dezember 2026." in findings[4].suggestion


@pytest.mark.parametrize(
    "place",
    [
        "Im Smart-City-Lab, Markt 1.",
        "Smart-City-Lab, Markt 1",
        "In der Alten Schule",
        "Am Bahnhof",
        "Ort: Smart-City-Lab",
        "Gemeindehaus, Saal 3",
    ],
)
def test_places_written_in_many_ways(place: str) -> None:
    text = f"Treffen der Digitallotsen\nFreitag, 24. Juli 2027, 17 Uhr\n{place}"
    assert check(text, announcement=True, today=date(2026, 12, 7)) == []


@pytest.mark.parametrize("not_a_place", ["Am Dienstag um 15 Uhr", "Im Juli wieder", "Am 9.12."])
def test_times_are_no_places(not_a_place: str) -> None:
    text = f"Digitalcafé\nDienstag, 9. Dezember 2026, 15 Uhr\n{not_a_place}"
    assert "missing_place" in _rules(check(text, announcement=True))


def test_dates_past_and_coming() -> None:
    today = date(2026, 12, 7)
    coming = "Digitalcafé\nMittwoch, 9.12.2026, 15 Uhr\nStadtbibliothek"
    assert check(coming, announcement=True, today=today) == []
    past = "Digitalcafé\nMittwoch, 3. Dezember, 15 Uhr\nStadtbibliothek"
    assert _rules(check(past, announcement=True, today=today)) == ["date_in_past"]
    # Without a year, January is next January when written in December.
    january = "Digitalcafé\nMittwoch, 6. Januar, 15 Uhr\nStadtbibliothek"
    assert check(january, announcement=True, today=today) == []
    assert check(coming, announcement=True) == []  # no day given: nothing is past


def test_noun_style_and_long_words_in_any_text() -> None:
    assert _rules(check("Die Durchführung der Veranstaltung ist gesichert.")) == ["noun_style"]
    assert check("Die Anmeldung und die Erinnerung kommen per Chat.") == []
    assert _rules(check("Die Digitalisierungsberatungsstelle hilft.")) == ["long_word"]
    assert check("Die Stadtbibliothek hilft beim Online-Banking.") == []


@pytest.mark.parametrize(
    "place",
    ["Gemeindesaal", "Raum 2", "Lindenweg 3", "Hauptstraße 12", "Wir treffen uns online."],
)
def test_announcement_place_forms(place: str) -> None:
    assert check(f"Digitalcafé\nDienstag, 9. Dezember, 15 Uhr\n{place}", announcement=True) == []


def test_announcement_missing_place_and_time() -> None:
    text = "Digitalcafé am Dienstag, 9. Dezember\nBringen Sie Ihr Handy mit."
    assert _rules(check(text, announcement=True)) == ["missing_time", "missing_place"]


def test_announcement_too_many_lines() -> None:
    extra = "\n".join(f"Punkt {n}." for n in range(1, 4))
    text = f"{ANNOUNCEMENT}\n\n{extra}"
    findings = check(text, announcement=True)
    assert _rules(findings) == ["too_many_lines"]
    assert findings[0].excerpt == "10 Zeilen"
    assert check(ANNOUNCEMENT + "\nPunkt 1.", announcement=True) == []


# --- robustness ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\n",
        "\x00\x1b[31m\x07\u2028\u0085 Event!",
        "🎉🎉🎉 " * 2000,
        "a. " * 3400,
        "z. B. " * 1700,
        "9." * 5000,
        "{" * 10_000,
    ],
)
def test_odd_input(text: str) -> None:
    for finding in check(text, announcement=True):
        assert len(finding.excerpt) <= 60


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=10_000), st.booleans(), st.integers(min_value=0, max_value=40))
def test_check_never_raises(text: str, announcement: bool, max_words: int) -> None:
    findings = check(text, announcement=announcement, max_words=max_words)
    assert all(isinstance(f, Finding) and len(f.excerpt) <= 60 for f in findings)


# --- English ---------------------------------------------------------------------------


def test_english_example_has_no_findings() -> None:
    text = (
        "Digitalcafé at the town library\n"
        "Wednesday, 3 December, 3:00 PM\n"
        "Bring your phone. You are signed up."
    )
    assert check(text, language="en") == []


def test_english_rules() -> None:
    findings = check(
        "Click here, e.g. to RSVP. Bitte schreiben Sie: abbrechen. "
        + " ".join(["word"] * 21)
        + ".",
        language="en",
    )
    by_rule = {(f.rule, f.excerpt) for f in findings}
    assert {("jargon", "Click"), ("jargon", "RSVP"), ("abbreviation", "e.g.")} <= by_rule
    assert {("german_word", "Bitte"), ("german_word", "abbrechen")} <= by_rule
    assert sum(1 for f in findings if f.rule == "long_sentence") == 1
    click = next(f for f in findings if f.excerpt == "Click")
    assert click.suggestion == 'Write "tap" instead of "Click".'
    # German checks stay German: "man" is an English word, announcements are German only.
    assert check("A man can come. Tap a face.", language="en") == []
    assert check("Nothing to announce.", language="en", announcement=True) == []


def test_english_knows_our_names_and_the_umlaut_check() -> None:
    assert check("Write to a Digitallotse in the Digitalcafé.", language="en") == []
    assert _rules(check("Please go to the Bücherei.", language="en")) == ["german_word"]


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=5_000), st.integers(min_value=0, max_value=40))
def test_english_check_never_raises(text: str, max_words: int) -> None:
    findings = check(text, max_words=max_words, language="en")
    assert all(isinstance(f, Finding) and len(f.excerpt) <= 60 for f in findings)


# --- the real catalogs ---------------------------------------------------------------


def _catalog_findings(locale: str) -> set[tuple[str, str, str]]:
    with CATALOGS[locale].open("rb") as handle:
        catalog = read_po(handle)
    found: set[tuple[str, str, str]] = set()
    for message in catalog:
        if not message.id:
            continue  # header
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        source = " ".join(message.id).lower() if isinstance(message.id, tuple) else msgid.lower()
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            for finding in check(string or "", language=locale):
                shown_input = (
                    finding.rule == "german_word"
                    and finding.excerpt.lower() in DATE_INPUT_WORDS
                    and finding.excerpt.lower() in source
                )
                if finding.rule in CATALOG_RULES and not shown_input:
                    found.add((msgid, finding.rule, finding.excerpt))
    return found


def test_catalog_follows_plain_language() -> None:
    found = _catalog_findings("de") - CATALOG_ALLOWLIST
    assert found == KNOWN_CATALOG_FINDINGS, (
        "New or fixed plain-language findings in the German catalog; "
        "update KNOWN_CATALOG_FINDINGS (remove fixed ones, reword new ones)."
    )


def test_english_catalog_follows_plain_language() -> None:
    found = _catalog_findings("en") - ENGLISH_ALLOWLIST
    assert found == set(), "Reword these English texts (PLAIN-LANGUAGE.md, English)."


@pytest.mark.parametrize("locale", [code for code in CATALOGS if code not in WORD_RULE_LANGUAGES])
def test_other_catalogs_have_short_sentences(locale: str) -> None:
    found = _catalog_findings(locale)
    assert {rule for _msgid, rule, _excerpt in found} <= {"long_sentence"}
    assert found == set(), f"Split these sentences in locales/{locale} (at most 20 words)."


def test_other_languages_get_the_sentence_rule_only() -> None:
    long = " ".join(["слово"] * 21) + "."
    assert _rules(check(long, language="uk")) == ["long_sentence"]
    assert check("Наш Event via Link, z. B. heute.", language="uk") == []


# --- the guide itself (PLAIN-LANGUAGE.md) --------------------------------------------

STOP_WORDS = frozenset({"sie", "oder", "or", "die", "der", "the", "with"})


def _section(heading: str) -> str:
    text = GUIDE.read_text(encoding="utf-8")
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def _table(heading: str) -> list[list[str]]:
    """The rows of the first table in a section, header and separator left out."""
    lines = _section(heading).splitlines()
    first = next(n for n, line in enumerate(lines) if line.startswith("|"))
    rows = list(takewhile(lambda line: line.startswith("|"), lines[first:]))
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


def _tokens(text: str) -> set[str]:
    return {word.lower() for word in re.findall(r"[^\W\d_]+", text)} - STOP_WORDS


@pytest.mark.parametrize(("locale", "heading"), [("de", "Words"), ("en", "English texts")])
def test_guide_word_table_is_the_checkers_list(locale: str, heading: str) -> None:
    """Every word of the guide's table is the checker's, and the other way round; the
    checker's suggestion is one of the words the guide gives instead."""
    table = {
        word.lower(): instead
        for not_words, instead in _table(heading)
        for word in not_words.split(", ")
    }
    assert set(table) == set(JARGON[locale])
    for word, replacement in JARGON[locale].items():
        assert _tokens(replacement) & _tokens(table[word]), word
        finding = check(f"Hier steht {word} im Satz.", language=locale)
        assert [f.rule for f in finding if f.rule == "jargon"] == ["jargon"], word


def test_guide_names_are_the_checkers() -> None:
    sentence = _section("Words").split("Names of apps and of our own offers are fine: ", 1)[1]
    names = " ".join(sentence.split(".\n", 1)[0].split()).split(", ")
    assert sorted(names) == sorted(ALLOWED_NAMES)


@pytest.mark.parametrize(("locale", "heading"), [("de", "Words"), ("en", "English texts")])
def test_guide_abbreviations_are_the_checkers(locale: str, heading: str) -> None:
    paragraph = _section(heading).split("Abbreviations", 1)[1]
    shown = re.findall(r'"([^"]+)" →', paragraph)
    assert shown == list(ABBREVIATIONS[locale])
    for abbreviation in shown:
        rules = _rules(check(f"Wir üben {abbreviation} Fotos.", language=locale))
        assert "abbreviation" in rules, abbreviation


def test_guide_examples_are_these() -> None:
    blocks = re.findall(r"\n\n((?:    .*\n)+)", _section("Examples") + "\n")
    examples = {"\n".join(line[4:] for line in block.splitlines()) for block in blocks}
    assert examples == {ANNOUNCEMENT, WAITING_LIST, REMINDER, NOT_UNDERSTOOD}


# A catalog text as a pattern, and which plural form it is: None (no plural entry), 0 (the
# form for 1 in German and English) or 1 (every other number).
Pattern = tuple[re.Pattern[str], int | None]


def _catalog_patterns(locale: str) -> list[Pattern]:
    with CATALOGS[locale].open("rb") as handle:
        catalog = read_po(handle)
    patterns: list[Pattern] = []
    for message in catalog:
        plural = isinstance(message.string, tuple)
        strings = message.string if plural else (message.string,)
        for form, string in enumerate(strings):
            if message.id and string:
                parts = re.split(r"\{\w+\}", string)
                pattern = re.compile("(.+?)".join(re.escape(part) for part in parts))
                patterns.append((pattern, form if plural else None))
    return patterns


def _in_catalog(text: str, patterns: list[Pattern]) -> bool:
    """Whether the text is a catalog message, a plural form only with a fitting number."""
    for pattern, form in patterns:
        match = pattern.fullmatch(text.replace(" / ", "\n"))
        # Most of the text is the catalog's own words, not what filled its placeholders.
        if match is None or 2 * sum(len(value) for value in match.groups()) > len(text):
            continue
        numbers = [value for value in match.groups() if value.isdigit()]
        if form is None or (form == 0) == ("1" in numbers):
            return True
    return False


def test_guide_good_and_bad_examples_are_from_our_catalog() -> None:
    patterns = {locale: _catalog_patterns(locale) for locale in CATALOGS}
    section = "Good and bad, from our catalog"
    rows = _table(section)
    assert len(rows) >= 8
    for before, now, rule in rows:
        locale = "en" if rule == "English" else "de"
        assert _in_catalog(now, patterns[locale]), now
        assert check(now.replace(" / ", "\n"), language=locale) == [], now
        if "(" not in before:
            assert not _in_catalog(before, patterns[locale]), before
    good = _section(section).split("Good as they are", 1)[1]
    texts = [row.split("|")[1].strip() for row in good.splitlines() if row.startswith("| ")]
    for text in texts[1:]:  # the header row first
        assert _in_catalog(text, patterns["de"]), text
        assert check(text) == [], text


def test_references_point_at_the_guide() -> None:
    """The guide names real files, and whatever cites plain-language rules cites it."""
    guide = GUIDE.read_text(encoding="utf-8")
    for path in re.findall(r"`((?:bot|tests|handlers)/[\w/]+\.py)`", guide):
        assert (ROOT / path).is_file(), path
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "PLAIN-LANGUAGE.md" in readme
    for folder in ("bot", "handlers", "tests"):
        for path in (ROOT / folder).rglob("*.py"):
            if path == Path(__file__):
                continue
            text = path.read_text(encoding="utf-8")
            assert "../" + "shared" not in text, path  # spelled so this file does not cite it
            assert "plain-language guide" not in text.lower() or "PLAIN-LANGUAGE.md" in text, path
