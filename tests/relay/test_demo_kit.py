"""The demo's simulated members use the facilitator's kit (issue 14 part A): over a
real relay, the simulated facilitator runs the demo plan's journaling prompt and
go-around, and the simulated members write private entries (two share them) and
take their turns (Riley passes)."""

from __future__ import annotations

import asyncio

from iop_tui.demo.members import PERSONAS
from protocol.roles import SELF
from tests.support.demobots import start_demo_bots


async def test_the_demo_runs_journaling_and_a_go_around_with_its_simulated_members(relay) -> None:
    store = relay.store
    gid, bots = start_demo_bots(relay, tempo=0.01)
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 120
        while loop.time() < deadline and not any(e.type == "goround.ended" for e in store.events_after(gid, 0)):
            await asyncio.sleep(0.2)
    finally:
        bots.cancel()
        await asyncio.gather(bots, return_exceptions=True)
    log = store.events_after(gid, 0)
    names = {m.id: m.name for m in store.members(gid)}
    written = {names[e.subject] for e in log if e.type == "journal.written"}
    assert written == set(PERSONAS), written
    assert all(e.audience == SELF for e in log if e.type == "journal.written")
    shared = {(names[e.data["member_id"]], e.data["to"]) for e in log if e.type == "journal.shared"}
    assert shared == {("Sam", "facilitators"), ("Morgan", "group")}, shared
    progress = [e.data for e in log if e.type == "journal.progress"]
    assert progress and progress[-1]["done"] == len(PERSONAS)
    assert any(e.type == "journal.closed" for e in log)
    turns = {names[e.data["member_id"]]: e.data["how"] for e in log if e.type == "goround.moved"}
    assert turns == {"Sam": "spoke", "Alex": "spoke", "Riley": "passed", "Morgan": "spoke"}, turns
    ended = [e for e in log if e.type == "goround.ended"]
    assert ended[-1].data["complete"] is True
    phases = [e.data["phase"] for e in log if e.type == "phase.changed"]
    assert phases[-1] in ("discussion", "closing"), phases
