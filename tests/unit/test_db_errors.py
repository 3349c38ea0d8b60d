"""Which database failures are tried again (the update comes back) and which are handled
for good: real errors from real PostgreSQL and SQLite."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from bot.infra.db import create_engine
from bot.infra.db_errors import is_transient, kind


async def _error(url: str, statement: str) -> BaseException:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(statement))
    except Exception as exc:
        return exc
    finally:
        await engine.dispose()
    raise AssertionError(f"{statement} did not fail")


def _raise(code: str) -> str:
    return f"DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '{code}'; END $$"


@pytest.mark.parametrize(
    ("code", "transient"),
    [
        ("40001", True),  # serialization failure
        ("40P01", True),  # deadlock
        ("55P03", True),  # lock not available
        ("57P01", True),  # the server shuts down
        ("08006", True),  # connection failure
        ("22021", False),  # a NUL byte in text
        ("22001", False),  # text longer than its column
        ("23505", False),  # unique violation
        ("42P01", False),  # no such table: a bug
    ],
)
async def test_postgresql_errors_by_sqlstate(postgres_url: str, code: str, transient: bool) -> None:
    error = await _error(postgres_url, _raise(code))
    assert is_transient(error) is transient
    assert kind(error).endswith(f"/{code}")


async def test_postgresql_refusals_of_bad_input_are_for_good(postgres_url: str) -> None:
    await _error(postgres_url, "SELECT 1/0")  # warm up: the database exists
    engine = create_engine(postgres_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (title VARCHAR(5))"))
        for value in ("zu lang für fünf", "a\x00b"):
            try:
                async with engine.begin() as conn:
                    await conn.execute(text("INSERT INTO t VALUES (:v)"), {"v": value})
            except Exception as exc:
                assert not is_transient(exc)
                assert value not in kind(exc) and value not in str(exc)  # no values shown
            else:
                raise AssertionError("PostgreSQL took it")
    finally:
        await engine.dispose()


async def test_a_lost_postgresql_connection_is_transient(postgres_url: str) -> None:
    error = await _error(postgres_url, "SELECT pg_terminate_backend(pg_backend_pid())")
    assert is_transient(error)


async def test_sqlite_errors_of_a_bug_are_for_good(tmp_path) -> None:  # type: ignore[no-untyped-def]
    error = await _error(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", "SELECT * FROM nope")
    assert not is_transient(error)
    assert kind(error) == "OperationalError/SQLITE_ERROR"
