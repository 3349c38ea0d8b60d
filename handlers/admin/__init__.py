"""Admin commands: become the first admin, create and link groups (``groups``), and give,
take and show roles (``roles``). The use cases live in ``bot.community.admin``."""

from __future__ import annotations

from bot.chat.router import Router
from handlers.admin import groups, roles

# The order is the order of /hilfe.
router = Router()
router.include(groups.router)
router.include(roles.router)
