"""A tiny raw websocket client for tests, plus the seeded group the fixtures create.

``RawClient`` speaks the wire protocol directly (msgpack frames, no
reconnects, no model), so tests see exactly what the relay sends::

    async with RawClient(relay.url, cred.token) as c:
        cid = await c.send("chat.send", {"text": "hi"})
        ack = await c.wait_ack(cid)
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable

import msgpack
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from protocol.messages import PROTOCOL_VERSION, command_frame

__all__ = ["Cred", "Seeded", "seed", "RawClient", "is_event", "is_kind"]


@dataclass(frozen=True)
class Cred:
    member_id: int
    name: str
    role: str
    token: str


@dataclass
class Seeded:
    """Group "Tuesday IOP": facilitator Dana, participants Sam, Alex, Riley, guest Jo."""

    group_id: int
    group_name: str
    facilitator: Cred
    participants: list[Cred]
    guest: Cred
    url: str = ""
    everyone: list[Cred] = field(default_factory=list)


def seed(store: Any, url: str = "", name: str = "Tuesday IOP") -> Seeded:
    group_id = store.create_group(name)

    def add(who: str, role: str) -> Cred:
        member_id, token = store.add_member(group_id, who, role)
        return Cred(member_id, who, role, token)

    facilitator = add("Dana", "facilitator")
    participants = [add(n, "participant") for n in ("Sam", "Alex", "Riley")]
    guest = add("Jo", "guest")
    return Seeded(group_id, name, facilitator, participants, guest, url, [facilitator, *participants, guest])


def is_kind(kind: str) -> Callable[[dict], bool]:
    return lambda f: f.get("kind") == kind


def is_event(etype: str, **data: Any) -> Callable[[dict], bool]:
    """A predicate for an event frame of ``etype`` whose data holds ``data``."""

    def pred(f: dict) -> bool:
        return (
            f.get("kind") == "event"
            and f.get("type") == etype
            and all(f.get("data", {}).get(k) == v for k, v in data.items())
        )

    return pred


class RawClient:
    """Connect, send ``hello`` and record every frame the relay sends.

    ``welcome`` is the welcome frame (None when the hello was refused: see
    ``frames`` for the error and ``close_code`` once closed). ``recv_until``
    returns the next not-yet-consumed frame matching a predicate.
    """

    def __init__(self, url: str, token: str, resume_from: int | None = None, *, hello: bool = True, version: int = PROTOCOL_VERSION, client: str = "tests", cookie: str | None = None) -> None:
        self.url = url
        self.cookie = cookie  # a Cookie header for the opening handshake (protocol/route.py)
        self.token = token
        self.resume_from = resume_from
        self.send_hello = hello
        self.version = version
        self.client = client
        self.frames: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.welcome: dict[str, Any] | None = None
        self.close_code: int | None = None
        self._cursor = 0
        self._changed = asyncio.Event()
        self._closed = asyncio.Event()
        self._reader: asyncio.Task | None = None
        self.ws = None

    async def __aenter__(self) -> RawClient:
        headers = {"Cookie": self.cookie} if self.cookie is not None else None
        self.ws = await connect(self.url, compression=None, max_size=None, open_timeout=5, additional_headers=headers)
        self._reader = asyncio.create_task(self._read())
        if self.send_hello:
            await self.send_frame({"kind": "hello", "v": self.version, "token": self.token, "resume_from": self.resume_from, "client": self.client})
            first = await self.recv_until(lambda f: f.get("kind") in ("welcome", "error"), consume=False)
            if first.get("kind") == "welcome":
                self.welcome = first
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            try:
                await asyncio.wait_for(self._reader, 5)
            except (TimeoutError, asyncio.CancelledError):
                self._reader.cancel()

    async def abort(self) -> None:
        """Cut the TCP connection without a closing handshake (a network failure)."""
        self.ws.transport.abort()
        await asyncio.wait_for(self._closed.wait(), 5)

    def on_frame(self, frame: dict) -> None:
        """Called on the loop turn each frame arrives, before it is kept (a test's own check)."""

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                frame = msgpack.unpackb(message, raw=False, strict_map_key=False)
                self.on_frame(frame)
                self.frames.append(frame)
                if frame.get("kind") == "event":
                    self.events.append(frame)
                self._changed.set()
        except ConnectionClosed:
            pass
        finally:
            self.close_code = self.ws.close_code
            self._closed.set()
            self._changed.set()

    # -- sending ------------------------------------------------------------------

    async def send_frame(self, frame: dict[str, Any]) -> None:
        await self.ws.send(msgpack.packb(frame, use_bin_type=True))

    async def send_raw(self, message: bytes | str) -> None:
        await self.ws.send(message)

    async def send(self, kind: str, data: dict[str, Any] | None = None, id: str | None = None) -> str:
        command_id = id or uuid.uuid4().hex[:16]
        await self.send_frame(command_frame(kind, command_id, data))
        return command_id

    # -- receiving ----------------------------------------------------------------

    async def recv_until(self, pred: Callable[[dict], bool], timeout: float = 5, *, consume: bool = True) -> dict[str, Any]:
        """The next unconsumed frame matching ``pred``; fail after ``timeout`` seconds."""

        async def scan() -> dict[str, Any]:
            while True:
                for index in range(self._cursor, len(self.frames)):
                    frame = self.frames[index]
                    if pred(frame):
                        if consume:
                            self._cursor = index + 1
                        return frame
                if self._closed.is_set():
                    raise ConnectionError(f"connection closed ({self.close_code}) before the expected frame; got {self.frames[self._cursor:][-5:]}")
                self._changed.clear()
                await self._changed.wait()

        try:
            return await asyncio.wait_for(scan(), timeout)
        except TimeoutError:
            raise AssertionError(f"no matching frame within {timeout} s; last frames: {self.frames[-5:]}") from None

    async def wait_ack(self, command_id: str, timeout: float = 5, *, start: int = 0) -> dict[str, Any]:
        """The ack or error answering ``command_id``, searched from frame index ``start``."""

        async def scan() -> dict[str, Any]:
            while True:
                for frame in self.frames[start:]:
                    if frame.get("kind") in ("ack", "error") and frame.get("id") == command_id:
                        return frame
                if self._closed.is_set():
                    raise ConnectionError(f"connection closed ({self.close_code}) before the answer to {command_id}")
                self._changed.clear()
                await self._changed.wait()

        try:
            return await asyncio.wait_for(scan(), timeout)
        except TimeoutError:
            raise AssertionError(f"no ack for {command_id} within {timeout} s; last frames: {self.frames[-5:]}") from None

    async def command(self, kind: str, data: dict[str, Any] | None = None, id: str | None = None, timeout: float = 5) -> dict[str, Any]:
        """Send a command and return its ack; raise AssertionError with the error if refused."""
        start = len(self.frames)
        cid = await self.send(kind, data, id)
        answer = await self.wait_ack(cid, timeout, start=start)
        if answer["kind"] != "ack":
            raise AssertionError(f"{kind} was refused: {answer}")
        return answer

    async def wait_closed(self, timeout: float = 5) -> int | None:
        await asyncio.wait_for(self._closed.wait(), timeout)
        return self.close_code

    async def wait_synced(self, timeout: float = 5) -> dict[str, Any]:
        return await self.recv_until(is_kind("synced"), timeout, consume=False)

    @property
    def last_seq(self) -> int:
        """The last seq this client holds (0 when none)."""
        return self.events[-1]["seq"] if self.events else 0


async def until(condition: Callable[[], Any], what: str, timeout: float = 5.0) -> Any:
    """Wait for ``condition()`` to be truthy; fail with ``what`` after ``timeout`` s."""

    async def poll() -> Any:
        while not (value := condition()):
            await asyncio.sleep(0.01)
        return value

    try:
        return await asyncio.wait_for(poll(), timeout)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None
