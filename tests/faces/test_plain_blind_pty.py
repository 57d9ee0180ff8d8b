"""A blind facilitator's plain face on a real pty (issue 12): the typed line is
never broken into, type-ahead runs as soon as the join completes, long output is paged.

The client is the real ``python -m iop_tui join --plain`` on a pseudo-terminal;
the relay is the in-process one on a loopback port; other members are real
ClientSessions.
"""

from __future__ import annotations

import asyncio
import os
import re

from iop_tui.core.session import ClientSession
from tests.support.plainpty import PtyProgram, client_env, plain_argv


async def _joined(url: str, token: str) -> tuple[ClientSession, asyncio.Task]:
    session = ClientSession(url, token)
    task = asyncio.create_task(session.run())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while not (session.model.synced and session.model.me is not None):
        assert loop.time() < deadline, "a test client did not join"
        await asyncio.sleep(0.02)
    return session, task


def _screen_rows(raw: str) -> list[str]:
    """What a terminal shows, row by row, after CR and erase-line (``\\r\\x1b[K``) have acted."""
    rows: list[str] = []
    for line in raw.replace("\r\n", "\n").split("\n"):
        row = ""
        for part in re.split(r"(\r\x1b\[K|\r|\x08 \x08)", line):
            if part in ("\r\x1b[K", "\r"):
                row = ""
            elif part == "\x08 \x08":
                row = row[:-1]
            else:
                row += part
        rows.append(row)
    return rows


async def test_a_command_typed_before_the_join_runs_as_soon_as_the_join_completes(seeded, tmp_path):
    token = seeded.participants[0].token
    with PtyProgram(plain_argv(seeded.url, token), client_env(tmp_path / "config")) as sam:
        sam.type("/who")  # typed at once, long before the relay has answered
        await sam.wait_for("Joined Tuesday IOP as Sam")
        await sam.wait_for("Here, 1: Sam.")  # and nothing else typed


async def test_an_incoming_line_never_lands_inside_the_line_being_typed(seeded, tmp_path):
    token = seeded.participants[0].token
    alex, alex_task = await _joined(seeded.url, seeded.participants[1].token)
    try:
        with PtyProgram(plain_argv(seeded.url, token), client_env(tmp_path / "config")) as sam:
            await sam.wait_for("Joined Tuesday IOP as Sam")
            os.write(sam.master, b"I li")  # half a line typed, no Enter yet
            await sam.wait_for("I li")
            alex.send("chat.send", {"text": "Slide two is up", "to": "group"})
            await sam.wait_for("Chat, Alex: Slide two is up")
            os.write(sam.master, b"ke it\n")
            await sam.wait_for("Chat, Sam: I like it")
            rows = [r for r in _screen_rows(sam.text) if r.strip()]
            assert "Chat, Alex: Slide two is up" in rows, rows
            assert not any("I li" in r and "Slide" in r for r in rows), rows
            assert "I like it" in rows, "the typed text was redrawn after the incoming line and finished whole"
    finally:
        await alex.close()
        await asyncio.wait_for(alex_task, 5)


async def test_on_a_dumb_terminal_incoming_lines_wait_for_enter(seeded, tmp_path):
    token = seeded.participants[0].token
    alex, alex_task = await _joined(seeded.url, seeded.participants[1].token)
    try:
        with PtyProgram(plain_argv(seeded.url, token), client_env(tmp_path / "config", TERM="dumb")) as sam:
            await sam.wait_for("Joined Tuesday IOP as Sam")
            os.write(sam.master, b"I li")
            await sam.wait_for("I li")
            alex.send("chat.send", {"text": "Slide two is up", "to": "group"})
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 10
            while not any(c.text == "Slide two is up" for c in sam_state(alex)):
                assert loop.time() < deadline
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.5)
            assert "Slide two is up" not in sam.text, "held while a line is being typed"
            os.write(sam.master, b"ke it\n")
            await sam.wait_for("Chat, Alex: Slide two is up")
            assert "\x1b" not in sam.text, "a dumb terminal gets no escape byte"
            rows = [r for r in _screen_rows(sam.text) if r.strip()]
            assert "I like it" in rows, rows
    finally:
        await alex.close()
        await asyncio.wait_for(alex_task, 5)


def sam_state(session: ClientSession):
    return session.model.state.chat


async def test_an_answer_taller_than_the_terminal_is_paged_a_screenful_then_more(seeded, tmp_path):
    """A console screen reader reads the screen, not the scrollback: on a 24-row pty
    /help all comes a screenful at a time, and every line of it is on screen once."""
    token = seeded.facilitator.token
    with PtyProgram(plain_argv(seeded.url, token), client_env(tmp_path / "config")) as dana:
        await dana.wait_for("Joined Tuesday IOP as Dana")
        start = len(dana.text)
        dana.type("/help all")
        await dana.wait_for("more lines: /more")
        first = [r for r in _screen_rows(dana.text[start:]) if r.strip() and r.strip() != "/help all"]
        assert first[-1].endswith("more lines: /more"), first
        assert len(first) <= 23, f"a screenful (23 rows and the prompt), not {len(first)}"
        left = int(first[-1].split()[0])
        pages = [first[:-1]]
        while True:
            mark = len(dana.text)
            dana.type("/more")
            await dana.wait_for("Nothing more to read." if left == 0 else "/more", count=1)
            await asyncio.sleep(0.3)
            page = [r for r in _screen_rows(dana.text[mark:]) if r.strip() and r.strip() != "/more"]
            if not page or page[-1] == "Nothing more to read.":
                break
            assert len(page) <= 23, page
            if page[-1].endswith("more lines: /more"):
                left = int(page[-1].split()[0])
                pages.append(page[:-1])
            else:
                pages.append(page)
                left = 0
        said = [r for page in pages for r in page]
        assert said[0] == "Commands, one per line:", said[:2]
        assert any(r.startswith("/poll plan") for r in said) and any(r.startswith("/end") for r in said)
        # Each line once; a wrapped line's continuation rows (indented) may read alike ("  back to the main room.").
        heads = [r for r in said if not r.startswith("  ")]
        assert len(heads) == len(set(heads)), ("no line twice", [r for r in heads if heads.count(r) > 1])
