"""Logging to stderr, plain or as JSON lines; secrets are masked before anything is written."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from datetime import UTC, datetime

# Telegram bot tokens and Matrix access tokens in URLs or messages.
_SECRETS = re.compile(r"(\d{6,}:[A-Za-z0-9_-]{20,})|(syt_[A-Za-z0-9_]+)|(access_token=[^&\s]+)")


# Who is writing, for JSON lines: set by the composition root once the process knows its
# place among several bot processes (bot.cluster).
_context: dict[str, object] = {}


def set_log_context(**fields: object) -> None:
    """Fields added to every JSON log line from now on (None removes one)."""
    for key, value in fields.items():
        if value is None:
            _context.pop(key, None)
        else:
            _context[key] = value


def redact(text: str) -> str:
    return _SECRETS.sub("********", text)


class _Redacting(logging.Formatter):
    def __init__(self, json_lines: bool) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self._json = json_lines

    def format(self, record: logging.LogRecord) -> str:
        if self._json:
            entry = {
                "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
                "level": record.levelname,
                "logger": record.name,
                "message": record.getMessage(),
                "pid": os.getpid(),
                **_context,
            }
            if record.exc_info:
                entry["exception"] = self.formatException(record.exc_info)
            return redact(json.dumps(entry, ensure_ascii=False))
        return redact(super().format(record))


def setup_logging(level: str = "INFO", *, json_lines: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Redacting(json_lines))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Library chatter at INFO would bury our own lines.
    for noisy in ("httpx", "aiosqlite", "alembic", "telegram", "apscheduler", "nio"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger(noisy).level))
