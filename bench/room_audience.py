"""What the room scope costs the one audience rule (issue 13), against a group line, in the same run.

Three figures, each a ratio to its baseline measured here:

- ``sees``: :func:`protocol.roles.sees` for a room line (the reader's stays
  checked) against a group line, for a member who has been in ``--rounds``
  breakout rounds (one stay each) — the per-peer cost of live fan-out and replay;
- ``fanout``: the hub delivering one room line against one group line to
  ``--members`` live in-memory peers (real Hub, real SQLite store);
- ``export``: :func:`protocol.state.visible_events` over a log whose rounds
  are breakouts (room events folded into stays) against the same count of group lines.

Run with::

    .venv/bin/python bench/room_audience.py [--rounds 50] [--members 40]

The last line is ``room_audience sees_ratio=A fanout_ratio=B export_ratio=C``.
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
from protocol.events import Event  # noqa: E402
from protocol.messages import Limits  # noqa: E402
from protocol.roles import EVERYONE, ROOM, Stay, sees  # noqa: E402
from protocol.state import visible_events  # noqa: E402


def per_call(fn, repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def bench_sees(rounds: int) -> float:
    stays = [Stay(1 + i % 3, 100 * i + 10, 100 * i + 90) for i in range(rounds)]
    seq = 100 * (rounds - 1) + 50
    group = per_call(lambda: sees("participant", 7, EVERYONE, None, seq, "chat.posted", (), stays), 200_000)
    room = per_call(lambda: sees("participant", 7, ROOM, 1 + (rounds - 1) % 3, seq, "chat.posted", (), stays), 200_000)
    print(f"sees: group line {group * 1e9:.0f} ns, room line after {rounds} rounds {room * 1e9:.0f} ns")
    return room / group


def log_of(rounds: int, room_lines: bool) -> list[Event]:
    events, seq = [], 0

    def add(etype: str, audience: str, data: dict, subject: int | None = None) -> None:
        nonlocal seq
        seq += 1
        events.append(Event(seq, etype, 0.0, 1, "Dana", audience, subject, data))

    for _ in range(rounds):
        if room_lines:
            add("breakout.opened", EVERYONE, {"breakout_id": seq + 1, "rooms": 2, "minutes": 5, "prompt": "", "ends_at": 0.0, "assign": "random"})
            add("room.opened", ROOM, {"room": 1, "members": [7, 8]}, 1)
            add("room.opened", ROOM, {"room": 2, "members": [9, 10]}, 2)
        for i in range(20):
            room = 1 + i % 2
            if room_lines:
                add("chat.posted", ROOM, {"message_id": seq + 1, "member_id": 7, "text": "x", "to": "group", "room": room}, room)
            else:
                add("chat.posted", EVERYONE, {"message_id": seq + 1, "member_id": 7, "text": "x", "to": "group"})
        if room_lines:
            add("breakout.closed", EVERYONE, {"breakout_id": 1, "reason": "recalled", "summaries": []})
    return events


def bench_export(rounds: int) -> float:
    group_log, room_log = log_of(rounds, False), log_of(rounds, True)
    group = per_call(lambda: visible_events(group_log, "participant", 7), 20)
    room = per_call(lambda: visible_events(room_log, "participant", 7), 20)
    kept = len(visible_events(room_log, "participant", 7))
    print(f"export: {len(group_log)} group events {group * 1e3:.2f} ms; {len(room_log)} events in {rounds} rounds {room * 1e3:.2f} ms ({kept} kept)")
    return room / group


async def bench_fanout(members: int) -> float:
    from server.hub import Hub
    from server.store import Store
    from tests.support.hubpeer import answer, connect, send

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "data")
        gid = store.create_group("Bench")
        from tests.support.wsclient import Cred

        creds = []
        mid, tok = store.add_member(gid, "Dana", "facilitator")
        creds.append(Cred(mid, "Dana", "facilitator", tok))
        for i in range(members):
            mid, tok = store.add_member(gid, f"M{i}", "participant")
            creds.append(Cred(mid, f"M{i}", "participant", tok))
        hub = Hub(store, Limits(MAX_FRAME_BYTES, 1e6, 1_000_000), presence_grace=0)
        peers = [await connect(hub, store, c) for c in creds]
        dana, first = peers[0], peers[1]
        await answer(dana, send(hub, dana, "session.start", {"title": "Bench"}))

        async def lines(peer, count: int) -> float:
            start = time.perf_counter()
            for i in range(count):
                await answer(peer, send(hub, peer, "chat.send", {"text": f"line {i}"}))
            return (time.perf_counter() - start) / count

        group = await lines(first, 300)
        await answer(dana, send(hub, dana, "breakout.open", {"rooms": max(1, members // 4), "minutes": 30}))
        room = await lines(first, 300)
        hub.breakouts.close()
        store.close()
    print(f"fanout to {members} members: group line {group * 1e6:.0f} us, room line {room * 1e6:.0f} us (decide, store, deliver)")
    return room / group


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--members", type=int, default=40)
    args = parser.parse_args()
    a = bench_sees(args.rounds)
    c = bench_export(args.rounds)
    b = asyncio.run(bench_fanout(args.members))
    print(f"room_audience sees_ratio={a:.2f} fanout_ratio={b:.2f} export_ratio={c:.2f}")


if __name__ == "__main__":
    main()
