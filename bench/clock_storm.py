"""Many groups' small-room clocks due at once, under chat: how long the relay's loop stalls.

    python bench/clock_storm.py --store pg --groups 200 --repeat 3 --baseline-from DIR

Sessions are often booked on the hour, so the rounds of small rooms that the
relay ends itself ("time is up": ``breakout.closed``, actor 0) fall due together
in many groups. Each repetition runs a relay in this process (``RelayServer``,
on SQLite in a temporary folder or on a fresh PostgreSQL schema), seeds
--groups groups, connects each group's facilitator and one participant, starts a
session and opens a round of two rooms of 5 minutes in each. The participants
chat (one line every --period seconds each, staggered). Then the hub's clock is
moved past the end of every round at once, and the bench measures:

- ``closed_ms``: from the move until every facilitator has the round's end;
- ``lag_max_ms``: the event loop's worst lateness meanwhile (a task that sleeps
  a millisecond again and again): how long every member of every group waited
  for anything at all;
- ``chat_p99_ms``: the p99 of chat lines sent from 1 s before the move until
  the rounds are closed, from send to the sender's own copy.

With ``--baseline-from DIR`` (an older checkout: ``git archive COMMIT | tar -x -C
DIR``) each repetition also runs that relay, alternating, and the last line
gives the ratios (this / baseline). Nothing here asserts; the figures are for
the report.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


async def _measure(store_ref: Any, groups: int, period: float) -> dict[str, float]:
    from server.edge import RelayServer
    from tests.support.wsclient import RawClient, seed

    async with RelayServer(store_ref) as relay:
        seeds = [seed(relay.store, relay.url, name=f"Group {g}") for g in range(groups)]
        async with contextlib.AsyncExitStack() as stack:
            pairs = []
            for g in seeds:
                dana = await stack.enter_async_context(RawClient(relay.url, g.facilitator.token))
                sam = await stack.enter_async_context(RawClient(relay.url, g.participants[0].token))
                pairs.append((dana, sam))
            for dana, _sam in pairs:
                await dana.wait_synced(timeout=30)
                await dana.command("session.start", {"title": "Week 4"}, timeout=30)
                await dana.command("breakout.open", {"rooms": 2, "minutes": 5, "prompt": "", "assign": "random"}, timeout=30)
            loop = asyncio.get_running_loop()
            sent: dict[str, float] = {}
            latencies: list[tuple[float, float]] = []  # (sent at, seconds to the sender's copy)
            window: list[float] = [float("inf"), float("inf")]
            stop = asyncio.Event()

            async def chat(i: int, sam: RawClient) -> None:
                await asyncio.sleep(period * i / len(pairs))
                n = 0
                while not stop.is_set():
                    text = f"line {i} {n}"
                    sent[text] = loop.time()
                    await sam.send("chat.send", {"text": text})
                    n += 1
                    await asyncio.sleep(period)

            def on_frame(frame: dict[str, Any]) -> None:
                if frame.get("kind") == "event" and frame.get("type") == "chat.posted":
                    at = sent.pop(str(frame.get("data", {}).get("text")), None)
                    if at is not None:
                        latencies.append((at, loop.time() - at))

            for _dana, sam in pairs:
                sam.on_frame = on_frame  # type: ignore[method-assign]
            lag_max = 0.0

            async def lag() -> None:
                nonlocal lag_max
                while not stop.is_set():
                    before = loop.time()
                    await asyncio.sleep(0.001)
                    late = loop.time() - before - 0.001
                    if window[0] <= loop.time() <= window[1] + 0.5:
                        lag_max = max(lag_max, late)

            tasks = [asyncio.create_task(chat(i, sam)) for i, (_d, sam) in enumerate(pairs)]
            tasks.append(asyncio.create_task(lag()))
            await asyncio.sleep(max(2.0, period * 2))
            window[0] = loop.time() - 1.0
            real = relay.hub.clock
            relay.hub.clock = lambda: real() + 5 * 60 + 1
            moved = loop.time()
            for room in list(relay.hub.rooms.values()):
                relay.hub.breakouts.ensure(room)
            for dana, _sam in pairs:
                await dana.recv_until(lambda f: f.get("type") == "breakout.closed", timeout=120)
            closed = loop.time() - moved
            window[1] = loop.time()
            await asyncio.sleep(0.6)
            stop.set()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            during = sorted(s for at, s in latencies if window[0] <= at <= window[1])
            p99 = during[min(len(during) - 1, int(len(during) * 0.99))] if during else float("nan")
            return {"closed_ms": closed * 1000, "lag_max_ms": lag_max * 1000, "chat_p99_ms": p99 * 1000, "lines": len(during)}


def _child(args: argparse.Namespace) -> None:
    if args.store == "pg":
        from tests.support.pg import fresh_schema

        with fresh_schema() as url:
            result = asyncio.run(_measure(url, args.groups, args.period))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            result = asyncio.run(_measure(Path(tmp) / "data", args.groups, args.period))
    print(json.dumps(result))


def _run(checkout: Path, args: argparse.Namespace) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(checkout), PYTHONUNBUFFERED="1")
    argv = [sys.executable, str(Path(__file__).resolve()), "--child", "--store", args.store, "--groups", str(args.groups), "--period", str(args.period)]
    out = subprocess.run(argv, cwd=checkout, env=env, capture_output=True, text=True, check=False)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        raise SystemExit(f"the bench run in {checkout} failed:\n{out.stderr[-2000:]}")
    return dict(json.loads(lines[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", choices=("sqlite", "pg"), default="sqlite")
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--period", type=float, default=2.0, help="seconds between one participant's lines")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline-from", type=Path, default=None, metavar="DIR")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    this: list[dict[str, float]] = []
    base: list[dict[str, float]] = []
    for rep in range(1, args.repeat + 1):
        this.append(_run(REPO, args))
        line = f"rep {rep}: this closed={this[-1]['closed_ms']:.0f} ms lag_max={this[-1]['lag_max_ms']:.1f} ms chat_p99={this[-1]['chat_p99_ms']:.1f} ms"
        if args.baseline_from is not None:
            base.append(_run(args.baseline_from, args))
            line += f" | baseline closed={base[-1]['closed_ms']:.0f} ms lag_max={base[-1]['lag_max_ms']:.1f} ms chat_p99={base[-1]['chat_p99_ms']:.1f} ms"
        print(line, flush=True)

    def median(rows: list[dict[str, float]], key: str) -> float:
        return statistics.median(r[key] for r in rows)

    summary = f"clock_storm store={args.store} groups={args.groups} repeat={args.repeat}"
    for key in ("closed_ms", "lag_max_ms", "chat_p99_ms"):
        summary += f" {key}={median(this, key):.1f}"
        if base:
            summary += f" baseline_{key}={median(base, key):.1f} {key.removesuffix('_ms')}_ratio={median(this, key) / median(base, key):.2f}"
    print(summary)


if __name__ == "__main__":
    main()
