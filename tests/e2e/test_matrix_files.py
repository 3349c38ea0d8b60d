"""The Matrix login and the encryption keys are the bot's user's alone: ``data_dir/matrix``
is 0700 and every file in it 0600 from the first start, whatever the process umask."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.matrix_bot import RunningMatrixBot, bot_account
from tests.servers.synapse import SynapseServer, synapse_fixture  # noqa: F401 - fixture


@pytest.fixture
def common_umask() -> Iterator[None]:
    """The usual umask of a login shell: files 0644 unless created with a narrower mode."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _modes(root: Path) -> dict[str, int]:
    return {
        str(path.relative_to(root)): stat.S_IMODE(path.stat().st_mode)
        for path in [root, *root.rglob("*")]
    }


async def test_matrix_credentials_and_keys_are_private(
    synapse: SynapseServer, sqlite_url: str, tmp_path: Path, common_umask: None
) -> None:
    running = RunningMatrixBot(synapse, await bot_account(synapse), sqlite_url, tmp_path)
    await running.start()
    try:
        store = tmp_path / "matrix"
        modes = _modes(store)
        saved = json.loads((store / "credentials.json").read_text())
    finally:
        await running.stop()
    assert saved["access_token"] and "credentials.json" in modes
    assert any(name.endswith(".db") for name in modes), modes  # nio's crypto store
    assert modes == {name: 0o700 if name == "." else 0o600 for name in modes}
    # Written atomically: no temporary file is left behind.
    assert [name for name in modes if name.endswith(".tmp")] == []
