"""A real SMTP server on loopback (aiosmtpd) that keeps what arrives, for the e-mail tests.

It runs in its own thread (aiosmtpd's Controller), so a bot in this process and a bot in a
child process send to it alike. What arrived is read back with Python's ``email`` package
(``messages``). On demand it answers like a real server that will not take a message:
``refuse(address, code)`` at RCPT (550: no such mailbox; 451: try later) and
``fail_data(code, times)`` after DATA.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Arrived:
    envelope_from: str
    recipients: tuple[str, ...]
    message: EmailMessage
    # The client's (address, port): one per SMTP session, so a reused session shows.
    peer: tuple[str, int] = ("", 0)

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def text(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        # SMTP carries CRLF line ends; read as the bot wrote it.
        return str(part.get_content()).replace("\r\n", "\n")  # type: ignore[attr-defined]

    @property
    def html(self) -> str:
        part = self.message.get_body(("html",))
        assert part is not None
        return str(part.get_content())  # type: ignore[attr-defined]

    def attachments(self) -> list[EmailMessage]:
        return list(self.message.iter_attachments())  # type: ignore[arg-type]


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self._server = server

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        code = self._server.refused.get(address.lower())
        if code is not None:
            return f"{code} {'5.1.1 no such mailbox' if code >= 500 else '4.2.0 try later'}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._server.lock:
            if self._server.data_failures:
                code = self._server.data_failures.pop(0)
                return f"{code} {'5.6.0 refused' if code >= 500 else '4.3.0 busy, try later'}"
            parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self._server.arrived.append(
                Arrived(
                    envelope.mail_from,
                    tuple(envelope.rcpt_tos),
                    parsed,  # type: ignore[arg-type]
                    tuple(session.peer[:2]),
                )
            )
        return "250 OK"


class SmtpServer:
    """aiosmtpd on 127.0.0.1 and a free port; ``start``/``stop``; what arrived."""

    def __init__(self) -> None:
        self.arrived: list[Arrived] = []
        self.refused: dict[str, int] = {}
        self.data_failures: list[int] = []
        self.lock = threading.Lock()
        self.port = free_port()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def restart(self) -> None:
        """Down and up again on the same port: every open session is gone."""
        self._controller.stop()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def refuse(self, address: str, code: int = 550) -> None:
        self.refused[address.lower()] = code

    def fail_data(self, code: int, times: int = 1) -> None:
        with self.lock:
            self.data_failures += [code] * times

    def to(self, address: str) -> list[Arrived]:
        with self.lock:
            return [a for a in self.arrived if address.lower() in (r.lower() for r in a.recipients)]

    def messages(self) -> list[Arrived]:
        with self.lock:
            return list(self.arrived)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
