"""Admin commands: become the first admin, create and link groups (``groups``), give, take
and show roles (``roles``), and how the bot is doing (``status``). The use cases live in
``bot.community.admin`` and ``bot.watching``."""

from __future__ import annotations

from bot.chat.router import Router
from handlers.admin import groups, roles, status

# The order is the order of /hilfe.
router = Router()
router.include(groups.router)
router.include(roles.router)
router.include(status.router)
