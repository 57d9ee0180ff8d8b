"""Between sessions the groups spread again over the nodes that run (issue 16, ``serve --release-idle``).

N relay nodes on a fresh PostgreSQL schema behind docs/deployment.md's HAProxy
configuration (``bench/relay_load.py``'s, plain HTTP on loopback, without the
per-address limits: every member here is 127.0.0.1); G groups, the
facilitator of each connected with the product's client
(:class:`iop_tui.core.connection.Connection`). The run:

1. session 1: every facilitator connects; the groups' owners are counted;
2. the busiest node is SIGKILLed: its groups move to the others;
3. it is started again (same id and port): it owns nothing;
4. session 1 ends (every client closes): after ``--release-idle`` each node
   releases its idle groups (no owner left in the database);
5. session 2: new clients (no cookie, as a member's next start) connect through
   HAProxy (least connections): the node each first member reaches claims the group.

Before ``--release-idle`` a node kept every group it owned for as long as it
lived, so the restarted node stayed empty through session 2: ``--release-idle 0``
runs that baseline (nodes that never release). Needs ``haproxy`` (``apt-get install haproxy``).

Run with::

    .venv/bin/python bench/rebalance.py [--groups 60] [--nodes 3] [--release-idle 3]
    .venv/bin/python bench/rebalance.py --release-idle 0    # the baseline

The last line is ``rebalance groups=G nodes=N session1=a,b,c after_restart=... session2=...
restarted_node_share=S spread_ratio=R`` (R: session 2's largest share over its smallest; 1.00 is even, inf: a node owns none).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from iop_tui.core.connection import Connection  # noqa: E402
from relay_load import start_haproxy  # noqa: E402
from tests.support.fleet import LIMITS, Fleet  # noqa: E402
from tests.support.pg import fresh_schema, seeded_pg  # noqa: E402
from tests.support.wsclient import Seeded  # noqa: E402

TIMEOUT = 60.0


def shares(fleet: Fleet) -> list[int]:
    """Groups owned by each node, in the nodes' order."""
    owned = collections.Counter(fleet.owners().values())
    return [owned[node.name] for node in fleet.nodes]


async def wait(condition, what: str) -> float:
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > TIMEOUT:
            raise SystemExit(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
    return time.monotonic() - start


class Session:
    """Each group's facilitator connected through the balancer with the product's client."""

    def __init__(self, url: str, groups: list[Seeded]) -> None:
        self.conns = [Connection(url, g.facilitator.token, backoff=(0.2,)) for g in groups]
        self.synced = [False] * len(self.conns)
        for i, conn in enumerate(self.conns):
            conn.add_listener(lambda frame, i=i: self._seen(i, frame))
        self.tasks = [asyncio.create_task(conn.run()) for conn in self.conns]

    def _seen(self, i: int, frame: dict) -> None:
        if frame["kind"] == "synced":
            self.synced[i] = True

    async def close(self) -> None:
        for conn in self.conns:
            await conn.close()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def run(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="rebalance-"))
    with fresh_schema() as url:
        groups = seeded_pg(url, args.groups)
        keep = args.release_idle == 0  # the baseline: nodes that keep their groups (as before --release-idle)
        extra = (*LIMITS, "--trusted-proxy", "127.0.0.1", "--release-idle", str(1e9 if keep else args.release_idle))
        async with Fleet(url, args.nodes, work, extra=extra) as fleet:
            haproxy, host, port = start_haproxy(work, [(node.name, node.port) for node in fleet.nodes])
            members_url = f"ws://{host}:{port}/"
            try:
                first = Session(members_url, groups)
                took = await wait(lambda: all(first.synced), "session 1's members")
                session1 = shares(fleet)
                print(f"session 1: {args.groups} groups synced in {took:.1f} s; groups per node {session1}", flush=True)

                victim = fleet.nodes[session1.index(max(session1))]
                victim.kill()
                took = await wait(
                    lambda: victim.name not in fleet.owners().values() and all(c.route not in (None, victim.name) for c in first.conns),
                    "the killed node's groups to move",
                )
                print(f"{victim.name} killed: its groups moved in {took:.1f} s; groups per node {shares(fleet)}", flush=True)
                await fleet.restart(victim)
                await asyncio.sleep(8)  # HAProxy's checks (every 2 s, three in a row) see it up again
                after_restart = shares(fleet)
                print(f"{victim.name} started again: groups per node {after_restart}", flush=True)

                await first.close()
                if keep:
                    await asyncio.sleep(5)
                    print(f"session 1 over: groups per node 5 s later {shares(fleet)} (the nodes keep them)", flush=True)
                else:
                    took = await wait(lambda: all(owner is None for owner in fleet.owners().values()), "every group released")
                    print(f"session 1 over: every group released {took:.1f} s after its last member left (--release-idle {args.release_idle:g})", flush=True)

                second = Session(members_url, groups)
                took = await wait(lambda: all(second.synced), "session 2's members")
                session2 = shares(fleet)
                owners = fleet.owners()
                routed = sum(conn.route == owners[g.group_id] for conn, g in zip(second.conns, groups, strict=True))
                print(f"session 2: synced in {took:.1f} s; groups per node {session2}; members on their group's owner {routed}/{args.groups}", flush=True)
                await second.close()
            finally:
                haproxy.terminate()
                haproxy.wait(10)
    share = session2[fleet.nodes.index(victim)] / args.groups
    spread = max(session2) / min(session2) if min(session2) else float("inf")
    print(
        f"rebalance groups={args.groups} nodes={args.nodes} session1={','.join(map(str, session1))} "
        f"after_restart={','.join(map(str, after_restart))} session2={','.join(map(str, session2))} "
        f"restarted_node_share={share:.2f} spread_ratio={spread:.2f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=60)
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument(
        "--release-idle", type=float, default=3.0,
        help="the nodes' serve --release-idle, in seconds; 0: the baseline, nodes that keep every group they own",
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
