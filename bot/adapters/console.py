"""The console chat: the person at the terminal, talking to the same handlers as everyone.

To try out how residents see the bot, the terminal can also speak for others:
``@Anna: ja`` is Anna writing in the community's group, ``@Anna> /termine`` is Anna writing
to the bot privately. What the bot sends to the group is printed behind 👥, what it sends
to Anna privately behind 👤 Anna.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from collections.abc import Awaitable, Callable
from typing import TextIO

from bot.adapters.base import Adapter, Dispatch
from bot.chat.types import ChatRef, Delivery, Incoming, Sender, numbered_choices
from bot.language.i18n import _

log = logging.getLogger(__name__)

QUIT_WORDS = {"/ende", "/quit", "/exit", "!ende"}
# A terminal cannot change what it printed: an edit is printed again behind this mark
# (a symbol, so it needs no translation).
EDITED_MARK = "✎ "
CHAT_ID = "console"
USER_ID = "local"
GROUP_ID = "console-group"
GROUP_MARK = "👥 "
PERSON_MARK = "👤 "
# "@Anna: text" speaks in the group, "@Anna> text" privately; names up to 40 characters.
_AS_SOMEONE = re.compile(r"^@([^:>@\n]{1,40}?)\s*([:>])\s*(.*)$")


class ConsoleAdapter(Adapter):
    """Reads lines from stdin (a terminal or a pipe) and prints the bot's messages."""

    platform = "console"
    display_name = "Konsole"
    shows_buttons = False
    supports_edit = True

    def __init__(
        self,
        *,
        user_name: str = "",
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        settle: Callable[[], Awaitable[None]] | None = None,
        on_finished: Callable[[], None] = lambda: None,
    ) -> None:
        self._stdin = stdin or sys.stdin
        self._stdout = stdout or sys.stdout
        self._user_name = user_name or "Gast"
        # Waits until the replies to a line are delivered, so output stays in order.
        self._settle = settle
        self._on_finished = on_finished
        self._task: asyncio.Task[None] | None = None
        self._sent = 0
        self.chat = ChatRef(self.platform, CHAT_ID, "direct", "Console")
        self.group = ChatRef(self.platform, GROUP_ID, "group", "Console group")
        self.sender = Sender(USER_ID, self._user_name, None)

    @property
    def receiving_task(self) -> asyncio.Task[None] | None:
        return self._task

    async def start(self, dispatch: Dispatch) -> None:
        self._task = asyncio.create_task(self._read_loop(dispatch), name="console-reader")

    async def stop_receiving(self) -> None:
        """Stop reading lines; replies still print."""
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def stop(self) -> None:
        await self.stop_receiving()

    async def _read_loop(self, dispatch: Dispatch) -> None:
        interactive = self._stdin.isatty()
        loop = asyncio.get_running_loop()
        try:
            while True:
                if interactive:
                    self._write("> ", newline=False)
                line = await loop.run_in_executor(None, self._stdin.readline)
                if not line:
                    break  # Ctrl-D or end of piped input
                text = line.rstrip("\r\n")
                if not text.strip():
                    continue
                if text.strip().lower() in QUIT_WORDS:
                    break
                try:
                    await dispatch(self._incoming(text))
                except Exception:
                    log.exception("could not handle the console input")
                    self._write(_("Sorry, I have a problem right now. Please try again later."))
                if self._settle is not None:
                    await self._settle()
        finally:
            if interactive:
                self._write("")
            self._on_finished()

    def _incoming(self, text: str) -> Incoming:
        """A line as a message: the terminal's own, or one spoken for somebody else."""
        found = _AS_SOMEONE.match(text.strip())
        if found is None or not found.group(3):
            return Incoming(chat=self.chat, sender=self.sender, text=text)
        name, where, said = found.group(1).strip(), found.group(2), found.group(3)
        someone = Sender(f"@{name}", name, None)
        if where == ":":
            return Incoming(chat=self.group, sender=someone, text=said)
        chat = ChatRef(self.platform, someone.external_id, "direct", name)
        return Incoming(chat=chat, sender=someone, text=said)

    async def send(self, delivery: Delivery) -> str:
        text = numbered_choices(delivery)
        if delivery.chat.external_id == GROUP_ID:
            text = GROUP_MARK + text
        elif delivery.chat.external_id.startswith("@"):  # a resident the console speaks for
            text = f"{PERSON_MARK}{delivery.chat.external_id.removeprefix('@')}: {text}"
        if delivery.edit_message_id is not None:
            self._write(EDITED_MARK + text + "\n")
            return delivery.edit_message_id
        self._sent += 1
        if delivery.attachment is not None:
            text += f"\n[{delivery.attachment.filename}]"
        self._write(text + "\n")
        return str(self._sent)

    def _write(self, text: str, *, newline: bool = True) -> None:
        self._stdout.write(text + ("\n" if newline else ""))
        self._stdout.flush()
