"""The participant demo follows the person: the simulated facilitator (a real
client on a real relay) waits for the person's vote and check-in before it
closes a poll or moves on, however fast the bots' tempo; and the person's
member has a name, not "You"."""

from __future__ import annotations

import asyncio

from iop_tui.demo import runner as demo
from iop_tui.demo.members import PERSONAS, FacilitatorBot
from iop_tui.core.plan import DEMO_PLAN, load_plan
from iop_tui.core.session import ClientSession

#: How long the "person" takes to read before acting: far longer than the bots'
#: own pauses at this tempo (milliseconds), far shorter than their patience.
READING_S = 1.0


async def until(condition, what: str, timeout: float = 20) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def test_the_simulated_facilitator_waits_for_the_persons_vote_and_check_in(relay) -> None:
    store = relay.store
    gid = store.create_group("Tuesday IOP")
    _, dana_token = store.add_member(gid, "Dana", "facilitator")
    _, jamie_token = store.add_member(gid, demo.YOU, "participant")
    person = ClientSession(relay.url, jamie_token)
    phases: list[tuple[str, int | None]] = []
    person.subscribe(lambda notices: phases.extend((n.text, n.seq) for n in notices if n.kind == "phase"))
    person_task = asyncio.create_task(person.run())
    await until(lambda: person.model.synced and person.model.me is not None, "the person to join")
    bot = FacilitatorBot(relay.url, dana_token, load_plan(DEMO_PLAN), tempo=0.001)
    await bot.setup()
    agenda = asyncio.create_task(bot.run())
    try:
        await until(lambda: person.model.state.open_polls(), "the first poll to open")
        poll = person.model.state.open_polls()[0]
        await asyncio.sleep(READING_S)  # the person reads the question
        vote = person.send("poll.vote", {"poll_id": poll.poll_id, "choices": [6]})
        await until(lambda: vote in person.model.acked or person.model.last_error, "the answer to the vote")
        assert vote in person.model.acked, f"the poll closed before the person could vote: {person.model.last_error}"
        await until(lambda: person.model.state.polls[poll.poll_id].status == "revealed", "the results")
        await asyncio.sleep(READING_S)  # the person thinks about their mood
        checkin = person.send("checkin.submit", {"mood": 6, "feelings": ["curious"], "note": "", "passed": False})
        await until(lambda: checkin in person.model.acked or person.model.last_error, "the answer to the check-in")
        await until(lambda: person.model.state.phase == "psychoeducation", "the agenda to move on")
        moved = [seq for text, seq in phases if "psychoeducation" in text.lower()]
        assert moved and moved[0] > person.model.acked[checkin], "the facilitator moved on before the person checked in"
    finally:
        agenda.cancel()
        await asyncio.gather(agenda, return_exceptions=True)
        await bot.close()
        await person.close()
        person_task.cancel()


def test_the_persons_member_in_the_participant_demo_has_a_name() -> None:
    assert demo.YOU != "You" and demo.YOU.istitle()
    assert "You" not in PERSONAS and demo.YOU not in PERSONAS and demo.YOU not in demo.PARTICIPANTS
