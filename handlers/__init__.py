"""Feature handlers, one module per feature; ``register_all`` wires them into a router."""

from __future__ import annotations

from bot.router import Router
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
    privacy,
    reminder_times,
    start,
    volunteers,
)


def register_all(router: Router) -> Router:
    """Register every feature's handlers; the order is the order of /hilfe."""
    start.register(router)
    accounts.register(router)
    events.register(router)
    new_date.register(router)
    date_changes.register(router)
    announcements.register(router)
    reminder_times.register(router)
    checkin.register(router)
    feedback.register(router)
    help_requests.register(router)
    volunteers.register(router)
    certificates.register(router)
    privacy.register(router)
    exports.register(router)
    community.register(router)
    admin.register(router)
    return router
