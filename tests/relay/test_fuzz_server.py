"""Server-level fuzz: bad frames of every sort against a live relay with a group in session.

Every bad frame gets an ``error`` frame with a known code (bound to the
command id when the id could be read), the connection stays open, the relay
stays up, the store gains no event from a refused frame, and two bystanders
keep chatting and receiving throughout. Frames are generated from
:data:`protocol.messages.COMMANDS` (see ``tests/support/fuzzframes.py``), so a new
command kind or field is fuzzed automatically. The protocol layer's own
property tests live in ``tests/test_protocol.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import random

import pytest
from tests.support.fuzzframes import field_cases, malformed_messages, pack, random_message
from tests.support.wsclient import RawClient, is_kind, seed

from protocol.codec import MAX_FRAME_BYTES
from protocol.errors import ErrorCode
from protocol.messages import PROTOCOL_VERSION
from server.edge import RelayServer

TIMEOUT = 10


@pytest.fixture
async def relay_fast(tmp_path):
    """A relay whose rate limit stays out of the way: each frame gets its own error."""
    async with RelayServer(tmp_path / "data", rate_per_s=100_000, burst=100_000) as server:
        yield server


class Bystanders:
    """Sam chats to the group without pause; Alex must receive every line Sam got an ack for."""

    def __init__(self, url: str, seeded) -> None:
        self.url = url
        self.seeded = seeded
        self.acked: list[int] = []
        self.sent = 0
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> Bystanders:
        self._stack = contextlib.AsyncExitStack()
        sam_cred, alex_cred = self.seeded.participants[:2]
        self.sam = await self._stack.enter_async_context(RawClient(self.url, sam_cred.token))
        self.alex = await self._stack.enter_async_context(RawClient(self.url, alex_cred.token))
        await self.sam.wait_synced()
        await self.alex.wait_synced()
        self._task = asyncio.create_task(self._chat())
        return self

    async def _chat(self) -> None:
        while not self._stop.is_set():
            self.sent += 1
            ack = await self.sam.command("chat.send", {"text": f"still here {self.sent}"}, timeout=TIMEOUT)
            self.acked.append(ack["seq"])
            await asyncio.sleep(0.005)

    async def __aexit__(self, *exc) -> None:
        self._stop.set()
        if self._task is not None:
            await asyncio.wait_for(self._task, TIMEOUT)
        await self._stack.aclose()

    async def verify(self) -> None:
        """Let Sam chat a few more lines, stop, then check Alex got every acked line exactly once."""
        target = len(self.acked) + 3

        async def more() -> None:
            while len(self.acked) < target and not self._task.done():
                await asyncio.sleep(0.01)

        await asyncio.wait_for(more(), TIMEOUT)
        self._stop.set()
        await asyncio.wait_for(self._task, TIMEOUT)
        last = self.acked[-1]
        await self.alex.recv_until(lambda f: f.get("kind") == "event" and f["seq"] >= last, TIMEOUT, consume=False)
        sam_id = self.seeded.participants[0].member_id
        got = [f["seq"] for f in self.alex.events if f["type"] == "chat.posted" and f["actor"] == sam_id]
        assert got == self.acked, "a bystander's lines were lost or repeated during the fuzz"


async def session_in_progress(url: str, seeded) -> RawClient:
    """Dana starts a session and opens a poll; returns her (open) client."""
    dana = RawClient(url, seeded.facilitator.token)
    await dana.__aenter__()
    await dana.command("session.start", {"title": "Fuzzed"})
    await dana.command("phase.set", {"phase": "discussion"})
    await dana.command("poll.open", {"question": "Ok?", "poll_kind": "single", "options": ["yes", "no"]})
    return dana


def fuzzer_events(store, group_id: int, after: int, member_id: int) -> list:
    return [e for e in store.events_after(group_id, after) if e.actor == member_id]


async def answer_of(client: RawClient, message) -> dict:
    await client.send_raw(message)
    return await client.recv_until(is_kind("error"), TIMEOUT)


async def still_works(client: RawClient) -> None:
    """The fuzzed connection still takes a valid command."""
    answer = await client.wait_ack(await client.send("chat.send", {"text": "after the fuzz"}), TIMEOUT)
    assert answer["kind"] == "ack", answer


async def test_wrong_types_for_every_field_of_every_command(relay_fast):
    seeded = seed(relay_fast.store, relay_fast.url)
    store, gid = relay_fast.store, seeded.group_id
    dana = await session_in_progress(relay_fast.url, seeded)
    try:
        async with Bystanders(relay_fast.url, seeded) as by:
            head = store.head_seq(gid)
            cases = list(field_cases())
            assert len(cases) > 300
            wrong = []
            for kind, name, bad, frame in cases:
                answer = await answer_of(dana, pack(frame))
                if answer.get("id") != frame["id"] or answer.get("code") not in (ErrorCode.INVALID, ErrorCode.BAD_FRAME):
                    wrong.append((kind, name, repr(bad)[:40], answer))
            assert not wrong, f"{len(wrong)} bad fields not refused as invalid: {wrong[:10]}"
            assert fuzzer_events(store, gid, head, seeded.facilitator.member_id) == []
            await by.verify()
            await still_works(dana)
    finally:
        await dana.close()


EXPECTED = {
    "text frame": {ErrorCode.BAD_FRAME},
    "text frame json": {ErrorCode.BAD_FRAME},
    "string over the frame limit": {ErrorCode.TOO_LARGE},
    "unknown kind": {ErrorCode.UNKNOWN_KIND},
    "server frame kind": {ErrorCode.UNKNOWN_KIND},
    "ack kind": {ErrorCode.UNKNOWN_KIND},
    "hello again": {ErrorCode.HANDSHAKE},
    "hello other version": {ErrorCode.HANDSHAKE, ErrorCode.UNSUPPORTED_VERSION},
    "no id": {ErrorCode.BAD_FRAME},
    "id not text": {ErrorCode.BAD_FRAME},
    "id too long": {ErrorCode.BAD_FRAME},
}
#: Labels whose command id the relay can read, so the error must carry it.
WITH_ID = {"unknown kind": "u1", "server frame kind": "u2", "ack kind": "u3", "float nan": "nan", "huge int": "hi", "negative int": "ni", "binary value": None}


async def test_malformed_frames_get_coded_errors_and_change_nothing(relay_fast):
    seeded = seed(relay_fast.store, relay_fast.url)
    store, gid = relay_fast.store, seeded.group_id
    dana = await session_in_progress(relay_fast.url, seeded)
    try:
        async with Bystanders(relay_fast.url, seeded) as by:
            head = store.head_seq(gid)
            wrong = []
            messages = list(malformed_messages())
            for label, message in messages:
                answer = await answer_of(dana, message)
                code = answer.get("code")
                ok = code in EXPECTED.get(label, set(ErrorCode) - {ErrorCode.INTERNAL, ErrorCode.RATE_LIMITED})
                if label in WITH_ID and WITH_ID[label] is not None and answer.get("id") != WITH_ID[label]:
                    ok = False
                if not isinstance(answer.get("message"), str) or not answer["message"]:
                    ok = False
                if not ok:
                    wrong.append((label, answer))
            assert not wrong, wrong
            rng = random.Random(20261128)
            for i in range(1500):
                answer = await answer_of(dana, random_message(rng, i))
                assert answer.get("code") in set(ErrorCode) - {ErrorCode.INTERNAL}, answer
            assert fuzzer_events(store, gid, head, seeded.facilitator.member_id) == []
            await by.verify()
            await still_works(dana)
    finally:
        await dana.close()


async def test_a_message_beyond_the_socket_limit_closes_only_that_connection(relay_fast):
    seeded = seed(relay_fast.store, relay_fast.url)
    dana = await session_in_progress(relay_fast.url, seeded)
    try:
        async with Bystanders(relay_fast.url, seeded) as by:
            async with RawClient(relay_fast.url, seeded.participants[2].token) as riley:
                await riley.wait_synced()
                await riley.send_raw(pack({"kind": "chat.send", "id": "huge", "data": {"text": "q" * (5 * MAX_FRAME_BYTES)}}))
                assert await riley.wait_closed(TIMEOUT) == 1009
            await by.verify()
            await still_works(dana)
            assert not [e for e in relay_fast.store.events_after(seeded.group_id, 0) if "q" * 100 in str(e.data)]
    finally:
        await dana.close()


@pytest.mark.parametrize(
    "first, code, close",
    [
        (pack({"kind": "chat.send", "id": "c1", "data": {"text": "before hello"}}), ErrorCode.HANDSHAKE, 1008),
        ("hello as text", ErrorCode.BAD_FRAME, 1008),
        (b"\xc1garbage", ErrorCode.BAD_FRAME, 1008),
        (pack([1, 2, 3]), ErrorCode.BAD_FRAME, 1008),
        (pack({"kind": "hello", "v": PROTOCOL_VERSION + 1, "token": "t"}), ErrorCode.UNSUPPORTED_VERSION, 4002),
        (pack({"kind": "hello", "v": "1", "token": "t"}), ErrorCode.BAD_FRAME, 1008),
        (pack({"kind": "hello", "v": PROTOCOL_VERSION, "token": 12345}), ErrorCode.UNAUTHORIZED, 4001),
        (pack({"kind": "hello", "v": PROTOCOL_VERSION, "token": "x" * 500}), ErrorCode.UNAUTHORIZED, 4001),
        (pack({"kind": "hello", "v": PROTOCOL_VERSION, "token": "t", "resume_from": -1}), ErrorCode.BAD_FRAME, 1008),
        (pack({"kind": "hello", "v": PROTOCOL_VERSION, "token": "t", "resume_from": "5"}), ErrorCode.BAD_FRAME, 1008),
        (pack({"kind": "hello", "v": PROTOCOL_VERSION, "token": "t", "resume_from": 2**64 - 1}), ErrorCode.UNAUTHORIZED, 4001),
    ],
)
async def test_bad_first_frames_are_refused_with_a_code(relay_fast, first, code, close):
    seeded = seed(relay_fast.store, relay_fast.url)
    head = relay_fast.store.head_seq(seeded.group_id)
    async with Bystanders(relay_fast.url, seeded) as by:
        async with RawClient(relay_fast.url, "", hello=False) as c:
            await c.send_raw(first)
            answer = await c.recv_until(is_kind("error"), TIMEOUT)
            assert answer["code"] == code, answer
            assert await c.wait_closed(TIMEOUT) == close
            assert not [f for f in c.frames if f.get("kind") in ("welcome", "event", "ack")]
        await by.verify()
    assert [e.actor for e in relay_fast.store.events_after(seeded.group_id, head)] == [seeded.participants[0].member_id] * len(by.acked)


async def test_a_valid_token_with_a_huge_resume_point_resets_instead_of_crashing(relay_fast):
    seeded = seed(relay_fast.store, relay_fast.url)
    dana = await session_in_progress(relay_fast.url, seeded)
    try:
        for resume in (2**31, 2**63 - 1, 2**64 - 1):
            async with RawClient(relay_fast.url, seeded.participants[0].token, resume_from=resume) as c:
                synced = await c.wait_synced(TIMEOUT)
                assert c.welcome["mode"] == "reset", (resume, c.welcome)
                assert synced["head_seq"] == relay_fast.store.head_seq(seeded.group_id)
        await still_works(dana)
    finally:
        await dana.close()


async def test_interleaved_fuzz_from_many_connections_leaves_the_session_intact(relay_fast):
    """Three members fuzz at once, without waiting for answers; each gets one error per frame."""
    seeded = seed(relay_fast.store, relay_fast.url)
    store, gid = relay_fast.store, seeded.group_id
    dana = await session_in_progress(relay_fast.url, seeded)
    try:
        async with Bystanders(relay_fast.url, seeded) as by:
            head = store.head_seq(gid)
            fuzzers = [seeded.facilitator, seeded.participants[2], seeded.guest]
            count = 400

            async def fuzz(cred, seed_value: int) -> None:
                rng = random.Random(seed_value)
                async with RawClient(relay_fast.url, cred.token) as c:
                    await c.wait_synced()
                    for i in range(count):
                        await c.send_raw(random_message(rng, i))
                    async def all_answered() -> None:
                        while len([f for f in c.frames if f.get("kind") == "error"]) < count:
                            await asyncio.sleep(0.02)
                    await asyncio.wait_for(all_answered(), TIMEOUT)
                    errors = [f for f in c.frames if f.get("kind") == "error"]
                    assert len(errors) == count, f"{cred.name}: {len(errors)} errors for {count} bad frames"
                    assert all(f["code"] in set(ErrorCode) - {ErrorCode.INTERNAL} for f in errors)
                    answer = await c.wait_ack(await c.send("chat.send", {"text": "fuzzer still here"}), TIMEOUT)
                    assert answer["kind"] == "ack", answer

            await asyncio.wait_for(asyncio.gather(*(fuzz(c, i) for i, c in enumerate(fuzzers))), 60)
            stored = store.events_after(gid, head)
            from_fuzzers = [e for e in stored if e.actor in {c.member_id for c in fuzzers}]
            assert [e.data["text"] for e in from_fuzzers] == ["fuzzer still here"] * 3
            await by.verify()
    finally:
        await dana.close()
