"""A real program on a pty whose output is read only when the test asks.

``RawTerminal(argv, env, size=(80, 24))`` starts the program on a fresh
pseudo-terminal. Nothing reads its output until the test calls ``read`` or
``wait_for``, so a test can let output pile up in the pty and the program (as a
slow SSH link would) and then count the bytes that come before something.
Reads run in a thread, so a relay in the test's event loop keeps running.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import select
import signal
import struct
import subprocess
import termios
import time

from tests.support.procs import REPO

__all__ = ["RawTerminal", "pending_bytes"]


def pending_bytes(fd: int) -> int:
    """Bytes waiting to be read on ``fd`` (on the master: what the program wrote and the terminal has not read)."""
    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]


class RawTerminal:
    def __init__(self, argv: list[str], env: dict[str, str], size: tuple[int, int] = (80, 24)) -> None:
        columns, rows = size
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=REPO, start_new_session=True)
        self.slave = slave  # kept open to see how much of what was typed the program has not read yet
        self.output = bytearray()

    def _read(self, seconds: float, limit: int | None = None) -> int:
        deadline = time.monotonic() + seconds
        count = 0
        while (left := deadline - time.monotonic()) > 0:
            if select.select([self.master], [], [], min(left, 0.05))[0]:
                try:
                    chunk = os.read(self.master, 65536 if limit is None else max(1, min(65536, limit - count)))
                except OSError:
                    break
                count += len(chunk)
                self.output += chunk
                if limit is not None and count >= limit:
                    break
        return count

    async def read(self, seconds: float) -> int:
        """Read what arrives for ``seconds``; return how many bytes."""
        return await asyncio.to_thread(self._read, seconds)

    async def wait_for(self, marker: bytes, timeout: float = 20, *, since: int = 0) -> int:
        """Read until ``marker`` appears after offset ``since``; return the offset where it ends."""
        deadline = time.monotonic() + timeout
        while (at := self.output.find(marker, since)) < 0:
            if time.monotonic() > deadline:
                raise AssertionError(f"{marker!r} never appeared on the terminal; last output: {bytes(self.output[-400:])!r}")
            if self.proc.poll() is not None and not select.select([self.master], [], [], 0)[0]:
                raise AssertionError(f"the program exited ({self.proc.returncode}) before {marker!r}; last output: {bytes(self.output[-400:])!r}")
            await self.read(0.1)
        return at + len(marker)

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    async def close(self) -> None:
        try:
            os.write(self.master, b"\x11")  # Ctrl+Q
        except OSError:
            pass
        for _ in range(50):
            if self.proc.poll() is not None:
                break
            await self.read(0.1)
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        os.close(self.master)
        os.close(self.slave)

    def unread_input(self) -> int:
        """Bytes typed at the terminal that the program has not read yet."""
        return pending_bytes(self.slave)
