"""One set of words and rules in both faces (issue 8 items 9 and 11), over a real relay.

A PlainFace runs on a real ClientSession joined to the relay on a loopback
port; what it prints is read back line by line.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from contextlib import asynccontextmanager
from collections.abc import AsyncIterator

import pytest

from iop_tui.plain.face import PlainFace
from iop_tui.core.plan import PlanError, resolve_due
from iop_tui.core.session import ClientSession
from protocol.errors import ProtocolError
from protocol.messages import parse_command


class Plain:
    def __init__(self, face: PlainFace, lines: list[str]) -> None:
        self.face, self.lines = face, lines

    @property
    def state(self):
        return self.face.model.state

    async def until(self, condition, what: str, timeout: float = 10.0):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition():
            if loop.time() > deadline:
                raise AssertionError(f"timed out waiting for {what}; said: {self.lines[-5:]}")
            await asyncio.sleep(0.02)

    async def said(self, fragment: str, what: str = "") -> str:
        await self.until(lambda: any(fragment in line for line in self.lines), what or repr(fragment))
        return next(line for line in self.lines if fragment in line)

    async def type(self, line: str) -> None:
        self.face.handle(line)
        await asyncio.sleep(0.05)


@asynccontextmanager
async def plain(url: str, token: str) -> AsyncIterator[Plain]:
    session = ClientSession(url, token)
    lines: list[str] = []
    face = PlainFace(session, lines.append)
    session.subscribe(face.on_notices)
    task = asyncio.create_task(session.run())
    p = Plain(face, lines)
    try:
        await p.until(lambda: face.joined, "the join")
        yield p
    finally:
        await session.close()
        await asyncio.wait_for(task, 5)


async def test_plain_delete_says_what_it_would_delete_and_needs_yes(seeded) -> None:
    sam = seeded.participants[0]
    async with plain(seeded.url, seeded.facilitator.token) as dana, plain(seeded.url, sam.token) as s:
        await dana.type("/start Week 3")
        await s.until(lambda: s.state.session is not None, "the session")
        await s.type("I slept badly again")
        await dana.until(lambda: dana.state.chat, "Sam's line")
        n = dana.state.chat[-1].message_id
        await dana.type(f"/delete {n}")
        assert dana.lines[-1] == f"Delete Sam's message 'I slept badly again'? Type /delete {n} yes"
        await asyncio.sleep(0.3)
        assert not dana.state.chat[-1].deleted, "a bare /delete N deleted at once"
        await dana.type(f"/delete {n} yes")
        await dana.until(lambda: dana.state.chat[-1].deleted, "the deletion")
        await s.said("Message deleted: a chat line from Sam")


def test_one_due_date_parser_reads_plus_n_with_or_without_days() -> None:
    today = dt.date(2026, 12, 1)
    assert resolve_due("+7", today) == "2026-12-08"
    assert resolve_due("+7 days", today) == "2026-12-08"
    assert resolve_due("+1 day", today) == "2026-12-02"
    assert resolve_due("2026-12-24", today) == "2026-12-24"
    for bad in ("next week", "+", "2026-W05-3", "+7 weeks"):
        with pytest.raises(PlanError) as err:
            resolve_due(bad, today)
        assert "YYYY-MM-DD" in str(err.value) and "+7" in str(err.value)


async def test_plain_assign_takes_plus_seven_without_days(seeded) -> None:
    async with plain(seeded.url, seeded.facilitator.token) as dana:
        await dana.type('/assign text +7 "Thought record" Write one down.')
        await dana.until(lambda: dana.state.homework, "the homework")
        hw = next(iter(dana.state.homework.values()))
        assert hw.due == (dt.date.today() + dt.timedelta(days=7)).isoformat()


async def test_hand_raises_in_both_faces_and_lower_lowers(seeded) -> None:
    sam = seeded.participants[0]
    async with plain(seeded.url, seeded.facilitator.token) as dana, plain(seeded.url, sam.token) as s:
        await dana.type("/start Week 3")
        await s.until(lambda: s.state.session is not None, "the session")
        await s.type("/hand")
        await s.until(lambda: s.state.hands, "the hand")
        await s.type("/hand")
        assert s.lines[-1] == "Your hand is already raised; /lower lowers it."
        await asyncio.sleep(0.3)
        assert s.state.hands, "a second /hand lowered the hand"
        await s.type("/lower")
        await s.until(lambda: not s.state.hands, "the hand to go down")


async def test_a_facilitators_quiz_line_numbers_the_poll_once(seeded) -> None:
    async with plain(seeded.url, seeded.facilitator.token) as dana:
        await dana.type("/start Week 3")
        await dana.until(lambda: dana.state.session is not None, "the session")
        await dana.type('/poll open single "Warm up?" yes; no')
        await dana.type('/poll open scale "How are you?"')
        await dana.type('/close 1')
        await dana.type('/poll open quiz "Which trap?" Labelling; Mind reading correct=1')
        line = await dana.said("Which trap?")
        assert line.startswith("Quiz open: Which trap?"), line
        assert "of 2" not in line and line.endswith("It is poll 3."), line  # the /close hint waits for everyone's votes


async def test_status_between_phases_reads_well(seeded) -> None:
    async with plain(seeded.url, seeded.facilitator.token) as dana:
        await dana.type("/start Week 3")
        await dana.until(lambda: dana.state.session is not None, "the session")
        await dana.type("/status")
        line = await dana.said("Session Week 3 is live")
        assert line == "Session Week 3 is live; no phase chosen yet.", line
        await dana.type("/phase discussion")
        await dana.until(lambda: dana.state.phase == "discussion", "the phase")
        await dana.type("/status")
        assert dana.lines[-1] == "Session Week 3 is live, phase discussion."


async def test_me_reads_as_the_persons_name_and_a_verb(seeded) -> None:
    sam = seeded.participants[0]
    async with plain(seeded.url, sam.token) as s:
        await s.type("/me nods")
        line = await s.said("nods")
        assert line == "Chat: Sam nods", line


async def test_plain_round_between_sessions_says_no_session(seeded) -> None:
    sam = seeded.participants[0]
    async with plain(seeded.url, seeded.facilitator.token) as dana, plain(seeded.url, sam.token) as s:
        await dana.type("/start Week 3")
        await s.until(lambda: s.state.session is not None, "the session")
        await s.type("/checkin 5 calm")
        await dana.until(lambda: dana.state.checkins, "the check-in")
        await dana.type("/end --no-summary")
        await dana.type("/end yes")
        await dana.until(lambda: dana.state.session is None, "the end")
        await dana.type("/round")
        assert dana.lines[-1] == "No session is running; the round starts with the next session."


@pytest.mark.parametrize(
    "kind, data, sentence",
    [
        ("deck.load", {"markdown": "x" * 60_001}, "The deck is too long: at most 60,000 characters."),
        ("chat.send", {"text": "x" * 2001}, "A chat line is too long: at most 2,000 characters."),
        ("homework.submit", {"homework_id": 1, "text": "x" * 60_001}, "A homework answer is too long: at most 60,000 characters."),
        ("poll.open", {"question": "q" * 301, "poll_kind": "scale"}, "A poll question is too long: at most 300 characters."),
        ("checkin.submit", {"mood": 4, "feelings": ["f" * 41]}, "A feeling word is too long: at most 40 characters."),
        ("checkin.submit", {"mood": 4, "feelings": ["ok"] * 9}, "A check-in has too many feeling words: at most 8."),
    ],
)
def test_a_limit_is_said_as_a_friendly_sentence(kind, data, sentence) -> None:
    with pytest.raises(ProtocolError) as err:
        parse_command({"kind": kind, "id": "c1", "data": data})
    assert err.value.message == sentence


def test_every_limited_field_has_a_friendly_name_in_the_one_table() -> None:
    from protocol.messages import COMMANDS, LIMIT_WORDS

    def walk(kind, fields, prefix=""):
        for f in fields:
            path = prefix + f.name
            if f.type in ("str", "list") and f.max_len is not None and f.choices is None:
                yield kind, path, f.type
            if f.type == "list" and f.item is not None:
                item = f.item
                if item.type == "str" and item.max_len is not None:
                    yield kind, path + "[]", "str"
                if item.type == "dict":
                    yield from walk(kind, item.fields, path + "[].")

    missing = [(k, p) for kind, fields in COMMANDS.items() for k, p, _ in walk(kind, fields) if (k, p) not in LIMIT_WORDS]
    assert not missing, f"limits with no sentence: {missing}"
