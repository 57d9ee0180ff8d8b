"""The Textual app in a real pseudo-terminal: colour, idle output, and a refused join.

The client runs as a subprocess (``python -c`` constructing ``IopApp``) on an
80x24 pty, joined to the relay fixture running in this test's event loop.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from tests.support.apphelp import wait_until

REPO = Path(__file__).resolve().parents[2]
CLIENT = (
    "import sys\n"
    "from iop_tui.core.session import ClientSession\n"
    "from iop_tui.tui.app import IopApp\n"
    "IopApp(ClientSession(sys.argv[1], sys.argv[2]), theme=sys.argv[3]).run()\n"
)
TRUECOLOR = re.compile(rb"\x1b\[[0-9;]*[34]8;2;")
ANY_COLOUR = re.compile(rb"\x1b\[(?:[0-9;]*;)?(?:3[0-7]|4[0-7]|9[0-7]|10[0-7]|[34]8;[25])[;m]")  # 39 and 49 mean "default"


class Terminal:
    """A child process on an 80x24 pty; output is read in a thread so the relay keeps running."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=REPO, start_new_session=True)
        os.close(slave)
        self.output = bytearray()

    def _read(self, seconds: float) -> int:
        deadline = time.monotonic() + seconds
        count = 0
        while (left := deadline - time.monotonic()) > 0:
            if select.select([self.master], [], [], min(left, 0.1))[0]:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    break
                count += len(chunk)
                self.output += chunk
        return count

    async def read(self, seconds: float) -> int:
        return await asyncio.to_thread(self._read, seconds)

    async def wait_for(self, marker: bytes, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while marker not in self.output:
            if time.monotonic() > deadline:
                raise AssertionError(f"{marker!r} never appeared on the terminal; last output: {bytes(self.output[-300:])!r}")
            await self.read(0.1)

    async def close(self) -> None:
        try:
            os.write(self.master, b"\x11")  # Ctrl+Q
        except OSError:
            pass
        for _ in range(50):
            if self.proc.poll() is not None:
                break
            await self.read(0.1)
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        os.close(self.master)


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["TERM"] = "xterm-256color"
    env["COLORTERM"] = "truecolor"  # the terminal could show 24-bit colour: the app must choose not to
    env.pop("NO_COLOR", None)
    env.update(extra)
    return env


async def test_no_color_with_ansi_theme_writes_no_colour_and_idles_silently(seeded) -> None:
    term = Terminal([sys.executable, "-c", CLIENT, seeded.url, seeded.participants[0].token, "ansi-dark"], _env(NO_COLOR="1"))
    try:
        await term.wait_for(b"Tuesday IOP")
        await term.read(1.5)
        assert TRUECOLOR.search(bytes(term.output)) is None
        assert ANY_COLOUR.search(bytes(term.output)) is None
        idle = await term.read(4.0)
        assert idle == 0, f"an idle app wrote {idle} bytes"
    finally:
        await term.close()


async def test_truecolor_theme_does_use_24_bit_colour(seeded) -> None:
    """The check above can fail: a true-colour theme without NO_COLOR writes 38;2 codes."""
    term = Terminal([sys.executable, "-c", CLIENT, seeded.url, seeded.participants[0].token, "textual-dark"], _env())
    try:
        await term.wait_for(b"Tuesday IOP")
        assert TRUECOLOR.search(bytes(term.output)) is not None
    finally:
        await term.close()


async def test_wrong_token_is_one_sentence_and_q_quits(relay) -> None:
    from iop_tui.tui.app import IopApp
    from iop_tui.core.session import ClientSession

    app = IopApp(ClientSession(relay.url, "not-a-real-token"))
    async with app.run_test(size=(80, 24)) as pilot:
        from iop_tui.tui.screens.fatal import FatalScreen

        await wait_until(pilot, lambda: isinstance(app.screen, FatalScreen), "the fatal screen", timeout=15)
        sentence = str(app.screen.query_one("#fatal-sentence").render())
        assert sentence and "Traceback" not in sentence
        await pilot.press("q")
        await wait_until(pilot, lambda: app._exit, "the app to quit")


async def test_client_leaves_when_its_terminal_goes_away(seeded) -> None:
    """A pty closed without SIGHUP (a crashed terminal) must not leave a client spinning.

    Without the hang-up watcher Textual reads end-of-file forever at most of a
    core, with the group's session still in memory.
    """
    term = Terminal([sys.executable, "-c", CLIENT, seeded.url, seeded.participants[0].token, "ansi-dark"], _env())
    try:
        await term.wait_for(b"Tuesday IOP")
        os.close(term.master)
        for _ in range(100):
            if term.proc.poll() is not None:
                break
            await asyncio.sleep(0.1)
        assert term.proc.poll() is not None, "the client kept running after its terminal went away"
    finally:
        if term.proc.poll() is None:
            os.killpg(term.proc.pid, signal.SIGKILL)
            term.proc.wait(5)
