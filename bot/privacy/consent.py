"""Consent and the optional facts for reports (age band, part of town), and a community's
own data protection contact and text: what the privacy dialogs store, in one place."""

from __future__ import annotations

from sqlalchemy import bindparam, update
from sqlalchemy.orm.attributes import set_committed_value

from bot.domain.models import Community, Person
from bot.domain.prepared import Prepared, run
from bot.domain.work import Work
from bot.language.i18n import N_

AGE_BANDS = (
    ("under-60", N_("under 60")),
    ("60-69", N_("60 to 69")),
    ("70-79", N_("70 to 79")),
    ("80+", N_("80 or older")),
)
AREA_LENGTH, CONTACT_LENGTH, TEXT_LENGTH = 100, 300, 2000


async def note_shown(work: Work, person: Person) -> None:
    """The short note at first contact went out (it is shown once per person). One prebuilt
    statement instead of the unit of work (first contacts are a quarter of all updates);
    the loaded person shows it."""
    connection = await work.session.connection()
    await run(connection, _NOTE_SHOWN, {"person_id": person.id, "noted_at": work.now})
    set_committed_value(person, "privacy_noted_at", work.now)


_persons = Person.__table__
_NOTE_SHOWN = Prepared(
    update(_persons)
    .where(_persons.c.id == bindparam("person_id"))
    .values(privacy_noted_at=bindparam("noted_at"))
)


def agree(work: Work, person: Person) -> bool:
    """Consent, recorded with its first time; True when the optional facts question is
    due now (the first consent of someone never asked)."""
    first = person.consent_at is None
    person.consent_at = person.consent_at or work.now
    return first and person.facts_asked_at is None


def facts_asked(work: Work, person: Person) -> None:
    """The optional question was asked (the first time is kept)."""
    person.facts_asked_at = person.facts_asked_at or work.now


def set_age_band(work: Work, person: Person, band: str) -> bool:
    """Store the age band, with the moment of consent; False for an unknown band."""
    if band not in dict(AGE_BANDS):
        return False
    person.age_band = band
    person.facts_consent_at = work.now
    return True


def set_area(work: Work, person: Person, area: str) -> None:
    """Store the part of town as typed (shortened), with the moment of consent."""
    person.area = area.strip()[:AREA_LENGTH]
    person.facts_consent_at = work.now


def drop_facts(person: Person) -> None:
    """Rather not: the optional facts and their consent are removed."""
    person.age_band = None
    person.area = None
    person.facts_consent_at = None


def set_contact(community: Community, contact: str, text: str) -> bool:
    """The community's data protection contact and its own extra text; False without a
    contact."""
    if not contact.strip():
        return False
    community.privacy_contact = contact.strip()[:CONTACT_LENGTH]
    community.privacy_text = text.strip()[:TEXT_LENGTH]
    return True
