"""The plain face's private replies and session endings, on real sessions over a real relay.

Each member is a :class:`PlainFace` on a real :class:`ClientSession` joined to
the relay fixture over loopback websockets; we type lines into ``handle`` and
read the lines the face wrote, exactly what a screen reader would be given.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from collections.abc import AsyncIterator

from iop_tui.plain.face import PlainFace
from iop_tui.core.session import ClientSession

TIMEOUT = 10.0


class Member:
    def __init__(self, session: ClientSession, face: PlainFace, lines: list[str]) -> None:
        self.session, self.face, self.lines = session, face, lines

    @property
    def model(self) -> Any:
        return self.session.model

    def type(self, line: str) -> int:
        """Type one line; returns how many lines were written before it (to read what follows)."""
        mark = len(self.lines)
        self.face.handle(line)
        return mark

    async def wait_line(self, predicate: Any, what: str, start: int = 0) -> str:
        want = predicate if callable(predicate) else (lambda line: predicate in line)
        await until(lambda: any(want(line) for line in self.lines[start:]), f"{what}; got {self.lines[start:]}")
        return next(line for line in self.lines[start:] if want(line))


async def until(condition: Any, what: str, timeout: float = TIMEOUT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def members(url: str, *tokens: str) -> AsyncIterator[list[Member]]:
    running: list[tuple[Member, asyncio.Task]] = []
    try:
        for token in tokens:
            session = ClientSession(url, token)
            lines: list[str] = []
            face = PlainFace(session, lines.append)
            session.subscribe(face.on_notices)
            task = asyncio.create_task(session.run())
            running.append((Member(session, face, lines), task))
            await until(lambda face=face: face.joined, "a member to join")
        yield [m for m, _ in running]
    finally:
        for m, task in running:
            await m.session.close()
            await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), TIMEOUT)


async def test_a_facilitator_answers_one_member_privately_in_plain_mode(seeded):
    """/reply NAME TEXT reaches that member ("Private from Dana: ...") and the facilitators
    ("Private to Sam from Dana: ..."), never another member; /thread reads the thread."""
    sam_c, alex_c = seeded.participants[0], seeded.participants[1]
    async with members(seeded.url, seeded.facilitator.token, sam_c.token, alex_c.token) as (dana, sam, alex):
        sam.type("/dm can we talk after group?")
        line = await dana.wait_line("Private to facilitators, Sam: can we talk after group?", "Sam's private line at Dana's")
        assert line.endswith("Type /reply Sam and your answer. /thread Sam reads the thread."), line

        mark = dana.type("/reply sam Yes, stay on after group.")
        said = await sam.wait_line("Private from Dana: Yes, stay on after group.", "the reply at Sam's")
        assert said.endswith("Type /reply and your answer."), said
        await dana.wait_line("Private to Sam from Dana: Yes, stay on after group.", "the reply echoed at Dana's", mark)

        sam.type("/reply Thank you.")
        await dana.wait_line("Private to facilitators, Sam: Thank you.", "Sam's answer at Dana's")
        # A name that is nobody, and a facilitator's /reply without text, change nothing.
        head = dana.model.state.head_seq
        mark = dana.type("/reply Morgan are you there?")
        assert dana.lines[mark:] == ["Nobody called Morgan is in the group; type /who to hear the names."]
        mark = dana.type("/reply Sam")
        assert dana.lines[mark:] == ["Type /reply, the member's name and your private line, for example /reply Sam See you after group."]

        mark = dana.type("/thread Sam")
        assert dana.lines[mark:] == [
            "Private thread with Sam, 3 lines, oldest first:",
            "Private to facilitators, Sam: can we talk after group?",
            "Private to Sam from Dana: Yes, stay on after group.",
            "Private to facilitators, Sam: Thank you.",
        ]
        mark = sam.type("/thread")
        assert sam.lines[mark:] == [
            "Your private thread with the facilitators, 3 lines, oldest first:",
            "Private to facilitators, Sam: can we talk after group?",
            "Private from Dana: Yes, stay on after group.",
            "Private to facilitators, Sam: Thank you.",
        ]
        mark = alex.type("/thread")
        assert alex.lines[mark:] == ["You have no private lines with the facilitators yet; /dm writes to them."]
        assert dana.model.state.head_seq == head
        # Alex never received a word of it.
        alex.type("/history")
        assert not [line for line in alex.lines if "after group" in line or "Thank you" in line], alex.lines
        assert [c.thread for c in alex.model.state.chat] == []


async def test_ending_in_plain_mode_asks_a_summary_warns_confirms_and_reveals_the_quiz(seeded):
    """A bare /end ends nothing and asks for a summary; /end SUMMARY warns about the open quiz
    and asks for /end yes; then members hear the quiz's results and the summary."""
    sam_c = seeded.participants[0]
    async with members(seeded.url, seeded.facilitator.token, sam_c.token) as (dana, sam):
        mark = dana.type("/start")
        assert dana.lines[mark:] == ["Type /start and a title for the session, for example /start Week 3; /start --untitled numbers it instead."]
        dana.type("/start Week 3")
        await sam.wait_line("Session started: Week 3.", "the session at Sam's")
        dana.type('/poll open quiz "Which is a thought?" I am bad; It rained correct=1')
        await sam.wait_line("Quiz open", "the quiz at Sam's")
        sam.type("/vote 1")
        await until(lambda: any(p.votes for p in dana.model.state.polls.values()), "Sam's vote at Dana's")

        mark = dana.type("/end")
        assert dana.lines[mark:] == ["To end the session, type /end and a one line summary, or /end --no-summary."]  # spoken: no "dash"
        mark = dana.type("/end yes")
        assert dana.lines[mark:] == ["There is nothing to confirm yet; type /end and a one line summary first."]
        mark = dana.type("/end We named our thinking traps.")
        assert dana.lines[mark:] == [
            "End Week 3 for everyone, with the summary: We named our thinking traps. "
            "1 quiz is still open: /end yes reveals its results to the group and ends; "
            "/end yes --no-reveal ends without them; /end no keeps the session running."
        ]
        mark = dana.type("/end no")
        assert dana.lines[mark:] == ["The session keeps running."]
        await asyncio.sleep(0.1)
        assert dana.model.state.session is not None and sam.model.state.session is not None

        dana.type("/end We named our thinking traps.")
        sam_mark = len(sam.lines)
        dana.type("/end yes")
        results = await sam.wait_line(lambda line: line.startswith("Poll results, Which is a thought?"), "the quiz's results at Sam's", sam_mark)
        assert "1 vote for I am bad, the correct answer" in results
        await sam.wait_line("Session ended. Summary: We named our thinking traps.", "the summary at Sam's", sam_mark)
        assert [p.status for p in sam.model.state.polls.values()] == ["revealed"]
        ended = sam.lines[sam_mark:]
        assert ended.index(results) < ended.index("Session ended. Summary: We named our thinking traps.")


async def test_plain_end_without_summary_or_polls_still_confirms(seeded):
    async with members(seeded.url, seeded.facilitator.token) as (dana,):
        dana.type("/start Week 4")
        await until(lambda: dana.model.state.session is not None, "the session")
        mark = dana.type("/end --no-summary")
        assert dana.lines[mark:] == ["End Week 4 for everyone, without a summary? /end yes ends it; /end no keeps it running."]
        dana.type("/end yes")
        await dana.wait_line("Session ended.", "the end", mark)
        assert dana.model.state.sessions[-1].summary == ""
