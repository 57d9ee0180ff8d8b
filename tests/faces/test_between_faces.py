"""Between sessions in both faces, over a real relay on loopback (issue 15 part B).

- The same typed line sends the same command from the plain face and the
  full-screen chat input: a family session, personal homework, a pinned
  resource, a post to the feed.
- A facilitator in the plain face is told "Ana (guest) is waiting: /admit Ana",
  lets her in, and reads the attendance once the session ends; the guest is
  told she waits, then that she was let in.
- In the Textual face the People pane tells a facilitator who waits, and
  /resources opens the full-screen view where a link is only text.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from iop_tui.core import words
from iop_tui.core.session import ClientSession
from iop_tui.plain.face import PlainFace
from server.edge import RelayServer
from tests.support.apphelp import joined, option_texts, screen_text, type_into, wait_until
from tests.support.plainface import TIMEOUT, plain_joined, until
from tests.support.wsclient import Cred, RawClient, is_event, seed


def _invite(store, seeded, name: str = "Ana") -> Cred:
    mid, token = store.add_member(seeded.group_id, name, "guest")
    store.invite_guest(mid, store.head_seq(seeded.group_id))
    return Cred(mid, name, "guest", token)


async def _prepared(store, url: str):
    """Between sessions: Dana pinned a resource, Sam posted to the feed."""
    seeded = seed(store, url)
    async with RawClient(url, seeded.facilitator.token) as dana, RawClient(url, seeded.participants[0].token) as sam:
        await dana.wait_synced()
        await sam.wait_synced()
        await dana.command("resource.pin", {"title": "Crisis line", "link": "https://988lifeline.org", "text": "Call or text 988."})
        await sam.command("feed.post", {"text": "Walked every day this week."})
        await dana.recv_until(is_event("feed.posted"))
    return seeded


SENDS = [
    ("facilitator", "/start --family Family evening"),
    ("facilitator", '/assign text +3 "Call your sponsor" Once before Friday --to Sam'),
    ("facilitator", '/pin "Sleep hygiene" https://example.org/sleep a one-page guide'),
    ("facilitator", "/unpin 1"),
    ("participant", "/share Slept better after the breathing exercise"),
]


async def _plain(tmp_path: Path, role: str, line: str):
    async with RelayServer(tmp_path / "plain") as relay:
        seeded = await _prepared(relay.store, relay.url)
        cred = seeded.facilitator if role == "facilitator" else seeded.participants[0]
        async with plain_joined(relay.url, cred.token) as (face, session, _lines):
            head = relay.store.head_seq(seeded.group_id)
            face.handle(line)
            await until(lambda: not session.pending, "the relay to answer")
            return [(e.type, e.audience, e.subject, e.data) for e in relay.store.events_after(seeded.group_id, head)]


async def _textual(tmp_path: Path, role: str, line: str):
    async with RelayServer(tmp_path / "tui") as relay:
        seeded = await _prepared(relay.store, relay.url)
        cred = seeded.facilitator if role == "facilitator" else seeded.participants[0]
        async with joined(relay.url, cred.token) as (app, pilot):
            await pilot.press("f4")
            head = relay.store.head_seq(seeded.group_id)
            await type_into(pilot, app, "#chat-input", line)
            await pilot.press("enter")
            await wait_until(pilot, lambda: not app.session.pending and relay.store.head_seq(seeded.group_id) > head, "the relay to answer")
            return [(e.type, e.audience, e.subject, e.data) for e in relay.store.events_after(seeded.group_id, head)]


@pytest.mark.parametrize("role, line", SENDS, ids=[f"{who} {typed}" for who, typed in SENDS])
async def test_a_between_sessions_command_is_the_same_from_both_faces(tmp_path: Path, role: str, line: str) -> None:
    plain = await _plain(tmp_path, role, line)
    tui = await _textual(tmp_path, role, line)
    assert plain and plain == tui
    if line.startswith("/assign"):
        assert [(t, a) for t, a, _, _ in plain] == [("homework.assigned", "member")]  # personal: Sam and the facilitators only
    if line.startswith("/start"):
        assert plain[0][3]["kind"] == "family"


async def test_a_facilitator_in_plain_mode_lets_a_waiting_guest_in_and_reads_the_attendance(tmp_path: Path) -> None:
    async with RelayServer(tmp_path / "data") as relay:
        seeded = seed(relay.store, relay.url)
        ana = _invite(relay.store, seeded, "Ana María")
        dana = ClientSession(relay.url, seeded.facilitator.token)
        lines: list[str] = []
        face = PlainFace(dana, lines.append)
        dana.subscribe(face.on_notices)
        guest = ClientSession(relay.url, ana.token)
        heard: list[str] = []
        guest.subscribe(lambda notices: heard.extend(n.text for n in notices))
        tasks = [asyncio.create_task(dana.run()), asyncio.create_task(guest.run())]
        try:
            await until(lambda: face.joined and guest.model.synced, "both to join")
            assert words.GUEST_WAITING in heard
            face.handle("/start --family Family evening")
            await until(lambda: any("Ana María (guest) is waiting: /admit Ana" in line for line in lines), "the waiting line")
            face.handle("/who")
            await until(lambda: lines[-1].startswith("Ana María (guest) is waiting") or any("is waiting: /admit Ana" in x for x in lines[-3:]), "/who")
            face.handle("/admit Ana")
            await until(lambda: words.LET_IN in heard, "the guest to be let in")
            await until(lambda: guest.model.state.session is not None and guest.model.state.session.title == "Family evening", "the guest's session")
            others = {e.name for e in guest.model.state.roster.values() if e.member_id != ana.member_id}
            assert others == {"Dana"}  # first names of those present only
            face.handle("/end Thank you all")
            face.handle("/end yes")
            await until(lambda: any(line.startswith("Attendance recorded:") for line in lines), "the attendance record")
            face.handle("/attendance")
            await until(lambda: any(line.startswith("Attendance of Family evening:") for line in lines), "/attendance")
            assert any(line.startswith("Riley: absent") for line in lines)
            await until(lambda: guest.model.conn.state == "failed", "the guest's invitation to end")
            assert words.INVITATION_ENDED in (guest.model.conn.message or "") or words.INVITATION_ENDED in heard
        finally:
            for session in (dana, guest):
                await session.close()
            await asyncio.wait_for(asyncio.gather(*tasks), TIMEOUT)


async def test_the_full_screen_face_shows_who_waits_and_opens_the_resources_view(tmp_path: Path) -> None:
    async with RelayServer(tmp_path / "data") as relay:
        seeded = await _prepared(relay.store, relay.url)
        ana = _invite(relay.store, seeded)
        async with RawClient(relay.url, seeded.facilitator.token) as starter:
            await starter.wait_synced()
            await starter.command("session.start", {"title": "Family evening", "kind": "family"})
        async with joined(relay.url, seeded.facilitator.token) as (app, pilot), RawClient(relay.url, ana.token) as guest:
            await guest.wait_synced()
            await pilot.press("f6")
            await wait_until(pilot, lambda: any("waiting: /admit Ana" in t for t in option_texts(app, "#people-list")), "the People pane")
            await pilot.press("f4")
            await type_into(pilot, app, "#chat-input", "/resources")
            await pilot.press("enter")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "BetweenScreen", "the resources view")
            shown = screen_text(app)
            assert "1. Crisis line; link: https://988lifeline.org; Call or text 988." in shown
            assert "Walked every day this week." in shown
            await pilot.press("escape")
            await wait_until(pilot, lambda: type(app.screen).__name__ != "BetweenScreen", "the view to close")
            await type_into(pilot, app, "#chat-input", "/attendance")
            await pilot.press("enter")
            await wait_until(pilot, lambda: any(t.startswith("Attendance so far of Family evening:") for t in option_texts(app, "#chat-log")), "/attendance")
            assert "Sam: not here yet" in option_texts(app, "#chat-log")


async def test_an_invited_guest_in_the_full_screen_face_waits_then_is_let_in(tmp_path: Path) -> None:
    async with RelayServer(tmp_path / "data") as relay:
        seeded = seed(relay.store, relay.url)
        ana = _invite(relay.store, seeded, "Ana María López")
        async with RawClient(relay.url, seeded.facilitator.token) as dana, RawClient(relay.url, seeded.participants[0].token) as sam:
            await dana.wait_synced()
            await sam.wait_synced()
            await dana.command("session.start", {"title": "Family evening", "kind": "family"})
            async with joined(relay.url, ana.token) as (app, pilot):
                await wait_until(pilot, lambda: "waiting room" in screen_text(app), "the waiting room to be said")
                await dana.recv_until(is_event("guest.waiting"), TIMEOUT)
                await dana.command("guest.admit", {"member_id": ana.member_id})
                await wait_until(pilot, lambda: app.model.state.session is not None, "the session to reach the guest")
                await pilot.press("f6")
                await wait_until(pilot, lambda: any(t.startswith("Sam (participant)") for t in option_texts(app, "#people-list")), "the people present")
                rows = option_texts(app, "#people-list")
                assert not any("Rivera" in r or "Riley" in r or "Alex" in r for r in rows), rows  # those present only
                assert words.GUEST_ROSTER in text_of_help(app)


def text_of_help(app) -> str:
    from tests.support.apphelp import text_of

    return text_of(app, "#people-help")
