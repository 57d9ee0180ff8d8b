"""Soak: many groups in session for N minutes while the relay is killed and links are cut.

    python bench/soak.py --minutes 3 [--groups 20] [--members 6] [--seed 7] [--fault-every 8]

Starts ``python -m server serve`` on a fixed free port with a fresh data
folder and seeds ``--groups`` groups of ``--members`` (one facilitator, one
guest, the rest participants). Every member is the real client
:class:`iop_tui.core.connection.Connection` (``--client raw``: the raw resilient test
client of ``tests/support/audit.py``), which resumes from its last seq and resends
unanswered commands with the same ids, and acts at a lively pace: chats (some private to the
facilitators), votes, check-ins with private notes, hands; facilitators open
and close polls. At random (seeded) intervals the harness injects a fault:
SIGKILL the relay and start it again on the same data and port, abort a few
members' TCP connections, or make one member stop reading for a while.

At the end every member's answers are awaited, a marker is sent in each
group and the auditor compares every member's log with the store.
Prints events sent, acknowledged, delivered, lost, duplicated, resumes, relay
RSS (the first process after warm-up, and the last one at the end — a restart
begins a new process) and ends with:
``soak minutes=N acked=A lost=0 dup=0 resumes=R rss_start_mb=X rss_end_mb=Y``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tests.support.audit import Auditor, RealMember, ResilientClient, free_port  # noqa: E402
from tests.support.procs import start_server_process  # noqa: E402
from tests.support.wsclient import Cred  # noqa: E402

from server.store import Store  # noqa: E402

SERVER_ARGS = ("--rate", "50", "--burst", "100", "--quiet")


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def seed_groups(data: Path, groups: int, members: int) -> list[tuple[int, list[Cred]]]:
    store = Store(data)
    out = []
    try:
        for g in range(groups):
            gid = store.create_group(f"Soak group {g + 1}")
            creds = []
            for m in range(members):
                role = "facilitator" if m == 0 else "guest" if m == members - 1 else "participant"
                name = f"{role[:4]}{m}"
                mid, token = store.add_member(gid, name, role)
                creds.append(Cred(mid, name, role, token))
            out.append((gid, creds))
    finally:
        store.close()
    return out


class Soak:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rng = random.Random(args.seed)
        self.tmp = tempfile.TemporaryDirectory(prefix="iop-soak-")
        self.data = Path(self.tmp.name) / "data"
        self.port = free_port()
        self.server = None
        self.auditor = Auditor()
        self.clients: list[ResilientClient] = []
        self.groups: list[tuple[int, list[ResilientClient]]] = []
        self.stop = asyncio.Event()
        self.sent = 0
        self.kills = 0
        self.cuts = 0
        self.pauses = 0
        self.processes = []
        self.polls: dict[int, int] = {}  # group_id -> open poll id

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    async def start_server(self) -> None:
        self.server = await asyncio.to_thread(start_server_process, self.data, self.port, *SERVER_ARGS)
        self.processes.append(self.server)

    async def member(self, client: ResilientClient, gid: int, seed_value: int) -> None:
        rng = random.Random(seed_value)
        role = client.log.role
        n = 0
        while not self.stop.is_set():
            await asyncio.sleep(rng.uniform(0.2, 1.2))
            if self.stop.is_set():
                return
            n += 1
            pick = rng.random()
            poll = self.polls.get(gid)
            if role == "facilitator":
                if pick < 0.15:
                    if poll is not None:
                        await client.send("poll.close", {"poll_id": poll})
                    answer = await self._open_poll(client, gid, n)
                    if answer is None:
                        continue
                elif pick < 0.2:
                    await client.send("phase.set", {"phase": rng.choice(["checkin", "exercises", "discussion"])})
                else:
                    await client.send("chat.send", {"text": f"{client.log.name} {n}"})
            elif pick < 0.15 and poll is not None:
                await client.send("poll.vote", {"poll_id": poll, "choices": [rng.randrange(2)]})
            elif role == "participant" and pick < 0.25:
                await client.send("checkin.submit", {"mood": rng.randrange(11), "feelings": ["ok"], "note": f"private {n}", "note_to": rng.choice(["group", "facilitators"])})
            elif pick < 0.3:
                await client.send("hand.raise" if rng.random() < 0.5 else "hand.lower", {})
            elif role == "participant" and pick < 0.4:
                await client.send("chat.send", {"text": f"to the facilitators {n}", "to": "facilitators"})
            else:
                await client.send("chat.send", {"text": f"{client.log.name} line {n}"})
            self.sent += 1

    async def _open_poll(self, client: ResilientClient, gid: int, n: int) -> int | None:
        self.sent += 1
        try:
            answer = await client.command("poll.open", {"question": f"Poll {n}?", "poll_kind": "single", "options": ["A", "B"], "anonymous": False}, timeout=60)
        except (AssertionError, ConnectionError):
            return None
        if answer["kind"] == "ack":
            self.polls[gid] = answer["seq"]
            return answer["seq"]
        return None

    async def faults(self) -> None:
        every = self.args.fault_every
        while not self.stop.is_set():
            try:
                await asyncio.wait_for(self.stop.wait(), self.rng.uniform(every * 0.5, every * 1.5))
                return
            except TimeoutError:
                pass
            pick = self.rng.random()
            if pick < 0.35:
                self.server.kill()
                self.kills += 1
                await asyncio.sleep(self.rng.uniform(0.1, 1.0))
                await self.start_server()
                print(f"  fault: relay SIGKILLed and restarted (pid {self.server.pid})", flush=True)
            elif pick < 0.8:
                victims = self.rng.sample(self.clients, self.rng.randint(1, max(1, len(self.clients) // 10)))
                for v in victims:
                    v.cut()
                self.cuts += len(victims)
                print(f"  fault: {len(victims)} connections cut", flush=True)
            else:
                victim = self.rng.choice(self.clients)
                victim.pause_reading()
                self.pauses += 1
                await asyncio.sleep(self.rng.uniform(1, 4))
                victim.resume_reading()
                print(f"  fault: {victim.log.name} stopped reading for a while", flush=True)

    async def run(self) -> int:
        args = self.args
        _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        seeded = seed_groups(self.data, args.groups, args.members)
        await self.start_server()
        for gid, creds in seeded:
            group_clients = []
            for cred in creds:
                log = self.auditor.log(cred.name, cred.member_id, cred.role, gid)
                if args.client == "real":
                    c = RealMember(self.url, cred.token, log).start()
                else:
                    c = ResilientClient(self.url, cred.token, log).start()
                group_clients.append(c)
                self.clients.append(c)
            self.groups.append((gid, group_clients))
        try:
            for c in self.clients:
                await c.wait_connected(60)
            for gid, group_clients in self.groups:
                fac = group_clients[0]
                await fac.command("session.start", {"title": "Soak"}, timeout=60)
                await self._open_poll(fac, gid, 0)
            rss_start = rss_mb(self.server.pid)
            print(f"{len(self.clients)} members in {len(self.groups)} groups connected; relay RSS {rss_start:.1f} MB", flush=True)
            started = time.monotonic()
            tasks = [asyncio.create_task(self.member(c, gid, i)) for i, (gid, cs) in enumerate(self.groups) for c in cs]
            fault_task = asyncio.create_task(self.faults())
            last_report = started
            while time.monotonic() - started < args.minutes * 60:
                await asyncio.sleep(1)
                if time.monotonic() - last_report >= 30:
                    last_report = time.monotonic()
                    acked = sum(len(c.log.acks) for c in self.clients)
                    rss = rss_mb(self.server.pid)
                    print(f"  {last_report - started:.0f} s: sent {self.sent}, acked {acked}, relay RSS {f'{rss:.1f} MB' if rss else 'n/a (restarting)'}", flush=True)
            self.stop.set()
            await asyncio.gather(*tasks, fault_task)
            for c in self.clients:
                c.resume_reading()
            for c in self.clients:
                await c.wait_idle(120)
            for _gid, cs in self.groups:
                end = await cs[0].command("chat.send", {"text": "end of the soak"}, timeout=60)
                for c in cs:
                    await c.wait_seq(end["seq"], 120)
            rss_end = rss_mb(self.server.pid)
            store = Store(self.data)
            try:
                report = self.auditor.check(store)
                events = sum(store.head_seq(gid) for gid, _ in self.groups)
            finally:
                store.close()
            print(f"events stored {events}; commands sent {self.sent}; faults: {self.kills} relay kills, {self.cuts} cuts, {self.pauses} stalled readers")
            print(report.summary())
            codes: dict[str, int] = {}
            for log in self.auditor.logs:
                for code in log.errors.values():
                    codes[code] = codes.get(code, 0) + 1
            print(f"refusals by code (state conflicts are expected: a vote on a closed poll, a second hand): {codes}")
            print(f"soak minutes={args.minutes:g} acked={report.acked} lost={report.lost} dup={report.duplicated} resumes={report.resumes} rss_start_mb={rss_start:.1f} rss_end_mb={rss_end:.1f}")
            return 0 if report.ok else 1
        finally:
            for c in self.clients:
                await c.close()
            for p in self.processes:
                try:
                    p.__exit__(None, None, None)
                except Exception:
                    pass
            self.tmp.cleanup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--members", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fault-every", type=float, default=8.0, help="mean seconds between injected faults")
    parser.add_argument("--client", choices=("real", "raw"), default="real", help="iop_tui.core.connection.Connection (real) or the raw resilient test client")
    return asyncio.run(Soak(parser.parse_args()).run())


if __name__ == "__main__":
    sys.exit(main())
