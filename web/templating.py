"""The one Jinja2 environment for every web page (staff and public).

Autoescape is always on; ``_``/``ngettext`` translate into the locale of the current request
(bot.language.i18n's ContextVar), so templates use the same catalogs as the chat.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.language.i18n import _, current_locale, ngettext, text_direction

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
    return env


def render(template: str, context: Mapping[str, Any] | None = None) -> str:
    """The template filled with ``context``, in the current request's locale."""
    return environment().get_template(template).render(**(context or {}))
