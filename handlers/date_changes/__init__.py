"""Staff change dates: move, cancel (after a yes), skip one of a series, change details
(/aendern); sign up callers; see the list."""

from __future__ import annotations

from bot.chat.router import Router
from handlers.date_changes import calling_off, changes, editing

router = Router().include(changes.router).include(calling_off.router).include(editing.router)
