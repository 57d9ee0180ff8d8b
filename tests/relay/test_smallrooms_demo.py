"""The demo uses small rooms (issue 13): over a real relay, the simulated facilitator
opens the plan's breakout round and role-play, and the simulated members take part —
a line in each room, a summary per room posted at the recall, lines in character,
an observer's note shared after the debrief."""

from __future__ import annotations

import asyncio

from iop_tui.demo.members import PERSONAS
from tests.support.demobots import start_demo_bots


async def test_the_simulated_group_runs_a_breakout_round_and_a_role_play(relay) -> None:
    store = relay.store
    gid, bots = start_demo_bots(relay, tempo=0.002)

    def logged(etype: str, **data) -> list:
        return [e for e in store.events_after(gid, 0) if e.type == etype and all(e.data.get(k) == v for k, v in data.items())]

    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while not logged("roleplay.shared") and loop.time() < deadline:
            await asyncio.sleep(0.1)
        opened = logged("room.opened")
        assert len(opened) == 2 and len([m for e in opened for m in e.data["members"]]) == len(PERSONAS), opened
        room_lines = [e for e in logged("chat.posted") if e.data.get("room")]
        assert len(room_lines) == len(PERSONAS), room_lines
        closed = logged("breakout.closed")
        assert closed and len(closed[0].data["summaries"]) == 2, closed
        in_character = [e for e in logged("chat.posted") if e.data.get("as")]
        assert {e.data["as"] for e in in_character} == {"the member asking for a raise", "the manager"}
        assert logged("roleplay.noted") and logged("roleplay.ended") and logged("roleplay.shared")
    finally:
        bots.cancel()
        await asyncio.gather(bots, return_exceptions=True)
