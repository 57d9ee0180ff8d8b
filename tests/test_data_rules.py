"""What the relay stores, and for whom: markers, dates, names, identities,
revocations, file permissions and storage quotas — over real relays, real
SQLite files and the real ``iop-server`` CLI."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from wsclient import RawClient, is_event

TIMEOUT = 10


@contextlib.asynccontextmanager
async def connected(url: str, *creds):
    async with contextlib.AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(RawClient(url, c.token)) for c in creds]
        for c in clients:
            await c.wait_synced()
        yield clients


async def _refusal(client: RawClient, kind: str, data: dict) -> dict:
    start = len(client.frames)
    cid = await client.send(kind, data)
    answer = await client.wait_ack(cid, TIMEOUT, start=start)
    assert answer["kind"] == "error", answer
    return answer


# -- 9.14: the rules' seq marker is not member text -------------------------------


@pytest.mark.parametrize("text", ["$seq", " $seq "])
async def test_a_member_who_writes_exactly_the_seq_marker_keeps_their_words(seeded, text):
    sam_c = seeded.participants[0]
    async with connected(seeded.url, seeded.facilitator, sam_c) as (dana, sam):
        await sam.command("chat.send", {"text": text})
        seen = await dana.recv_until(is_event("chat.posted"))
        assert seen["data"]["text"] == "$seq"
        assert isinstance(seen["data"]["message_id"], int) and seen["data"]["message_id"] == seen["seq"]
    async with RawClient(seeded.url, seeded.facilitator.token) as again:
        await again.wait_synced()
        assert [e["data"]["text"] for e in again.events if e["type"] == "chat.posted"] == ["$seq"]


async def test_a_poll_whose_option_is_the_seq_marker_keeps_it_as_text(seeded):
    async with connected(seeded.url, seeded.facilitator) as (dana,):
        await dana.command("session.start", {"title": "Markers"})
        await dana.command("poll.open", {"question": "$seq", "poll_kind": "single", "options": ["$seq", "two"]})
        opened = await dana.recv_until(is_event("poll.opened"))
        assert opened["data"]["question"] == "$seq" and opened["data"]["options"] == ["$seq", "two"]
        assert opened["data"]["poll_id"] == opened["seq"]


# -- 9.15: one day, one way of writing it -------------------------------------------


async def _emotion_log(dana: RawClient) -> int:
    await dana.command("homework.assign", {"title": "Mood log", "homework_kind": "emotion_log", "due": "2030-01-31"})
    assigned = await dana.recv_until(is_event("homework.assigned"))
    return assigned["data"]["homework_id"]


@pytest.mark.parametrize("day", ["2026-W05-3", "2026-034", "２０２６-０２-０４", "2026-2-4", "20260204"])
async def test_a_date_that_is_not_written_yyyy_mm_dd_is_refused(seeded, day):
    sam_c = seeded.participants[0]
    async with connected(seeded.url, seeded.facilitator, sam_c) as (dana, sam):
        homework_id = await _emotion_log(dana)
        answer = await _refusal(sam, "homework.submit", {"homework_id": homework_id, "log": [{"day": day, "mood": 4}]})
        assert answer["code"] == "invalid"
        assert "YYYY-MM-DD" in answer["message"]
        refused_due = await _refusal(dana, "homework.assign", {"title": "Again", "homework_kind": "text", "due": day.replace("2026", "2031")})
        assert refused_due["code"] == "invalid"


async def test_one_day_cannot_be_logged_twice_under_two_spellings(seeded):
    sam_c = seeded.participants[0]
    async with connected(seeded.url, seeded.facilitator, sam_c) as (dana, sam):
        homework_id = await _emotion_log(dana)
        # 2026-W06-3 is Wednesday 4 February 2026.
        log = [{"day": "2026-02-04", "mood": 4}, {"day": "2026-W06-3", "mood": 9}]
        await _refusal(sam, "homework.submit", {"homework_id": homework_id, "log": log})
        await sam.command("homework.submit", {"homework_id": homework_id, "log": log[:1]})
        stored = await dana.recv_until(is_event("homework.submitted"))
        assert [e["day"] for e in stored["data"]["log"]] == ["2026-02-04"]
