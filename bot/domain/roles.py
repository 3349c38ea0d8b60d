"""Role names and what each role includes."""

from __future__ import annotations

from collections.abc import Iterable

MEMBER, VOLUNTEER, STAFF, COORDINATOR, ADMIN = (
    "member",
    "volunteer",
    "staff",
    "coordinator",
    "admin",
)
ALL_ROLES = (MEMBER, VOLUNTEER, STAFF, COORDINATOR, ADMIN)
# Not granted in a community: the deployment's own admins (the one-time code or bot.admins).
DEPLOYMENT_ADMIN = "deployment_admin"
# Who hears about what needs a person's attention (missed reminders, unanswered requests).
TEAM = (STAFF, COORDINATOR, ADMIN)

# A coordinator may do what staff may do, an admin what a coordinator may do.
_INCLUDES = {
    ADMIN: {ADMIN, COORDINATOR, STAFF, MEMBER},
    COORDINATOR: {COORDINATOR, STAFF, MEMBER},
    STAFF: {STAFF, MEMBER},
    VOLUNTEER: {VOLUNTEER, MEMBER},
    MEMBER: {MEMBER},
}

# Words people type for a role, German first; each maps to the stored role name.
ROLE_WORDS = {
    "mitglied": MEMBER,
    "member": MEMBER,
    "lotse": VOLUNTEER,
    "lotsin": VOLUNTEER,
    "digitallotse": VOLUNTEER,
    "digitallotsin": VOLUNTEER,
    "volunteer": VOLUNTEER,
    "team": STAFF,
    "staff": STAFF,
    "koordination": COORDINATOR,
    "koordinator": COORDINATOR,
    "koordinatorin": COORDINATOR,
    "coordinator": COORDINATOR,
    "admin": ADMIN,
}


def effective(granted: set[str]) -> set[str]:
    """Every role the granted ones include."""
    result: set[str] = set()
    for role in granted:
        result |= _INCLUDES.get(role, {role})
    return result


def acting_roles(granted: set[str], *, deployment_admin: bool, in_community: bool) -> set[str]:
    """The roles a person acts with in a community (chat and web page alike): what the
    granted ones include; a deployment admin administers every community."""
    roles = effective(granted)
    if deployment_admin:
        roles |= {DEPLOYMENT_ADMIN} | (effective({ADMIN}) if in_community else set())
    return roles


def may(roles: set[str], required: Iterable[str]) -> bool:
    """Whether a person with these roles may do what needs one of ``required`` (none: all)."""
    needed = frozenset(required)
    return not needed or bool(needed & roles)
