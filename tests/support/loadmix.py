"""The mixed load of the fault tests: members chatting, voting, checking in and raising hands.

Used where a relay is killed under load (tests/relay/test_faults_crash.py) and where a
fleet's owner is killed or its PostgreSQL crashed (tests/relay/test_fleet.py); the audit
(:mod:`tests.support.audit`) then checks what every member saw against the store.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

__all__ = ["load", "start_load"]


async def load(client: Any, role: str, seed_value: int, stop: asyncio.Event, poll_id: int, pace: tuple[float, float] = (0.003, 0.015)) -> int:
    """Commands at a steady pace until ``stop``; returns how many were queued."""
    rng = random.Random(seed_value)
    sent = 0
    while not stop.is_set():
        sent += 1
        await client.send("chat.send", {"text": f"{client.log.name} {sent}"})
        if role in ("participant", "guest") and sent % 9 == 0:
            await client.send("poll.vote", {"poll_id": poll_id, "choices": [rng.randrange(2)]})
        if role == "participant" and sent % 13 == 0:
            await client.send("checkin.submit", {"mood": rng.randrange(11), "feelings": ["tired"], "note": f"{client.log.name} note {sent}", "note_to": rng.choice(["group", "facilitators"])})
        if role != "facilitator" and sent % 5 == 0:
            await client.send("hand.raise" if sent % 10 == 0 else "hand.lower", {})
        await asyncio.sleep(rng.uniform(*pace))
    return sent


async def start_load(clients: list[Any], timeout: float, title: str, *, pace: tuple[float, float] = (0.003, 0.015)) -> tuple[asyncio.Event, list[asyncio.Task[int]]]:
    """Once every client is connected: the first (a facilitator) starts a session and a poll,
    then every client runs :func:`load` until the returned event is set (the tasks return
    how many commands each queued)."""
    for c in clients:
        await c.wait_connected(timeout)
    dana = clients[0]
    assert (await dana.command("session.start", {"title": title}, timeout=timeout))["kind"] == "ack"
    poll = await dana.command("poll.open", {"question": "Pick", "poll_kind": "single", "options": ["A", "B"]}, timeout=timeout)
    assert poll["kind"] == "ack", poll
    stop = asyncio.Event()
    tasks = [asyncio.create_task(load(c, c.log.role, i, stop, poll["seq"], pace)) for i, c in enumerate(clients)]
    return stop, tasks
