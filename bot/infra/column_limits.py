"""Text that does not fit its column is refused before the database sees it.

PostgreSQL refuses a value longer than its ``VARCHAR(n)`` (SQLite stores it anyway), so a
title of 300 characters would work on one backend and fail on the other, after the
person's whole dialog. Checking every string column of every object a session writes, at
its flush, closes that for all of them at once: the dispatcher turns ``TooLong`` into one
short answer and the transaction (the dialog's state included) is rolled back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, event, inspect
from sqlalchemy.orm import Session, UOWTransaction


class TooLong(ValueError):
    """A text is longer than its column allows; ``limit`` is the column's length."""

    def __init__(self, table: str, column: str, limit: int) -> None:
        super().__init__(f"{table}.{column} longer than {limit}")
        self.table, self.column, self.limit = table, column, limit


_LIMITS: dict[Any, list[tuple[str, str, int]]] = {}


def _limits(mapper: Any) -> list[tuple[str, str, int]]:
    """(attribute, column, length) of a mapper's length-limited string columns; cached."""
    cached = _LIMITS.get(mapper)
    if cached is None:
        cached = [
            (attr.key, column.name, column.type.length)
            for attr in mapper.column_attrs
            for column in attr.columns[:1]
            if isinstance(column.type, String) and column.type.length
        ]
        _LIMITS[mapper] = cached
    return cached


def check_lengths(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    """``before_flush``: raise ``TooLong`` for the first text that does not fit."""
    for obj, changed_only in (
        *((o, False) for o in session.new),
        *((o, True) for o in session.dirty),
    ):
        state = inspect(obj)
        limits = _limits(state.mapper)
        if not limits:
            continue
        values = state.dict
        # Of a loaded row only what changed: a longer value SQLite kept from before must
        # not stop every later change of that row.
        changed = state.committed_state if changed_only else values
        for key, column, length in limits:
            if key not in changed:
                continue
            value = values.get(key)
            if isinstance(value, str) and len(value) > length:
                raise TooLong(state.mapper.local_table.name, column, length)


def check_values(model: type, values: dict[str, Any]) -> None:
    """``check_lengths`` for a row written with a Core statement (no flush sees it)."""
    mapper = inspect(model)
    for key, column, length in _limits(mapper):
        value = values.get(key)
        if isinstance(value, str) and len(value) > length:
            raise TooLong(mapper.local_table.name, column, length)


def guard(session_class: type[Session]) -> None:
    """Check lengths in every flush of this session class (once, however often called)."""
    if not event.contains(session_class, "before_flush", check_lengths):
        event.listen(session_class, "before_flush", check_lengths)


def column_length(model: type, attribute: str) -> int:
    """The length of a model's string column, for checking a typed answer against it."""
    column = model.__table__.columns[attribute]  # type: ignore[attr-defined]
    length = getattr(column.type, "length", None)
    assert length, f"{model.__name__}.{attribute} has no length"
    return int(length)
