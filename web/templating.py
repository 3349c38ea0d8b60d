"""The one Jinja2 environment for every web page (staff and public).

Autoescape is always on; ``_``/``ngettext`` translate into the locale of the current request
(bot.language.i18n's ContextVar), so templates use the same catalogs as the chat.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from bot.language.i18n import _, current_locale, ngettext, text_direction

# An address in a chat message: the apps make it a link (Telegram and Element both do).
_ADDRESS = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)]")
TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


@cache
def environment() -> Environment:
    """The shared environment: templates from web/templates, autoescaped, strict."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        _=_,
        ngettext=ngettext,
        locale=current_locale,
        direction=lambda: text_direction(current_locale()),
        direction_of=text_direction,
    )
    env.filters["chat_text"] = chat_text
    return env


def render(template: str, context: Mapping[str, Any] | None = None) -> str:
    """The template filled with ``context``, in the current request's locale."""
    return environment().get_template(template).render(**(context or {}))


def chat_text(text: str) -> Markup:
    """A plain chat message as the apps show it: every character as typed (the bot sends
    its texts escaped), line breaks kept, web addresses as links."""
    parts, last = [], 0
    for found in _ADDRESS.finditer(text):
        parts.append(escape(text[last : found.start()]))
        address = escape(found.group(0))
        parts.append(Markup('<a href="{0}" rel="noopener noreferrer">{0}</a>').format(address))
        last = found.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts).replace("\n", Markup("<br>\n"))
