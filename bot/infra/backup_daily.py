"""The daily backup as a scheduler chore: once a day after ``[backup] time``, into
``[backup] dir``, keeping the newest ``keep`` of them. Only the leading process runs chores,
so a cluster makes one backup a day. The files are the record of what was done: a restart
neither repeats nor skips a day's backup."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import BackupSection
from bot.domain.work import Work
from bot.infra.backup import backup
from bot.infra.scheduler import Chore

log = logging.getLogger(__name__)

PREFIX = "lotsenbot-"
SUFFIX = ".tar.gz"
# After a failed backup (disk full, pg_dump missing): the next try, not every wake-up.
RETRY = timedelta(hours=1)
_NAME = re.compile(r"lotsenbot-(\d{4}-\d{2}-\d{2})\.tar\.gz")


def rounds(section: BackupSection, database_url: str, data_dir: Path, version: str) -> list[Chore]:
    """The daily backup chore, or nothing when ``[backup] dir`` is not set."""
    if not section.dir:
        return []
    daily = DailyBackup(section, database_url, data_dir, version)
    return [Chore("backup", daily.run, next_due=daily.next_due)]


class DailyBackup:
    def __init__(
        self, section: BackupSection, database_url: str, data_dir: Path, version: str
    ) -> None:
        self.dir = Path(section.dir)
        self.keep = section.keep
        self.zone = ZoneInfo(section.timezone)
        hours, minutes = section.time.split(":")
        self.at = time(int(hours), int(minutes))
        self.database_url = database_url
        self.data_dir = data_dir
        self.version = version
        self.pg_dump = section.pg_dump
        # The scheduler's time at the last round (its clock, not the wall's).
        self._now: datetime | None = None
        self._failed_at: datetime | None = None

    def _due_at(self, day: datetime) -> datetime:
        return datetime.combine(day.date(), self.at, self.zone)

    def _file(self, now: datetime) -> Path:
        return self.dir / f"{PREFIX}{now.astimezone(self.zone).date().isoformat()}{SUFFIX}"

    async def run(self, work: Work) -> None:
        now = self._now = work.now
        if now < self._due_at(now.astimezone(self.zone)) or self._file(now).exists():
            return None
        if self._failed_at is not None and now - self._failed_at < RETRY:
            return None
        target = self._file(now)
        try:
            self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            await asyncio.to_thread(
                backup,
                self.database_url,
                self.data_dir,
                target,
                version=self.version,
                pg_dump=self.pg_dump,
                now=now,
            )
        except Exception as exc:
            # One line in the log; the next wake-up tries again.
            log.error("daily backup into %s failed: %s", target, exc)
            self._failed_at = now
            return None
        self._failed_at = None
        log.info("daily backup written: %s", target)
        self._prune()
        return None

    def _prune(self) -> None:
        made = sorted(p for p in self.dir.iterdir() if _NAME.fullmatch(p.name))
        for old in made[: -self.keep]:
            old.unlink(missing_ok=True)
            log.info("old backup removed: %s", old)

    async def next_due(self, _session: AsyncSession) -> datetime | None:
        if self._now is None:
            return None  # the first round comes anyway
        local = self._now.astimezone(self.zone)
        if self._file(self._now).exists():
            return self._due_at(local + timedelta(days=1))
        if self._failed_at is not None:
            return self._failed_at + RETRY
        return self._due_at(local)
