"""A terminal for the console adapter: a test types a line and reads what the bot printed."""

from __future__ import annotations

import asyncio
import io
import queue
import threading


class Terminal:
    """stdin and stdout in one: ``readline`` blocks (in the adapter's reader thread) until
    the test types, and the test knows the bot is done with a line when it reads again."""

    def __init__(self) -> None:
        self._lines: queue.Queue[str] = queue.Queue()
        self._reading = threading.Event()
        self._out = io.StringIO()
        self._lock = threading.Lock()
        # Each write as it came: the console writes one message (with its choices and file
        # name) in one call, so a test can tell messages apart.
        self.writes: list[str] = []

    # stdin side, used by the adapter
    def isatty(self) -> bool:
        return False

    def readline(self) -> str:
        self._reading.set()
        line = self._lines.get()
        self._reading.clear()
        return line

    # stdout side, used by the adapter
    def write(self, text: str) -> int:
        with self._lock:
            self.writes.append(text)
            return self._out.write(text)

    def flush(self) -> None:
        pass

    # the test's side
    @property
    def printed(self) -> str:
        with self._lock:
            return self._out.getvalue()

    async def ready(self, timeout: float = 20) -> None:  # noqa: ASYNC109
        """Until the adapter waits for the next line."""
        for _ in range(int(timeout / 0.01)):
            if self._reading.is_set():
                return
            await asyncio.sleep(0.01)
        raise TimeoutError("the console did not ask for the next line")

    async def type(self, line: str) -> str:
        """Type one line; returns what the bot printed in answer."""
        await self.ready()
        mark = len(self.printed)
        self._reading.clear()
        self._lines.put(line + "\n")
        await self.ready()
        return self.printed[mark:]

    def close(self) -> None:
        """End of input, like Ctrl-D."""
        self._lines.put("")
