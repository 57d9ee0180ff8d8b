"""A guest (a family member) joins a live session mid-way, in plain mode, as a real
program on a real pty against a real relay process.

Four members are present; they have talked and Sam's hand is up. The guest must
read the session's shared material but none of what was said before they came,
hear names and never internal ids, be offered only what a guest can do, be told
the truth about who is here, and hear "You were removed" once.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from iop_tui.core import words
from iop_tui.core.session import ClientSession
from tests.support.plainpty import PtyProgram, client_env, plain_argv, seed_group
from tests.support.procs import start_server_process


@pytest.fixture
def relay_proc(tmp_path: Path):
    data = tmp_path / "data"
    creds = seed_group(data, participants=("Sam", "Alex", "Riley"), guests=("Jo",))
    with start_server_process(data) as server:
        yield server, creds
        server.stop()


async def until(condition, what: str, timeout: float = 10) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def joined(url: str, token: str) -> tuple[ClientSession, asyncio.Task]:
    session = ClientSession(url, token)
    task = asyncio.create_task(session.run())
    await until(lambda: session.model.synced and session.model.me is not None, "a test client to join")
    return session, task


async def command(session: ClientSession, kind: str, data: dict) -> None:
    cid = session.send(kind, data)
    await until(lambda: cid in session.model.acked or session.model.last_error, f"the answer to {kind}")
    assert cid in session.model.acked, session.model.last_error


async def test_a_guest_joining_mid_session_in_plain_mode_reads_only_what_is_theirs(relay_proc, tmp_path):
    server, creds = relay_proc
    url = server.url
    members = {name: await joined(url, creds[name]["token"]) for name in ("Dana", "Sam", "Alex", "Riley")}
    dana, sam, alex = members["Dana"][0], members["Sam"][0], members["Alex"][0]
    try:
        await command(dana, "session.start", {"title": "Family week", "kind": "family"})  # guests come to family sessions
        await command(dana, "phase.set", {"phase": "discussion"})
        for i in range(8):
            await command(alex, "chat.send", {"text": f"EARLIER-LINE {i} about my week", "to": "group"})
        await command(sam, "hand.raise", {})
        with PtyProgram(plain_argv(url, creds["Jo"]["token"]), client_env(tmp_path / "config")) as jo:
            text = await jo.wait_for("Joined Tuesday IOP as Jo, guest.")
            await jo.wait_for("waiting room")  # invited with the CLI: Jo waits until Dana lets him in (issue 15)
            await command(dana, "guest.admit", {"member_id": creds["Jo"]["member_id"]})
            await jo.wait_for(words.LET_IN)
            await jo.wait_for("Joined: Dana, Sam, Alex, Riley.")  # those present, by first name
            jo.type("/history")
            text = await jo.wait_for("Last 4 events, oldest first: Session started: Family week (family session). Phase: discussion. Hand raised, Sam")
            assert "EARLIER-LINE" not in text, "a guest's history holds only what followed their arrival"
            jo.type("/who")
            text = await jo.wait_for("Hands raised: Sam.")
            # /help is taller than the 24-row screen, so it lists topics; /help all pages the commands (issue 12).
            jo.type("/help all")
            await jo.wait_for(words.HELP_HEAD)
            for _ in range(8):
                if "/quit:" in jo.flat[jo.flat.rindex(words.HELP_HEAD):]:
                    break
                await jo.wait_for(": /more", count=jo.flat.count(": /more") or 1)
                jo.type("/more")
                await asyncio.sleep(0.5)
            text = await jo.wait_for("/quit:")
            help_text = jo.flat[jo.flat.rindex(words.HELP_HEAD):]
            assert "/vote" in help_text and "/hand" in help_text
            for not_for_guests in ("/checkin", "/pass", "/homework", "/submit", "/check ", "/log "):
                assert not_for_guests not in help_text, f"{not_for_guests} offered to a guest"
            await command(alex, "chat.send", {"text": "LATER-LINE hello Jo", "to": "group"})
            text = await jo.wait_for("Chat, Alex: LATER-LINE hello Jo")
            await command(dana, "member.remove", {"member_id": creds["Jo"]["member_id"]})
            await jo.wait_exit()
            text = jo.flat
        assert "EARLIER-LINE" not in text, "a guest read chat from before they arrived"
        assert "member " not in text.replace("members", ""), "an internal id reached the guest"
        assert "1 person here" not in text, "the guest was told a false head count"
        assert text.count("You were removed") == 1, text[-600:]
    finally:
        for session, task in members.values():
            await session.close()
            task.cancel()
