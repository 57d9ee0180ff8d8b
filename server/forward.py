"""Forwarding (issue 16): a member connected to a node that does not own their group.

:func:`forward` opens a websocket to the owner's internal URL (header
``X-Iop-Node``: the shared internal secret), sends the member's own ``hello``
unchanged, so the OWNER authenticates the member and applies every rule
(audience, guests, rate limits, replay), and then pipes frames both ways,
unchanged and unread:

Once the hello is sent, the two sockets are joined byte for byte
(:class:`Splice`: no frame is parsed or framed again, so the hop costs one read
and one write per chunk); the rules below hold for it. When a websocket holds
more than the hello at that moment (a member that did not wait for its
welcome), frames are piped as messages instead:

- owner -> member: each frame is written with the edge's non-blocking
  :meth:`server.edge.Connection.write` (one socket write per loop turn; a member
  whose backlog passes the send buffer is closed with 4008 and resumes later).
  The link to the owner is read as fast as it comes, so a slow member never
  slows the owner.
- member -> owner: each frame is sent on the link; the owner's own rate limit
  and size limits apply (websockets' ``max_size`` here is the edge's).

The member's connection ends as the owner ends the link when that is a close
code of ours (4001 unauthorized, 4003 removed, 4008, 4009, 4029, 1008 ...);
when the link breaks, the owner shuts down (1001), the owner says the group
moved (4012) or the owner's lease lapses (``lapsed``), the member is closed
with OWNER_MOVED (4012): it reconnects at once and resumes from the new owner.

:func:`forward` returns UNREACHABLE when the owner did not answer at all
(nothing was sent to the member): the caller waits for the owner's lease and
asks the placement again; REFUSED when nothing listens at the owner's address
(its process is gone): the caller claims the group at once, without waiting
for the lease (safe: the epoch fences an owner that was alive after all).
"""

from __future__ import annotations

import asyncio
import logging
import struct
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.protocol import State

from protocol.codec import MAX_FRAME_BYTES
from protocol.errors import CloseCode

from .limits import MESSAGE_QUEUE

__all__ = ["DONE", "NODE_HEADER", "REFUSED", "UNREACHABLE", "Splice", "forward", "link_close_code"]

log = logging.getLogger("iop.server")

#: The header a node's link carries: the shared internal secret ('' when none is set).
NODE_HEADER = "X-Iop-Node"
DONE, UNREACHABLE, REFUSED = "done", "unreachable", "refused"
MOVED = "The group moved to another relay node; reconnect now and resume."
#: Close codes of the owner passed on to the member as they are (each means the same to the member).
_PASSED = frozenset(int(c) for c in CloseCode if c not in (CloseCode.GOING_AWAY, CloseCode.OWNER_MOVED))


def link_close_code(code: int | None, reason: str) -> tuple[int, str]:
    """How the member's connection ends when the link to the owner ended with ``code``."""
    if code is not None and code in _PASSED:
        return code, reason
    return CloseCode.OWNER_MOVED, MOVED


async def forward(
    member: Any, hello: bytes | str, url: str, secret: str, lapsed: asyncio.Event, *,
    open_timeout: float, send_buffer: int = 1 << 20, registry: set[Splice] | None = None,
) -> str:
    """Pipe the member's connection (a :class:`server.edge.Connection`) to the owner at ``url``.

    Returns :data:`DONE` once the member's connection is over; :data:`UNREACHABLE` when
    the owner did not answer (the member was sent nothing), :data:`REFUSED` when nothing
    listens at its address (the owner process is gone)."""
    try:
        link: ClientConnection = await connect(
            url,
            additional_headers={NODE_HEADER: secret},
            open_timeout=open_timeout,
            max_size=4 * MAX_FRAME_BYTES,
            compression=None,
            ping_interval=20,
            ping_timeout=20,
            max_queue=MESSAGE_QUEUE,
            close_timeout=2,
        )
    except ConnectionRefusedError:
        log.info("nothing listens at the owner's address %s", url)
        return REFUSED
    except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
        log.info("cannot reach the owner at %s (%s)", url, exc or type(exc).__name__)
        return UNREACHABLE
    ws = member.ws
    splice = Splice.take(member, link, hello, send_buffer)
    if splice is not None:
        if registry is not None:
            registry.add(splice)
        try:
            await splice.run(lapsed)
        finally:
            if registry is not None:
                registry.discard(splice)
        return DONE
    try:
        await link.send(hello)
    except ConnectionClosed:
        await link.close()
        return UNREACHABLE

    async def up() -> None:  # member -> owner
        async for frame in ws:
            await link.send(frame)

    async def down() -> None:  # owner -> member
        async for frame in link:
            member.write(frame if isinstance(frame, bytes) else frame.encode())

    tasks = {
        asyncio.ensure_future(up()): "member",
        asyncio.ensure_future(down()): "owner",
        asyncio.ensure_future(lapsed.wait()): "lapsed",
    }
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    ended = {tasks[t] for t in done}
    if "member" in ended:
        await link.close()
        return DONE
    if "lapsed" in ended:
        code, reason = int(CloseCode.OWNER_MOVED), MOVED
        link.transport.abort()
    else:
        code, reason = link_close_code(link.close_code, link.close_reason or "")
    if ws.protocol.state is State.OPEN:
        member.close(code, reason)
        await ws.wait_closed()
    return DONE


# -- the splice: after the hello, bytes pass through unparsed ------------------------------


def _close_frame(code: int, reason: str) -> bytes:
    """An unmasked close frame (server to client), as websockets would write it."""
    payload = struct.pack("!H", code) + reason.encode()[: 123]
    return bytes((0x88, len(payload))) + payload


class _FrameEdges:
    """Where frames end in the owner's stream of unmasked server frames, read from their
    headers only (payloads pass unread); a close frame is held whole, and one that says
    the owner is going away (1001) is passed on as 4012."""

    __slots__ = ("_buf", "_left", "closed")

    def __init__(self) -> None:
        self._buf = b""  # the start of a header (or of a close frame) not complete yet
        self._left = 0  # payload bytes of the current frame still to pass
        self.closed = False  # the owner's close frame has passed

    @property
    def at_edge(self) -> bool:
        return self._left == 0 and not self._buf

    def feed(self, data: bytes) -> bytes:
        if self._buf:
            data, self._buf = self._buf + data, b""
        out: list[bytes] = []
        i, n = 0, len(data)
        while i < n:
            if self._left:
                take = min(self._left, n - i)
                out.append(data[i : i + take])
                i += take
                self._left -= take
                continue
            if n - i < 2:
                self._buf = data[i:]
                break
            b1 = data[i + 1]
            size = b1 & 0x7F
            head = 2 + (2 if size == 126 else 8 if size == 127 else 0) + (4 if b1 & 0x80 else 0)
            if n - i < head:
                self._buf = data[i:]
                break
            if size == 126:
                size = struct.unpack_from("!H", data, i + 2)[0]
            elif size == 127:
                size = struct.unpack_from("!Q", data, i + 2)[0]
            if data[i] & 0x0F == 0x8:  # close
                if n - i < head + size:
                    self._buf = data[i:]
                    break
                frame = data[i : i + head + size]
                if size >= 2 and struct.unpack_from("!H", frame, head)[0] == CloseCode.GOING_AWAY:
                    frame = _close_frame(CloseCode.OWNER_MOVED, MOVED)
                out.append(frame)
                self.closed = True
                i += head + size
                continue
            take = min(size, n - i - head)
            out.append(data[i : i + head + take])
            i += head + take
            self._left = size - take
        return b"".join(out)


class _Side(asyncio.Protocol):
    def __init__(self, splice: Splice, member: bool) -> None:
        self.splice = splice
        self.member = member

    def data_received(self, data: bytes) -> None:
        if self.member:
            self.splice.from_member(data)
        else:
            self.splice.from_owner(data)

    def eof_received(self) -> bool:
        return False  # close our end too

    def pause_writing(self) -> None:
        if not self.member:  # the link to the owner is full: stop reading the member for now
            self.splice.member_t.pause_reading()

    def resume_writing(self) -> None:
        if not self.member and not self.splice.member_t.is_closing():
            self.splice.member_t.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self.splice.lost(self.member, exc)


class Splice:
    """The member's socket and the link to the owner, joined byte for byte after the hello.

    Both are websockets without compression, so the member's masked client frames
    are valid frames for the owner as they are, and the owner's unmasked server
    frames are valid for the member: nothing is parsed, copied into messages or
    framed again (the forwarding node costs a read and a write per chunk). The
    owner's keepalive pings reach the member and its pongs come back; the close
    handshake is the member's and the owner's own. The edge's rules still hold:
    a member whose unsent backlog passes the send buffer is closed with 4008,
    and the owner is never slowed by it (the link is read as fast as it comes);
    when the link breaks or the owner's lease lapses, the member is closed with
    4012 at the next frame edge (aborted, if the owner died mid-frame).
    """

    def __init__(self, member: Any, link: ClientConnection, send_buffer: int) -> None:
        self.ws = member.ws
        self.link = link
        self.member_t: asyncio.Transport = self.ws.transport
        self.link_t: asyncio.Transport = link.transport
        self.send_buffer = send_buffer
        self.edges = _FrameEdges()
        self.gone: dict[bool, Exception | None] = {}
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    @classmethod
    def take(cls, member: Any, link: ClientConnection, hello: bytes | str, send_buffer: int) -> Splice | None:
        """Send the hello and join the sockets; None when a websocket holds more than the hello
        (frames already read or half read): then frames are piped as messages instead."""
        ws = member.ws
        for conn in (ws, link):
            if conn.protocol.state is not State.OPEN or len(conn.recv_messages.frames) or conn.protocol.reader.buffer:
                return None
        if isinstance(hello, str):
            link.protocol.send_text(hello.encode())
        else:
            link.protocol.send_binary(hello)
        data = link.protocol.data_to_send()
        for conn in (ws, link):
            if conn.keepalive_task is not None:  # pings of ours would cut into the spliced stream
                conn.keepalive_task.cancel()
                conn.keepalive_task = None
        splice = cls(member, link, send_buffer)
        splice.member_t.set_protocol(_Side(splice, True))
        splice.link_t.set_protocol(_Side(splice, False))
        splice.link_t.set_write_buffer_limits(high=256 * 1024)
        splice.link_t.writelines(data)
        return splice

    async def run(self, lapsed: asyncio.Event) -> None:
        waiter: asyncio.Future[Any] = asyncio.ensure_future(lapsed.wait())
        try:
            await asyncio.wait([waiter, self.done], return_when=asyncio.FIRST_COMPLETED)
            if lapsed.is_set():
                self.end(CloseCode.OWNER_MOVED, MOVED)
            await asyncio.shield(self.done)
        finally:
            waiter.cancel()

    def from_member(self, data: bytes) -> None:
        self.link_t.write(data)

    def from_owner(self, data: bytes) -> None:
        if self.member_t.is_closing():
            return
        self.member_t.write(self.edges.feed(data))
        if self.member_t.get_write_buffer_size() > self.send_buffer:
            self.end(CloseCode.TOO_SLOW, "Too far behind; reconnect to resume.")

    def end(self, code: int, reason: str) -> None:
        """Close the member with ``code`` (at a frame edge; else cut) and drop the link."""
        member_t = self.member_t
        if not member_t.is_closing():
            if self.edges.at_edge and not self.edges.closed:
                member_t.write(_close_frame(code, reason))
                member_t.close()
                asyncio.get_running_loop().call_later(2.0, member_t.abort)  # a member that reads nothing more
            else:
                member_t.abort()
        if not self.link_t.is_closing():
            self.link_t.abort()

    def lost(self, member: bool, exc: Exception | None) -> None:
        self.gone[member] = exc
        if member:
            if not self.link_t.is_closing():
                self.link_t.close()  # the owner sees the member's link end, as it would directly
        elif not self.member_t.is_closing():
            if self.edges.closed:
                self.member_t.close()  # the owner's close frame went through: the member knows
            else:
                self.end(CloseCode.OWNER_MOVED, MOVED)  # the owner died or the link broke
        if len(self.gone) == 2 and not self.done.done():
            # The websockets connections learn that their sockets are gone (their state, their waiters).
            self.ws.connection_lost(self.gone[True])
            self.link.connection_lost(self.gone[False])
            self.done.set_result(None)
