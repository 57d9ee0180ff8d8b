"""Terminal manners over SSH (issue 18), each checked on the real client in a real pty.

The client is the real program (``python -m iop_tui join URL --token T``) on a
pseudo-terminal whose output the test reads only when it asks
(:class:`tests.support.rawpty.RawTerminal`), joined to the relay fixture
running in this test's event loop.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import fcntl
import struct
import termios
from pathlib import Path

import pytest

from iop_tui.core import words
from iop_tui.tui.driver import PIECE
from iop_tui.tui.keyburst import QUIET
from iop_tui.tui.screens.hidden import HIDDEN_TEXT
from tests.support.apphelp import joined
from tests.support.plainpty import PtyProgram, client_env, plain_argv
from tests.support.rawpty import RawTerminal, pending_bytes
from tests.support.wsclient import RawClient, is_event

TRUECOLOR = re.compile(rb"\x1b\[[0-9;]*[34]8;2;")
ANY_COLOUR = re.compile(rb"\x1b\[(?:[0-9;]*;)?(?:3[0-7]|4[0-7]|9[0-7]|10[0-7]|[34]8;[25])[;m]")
F12 = b"\x1b[24~"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = client_env(tmp_path / "config")
    for name in ("SSH_CONNECTION", "SSH_TTY", "SSH_CLIENT", "IOP_TUI_MOUSE", "TEXTUAL_COLOR_SYSTEM"):
        env.pop(name, None)
    env["COLORTERM"] = "truecolor"  # what an SSH session may carry from the facilitator's own terminal
    env.update(extra)
    return env


def _full_screen(url: str, token: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "iop_tui", "join", url, "--token", token, *extra]


# -- 1. quick hide comes before whatever is queued ---------------------------------------


@pytest.mark.serial
async def test_quick_hide_is_written_before_the_output_queued_for_the_covered_screen(seeded, tmp_path) -> None:
    """F12 with the terminal's output backed up (a slow link): the hide line comes first.

    The test stops reading, makes the client redraw its whole screen again and
    again (a window resized back and forth) until the pty is full and frames
    wait in the client, then presses F12 and counts the bytes that arrive
    before the hide line is complete.
    """
    sam = seeded.participants[0]
    term = RawTerminal(_full_screen(seeded.url, sam.token), _env(tmp_path))
    try:
        await term.wait_for(b"Tuesday IOP")
        await term.read(1.0)
        for i in range(30):  # full repaints, nobody reading
            rows, cols = (30, 100) if i % 2 == 0 else (24, 80)
            fcntl.ioctl(term.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
            os.kill(term.proc.pid, signal.SIGWINCH)
            await asyncio.sleep(0.05)
        held = pending_bytes(term.master)  # already on the terminal's side of the pty (sshd's, over SSH)
        assert held > 1000, f"the test did not back the output up ({held} bytes waiting)"
        term.write(F12)
        for _ in range(200):
            if term.unread_input() == 0:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # the key is read; let the client act on it (nothing is timed)
        start = len(term.output)
        end = await term.wait_for(HIDDEN_TEXT.encode(), since=start)
        after = end - start - len(HIDDEN_TEXT) - held
        # At most the one piece the writer thread was already writing when the key was read (a
        # write in progress cannot be taken back), and a little of the one before; before the
        # fix it was the whole backlog, over 150,000 bytes.
        assert after < 2 * PIECE, f"the client wrote {after} bytes of the covered screen after F12, before the hide line"
        # The piece in progress may be a frame's first, with the header: nothing after it may be.
        assert b"Tuesday IOP" not in bytes(term.output[start + held + PIECE : end])
        term.write(b"\r")  # Enter: the session comes back, drawn again
        await term.wait_for(b"Tuesday IOP", since=end)
    finally:
        await term.close()


# -- 2. nothing unused is asked of the terminal -----------------------------------------

FOCUS_REPORTS, MOUSE_MOTION, URXVT_MOUSE, MOUSE_CLICKS = b"\x1b[?1004h", b"\x1b[?1003h", b"\x1b[?1015h", b"\x1b[?1000h"


@pytest.mark.parametrize("over_ssh", [False, True], ids=["local", "over-ssh"])
async def test_focus_reports_and_mouse_motion_are_never_switched_on(seeded, tmp_path, over_ssh) -> None:
    extra = {"SSH_CONNECTION": "192.0.2.7 50000 192.0.2.1 22"} if over_ssh else {}
    term = RawTerminal(_full_screen(seeded.url, seeded.participants[0].token), _env(tmp_path, **extra))
    try:
        await term.wait_for(b"Tuesday IOP")
        await term.read(1.0)
        out = bytes(term.output)
        assert FOCUS_REPORTS not in out
        assert MOUSE_MOTION not in out
        assert URXVT_MOUSE not in out
        if over_ssh:
            assert MOUSE_CLICKS not in out, "mouse clicks were asked for over SSH"
        else:
            assert MOUSE_CLICKS in out, "a local terminal keeps mouse clicks"
    finally:
        await term.close()


# -- 3. TERM: dumb gets the plain face, the VT family and the console no 24-bit colour -----


async def test_a_dumb_terminal_gets_the_plain_face_with_a_line_saying_so(seeded, tmp_path) -> None:
    env = _env(tmp_path, TERM="dumb")
    with PtyProgram(_full_screen(seeded.url, seeded.participants[0].token), env) as sam:
        await sam.wait_for(words.DUMB_TERMINAL)
        await sam.wait_for("Joined Tuesday IOP as Sam")
        assert "\x1b" not in sam.text, "escape codes reached a dumb terminal"


@pytest.mark.parametrize("term_name", ["vt100", "linux"])
async def test_the_console_and_vt100_get_no_24_bit_colour(seeded, tmp_path, term_name) -> None:
    env = _env(tmp_path, TERM=term_name)
    term = RawTerminal(_full_screen(seeded.url, seeded.participants[0].token, "--theme", "textual-dark"), env)
    try:
        await term.wait_for(b"Tuesday IOP")
        await term.read(1.0)
        out = bytes(term.output)
        assert TRUECOLOR.search(out) is None, f"24-bit colour written to TERM={term_name}"
        assert ANY_COLOUR.search(out) is not None, "the 16 colours are still used"
    finally:
        await term.close()


# -- 4. a non-UTF-8 locale gets its own encoding, readably -------------------------------


async def _zoe_says(relay, seeded) -> RawClient:
    _member, token = relay.store.add_member(seeded.group_id, "Zo\u00eb", "participant")
    zoe = RawClient(seeded.url, token)
    await zoe.__aenter__()
    return zoe


async def test_an_ascii_locale_plain_face_writes_ascii_that_reads(relay, seeded, tmp_path) -> None:
    zoe = await _zoe_says(relay, seeded)
    try:
        env = _env(tmp_path, LC_ALL="C", LANG="C")
        with PtyProgram(plain_argv(seeded.url, seeded.participants[0].token), env) as sam:
            await sam.wait_for("Joined Tuesday IOP as Sam")
            await zoe.command("chat.send", {"text": "Caf\u00e9 \u2014 it helped \u2764", "to": "group"})
            await sam.wait_for("Cafe - it helped \\u2764")
            assert "Zoe" in sam.text
            assert all(byte < 0x80 for byte in sam.output), "a byte outside ASCII reached an ASCII terminal"
    finally:
        await zoe.close()


async def test_an_ascii_locale_full_screen_writes_only_ascii(relay, seeded, tmp_path) -> None:
    zoe = await _zoe_says(relay, seeded)
    term = RawTerminal(_full_screen(seeded.url, seeded.participants[0].token), _env(tmp_path, LC_ALL="C", LANG="C"))
    try:
        await term.wait_for(b"Tuesday IOP")
        await zoe.command("chat.send", {"text": "Caf\u00e9 \u2014 it helped", "to": "group"})
        await term.wait_for(b"Cafe - it helped")
        await term.read(0.5)
        out = bytes(term.output)
        assert all(byte < 0x80 for byte in out), f"non-ASCII bytes on an ASCII terminal: {sorted({b for b in out if b >= 0x80})[:10]}"
    finally:
        await zoe.close()
        await term.close()


# -- 5. a pane key reads the same wherever it lands in the terminal's bytes ---------------

CHAT_FOCUSED = b"Private on/off"  # the footer names Ctrl+T while the focus is in the Chat pane


async def test_escape_then_a_digit_read_together_as_alt_digit_still_brings_the_pane_forward(seeded, tmp_path) -> None:
    """Escape and 4 in one packet (a link that bunches keys) are read as Alt+4: the Chat pane comes
    forward with its field focused, and what is typed next is sent to the group."""
    sam = seeded.participants[0]
    async with RawClient(seeded.url, seeded.facilitator.token) as dana:
        term = RawTerminal(_full_screen(seeded.url, sam.token), _env(tmp_path))
        try:
            await term.wait_for(b"Tuesday IOP")
            await term.read(0.5)
            start = len(term.output)
            term.write(b"\x1b4")  # one write: Escape, then 4 at once
            await term.wait_for(CHAT_FOCUSED, since=start)
            term.write(b"hello")
            # The echo may come in pieces ("he", then "llo"): the driver writes only the cells a frame
            # changes. The relay receiving the line below proves where it was typed.
            await term.read(3 * QUIET)
            term.write(b"\r")
            await dana.recv_until(is_event("chat.posted", text="hello"))
        finally:
            await term.close()


@pytest.mark.parametrize("pane_key", [b"\x1b[14~", b"\x1b4"], ids=["F4", "Escape-4"])
async def test_keys_in_the_same_write_as_a_pane_key_reach_the_new_pane(seeded, tmp_path, pane_key) -> None:
    """F4 (or Escape and 4) and a word in one write: the word is typed in the Chat pane's field,
    not in the Check-in pane that was in front when the bytes arrived."""
    sam = seeded.participants[0]
    async with RawClient(seeded.url, seeded.facilitator.token) as dana:
        term = RawTerminal(_full_screen(seeded.url, sam.token), _env(tmp_path))
        try:
            await term.wait_for(b"Tuesday IOP")
            await term.read(0.5)
            start = len(term.output)
            term.write(pane_key + b"thanks all")
            await term.wait_for(b"thanks all", since=start)
            await term.read(3 * QUIET)  # the person reads what they typed: Enter is a key of its own, not the burst's
            term.write(b"\r")
            await dana.recv_until(is_event("chat.posted", text="thanks all"))
        finally:
            await term.close()


# -- 6. a rejoin opens on the phase's pane -------------------------------------------------


async def test_a_rejoin_opens_on_the_pane_of_the_phase_with_its_open_poll(seeded, tmp_path) -> None:
    sam = seeded.participants[0]
    async with RawClient(seeded.url, seeded.facilitator.token) as dana:
        await dana.command("session.start", {"title": "Week 3"})
        await dana.command("phase.set", {"phase": "exercises"})
        await dana.command("poll.open", {"question": "Which thought is kinder?", "poll_kind": "single", "options": ["I failed", "I learned"]})
        term = RawTerminal(_full_screen(seeded.url, sam.token), _env(tmp_path))
        try:
            await term.wait_for(b"Tuesday IOP")
            await term.wait_for(b"Which thought is kinder?")
        finally:
            await term.close()


@pytest.mark.parametrize("size", [(40, 12), (80, 24)], ids=["40x12", "80x24"])
async def test_every_tab_is_on_the_tab_row_with_its_key_number_and_its_key_reaches_it(seeded, size) -> None:
    from textual.widgets import Tab

    from iop_tui.tui.panekeys import PANES

    width, _rows = size
    async with joined(seeded.url, seeded.participants[0].token, size=size) as (app, pilot):
        screen = app.session_screen()
        tabs = {tab.id.removeprefix("--content-tab-"): tab for tab in screen.query(Tab)}
        for number, pane in enumerate(PANES, 1):
            tab = tabs[pane]
            label = str(tab.label).removeprefix(">").replace(">", " ")  # the pane in front is marked ">" (issue 12)
            assert label.startswith(f"{number} ") and len(label) > 3, f"the {pane} tab says {label!r}"
            assert 0 <= tab.region.x and tab.region.right <= width, f"the {pane} tab ({label!r}) is off the {width}-column row: {tab.region}"
        for number, pane in reversed(list(enumerate(PANES, 1))):
            await pilot.press("escape", str(number))
            await pilot.pause()
            assert screen.active_pane == pane
            tab = tabs[pane]
            assert tab.region.right <= width, f"the {pane} tab went off the row when chosen"
