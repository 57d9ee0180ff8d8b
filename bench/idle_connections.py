"""How many idle, authenticated members one relay process holds, and what each costs.

    python bench/idle_connections.py [--connections 20000] [--group-size 20] [--workers 4]

Seeds ``connections / group-size`` groups, starts ``python -m server serve``,
then connects members from ``--workers`` client processes (each bound to its
own loopback source address 127.0.0.N, so ephemeral ports never run out).
Every connection sends ``hello`` and waits for ``synced``: an authenticated
member in its room, receiving presence. Then everything stays idle.

Memory per connection is the relay's RSS delta divided by connections, in two
ways: ``total`` from the empty relay, and ``marginal`` after one member per
group is in (so each group's room is loaded and not counted per member).
Soft open-file limits are raised to the hard limit in every process; the hard
limit (``ulimit -Hn``) caps what one process can hold, and is printed.
Last line: ``idle_connections held=N kib_per_conn=K limit=L``.
"""

from __future__ import annotations

import argparse

from protocol.messages import PROTOCOL_VERSION
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def raise_nofile() -> int:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError):
        pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def relay_sockets(pid: int) -> int:
    """Sockets the relay process itself holds open (its fds that are sockets)."""
    count = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:"):
                count += 1
        except OSError:
            pass
    return count


# -- worker: one client process holding many connections ----------------------------


async def worker(url: str, tokens: list[str], local_ip: str, parallel: int) -> None:
    import msgpack
    from websockets.asyncio.client import connect

    raise_nofile()
    held: list = []
    failed = 0
    errors: dict[str, int] = {}
    sem = asyncio.Semaphore(parallel)
    drains: list[asyncio.Task] = []

    async def drain(ws) -> None:
        try:
            async for _ in ws:
                pass
        except Exception:
            pass

    async def one(token: str) -> None:
        nonlocal failed
        async with sem:
            try:
                ws = await connect(url, compression=None, max_size=None, ping_interval=None, open_timeout=30, local_addr=(local_ip, 0))
                await ws.send(msgpack.packb({"kind": "hello", "v": PROTOCOL_VERSION, "token": token, "resume_from": None, "client": "idle"}, use_bin_type=True))
                while True:
                    frame = msgpack.unpackb(await asyncio.wait_for(ws.recv(), 30), raw=False, strict_map_key=False)
                    if frame.get("kind") == "synced":
                        break
                    if frame.get("kind") == "error":
                        raise RuntimeError(frame.get("code"))
                held.append(ws)
                # Keep reading (presence frames, pings): websockets stops reading a
                # socket whose messages nobody consumes, and the relay rightly
                # closes a member that stops reading.
                drains.append(asyncio.create_task(drain(ws)))
            except Exception as exc:  # count and go on: the point is how many hold
                failed += 1
                key = type(exc).__name__ + (f": {exc}"[:60] if str(exc) else "")
                errors[key] = errors.get(key, 0) + 1

    await asyncio.gather(*(one(t) for t in tokens))
    alive = sum(1 for ws in held if ws.close_code is None)
    print(json.dumps({"held": alive, "failed": failed, "errors": errors}), flush=True)
    # Stay idle until the parent closes stdin; keep reading so pings are answered.
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    print(json.dumps({"held_at_end": sum(1 for ws in held if ws.close_code is None)}), flush=True)


# -- parent ----------------------------------------------------------------------------


def seed(data: Path, connections: int, group_size: int) -> list[list[str]]:
    from server.store import Store

    store = Store(data)
    groups: list[list[str]] = []
    try:
        for g in range((connections + group_size - 1) // group_size):
            gid = store.create_group(f"Idle {g}")
            tokens = []
            for m in range(min(group_size, connections - g * group_size)):
                role = "facilitator" if m == 0 else "participant"
                tokens.append(store.add_member(gid, f"m{m}", role)[1])
            groups.append(tokens)
    finally:
        store.close()
    return groups


def spawn(url: str, tokens: list[str], index: int, parallel: int, tmp: Path) -> subprocess.Popen:
    path = tmp / f"tokens-{index}.json"
    path.write_text(json.dumps(tokens))
    return subprocess.Popen(
        [sys.executable, __file__, "--worker", str(path), "--url", url, "--local-ip", f"127.0.0.{2 + index}", "--parallel", str(parallel)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )


def wait_ready(procs: list[subprocess.Popen]) -> tuple[int, int, dict]:
    held = failed = 0
    errors: dict[str, int] = {}
    for p in procs:
        line = p.stdout.readline()
        if not line:
            failed += 1
            continue
        report = json.loads(line)
        held += report["held"]
        failed += report["failed"]
        for k, v in report["errors"].items():
            errors[k] = errors.get(k, 0) + v
    return held, failed, errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=20_000)
    parser.add_argument("--group-size", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--parallel", type=int, default=60, help="connection attempts in flight per worker (the relay lets one address have 64 waiting for their hello)")
    parser.add_argument("--idle", type=float, default=25.0, help="seconds to stay idle (past one ping interval) before counting again")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--local-ip", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        asyncio.run(worker(args.url, json.loads(Path(args.worker).read_text()), args.local_ip, args.parallel))
        return 0

    from tests.support.procs import start_server_process

    limit = raise_nofile()
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    print(f"open-files limit: soft {limit}, hard {hard} (ulimit -Hn); fs.nr_open {Path('/proc/sys/fs/nr_open').read_text().strip()}")
    with tempfile.TemporaryDirectory(prefix="iop-idle-") as tmp_name:
        tmp = Path(tmp_name)
        t0 = time.monotonic()
        groups = seed(tmp / "data", args.connections, args.group_size)
        print(f"seeded {len(groups)} groups, {sum(map(len, groups))} members in {time.monotonic() - t0:.1f} s")
        with start_server_process(tmp / "data", 0, "--quiet") as server:
            pid = server.pid
            time.sleep(0.5)
            rss_empty = rss_kib(pid)
            base_sockets = relay_sockets(pid)  # listening socket, the loop's self-pipe
            # Phase 1: one member per group, so every room is loaded.
            first = [g[0] for g in groups]
            rest = [t for g in groups for t in g[1:]]
            t0 = time.monotonic()
            warm = [spawn(server.url, first, 0, args.parallel, tmp)]
            held1, failed1, errors1 = wait_ready(warm)
            rss_warm = rss_kib(pid)
            print(f"phase 1: {held1} members (one per group) in {time.monotonic() - t0:.1f} s; relay RSS {rss_empty / 1024:.1f} -> {rss_warm / 1024:.1f} MiB")
            t0 = time.monotonic()
            shares = [rest[i:: args.workers] for i in range(args.workers)]
            procs = [spawn(server.url, share, i + 1, args.parallel, tmp) for i, share in enumerate(shares)]
            held2, failed2, errors2 = wait_ready(procs)
            took = time.monotonic() - t0
            rss_full = rss_kib(pid)
            fds = open_fds(pid)
            print(f"phase 2: {held2} more in {took:.1f} s ({held2 / max(took, 1e-9):.0f}/s), {failed1 + failed2} failed {dict(errors1, **errors2)}")
            print(f"relay: {fds} open fds, RSS {rss_full / 1024:.1f} MiB; idling {args.idle:g} s (past a ping interval)...")
            time.sleep(args.idle)
            rss_idle = rss_kib(pid)
            sockets = relay_sockets(pid) - base_sockets
            alive = server.proc.poll() is None
            for p in warm + procs:
                p.stdin.close()
            held_end = 0
            for p in warm + procs:
                line = p.stdout.readline()
                held_end += json.loads(line)["held_at_end"] if line else 0
                p.wait(30)
        # What counts is what the relay holds: its own member sockets, not the clients' view.
        held = min(held_end, sockets)
        total = (rss_idle - rss_empty) / max(held, 1)
        marginal = (rss_idle - rss_warm) / max(held - held1, 1)
        print(f"after idling: RSS {rss_idle / 1024:.1f} MiB; clients think {held_end} are open, the relay holds {sockets} member sockets; relay alive {alive}")
        print(f"KiB per connection: total {total:.1f} (from the empty relay), marginal {marginal:.1f} (rooms loaded)")
        print(f"idle_connections held={held} kib_per_conn={total:.1f} limit={hard}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
