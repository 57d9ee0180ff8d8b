"""A member who sends as fast as they can is rate limited; nobody else notices.

The flooder gets ``rate_limited`` errors bound to the ids it sent, nothing it
was refused is stored, what it was acked for is stored once, the others'
lines keep arriving, and the flooder's connection works again once it slows
down. Counts only: no assertion depends on how fast the machine is, beyond
the relay's own token bucket.
"""

from __future__ import annotations

import asyncio
import contextlib

from tests.support.wsclient import RawClient, seed

from server.edge import RelayServer

TIMEOUT = 10
RATE, BURST = 20.0, 10


async def test_a_flooder_is_rate_limited_and_the_others_carry_on(tmp_path):
    async with RelayServer(tmp_path / "data", rate_per_s=RATE, burst=BURST) as relay:
        seeded = seed(relay.store, relay.url)
        store, gid = relay.store, seeded.group_id
        sam_cred, alex_cred, riley_cred = seeded.participants
        async with contextlib.AsyncExitStack() as stack:
            dana = await stack.enter_async_context(RawClient(relay.url, seeded.facilitator.token))
            sam = await stack.enter_async_context(RawClient(relay.url, sam_cred.token))
            alex = await stack.enter_async_context(RawClient(relay.url, alex_cred.token))
            riley = await stack.enter_async_context(RawClient(relay.url, riley_cred.token))
            for c in (dana, sam, alex, riley):
                await c.wait_synced(TIMEOUT)
            assert sam.welcome["limits"]["burst"] == BURST
            head = store.head_seq(gid)

            flood = 300
            ids = [await sam.send("chat.send", {"text": f"flood {i}"}, id=f"flood-{i}") for i in range(flood)]
            alex_acks = []
            for i in range(5):
                alex_acks.append((await alex.command("chat.send", {"text": f"calm {i}"}, timeout=TIMEOUT))["seq"])
            answers = [await sam.wait_ack(cid, TIMEOUT) for cid in ids]

            limited = [a for a in answers if a["kind"] == "error"]
            acked = [a for a in answers if a["kind"] == "ack"]
            assert limited, "a flood of 300 commands was never rate limited"
            assert all(a["code"] == "rate_limited" and a["message"] for a in limited), limited[:3]
            assert len(acked) < flood
            # What was refused is not stored; what was acked is stored exactly once.
            stored = [e for e in store.events_after(gid, head) if e.actor == sam_cred.member_id]
            acked_texts = sorted(f"flood {ids.index(a['id'])}" for a in acked)
            assert sorted(e.data["text"] for e in stored) == acked_texts
            assert sorted(e.seq for e in stored) == sorted(a["seq"] for a in acked)

            # Everyone else got Alex's lines, and every line Sam was acked for, once each.
            last = max(alex_acks + [a["seq"] for a in acked])
            for c in (dana, riley, alex, sam):
                await c.recv_until(lambda f: f.get("kind") == "event" and f["seq"] >= last, TIMEOUT, consume=False)
                seqs = [f["seq"] for f in c.events]
                assert len(seqs) == len(set(seqs))
                assert set(alex_acks) <= set(seqs)
                assert {a["seq"] for a in acked} <= set(seqs)

            # Slowed down, the flooder's connection is usable again.
            for _ in range(50):
                answer = await sam.wait_ack(await sam.send("chat.send", {"text": "calmer now"}), TIMEOUT)
                if answer["kind"] == "ack":
                    break
                await asyncio.sleep(1 / RATE)
            assert answer["kind"] == "ack", answer
            for i in range(5):
                await asyncio.sleep(2 / RATE)
                await sam.command("chat.send", {"text": f"paced {i}"}, timeout=TIMEOUT)
            assert sam.close_code is None


async def test_a_flood_of_bad_frames_is_limited_too_and_costs_others_nothing(tmp_path):
    async with RelayServer(tmp_path / "data", rate_per_s=RATE, burst=BURST) as relay:
        seeded = seed(relay.store, relay.url)
        store, gid = relay.store, seeded.group_id
        async with contextlib.AsyncExitStack() as stack:
            guest = await stack.enter_async_context(RawClient(relay.url, seeded.guest.token))
            dana = await stack.enter_async_context(RawClient(relay.url, seeded.facilitator.token))
            alex = await stack.enter_async_context(RawClient(relay.url, seeded.participants[1].token))
            for c in (guest, dana, alex):
                await c.wait_synced(TIMEOUT)
            await dana.command("session.start", {"title": "Flooded"})
            head = store.head_seq(gid)
            for i in range(500):
                await guest.send_raw(b"\xc1not msgpack" if i % 2 else "text frame")

            async def errors_in() -> None:
                while len([x for x in guest.frames if x.get("kind") == "error"]) < 500:
                    await asyncio.sleep(0.02)

            await asyncio.wait_for(errors_in(), TIMEOUT)
            codes = {f["code"] for f in guest.frames if f.get("kind") == "error"}
            assert codes <= {"rate_limited", "bad_frame"} and "rate_limited" in codes, codes
            lines = [(await alex.command("chat.send", {"text": f"line {i}"}, timeout=TIMEOUT))["seq"] for i in range(5)]
            await dana.recv_until(lambda f: f.get("kind") == "event" and f["seq"] >= lines[-1], TIMEOUT, consume=False)
            assert [e.actor for e in store.events_after(gid, head)] == [seeded.participants[1].member_id] * 5
            assert guest.close_code is None


async def test_more_connections_do_not_multiply_a_members_rate(tmp_path):
    """A member flooding from five connections gets no more than one bucket's worth through.

    The refill rate is made negligible so the bound does not depend on time.
    """
    async with RelayServer(tmp_path / "data", rate_per_s=0.001, burst=BURST) as relay:
        seeded = seed(relay.store, relay.url)
        sam_cred = seeded.participants[0]
        async with contextlib.AsyncExitStack() as stack:
            conns = [await stack.enter_async_context(RawClient(relay.url, sam_cred.token)) for _ in range(5)]
            for c in conns:
                await c.wait_synced(TIMEOUT)
            ids = [[await c.send("chat.send", {"text": f"{n}-{i}"}, id=f"c{n}-{i}") for i in range(2 * BURST)] for n, c in enumerate(conns)]
            answers = [await c.wait_ack(cid, TIMEOUT) for c, cids in zip(conns, ids) for cid in cids]
            acked = [a for a in answers if a["kind"] == "ack"]
            assert len(acked) <= BURST + 1, f"{len(acked)} commands got through for one member with a burst of {BURST}"
