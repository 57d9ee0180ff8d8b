"""What unloading idle rooms saves, and what the next session's first join pays for it (issue 16).

G groups, each with a finished session of L chat lines, on a real Hub over a
real SQLite store (in memory peers, no socket). The relay unloads a room
nobody has been in for ``serve --release-idle`` (:meth:`server.hub.Hub.idle_rooms`);
this measures both sides of that:

- memory: the bytes the G loaded rooms hold (tracemalloc: Python's own
  allocations, not the process's RSS, which the allocator keeps), then the
  bytes left once they are unloaded; ``held_ratio`` = left / loaded;
- time: a member's join (welcome and full replay) to an unloaded room (loaded
  again from the store) against the same join to a loaded room, in the same
  run; ``join_ratio`` = unloaded p50 / loaded p50;
- snapshots (server/snapshot.py): a room put away with at least
  ``SNAPSHOT_EVENTS`` events since its last snapshot writes one, and the next
  load restores it; the same unloaded joins with the snapshots deleted (every
  log folded whole) give ``fold_ratio`` = folded whole p50 / from snapshot p50
  (1.0 below ``SNAPSHOT_EVENTS`` lines: no snapshot is written).

Run with::

    .venv/bin/python bench/idle_rooms.py [--groups 200] [--lines 200]
    .venv/bin/python bench/idle_rooms.py --groups 20 --lines 5000   # snapshots

The last line is ``idle_rooms groups=G lines=L kb_per_room=K kb_left_per_room=R held_ratio=H
join_loaded_ms=A join_unloaded_ms=B join_ratio=J join_folded_ms=F fold_ratio=R``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from protocol.codec import MAX_FRAME_BYTES  # noqa: E402
from protocol.messages import Limits  # noqa: E402
from server.hub import Hub  # noqa: E402
from server.store import Store  # noqa: E402
from tests.support.hubpeer import answer, connect, send  # noqa: E402
from tests.support.wsclient import Cred  # noqa: E402

LINE = "I noticed the thought before it ran away with me this week, and I wrote it down instead. " * 2


async def unload_all(hub: Hub) -> None:
    """What the relay's housekeeping does once every room has been quiet long enough; then waits for
    the snapshots being pickled (until then a room's state is still held)."""
    for _ in range(3):
        await asyncio.sleep(0)  # a room just loaded compares its roster with the store in its first flush
    hub.idle_rooms(0.0, 0.0)
    pickling = [hub.unload(gid, "bench") for gid in hub.idle_rooms(1.0, 0.0)]
    await asyncio.gather(*(p for p in pickling if p is not None))
    await asyncio.sleep(0)


async def joins(hub: Hub, store: Store, creds: list[Cred]) -> list[float]:
    """Each member's join to the head (welcome and replay), in ms; then they leave."""
    took = []
    for cred in creds:
        start = time.perf_counter()
        peer = await connect(hub, store, cred)
        took.append((time.perf_counter() - start) * 1000)
        peer.close(1000, "bye")
        await asyncio.sleep(0)
    return took


async def run(groups: int, lines: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "data")
        hub = Hub(store, Limits(MAX_FRAME_BYTES, 1e9, 10**9), presence_grace=0)
        creds = []
        for g in range(groups):
            gid = store.create_group(f"Group {g}")
            mid, token = store.add_member(gid, "Dana Reyes", "facilitator")
            creds.append(Cred(mid, "Dana Reyes", "facilitator", token))
            dana = await connect(hub, store, creds[-1])
            await answer(dana, send(hub, dana, "session.start", {"title": "Week 3"}))
            for i in range(lines):
                await answer(dana, send(hub, dana, "chat.send", {"text": f"{i} {LINE}"}))
            await answer(dana, send(hub, dana, "session.end", {}))
            dana.close(1000, "bye")
            await asyncio.sleep(0)
        await unload_all(hub)

        cold = await joins(hub, store, creds)  # each room loaded again from the store (its snapshot, if any)
        warm = await joins(hub, store, creds)  # the same rooms, loaded
        await unload_all(hub)
        store._db.execute("DELETE FROM snapshots")
        folded = await joins(hub, store, creds)  # each room folded whole
        await unload_all(hub)

        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        for cred in creds:
            hub.room(store.member(cred.member_id).group_id)  # type: ignore[union-attr]
        gc.collect()
        loaded = tracemalloc.get_traced_memory()[0] - base
        await unload_all(hub)
        gc.collect()
        left = tracemalloc.get_traced_memory()[0] - base
        tracemalloc.stop()
        hub.close()
        store.close()

    kb, kb_left = loaded / groups / 1024, left / groups / 1024
    cold_p50, warm_p50, folded_p50 = statistics.median(cold), statistics.median(warm), statistics.median(folded)
    print(f"{groups} rooms of {lines} lines: loaded {kb:.1f} KB each, {kb_left:.2f} KB each once unloaded")
    print(f"join (welcome and replay): loaded p50 {warm_p50:.2f} ms, unloaded p50 {cold_p50:.2f} ms (p99 {sorted(cold)[int(len(cold) * 0.99) - 1]:.2f} ms)")
    print(f"unloaded, every log folded whole (no snapshot): p50 {folded_p50:.2f} ms")
    print(
        f"idle_rooms groups={groups} lines={lines} kb_per_room={kb:.1f} kb_left_per_room={kb_left:.2f}"
        f" held_ratio={left / loaded:.3f} join_loaded_ms={warm_p50:.2f} join_unloaded_ms={cold_p50:.2f}"
        f" join_ratio={cold_p50 / warm_p50:.2f} join_folded_ms={folded_p50:.2f} fold_ratio={folded_p50 / cold_p50:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--lines", type=int, default=200, help="chat lines in each group's session")
    args = parser.parse_args()
    asyncio.run(run(args.groups, args.lines))


if __name__ == "__main__":
    main()
