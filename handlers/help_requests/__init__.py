"""One-to-one help: residents ask ("Wobei brauchen Sie Hilfe?"), staff file requests for
callers, volunteers take a request with one tap, agree a time, write through the bot and
report it done. The use cases live in ``bot/helping/`` (asking, taking, offers)."""

from __future__ import annotations

from bot.chat.router import Router
from handlers.help_requests import asking, callers, running

# In the order of /hilfe: /anfrage, /hilfe_fuer, /meine_anfragen.
router = Router().include(asking.router).include(callers.router).include(running.router)
