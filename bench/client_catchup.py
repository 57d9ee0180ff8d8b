"""How fast the client core catches up on a group's history, with and without a relay.

Two figures, for a history of N events (a realistic mix: chat, check-ins,
polls and votes, hands, phases, over several sessions):

- ``fold``: frames through :meth:`SessionModel.apply` (fold + one sentence
  each), no I/O — the cost a slow machine pays per replayed event;
- ``join``: a real :class:`ClientSession` joining a real relay (in this
  process, loopback) that holds the history, from ``run()`` to ``synced``;
  then a resume after a cut with M events missed.

Run with::

    .venv/bin/python bench/client_catchup.py [--events 5000] [--missed 200]

The last line is ``client_catchup fold_events_per_s=F join_s=J resume_s=R``.
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

from tests.support.framekit import ALEX, DANA, SAM, Log, synced, welcome  # noqa: E402

from iop_tui.core.model import SessionModel  # noqa: E402
from iop_tui.core.session import ClientSession  # noqa: E402


def history(count: int) -> list[dict]:
    log = Log()
    frames: list[dict] = []
    while len(frames) < count:
        frames.append(log.session())
        frames.append(log.phase("checkin"))
        frames.append(log.checkin(ALEX, 4, ["tired", "hopeful"], note="slept badly"))
        frames.append(log.phase("exercises"))
        poll = log.poll("How did the week go?", ["better", "the same", "worse"])
        frames.append(poll)
        frames.append(log.vote(SAM, poll["seq"], [1]))
        frames.append(log.phase("discussion"))
        for i in range(20):
            frames.append(log.chat((SAM, ALEX, DANA)[i % 3], f"line {i} of a discussion about the week"))
        frames.append(log.hand(SAM))
        frames.append(log.hand(SAM, up=False))
        frames.append(log.event("session.ended", {"session_id": frames[0]["seq"], "summary": "Thanks all."}))
    return frames[:count]


def bench_fold(count: int) -> float:
    frames = history(count)
    best = float("inf")
    for _ in range(3):
        model = SessionModel()
        start = time.perf_counter()
        model.apply(welcome(SAM))
        for frame in frames:
            model.apply(frame)
        model.apply(synced(len(frames)))
        best = min(best, time.perf_counter() - start)
    return count / best


async def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the client did not catch up in time")
        await asyncio.sleep(0.001)


async def bench_join(count: int, missed: int) -> tuple[float, float]:
    from server.edge import RelayServer
    from tests.support.wsclient import RawClient, seed

    with tempfile.TemporaryDirectory() as tmp:
        async with RelayServer(Path(tmp), rate_per_s=1e6, burst=10**6) as relay:
            group = seed(relay.store, relay.url)
            async with RawClient(relay.url, group.facilitator.token) as dana:
                await dana.wait_synced()
                await dana.command("session.start", {"title": "Bench"})
                for i in range(count - 1):
                    await dana.send("chat.send", {"text": f"history line {i}"})
                await dana.command("chat.send", {"text": "last"})
                session = ClientSession(relay.url, group.participants[0].token, backoff=(30.0,))
                start = time.perf_counter()
                task = asyncio.create_task(session.run())
                await wait_for(lambda: session.model.synced)
                join_s = time.perf_counter() - start
                session.connection._ws.transport.abort()  # a network cut
                await wait_for(lambda: session.model.conn.state == "reconnecting")
                for i in range(missed - 1):
                    await dana.send("chat.send", {"text": f"missed line {i}"})
                await dana.command("chat.send", {"text": "last missed"})
                start = time.perf_counter()
                session.retry_now()
                await wait_for(lambda: session.model.synced and session.model.state.chat[-1].text == "last missed")
                resume_s = time.perf_counter() - start
                assert len(session.model.state.chat) == count + missed
                await session.close()
                await task
    return join_s, resume_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--missed", type=int, default=200)
    args = parser.parse_args()
    rate = bench_fold(args.events)
    print(f"fold: {args.events} events through SessionModel.apply at {rate:,.0f} events/s")
    join_s, resume_s = asyncio.run(bench_join(args.events, args.missed))
    print(f"join: {args.events} events replayed to synced in {join_s:.3f} s; resume with {args.missed} missed in {resume_s:.3f} s")
    print(f"client_catchup fold_events_per_s={rate:.0f} join_s={join_s:.3f} resume_s={resume_s:.3f}")


if __name__ == "__main__":
    main()
