"""Forwarding (issue 16): a member connected to a node that does not own their group.

:func:`forward` opens a websocket to the owner's internal URL (header
``X-Iop-Node``: the shared internal secret), sends the member's own ``hello``
unchanged, so the OWNER authenticates the member and applies every rule
(audience, guests, rate limits, replay), and then pipes frames both ways,
unchanged and unread:

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

:func:`forward` returns False when the owner could not be reached at all
(nothing was sent to the member): the caller waits for the owner's lease and
asks the placement again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.protocol import State

from protocol.codec import MAX_FRAME_BYTES
from protocol.errors import CloseCode

from .limits import MESSAGE_QUEUE

__all__ = ["NODE_HEADER", "forward", "link_close_code"]

log = logging.getLogger("iop.server")

#: The header a node's link carries: the shared internal secret ('' when none is set).
NODE_HEADER = "X-Iop-Node"
MOVED = "The group moved to another relay node; reconnect now and resume."
#: Close codes of the owner passed on to the member as they are (each means the same to the member).
_PASSED = frozenset(int(c) for c in CloseCode if c not in (CloseCode.GOING_AWAY, CloseCode.OWNER_MOVED))


def link_close_code(code: int | None, reason: str) -> tuple[int, str]:
    """How the member's connection ends when the link to the owner ended with ``code``."""
    if code is not None and code in _PASSED:
        return code, reason
    return CloseCode.OWNER_MOVED, MOVED


async def forward(member: Any, hello: bytes | str, url: str, secret: str, lapsed: asyncio.Event, *, open_timeout: float) -> bool:
    """Pipe the member's connection (a :class:`server.edge.Connection`) to the owner at ``url``.

    Returns False when the owner could not be reached (the member was sent nothing),
    True once the member's connection is over."""
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
    except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
        log.info("cannot reach the owner at %s (%s)", url, exc or type(exc).__name__)
        return False
    ws = member.ws
    try:
        await link.send(hello)
    except ConnectionClosed:
        await link.close()
        return False

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
        return True
    if "lapsed" in ended:
        code, reason = int(CloseCode.OWNER_MOVED), MOVED
        link.transport.abort()
    else:
        code, reason = link_close_code(link.close_code, link.close_reason or "")
    if ws.protocol.state is State.OPEN:
        member.close(code, reason)
        await ws.wait_closed()
    return True
