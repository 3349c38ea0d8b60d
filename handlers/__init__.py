"""Feature handlers, one module per feature, each with its own ``router``; joined here."""

from __future__ import annotations

from bot.chat.router import Router
from handlers import (
    accounts,
    admin,
    announcements,
    certificates,
    checkin,
    community,
    date_changes,
    events,
    exports,
    feedback,
    help_requests,
    new_date,
    newsletter,
    press,
    printing,
    privacy,
    public_page,
    questions,
    reminder_calls,
    reminder_times,
    start,
    volunteers,
    web_sign_in,
)

# The order is the order of /hilfe.
FEATURES = (
    start,
    questions,
    accounts,
    events,
    printing,
    new_date,
    date_changes,
    announcements,
    press,
    reminder_times,
    reminder_calls,
    checkin,
    newsletter,
    feedback,
    help_requests,
    volunteers,
    certificates,
    privacy,
    exports,
    community,
    public_page,
    admin,
    web_sign_in,
)


def build_router() -> Router:
    """One router holding every feature's handlers (a new one each call)."""
    router = Router()
    for feature in FEATURES:
        router.include(feature.router)
    return router
