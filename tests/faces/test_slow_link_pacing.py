"""The full-screen face behind a 9,600 bit/s link with 300 ms latency (issue 17).

The real client runs on a pty behind tests/support/pacing.py's relay, played
at four times the real rate (38,400 bit/s, 75 ms), and what it writes must
come through. Targets: a chat line readable within 1 s of the relay sending
it, the first screen within 8 s of starting the program. Tests assert no
time: what the link adds follows from the bytes (at the real rate, every
byte written since the event waiting in line before the last one), and the
program's own time is an allowance, measured by bench/terminal_bytes.py
(about 0.1 s for a line, 1-2 s to start); the times this run saw are printed.
Then ``--low-bandwidth``: no colour codes and no toast, and a VT100 is told
about the switch; and Ctrl+L repaints a screen something else wrote over.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time

from tests.faces.test_app_terminal import ANY_COLOUR, _env
from tests.support.pacing import REAL_LINK, Link, PacedTerminal
from tests.support.wsclient import RawClient

PLAYED = Link(38_400, 0.075)
QUIET = 1.5
FIRST_SCREEN_S, FIRST_SCREEN_PROGRAM_S = 8.0, 2.5  # the target; the program's own time allowed
CHAT_LINE_S, CHAT_LINE_PROGRAM_S = 1.0, 0.25


def client(seeded, token: str, *extra: str) -> list[str]:
    return [sys.executable, "-c", "import sys; from iop_tui.cli import main; sys.exit(main(sys.argv[1:]))",
            "join", seeded.url, "--token", token, *extra]


async def settle(term: PacedTerminal, timeout: float = 30) -> None:
    """Until the program has been quiet a while and the real link, too, has carried all it wrote."""
    deadline = time.monotonic() + timeout
    await asyncio.sleep(QUIET)
    while time.monotonic() < deadline and not (term.quiet_for(QUIET) and time.monotonic() >= term.settled_at(link=REAL_LINK)):
        await asyncio.sleep(0.1)


async def wait_written(term: PacedTerminal, text: bytes, after: float = 0.0, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while term.readable_at(text, after) is None:
        assert term.proc.poll() is None, f"the client ended: {term.delivered()[-400:]!r}"
        assert time.monotonic() < deadline, f"{text!r} never came; last output {term.delivered()[-300:]!r}"
        await asyncio.sleep(0.05)


def said(term: PacedTerminal) -> bytes:
    """The words that reached the terminal, escape sequences out, rows run together."""
    return b" ".join(re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b" ", term.delivered()).split())


async def test_behind_9600_bit_s_the_first_screen_is_readable_within_8_s_and_a_chat_line_within_1_s(seeded) -> None:
    sam, alex = seeded.participants[0], seeded.participants[1]
    async with RawClient(seeded.url, seeded.facilitator.token) as dana, RawClient(seeded.url, alex.token) as alex_ws:
        await dana.wait_ack(await dana.send("session.start", {"title": "Week 3"}))
        await dana.wait_ack(await dana.send("phase.set", {"phase": "discussion"}))
        term = PacedTerminal(client(seeded, sam.token), _env(), link=PLAYED)
        try:
            await wait_written(term, b"Tuesday IOP")
            await settle(term)
            assert b"Tuesday IOP" in term.delivered(), "the played link delivered the header"
            first = term.written_since(0.0)
            link = REAL_LINK.seconds(first)
            print(f"first screen: {first} B, {link:.2f} s on the link; seen whole after "
                  f"{term.settled_at(link=REAL_LINK) - term.started:.2f} s at 9,600 bit/s in this run")
            assert link + FIRST_SCREEN_PROGRAM_S <= FIRST_SCREEN_S, f"the first screen's {first} B take {link:.1f} s at 9,600 bit/s"
            for text in ("I caught a thought today.", "And another one.", "Noticing helps."):
                sent = time.monotonic()
                await alex_ws.wait_ack(await alex_ws.send("chat.send", {"text": text}))
                await wait_written(term, text.encode(), after=sent)
                size = term.bytes_until(text.encode(), after=sent)
                assert size is not None
                link = REAL_LINK.seconds(size)
                seen = term.readable_at(text.encode(), after=sent, link=REAL_LINK)
                print(f"{text!r}: {size} B before it was whole, {link:.2f} s on the link; seen after "
                      f"{(seen or sent) - sent:.2f} s at 9,600 bit/s in this run")
                assert link + CHAT_LINE_PROGRAM_S <= CHAT_LINE_S, f"{text!r} came after {size} B: {link:.2f} s at 9,600 bit/s"
                await settle(term)
        finally:
            term.close()


async def test_low_bandwidth_writes_no_colour_and_no_toast_and_a_vt100_hears_of_the_switch_once(seeded) -> None:
    sam, riley = seeded.participants[0], seeded.participants[2]
    async with RawClient(seeded.url, seeded.facilitator.token) as dana:
        await dana.wait_ack(await dana.send("session.start", {"title": "Week 3"}))
        lean = PacedTerminal(client(seeded, sam.token, "--low-bandwidth"), _env(), link=PLAYED)
        old = PacedTerminal(client(seeded, riley.token), _env(TERM="vt100"), link=PLAYED)
        try:
            await wait_written(lean, b"Tuesday IOP")
            deadline = time.monotonic() + 30
            while b"--low-bandwidth draws less." not in said(old):
                assert time.monotonic() < deadline, f"no hint on the VT100: {said(old)[-300:]!r}"
                await asyncio.sleep(0.1)
            await settle(lean)
            # A private line to Sam: a titled toast in the default face; in the lean one, the status line only.
            await dana.wait_ack(await dana.send("chat.reply", {"member_id": sam.member_id, "text": "Can we talk after?"}))
            await wait_written(lean, b"Can we talk after?")
            await settle(lean)
            shown = lean.delivered()
            assert ANY_COLOUR.search(shown) is None, "--low-bandwidth wrote a colour code"
            assert b"Private line" not in shown, "--low-bandwidth showed a toast"
            assert b"\xe2\x94\x81" not in shown, "--low-bandwidth drew the bar under the tabs"
            assert b"--low-bandwidth" not in shown, "no hint once the switch is on"
            assert b"(TERM is vt100): iop-tui --low-bandwidth draws less." in said(old), "the VT100 is told why"
        finally:
            lean.close()
            old.close()


async def test_ctrl_l_repaints_a_screen_something_else_wrote_over(seeded) -> None:
    """Only changed cells are written, so a screen written over by something else (a wall
    message, line noise) stays wrong until Ctrl+L, which repaints it all."""
    sam = seeded.participants[0]
    async with RawClient(seeded.url, seeded.facilitator.token) as dana:
        await dana.wait_ack(await dana.send("session.start", {"title": "Week 3"}))
        term = PacedTerminal(client(seeded, sam.token), _env(), link=Link(10**9, 0.0))
        try:
            await wait_written(term, b"Tuesday IOP")
            await settle(term)
            with open(term.slave_name, "wb", buffering=0) as other:
                other.write(b"\x1b[1;1HBroadcast message from root")
            before = time.monotonic()
            os.write(term.master, b"\x0c")  # Ctrl+L
            await wait_written(term, b"Tuesday IOP", after=before)
        finally:
            term.close()
