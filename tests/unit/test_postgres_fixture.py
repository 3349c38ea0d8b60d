"""Proves the private PostgreSQL test cluster from tests/servers/postgres.py works, and
that the fixture only finds what `make provision` (tests/servers/provision_postgres.py)
installed: it changes nothing on the machine and names `make test` when something is missing.

The fixtures are imported into this module's namespace so the tests run
without a conftest.
"""

from __future__ import annotations

import asyncio
import errno
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

# There is no tests/__init__.py and no pytest `pythonpath` setting, so make the
# repo root importable for `tests.fakes` however pytest was started.
_REPO_ROOT = str(Path(__file__).resolve().parents[2])
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

from tests.servers import postgres as postgres_module  # noqa: E402
from tests.servers.postgres import (  # noqa: E402
    PostgresCluster,
    PostgresMissing,
    postgres_cluster,  # noqa: F401  (fixture, used by name)
    postgres_url,  # noqa: F401  (fixture, used by name)
)


def _engine(url: str) -> AsyncEngine:
    # NullPool: no connection outlives the test's event loop.
    return create_async_engine(url, poolclass=NullPool)


@pytest.mark.asyncio
async def test_select_one_through_sqlalchemy_asyncpg(
    postgres_cluster: PostgresCluster,  # noqa: F811
) -> None:
    engine = _engine(postgres_cluster.url)
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT 1"))).scalar_one() == 1
            version = (await conn.execute(text("SHOW server_version_num"))).scalar_one()
            assert int(version) >= 130000  # DROP DATABASE ... WITH (FORCE) needs 13+
            assert conn.dialect.driver == "asyncpg"
    finally:
        await engine.dispose()


def _listening_addresses(port: int) -> list[str]:
    """Local addresses of LISTEN sockets on ``port`` from /proc/net/tcp{,6}."""
    found: list[str] = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state = fields[1], fields[3]
            address_hex, port_hex = local.split(":")
            if state != "0A" or int(port_hex, 16) != port:  # 0A = TCP_LISTEN
                continue
            if len(address_hex) == 8:
                # IPv4 is stored as a little-endian 32-bit number.
                found.append(socket.inet_ntoa(bytes.fromhex(address_hex)[::-1]))
            else:
                words = [bytes.fromhex(address_hex[i : i + 8])[::-1] for i in range(0, 32, 8)]
                found.append(socket.inet_ntop(socket.AF_INET6, b"".join(words)))
    return found


@pytest.mark.asyncio
async def test_listens_only_on_loopback(
    postgres_cluster: PostgresCluster,  # noqa: F811
) -> None:
    if postgres_cluster.is_external:
        pytest.skip("LOTSENBOT_TEST_POSTGRES_URL server: not our listen configuration")
    port = postgres_cluster.port
    assert port is not None

    engine = _engine(postgres_cluster.url)
    try:
        async with engine.connect() as conn:
            listen = (await conn.execute(text("SHOW listen_addresses"))).scalar_one()
            server_addr = (await conn.execute(text("SELECT host(inet_server_addr())"))).scalar()
    finally:
        await engine.dispose()
    assert listen == "127.0.0.1"
    assert server_addr == "127.0.0.1"

    # The kernel's view: exactly one TCP listener on the port, bound to 127.0.0.1
    # (not 0.0.0.0 nor ::).
    assert _listening_addresses(port) == ["127.0.0.1"]

    # Another loopback address reaches the same host but not a socket bound to
    # 127.0.0.1 only: the connection is refused.
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.settimeout(2)
    try:
        assert probe.connect_ex(("127.0.0.2", port)) == errno.ECONNREFUSED
    finally:
        probe.close()


@pytest.mark.asyncio
async def test_fresh_databases_are_isolated(
    postgres_cluster: PostgresCluster,  # noqa: F811
    postgres_url: str,  # noqa: F811
) -> None:
    other_name = f"lotsenbot_iso_{uuid.uuid4().hex[:12]}"
    other_url = postgres_cluster.create_database(other_name)
    first, second = _engine(postgres_url), _engine(other_url)
    try:
        async with first.begin() as conn:
            # A fresh database starts empty: no tables of earlier tests.
            count = await conn.execute(
                text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            )
            assert count.scalar_one() == 0
            await conn.execute(text("CREATE TABLE marker (value text)"))
            await conn.execute(text("INSERT INTO marker VALUES ('first')"))
            first_db = (await conn.execute(text("SELECT current_database()"))).scalar_one()

        async with second.connect() as conn:
            second_db = (await conn.execute(text("SELECT current_database()"))).scalar_one()
            missing = await conn.execute(text("SELECT to_regclass('public.marker')"))
            assert missing.scalar() is None

        async with first.connect() as conn:
            rows = (await conn.execute(text("SELECT value FROM marker"))).scalars().all()
            assert rows == ["first"]
        assert first_db != second_db
        assert second_db == other_name
    finally:
        await first.dispose()
        await second.dispose()
        postgres_cluster.drop_database(other_name)


async def _claim(conn: AsyncConnection, limit: int) -> list[int]:
    result = await conn.execute(
        text(
            "SELECT id FROM jobs WHERE claimed_by IS NULL ORDER BY id"
            " LIMIT :limit FOR UPDATE SKIP LOCKED"
        ),
        {"limit": limit},
    )
    return list(result.scalars().all())


@pytest.mark.asyncio
async def test_skip_locked_gives_concurrent_transactions_disjoint_rows(
    postgres_url: str,  # noqa: F811
) -> None:
    engine = _engine(postgres_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text("CREATE TABLE jobs (id int PRIMARY KEY, claimed_by text, done bool)")
            )
            await conn.execute(
                text("INSERT INTO jobs (id, done) SELECT g, false FROM generate_series(1, 10) g")
            )

        # Two transactions open at the same time on two connections.
        async with engine.connect() as a, engine.connect() as b:
            await a.begin()
            await b.begin()
            claimed_a = await _claim(a, 4)
            claimed_b = await _claim(b, 4)  # A still holds its row locks here
            assert claimed_a == [1, 2, 3, 4]
            assert claimed_b == [5, 6, 7, 8]

            # The rows really are locked: without SKIP LOCKED, B cannot take them.
            with pytest.raises(DBAPIError, match="could not obtain lock"):
                async with b.begin_nested():
                    await b.execute(text("SELECT id FROM jobs WHERE id = 1 FOR UPDATE NOWAIT"))

            await a.execute(
                text("UPDATE jobs SET claimed_by = 'a' WHERE id = ANY(:ids)"), {"ids": claimed_a}
            )
            await b.execute(
                text("UPDATE jobs SET claimed_by = 'b' WHERE id = ANY(:ids)"), {"ids": claimed_b}
            )
            await a.commit()
            await b.commit()

        # Several workers draining the queue concurrently: every job exactly once.
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE jobs SET claimed_by = NULL"))

        async def worker(name: str) -> list[int]:
            mine: list[int] = []
            async with engine.connect() as conn:
                for _ in range(20):  # bounded: a bug must fail, not spin forever
                    async with conn.begin():
                        ids = await _claim(conn, 1)
                        if not ids:
                            return mine
                        # Hold the lock across an await so workers overlap.
                        await asyncio.sleep(0.01)
                        await conn.execute(
                            text("UPDATE jobs SET claimed_by = :name, done = true WHERE id = :id"),
                            {"name": name, "id": ids[0]},
                        )
                    mine.extend(ids)
            raise AssertionError(f"{name} never saw an empty queue")

        results = await asyncio.gather(*(worker(f"w{i}") for i in range(4)))
        flat = [job for claimed in results for job in claimed]
        assert sorted(flat) == list(range(1, 11))
        assert len(set(flat)) == len(flat)
        assert sum(1 for claimed in results if claimed) >= 2  # really concurrent

        async with engine.connect() as conn:
            undone = await conn.execute(text("SELECT count(*) FROM jobs WHERE NOT done"))
            assert undone.scalar_one() == 0
    finally:
        await engine.dispose()


def test_missing_binaries_fail_with_one_line_naming_make_test(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(postgres_module, "find_pg_bin", lambda: None)
    cluster = PostgresCluster()
    with pytest.raises(PostgresMissing) as missing:
        cluster.start()
    message = str(missing.value)
    assert "\n" not in message
    assert "make test" in message and "make provision" in message
    assert cluster.base_dir is None and cluster.port is None  # nothing was started


def test_a_missing_os_user_as_root_fails_with_one_line_naming_make_test(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(postgres_module.os, "geteuid", lambda: 0)
    monkeypatch.setattr(postgres_module, "os_user", lambda: None)
    with pytest.raises(PostgresMissing) as missing:
        PostgresCluster().start()
    message = str(missing.value)
    assert "\n" not in message
    assert "lotsenbot-pg" in message and "make test" in message


def test_the_fixture_module_installs_nothing() -> None:
    source = Path(postgres_module.__file__).read_text()
    for word in ("apt-get", "useradd", "policy-rc.d", "sudo"):
        assert word not in source


def test_provisioning_a_provisioned_machine_changes_and_prints_nothing() -> None:
    # `make test` provisioned this machine before pytest; the step run again (with
    # the system's Python, standard library only) must then be silent and succeed.
    script = Path(_REPO_ROOT) / "tests" / "servers" / "provision_postgres.py"
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-I", str(script)], capture_output=True, text=True, env=env, timeout=60
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
