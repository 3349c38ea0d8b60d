"""A typed "ja" or "nein" that answers nothing: which words those are, and what to say.

Under a question whose answers are numbered choices ("1 – Ich kann nicht"), "ja" is
ambiguous ("yes, I cannot" or "yes, I am coming"?), so it picks nothing. The person then
hears which number to write (or which button to tap), never "no question is open" right
under the question on their screen. Only where no choices are open is that the answer.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.chat.context import Context
from bot.chat.types import Outgoing
from bot.delivery.outbox import NAMED_CHOICES
from bot.domain.models import ButtonToken, OutboxMessage
from bot.domain.numbers import is_number
from bot.language.i18n import _, ngettext, offered_locales, use_locale


def yes_no_words() -> set[str]:
    """The words that answer a yes-or-no question, in every offered language: someone
    who has not chosen their language yet writes "так" or "yes" too."""
    words = {"ja", "nein", "yes", "no"}
    for code in offered_locales():
        with use_locale(code):
            words |= {_("yes").strip().casefold(), _("no").strip().casefold()}
    return words


# The dedup key of the answer in a private chat: that answer is not "my last message" the
# next "ja" is pointed to (it names the same choices).
HINT_KEY = "yes-no-hint"


async def answer(ctx: Context) -> None:
    """Answer a "ja" or "nein" that picked nothing, to the writer alone. Nothing changes."""
    text = await nothing_picked(ctx)
    if ctx.is_direct:
        await ctx.send(ctx.chat, Outgoing(text), dedup_key=f"{HINT_KEY}:{ctx.dispatch_id}")
    else:
        await ctx.answer_privately(text)


async def nothing_picked(ctx: Context) -> str:
    """The answer to a "ja" or "nein" that picked none of the open choices: the choices
    with their numbers (or the buttons to tap), else that no question is open."""
    shown = await _open_choices(ctx)
    if not shown:
        return _(
            "There is no open question for you right now.\n"
            "Write {prefix}termine to see the next dates."
        ).format(prefix=ctx.command_prefix)
    sorry = _("Sorry, I did not understand that.")
    if ctx.can_tap:
        return f"{sorry}\n{_tap(len(shown), ctx.is_direct)}"
    if len(shown) > NAMED_CHOICES:  # as many as the hint under them names
        example = _("For example: {number}").format(number=shown[0][0])
        return "\n".join([sorry, _write(len(shown), ctx.is_direct, "."), example])
    return "\n".join([sorry, _write(len(shown), ctx.is_direct, ":"), *(s for _n, s in shown)])


def _tap(count: int, direct: bool) -> str:
    if direct:
        return ngettext(
            "Please tap the button under my last message.",
            "Please tap one of the buttons under my last message.",
            count,
        )
    return ngettext(
        "Please tap the button under my last message in the group.",
        "Please tap one of the buttons under my last message in the group.",
        count,
    )


def _write(count: int, direct: bool, end: str) -> str:
    """ "Bitte schreiben Sie die Zahl aus meiner letzten Nachricht", ending in ``end``."""
    if direct:
        sentence = ngettext(
            "Please write the number from my last message",
            "Please write a number from my last message",
            count,
        )
    else:
        sentence = ngettext(
            "Please write the number from my last message in the group",
            "Please write a number from my last message in the group",
            count,
        )
    return sentence + end


async def _open_choices(ctx: Context) -> list[tuple[str, str]]:
    """The chat's open choices as its last message listed them: (the number to write, the
    line: "1 – Ich kann nicht", or a choice with its own number, "Nr. 12: Digitalcafé", as
    it is). Choices are open while the last message in this chat shows them (a typed
    number still picks them later, but "my last message" would then be another one), and
    their buttons are neither gone nor expired."""
    keys = [str(key) for key in ctx.chat.choices or []]
    if not keys or not set(keys) & await _last_message_keys(ctx):
        return []
    tokens = {
        token.key: token
        for token in await ctx.session.scalars(select(ButtonToken).where(ButtonToken.key.in_(keys)))
        if token.expires_at >= ctx.now
    }
    shown: list[tuple[str, str]] = []
    for place, key in enumerate(keys, start=1):
        token = tokens.get(key)
        if token is None:
            continue
        own = next((str(alias) for alias in token.aliases if is_number(str(alias))), None)
        shown.append((own, token.label) if own else (str(place), f"{place} – {token.label}"))
    return shown


async def _last_message_keys(ctx: Context) -> set[str]:
    """The button keys of the last message this chat was shown (due, not given up), an
    earlier answer to "ja" left out."""
    content = await ctx.session.scalar(
        select(OutboxMessage.content)
        .where(
            OutboxMessage.chat_id == ctx.chat.id,
            OutboxMessage.due_at <= ctx.now,
            OutboxMessage.status.not_in(("failed", "expired")),
            OutboxMessage.dedup_key.not_like(f"{HINT_KEY}:%"),
        )
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )
    return {str(button.get("key")) for button in (content or {}).get("buttons", [])}
