"""What an operator sees when the bot cannot start (#19): the real `lotsenbot run` as a
process against loopback servers; stderr is exactly one line naming the setting and what to
check, the exit code tells the kind (README, "When it does not start"), and --verbose adds
the traceback. The Matrix login is refused by the real Synapse."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.e2e.telegram_bot import fast_server
from tests.servers.postgres import PostgresCluster
from tests.servers.synapse import SynapseServer, synapse_fixture  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parents[2]
# bot.admins set: no one-time admin code is announced, so only the failure is on stderr.
BASE = '[bot]\ndata_dir = "{data}"\nadmins = ["telegram:1"]\n[console]\nenabled = "no"\n'


async def _run(tmp_path: Path, config: str, *extra: str) -> tuple[int, str]:
    """`lotsenbot run` with this config.toml; its exit code and stderr."""
    (tmp_path / "config.toml").write_text(BASE.format(data=tmp_path / "var") + config)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOTSENBOT_")}
    env["PYTHONPATH"] = str(ROOT)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *extra,
        "run",
        cwd=tmp_path,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, err.decode()


def _one_line(err: str) -> str:
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert "Traceback" not in err
    return err.rstrip("\n")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_telegram_token_rejected(tmp_path: Path) -> None:
    async with fast_server() as server:
        config = f'[telegram]\ntoken = "999:REVOKED"\nbase_url = "{server.base_url}"\n'
        code, err = await _run(tmp_path, config)
    assert code == 4
    assert _one_line(err) == (
        "lotsenbot: telegram.token: Telegram does not accept this token; "
        "copy it again from @BotFather (/mybots, API Token)"
    )


async def test_matrix_login_refused(tmp_path: Path, synapse: SynapseServer) -> None:
    """The real Synapse refuses a wrong password; the start says so in one line."""
    user = await synapse.new_user_async("lotsenbot")
    homeserver = synapse.base_url
    config = (
        f'[matrix]\nhomeserver = "{homeserver}"\nuser_id = "{user.user_id}"\n'
        'password = "not-the-password"\n'
    )
    code, err = await _run(tmp_path, config)
    assert code == 4
    assert _one_line(err) == (
        f"lotsenbot: matrix.password: {homeserver} refused the login of "
        f"{user.user_id} (M_FORBIDDEN: Invalid username or password); "
        "check matrix.user_id and matrix.password"
    )
    assert "not-the-password" not in err


async def test_database_unreachable(tmp_path: Path) -> None:
    port = _closed_port()
    config = f'[database]\nurl = "postgresql+asyncpg://bot:secret@127.0.0.1:{port}/lotsenbot"\n'
    code, err = await _run(tmp_path, config)
    assert code == 3
    assert _one_line(err) == (
        f"lotsenbot: database.url: cannot reach the database at 127.0.0.1:{port} "
        "(connection refused); check that PostgreSQL is running and the host and port in "
        "database.url"
    )


async def test_database_refuses_the_credentials(
    tmp_path: Path, postgres_cluster: PostgresCluster
) -> None:
    # The suite's cluster trusts loopback, so a wrong user is what it refuses.
    url = make_url(postgres_cluster.url).set(username="nobody", password="secret")
    config = f'[database]\nurl = "{url.render_as_string(hide_password=False)}"\n'
    code, err = await _run(tmp_path, config)
    assert code == 3
    line = _one_line(err)
    assert line.startswith(
        f"lotsenbot: database.url: the database at {url.host}:{url.port} refused user 'nobody' ("
    )
    assert line.endswith("check the user and password in database.url (or database.password)")
    assert "secret" not in line


async def test_web_port_in_use_and_verbose_shows_the_traceback(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        config = f"[web]\nenabled = true\nport = {port}\n"
        code, err = await _run(tmp_path, config)
        verbose_code, verbose_err = await _run(tmp_path, config, "--verbose")
    expected = (
        f"lotsenbot: web.port: 127.0.0.1:{port} is already in use by another program; "
        "choose another web.port or stop the other program"
    )
    assert code == 5
    assert _one_line(err) == expected
    assert verbose_code == 5
    assert "Traceback" in verbose_err and "address already in use" in verbose_err.lower()
    assert verbose_err.rstrip("\n").endswith(expected)
