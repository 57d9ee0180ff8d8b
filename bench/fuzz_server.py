"""Fuzz a live relay process with a fixed number of bad frames while a group is in session.

    python bench/fuzz_server.py [--frames 100000] [--seed 1] [--connections 4]

Starts ``python -m server serve`` on a fresh data folder (rate limit lifted so
every frame is parsed, not just throttled), seeds two groups, and runs a real
session in one of them (a facilitator, three participants and a guest
chatting, voting and checking in with private notes) while fuzzers — members
of both groups with every role, plus unauthenticated connections — send
frames drawn from ``tests/support/fuzzframes.py``: wrong types for every field of
every command kind, malformed msgpack, text frames, unknown kinds, a second
hello, frames before the handshake and messages over the size limit.

Checks: every bad frame gets exactly one ``error`` frame with a known code;
the relay process never dies (``crashes``); no event is stored from a refused
frame and no member receives an event or a secret it may not see
(``leaked``); the session's members lose and repeat nothing
(``other_members_ok``, by the auditor in ``tests/support/audit.py``).
Last line: ``fuzz frames=N crashes=0 leaked=0 other_members_ok=true``.
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

import msgpack  # noqa: E402
from tests.support.audit import Auditor, ResilientClient, secrets_in  # noqa: E402
from tests.support.fuzzframes import field_cases, malformed_messages, pack, random_message  # noqa: E402
from tests.support.procs import start_server_process  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402
from tests.support.wsclient import seed  # noqa: E402

from protocol.messages import PROTOCOL_VERSION  # noqa: E402
from protocol.codec import MAX_FRAME_BYTES  # noqa: E402
from protocol.errors import ErrorCode  # noqa: E402
from server.store import Store  # noqa: E402

SECRETS = {"SECRET-NOTE-FOR-FACILITATORS", "SECRET-PRIVATE-LINE"}
WINDOW = 256  # frames a fuzzer may have unanswered


class Tally:
    def __init__(self) -> None:
        self.sent = 0
        self.errors = 0
        self.bad_codes: list[dict] = []
        self.unanswered = 0
        self.closed_early = 0
        self.before_hello = 0
        self.oversize_closed = 0


async def fuzz_connection(url: str, token: str, messages, tally: Tally) -> None:
    """Send ``messages`` after hello; every one must be answered by one error frame."""
    async with connect(url, compression=None, max_size=None, ping_interval=None, open_timeout=10) as ws:
        await ws.send(pack({"kind": "hello", "v": PROTOCOL_VERSION, "token": token, "resume_from": None, "client": "fuzz"}))
        errors = 0
        sent = 0
        answered = asyncio.Event()
        done_sending = False

        async def read() -> None:
            nonlocal errors
            async for message in ws:
                frame = msgpack.unpackb(message, raw=False, strict_map_key=False)
                if frame.get("kind") == "error":
                    errors += 1
                    if frame.get("code") not in set(ErrorCode) or frame.get("code") == ErrorCode.INTERNAL or not frame.get("message"):
                        tally.bad_codes.append(frame)
                    answered.set()
                    if done_sending and errors >= sent:
                        return

        reader = asyncio.create_task(read())
        try:
            for message in messages:
                while sent - errors >= WINDOW:
                    answered.clear()
                    await asyncio.wait_for(answered.wait(), 30)
                await ws.send(message)
                sent += 1
            done_sending = True
            if errors < sent:
                await asyncio.wait_for(reader, 60)
        except (TimeoutError, ConnectionClosed):
            tally.closed_early += 1
        finally:
            reader.cancel()
        tally.sent += sent
        tally.errors += errors
        tally.unanswered += max(0, sent - errors)


async def before_hello(url: str, message, tally: Tally) -> None:
    """A bad first frame: an error frame, then a close."""
    try:
        async with connect(url, compression=None, max_size=None, ping_interval=None, open_timeout=10) as ws:
            await ws.send(message)
            tally.sent += 1
            got_error = False
            try:
                async for raw in ws:
                    frame = msgpack.unpackb(raw, raw=False, strict_map_key=False)
                    if frame.get("kind") == "error" and frame.get("code") in set(ErrorCode):
                        got_error = True
                    elif frame.get("kind") != "error":
                        tally.bad_codes.append(frame)
            except ConnectionClosed:
                pass
            tally.errors += got_error
            tally.unanswered += not got_error
            tally.before_hello += 1
    except OSError:
        tally.closed_early += 1


async def oversize(url: str, token: str, tally: Tally) -> None:
    async with connect(url, compression=None, max_size=None, ping_interval=None) as ws:
        await ws.send(pack({"kind": "hello", "v": PROTOCOL_VERSION, "token": token, "resume_from": None}))
        await ws.send(pack({"kind": "chat.send", "id": "huge", "data": {"text": "q" * (5 * MAX_FRAME_BYTES)}}))
        try:
            async for _ in ws:
                pass
        except ConnectionClosed:
            pass
        tally.oversize_closed += ws.close_code == 1009


async def session_load(clients: dict[str, ResilientClient], stop: asyncio.Event, poll_id: int, rng: random.Random) -> int:
    """The real group carries on: chats, votes, check-ins, private lines."""
    n = 0
    names = list(clients)
    while not stop.is_set():
        n += 1
        who = rng.choice(names)
        c = clients[who]
        role = c.log.role
        pick = rng.random()
        if role == "participant" and pick < 0.1:
            await c.send("checkin.submit", {"mood": rng.randrange(11), "feelings": ["ok"], "note": "SECRET-NOTE-FOR-FACILITATORS " + who, "note_to": "facilitators"})
        elif role != "facilitator" and pick < 0.2:
            await c.send("poll.vote", {"poll_id": poll_id, "choices": [rng.randrange(2)]})
        elif role == "participant" and pick < 0.3:
            await c.send("chat.send", {"text": "SECRET-PRIVATE-LINE " + who, "to": "facilitators"})
        else:
            await c.send("chat.send", {"text": f"{who} says {n}"})
        await asyncio.sleep(0.01)
    return n


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--connections", type=int, default=4, help="fuzzing connections after hello")
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    rng = random.Random(args.seed)
    tmp = tempfile.TemporaryDirectory(prefix="iop-fuzz-")
    data = Path(tmp.name) / "data"
    store = Store(data)
    group = seed(store, name="Fuzzed group")
    other = seed(store, name="Other group")
    fuzz_member, fuzz_token = store.add_member(group.group_id, "Quinn", "participant")
    store.close()
    server = start_server_process(data, 0, "--rate", "1000000", "--burst", "1000000", "--quiet")
    url = server.url
    print(f"relay pid {server.pid} at {url}")
    auditor = Auditor()
    creds = [group.facilitator, *group.participants, group.guest]
    seen_wrong = [0]

    def watcher(cred):
        """Count private lines of other members reaching a non-facilitator."""
        if cred.role == "facilitator":
            return None
        others = {f"{prefix} {c.name}" for c in creds if c.name != cred.name for prefix in SECRETS}

        def on_frame(frame: dict) -> None:
            if secrets_in(frame, others):
                seen_wrong[0] += 1

        return on_frame

    clients = {
        c.name: ResilientClient(url, c.token, auditor.log(c.name, c.member_id, c.role, group.group_id), on_frame=watcher(c)).start()
        for c in creds
    }
    started = time.monotonic()
    crashes = 0
    try:
        for c in clients.values():
            await c.wait_connected(20)
        dana = clients["Dana"]
        await dana.command("session.start", {"title": "Fuzzed session"})
        await dana.command("phase.set", {"phase": "checkin"})
        poll = await dana.command("poll.open", {"question": "Pick", "poll_kind": "single", "options": ["A", "B"], "anonymous": False})
        head_before = {}
        store = Store(data)
        for gid in (group.group_id, other.group_id):
            head_before[gid] = store.head_seq(gid)
        store.close()
        stop = asyncio.Event()
        load = asyncio.create_task(session_load(clients, stop, poll["seq"], rng))

        # Plan the frames: fixed cases first, the rest drawn at random.
        fixed = [pack(frame) for *_, frame in field_cases()] + [m for _, m in malformed_messages()]
        early = max(50, args.frames // 200)  # frames sent as the first frame of a connection
        n_after = max(0, args.frames - early - 1)  # one more: the oversize message
        plan = fixed[:n_after] + [random_message(rng, i) for i in range(max(0, n_after - len(fixed)))]
        rng.shuffle(plan)
        fuzz_tokens = [other.facilitator.token, other.participants[0].token, other.guest.token, fuzz_token]
        per = (len(plan) + args.connections - 1) // args.connections
        tally = Tally()
        jobs = [
            fuzz_connection(url, fuzz_tokens[i % len(fuzz_tokens)], plan[i * per:(i + 1) * per], tally)
            for i in range(args.connections)
        ]
        firsts = [random_message(rng, 10**7 + i) for i in range(early)]

        async def early_all() -> None:
            sem = asyncio.Semaphore(20)

            async def one(m) -> None:
                async with sem:
                    await before_hello(url, m, tally)

            await asyncio.gather(*(one(m) for m in firsts))

        jobs.append(early_all())
        jobs.append(oversize(url, other.participants[1].token, tally))
        await asyncio.gather(*jobs)
        stop.set()
        chats = await load
        if server.proc.poll() is not None:
            crashes += 1
        for c in clients.values():
            await c.wait_idle(30)
        end = await dana.command("chat.send", {"text": "end of the fuzz"})
        for c in clients.values():
            await c.wait_seq(end["seq"], 30)
        store = Store(data)
        try:
            report = auditor.check(store)
            stray = list(store.events_after(other.group_id, head_before[other.group_id]))
            stray += [e for e in store.events_after(group.group_id, head_before[group.group_id]) if e.actor == fuzz_member]
        finally:
            store.close()
        leaked = len(stray) + report.leaked + seen_wrong[0]
        other_ok = report.ok and chats > 0 and report.delivered > 0
        elapsed = time.monotonic() - started
        if server.proc.poll() is not None:
            crashes += 1
        print(f"frames sent {tally.sent} (+{tally.oversize_closed} oversize closed with 1009), error frames {tally.errors}, unanswered {tally.unanswered}, wrong codes {len(tally.bad_codes)}, closed early {tally.closed_early}")
        print(f"first-frame connections {tally.before_hello}; session beside it: commands {chats}, {report.summary()}")
        if tally.bad_codes:
            print(f"examples of wrong answers: {tally.bad_codes[:3]}")
        print(f"{tally.sent / elapsed:.0f} frames/s over {elapsed:.1f} s; stray events {len(stray)} {stray[:3]}")
        ok = tally.unanswered == 0 and not tally.bad_codes and tally.closed_early == 0
        print(f"fuzz frames={tally.sent + tally.oversize_closed} crashes={crashes} leaked={leaked} other_members_ok={'true' if other_ok and ok else 'false'}")
        return 0 if crashes == 0 and leaked == 0 and other_ok and ok else 1
    finally:
        for c in clients.values():
            await c.close()
        server.stop()
        tmp.cleanup()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
