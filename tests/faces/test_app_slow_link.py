"""The full-screen face on a slow link: what one event costs in terminal bytes (issue 17).

The real client runs on an 80x24 pty against the relay fixture; a facilitator
and a member drive it over raw websockets. After each event the test reads the
terminal until it has been quiet a while and counts the bytes written: counts,
not times. Budgets from issue 17: a chat line at most 400 B, five lines at most
2 KB, a terminal focus change nothing, an idle minute nothing.
"""

from __future__ import annotations

import os
import sys

from tests.faces.test_app_terminal import CLIENT, Terminal, _env
from tests.support.wsclient import RawClient

QUIET = 1.5  # seconds without output after which an event's repaint is over
CHAT_LINE_BUDGET = 400
FIVE_LINES_BUDGET = 2_000


async def settled(term: Terminal) -> int:
    """Read until the terminal has been quiet for QUIET seconds; the bytes read."""
    total = 0
    while chunk := await term.read(QUIET):
        total += chunk
    return total


async def session_on_chat(seeded, dana: RawClient) -> Terminal:
    """A running session in its discussion phase, and Sam's full-screen face on the Chat pane."""
    await dana.wait_ack(await dana.send("session.start", {"title": "Week 3"}))
    term = Terminal([sys.executable, "-c", CLIENT, seeded.url, seeded.participants[0].token, "ansi-dark"], _env())
    await term.wait_for(b"Tuesday IOP")
    await settled(term)
    await dana.wait_ack(await dana.send("phase.set", {"phase": "discussion"}))
    await term.wait_for(b"Discussion")
    await settled(term)
    return term


async def test_one_incoming_chat_line_costs_at_most_400_bytes_and_five_at_most_2_kb(seeded) -> None:
    async with (
        RawClient(seeded.url, seeded.facilitator.token) as dana,
        RawClient(seeded.url, seeded.participants[1].token) as alex,
    ):
        term = await session_on_chat(seeded, dana)
        try:
            start = len(term.output)
            await alex.wait_ack(await alex.send("chat.send", {"text": "I caught a thought today."}))
            await term.wait_for(b"I caught a thought today.")
            await settled(term)
            one = len(term.output) - start
            start = len(term.output)
            for n in range(1, 6):
                await alex.wait_ack(await alex.send("chat.send", {"text": f"Line {n} of five."}))
            await term.wait_for(b"Line 5 of five.")
            await settled(term)
            five = len(term.output) - start
            assert one <= CHAT_LINE_BUDGET, f"one chat line wrote {one} bytes to the terminal"
            assert five <= FIVE_LINES_BUDGET, f"five chat lines wrote {five} bytes to the terminal"
        finally:
            await term.close()


async def test_terminal_focus_in_and_out_writes_nothing(seeded) -> None:
    async with RawClient(seeded.url, seeded.facilitator.token) as dana:
        term = await session_on_chat(seeded, dana)
        try:
            wrote = {}
            for name, report in (("focus out", b"\x1b[O"), ("focus in", b"\x1b[I")):
                term.output.clear()
                os.write(term.master, report)
                wrote[name] = await settled(term)
            assert wrote == {"focus out": 0, "focus in": 0}
        finally:
            await term.close()


async def test_an_idle_session_on_the_chat_pane_writes_nothing(seeded) -> None:
    async with RawClient(seeded.url, seeded.facilitator.token) as dana:
        term = await session_on_chat(seeded, dana)
        try:
            idle = await term.read(5.0)
            assert idle == 0, f"an idle face wrote {idle} bytes"
        finally:
            await term.close()
