"""Friendly answers when a typed date or time cannot be understood (shared with the web
page: bot/language/when_words.py)."""

from __future__ import annotations

from bot.language.when_words import when_error

__all__ = ["when_error"]
