"""Load the relay with G groups x M members chatting, and compare with a raw broadcast.

    python bench/relay_load.py --groups 50 --members 10 --period 1 --duration 10

Each member sends a chat every P seconds (random phase) for D seconds over a
real websocket. Every receiver measures delivery latency from the send time
written in the text, and checks each group's stream: events lost or repeated,
by seq and by (client id, message number). The relay (``python -m server
serve``) and the baseline (``bench/raw_broadcast.py``: websockets + msgpack,
no auth, no storage) each run as a separate process under the same load; their
CPU seconds (utime + stime from /proc/PID/stat, over the send window and the
drain) and peak RSS (VmHWM) are read from /proc.

The load clients run in worker processes (``--workers``), each one asyncio loop
with a minimal websocket client (so the load generator stays cheap on a small
machine). The last line is:

    relay_load groups=G members=M deliveries_per_s=N p50_ms=X p99_ms=Y cpu_ratio=R lost=L dup=D

With ``--store pg`` (issue 16) the relay runs twice under the same load, on
SQLite and then on PostgreSQL (``--pg-url``, default the machine's loopback
server; a fresh schema, dropped after), and the last line compares them:

    relay_load_pg groups=G members=M sqlite_deliveries_per_s=N pg_deliveries_per_s=N deliveries_ratio=R
        sqlite_p99_ms=X pg_p99_ms=Y p99_ratio=R lost=L dup=D
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import multiprocessing as mp
import os
import random
import re
import resource
import signal
import struct
import subprocess
import sys
import tempfile
import time
from array import array
from dataclasses import dataclass, field
from pathlib import Path

import msgpack

REPO = Path(__file__).resolve().parent.parent


def raise_nofile() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# -- a minimal websocket client (RFC 6455, unfragmented binary frames) ----------------


class WsClient(asyncio.Protocol):
    """Just enough of a websocket client to load a server cheaply."""

    def __init__(self, on_message) -> None:
        self.on_message = on_message
        self.buffer = bytearray()
        self.handshaken = asyncio.get_running_loop().create_future()
        self.closed = asyncio.get_running_loop().create_future()
        self.transport = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        buf = self.buffer
        buf += data
        if not self.handshaken.done():
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buf[:end])
            del buf[: end + 4]
            if not head.startswith(b"HTTP/1.1 101"):
                self.handshaken.set_exception(ConnectionError(head.split(b"\r\n", 1)[0].decode()))
                return
            self.handshaken.set_result(None)
        while len(buf) >= 2:
            b0, b1 = buf[0], buf[1]
            length = b1 & 0x7F
            offset = 2
            if length == 126:
                if len(buf) < 4:
                    return
                length = struct.unpack_from("!H", buf, 2)[0]
                offset = 4
            elif length == 127:
                if len(buf) < 10:
                    return
                length = struct.unpack_from("!Q", buf, 2)[0]
                offset = 10
            if len(buf) < offset + length:
                return
            payload = bytes(buf[offset : offset + length])
            del buf[: offset + length]
            opcode = b0 & 0x0F
            if opcode == 2:
                self.on_message(payload)
            elif opcode == 9:
                self._send(0xA, payload)
            elif opcode == 8:
                self._send(0x8, payload[:2])
                self.transport.close()

    def connection_lost(self, exc) -> None:
        if not self.handshaken.done():
            self.handshaken.set_exception(ConnectionError("connection lost during the handshake"))
        if not self.closed.done():
            self.closed.set_result(None)

    def _send(self, opcode: int, payload: bytes) -> None:
        # Masking with a zero key leaves the payload as is (the key is still sent).
        n = len(payload)
        if n < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        self.transport.write(header + b"\x00\x00\x00\x00" + payload)

    def send(self, payload: bytes) -> None:
        self._send(0x2, payload)


async def ws_connect(host: str, port: int, path: str, on_message) -> WsClient:
    loop = asyncio.get_running_loop()
    # Each worker connects from a loopback address of its own: the relay lets one
    # address have at most 64 connections waiting for their hello.
    local = (f"127.0.0.{2 + os.getpid() % 250}", 0) if host.startswith("127.") else None
    _, client = await loop.create_connection(lambda: WsClient(on_message), host, port, local_addr=local)
    key = base64.b64encode(os.urandom(16)).decode()
    client.transport.write(
        (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    await client.handshaken
    return client


# -- one load worker ------------------------------------------------------------------


@dataclass
class Member:
    group: int
    index: int  # client id, unique in the run
    token: str = ""
    client: WsClient | None = None
    synced: asyncio.Future | None = None
    sent: int = 0
    acked: set = field(default_factory=set)
    seqs: list = field(default_factory=list)
    keys: dict = field(default_factory=dict)  # (client id, n) -> times received


@dataclass
class WorkerResult:
    latencies: bytes
    deliveries: int
    sent: int
    lost: int
    dup: int
    errors: int


async def _worker(mode: str, host: str, port: int, groups: dict[int, list[tuple[int, str]]], period: float, duration: float, ready, go) -> WorkerResult:
    raise_nofile()
    latencies = array("d")
    errors = [0]
    members: list[Member] = []
    for gid, people in groups.items():
        for index, token in people:
            members.append(Member(gid, index, token))
    relay = mode == "relay"

    def handler(member: Member):
        unpack = msgpack.unpackb
        wall = time.time

        def on_message(payload: bytes) -> None:
            frame = unpack(payload, raw=False, strict_map_key=False)
            kind = frame.get("kind")
            if kind == "event":
                text = frame["data"].get("text", "")
                try:
                    sender, n, sent_at = text.split(":", 2)
                except ValueError:
                    return
                latencies.append(wall() - float(sent_at))
                member.seqs.append(frame["seq"])
                key = (int(sender), int(n))
                member.keys[key] = member.keys.get(key, 0) + 1
            elif kind == "ack":
                member.acked.add(frame["id"])
            elif kind == "synced":
                member.synced.set_result(None)
            elif kind == "error":
                errors[0] += 1
                if errors[0] <= 3:
                    print(f"error frame: {frame}", file=sys.stderr)

        return on_message

    for chunk in range(0, len(members), 50):
        batch = members[chunk : chunk + 50]
        for m in batch:
            m.synced = asyncio.get_running_loop().create_future()
        clients = await asyncio.gather(
            *(ws_connect(host, port, "/" if relay else f"/room/{m.group}", handler(m)) for m in batch)
        )
        for m, client in zip(batch, clients, strict=True):
            m.client = client
            if relay:
                client.send(msgpack.packb({"kind": "hello", "v": 2, "token": m.token, "resume_from": None, "client": "bench"}))
            else:
                m.synced.set_result(None)
        await asyncio.wait_for(asyncio.gather(*(m.synced for m in batch)), 60)
    ready.put(len(members))
    loop = asyncio.get_running_loop()
    start_at = await loop.run_in_executor(None, go.get)
    end_at = start_at + duration

    async def talk(m: Member) -> None:
        phase = random.random() * period
        n = 0
        while True:
            target = start_at + phase + n * period
            if target >= end_at:
                return
            await asyncio.sleep(max(0.0, target - time.time()))
            text = f"{m.index}:{n}:{time.time():.6f}"
            if relay:
                m.client.send(msgpack.packb({"kind": "chat.send", "id": f"c{n}", "data": {"text": text}}))
            else:
                m.client.send(msgpack.packb({"kind": "chat", "text": text}))
            n += 1
            m.sent = n

    await asyncio.gather(*(talk(m) for m in members))
    # Drain: wait until every receiver holds every message its group sent (or 10 s).
    by_group: dict[int, list[Member]] = {}
    for m in members:
        by_group.setdefault(m.group, []).append(m)
    expected = {gid: sum(m.sent for m in ms) for gid, ms in by_group.items()}
    deadline = time.time() + 10
    while time.time() < deadline:
        if all(len(m.keys) >= expected[m.group] for m in members) and (not relay or all(len(m.acked) >= m.sent for m in members)):
            break
        await asyncio.sleep(0.05)
    lost = dup = deliveries = sent = 0
    for ms in by_group.values():
        keys = {(m.index, n) for m in ms for n in range(m.sent)}
        for m in ms:
            deliveries += len(m.seqs)
            lost += len(keys - m.keys.keys())
            dup += sum(c - 1 for c in m.keys.values()) + (len(m.seqs) - len(set(m.seqs)))
            if m.seqs != sorted(m.seqs):
                dup += 1
            if m.seqs and m.seqs[-1] - m.seqs[0] + 1 != len(set(m.seqs)):
                lost += m.seqs[-1] - m.seqs[0] + 1 - len(set(m.seqs))
        sent += sum(m.sent for m in ms)
    for m in members:
        m.client.transport.close()
    return WorkerResult(latencies.tobytes(), deliveries, sent, lost, dup, errors[0])


def worker_main(mode, host, port, groups, period, duration, ready, go, results) -> None:
    results.put(asyncio.run(_worker(mode, host, port, groups, period, duration, ready, go)))


# -- servers and measurement -------------------------------------------------------------


def proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def proc_peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def start(cmd: list[str], pattern: str) -> tuple[subprocess.Popen, str, int]:
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline().strip()
    match = re.search(pattern + r" on ws://([\d.]+):(\d+)/", line)
    if not match:
        proc.kill()
        raise SystemExit(f"the server did not start: {line!r}")
    return proc, match.group(1), int(match.group(2))


@dataclass
class RunResult:
    deliveries_per_s: float
    p50_ms: float
    p99_ms: float
    cpu_s: float
    peak_rss_mb: float
    lost: int
    dup: int
    sent: int
    errors: int
    max_ms: float = float("nan")  # the worst delivery (issue 16, the tail)


def run(mode: str, proc: subprocess.Popen, host: str, port: int, groups: dict[int, list[tuple[int, str]]], args) -> RunResult:
    ctx = mp.get_context("fork")
    ready, results = ctx.Queue(), ctx.Queue()
    gos = []
    workers = []
    ids = sorted(groups)
    for w in range(args.workers):
        share = {gid: groups[gid] for gid in ids[w :: args.workers]}
        go = ctx.Queue()
        gos.append(go)
        p = ctx.Process(target=worker_main, args=(mode, host, port, share, args.period, args.duration, ready, go, results))
        p.start()
        workers.append(p)
    for _ in workers:
        ready.get(timeout=300)
    time.sleep(0.5)
    start_at = time.time() + 0.5
    for go in gos:
        go.put(start_at)
    time.sleep(max(0.0, start_at - time.time()))
    cpu0 = proc_cpu_seconds(proc.pid)
    out = [results.get(timeout=args.duration + 120) for _ in workers]
    cpu = proc_cpu_seconds(proc.pid) - cpu0
    rss = proc_peak_rss_mb(proc.pid)
    for p in workers:
        p.join(10)
    lat = array("d")
    for r in out:
        lat.frombytes(r.latencies)
    ordered = sorted(lat)

    def pct(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")

    deliveries = sum(r.deliveries for r in out)
    return RunResult(
        deliveries / args.duration, pct(0.50), pct(0.99), cpu, rss,
        sum(r.lost for r in out), sum(r.dup for r in out), sum(r.sent for r in out), sum(r.errors for r in out),
        max_ms=pct(1.0),
    )


def seed(data: Path | str, groups: int, members: int) -> dict[int, list[tuple[int, str]]]:
    from server.store import open_store

    store = open_store(data)
    out: dict[int, list[tuple[int, str]]] = {}
    index = 0  # add_member commits each member itself (it checks the name in its own transaction)
    for g in range(groups):
        gid = store.create_group(f"bench {g}")
        out[gid] = []
        for m in range(members):
            _, token = store.add_member(gid, f"member {m}", "participant")
            out[gid].append((index, token))
            index += 1
    store.close()
    return out


def report(name: str, r: RunResult) -> None:
    print(
        f"{name:6}: deliveries/s={r.deliveries_per_s:,.0f} p50={r.p50_ms:.1f} ms p99={r.p99_ms:.1f} ms "
        f"cpu={r.cpu_s:.2f} s peak_rss={r.peak_rss_mb:.0f} MB sent={r.sent} lost={r.lost} dup={r.dup} errors={r.errors}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Load the relay with G groups x M chatting members; compare with a raw broadcast.")
    parser.add_argument("--groups", type=int, default=50)
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--period", type=float, default=1.0, help="seconds between one member's chats")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of sending")
    parser.add_argument("--workers", type=int, default=2, help="load-generating processes")
    parser.add_argument("--skip-raw", action="store_true", help="measure the relay only (no cpu_ratio)")
    parser.add_argument("--store", choices=("sqlite", "pg"), default="sqlite", help="pg: the relay on SQLite, then on PostgreSQL, compared")
    parser.add_argument("--pg-url", default=os.environ.get("IOP_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--pg-options", default="", help="server settings for the relay's sessions, e.g. '-csynchronous_commit=off'")
    # -- the tail (issue 16): relay and raw in each of N repetitions --
    parser.add_argument("--repeat", type=int, default=0, help="N repetitions of relay then raw; report p99 and max of each (the tail)")
    parser.add_argument("--lag-log", type=Path, default=None, help="with --repeat: the relay's --lag-log file (appended per repetition)")
    parser.add_argument("--baseline-from", default=None, metavar="DIR", help="with --repeat: also run the relay of this checkout (an export of an older commit)")
    args = parser.parse_args()
    raise_nofile()
    if args.repeat:
        return tail_runs(args)
    if args.store == "pg":
        return compare_pg(args)
    with tempfile.TemporaryDirectory(prefix="relay-load-") as tmp:
        data = Path(tmp)
        groups = seed(data, args.groups, args.members)
        print(f"{args.groups} groups x {args.members} members, a chat every {args.period:g} s for {args.duration:g} s, {args.workers} load workers", flush=True)
        relay_proc, host, port = start([sys.executable, "-m", "server", "serve", "--port", "0", "--data", str(data), "--quiet"], "iop-server listening")
        try:
            relay = run("relay", relay_proc, host, port, groups, args)
        finally:
            relay_proc.send_signal(signal.SIGTERM)
            relay_proc.wait(30)
        report("relay", relay)
        ratio = float("nan")
        if not args.skip_raw:
            raw_proc, host, port = start([sys.executable, str(REPO / "bench" / "raw_broadcast.py"), "--port", "0"], "raw listening")
            try:
                raw = run("raw", raw_proc, host, port, groups, args)
            finally:
                raw_proc.send_signal(signal.SIGTERM)
                raw_proc.wait(30)
            report("raw", raw)
            ratio = relay.cpu_s / raw.cpu_s if raw.cpu_s else float("inf")
    print(
        f"relay_load groups={args.groups} members={args.members} deliveries_per_s={relay.deliveries_per_s:.0f} "
        f"p50_ms={relay.p50_ms:.1f} p99_ms={relay.p99_ms:.1f} cpu_ratio={ratio:.2f} lost={relay.lost} dup={relay.dup}",
        flush=True,
    )


# -- the store seam (issue 16): SQLite vs PostgreSQL on one node, in the same run --


def relay_run(store_ref: str, groups: dict[int, list[tuple[int, str]]], args) -> RunResult:
    proc, host, port = start([sys.executable, "-m", "server", "serve", "--port", "0", "--store", store_ref, "--quiet"], "iop-server listening")
    try:
        return run("relay", proc, host, port, groups, args)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


def compare_pg(args) -> None:
    import secrets
    from urllib.parse import quote

    import psycopg

    schema = f"bench_{secrets.token_hex(4)}"
    url = f"{args.pg_url}{'&' if '?' in args.pg_url else '?'}options={quote(f'-csearch_path={schema} {args.pg_options}'.strip())}"
    print(f"{args.groups} groups x {args.members} members, a chat every {args.period:g} s for {args.duration:g} s, "
          f"{args.workers} load workers; SQLite, then PostgreSQL {args.pg_options}".rstrip(), flush=True)
    with tempfile.TemporaryDirectory(prefix="relay-load-") as tmp, psycopg.connect(args.pg_url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}".encode())
        try:
            lite = relay_run(tmp, seed(Path(tmp), args.groups, args.members), args)
            report("sqlite", lite)
            pg = relay_run(url, seed(url, args.groups, args.members), args)
            report("pg", pg)
        finally:
            admin.execute(f"DROP SCHEMA {schema} CASCADE".encode())
    print(
        f"relay_load_pg groups={args.groups} members={args.members} sqlite_deliveries_per_s={lite.deliveries_per_s:.0f} "
        f"pg_deliveries_per_s={pg.deliveries_per_s:.0f} deliveries_ratio={pg.deliveries_per_s / lite.deliveries_per_s:.2f} "
        f"sqlite_p99_ms={lite.p99_ms:.1f} pg_p99_ms={pg.p99_ms:.1f} p99_ratio={pg.p99_ms / lite.p99_ms:.2f} "
        f"sqlite_cpu_s={lite.cpu_s:.2f} pg_cpu_s={pg.cpu_s:.2f} lost={lite.lost + pg.lost} dup={lite.dup + pg.dup}",
        flush=True,
    )


# -- the tail (issue 16): p99 and max of the relay against the raw broadcast, N repetitions --


def tail_start(args, data: Path, relay_from: Path) -> tuple[subprocess.Popen, str, int]:
    """A relay from the checkout ``relay_from`` (this one, or --baseline-from) on ``data``."""
    extra = ["--lag-log", str(args.lag_log)] if args.lag_log is not None and relay_from == REPO else []
    cmd = [sys.executable, "-m", "server", "serve", "--port", "0", "--data", str(data), "--quiet", *extra]
    env = dict(os.environ, PYTHONPATH=str(relay_from), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(cmd, cwd=relay_from, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline().strip()
    match = re.search(r"iop-server listening on ws://([\d.]+):(\d+)/", line)
    if not match:
        proc.kill()
        raise SystemExit(f"the relay did not start: {line!r}")
    return proc, match.group(1), int(match.group(2))


def tail_run(args, template: Path, relay_from: Path, groups: dict[int, list[tuple[int, str]]]) -> RunResult:
    """One relay run on a fresh copy of the seeded data (a repetition's command ids are new to it)."""
    import shutil

    with tempfile.TemporaryDirectory(prefix="relay-tail-run-") as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(template, data)
        proc, host, port = tail_start(args, data, relay_from)
        try:
            return run("relay", proc, host, port, groups, args)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)


def tail_runs(args) -> None:
    """Each repetition runs the relay (and, with --baseline-from, the relay of another checkout),
    then the raw broadcast, under the same load; the last line gives the p99 ratios to the raw
    broadcast of the same repetition and the worst max over all of them."""
    names = ["relay"] + (["before"] if args.baseline_from else [])
    p99: dict[str, list[float]] = {n: [] for n in [*names, "raw"]}
    worst: dict[str, list[float]] = {n: [] for n in [*names, "raw"]}
    ratios: dict[str, list[float]] = {n: [] for n in names}
    lost = dup = 0
    loads: list[float] = []
    print(f"{args.groups} groups x {args.members} members, a chat every {args.period:g} s for {args.duration:g} s, "
          f"{args.workers} load workers, {args.repeat} repetitions; load average {os.getloadavg()[0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="relay-tail-") as tmp:
        template = Path(tmp) / "seeded"
        groups = seed(template, args.groups, args.members)
        for rep in range(args.repeat):
            results: dict[str, RunResult] = {"relay": tail_run(args, template, REPO, groups)}
            if args.baseline_from:
                results["before"] = tail_run(args, template, Path(args.baseline_from).resolve(), groups)
            raw_proc, host, port = start([sys.executable, str(REPO / "bench" / "raw_broadcast.py"), "--port", "0"], "raw listening")
            try:
                results["raw"] = run("raw", raw_proc, host, port, groups, args)
            finally:
                raw_proc.send_signal(signal.SIGTERM)
                raw_proc.wait(30)
            load = os.getloadavg()[0]
            loads.append(load)
            raw = results["raw"]
            parts = []
            for name, r in results.items():
                p99[name].append(r.p99_ms)
                worst[name].append(r.max_ms)
                text = f"{name} p50={r.p50_ms:.1f} p99={r.p99_ms:.1f} max={r.max_ms:.1f} ms cpu={r.cpu_s:.2f} s"
                if name != "raw":
                    ratio = r.p99_ms / raw.p99_ms if raw.p99_ms else float("inf")
                    ratios[name].append(ratio)
                    text += f" p99/raw={ratio:.2f} lost={r.lost} dup={r.dup} errors={r.errors}"
                    lost += r.lost
                    dup += r.dup
                parts.append(text)
            print(f"rep {rep + 1}: " + " | ".join(parts) + f" | load={load:.2f}", flush=True)

    def span(xs: list[float]) -> str:
        return f"{min(xs):.1f}-{max(xs):.1f}"

    line = f"relay_tail groups={args.groups} members={args.members} reps={args.repeat}"
    for name in names:
        line += f" {name}_p99_ms={span(p99[name])} {name}_p99_ratio={min(ratios[name]):.2f}-{max(ratios[name]):.2f} {name}_max_ms={span(worst[name])}"
    line += f" raw_p99_ms={span(p99['raw'])} raw_max_ms={span(worst['raw'])} lost={lost} dup={dup} load={min(loads):.2f}-{max(loads):.2f}"
    print(line, flush=True)

if __name__ == "__main__":
    main()
