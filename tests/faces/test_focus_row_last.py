"""A focus move's row is what a console screen reader says, even while rows arrive (issue 12).

Fenrir (1.9, the console screen reader of the bench) looks at the terminal after
each read of the client's output: rows that changed are read, queued behind what
it is still saying; only when nothing changed and the cursor went to another row
does it read the cursor's row, at once. A Down in a list changes two rows (the
"> " marker moves), so the focused row used to be read only after the backlog:
the check-in round's rows arriving, or a pane read whole. These tests run the
real client on a pty (``TERM=linux``) joined to a real relay and read its bytes
in order through :class:`tests.support.cellscreen.CellScreen`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.support.cellscreen import CellScreen
from tests.support.plainpty import client_env
from tests.support.rawpty import RawTerminal
from tests.support.wsclient import RawClient

DOWN = b"\x1b[B"


def _console(tmp_path: Path, url: str, token: str) -> RawTerminal:
    env = client_env(tmp_path / "config")
    env["TERM"] = "linux"  # the console, and what Fenrir's terminal emulation is
    for name in ("SSH_CONNECTION", "SSH_TTY", "SSH_CLIENT"):
        env.pop(name, None)
    return RawTerminal([sys.executable, "-m", "iop_tui", "join", url, "--token", token], env)


async def test_a_down_press_while_rows_arrive_ends_with_the_cursor_alone_moving_onto_the_focused_row(seeded, tmp_path) -> None:
    sam, alex = seeded.participants[0], seeded.participants[1]
    async with RawClient(seeded.url, seeded.facilitator.token) as dana:
        await dana.wait_synced()
        await dana.command("session.start", {"title": "Week 3"})
    term = _console(tmp_path, seeded.url, seeded.facilitator.token)
    try:
        async with RawClient(seeded.url, sam.token) as s, RawClient(seeded.url, alex.token) as a:
            await s.wait_synced()
            await a.wait_synced()
            await term.wait_for(b"Checked in: 0 of")
            await s.command("checkin.submit", {"mood": 3, "feelings": ["tired"], "note": "", "note_to": "facilitators"})
            await term.wait_for(b"Sam: mood 3")
            await term.read(0.5)
            screen = CellScreen(80, 24)
            screen.feed(bytes(term.output))
            assert screen.cursor_line().strip().startswith("> Checked in: 1 of"), screen.cursor_line()
            before = screen.row
            mark = len(term.output)
            term.write(DOWN)  # and a check-in arrives with it
            await a.command("checkin.submit", {"mood": 7, "feelings": ["calm"], "note": "", "note_to": "facilitators"})
            await term.wait_for(b"Alex: mood 7", since=mark)
            await term.read(1.0)
        screen.log.clear()
        screen.feed(bytes(term.output[mark:]))
        focused = screen.cursor_line().strip()
        assert focused.startswith("> Sam: mood 3"), f"the cursor is not on the focused row: {focused!r}"
        log = screen.log
        marked = min(i for i, e in enumerate(log) if e == ("draw", screen.row))  # the marker drawn on the focused row
        alone = [i for i in range(marked, len(log) - 1) if log[i][:2] == ("cursor", before) and log[i + 1][:2] == ("cursor", screen.row)]
        assert alone, (
            "after the rows are drawn the cursor must rest where it was, then move alone onto the focused row"
            f" (a screen reader reads a cursor row only when nothing else changed): {log[marked:]}"
        )
    finally:
        await term.close()
