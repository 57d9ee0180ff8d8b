"""The hub without websockets: connections kept in memory, driven on the event loop.

:class:`MemoryPeer` is a second implementation of :class:`server.hub.Peer`
(the edge's :class:`server.edge.Connection` is the first): it decodes every
frame the hub writes into ``frames`` and reads at the pace a test chooses
(``reading`` cleared means a member whose socket never drains). Nothing here
opens a socket; the hub, its rules and its SQLite store are the real ones::

    hub = Hub(store, Limits(MAX_FRAME_BYTES, 100.0, 100))
    dana = await connect(hub, store, seeded.facilitator)
    cid = send(hub, dana, "session.start", {"title": "Week 3"})
    ack = await answer(dana, cid)

:func:`acked` is the answer a test expects to be an ``ack``; :class:`Clock` is
a clock the test moves (``Hub(..., clock=clock)``). The ``store`` (a real
SQLite store in ``tmp_path``), ``group`` (the seeded group on it) and ``clock``
fixtures of tests/unit/conftest.py go with them.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import Any

from protocol.codec import decode
from protocol.messages import PROTOCOL_VERSION, Hello, command_frame, parse_command
from protocol.roles import GUEST
from server.hub import Hub
from server.store import Store, hash_token

from tests.support.wsclient import Cred

__all__ = ["Clock", "MemoryPeer", "acked", "answer", "connect", "events", "send", "settle", "start_catch_up"]

#: Loop turns a helper waits for the hub before it gives up. The hub answers in
#: one or two turns; the bound only turns a hang into a failure.
TURNS = 1000

_ids = itertools.count(1)


class MemoryPeer:
    """One member's connection as the hub sees it, kept in memory."""

    def __init__(self, cred: Cred, group_id: int, *, on_close: Callable[[MemoryPeer], None] | None = None) -> None:
        self.member_id = cred.member_id
        self.name = cred.name
        self.role = cred.role
        self.group_id = group_id
        self.token_hash = hash_token(cred.token)
        self.closing = False
        self.live = False
        self.cursor = 0
        self.lost = False
        self.frames: list[dict[str, Any]] = []
        self.closed: tuple[int, str] | None = None
        self.reading = asyncio.Event()
        self.reading.set()
        self.drains = 0
        self._on_close = on_close

    def write(self, data: bytes) -> None:
        if self.closing:
            return  # as the edge does: nothing is written to a closing connection
        self.frames.append(decode(data))

    async def drain(self) -> None:
        self.drains += 1
        await self.reading.wait()
        await asyncio.sleep(0)

    def close(self, code: int, reason: str) -> None:
        if self.closing:
            return
        self.closing = True
        self.closed = (code, reason)
        if self._on_close is not None:
            asyncio.get_running_loop().call_soon(self._on_close, self)

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.frames if f.get("kind") == kind]


def events(peer: MemoryPeer, etype: str | None = None) -> list[dict[str, Any]]:
    """The event frames ``peer`` received, in order (of one type if given)."""
    return [f for f in peer.frames if f.get("kind") == "event" and (etype is None or f["type"] == etype)]


def start_catch_up(hub: Hub, store: Store, cred: Cred, resume_from: int | None = None) -> tuple[MemoryPeer, asyncio.Task]:
    """Join as the edge does (welcome and register), and start the paced replay as a task."""
    member = store.member(cred.member_id)
    assert member is not None
    peer = MemoryPeer(cred, member.group_id, on_close=hub.leave)
    hub.join(peer, member, Hello(PROTOCOL_VERSION, cred.token, resume_from, "tests"))
    return peer, asyncio.get_running_loop().create_task(hub.catch_up(peer))


async def connect(hub: Hub, store: Store, cred: Cred, resume_from: int | None = None) -> MemoryPeer:
    """Join and replay to the head: the returned peer is live (a guest arrives first, as at the edge)."""
    if cred.role == GUEST:
        member = store.member(cred.member_id)
        assert member is not None and await hub.arrive(member) is None, f"{cred.name}'s arrival was refused"
    peer, task = start_catch_up(hub, store, cred, resume_from)
    await task
    assert peer.live, f"{cred.name} did not go live"
    return peer


def send(hub: Hub, peer: MemoryPeer, kind: str, data: dict[str, Any] | None = None, command_id: str | None = None) -> str:
    """Validate a command as the edge does and queue it on the hub; returns its id."""
    command_id = command_id or f"t-{next(_ids)}"
    hub.submit(peer, parse_command(command_frame(kind, command_id, data)))
    return command_id


async def answer(peer: MemoryPeer, command_id: str) -> dict[str, Any]:
    """The ``ack`` or ``error`` frame that answers ``command_id`` (waiting loop turns for it)."""
    for _ in range(TURNS):
        for frame in peer.frames:
            if frame.get("kind") in ("ack", "error") and frame.get("id") == command_id:
                return frame
        await asyncio.sleep(0)
    raise AssertionError(f"{peer.name} got no answer to {command_id}: {peer.frames[-5:]}")


async def settle(turns: int = 3) -> None:
    """Let the hub run what is queued (a flush, a close's leave)."""
    for _ in range(turns):
        await asyncio.sleep(0)


async def acked(peer: MemoryPeer, command_id: str) -> dict[str, Any]:
    """The ``ack`` frame that answers ``command_id``; an ``error`` fails the test, naming the frame."""
    frame = await answer(peer, command_id)
    assert frame["kind"] == "ack", frame
    return frame


class Clock:
    """The hub's clock, moved by the test (``clock.now += 60``)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now
