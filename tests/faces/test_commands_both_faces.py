"""The same typed line through both faces: the same command reaches the relay, or the same sentence.

Each case runs one line twice, on two identical relays: in the plain face (a
PlainFace on a real ClientSession over loopback) and in the full-screen chat
input (IopApp under Textual's pilot). Both call the core's one interpreter, so
the events the relay stores after the line are equal, and a refusal is the same
sentence (the plain face's last line, the chat log's last line).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from server.edge import RelayServer
from tests.support.apphelp import joined, option_texts, type_into, wait_until
from tests.support.plainface import plain_joined, until
from tests.support.wsclient import RawClient, is_event, seed


SENDS = [
    ("participant", "hello all"),
    ("participant", "/dm I need a minute"),
    ("participant", "/reply thank you"),
    ("participant", "/me nods"),
    ("participant", "/hand"),
    ("participant", "/checkin 4 tired, hopeful -- slept badly"),
    ("facilitator", "/mute sam"),
    ("facilitator", "/reply Sam see you after group"),
    ("facilitator", "/phase closing"),
    ("facilitator", "/delete 2 yes"),
    ("facilitator", '/poll open single "Warm up?" yes; no'),
    ("facilitator", "/give phq9 Sam due +7"),
    # the facilitator's kit
    ("facilitator", "/journal open thought-record 10"),
    ("facilitator", "/nudge Sam let's leave room for others"),
    ("facilitator", "/slow Sam 30"),
    ("participant", "/reminders on"),  # issue 15a
    ("participant", "/reminders email sam@example.org"),
    ("participant", "/reminders quiet 22:00-07:00"),
]

REFUSALS = [
    ("participant", "/frobnicate"),
    ("participant", "/phase closing"),
    ("participant", "/mute Alex"),
    ("participant", "/lower"),
    ("participant", "/dm"),
    ("participant", "/vote 1"),
    ("facilitator", "/mute Morgan"),
    ("facilitator", "/reply Morgan hi"),
    ("facilitator", "/thread Sam"),
    ("facilitator", "/lower Sam"),
    ("facilitator", "/delete 99"),
    ("facilitator", "/next"),
    ("facilitator", "/vote 1"),
    ("facilitator", "/give plan"),
    ("facilitator", "/give gad7 due someday"),
    # the facilitator's kit
    ("participant", "/airtime"),
    ("participant", "/journal share group"),
    ("facilitator", "/goround nxt"),
    ("participant", "/reminders email nobody"),  # issue 15a
    ("participant", "/reminders loudly"),
]


async def _prepared(store, url: str):
    """Dana starts a session and Sam says one line (message 2)."""
    seeded = seed(store, url)
    async with RawClient(url, seeded.facilitator.token) as dana, RawClient(url, seeded.participants[0].token) as sam:
        await dana.wait_synced()
        await sam.wait_synced()
        await dana.command("session.start", {"title": "Week 3"})
        await sam.recv_until(is_event("session.started"))
        await sam.command("chat.send", {"text": "I slept badly", "to": "group"})
        await dana.recv_until(is_event("chat.posted"))
    return seeded


def _cred(seeded, role: str):
    return seeded.facilitator if role == "facilitator" else seeded.participants[0]


def _events_after(store, group_id: int, head: int) -> list[tuple[str, int, dict]]:
    return [(e.type, e.actor, e.data) for e in store.events_after(group_id, head) if e.type not in ("member.joined", "member.left", "presence")]


async def _plain(tmp_path: Path, role: str, line: str):
    """(events the relay stored after the line, the face's last line)."""
    async with RelayServer(tmp_path / "plain") as relay:
        seeded = await _prepared(relay.store, relay.url)
        async with plain_joined(relay.url, _cred(seeded, role).token) as (face, session, lines):
            head = relay.store.head_seq(seeded.group_id)
            mark = len(lines)
            face.handle(line)
            await until(lambda: not session.pending, "the relay to answer")
            return _events_after(relay.store, seeded.group_id, head), lines[mark:]


async def _textual(tmp_path: Path, role: str, line: str):
    """(events the relay stored after the line, the chat log's lines added by it)."""
    async with RelayServer(tmp_path / "tui") as relay:
        seeded = await _prepared(relay.store, relay.url)
        async with joined(relay.url, _cred(seeded, role).token) as (app, pilot):
            await pilot.press("f4")
            head = relay.store.head_seq(seeded.group_id)
            before = len(option_texts(app, "#chat-log"))
            await type_into(pilot, app, "#chat-input", line)
            await pilot.press("enter")
            await wait_until(pilot, lambda: not app.session.pending, "the relay to answer")
            await pilot.pause()
            return _events_after(relay.store, seeded.group_id, head), option_texts(app, "#chat-log")[before:]


@pytest.mark.parametrize("role, line", SENDS, ids=[f"{who} {typed}" for who, typed in SENDS])
async def test_a_typed_command_sends_the_same_command_from_both_faces(tmp_path: Path, role: str, line: str) -> None:
    plain_events, _ = await _plain(tmp_path, role, line)
    tui_events, _ = await _textual(tmp_path, role, line)
    assert plain_events, "the line caused an event"
    assert plain_events == tui_events


@pytest.mark.parametrize("role, line", REFUSALS, ids=[f"{who} {typed}" for who, typed in REFUSALS])
async def test_a_mistake_gets_the_same_sentence_in_both_faces(tmp_path: Path, role: str, line: str) -> None:
    plain_events, plain_lines = await _plain(tmp_path, role, line)
    tui_events, tui_lines = await _textual(tmp_path, role, line)
    assert plain_events == tui_events == []
    assert len(plain_lines) == 1 and plain_lines == [t.replace("Check-in", "Check in") for t in tui_lines], (plain_lines, tui_lines)


async def test_the_full_screen_chat_reads_questionnaire_commands_without_leaving(tmp_path: Path) -> None:
    """/measure points at F10, /give plan lists the loaded plan's questionnaires (before this, both raised in the chat)."""
    from iop_tui.core import words
    from iop_tui.core.plan import load_plan

    (tmp_path / "deck.md").write_text("# One\n\nA slide.\n", encoding="utf-8")
    (tmp_path / "plan.toml").write_text('deck = "deck.md"\n[[measures]]\nkind = "gad7"\ndue = "+7"\nto = "Sam"\n', encoding="utf-8")
    async with RelayServer(tmp_path / "tui") as relay:
        seeded = await _prepared(relay.store, relay.url)
        async with joined(relay.url, seeded.facilitator.token) as (app, pilot):
            await pilot.press("f4")
            app.plan = load_plan(tmp_path / "plan.toml")
            app.session_screen().show_model(app.model, app.plan)  # as loading a plan does: attributes down
            for line in ("/measure", "/give plan"):
                await type_into(pilot, app, "#chat-input", line)
                await pilot.press("enter")
                await pilot.pause()
            said = option_texts(app, "#chat-log")
            assert words.shown_in_pane_text("Questionnaire", "F10") in said
            assert any(t.startswith("Prepared questionnaire 1: GAD-7 to Sam, due ") and t.endswith("; type /give plan 1.") for t in said), said
            assert app.is_running
