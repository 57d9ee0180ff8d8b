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

With ``--repeat N`` (issue 16, the tail) each repetition runs the relay, then (with
``--baseline-from DIR``, an older checkout, e.g. ``git archive a9b919a | tar -x -C DIR``)
DIR's relay on data DIR's own store seeded (:func:`seed_with`), then the raw broadcast.

With ``--store pg`` (issue 16) the relay runs twice under the same load, on
SQLite and then on PostgreSQL (``--pg-url``, default the machine's loopback
server; a fresh schema, dropped after), and the last line compares them:

    relay_load_pg groups=G members=M sqlite_deliveries_per_s=N pg_deliveries_per_s=N deliveries_ratio=R
        sqlite_p99_ms=X pg_p99_ms=Y p99_ratio=R lost=L dup=D

With ``--store pg --repeat N``, N such pairs on fresh stores; the last line gives each
figure's range over the pairs and the median p99 ratio (``p99_ratio_median``).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing as mp
import os
import random
import re
import resource
import statistics
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


async def ws_connect(host: str, port: int, path: str, on_message, cookie: str | None = None) -> WsClient:
    loop = asyncio.get_running_loop()
    # Each worker connects from a loopback address of its own: the relay lets one
    # address have at most 64 connections waiting for their hello.
    local = (f"127.0.0.{2 + os.getpid() % 250}", 0) if host.startswith("127.") else None
    _, client = await loop.create_connection(lambda: WsClient(on_message), host, port, local_addr=local)
    key = base64.b64encode(os.urandom(16)).decode()
    client.transport.write(
        (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n" + (f"Cookie: {cookie}\r\n" if cookie is not None else "") + "\r\n"
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
    seqs: list = field(default_factory=list)  # every event seq, in arrival order
    keys: dict = field(default_factory=dict)  # (client id, n) -> times received
    last_seq: int | None = None  # the last new seq: where a reconnecting member resumes
    outbox: dict = field(default_factory=dict)  # cid -> frame bytes, until acked (members that resend)
    route: str | None = None  # the group's owner as the last welcome or route frame named it (protocol/route.py)
    rerouted: bool = False  # the connection's answer was a route frame: go round to the owner
    welcomed: float = 0.0  # when the last welcome came (monotonic): a reconnect's drop to welcome


@dataclass
class WorkerResult:
    latencies: bytes
    deliveries: int
    sent: int
    lost: int
    dup: int
    errors: int


def read_chat(m: Member, frame: dict, latencies: array) -> None:
    """The one reader of a chat the load sent (``sender:n:sent_at``): its latency, and how
    many times ``m`` received (sender, n). An event of another kind counts nothing here."""
    text = frame["data"].get("text", "") if frame.get("type", "chat.posted") == "chat.posted" else ""
    try:
        sender, n, sent_at = text.split(":", 2)
    except ValueError:
        return
    latencies.append(time.time() - float(sent_at))
    key = (int(sender), int(n))
    m.keys[key] = m.keys.get(key, 0) + 1


def reader(m: Member, latencies: array, counts: dict[str, int], retry=None):
    """The one reader of a load member's frames: events (seqs, and each chat's latency once;
    a seq already held, replayed again, counted as a duplicate by :func:`tally`), acks,
    welcomes (a reset after holding events counted), synced, errors. ``retry(cid)``: a
    command the relay could not take now (internal, rate limited) is sent again."""
    unpack = msgpack.unpackb

    def on_message(payload: bytes) -> None:
        frame = unpack(payload, raw=False, strict_map_key=False)
        kind = frame.get("kind")
        if kind == "event":
            seq = frame["seq"]
            m.seqs.append(seq)
            if m.last_seq is not None and seq <= m.last_seq:
                return
            m.last_seq = seq
            read_chat(m, frame, latencies)
        elif kind == "ack":
            m.acked.add(frame["id"])
            m.outbox.pop(frame["id"], None)
        elif kind == "welcome":
            m.welcomed = time.monotonic()
            m.route = frame.get("route")
            if frame.get("mode") == "reset" and m.last_seq is not None:
                counts["resets"] += 1
        elif kind == "synced":
            if m.synced is not None and not m.synced.done():
                m.synced.set_result(None)
        elif kind == "route":
            m.route, m.rerouted = frame.get("route"), True
        elif kind == "error":
            if retry is not None and frame.get("code") in ("internal", "rate_limited") and frame.get("id") in m.outbox:
                retry(frame["id"])
                return
            counts["errors"] += 1
            if counts["errors"] <= 3:
                print(f"error frame: {frame}", file=sys.stderr)

    return on_message


async def talk(m: Member, start_at: float, period: float, duration: float, send) -> None:
    """Send ``m``'s chats every ``period`` s (a random phase) until ``duration`` ends: ``send(m, n, text)``."""
    phase = random.random() * period
    end_at = start_at + duration
    n = 0
    while True:
        target = start_at + phase + n * period
        if target >= end_at:
            return
        await asyncio.sleep(max(0.0, target - time.time()))
        send(m, n, f"{m.index}:{n}:{time.time():.6f}")
        n += 1
        m.sent = n


def expected_per_group(members: list) -> dict[int, int]:
    """How many chats each group's members sent: what each of its receivers should hold."""
    expected: dict[int, int] = {}
    for m in members:
        expected[m.group] = expected.get(m.group, 0) + m.sent
    return expected


def tally(members: list, *, resumed: bool) -> tuple[int, int, int, int]:
    """(lost, dup, deliveries, sent) over ``members``, each group's stream checked whole: every
    (sender, n) its group sent received once, seqs gap-free and never twice. ``resumed``
    (members that reconnect and resume): a seq replayed in order is not out of order, and
    deliveries are the distinct chats received."""
    by_group: dict[int, list] = {}
    for m in members:
        by_group.setdefault(m.group, []).append(m)
    lost = dup = deliveries = sent = 0
    for ms in by_group.values():
        keys = {(m.index, n) for m in ms for n in range(m.sent)}
        for m in ms:
            deliveries += len(m.keys) if resumed else len(m.seqs)
            lost += len(keys - m.keys.keys())
            dup += sum(c - 1 for c in m.keys.values()) + (len(m.seqs) - len(set(m.seqs)))
            if not resumed and m.seqs != sorted(m.seqs):
                dup += 1
            distinct = sorted(set(m.seqs))
            if distinct and distinct[-1] - distinct[0] + 1 != len(distinct):
                lost += distinct[-1] - distinct[0] + 1 - len(distinct)
        sent += sum(m.sent for m in ms)
    return lost, dup, deliveries, sent


async def _worker(mode: str, host: str, port: int, groups: dict[int, list[tuple[int, str]]], period: float, duration: float, ready, go) -> WorkerResult:
    raise_nofile()
    latencies = array("d")
    members: list[Member] = []
    for gid, people in groups.items():
        for index, token in people:
            members.append(Member(gid, index, token))
    relay = mode == "relay"

    counts = {"errors": 0, "resets": 0}

    def handler(member: Member):
        return reader(member, latencies, counts)

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

    def send(m: Member, n: int, text: str) -> None:
        if relay:
            m.client.send(msgpack.packb({"kind": "chat.send", "id": f"c{n}", "data": {"text": text}}))
        else:
            m.client.send(msgpack.packb({"kind": "chat", "text": text}))

    await asyncio.gather(*(talk(m, start_at, period, duration, send) for m in members))
    # Drain: wait until every receiver holds every message its group sent (or 10 s).
    expected = expected_per_group(members)
    deadline = time.time() + 10
    while time.time() < deadline:
        if all(len(m.keys) >= expected[m.group] for m in members) and (not relay or all(len(m.acked) >= m.sent for m in members)):
            break
        await asyncio.sleep(0.05)
    lost, dup, deliveries, sent = tally(members, resumed=False)
    for m in members:
        m.client.transport.close()
    return WorkerResult(latencies.tobytes(), deliveries, sent, lost, dup, counts["errors"])


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


def start_workers(target, first: tuple, groups: dict[int, list[tuple[int, str]]], args, *, ready_timeout: float) -> tuple[list, object, float]:
    """Fork ``args.workers`` load processes, each ``target(*first, its groups, period, duration,
    ready, go, results)`` on a share of the groups; once all are connected, tell them all the
    same start time a second ahead and return (the processes, their results queue, that time)."""
    ctx = mp.get_context("fork")
    ready, results = ctx.Queue(), ctx.Queue()
    gos, workers = [], []
    ids = sorted(groups)
    for w in range(args.workers):
        share = {gid: groups[gid] for gid in ids[w :: args.workers]}
        go = ctx.Queue()
        gos.append(go)
        p = ctx.Process(target=target, args=(*first, share, args.period, args.duration, ready, go, results))
        p.start()
        workers.append(p)
    for _ in workers:
        ready.get(timeout=ready_timeout)
    time.sleep(0.5)
    start_at = time.time() + 0.5
    for go in gos:
        go.put(start_at)
    time.sleep(max(0.0, start_at - time.time()))
    return workers, results, start_at


def run(mode: str, proc: subprocess.Popen, host: str, port: int, groups: dict[int, list[tuple[int, str]]], args) -> RunResult:
    workers, results, _start_at = start_workers(worker_main, (mode, host, port), groups, args, ready_timeout=300)
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


def run_then_stop(mode: str, started: tuple[subprocess.Popen, str, int], groups: dict[int, list[tuple[int, str]]], args) -> RunResult:
    """:func:`run` the load against a server just ``started`` (process, host, port), then SIGTERM it."""
    proc, host, port = started
    try:
        return run(mode, proc, host, port, groups, args)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


RAW = [sys.executable, str(REPO / "bench" / "raw_broadcast.py"), "--port", "0"]


#: ``--history``: what each earlier line of a group's log says (a chat line of an earlier session).
HISTORY_LINE = "Last week I noticed the thought before it ran away with me, and wrote it down instead."


def seed(data: Path | str, groups: int, members: int, history: int = 0, snapshots: bool = False) -> dict[int, list[tuple[int, str]]]:
    """``groups`` groups of ``members`` participants each; with ``history``, each group's log
    already holds that many chat lines (the earlier sessions a node folds when it loads the group);
    with ``snapshots`` too, the snapshot of that history a relay writes when it puts the room away
    after those sessions (server/snapshot.py), so a load restores it instead of folding the lines."""
    from protocol.events import Event
    from protocol.roles import EVERYONE
    from protocol.state import GroupState
    from server.room import add_invited
    from server.snapshot import FOLD_VERSION, dump
    from server.store import open_store

    store = open_store(data)
    out: dict[int, list[tuple[int, str]]] = {}
    index = 0  # add_member commits each member itself (it checks the name in its own transaction)
    for g in range(groups):
        gid = store.create_group(f"bench {g}")
        out[gid] = []
        ids = []
        for m in range(members):
            member_id, token = store.add_member(gid, f"member {m}", "participant")
            ids.append(member_id)
            out[gid].append((index, token))
            index += 1
        ts = time.time() - 86400
        for first in range(1, history + 1, 1000):
            store.commit(
                [
                    (gid, Event(seq, "chat.posted", ts, ids[seq % members], f"member {seq % members}", EVERYONE, None,
                                {"member_id": ids[seq % members], "text": f"{seq} {HISTORY_LINE}", "to": "group"}))
                    for seq in range(first, min(history, first + 999) + 1)
                ],
                [],
            )
        if history and snapshots:
            state = GroupState()
            add_invited(state, store.members(gid))
            for event in store.iter_events(gid):
                state.apply(event)
            assert store.save_snapshot(gid, history, FOLD_VERSION, dump(state, gid))
    store.close()
    return out


def seed_with(checkout: Path, data: Path, groups: int, members: int) -> dict[int, list[tuple[int, str]]]:
    """Seed ``data`` with the relay of ``checkout`` (its own store and migrations: a relay from
    before a migration refuses a database a newer one wrote), in one process of that checkout;
    the groups and tokens it made, as :func:`seed` returns them.

    Not its CLI, one member at a time: ``python -m server invite`` costs 0.4 s a member here,
    200 s for 50 x 10; one process calling the checkout's own store costs about a second."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--seed-into", str(data), "--groups", str(groups), "--members", str(members)]
    env = dict(os.environ, PYTHONPATH=str(checkout), PYTHONUNBUFFERED="1")
    done = subprocess.run(cmd, cwd=checkout, env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise SystemExit(f"relay_load: the relay of {checkout} could not seed its data ({last}); is it a checkout of iop-tui?")
    return {int(gid): [(int(i), str(t)) for i, t in people] for gid, people in json.loads(done.stdout).items()}


def check_checkout(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse, in one sentence, a --baseline-from that cannot run, before anything starts."""
    if args.baseline_from is None:
        return
    if not args.repeat:
        parser.error("--baseline-from needs --repeat N: the baseline runs in each repetition, beside this relay.")
    if args.store == "pg":
        parser.error("--baseline-from runs an older relay beside this one on SQLite; with --store pg, run each checkout's bench in turn.")
    if not (Path(args.baseline_from) / "server" / "__main__.py").is_file():
        parser.error(f"--baseline-from {args.baseline_from}: no relay there (no server/__main__.py); give a checkout, e.g. git archive COMMIT | tar -x -C DIR.")


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
    parser.add_argument(
        "--history", type=int, default=0, metavar="N",
        help="with --nodes: each group's log already holds N chat lines (what a node folds when it claims the group)",
    )
    parser.add_argument(
        "--history-snapshots", action="store_true",
        help="with --history: each group also has the snapshot of that history a relay keeps once the room was put away (server/snapshot.py)",
    )
    parser.add_argument("--period", type=float, default=1.0, help="seconds between one member's chats")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of sending")
    parser.add_argument("--workers", type=int, default=2, help="load-generating processes")
    parser.add_argument("--skip-raw", action="store_true", help="measure the relay only (no cpu_ratio)")
    parser.add_argument("--store", choices=("sqlite", "pg"), default="sqlite", help="pg: the relay on SQLite, then on PostgreSQL, compared")
    parser.add_argument("--pg-url", default=os.environ.get("IOP_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--pg-options", default="", help="server settings for the relay's sessions, e.g. '-csynchronous_commit=off'")
    # -- the tail (issue 16): relay and raw in each of N repetitions --
    parser.add_argument("--repeat", type=int, default=0, help="N repetitions of relay then raw; report p99 and max of each (the tail); with --store pg: N pairs of SQLite then PostgreSQL, each figure's range and the median p99 ratio")
    parser.add_argument("--lag-log", type=Path, default=None, help="with --repeat: the relay's --lag-log file (appended per repetition); with --store pg: FILE.sqlite and FILE.pg")
    parser.add_argument("--collect-every", type=float, default=None, metavar="S", help="the relay's --collect-every (this checkout's relay only): its garbage collector's scheduled passes, timed as gc_pass in --lag-log")
    parser.add_argument("--baseline-from", default=None, metavar="DIR", help="with --repeat: also run the relay of this checkout (an export of an older commit)")
    parser.add_argument("--nodes", type=int, default=None, help="with --store pg: N relay nodes behind a balancer (issue 16; N > 1 adds a one-node baseline)")
    parser.add_argument(
        "--no-routes", action="store_true",
        help="with --nodes: members send no route cookie (clients that do not know routes: every member stays where the balancer put it and is forwarded)",
    )
    parser.add_argument("--kill-every", type=float, default=None, metavar="S", help="with --nodes: SIGKILL the busiest owner every S seconds")
    parser.add_argument(
        "--balancer", choices=("python", "haproxy"), default="python",
        help="with --nodes: the balancer in front: the test suite's TCP proxy (tests/support/fleet.py) or HAProxy "
        "with docs/deployment.md's configuration (plain HTTP, no per-address limits: every member here is 127.0.0.1)",
    )
    parser.add_argument("--restart-after", type=float, default=5.0, metavar="S", help="with --kill-every: start the killed node again (same id, same port) S seconds later, as a supervisor would; 0: never")
    parser.add_argument("--seed-into", type=Path, default=None, metavar="DIR", help=argparse.SUPPRESS)  # seed_with's child
    args = parser.parse_args()
    check_checkout(parser, args)
    if args.seed_into is not None:
        print(json.dumps(seed(args.seed_into, args.groups, args.members)), flush=True)
        return
    raise_nofile()
    if args.store == "pg" and args.nodes:
        return compare_nodes(args)
    if args.store == "pg":
        return compare_pg(args)
    if args.repeat:
        return tail_runs(args)
    with tempfile.TemporaryDirectory(prefix="relay-load-") as tmp:
        data = Path(tmp)
        groups = seed(data, args.groups, args.members)
        print(f"{args.groups} groups x {args.members} members, a chat every {args.period:g} s for {args.duration:g} s, {args.workers} load workers", flush=True)
        relay = run_then_stop("relay", start([sys.executable, "-m", "server", "serve", "--port", "0", "--data", str(data), "--quiet"], "iop-server listening"), groups, args)
        report("relay", relay)
        ratio = float("nan")
        if not args.skip_raw:
            raw = run_then_stop("raw", start(RAW, "raw listening"), groups, args)
            report("raw", raw)
            ratio = relay.cpu_s / raw.cpu_s if raw.cpu_s else float("inf")
    print(
        f"relay_load groups={args.groups} members={args.members} deliveries_per_s={relay.deliveries_per_s:.0f} "
        f"p50_ms={relay.p50_ms:.1f} p99_ms={relay.p99_ms:.1f} cpu_ratio={ratio:.2f} lost={relay.lost} dup={relay.dup}",
        flush=True,
    )


# -- the store seam (issue 16): SQLite vs PostgreSQL on one node, in the same run --


def relay_run(store_ref: str, groups: dict[int, list[tuple[int, str]]], args, label: str) -> RunResult:
    """One relay on ``store_ref``; with ``--lag-log FILE`` its lag log is FILE.LABEL."""
    extra = ["--lag-log", f"{args.lag_log}.{label}"] if args.lag_log is not None else []
    extra += ["--collect-every", str(args.collect_every)] if args.collect_every is not None else []
    cmd = [sys.executable, "-m", "server", "serve", "--port", "0", "--store", store_ref, "--quiet", *extra]
    return run_then_stop("relay", start(cmd, "iop-server listening"), groups, args)


def compare_pg(args) -> None:
    """SQLite, then PostgreSQL, on one node under the same load; with ``--repeat N``, N such
    pairs, each on fresh stores, and the last line gives each figure's range and the median
    p99 ratio (one 10-s run's p99 is decided by a handful of stalls)."""
    import secrets
    from urllib.parse import quote

    import psycopg

    reps = max(1, args.repeat)
    print(f"{args.groups} groups x {args.members} members, a chat every {args.period:g} s for {args.duration:g} s, "
          f"{args.workers} load workers; SQLite, then PostgreSQL {args.pg_options}".rstrip()
          + (f"; {reps} repetitions" if reps > 1 else ""), flush=True)
    pairs: list[tuple[RunResult, RunResult]] = []
    for rep in range(reps):
        schema = f"bench_{secrets.token_hex(4)}"
        url = f"{args.pg_url}{'&' if '?' in args.pg_url else '?'}options={quote(f'-csearch_path={schema} {args.pg_options}'.strip())}"
        label = "" if reps == 1 else f".{rep + 1}"
        with tempfile.TemporaryDirectory(prefix="relay-load-") as tmp, psycopg.connect(args.pg_url, autocommit=True) as admin:
            admin.execute(f"CREATE SCHEMA {schema}".encode())
            try:
                lite = relay_run(tmp, seed(Path(tmp), args.groups, args.members), args, f"sqlite{label}")
                report("sqlite", lite)
                pg = relay_run(url, seed(url, args.groups, args.members), args, f"pg{label}")
                report("pg", pg)
            finally:
                admin.execute(f"DROP SCHEMA {schema} CASCADE".encode())
        if reps > 1:
            print(f"rep {rep + 1}: p99 ratio {pg.p99_ms / lite.p99_ms:.2f}", flush=True)
        pairs.append((lite, pg))
    lost = sum(a.lost + b.lost for a, b in pairs)
    dup = sum(a.dup + b.dup for a, b in pairs)
    if reps == 1:
        print(
            f"relay_load_pg groups={args.groups} members={args.members} sqlite_deliveries_per_s={lite.deliveries_per_s:.0f} "
            f"pg_deliveries_per_s={pg.deliveries_per_s:.0f} deliveries_ratio={pg.deliveries_per_s / lite.deliveries_per_s:.2f} "
            f"sqlite_p99_ms={lite.p99_ms:.1f} pg_p99_ms={pg.p99_ms:.1f} p99_ratio={pg.p99_ms / lite.p99_ms:.2f} "
            f"sqlite_cpu_s={lite.cpu_s:.2f} pg_cpu_s={pg.cpu_s:.2f} lost={lost} dup={dup}",
            flush=True,
        )
        return

    def span(xs: list[float], fmt: str = ".1f") -> str:
        return f"{min(xs):{fmt}}-{max(xs):{fmt}}"

    ratios = sorted(b.p99_ms / a.p99_ms for a, b in pairs)
    print(
        f"relay_load_pg groups={args.groups} members={args.members} reps={reps} "
        f"deliveries_ratio={span([b.deliveries_per_s / a.deliveries_per_s for a, b in pairs], '.2f')} "
        f"sqlite_p99_ms={span([a.p99_ms for a, _ in pairs])} pg_p99_ms={span([b.p99_ms for _, b in pairs])} "
        f"p99_ratio={span(ratios, '.2f')} p99_ratio_median={statistics.median(ratios):.2f} "
        f"sqlite_cpu_s={span([a.cpu_s for a, _ in pairs], '.2f')} pg_cpu_s={span([b.cpu_s for _, b in pairs], '.2f')} lost={lost} dup={dup}",
        flush=True,
    )


# -- the tail (issue 16): p99 and max of the relay against the raw broadcast, N repetitions --


def tail_start(args, data: Path, relay_from: Path) -> tuple[subprocess.Popen, str, int]:
    """A relay from the checkout ``relay_from`` (this one, or --baseline-from) on ``data``."""
    extra = ["--lag-log", str(args.lag_log)] if args.lag_log is not None and relay_from == REPO else []
    extra += ["--collect-every", str(args.collect_every)] if args.collect_every is not None and relay_from == REPO else []
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
        return run_then_stop("relay", tail_start(args, data, relay_from), groups, args)


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
        if args.baseline_from:  # the baseline's data, written by the baseline's own relay
            baseline = Path(args.baseline_from).resolve()
            template_before = Path(tmp) / "seeded-before"
            groups_before = seed_with(baseline, template_before, args.groups, args.members)
        for rep in range(args.repeat):
            results: dict[str, RunResult] = {"relay": tail_run(args, template, REPO, groups)}
            if args.baseline_from:
                results["before"] = tail_run(args, template_before, baseline, groups_before)
            results["raw"] = run_then_stop("raw", start(RAW, "raw listening"), groups, args)
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
# -- several nodes (issue 16): N relay nodes on one PostgreSQL schema behind a balancer --
#
#     python bench/relay_load.py --store pg --nodes 3 --kill-every 20 --groups 300 --members 10 --period 5
#
# Members connect through a round-robin TCP balancer (tests/support/fleet.py, its own
# process) to N ``serve --store PGURL --node-id --internal-url`` nodes; each member
# reconnects through the balancer when its connection drops, resumes from its last
# seq and resends its unanswered chats with the same ids. With ``--kill-every S`` the
# node that owns the most groups is SIGKILLed every S seconds and started again on
# the same port one second later. With N > 1 a one-node run under the same load
# comes first (the baseline, never killed). The last line:
#
#     relay_load_nodes groups=G members=M nodes=N kills=K deliveries_per_s=D p50_ms=X p99_ms=Y
#         lost=L dup=D reconnects=R p99_reconnect_to_synced_s=S
#         cpu_s_per_1k_deliveries_1node=A cpu_s_per_1k_deliveries_per_node_Nnodes=B ...


#: A fleet's load member: a :class:`Member` that reconnects, resumes from ``last_seq`` and resends its outbox.
FleetMember = Member


@dataclass
class FleetWorkerResult:
    latencies: bytes
    reconnects: bytes
    deliveries: int
    sent: int
    lost: int
    dup: int
    errors: int
    resets: int
    cpu_s: float = 0.0  # this load worker's own CPU-seconds from the start (a saturated worker measures itself)
    to_welcome: bytes = b""  # per reconnect: seconds from the drop to the welcome (placement, claim, forward, join)
    tries: bytes = b""  # per reconnect: connections it took (each one closed before synced is another)
    reroutes: int = 0  # connections answered with a route frame (sent round to their group's owner)


async def _fleet_worker(host: str, port: int, routes: bool, groups: dict[int, list[tuple[int, str]]], period: float, duration: float, ready, go) -> FleetWorkerResult:
    raise_nofile()
    from protocol.messages import PROTOCOL_VERSION
    from protocol.route import cookie_header

    loop = asyncio.get_running_loop()
    latencies, reconnect_times, welcome_times, tries = array("d"), array("d"), array("d"), array("d")
    counts = {"errors": 0, "resets": 0, "reroutes": 0}
    members = [FleetMember(gid, index, token) for gid, people in groups.items() for index, token in people]
    done = [False]

    def handler(m: FleetMember):
        return reader(m, latencies, counts, retry=lambda cid: loop.call_later(0.3, resend, m, cid))

    def resend(m: FleetMember, cid: str) -> None:
        data = m.outbox.get(cid)
        if data is not None and m.client is not None and m.synced is not None and m.synced.done():
            m.client.send(data)

    async def connect(m: FleetMember) -> int:
        """Connect through the balancer, hello with the last seq, wait for synced; retry until it
        works. Returns the number of connections it took."""
        attempts = 0
        while True:
            attempts += 1
            m.synced = loop.create_future()
            try:
                # A route-aware member (the product's client) asks for its group's owner by the cookie.
                cookie = cookie_header(m.route) if routes else None
                m.client = await asyncio.wait_for(ws_connect(host, port, "/", handler(m), cookie), 10)
                m.client.send(msgpack.packb({"kind": "hello", "v": PROTOCOL_VERSION, "token": m.token, "resume_from": m.last_seq, "client": "bench"}))
                closed = m.client.closed
                await asyncio.wait([m.synced, closed], timeout=30, return_when=asyncio.FIRST_COMPLETED)
                if m.synced.done():
                    for data in list(m.outbox.values()):
                        m.client.send(data)
                    return attempts
                m.client.transport.close()
                if m.rerouted:  # the node named the group's owner: go there at once
                    m.rerouted = False
                    counts["reroutes"] += 1
                    continue
            except (OSError, ConnectionError, TimeoutError):
                pass
            await asyncio.sleep(0.02 + random.random() * 0.1)

    async def keep(m: FleetMember) -> None:
        """Reconnect whenever the connection drops (a node killed), until the run ends."""
        while not done[0]:
            await m.client.closed
            if done[0]:
                return
            dropped = time.monotonic()
            tries.append(await connect(m))
            reconnect_times.append(time.monotonic() - dropped)
            welcome_times.append(m.welcomed - dropped)

    for chunk in range(0, len(members), 50):
        await asyncio.gather(*(connect(m) for m in members[chunk : chunk + 50]))
    keepers = [asyncio.create_task(keep(m)) for m in members]
    ready.put(len(members))
    start_at = await loop.run_in_executor(None, go.get)
    usage0 = resource.getrusage(resource.RUSAGE_SELF)

    def send(m: FleetMember, n: int, text: str) -> None:
        cid = f"c{n}"
        data = msgpack.packb({"kind": "chat.send", "id": cid, "data": {"text": text}})
        m.outbox[cid] = data
        if m.synced is not None and m.synced.done() and m.client is not None:
            m.client.send(data)

    await asyncio.gather(*(talk(m, start_at, period, duration, send) for m in members))
    expected = expected_per_group(members)
    deadline = time.time() + 60
    while time.time() < deadline:
        if all(len(m.keys) >= expected[m.group] and not m.outbox for m in members):
            break
        await asyncio.sleep(0.05)
    done[0] = True
    lost, dup, deliveries, sent = tally(members, resumed=True)
    for task in keepers:
        task.cancel()
    for m in members:
        if m.client is not None:
            m.client.transport.close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return FleetWorkerResult(
        latencies.tobytes(), reconnect_times.tobytes(), deliveries, sent, lost, dup, counts["errors"], counts["resets"],
        usage.ru_utime + usage.ru_stime - usage0.ru_utime - usage0.ru_stime, welcome_times.tobytes(), tries.tobytes(), counts["reroutes"],
    )


def fleet_worker_main(host, port, routes, groups, period, duration, ready, go, results) -> None:
    results.put(asyncio.run(_fleet_worker(host, port, routes, groups, period, duration, ready, go)))


@dataclass
class FleetRunResult:
    nodes: int
    kills: int
    deliveries_per_s: float
    p50_ms: float
    p99_ms: float
    lost: int
    dup: int
    sent: int
    errors: int
    resets: int
    reconnects: int
    p50_reconnect_s: float
    p99_reconnect_s: float
    max_reconnect_s: float
    node_cpu_s: list
    balancer_cpu_s: float
    deliveries: int
    events_per_s: float = 0.0
    group_commits_per_s: float = 0.0
    worker_cpu_s: list = field(default_factory=list)
    steps: str = ""  # where the nodes' seconds went (their --lag-log, summed over the run): steps_summary()
    reroutes: int = 0  # connections sent round to their group's owner by a route frame (protocol/route.py)

    @property
    def cpu_per_1k(self) -> float:
        """CPU-seconds of all nodes per 1,000 deliveries."""
        return sum(self.node_cpu_s) / (self.deliveries / 1000) if self.deliveries else float("nan")


def _pct(values, q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _owner_counts(url: str) -> dict[str, int]:
    import psycopg

    try:
        with psycopg.connect(url, autocommit=True) as conn:
            rows = conn.execute("SELECT owner_node, count(*) FROM groups WHERE owner_node IS NOT NULL GROUP BY owner_node").fetchall()
    except psycopg.Error:
        return {}
    return {str(name): int(n) for name, n in rows}


def _pg_writes(url: str) -> tuple[int, int]:
    """(events inserted, group rows updated: one per group per commit) in this schema, from PostgreSQL's statistics."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        rows = dict(conn.execute(
            "SELECT relname, n_tup_ins + n_tup_upd FROM pg_stat_user_tables WHERE schemaname = current_schema() AND relname IN ('events', 'groups')"
        ).fetchall())
    return int(rows.get("events", 0)), int(rows.get("groups", 0))


def haproxy_config(port: int, backends: list[tuple[str, int]]) -> str:
    """docs/deployment.md's HAProxy configuration, for this machine: plain HTTP on loopback, the
    nodes given (name, port), each server line shaped as the page's (its checks, and its cookie
    naming the node: the members' route), and without the per-address limits (every load
    worker's member is 127.0.0.1)."""
    sys.path.insert(0, str(REPO))
    from tests.support.haproxy import page_config, server_lines

    try:
        kept, servers = server_lines(page_config(), backends)
    except LookupError as exc:
        raise SystemExit(str(exc)) from None
    per_address = ("stick-table", "http-request track-sc0", "http-request deny")
    lines = []
    for line in kept:
        if line.strip().startswith(per_address):
            continue
        if line.strip().startswith("bind "):
            line = f"    bind 127.0.0.1:{port}"
        lines.append(re.sub(r"maxconn \d+", "maxconn 8000", line))
    return "\n".join(lines + servers) + "\n"


def start_haproxy(work: Path, backends: list[tuple[str, int]]) -> tuple[subprocess.Popen, str, int]:
    """HAProxy in front of the nodes (``--balancer haproxy``), once it accepts connections."""
    import shutil
    import socket

    if shutil.which("haproxy") is None:
        raise SystemExit("--balancer haproxy: haproxy is not installed (apt-get install haproxy)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cfg = work / "haproxy.cfg"
    cfg.write_text(haproxy_config(port, backends))
    proc = subprocess.Popen(["haproxy", "-db", "-f", str(cfg)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 10
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"haproxy did not start: {(proc.stderr.read() if proc.stderr else '').strip()[:300]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, "127.0.0.1", port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("haproxy did not accept connections within 10 s")


def fleet_run(url: str, n: int, groups: dict[int, list[tuple[int, str]]], args, kill_every: float | None) -> FleetRunResult:
    sys.path.insert(0, str(REPO))
    from tests.support.fleet import Node, serve_has_node_flags

    flags = serve_has_node_flags()
    if n > 1 and not flags:
        raise SystemExit("serve has no --node-id yet: several nodes need the placement of issue 16 (branch nodes)")
    work = Path(tempfile.mkdtemp(prefix="relay-nodes-"))
    extra = ("--quiet", "--rate", "100", "--burst", "100", "--trusted-proxy", "127.0.0.1")
    nodes = [Node(f"node{i + 1}", url, work, extra=(*extra, "--lag-log", str(work / f"node{i + 1}.lag")), node_flags=flags) for i in range(n)]
    cpu_done = [0.0] * n  # CPU of node processes already killed
    balancer = None
    try:
        nodes[0].start()
        for node in nodes[1:]:
            node.start()
        if args.balancer == "haproxy":
            balancer, host, port = start_haproxy(work, [(node.name, node.port) for node in nodes])
        else:
            balancer = subprocess.Popen(
                [sys.executable, "-m", "tests.support.fleet", "balance", "--port", "0", *(f"127.0.0.1:{node.port}" for node in nodes)],
                cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)), stdout=subprocess.PIPE, text=True, preexec_fn=raise_nofile,
            )
            match = re.search(r"on ws://([\d.]+):(\d+)/", balancer.stdout.readline())
            if not match:
                raise SystemExit("the balancer did not start")
            host, port = match.group(1), int(match.group(2))
        workers, results, start_at = start_workers(fleet_worker_main, (host, port, not args.no_routes), groups, args, ready_timeout=600)
        cpu0 = [proc_cpu_seconds(node.pid) for node in nodes]
        bal0 = proc_cpu_seconds(balancer.pid)
        writes0 = _pg_writes(url)
        kills = 0
        if kill_every:
            next_kill = start_at + kill_every
            while next_kill < start_at + args.duration - 1:
                time.sleep(max(0.0, next_kill - time.time()))
                owned = _owner_counts(url)
                alive = [i for i in range(n) if nodes[i].alive]
                if len(alive) < 2 and args.restart_after <= 0:
                    break  # keep one node serving
                victim = max(alive, key=lambda i: (owned.get(nodes[i].name, 0), -i)) if owned else alive[kills % len(alive)]
                node = nodes[victim]
                cpu_done[victim] += proc_cpu_seconds(node.pid) - cpu0[victim]
                node.kill()
                kills += 1
                print(f"  killed {node.name} (owned {owned.get(node.name, '?')} groups) at t={time.time() - start_at:.1f} s", flush=True)
                if args.restart_after > 0:
                    time.sleep(args.restart_after)
                    node.restart()
                    cpu0[victim] = proc_cpu_seconds(node.pid)
                next_kill += kill_every
        out = [results.get(timeout=args.duration + 300) for _ in workers]
        node_cpu = [cpu_done[i] + (proc_cpu_seconds(node.pid) - cpu0[i] if node.alive else 0.0) for i, node in enumerate(nodes)]
        bal_cpu = proc_cpu_seconds(balancer.pid) - bal0
        for p in workers:
            p.join(10)
        time.sleep(1.5)  # backends report their statistics at most once a second
        writes = [b - a for a, b in zip(writes0, _pg_writes(url), strict=True)]
        steps = steps_summary([work / f"{node.name}.lag" for node in nodes], start_at)
        if sum(r.lost for r in out) or os.environ.get("RELAY_LOAD_LOGS"):
            for node in nodes:  # what the nodes said, to see why
                text = node.stderr_text()
                (work / f"{node.name}.log").write_text(text)
                said = [line for line in text.splitlines() if line[:2].isdigit()]
                print(f"  {node.name} said ({len(said)} lines, all in {work / node.name}.log): " + " | ".join(said[-8:]), flush=True)
    finally:
        if balancer is not None:
            balancer.send_signal(signal.SIGTERM)
            balancer.wait(10)
        for node in nodes:
            if node.alive:
                node.stop()
            node.close()
    lat, rec, welcomed, tries = array("d"), array("d"), array("d"), array("d")
    for r in out:
        lat.frombytes(r.latencies)
        rec.frombytes(r.reconnects)
        welcomed.frombytes(r.to_welcome)
        tries.frombytes(r.tries)
    if rec:  # the member's side of a reconnect: before the welcome (placement, claim, forward, join) or after (replay)
        after = sorted(r - w for r, w in zip(rec, welcomed, strict=True))
        steps += (f"; members: drop to welcome p50={_pct(welcomed, 0.5):.2f} s p99={_pct(welcomed, 0.99):.2f} s, welcome to synced "
                  f"p99={_pct(after, 0.99):.2f} s, connections per reconnect max={max(tries):.0f} (>1 for {sum(1 for t in tries if t > 1)})")
    deliveries = sum(r.deliveries for r in out)
    return FleetRunResult(
        n, kills, deliveries / args.duration, _pct(lat, 0.5) * 1000, _pct(lat, 0.99) * 1000,
        sum(r.lost for r in out), sum(r.dup for r in out), sum(r.sent for r in out), sum(r.errors for r in out),
        sum(r.resets for r in out), len(rec), _pct(rec, 0.5), _pct(rec, 0.99), max(rec, default=float("nan")), node_cpu, bal_cpu, deliveries,
        writes[0] / args.duration, writes[1] / args.duration, [round(r.cpu_s, 1) for r in out], steps, sum(r.reroutes for r in out),
    )


def steps_summary(logs: list[Path], since: float) -> str:
    """The nodes' ``--lag-log`` lines from ``since`` on (server/lag.py), summed over nodes and
    seconds: for each timed step its calls, total seconds and worst milliseconds (token lookup,
    room load, join, and the wall time of placement and of its claim statements), and the
    event loop's worst lag. A restarted node appends to its killed predecessor's file."""
    first = time.strftime("%H:%M:%S", time.localtime(since))
    sums: dict[str, list[float]] = {}
    worst_lag = 0.0
    for path in logs:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        for line in lines:
            stamp, _, rest = line.partition(" ")
            if stamp < first:
                continue
            for part in rest.split(" | "):
                name, _, fields = part.partition(" ")
                values = dict(f.split("=", 1) for f in fields.split() if "=" in f)
                if name == "lag":
                    worst_lag = max(worst_lag, float(values.get("max_ms", 0)))
                elif "total_ms" in values:
                    count, total, worst = sums.setdefault(name, [0, 0.0, 0.0])
                    sums[name] = [count + int(values["n"]), total + float(values["total_ms"]) / 1000, max(worst, float(values["max_ms"]))]
    shown = [f"{name} n={int(c)} {t:.2f} s max={w:.0f} ms" for name, (c, t, w) in sums.items() if c and name in STEPS]
    return "; ".join(shown) + f"; loop lag max={worst_lag:.0f} ms"


#: The steps steps_summary() reports (the rest of the lag log is the tail's: flush, commit, fan-out).
STEPS = ("token", "room_load", "room_wait", "join", "place", "claim_sql", "flush", "commit")


def fleet_report(r: FleetRunResult) -> None:
    print(
        f"{r.nodes} node(s): deliveries/s={r.deliveries_per_s:,.0f} p50={r.p50_ms:.1f} ms p99={r.p99_ms:.1f} ms sent={r.sent} "
        f"lost={r.lost} dup={r.dup} errors={r.errors} resets={r.resets} kills={r.kills} reconnects={r.reconnects} reroutes={r.reroutes} "
        f"reconnect_to_synced p50={r.p50_reconnect_s:.2f} s p99={r.p99_reconnect_s:.2f} s max={r.max_reconnect_s:.2f} s "
        f"node_cpu_s={[round(c, 2) for c in r.node_cpu_s]} balancer_cpu_s={r.balancer_cpu_s:.2f} "
        f"cpu_s_per_1k_deliveries={r.cpu_per_1k:.3f} pg_events_per_s={r.events_per_s:.0f} pg_group_commits_per_s={r.group_commits_per_s:.0f} "
        f"load_worker_cpu_s={r.worker_cpu_s}",
        flush=True,
    )
    if r.steps:
        print(f"  where the nodes' seconds went (all nodes, from the start): {r.steps}", flush=True)


def compare_nodes(args) -> None:
    import secrets
    from urllib.parse import quote

    import psycopg

    print(f"{args.groups} groups x {args.members} members, a chat every {args.period:g} s for {args.duration:g} s, "
          f"{args.workers} load workers; PostgreSQL, {args.nodes} node(s) behind a balancer ({args.balancer}), " + ("members without routes" if args.no_routes else "route-aware members")
          + (f", the busiest owner SIGKILLed every {args.kill_every:g} s" if args.kill_every else ""), flush=True)
    runs: list[FleetRunResult] = []
    with psycopg.connect(args.pg_url, autocommit=True) as admin:
        for n, kill in ([(1, None)] if args.nodes > 1 else []) + [(args.nodes, args.kill_every)]:
            schema = f"bench_{secrets.token_hex(4)}"
            url = f"{args.pg_url}{'&' if '?' in args.pg_url else '?'}options={quote(f'-csearch_path={schema} {args.pg_options}'.strip())}"
            admin.execute(f"CREATE SCHEMA {schema}".encode())
            try:
                r = fleet_run(url, n, seed(url, args.groups, args.members, args.history, args.history_snapshots), args, kill)
            finally:
                admin.execute(f"DROP SCHEMA {schema} CASCADE".encode())
            fleet_report(r)
            runs.append(r)
    last, one = runs[-1], runs[0]
    print(
        f"relay_load_nodes groups={args.groups} members={args.members} nodes={last.nodes} kills={last.kills} "
        f"deliveries_per_s={last.deliveries_per_s:.0f} p50_ms={last.p50_ms:.1f} p99_ms={last.p99_ms:.1f} "
        f"lost={sum(r.lost for r in runs)} dup={sum(r.dup for r in runs)} resets={last.resets} reconnects={last.reconnects} reroutes={last.reroutes} "
        f"p99_reconnect_to_synced_s={last.p99_reconnect_s:.2f} max_reconnect_to_synced_s={last.max_reconnect_s:.2f} "
        f"cpu_s_per_1k_deliveries_1node={one.cpu_per_1k:.3f} "
        f"cpu_s_per_1k_deliveries_per_node_{last.nodes}nodes={last.cpu_per_1k / last.nodes:.3f} "
        f"cpu_s_per_1k_deliveries_all_{last.nodes}nodes={last.cpu_per_1k:.3f} "
        f"cpu_ratio_{last.nodes}nodes_vs_1={last.cpu_per_1k / one.cpu_per_1k:.2f} balancer_cpu_s={last.balancer_cpu_s:.2f} "
        f"pg_events_per_s={last.events_per_s:.0f} pg_group_commits_per_s={last.group_commits_per_s:.0f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
