"""A message as each chat app will show it, before it is sent (the staff page's preview).

The same steps as the outbox and the adapters take, without storing anything: on platforms
that show buttons the buttons stay buttons; elsewhere they become the numbered lines and the
hint the adapter writes (``numbered_choices``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.chat.platforms import shows_buttons
from bot.chat.types import ChatRef, Delivery, Outgoing, RenderedButton, numbered_choices
from bot.delivery.outbox import content_of, shown_label


@dataclass(frozen=True, slots=True)
class Shown:
    """What the app shows: the text, and the buttons under it (none where they are lines)."""

    text: str
    buttons: tuple[str, ...]


def as_shown(outgoing: Outgoing, platform: str) -> Shown:
    """The message as the platform's app will show it, in the current locale."""
    rendered: list[dict[str, Any]] = [
        {"label": shown_label(b), **({"number": b.number} if b.number is not None else {})}
        for b in outgoing.buttons
    ]
    content = content_of(outgoing.text, rendered, words=outgoing.words)
    if shows_buttons(platform):
        return Shown(content["text"], tuple(item["label"] for item in rendered))
    delivery = Delivery(
        id=0,
        dedup_key="preview",
        chat=ChatRef(platform, "", "group", ""),  # type: ignore[arg-type]
        text=content["text"],
        buttons=tuple(RenderedButton(item["label"], "", item.get("number")) for item in rendered),
        choice_hint=content.get("choice_hint", ""),
        words=outgoing.words,
    )
    return Shown(numbered_choices(delivery), ())
