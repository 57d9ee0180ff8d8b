"""Another member's join while one token holds many connections that never read.

    python bench/join_flood.py --lines 4000 --sockets 100

Runs the relay (``python -m server serve``) as its own process over a group
whose session holds --lines chat lines of 1,000 characters. Then:

1. Alex joins alone (no resume point, so the whole log is replayed): the time
   from connecting to ``synced``.
2. Sam's token opens --sockets connections that send ``hello`` and never read
   (each asks for the whole log); then Alex joins again, timed the same way.
3. The guest's token opens --sockets connections that never read.

After each step it prints the relay's resident memory (VmRSS) and what the
kernel holds in TCP buffers (machine-wide, so run it on a quiet machine). The
last line is:

    join_flood alone_ms=N crowded_ms=N rss_after_members_mb=N rss_after_guests_mb=N tcp_after_guests_mb=N

To compare with an older relay, export it (``git archive COMMIT | tar -x -C
/tmp/old``) and pass ``--relay-from /tmp/old``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import msgpack

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from websockets.asyncio.client import connect  # noqa: E402

from protocol.messages import PROTOCOL_VERSION  # noqa: E402


def seed(data: Path) -> dict[str, str]:
    from server.store import Store

    store = Store(data)
    gid = store.create_group("crowded")
    tokens = {name: store.add_member(gid, name, role)[1] for name, role in (("Dana", "facilitator"), ("Sam", "participant"), ("Alex", "participant"), ("Jo", "guest"))}
    store.close()
    return tokens


def start_relay(data: Path, source: Path, *extra: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "server", "serve", "--port", "0", "--data", str(data), "--quiet", *extra],
        cwd=source, env={**os.environ, "PYTHONPATH": str(source)}, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    line = proc.stdout.readline().strip()
    if not line.startswith("iop-server listening on "):
        proc.kill()
        raise SystemExit(f"the relay did not start: {line!r}")
    return proc, line.rsplit(" ", 1)[1]


def tcp_mem_mb() -> float:
    """Memory the kernel holds in TCP buffers, machine-wide (/proc/net/sockstat, pages)."""
    for line in Path("/proc/net/sockstat").read_text().splitlines():
        if line.startswith("TCP:"):
            fields = line.split()
            return int(fields[fields.index("mem") + 1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    return float("nan")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def hello(token: str, resume_from: int | None = None) -> bytes:
    return msgpack.packb({"kind": "hello", "v": PROTOCOL_VERSION, "token": token, "resume_from": resume_from, "client": "bench"})


async def until_synced(ws) -> None:
    async for message in ws:
        if msgpack.unpackb(message, raw=False, strict_map_key=False).get("kind") == "synced":
            return
    raise ConnectionError("closed before synced")


async def fill(url: str, token: str, lines: int) -> None:
    async with connect(url, compression=None, max_size=None) as ws:
        await ws.send(hello(token))
        await until_synced(ws)
        await ws.send(msgpack.packb({"kind": "session.start", "id": "start", "data": {"title": "Crowded"}}))
        text = "x" * 1000
        for i in range(lines):
            await ws.send(msgpack.packb({"kind": "chat.send", "id": f"l{i}", "data": {"text": f"{i} {text}"}}))
        async for message in ws:
            frame = msgpack.unpackb(message, raw=False, strict_map_key=False)
            if frame.get("kind") in ("ack", "error") and frame.get("id") == f"l{lines - 1}":
                return


async def timed_join(url: str, token: str) -> float:
    t0 = time.perf_counter()
    async with connect(url, compression=None, max_size=None, open_timeout=60) as ws:
        await ws.send(hello(token))
        await asyncio.wait_for(until_synced(ws), 120)
    return (time.perf_counter() - t0) * 1000


async def silent(url: str, token: str, count: int) -> list:
    """``count`` connections that say hello and never read again."""
    out = []
    for _ in range(count):
        sock = socket.socket()
        host, port = url.split("//", 1)[1].rstrip("/").rsplit(":", 1)
        sock.connect((host, int(port)))
        sock.setblocking(False)
        try:
            ws = await connect(url, sock=sock, compression=None, max_size=None, open_timeout=30)
        except Exception:
            sock.close()
            continue
        ws.transport.pause_reading()
        await ws.send(hello(token))
        out.append(ws)
    return out


async def run(args, url: str, tokens: dict[str, str], pid: int) -> None:
    await fill(url, tokens["Dana"], args.lines)
    await asyncio.sleep(0.5)
    tcp0 = tcp_mem_mb()
    print(f"relay after the log: rss={rss_mb(pid):.0f} MB; kernel TCP buffers {tcp0:.0f} MB", flush=True)
    alone = min([await timed_join(url, tokens["Alex"]) for _ in range(3)])
    print(f"Alex joins alone: {alone:.0f} ms", flush=True)
    sams = await silent(url, tokens["Sam"], args.sockets)
    await asyncio.sleep(1.0)
    crowded = await timed_join(url, tokens["Alex"])
    rss_members, tcp_members = rss_mb(pid), tcp_mem_mb() - tcp0
    print(f"{len(sams)} silent connections of Sam's token kept: Alex joins in {crowded:.0f} ms; relay rss={rss_members:.0f} MB; kernel TCP buffers +{tcp_members:.0f} MB", flush=True)
    jos = await silent(url, tokens["Jo"], args.sockets)
    await asyncio.sleep(2.0)
    rss_guests, tcp_guests = rss_mb(pid), tcp_mem_mb() - tcp0
    print(f"{len(jos)} silent guest connections kept: relay rss={rss_guests:.0f} MB; kernel TCP buffers +{tcp_guests:.0f} MB", flush=True)
    for ws in sams + jos:
        ws.transport.abort()
    print(
        f"join_flood alone_ms={alone:.0f} crowded_ms={crowded:.0f} rss_after_members_mb={rss_members:.0f} "
        f"rss_after_guests_mb={rss_guests:.0f} tcp_after_guests_mb={tcp_guests:.0f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Another member's join while one token holds many silent connections.")
    parser.add_argument("--lines", type=int, default=4000, help="chat lines of 1,000 characters in the session")
    parser.add_argument("--sockets", type=int, default=100, help="silent connections per token")
    parser.add_argument("--relay-from", type=Path, default=REPO, help="run the relay from this checkout")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="join-flood-") as tmp:
        data = Path(tmp)
        tokens = seed(data)
        relay, url = start_relay(data, args.relay_from.resolve(), "--rate", "100000", "--burst", "100000")
        try:
            asyncio.run(run(args, url, tokens, relay.pid))
        finally:
            relay.send_signal(signal.SIGTERM)
            relay.wait(30)


if __name__ == "__main__":
    main()
