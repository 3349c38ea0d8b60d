"""Logging to stderr, plain or as JSON lines; secrets are masked before anything is written."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import quote, quote_plus

MASK = "********"
# Secrets recognisable by their shape, wherever they turn up (URLs, messages, tracebacks):
# Telegram bot tokens; Matrix access tokens (Synapse "syt_", MAS "mct_"/"mat_", old
# macaroons starting "MDAx"); tokens and passwords as query parameters, JSON fields or
# Authorization headers.
_SECRETS = re.compile(
    r"\d{6,}:[A-Za-z0-9_-]{20,}"
    r"|\b(?:syt|mct|mat|syd)_[A-Za-z0-9_-]+"
    r"|\bMDAx[A-Za-z0-9_+/=-]{20,}"
    r"|(?<=access_token=)[^&\s\"']+"
    r"|(?<=password=)[^&\s\"']+"
    r"|(?<=Bearer )[A-Za-z0-9._~+/=-]+"
)
# JSON and Python-repr fields holding a secret: {"access_token": "…"}, 'password': '…'.
_SECRET_FIELDS = re.compile(
    r"""(?P<key>["']?(?:access_token|password|token|webhook_secret)["']?\s*[:=]\s*["'])"""
    r"""(?P<value>[^"']+)(?=["'])"""
)
# The password in any URL: scheme://user:password@host -> scheme://user:***@host.
_URL_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*:)[^\s@]+(?=@)")
# PostgreSQL's DETAIL lines quote the row or key that failed ("Failing row contains
# (…, Erika Muster, 0151 …)", "Key (phone)=(…)"): personal data, never written out.
_DETAIL = re.compile(r"DETAIL:[^\n]*")
# Configured secrets shorter than this are not masked by value (they would mask ordinary
# words); their shapes above still apply.
MIN_SECRET_LENGTH = 6

# The deployment's configured secret values (and their URL-encoded forms), longest first so
# a token is masked before a part of it; set by the composition root.
_values: list[str] = []


# Who is writing, for JSON lines: set by the composition root once the process knows its
# place among several bot processes (bot.infra.cluster).
_context: dict[str, object] = {}


def set_log_context(**fields: object) -> None:
    """Fields added to every JSON log line from now on (None removes one)."""
    for key, value in fields.items():
        if value is None:
            _context.pop(key, None)
        else:
            _context[key] = value


def set_secrets(values: Iterable[str]) -> None:
    """Mask these values in everything written from now on (the configured tokens and
    passwords: they are masked even where their shape is not recognisable)."""
    known: set[str] = set()
    for value in values:
        if value and len(value) >= MIN_SECRET_LENGTH:
            known.update({value, quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1]})
    _values[:] = sorted(known, key=len, reverse=True)


def add_secret(value: str) -> None:
    """One more secret learnt at run time (e.g. the access token of a fresh Matrix login)."""
    set_secrets([*_values, value])


def redact(text: str) -> str:
    """``text`` with every known secret, URL password and database DETAIL masked."""
    for value in _values:
        if value in text:
            text = text.replace(value, MASK)
    text = _URL_PASSWORD.sub(r"\g<head>***", text)
    text = _SECRET_FIELDS.sub(lambda m: m.group("key") + MASK, text)
    text = _DETAIL.sub("DETAIL: (hidden)", text)
    return _SECRETS.sub(MASK, text)


class _Redacting(logging.Formatter):
    def __init__(self, json_lines: bool) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self._json = json_lines

    def format(self, record: logging.LogRecord) -> str:
        if self._json:
            # Masked before encoding: a secret with a quote or backslash in it would no
            # longer match once JSON had escaped it.
            entry = {
                "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
                "level": record.levelname,
                "logger": record.name,
                "message": redact(record.getMessage()),
                "pid": os.getpid(),
                **_context,
            }
            if record.exc_info:
                entry["exception"] = redact(self.formatException(record.exc_info))
            return redact(json.dumps(entry, ensure_ascii=False))
        return redact(super().format(record))


# The name of the handler setup_logging installs (tests take it away again).
HANDLER_NAME = "lotsenbot"


def setup_logging(
    level: str = "INFO", *, json_lines: bool = False, secrets: Iterable[str] | None = None
) -> None:
    if secrets is not None:
        set_secrets(secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(_Redacting(json_lines))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Library chatter at INFO would bury our own lines.
    for noisy in ("httpx", "aiosqlite", "alembic", "telegram", "apscheduler", "nio"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger(noisy).level))
    # nio warns "Error validating response" for every error answer (a refused login too)
    # before returning it as an error response; the Matrix adapter reports those itself.
    logging.getLogger("nio.responses").setLevel(logging.ERROR)
