"""Shared boards, moods over sessions and the timed agenda, over a real relay, in the plain face.

Each member is a PlainFace on a real ClientSession over loopback, typing the
same lines a person types; the relay's SQLite file is what is checked for
what was stored. The role x audience matrix for anonymous boards (live, replay,
export) is in tests/relay/test_access.py, with every other private audience.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

from iop_tui.core import words
from iop_tui.core.session import ClientSession
from iop_tui.plain.face import PlainFace
from protocol.board import MAX_CARDS
from tests.support.plainface import TIMEOUT
from tests.support.plainface import until as _until  # a test here has its own local "until"
from tests.support.wsclient import Cred, seed


class Person:
    def __init__(self, face: PlainFace, session: ClientSession, lines: list[str]) -> None:
        self.face, self.session, self.lines = face, session, lines

    async def type(self, line: str) -> list[str]:
        """Type a line; wait for the relay to answer it; the lines said since."""
        mark = len(self.lines)
        self.face.handle(line)
        await _until(lambda: not self.session.pending, f"the relay to answer {line!r}")
        await asyncio.sleep(0.05)  # the events of the answer reach the others too
        return self.lines[mark:]

    def said(self, line: str) -> list[str]:
        mark = len(self.lines)
        self.face.handle(line)
        return self.lines[mark:]


@contextlib.asynccontextmanager
async def people(url: str, *creds: Cred) -> AsyncIterator[list[Person]]:
    out, tasks = [], []
    try:
        for cred in creds:
            session = ClientSession(url, cred.token)
            lines: list[str] = []
            face = PlainFace(session, lines.append)
            session.subscribe(face.on_notices)
            tasks.append(asyncio.create_task(session.run()))
            out.append(Person(face, session, lines))
            await _until(lambda face=face: face.joined, f"{cred.name} to join")
        yield out
    finally:
        for person in out:
            person.face.close()
            await person.session.close()
        for task in tasks:
            await asyncio.wait_for(task, TIMEOUT)


async def test_members_brainstorm_on_an_anonymous_board_and_read_it_as_an_outline(relay):
    g = seed(relay.store, relay.url)
    dana_c, sam_c, alex_c = g.facilitator, g.participants[0], g.participants[1]
    async with people(relay.url, dana_c, sam_c, alex_c) as (dana, sam, alex):
        await dana.type("/start Week 4")
        await dana.type('/board open "What helps" What helps; What I will try anonymous')
        await _until(lambda: any(line.startswith("Board open: What helps, anonymous") for line in alex.lines), "Alex to hear the board")
        await sam.type("/card helps Walking after dinner")
        await sam.type("/card 2 Call my sister on Sunday")
        await alex.type("/card helps Tea before bed")
        await alex.type("/plus 1")
        assert any(line.startswith("Card 1, What helps: Walking after dinner") for line in alex.lines), alex.lines
        assert "Your card 1, What helps: Walking after dinner" in sam.lines  # the writer learns it is theirs first
        assert "Card 1, What helps, by Sam: Walking after dinner" in dana.lines  # so does a facilitator, live
        # Alex's outline: the cards, the +1, no name of who wrote them.
        outline = alex.said("/board")
        assert outline[0] == "Board: What helps, anonymous: no member sees who wrote a card; two columns, three cards."
        assert "Card 1: Walking after dinner. 1 +1, you gave a +1." in " ".join(outline)
        assert "Sam" not in " ".join(outline)
        assert "Card 3: Tea before bed. Yours." in " ".join(outline)
        # Sam knows his own cards; Dana knows every writer (safety first).
        assert "Card 1: Walking after dinner. 1 +1, yours." in " ".join(sam.said("/board"))
        facilitator_view = " ".join(dana.said("/board"))
        assert "Card 1: Walking after dinner. 1 +1, by Sam." in facilitator_view
        assert "Card 3: Tea before bed. By Alex." in facilitator_view
        # Members edit and remove only their own cards; the facilitator moves and merges.
        assert alex.said("/card edit 1 Running") == ["Card 1 is not yours; you can edit only your own cards."]
        assert alex.said("/card remove 1") == ["Card 1 is not yours; you can remove only your own cards."]
        assert alex.said("/card move 1 2") == ["As a participant you cannot move cards between columns."]
        await sam.type("/card edit 1 Walking after dinner, even ten minutes")
        await dana.type("/card move 3 2")
        await dana.type("/card merge 3 2")
        outline = " ".join(alex.said("/board"))
        assert "Column 2, What I will try: one card:" in outline
        assert "Card 2: Call my sister on Sunday. Also: Tea before bed." in outline
        assert "Card 1: Walking after dinner, even ten minutes." in outline
        refused = await alex.type("/plus 1")
        assert refused[-2].startswith("You have already given card 1 a +1")
        assert refused[-1] == words.returned_line_text("/plus 1"), "the line given back, after the refusal"
        # Clearing asks first; the answer "yes" clears.
        assert dana.said("/board clear") == ["Clear the whole board What helps? Its two cards go from the board (they stay in the session's log). Type /board clear yes"]
        await dana.type("/board clear yes")
        assert alex.said("/board")[0] == "Board: What helps, anonymous: no member sees who wrote a card; two columns, no cards."
    # Saved with the session: the log holds every card event; no group event names Sam.
    events = relay.store.events_after(g.group_id, 0)
    for e in events:
        if e.type.startswith(("card.", "board.")) and e.audience == "members":
            assert e.actor in (0, dana_c.member_id) and "member_id" not in e.data, e
    assert [e.data["member_id"] for e in events if e.type == "card.author"] == [sam_c.member_id, sam_c.member_id, alex_c.member_id]


async def test_a_named_board_says_who_wrote_each_card_and_a_guest_sees_no_board(relay):
    g = seed(relay.store, relay.url)
    async with people(relay.url, g.facilitator, g.participants[0], g.participants[1], g.guest) as (dana, sam, alex, jo):
        await dana.type("/start Family night")
        await dana.type('/board open "This week" Wins; Worries')
        await sam.type("/card wins Slept well")
        assert any(line == "Card 1, Wins, by Sam: Slept well" for line in alex.lines), alex.lines
        assert "Card 1: Slept well. By Sam." in " ".join(alex.said("/board"))
        await alex.type("/plus 1")
        assert any(line == "+1 from Alex for card 1; it has 1 +1." for line in sam.lines), sam.lines
        assert jo.said("/card wins Hi") == ["As a guest you cannot add cards to a board."]
        assert not any("Slept well" in line or "Board" in line for line in jo.lines), jo.lines


async def test_board_inputs_are_bounded_and_bad_ones_change_nothing(relay):
    g = seed(relay.store, relay.url)
    async with people(relay.url, g.facilitator, g.participants[0]) as (dana, sam):
        await dana.type("/start Week 5")
        assert sam.said("/card 1 hello") == ["No board is open; the facilitator opens one with /board open."]
        await dana.type('/board open "Ideas" One')
        head = relay.store.head_seq(g.group_id)
        assert sam.said("/card 7 hello") == ["The board has no column '7'; choose one by number or first word: 1 One."]
        assert sam.said("/plus 9") == ["There is no card 9 on the board; type /board to see the cards and their numbers."]
        assert (await sam.type("/card 1 " + "x" * 301))[-1] == "A card is too long: at most 300 characters."
        assert relay.store.head_seq(g.group_id) == head
        for i in range(MAX_CARDS):
            sam.face.handle(f"/card 1 idea {i}")
        await _until(lambda: not sam.session.pending, "the cards to be stored")
        said = await sam.type("/card 1 one too many")
        assert said[-2:] == [f"The board 'Ideas' holds its most cards ({MAX_CARDS}); ask the facilitator to open another.",
                             words.returned_line_text("/card 1 one too many")]


async def test_moods_over_sessions_in_figures_each_member_their_own_facilitators_everyone(relay):
    g = seed(relay.store, relay.url)
    async with people(relay.url, g.facilitator, g.participants[0], g.participants[1]) as (dana, sam, alex):
        for week, (mine, theirs) in enumerate([(3, 7), (4, None), (6, 5), (5, 6)], 1):
            await dana.type(f"/start Week {week}")
            await sam.type(f"/checkin {mine} tired")
            await alex.type(f"/checkin {theirs} ok" if theirs is not None else "/pass")
            await dana.type("/end --no-summary")
            await dana.type("/end yes")
        assert sam.said("/moods") == ["Your mood: 3, 4, 6, 5 over four sessions."]
        assert alex.said("/moods") == ["Your mood: 7, passed, 5, 6 over four sessions."]
        assert dana.said("/moods") == ["Alex's mood: 7, passed, 5, 6 over four sessions.", "Sam's mood: 3, 4, 6, 5 over four sessions."]


async def test_the_agenda_says_when_the_phase_ends_and_one_scheduled_call_says_when_it_is_over(relay, tmp_path):
    (tmp_path / "deck.md").write_text("# One\n\nA slide.\n", encoding="utf-8")
    (tmp_path / "plan.toml").write_text('deck = "deck.md"\n[agenda]\nexercises = 20\ndiscussion = 1\n', encoding="utf-8")
    g = seed(relay.store, relay.url)
    async with people(relay.url, g.facilitator, g.participants[0]) as (dana, sam):
        await dana.type("/start Week 6")
        await dana.type(f"/plan {tmp_path / 'plan.toml'}")
        await dana.type("/phase exercises")
        since = dana.face.model.state.phase_since
        until = time.strftime("%H:%M", time.localtime(since + 20 * 60))
        assert dana.said("/agenda") == ["Agenda: Exercises 20 min; Discussion 1 min.", f"Now: Exercises until {until}."]
        assert f"0 minutes in this phase, planned to end at {until}." in " ".join(dana.said("/status"))
        assert f"Phase: Exercises until {until}" in words.header_text(dana.face.model, time.time(), clock=True)
        assert dana.face.agenda._handle is not None  # one call, at five minutes before the end
        assert dana.face.agenda._at == since + 15 * 60
        assert sam.face.agenda._handle is None  # members are told nothing about planned minutes
        await dana.type("/phase discussion")
        # A one-minute phase: no five-minute line, one call at its end, which says it is over.
        assert dana.face.agenda._at == dana.face.model.state.phase_since + 60
        dana.face.agenda._now = lambda: time.time() + 59.8  # as if a minute had passed: the call is re-armed for then
        dana.face.agenda.cancel()
        dana.face.agenda.update()
        await _until(lambda: any(line.startswith("Discussion has reached its 1 planned minutes") for line in dana.lines), "the line at the planned end")
        assert dana.face.agenda._handle is None
        assert sam.said("/agenda") == ["As a participant you cannot read the session's planned minutes."]


async def test_the_demos_simulated_members_write_cards_and_give_plus_ones_on_the_plans_board(relay):
    from iop_tui.core.plan import DEMO_PLAN, load_plan
    from tests.support.demobots import start_demo_bots

    plan = load_plan(DEMO_PLAN)
    assert plan.boards and plan.minutes["exercises"] == 20
    gid, bots = start_demo_bots(relay, tempo=0.02, name="Demo")
    try:
        def types() -> list[str]:
            return [e.type for e in relay.store.events_after(gid, 0)]

        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while not (types().count("card.added") >= 6 and types().count("card.plussed") >= 3):
            assert loop.time() < deadline and not bots.done(), types()
            await asyncio.sleep(0.1)
    finally:
        bots.cancel()
        await asyncio.gather(bots, return_exceptions=True)
    opened = next(e for e in relay.store.events_after(gid, 0) if e.type == "board.opened")
    assert opened.data["anonymous"] and opened.data["title"] == "Coping with thinking traps"
