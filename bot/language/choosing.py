"""How a person chooses an answer, worded for their platform: "tippen Sie" only where there
is something to tap.

Telegram shows buttons to tap. Matrix and the console show them as numbered lines with their
own hint ("Antworten Sie mit 1, 2 oder 3."), and a typed number or the button's word picks
one. The instructions many questions share are worded here, so handlers (with
``ctx.can_tap``) and services (with ``bot.chat.platforms.shows_buttons`` of the chat's
platform) say the same thing the same way; a question with an instruction of its own (the
door list, the export period) picks between its two wordings by the same ``can_tap``.
"""

from __future__ import annotations

from bot.language.i18n import _


def please_word(label: str, can_tap: bool) -> str:
    """ "Bitte tippen Sie auf „Speichern“." / "Bitte schreiben Sie: Speichern"."""
    if can_tap:
        return _('Please tap "{label}".').format(label=label)
    return _("Please write: {label}").format(label=label)


def or_word(label: str, can_tap: bool) -> str:
    """ "Oder tippen Sie: Überspringen" / "Oder schreiben Sie: Überspringen"."""
    if can_tap:
        return _("Or tap: {label}").format(label=label)
    return _("Or write: {label}").format(label=label)


def otherwise_word(label: str, can_tap: bool) -> str:
    """ "Sonst tippen Sie: Fortlaufend" / "Sonst schreiben Sie: Fortlaufend"."""
    if can_tap:
        return _("Otherwise tap: {label}").format(label=label)
    return _("Otherwise write: {label}").format(label=label)


def then_word(label: str, can_tap: bool) -> str:
    """ "Dann tippen Sie: Fertig, weiter" / "Dann schreiben Sie: Fertig, weiter"."""
    if can_tap:
        return _("Then tap: {label}").format(label=label)
    return _("Then write: {label}").format(label=label)


def pick_one(can_tap: bool) -> str:
    """The kind answer to a typed text where one of the offered answers is needed."""
    if can_tap:
        return _("Please tap one of the buttons.")
    return _("Please write the number of one of the answers.")


def pick_many(can_tap: bool) -> str:
    """How to choose several of the offered answers, one after the other."""
    if can_tap:
        return _("Tap everything that fits.")
    return _("Write the number of each thing that fits, one after the other.")


def tap_a_face() -> str:
    """What follows a rating question ("Wie war es?") where its faces can be tapped."""
    return _("Please tap a face.")


def tap_only(instruction: str, can_tap: bool) -> str:
    """An instruction about tapping ("Bitte tippen Sie auf ein Gesicht."), or nothing where
    the choices are numbered lines: their own hint below says what to write."""
    return instruction if can_tap else ""


def joined(*sentences: str) -> str:
    """Sentences on one line, leaving out the empty ones. A sentence that ends in a word
    to write ("Bitte schreiben Sie: Speichern") gets its full stop when another follows."""
    kept = [sentence for sentence in sentences if sentence]
    ended = [s if s.endswith((".", "?", "!", ":")) else f"{s}." for s in kept[:-1]]
    return " ".join([*ended, *kept[-1:]])
