"""What guests cost the hub's fan-out now that they read people by first name (issue 15 B).

A family session: one facilitator, N participants and G guests let in, all
:class:`tests.support.hubpeer.MemoryPeer` connections on a real Hub over a
real SQLite store (no socket). Participants post chat lines; every guest
receives each line re-encoded with the sender's first name only
(:func:`protocol.family.for_guest`), once per event, shared by all guests.
Baseline in the same run: the same session with G more participants instead
of the guests (as many connections, none re-encoded).

Run with::

    .venv/bin/python bench/guest_fanout.py [--members 12] [--guests 4] [--lines 2000]

The last line is ``guest_fanout baseline_lines_per_s=B with_guests_lines_per_s=W ratio=R``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from protocol.codec import MAX_FRAME_BYTES  # noqa: E402
from protocol.messages import Limits  # noqa: E402
from server.hub import Hub  # noqa: E402
from server.store import Store  # noqa: E402
from tests.support.hubpeer import answer, connect, send  # noqa: E402
from tests.support.wsclient import Cred  # noqa: E402


async def run(members: int, guests: int, lines: int, *, as_guests: bool) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "data")
        gid = store.create_group("Bench")
        hub = Hub(store, Limits(MAX_FRAME_BYTES, 1e9, 10**9), presence_grace=0)

        def add(name: str, role: str) -> Cred:
            mid, token = store.add_member(gid, name, role)
            return Cred(mid, name, role, token)

        dana = await connect(hub, store, add("Dana Reyes", "facilitator"))
        people = [await connect(hub, store, add(f"Member {i} Surname", "participant")) for i in range(members)]
        await answer(dana, send(hub, dana, "session.start", {"title": "Family evening", "kind": "family"}))
        readers = [dana]
        for i in range(guests):
            if not as_guests:
                readers.append(await connect(hub, store, add(f"Extra {i} Surname", "participant")))
                continue
            guest = add(f"Guest {i} Family", "guest")
            store.invite_guest(guest.member_id, 0)
            hub._refresh_roster(hub.rooms[gid].state, gid)
            readers.append(await connect(hub, store, guest))
            await answer(dana, send(hub, dana, "guest.admit", {"member_id": guest.member_id}))
        await asyncio.sleep(0.05)
        received = [0]
        for reader in readers:  # readers only count bytes: the figure is the hub's, not the test peer's decoding
            reader.write = lambda data, received=received: received.__setitem__(0, received[0] + len(data))  # type: ignore[method-assign]
        start = time.perf_counter()
        for n in range(lines):
            peer = people[n % members]
            cid = send(hub, peer, "chat.send", {"text": f"line {n} of the family evening"})
            if n % 50 == 49:
                await answer(peer, cid)
        await answer(peer, cid)
        elapsed = time.perf_counter() - start
        store.close()
        return lines / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=12)
    parser.add_argument("--guests", type=int, default=4)
    parser.add_argument("--lines", type=int, default=2000)
    args = parser.parse_args()
    base = asyncio.run(run(args.members, args.guests, args.lines, as_guests=False))
    with_guests = asyncio.run(run(args.members, args.guests, args.lines, as_guests=True))
    print(f"guest_fanout baseline_lines_per_s={base:.0f} with_guests_lines_per_s={with_guests:.0f} ratio={with_guests / base:.2f}")


if __name__ == "__main__":
    main()
