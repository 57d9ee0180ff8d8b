"""The facilitator's kit over a real relay, typed in the plain face (issue 14 part A).

Four people join one relay on loopback, each a real :class:`ClientSession`
with a :class:`PlainFace`, and type what a person would: guided journaling
(private to each member, the facilitator hearing only counts until a member
shares), a go-around (whose turn, who is next, a pass, a skip), airtime for
the facilitator only, a nudge and a slowed pace with its sentence.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field


from iop_tui.core.session import ClientSession
from iop_tui.plain.face import PlainFace
from server.edge import RelayServer
from tests.support.plainface import TIMEOUT, until
from tests.support.wsclient import seed


@dataclass
class Person:
    name: str
    face: PlainFace
    session: ClientSession
    lines: list[str] = field(default_factory=list)

    def said_since(self, mark: int) -> list[str]:
        return self.lines[mark:]


@contextlib.asynccontextmanager
async def _room(tmp_path) -> AsyncIterator[tuple[RelayServer, dict[str, Person]]]:
    async with RelayServer(tmp_path / "data", rate_per_s=1000, burst=1000) as relay:
        seeded = seed(relay.store, relay.url)
        people: dict[str, Person] = {}
        tasks = []
        try:
            for cred in (seeded.facilitator, *seeded.participants):
                session = ClientSession(relay.url, cred.token)
                lines: list[str] = []
                face = PlainFace(session, lines.append)
                session.subscribe(face.on_notices)
                tasks.append(asyncio.create_task(session.run()))
                people[cred.name] = Person(cred.name, face, session, lines)
                await until(lambda face=face: face.joined, f"{cred.name} to join")
            yield relay, people
        finally:
            for person in people.values():
                await person.session.close()
            for task in tasks:
                await asyncio.wait_for(task, TIMEOUT)


async def _type(person: Person, line: str, people: dict[str, Person]) -> list[str]:
    """Type a line; wait until the relay answered it and everyone holds the relay's head."""
    mark = len(person.lines)
    person.face.handle(line)
    await until(lambda: not person.session.pending, f"the relay to answer {line!r}")
    # The relay fans out before it acks; the others' reads come a moment later
    # (what they may not see never comes, so there is no head to wait for).
    await asyncio.sleep(0.15)
    return person.said_since(mark)


def _all(person: Person) -> str:
    return "\n".join(person.lines)


async def test_journaling_is_private_to_each_member_and_the_facilitator_hears_only_counts_until_shared(tmp_path):
    async with _room(tmp_path) as (_relay, p):
        dana, sam, alex, riley = p["Dana"], p["Sam"], p["Alex"], p["Riley"]
        await _type(dana, "/start Week 3", p)
        await _type(dana, "/journal open thought-record 15", p)
        assert any("Journaling, for 15 minutes: Thought record. It asks 6 questions: 1, Situation" in line for line in sam.lines), sam.lines
        await _type(sam, "/journal SECRET-SAM at work, a meeting", p)
        await _type(sam, "/journal 2 SECRET-SAM-THOUGHT I will be fired", p)
        said = await _type(alex, "/journal SECRET-ALEX on the bus", p)
        assert any(line.startswith("Saved in your journal: Thought record.") for line in said), said
        await _type(alex, "/journal done", p)
        # The plain face says a count only when everyone is done (each change in verbosity all); /journal reads them.
        assert not any(line.startswith("Journaling: ") for line in dana.lines), dana.lines[-5:]
        counts = await _type(dana, "/journal", p)
        assert counts == ["Thought record (open): 1 of 3 writing, 1 done."], counts
        for reader in (dana, riley):
            assert "SECRET-" not in _all(reader), f"{reader.name} read an unshared entry"
        assert "SECRET-ALEX" not in _all(sam) and "SECRET-SAM" not in _all(alex)
        mine = await _type(sam, "/journal", p)
        assert "Question 1, Situation: where were you, what was happening?: SECRET-SAM at work, a meeting" in mine, mine
        # Alex shares with the facilitators: Dana reads it, Sam and Riley do not.
        await _type(alex, "/journal share facilitators", p)
        assert any(line.startswith("Journal entry shared with the facilitators, Alex, Thought record: Situation: SECRET-ALEX on the bus") for line in dana.lines), dana.lines[-3:]
        assert "SECRET-ALEX" not in _all(sam) + _all(riley)
        await _type(riley, "/journal SECRET-RILEY missed the bus", p)
        await _type(riley, "/journal done", p)
        await _type(sam, "/journal done", p)
        assert "Journaling: all 3 done." in dana.lines, dana.lines[-3:]
        assert "SECRET-RILEY" not in _all(dana)
        # Live, replay and export for every role: tests/relay/test_access.py (the role x audience matrix).
        # Across sessions: the entry stays in Sam's journal.
        await _type(dana, "/end --no-summary", p)
        await _type(dana, "/end yes", p)
        mine = await _type(sam, "/journal", p)
        assert any(line.startswith("1, Thought record (finished): Situation: SECRET-SAM at work") for line in mine), mine


async def test_a_goround_says_whose_turn_and_who_is_next_and_takes_a_pass_and_a_skip(tmp_path):
    async with _room(tmp_path) as (_relay, p):
        dana, sam, alex, riley = p["Dana"], p["Sam"], p["Alex"], p["Riley"]
        await _type(dana, "/start Week 3", p)
        await _type(dana, "/goround 2 One word for today?", p)
        assert any("Go around: One word for today? Order: Sam, Alex, Riley. It is your turn. About 2 minutes each. Type /goround pass to pass." == line for line in sam.lines), sam.lines[-3:]
        assert any(line.endswith("Sam, it is your turn. About 2 minutes each. You are next.") for line in alex.lines), alex.lines[-3:]
        refused = await _type(alex, "/goround pass", p)
        assert refused == ["It is not your turn yet; you can pass when it comes."]
        await _type(sam, "/goround pass", p)
        assert any(line.startswith("Sam passed. Alex, it is your turn.") and line.endswith("Riley is next.") for line in dana.lines), dana.lines[-3:]
        await _type(dana, "/goround skip", p)
        assert any(line.startswith("You were skipped. Riley, it is your turn.") for line in alex.lines), alex.lines[-3:]
        status = await _type(riley, "/goround", p)
        assert status[0] == "Go around: One word for today?" and status[-1] == "So far: Sam passed, Alex skipped.", status
        await _type(dana, "/goround next", p)
        assert any(line.startswith("Thank you, Riley.") for line in sam.lines), sam.lines[-3:]
        assert "Go around finished: everyone has had a turn." in riley.lines
        assert await _type(dana, "/goround next", p) == ["No go around is running."]


async def test_airtime_is_for_facilitators_and_a_slowed_member_is_told_the_pace(tmp_path):
    async with _room(tmp_path) as (_relay, p):
        dana, sam, alex = p["Dana"], p["Sam"], p["Alex"]
        await _type(dana, "/start Week 3", p)
        await _type(dana, "/phase discussion", p)
        for _ in range(3):
            await _type(sam, "I want to say a lot about my week today", p)
        await _type(alex, "me too", p)
        said = await _type(dana, "/airtime", p)
        assert said[0] == "Airtime this session, group chat, 32 words in all:", said
        assert said[1] == "Sam 94 percent of words: 3 lines, 30 words, 1 turn.", said
        assert said[2] == "Alex 6 percent of words: 1 line, 2 words, 1 turn.", said
        assert said[3:] == ["Riley has not spoken."], said
        assert (await _type(sam, "/airtime", p)) == ["As a participant you cannot read members' airtime."]
        await _type(dana, "/nudge Sam Let's leave room for the others.", p)
        assert "A private nudge from Dana: Let's leave room for the others." in sam.lines
        assert not any("nudge" in line for line in alex.lines)
        await _type(dana, "/slow Sam 60", p)
        assert "Dana has asked you to pace yourself: one line to the group every 60 seconds. Private lines to the facilitators are not limited." in sam.lines
        said = await _type(sam, "one more thing", p)
        assert any(line.startswith("A facilitator has asked you to pace yourself: one line to the group every 60 seconds. Your line was not sent; send it again in") for line in said), said
        said = await _type(sam, "/dm sorry, I get carried away", p)
        assert not any("pace" in line for line in said), said
        await _type(dana, "/slow Sam off", p)
        assert "Your pace is no longer limited." in sam.lines
        said = await _type(sam, "one more thing", p)
        assert not any("pace" in line for line in said), said
        await _type(alex, "/hand", p)
        await _type(sam, "/hand", p)
        said = await _type(dana, "/airtime hands", p)
        assert said[0] == "Raised hands, quietest first:" and said[1].startswith("Alex: 2 words this session, number 1") and said[2].startswith("Sam:"), said
