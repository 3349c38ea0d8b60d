"""Shared fixtures: a migrated database per test and a bot driven through the memory platform."""

from __future__ import annotations

import functools
import logging
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.bootstrap import App, build_app, prepare
from bot.chat.types import ChatRef
from bot.config import Settings
from bot.domain import people
from bot.domain.models import Community
from bot.infra import migrate
from bot.infra.logs import HANDLER_NAME
from tests.fakes.clock import FakeClock
from tests.fakes.memory import Conversation, MemoryAdapter
from tests.servers.postgres import (  # noqa: F401 - fixtures
    PostgresCluster,
    postgres_cluster,
    postgres_url,
)

_TEMPLATE: dict[str, Path] = {}
# Built and run only where a container engine answers (issue #19); never skipped instead.
CONTAINER_TEST = "test_container.py"


@functools.cache
def container_engine() -> bool:
    """Whether ``docker info`` succeeds: a client alone cannot build or run the image."""
    docker = shutil.which("docker")
    if docker is None:
        return False
    try:
        return subprocess.run([docker, "info"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def pytest_report_header(config: pytest.Config) -> str:
    if container_engine():
        return f"container engine: docker info works, tests/e2e/{CONTAINER_TEST} is collected"
    return f"container engine: none (docker info fails), tests/e2e/{CONTAINER_TEST} not collected"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path.name == CONTAINER_TEST and not container_engine():
        return True
    return None


# `make test` spreads whole files over two workers (pytest-xdist, --dist loadfile), handing
# them out in collection order: the long real-process files go first, so that no worker is
# left with a long one while the other has nothing to do.
_LONG_FIRST = {"e2e": 0, "browser": 1, "handlers": 2, "web": 3}


def _weight(item: pytest.Item) -> int:
    folder = item.path.parent.name
    return _LONG_FIRST.get(folder, len(_LONG_FIRST))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=_weight)  # stable: within a folder the order stays as collected
    # Named on the command line, the file is collected anyway: its tests are dropped here.
    if container_engine():
        return
    dropped = [item for item in items if item.path.name == CONTAINER_TEST]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item.path.name != CONTAINER_TEST]


@pytest.fixture(autouse=True)
def _root_logging_restored() -> Iterator[None]:
    """Commands run in-process (``cli.main``) point the root logger at the stderr pytest
    captured for that test; later tests must not write to it once it is closed."""
    level = logging.getLogger().level
    yield
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if h.get_name() != HANDLER_NAME]
    root.setLevel(level)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A migrated SQLite database (migrated once per session, then copied)."""
    if "db" not in _TEMPLATE:
        template = tmp_path.parent / "template.db"
        migrate.upgrade(f"sqlite+aiosqlite:///{template}")
        _TEMPLATE["db"] = template
    target = tmp_path / "bot.infra.db"
    target.write_bytes(_TEMPLATE["db"].read_bytes())
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on each backend the bot supports."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture(scope="session")
def postgres_template(postgres_cluster: PostgresCluster) -> str:  # noqa: F811
    """A migrated PostgreSQL database that tests copy (much faster than migrating each)."""
    name = f"lotsenbot_tpl_{uuid.uuid4().hex[:8]}"
    migrate.upgrade(postgres_cluster.create_database(name))
    return name


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[str]:
    """A migrated database on each backend: the storage tests run on both."""
    if request.param == "sqlite":
        yield sqlite_url
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    template = request.getfixturevalue("postgres_template")
    name = f"lotsenbot_t_{uuid.uuid4().hex[:16]}"
    url = cluster.create_database(name, template=template)
    try:
        yield url
    finally:
        cluster.drop_database(name)


def make_settings(url: str, tmp_path: Path, **sections: dict) -> Settings:  # type: ignore[type-arg]
    data: dict = {"bot": {"data_dir": str(tmp_path)}, "database": {"url": url}}  # type: ignore[type-arg]
    # The data protection note after a first private message is tested on its own
    # (tests/handlers/test_privacy.py); elsewhere it would only add a message to count.
    data["privacy"] = {"first_contact_note": False}
    for key, values in sections.items():
        data.setdefault(key, {}).update(values)
    return Settings(**data)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def app(db_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[App]:
    adapter = MemoryAdapter(platform="console")
    application = build_app(make_settings(db_url, tmp_path), clock=clock, adapters=[adapter])
    await prepare(application)
    yield application
    await application.close()


@pytest.fixture
def conversation(app: App) -> Conversation:
    adapter = app.adapters["console"]
    assert isinstance(adapter, MemoryAdapter)
    return Conversation(app, adapter)


@pytest.fixture
async def demo_group(app: App, conversation: Conversation) -> ChatRef:
    """A group chat linked to the demo community, as an admin would have done."""
    chat = conversation.group("group-1", "Digitalcafé Musterstadt")
    async with app.sessions.begin() as session:
        demo = await session.scalar(select(Community).where(Community.is_demo))
        row = await people.get_or_create_chat(session, chat, app.clock.now())
        row.community_id = demo.id
    return chat
