"""What the container and the systemd unit promise (issue #19), checked without running
them: the Dockerfile's stages, user, volume, health check and shipped catalogs and
migrations; the compose file's secrets; ``systemd-analyze verify`` on the unit.

The image itself is built and run by tests/e2e/test_container.py, which is collected only
where ``docker info`` works (the pytest header says which was the case)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "lotsenbot.service"
INSTALLED_AT = "/opt/lotsenbot/bin/lotsenbot"


def _stages() -> dict[str, list[str]]:
    """The Dockerfile's instructions (continuation lines joined) per stage name."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    stages: dict[str, list[str]] = {}
    current: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        found = re.match(r"FROM\s+(\S+)\s+AS\s+(\w+)", line, re.I)
        if found:
            current = stages.setdefault(found.group(2), [line])
            continue
        current.append(line)
    return stages


def test_the_dockerfile_builds_a_wheel_and_runs_it_slim_as_a_user() -> None:
    stages = _stages()
    assert list(stages) == ["build", "runtime"]
    build, runtime = stages["build"], stages["runtime"]
    assert "slim" in runtime[0]
    # The wheel is built from the sources, catalogs and migrations included.
    for folder in ("bot", "handlers", "migrations", "locales"):
        assert any(re.match(rf"COPY {folder} \./{folder}$", line) for line in build), folder
    assert any("alembic.ini" in line for line in build if line.startswith("COPY"))
    assert any(line.startswith("RUN pip wheel") for line in build)
    # The runtime gets wheels only, and checks that catalogs and migrations came with them.
    copies = [line for line in runtime if line.startswith("COPY")]
    assert copies == ["COPY --from=build /wheels /wheels"]
    install = next(line for line in runtime if "pip install" in line)
    assert "--no-index" in install and "messages.mo" in install and "env.py" in install
    users = [line.split()[1] for line in runtime if line.startswith("USER")]
    assert users == ["lotsenbot"]
    assert runtime.index(f"USER {users[0]}") > runtime.index(install)
    assert 'VOLUME ["/var/lib/lotsenbot"]' in runtime
    assert "ENV PYTHONUNBUFFERED=1" in " ".join(runtime)
    assert "LOTSENBOT_BOT__DATA_DIR=/var/lib/lotsenbot" in " ".join(runtime)
    (check,) = [line for line in runtime if line.startswith("HEALTHCHECK")]
    assert "http://127.0.0.1:8080/health" in check
    assert "LOTSENBOT_WEB__ENABLED=true" in " ".join(runtime)
    assert runtime[-2:] == ['ENTRYPOINT ["lotsenbot"]', 'CMD ["run"]']


def test_the_compose_file_reads_every_secret_from_a_file() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "migrate", "lotsenbot"}
    assert all(secret["file"].startswith("./secrets/") for secret in compose["secrets"].values())
    bot = services["lotsenbot"]
    assert bot["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
    for name in ("migrate", "lotsenbot"):
        environment = services[name]["environment"]
        # Only pointers to files in /run/secrets, never a value.
        assert all(key.endswith("_FILE") for key in environment), environment
        assert all(value.startswith("/run/secrets/") for value in environment.values())
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD_FILE"].startswith("/run/")
    assert bot["ports"] == ["127.0.0.1:8080:8080"]  # /health for this host's monitoring


def test_the_unit_is_hardened() -> None:
    settings = [
        line.strip() for line in UNIT.read_text().splitlines() if "=" in line and line[0] != "#"
    ]
    for wanted in (
        "DynamicUser=yes",
        "StateDirectory=lotsenbot",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "CapabilityBoundingSet=",
        "UMask=0077",
    ):
        assert wanted in settings, wanted
    assert any(line.startswith("LoadCredential=telegram_token:") for line in settings)
    assert "Environment=LOTSENBOT_TELEGRAM__TOKEN_FILE=%d/telegram_token" in settings
    assert not any("TOKEN=" in line for line in settings)


def test_systemd_analyze_verifies_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze is not None, "systemd-analyze is missing: run `make provision`"
    # The unit as installed on this machine: lotsenbot where this environment has it.
    here = Path(sys.executable).parent / "lotsenbot"
    assert here.is_file(), f"lotsenbot is not installed in {here.parent}"
    unit = tmp_path / UNIT.name
    text = UNIT.read_text()
    assert INSTALLED_AT in text
    unit.write_text(text.replace(INSTALLED_AT, str(here)))
    verified = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    # verify exits 0 even for unknown keys and values it ignores: those are warnings.
    assert verified.returncode == 0, verified.stderr
    assert verified.stderr.strip() == "" and verified.stdout.strip() == "", verified.stderr
