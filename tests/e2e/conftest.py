"""Shared fixtures of the end-to-end tests."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.infra.logs import HANDLER_NAME

InProcess = Callable[..., tuple[int, str, str]]


@pytest.fixture
def lotsenbot_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[InProcess]:
    """`lotsenbot ARGS` through `bot.cli.main` in this process, in ``tmp_path`` as its
    directory, without LOTSENBOT_ variables: the real command's code path without a Python
    start each time. Returns exit code, stdout and stderr. From a running event loop call it
    through ``asyncio.to_thread`` (the command runs its own loop). What the command changes
    for the whole process (umask, logging) is put back afterwards."""
    for name in [k for k in os.environ if k.startswith("LOTSENBOT_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    root = logging.getLogger()
    level = root.level
    umask = os.umask(0o022)
    os.umask(umask)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    yield run
    os.umask(umask)
    # The command's own stderr handler goes (pytest adds its capturing ones per phase).
    root.handlers[:] = [h for h in root.handlers if h.get_name() != HANDLER_NAME]
    root.setLevel(level)
