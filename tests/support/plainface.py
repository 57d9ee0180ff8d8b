"""The plain face over a real relay: a PlainFace on a real ClientSession, and waiting on the event loop.

``until(condition, what)`` polls ``condition()`` between short sleeps and fails
with "timed out waiting for WHAT" after :data:`TIMEOUT` seconds, so a hang is a
failure with a sentence. ``plain_joined(url, token)`` runs a
:class:`iop_tui.plain.face.PlainFace` (its lines kept in a list) on a
:class:`iop_tui.core.session.ClientSession` to the relay at ``url``, yields
``(face, session, lines)`` once the face has joined, and closes the session
after.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from iop_tui.core.session import ClientSession
from iop_tui.plain.face import PlainFace

__all__ = ["TIMEOUT", "plain_joined", "until"]

TIMEOUT = 10.0


async def until(condition: Callable[[], Any], what: str) -> None:
    """Wait until ``condition()`` is truthy; fail after :data:`TIMEOUT` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while not condition():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


@asynccontextmanager
async def plain_joined(url: str, token: str) -> AsyncIterator[tuple[PlainFace, ClientSession, list[str]]]:
    """A PlainFace joined to the relay as the member holding ``token``: ``(face, session, lines said)``."""
    session = ClientSession(url, token)
    lines: list[str] = []
    face = PlainFace(session, lines.append)
    session.subscribe(face.on_notices)
    task = asyncio.create_task(session.run())
    try:
        await until(lambda: face.joined, "the plain face to join")
        yield face, session, lines
    finally:
        await session.close()
        await asyncio.wait_for(task, TIMEOUT)
