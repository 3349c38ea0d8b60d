"""Digitallotsen: their profile, a break, staff's invitation, the skill catalog and the
overview for coordinators. The use cases live in ``bot/helping/volunteering.py``."""

from __future__ import annotations

from bot.chat.router import Router
from handlers.volunteers import breaks, profile, staff

# In the order of /hilfe: /lotse, /pause, /weiter, /lotse_einladen, /faehigkeiten, /lotsen.
router = Router().include(profile.router).include(breaks.router).include(staff.router)
