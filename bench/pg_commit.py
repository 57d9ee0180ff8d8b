"""One PostgreSQL commit of the relay, measured alone against the way it was sent before.

    python bench/pg_commit.py --lines 2 --commits 1500 --rounds 3

Creates a scratch database on the server of ``--url`` (dropped again at the end), migrates it
with :class:`server.store_pg.PgStore`, and commits batches of ``--lines`` chat lines (with their
command results and quota usage), alternating in each round:

- ``relay``: :meth:`PgStore.commit` as the relay runs it: ``iop_commit_checked`` (one function,
  migration 11), each column sent as one array literal;
- ``lists``: the same statement, each column a Python list that psycopg dumps (before: the
  client's side of a commit);
- ``nested``: ``iop_commit_fenced`` (migration 7, which calls ``iop_commit``), the lists as
  before: the database's side of a commit before migration 11 (it checks no data_version).

Each reports the commit's wall time (p50, p99) and the client's CPU per commit (the thread's
time: what held the GIL against the relay's loop). The last line is:

    pg_commit lines=N relay_p50_ms=N lists_p50_ms=N nested_p50_ms=N relay_cpu_ms=N lists_cpu_ms=N cpu_ratio=N wall_ratio=N

``cpu_ratio``: the relay's client CPU over the lists'; ``wall_ratio``: the relay's p50 over the
nested functions' (both below 1 when this session's changes help).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import psycopg  # noqa: E402

from protocol.events import Event  # noqa: E402
from server.store import CommandResult, batch_heads  # noqa: E402
from server.store_pg import _COMMIT, PgStore, _pack  # noqa: E402

SCRATCH = "iop_bench_pg_commit"
_NESTED = _COMMIT.replace("iop_commit_checked(?::bigint, ", "iop_commit_fenced(")


def list_params(store: PgStore, events: list, results: list, usage: list, version: int | None) -> list[Any]:
    """The commit's parameters as Python lists (how PgStore.commit sent them before)."""
    heads = batch_heads(events)
    ids = list(heads)
    ev = list(zip(*((g, e.seq, e.type, e.ts, e.actor, e.actor_name, e.audience, e.subject, _pack(e.data)) for g, e in events), strict=True))
    res = list(zip(*((m, c, g, r.first_seq, r.last_seq, r.error_code, r.error_message) for m, c, g, r in results), strict=True))
    use = list(zip(*usage, strict=True))
    fence = store.fence or {}
    fenced = sorted({*ids, *(g for _m, _c, g, _r in results)})
    return [
        version, fenced, [fence.get(g, -1) for g in fenced], ids, [heads[g][0] for g in ids], [heads[g][1] for g in ids],
        *map(list, ev), *map(list, res), time.time(), [], *map(list, use),
    ]


def at_least_one(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1/postgres", help="a database on the server to use (a scratch one is made there)")
    parser.add_argument("--lines", type=at_least_one, default=2, help="chat lines a commit")
    parser.add_argument("--commits", type=at_least_one, default=1500, help="commits of each kind a round")
    parser.add_argument("--rounds", type=at_least_one, default=3)
    args = parser.parse_args()
    try:
        with psycopg.connect(args.url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {SCRATCH}")
            admin.execute(f"CREATE DATABASE {SCRATCH}")
    except psycopg.Error as exc:
        parser.error(f"--url: cannot make the scratch database on that server ({str(exc).strip().splitlines()[0]})")
    url = urlsplit(args.url)._replace(path=f"/{SCRATCH}").geturl()
    try:
        run(url, args)
    finally:
        with psycopg.connect(args.url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {SCRATCH}")


def run(url: str, args: argparse.Namespace) -> None:
    store = PgStore(url)
    try:
        measure(store, args)
    finally:
        store.close()  # before the scratch database is dropped


def measure(store: PgStore, args: argparse.Namespace) -> None:
    groups = [store.create_group(f"bench {i}") for i in range(10)]
    members = [store.add_member(g, "Sam", "participant")[0] for g in groups]
    store.fence = dict.fromkeys(groups, 0)
    heads = dict.fromkeys(groups, 0)
    serial = 0

    def batch() -> tuple[list, list, list]:
        nonlocal serial
        events, results = [], []
        for k in range(args.lines):
            i = (serial + k) % len(groups)
            g = groups[i]
            heads[g] += 1
            seq = heads[g]
            events.append((g, Event(seq, "chat.posted", time.time(), members[i], "Sam", "everyone", None, {"text": "I slept better this week " * 2})))
            results.append((members[i], f"c{g}-{seq}", g, CommandResult(seq, seq)))
        serial += args.lines
        return events, results, [(members[0], 60 * args.lines)]

    def timed(kind: str) -> tuple[list[float], list[float]]:
        walls, cpus = [], []
        for _ in range(args.commits):
            events, results, usage = batch()
            version = store.data_version() if kind == "relay" else None
            cpu, t0 = time.thread_time(), time.perf_counter()
            if kind == "relay":
                store.commit(events, results, [], usage, version=version)
            else:
                params = list_params(store, events, results, usage, version)
                sql = _COMMIT if kind == "lists" else _NESTED
                store._db.execute(sql, params if kind == "lists" else params[1:], write=True).fetchone()
            walls.append((time.perf_counter() - t0) * 1000)
            cpus.append((time.thread_time() - cpu) * 1000)
        return walls, cpus

    figures: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in ("relay", "lists", "nested")}
    for _round in range(args.rounds):
        for kind in figures:
            walls, cpus = timed(kind)
            figures[kind][0].extend(walls)
            figures[kind][1].extend(cpus)

    def p(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    for kind, (walls, cpus) in figures.items():
        print(f"{kind:6}: p50={p(walls, 0.5):.3f} ms p99={p(walls, 0.99):.3f} ms client_cpu={statistics.fmean(cpus):.3f} ms a commit")
    relay, lists, nested = (figures[k] for k in ("relay", "lists", "nested"))
    print(
        f"pg_commit lines={args.lines} relay_p50_ms={p(relay[0], 0.5):.3f} lists_p50_ms={p(lists[0], 0.5):.3f}"
        f" nested_p50_ms={p(nested[0], 0.5):.3f} relay_cpu_ms={statistics.fmean(relay[1]):.3f}"
        f" lists_cpu_ms={statistics.fmean(lists[1]):.3f} cpu_ratio={statistics.fmean(relay[1]) / statistics.fmean(lists[1]):.2f}"
        f" wall_ratio={p(relay[0], 0.5) / p(nested[0], 0.5):.2f}"
    )


if __name__ == "__main__":
    main()
