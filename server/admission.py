"""Admission: at most a few of a burst's joins do their work in one turn of the event loop (issue 16).

When an owner dies, hundreds of its members reconnect to another node at once. Their hellos
are read in the same turn of the loop, and each join then did its store reads (the token, the
revocation check, the member's reminder choices: on PostgreSQL about a millisecond of round
trips), its welcome and its schedule frame in that same turn: the members already there waited
for all of them, about a second on a node taking over 200 groups.

:meth:`Admission.turn` lets :attr:`Admission.per_turn` joins through in a turn and the rest in
the turns after, first come first served. Between two turns the loop reads the sockets again,
so everyone else's frames are served between every few joins; the joins themselves finish about
as soon as before (the same work, in more, shorter turns).
"""

from __future__ import annotations

import asyncio
from collections import deque

__all__ = ["JOINS_PER_TURN", "Admission"]

#: Joins a relay lets do their work in one turn of its loop: about 8 ms of it on PostgreSQL.
JOINS_PER_TURN = 8


class Admission:
    """A join's turn: at most ``per_turn`` in one turn of the event loop, in order of asking."""

    def __init__(self, per_turn: int) -> None:
        if per_turn < 1:
            raise ValueError("per_turn must be at least 1")
        self.per_turn = per_turn
        self._used = 0  # turns given in the current turn of the loop
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._next: asyncio.Handle | None = None

    async def turn(self) -> None:
        """Return in a turn of the loop where this join may do its work (at once when there is room)."""
        if self._used < self.per_turn and not self._waiting:
            self._used += 1
            self._count_turn()
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(future)
        self._count_turn()
        try:
            await future
        except asyncio.CancelledError:
            if not future.done():
                self._waiting.remove(future)
            raise

    def _count_turn(self) -> None:
        """Start counting again in the next turn of the loop (a callback scheduled now runs then)."""
        if self._next is None:
            self._next = asyncio.get_running_loop().call_soon(self._next_turn)

    def _next_turn(self) -> None:
        self._next = None
        self._used = 0
        # The ones woken now run in the turn after this one, before that turn's own _next_turn
        # (their wake-ups are queued first), so it never lets more than per_turn through.
        while self._waiting and self._used < self.per_turn:
            future = self._waiting.popleft()
            if not future.done():
                future.set_result(None)
                self._used += 1
        if self._waiting or self._used:
            self._count_turn()
