"""The quick ways of the Telegram adapter for button presses: a webhook's press read straight
from its JSON is what the full translation gives; the aiohttp answer works like PTB's."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Update

from bot.adapters.telegram import translate
from bot.adapters.telegram_intake import press_from_json


def _press(**changes: Any) -> dict[str, Any]:
    user = {"id": 20001, "is_bot": False, "first_name": "Ada", "language_code": "de"}
    chat = {"id": 20001, "type": "private", "first_name": "Ada"}
    message = {"message_id": 5, "date": 1_700_000_000, "chat": chat, "text": "Sprache?"}
    query = {"id": "4000000000007", "from": user, "message": message, "data": "k3y"}
    query["chat_instance"] = "77"
    for path, value in changes.items():
        target = query
        *parents, leaf = path.split("__")
        for key in parents:
            target = target[key]
        if value is None:
            target.pop(leaf, None)
        else:
            target[leaf] = value
    return {"update_id": 812, "callback_query": query}


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"from__last_name": "Lovelace"},
        {"from__language_code": None},
        {"from__is_bot": True},
        {"message__chat": {"id": -100123, "type": "supergroup", "title": "Café Ü"}},
        {"message__chat": {"id": -100124, "type": "group", "title": ""}},
        {"data": "x" * 64},
    ],
)
def test_same_incoming_as_translate(changes: dict[str, Any]) -> None:
    data = _press(**changes)
    expected = translate(Update.de_json(data, None), bot_id=42)
    assert expected is not None
    assert press_from_json(data) == expected


@pytest.mark.parametrize(
    "data",
    [
        _press(message__date=0),  # inaccessible message
        _press(data=None),  # a game button
        _press(message=None),  # inline mode: no message
        {"update_id": 813, "message": {"message_id": 1, "date": 1, "chat": {"id": 1}}},
        {"update_id": 814, "callback_query": "odd"},
    ],
)
def test_anything_else_takes_the_full_way(data: dict[str, Any]) -> None:
    assert press_from_json(data) is None
