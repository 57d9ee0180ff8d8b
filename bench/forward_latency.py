"""Forwarding's added latency (issue 16): clients on a non-owner node vs on the owner, one run.

Two relay nodes (``python -m server serve --store postgresql://... --node-id``)
on one fresh PostgreSQL schema. Node A owns every group (each group's
facilitator joins A first); in each group half the members connect to A
directly and half to node B, which forwards them to A. Every member chats
every ``--period`` seconds with its send time in the line; every member
measures each line's delivery latency (send -> receipt; one clock:
CLOCK_MONOTONIC is system-wide). The same events reach both kinds of
receiver, so the difference between them is the forwarding hop alone. The direct and
the forwarded members live in two client processes alike (so neither kind
waits behind the other in one client's event loop):

- ``direct``: received by members on the owner (A);
- ``forwarded``: received by members on B (owner -> B -> member);
- ``ack``: a sender's own round trip (send -> ack), direct vs forwarded
  (member -> B -> owner -> B -> member).

    python bench/forward_latency.py [--groups 10] [--members 10] [--period 2] [--duration 15]

The last line: ``forward_latency p50_added_ms=... p99_added_ms=... (direct p50 ..., forwarded p50 ...)``;
the target is p50_added_ms <= 1.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import statistics
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import msgpack
from websockets.asyncio.client import connect

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from protocol.messages import PROTOCOL_VERSION  # noqa: E402
from server.store import open_store  # noqa: E402
from tests.support.pg import BASE  # noqa: E402
from tests.support.procs import start_server_process  # noqa: E402


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Member:
    def __init__(self, url: str, token: str, kind: str, lat: dict[str, list[float]]) -> None:
        self.url, self.token, self.kind, self.lat = url, token, kind, lat
        self.ws = None
        self.sent: dict[str, float] = {}
        self.measuring = False
        self.n = 0

    async def join(self) -> None:
        self.ws = await connect(self.url, compression=None, max_size=None, open_timeout=30)
        await self.ws.send(msgpack.packb({"kind": "hello", "v": PROTOCOL_VERSION, "token": self.token, "resume_from": None, "client": "bench"}))
        while True:
            frame = msgpack.unpackb(await self.ws.recv(), raw=False)
            if frame.get("kind") == "synced":
                return

    async def read(self) -> None:
        async for message in self.ws:
            now = time.monotonic()
            frame = msgpack.unpackb(message, raw=False)
            kind = frame.get("kind")
            if kind == "event" and frame.get("type") == "chat.posted":
                text = frame["data"].get("text", "")
                if text.startswith("t=") and self.measuring:
                    self.lat[self.kind].append(now - float(text[2:].split(" ", 1)[0]))
            elif kind == "ack" and self.measuring:
                sent = self.sent.pop(frame.get("id"), None)
                if sent is not None:
                    self.lat[f"ack_{self.kind}"].append(now - sent)

    async def talk(self, period: float, stop: float) -> None:
        await asyncio.sleep(random.uniform(0, period))
        while time.monotonic() < stop:
            self.n += 1
            cid = f"b{self.n}"
            now = time.monotonic()
            self.sent[cid] = now
            await self.ws.send(msgpack.packb({"kind": "chat.send", "id": cid, "data": {"text": f"t={now:.6f} hello"}}))
            await asyncio.sleep(period)


async def own(a_url: str, groups: list[list[str]]) -> None:
    """Each group's facilitator joins A, so A owns every group (for as long as its lease runs)."""
    lat: dict[str, list[float]] = {"direct": [], "ack_direct": []}
    for tokens in groups:
        owner = Member(a_url, tokens[0], "direct", lat)
        await owner.join()
        await owner.ws.close()


async def drive(url: str, kind: str, tokens: list[str], start: float, args: argparse.Namespace) -> dict[str, list[float]]:
    """One worker process: its members, all direct (on A) or all forwarded (through B)."""
    lat: dict[str, list[float]] = {kind: [], f"ack_{kind}": []}
    members = [Member(url, token, kind, lat) for token in tokens]
    await asyncio.gather(*(m.join() for m in members))
    readers = [asyncio.create_task(m.read()) for m in members]
    await asyncio.sleep(max(0.0, start - time.monotonic()))
    stop = start + args.warmup + args.duration
    talkers = [asyncio.create_task(m.talk(args.period, stop)) for m in members]
    await asyncio.sleep(args.warmup)
    for m in members:
        m.measuring = True
    await asyncio.gather(*talkers)
    await asyncio.sleep(1.0)  # the last lines arrive
    for m in members:
        m.measuring = False
        await m.ws.close()
    for r in readers:
        r.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    return lat


def worker(url: str, kind: str, tokens: list[str], start: float, args: argparse.Namespace, out: Any) -> None:
    out.put(asyncio.run(drive(url, kind, tokens, start, args)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=10)
    parser.add_argument("--members", type=int, default=10, help="members per group (the facilitator included)")
    parser.add_argument("--period", type=float, default=2.0, help="seconds between one member's lines")
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--pg-url", default=os.environ.get("IOP_TEST_PG", BASE))
    args = parser.parse_args()
    os.environ["IOP_TEST_PG"] = args.pg_url
    import psycopg

    schema = f"bench_fwd_{os.getpid()}"
    admin = psycopg.connect(args.pg_url, autocommit=True)
    admin.execute(f"CREATE SCHEMA {schema}".encode())
    sep = "&" if "?" in args.pg_url else "?"
    url = f"{args.pg_url}{sep}options=-csearch_path%3D{schema}"
    try:
        store = open_store(url)
        groups: list[list[str]] = []
        for g in range(args.groups):
            gid = store.create_group(f"Group {g}")
            tokens = [store.add_member(gid, "Facilitator", "facilitator")[1]]
            tokens += [store.add_member(gid, f"Member {i}", "participant")[1] for i in range(args.members - 1)]
            groups.append(tokens)
        store.close()
        with ExitStack() as stack:
            a = stack.enter_context(start_server_process(url, 0, "--store", url, "--node-id", "a", "--quiet"))  # type: ignore[arg-type]
            b = stack.enter_context(start_server_process(url, 0, "--store", url, "--node-id", "b", "--quiet"))  # type: ignore[arg-type]
            asyncio.run(own(a.url, groups))
            cpu0 = {p.pid: _cpu(p.pid) for p in (a, b)}
            # Two client processes alike: one with every group's direct members, one with the forwarded.
            direct = [t for tokens in groups for i, t in enumerate(tokens[1:]) if i % 2 == 0]
            forwarded = [t for tokens in groups for i, t in enumerate(tokens[1:]) if i % 2 == 1]
            ctx = multiprocessing.get_context("spawn")
            out = ctx.Queue()
            start = time.monotonic() + 8.0  # joins done by then
            procs = [
                ctx.Process(target=worker, args=(a.url, "direct", direct, start, args, out)),
                ctx.Process(target=worker, args=(b.url, "forwarded", forwarded, start, args, out)),
            ]
            for proc in procs:
                proc.start()
            lat: dict[str, list[float]] = {}
            for _ in procs:
                lat.update(out.get(timeout=start - time.monotonic() + args.warmup + args.duration + 60))
            for proc in procs:
                proc.join(10)
            cpu = {name: _cpu(p.pid) - cpu0[p.pid] for name, p in (("a", a), ("b", b))}
    finally:
        admin.execute(f"DROP SCHEMA {schema} CASCADE".encode())
        admin.close()
    ms = {k: [v * 1000 for v in vals] for k, vals in lat.items()}
    for key in ("direct", "forwarded", "ack_direct", "ack_forwarded"):
        vals = ms[key]
        print(f"{key:14s} n={len(vals):6d} p50={pct(vals, 0.5):7.2f} ms p99={pct(vals, 0.99):7.2f} ms max={max(vals, default=float('nan')):7.2f} ms"
              f" mean={statistics.fmean(vals) if vals else float('nan'):7.2f} ms")
    deliveries = len(ms["direct"]) + len(ms["forwarded"])
    print(f"cpu seconds: owner a {cpu['a']:.2f}, forwarder b {cpu['b']:.2f} over {args.duration:g} s ({deliveries} deliveries measured)")
    added50 = pct(ms["forwarded"], 0.5) - pct(ms["direct"], 0.5)
    added99 = pct(ms["forwarded"], 0.99) - pct(ms["direct"], 0.99)
    ack50 = pct(ms["ack_forwarded"], 0.5) - pct(ms["ack_direct"], 0.5)
    print(
        f"forward_latency p50_added_ms={added50:.2f} p99_added_ms={added99:.2f} ack_p50_added_ms={ack50:.2f}"
        f" (direct p50 {pct(ms['direct'], 0.5):.2f} p99 {pct(ms['direct'], 0.99):.2f};"
        f" forwarded p50 {pct(ms['forwarded'], 0.5):.2f} p99 {pct(ms['forwarded'], 0.99):.2f} ms;"
        f" {args.groups} groups x {args.members}, a line every {args.period:g} s each; target p50_added_ms <= 1)"
    )


def _cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
