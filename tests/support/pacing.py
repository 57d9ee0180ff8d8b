"""A slow link between a program and its terminal: a pty relay that paces what the program writes.

:class:`PacedTerminal` runs a program on an 80x24 pseudo-terminal and plays
the link a person's terminal is behind (9,600 bit/s and 300 ms latency, as in
issue 17): a thread reads everything the program writes as soon as it is
written (an SSH channel's window takes kilobytes without holding the program
back), and the link carries it at ``bits_per_s / 10`` bytes a second (8 data
bits, a start and a stop bit), one chunk after another, each reaching "the
terminal" one latency after the link finished sending it.

Every chunk is kept with the time the program wrote it, so when each byte
reaches the terminal can be worked out for any link: the one the test plays
(:meth:`PacedTerminal.delivered`, :meth:`PacedTerminal.readable_at`) or the
real 9,600 bit/s one (``link=REAL_LINK``), which is how a test run at a faster
rate gives the figures at the real one: the program's own times as measured,
the link's times at the real rate.
"""

from __future__ import annotations

import os
import threading
import time

from tests.support.ptyrun import kill_group, read_all, spawn

__all__ = ["PacedTerminal", "Link", "REAL_LINK", "REAL_BITS_PER_S", "REAL_LATENCY_S"]

REAL_BITS_PER_S = 9_600
REAL_LATENCY_S = 0.3


class Link:
    """A serial link: its rate in bits a second and its one-way latency in seconds."""

    def __init__(self, bits_per_s: int, latency_s: float) -> None:
        self.bytes_per_s = bits_per_s / 10
        self.latency_s = latency_s

    def seconds(self, size: int) -> float:
        """The link's time for ``size`` bytes sent together: the last one's wait, travel and latency."""
        return self.latency_s + size / self.bytes_per_s

    def arrivals(self, chunks: list[tuple[float, bytes]]) -> list[float]:
        """When each chunk (written at, bytes) is whole on the terminal: in order, never faster than the rate."""
        free_at = 0.0
        out = []
        for written, data in chunks:
            free_at = max(written, free_at) + len(data) / self.bytes_per_s
            out.append(free_at + self.latency_s)
        return out


REAL_LINK = Link(REAL_BITS_PER_S, REAL_LATENCY_S)


class PacedTerminal:
    """A program on a pty behind a paced link; what reached the terminal, and when."""

    def __init__(self, argv: list[str], env: dict[str, str], *, link: Link = REAL_LINK, size: tuple[int, int] = (80, 24)) -> None:
        self.link = link
        self.started = time.monotonic()
        self.master, self.proc, self.slave_name = spawn(argv, env, size=size)  # slave_name: where a wall message may write
        self.chunks: list[tuple[float, bytes]] = []  # (written at, bytes)
        self._lock = threading.Lock()
        self._thread = read_all(self.master, self._keep)

    def _keep(self, chunk: bytes) -> None:
        with self._lock:
            self.chunks.append((time.monotonic(), chunk))

    def _timed(self, link: Link | None) -> list[tuple[float, float, bytes]]:
        with self._lock:
            chunks = list(self.chunks)
        arrivals = (link or self.link).arrivals(chunks)
        return [(written, arrived, data) for (written, data), arrived in zip(chunks, arrivals, strict=True)]

    # -- what the terminal shows -----------------------------------------------------

    def delivered(self, by: float | None = None) -> bytes:
        """The bytes that reached the terminal by monotonic time ``by`` (now by default)."""
        by = time.monotonic() if by is None else by
        return b"".join(data for _, arrived, data in self._timed(None) if arrived <= by)

    def written_since(self, after: float) -> int:
        with self._lock:
            return sum(len(data) for written, data in self.chunks if written >= after)

    def readable_at(self, text: bytes, after: float = 0.0, link: Link | None = None) -> float | None:
        """When the first ``text`` the program wrote after ``after`` was whole on the terminal
        behind ``link`` (the one played by default); None if it has not been written."""
        seen = b""
        for written, arrived, data in self._timed(link):
            if written < after:
                continue
            seen += data
            if text in seen:
                return arrived
        return None

    def bytes_until(self, text: bytes, after: float = 0.0) -> int | None:
        """How many bytes the program wrote after ``after`` up to the end of the chunk that
        completed ``text`` (all of them wait in line before it, at worst); None if not written."""
        with self._lock:
            chunks = [data for written, data in self.chunks if written >= after]
        seen = b""
        for data in chunks:
            seen += data
            if text in seen:
                return len(seen)
        return None

    def settled_at(self, after: float = 0.0, link: Link | None = None) -> float:
        """When the last byte written so far (after ``after``) reached the terminal behind ``link``."""
        timed = [t for t in self._timed(link) if t[0] >= after]
        return timed[-1][1] if timed else after

    def quiet_for(self, seconds: float) -> bool:
        with self._lock:
            return not self.chunks or time.monotonic() - self.chunks[-1][0] >= seconds

    def close(self) -> None:
        try:
            os.write(self.master, b"\x11")  # Ctrl+Q
        except OSError:
            pass
        deadline = time.monotonic() + 3
        while self.proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        kill_group(self.proc, 5)
        try:
            os.close(self.master)
        except OSError:
            pass
        self._thread.join(2)
