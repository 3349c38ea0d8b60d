"""The image builds and runs (issue #19). Collected only where ``docker info`` works
(tests/conftest.py; the pytest header says whether it was): never skipped instead.

The build needs the network (the base image and the dependencies' wheels)."""

from __future__ import annotations

import json
import subprocess
import time
import tomllib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _docker(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def image() -> Iterator[str]:
    tag = f"lotsenbot-test:{uuid.uuid4().hex[:8]}"
    built = _docker("build", "-t", tag, str(ROOT), timeout=1800)
    assert built.returncode == 0, built.stderr[-4000:]
    yield tag
    _docker("image", "rm", "-f", tag)


def test_the_image_knows_its_version_and_runs_as_a_user(image: str) -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    shown = _docker("run", "--rm", image, "--version")
    assert shown.stdout == f"lotsenbot {version}\n", shown.stderr
    uid = _docker("run", "--rm", "--entrypoint", "id", image, "-u")
    assert uid.stdout.strip() not in ("", "0"), uid.stdout + uid.stderr


def test_the_container_migrates_its_volume_and_turns_healthy(image: str) -> None:
    volume = f"lotsenbot-test-{uuid.uuid4().hex[:8]}"
    name = f"lotsenbot-test-{uuid.uuid4().hex[:8]}"
    try:
        # No platform configured: the console chat, kept open by an open stdin.
        started = _docker(
            "run",
            "-d",
            "-i",
            "--name",
            name,
            "-v",
            f"{volume}:/var/lib/lotsenbot",
            "--health-interval=2s",
            "--health-start-period=5s",
            image,
        )
        assert started.returncode == 0, started.stderr
        deadline = time.monotonic() + 120
        state: dict[str, object] = {}
        while time.monotonic() < deadline:
            inspected = _docker("inspect", "--format", "{{json .State}}", name)
            state = json.loads(inspected.stdout or "{}")
            health = state.get("Health")
            if isinstance(health, dict) and health.get("Status") == "healthy":
                break
            time.sleep(1)
        else:
            raise AssertionError(f"never healthy: {state} {_docker('logs', name).stderr}")
        listed = _docker("exec", name, "ls", "/var/lib/lotsenbot")
        assert "lotsenbot.db" in listed.stdout.split(), listed.stdout + listed.stderr
    finally:
        _docker("rm", "-f", name)
        _docker("volume", "rm", "-f", volume)
