"""Drive a breakout round and a role-play around Sam, for a plain client under Fenrir (issue 13).

Start this first; it writes the relay's address to /tmp/i13_sr/url and Sam's token to
/tmp/i13_sr/sam.token, waits for Sam to connect, then runs the round. In another terminal:

    ../shared/tools/screenreader/run_under_fenrir.sh --wpm 300 --size 80x24 \
        --send '16:/rooms\r' --send '43:/role\r' --send '47:/in\r' --send '53:/out\r' \
        80 OUT .venv/bin/iop-tui join "$(cat /tmp/i13_sr/url)" --plain --token-file /tmp/i13_sr/sam.token
    ../shared/tools/screenreader/analyze.py OUT --wpm 300

Sam must hear which room they are in and their role, and never the other room's line.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.edge import RelayServer
from tests.support.wsclient import RawClient

async def main() -> None:
    out = Path("/tmp/i13_sr")
    async with RelayServer(out / "data", port=0, rate_per_s=1000, burst=1000) as relay:
        store = relay.store
        gid = store.create_group("Tuesday IOP")
        toks = {n: store.add_member(gid, n, r) for n, r in (("Dana", "facilitator"), ("Sam", "participant"), ("Alex", "participant"), ("Riley", "participant"))}
        (out / "sam.token").write_text(toks["Sam"][1] + "\n")
        (out / "url").write_text(relay.url)
        print(relay.url, flush=True)
        sam_id = toks["Sam"][0]
        for _ in range(600):
            room = relay.hub.rooms.get(gid)
            if room is not None and room.state.roster.get(sam_id) and room.state.roster[sam_id].status == "online":
                break
            await asyncio.sleep(0.1)
        async with RawClient(relay.url, toks["Dana"][1]) as dana, RawClient(relay.url, toks["Alex"][1]) as alex, RawClient(relay.url, toks["Riley"][1]) as riley:
            for c in (dana, alex, riley):
                await c.wait_synced()
            await asyncio.sleep(2)
            await dana.command("session.start", {"title": "Week 4"})
            await asyncio.sleep(3)
            await dana.command("breakout.open", {"rooms": 2, "minutes": 8, "prompt": "Name one trigger.", "assign": "hand"})
            await dana.command("breakout.place", {"member_id": sam_id, "room": 1})
            await dana.command("breakout.place", {"member_id": toks["Alex"][0], "room": 1})
            await dana.command("breakout.place", {"member_id": toks["Riley"][0], "room": 2})
            await asyncio.sleep(8)
            await alex.command("chat.send", {"text": "Mine is payday."})
            await riley.command("chat.send", {"text": "RILEY-IN-ROOM-2 never heard by Sam"})
            await asyncio.sleep(4)
            await dana.command("breakout.visit", {"room": 1})
            await asyncio.sleep(4)
            await dana.command("breakout.broadcast", {"text": "Two minutes more."})
            await asyncio.sleep(8)
            await dana.command("breakout.recall")
            await asyncio.sleep(6)
            roles = [{"name": "the asker", "cue": "Say what you want in one sentence."}, {"name": "the manager", "cue": "Ask one question first."}, {"name": "the observer", "observer": True}]
            await dana.command("roleplay.start", {"title": "Asking for a raise", "roles": roles, "cast": [{"member_id": sam_id, "role": 1}, {"member_id": toks["Alex"][0], "role": 0}, {"member_id": toks["Riley"][0], "role": 2}], "checklist": ["a clear ask"]})
            await asyncio.sleep(10)
            await alex.command("roleplay.say", {"text": "I would like a raise."})
            await asyncio.sleep(12)
            await dana.command("roleplay.end", {"debrief": ["What went well?"]})
            await asyncio.sleep(30)

if __name__ == "__main__":
    asyncio.run(main())
