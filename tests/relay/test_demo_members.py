"""The demo's simulated people act as people would: the facilitator answers a private line
privately, to that member only (issue 12: the participant demo has a private line to hear);
every member hands in the checklist homework.

A real relay on a loopback port, the real bots and real ClientSessions."""

from __future__ import annotations

import asyncio

from iop_tui.core.plan import DEMO_PLAN, load_plan
from iop_tui.core.session import ClientSession
from iop_tui.demo.members import PERSONAS, FacilitatorBot, MemberBot
from tests.relay.test_demo_pace import until


async def _joined(url: str, token: str) -> tuple[ClientSession, asyncio.Task]:
    session = ClientSession(url, token)
    task = asyncio.create_task(session.run())
    await until(lambda: session.model.synced and session.model.me is not None, "a member to join")
    return session, task


async def test_a_private_line_to_the_simulated_facilitator_gets_a_private_reply_no_one_else_reads(relay) -> None:
    store = relay.store
    gid = store.create_group("Tuesday IOP")
    _, dana_token = store.add_member(gid, "Dana", "facilitator")
    _, jamie_token = store.add_member(gid, "Jamie", "participant")
    _, sam_token = store.add_member(gid, "Sam", "participant")
    jamie, jamie_task = await _joined(relay.url, jamie_token)
    sam, sam_task = await _joined(relay.url, sam_token)
    bot = FacilitatorBot(relay.url, dana_token, load_plan(DEMO_PLAN), tempo=0.001)
    await bot.setup()
    agenda = asyncio.create_task(bot.run())
    try:
        jamie.send("chat.send", {"text": "I found the evidence slide hard to follow.", "to": "facilitators"})
        await until(lambda: any(c.member_id != jamie.model.me_id for c in jamie.model.private_thread(jamie.model.me_id)), "the reply")
        reply = [c for c in jamie.model.private_thread(jamie.model.me_id) if c.member_id != jamie.model.me_id]
        assert len(reply) == 1 and "Jamie" in reply[0].text and reply[0].name == "Dana"
        await asyncio.sleep(0.5)
        assert not any("Jamie" in c.text or "evidence slide" in c.text for c in sam.model.state.chat), "Sam reads neither"
        assert len([c for c in jamie.model.private_thread(jamie.model.me_id) if c.member_id != jamie.model.me_id]) == 1, "answered once"
    finally:
        agenda.cancel()
        await asyncio.gather(agenda, return_exceptions=True)
        await bot.close()
        for session, task in ((jamie, jamie_task), (sam, sam_task)):
            await session.close()
            task.cancel()


async def test_every_simulated_member_hands_in_the_checklist_homework(relay) -> None:
    store = relay.store
    gid = store.create_group("Tuesday IOP")
    _, dana_token = store.add_member(gid, "Dana", "facilitator")
    bots = []
    for name in ("Sam", "Riley"):  # Sam has written words ready, Riley has none
        _, token = store.add_member(gid, name, "participant")
        bots.append(MemberBot(relay.url, token, PERSONAS[name], tempo=0.001))
    dana, dana_task = await _joined(relay.url, dana_token)
    runs = [asyncio.create_task(bot.run()) for bot in bots]
    try:
        dana.send("session.start", {"title": "Week 3"})
        await until(lambda: dana.model.state.session is not None, "the session")
        dana.send("homework.assign", {"title": "Thought record", "homework_kind": "checklist", "instructions": "", "items": ["Day 1", "Day 2", "Day 3"], "due": "2099-01-01"})
        await until(lambda: dana.model.state.homework, "the homework")
        hw = next(iter(dana.model.state.homework.values()))
        await until(lambda: len(hw.submissions) == 2, "both members' homework")
    finally:
        for run in runs:
            run.cancel()
        await asyncio.gather(*runs, return_exceptions=True)
        for bot in bots:
            await bot.close()
        await dana.close()
        dana_task.cancel()
