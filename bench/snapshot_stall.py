"""How long a long group's snapshot holds the relay's loop (issue 16, server/snapshot.py).

One group whose log holds N chat lines, on a real Hub over a real SQLite store, its
commits and writes on a writer thread and its garbage collector scheduled as the relay's
(server/writer.py, server/collector.py: no automatic full pass). A
ticker task measures the event loop's worst lateness (the longest the loop was held)
while the relay:

- puts the room away (:meth:`server.room.Rooms.unload`: the snapshot pickled on a
  worker thread, in pieces, then written);
- loads it back (:meth:`server.hub.Hub.load_room`: the snapshot read and unpickled
  on a worker thread, in pieces, then the events after it folded in slices);
- the baseline in the same run: the same snapshot unpickled in one step on the
  loop, as a load did before it was done in pieces (``stall_ratio`` = that
  baseline's worst lateness / the load's);
- for reference: the same load with no snapshot (the whole log folded in slices).

Run with::

    .venv/bin/python bench/snapshot_stall.py [--lines 60000]

The last line is ``snapshot_stall lines=N snapshot_mb=S put_away_lag_ms=A load_lag_ms=B
load_ms=C one_step_lag_ms=D stall_ratio=R folded_lag_ms=E folded_ms=F``.
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
from protocol.roles import EVERYONE  # noqa: E402
from server.collector import Collector  # noqa: E402
from server.hub import Hub  # noqa: E402
from server.snapshot import FOLD_VERSION, restore  # noqa: E402
from server.store import Store  # noqa: E402
from server.writer import Writer  # noqa: E402

LINE = "Last week I noticed the thought before it ran away with me, and wrote it down instead."


class Ticker:
    """The loop's worst lateness while it runs: a task that asks for a turn every millisecond."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.001)
            self.worst = max(self.worst, time.perf_counter() - before - 0.001)

    async def __aenter__(self) -> Ticker:
        self._task = asyncio.create_task(self._tick())
        await asyncio.sleep(0.005)
        self.worst = 0.0
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.sleep(0.005)
        assert self._task is not None
        self._task.cancel()


def seed(store: Store, lines: int) -> int:
    gid = store.create_group("A long group")
    ids = [store.add_member(gid, f"member {m}", "participant")[0] for m in range(10)]
    for first in range(1, lines + 1, 1000):
        store.commit(
            [
                (gid, Event(seq, "chat.posted", 1.0e9 + seq, ids[seq % 10], f"member {seq % 10}", EVERYONE, None,
                            {"member_id": ids[seq % 10], "text": f"{seq} {LINE}", "to": "group"}))
                for seq in range(first, min(lines, first + 999) + 1)
            ],
            [],
        )
    return gid


async def run(lines: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "data")
        hub = Hub(store, Limits(MAX_FRAME_BYTES, 1e9, 10**9), presence_grace=0)
        writer = Writer(Store(Path(tmp) / "data", background_checkpoints=True))
        hub.use_writer(writer)
        gid = seed(store, lines)
        collector = Collector(lambda: True)
        collector.start()  # as the relay's serve does
        await hub.load_room(gid)  # folded whole: no snapshot yet

        async with Ticker() as put_away:
            pickling = hub.unload(gid, "bench")
            assert pickling is not None
            await pickling
            while not writer.idle:  # the write, on the writer's thread
                await asyncio.sleep(0.001)
        kept = store.snapshot(gid, FOLD_VERSION)
        assert kept is not None and kept.seq == lines

        async with Ticker() as load:
            start = time.perf_counter()
            await hub.load_room(gid)
            load_ms = (time.perf_counter() - start) * 1000
        assert hub.rooms[gid].snapshot_seq == lines
        hub.drop_group(gid, "bench")

        async with Ticker() as one_step:
            restore(kept.data, gid)  # the baseline: unpickled in one step, on the loop

        store._db.execute("DELETE FROM snapshots")
        async with Ticker() as folded:
            start = time.perf_counter()
            await hub.load_room(gid)
            folded_ms = (time.perf_counter() - start) * 1000
        collector.stop()
        hub.close()
        writer.close()
        store.close()

    mb = len(kept.data) / 1e6
    print(f"{lines} chat lines: snapshot {mb:.1f} MB")
    print(f"put away (pickled on a thread, in pieces, written on the writer's): loop held {put_away.worst * 1000:.1f} ms at most")
    print(f"loaded from it (read and unpickled on a thread, in pieces): loop held {load.worst * 1000:.1f} ms at most; load {load_ms:.0f} ms")
    print(f"baseline, unpickled in one step on the loop: loop held {one_step.worst * 1000:.1f} ms")
    print(f"no snapshot (the whole log folded in slices): loop held {folded.worst * 1000:.1f} ms at most; load {folded_ms:.0f} ms")
    print(
        f"snapshot_stall lines={lines} snapshot_mb={mb:.1f} put_away_lag_ms={put_away.worst * 1000:.1f}"
        f" load_lag_ms={load.worst * 1000:.1f} load_ms={load_ms:.0f} one_step_lag_ms={one_step.worst * 1000:.1f}"
        f" stall_ratio={one_step.worst / max(load.worst, 1e-6):.1f} folded_lag_ms={folded.worst * 1000:.1f} folded_ms={folded_ms:.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=60000, help="chat lines in the group's log")
    args = parser.parse_args()
    asyncio.run(run(args.lines))


if __name__ == "__main__":
    main()
