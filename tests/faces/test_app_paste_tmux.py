"""Pastes a terminal does not bracket, into the real full-screen client in tmux at 80x24.

The relay is the real ``python -m server serve`` on a loopback port, seeded
with the real CLI; the member's client is the real ``IopApp`` on a real
``ClientSession`` in a tmux pane; the facilitator is a raw websocket client.
What the relay did is read from its own log (the events table of its
SQLite file), so a hand raised or a line sent by a paste cannot hide.

``tmux paste-buffer`` without ``-p`` and ``tmux send-keys -l`` both deliver
text as plain keystrokes, the way a terminal without bracketed paste does.
The figures printed (CPU seconds, memory) are for the report; nothing here
asserts on time.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from iop_tui.tui.keyburst import QUIET
from tests.support.plainpty import client_env, seed_group
from tests.support.procs import start_server_process
from server.store import DB_NAME
from tests.support.tmuxpane import FULL_SCREEN_CLIENT, TmuxPane
from tests.support.wsclient import RawClient

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (CI installs it)")

LIMIT_SENTENCE = "Your message is 100,000 characters; the limit is 2,000."


class TmuxClient(TmuxPane):
    """The member's full-screen client in its own tmux server (80x24)."""

    def __init__(self, tmp_path: Path, url: str, token: str) -> None:
        script = tmp_path / "client.py"
        script.write_text(FULL_SCREEN_CLIENT, encoding="utf-8")
        env = client_env(tmp_path / "config", IOP_TEST_URL=url, IOP_TEST_TOKEN=token)
        super().__init__(f"focus-{uuid.uuid4().hex[:8]}", [sys.executable, str(script)], env)

    def paste_unbracketed(self, path: Path) -> None:
        buffer = f"{self.name}-paste"
        self.tmux("load-buffer", "-b", buffer, str(path))
        self.tmux("paste-buffer", "-d", "-b", buffer, "-t", self.name)  # no -p: no paste brackets

    def client_pid(self) -> int | None:
        pane = self.tmux("display-message", "-p", "-t", self.name, "#{pane_pid}").strip()
        out = subprocess.run(["pgrep", "-P", pane, "-f", "client.py"], capture_output=True, text=True).stdout.split()
        return int(out[0]) if out else (int(pane) if pane else None)

    def close(self) -> None:
        self.keys("C-q")
        super().close()


@contextlib.asynccontextmanager
async def sam_on_pane(relay_and_creds, tmp_path: Path, key: str, shown: str) -> AsyncIterator[TmuxClient]:
    """A session started by Dana (a raw client); Sam's full-screen client on the pane ``key`` brings forward."""
    server, creds, _data = relay_and_creds
    async with RawClient(server.url, creds["Dana"]["token"]) as dana:
        await dana.wait_ack(await dana.send("session.start", {"title": "Week 3"}))
        client = TmuxClient(tmp_path, server.url, creds["Sam"]["token"])
        try:
            await client.wait_for("Tuesday IOP", "Mood")
            client.keys(key)
            await client.wait_for(shown)
            yield client
        finally:
            client.close()


def relay_events(data: Path) -> list[str]:
    """The event types the relay stored, in order (its log)."""
    db = sqlite3.connect(f"file:{data / DB_NAME}?mode=ro", uri=True)
    try:
        return [row[0] for row in db.execute("SELECT type FROM events ORDER BY group_id, seq")]
    finally:
        db.close()


async def logged(data: Path, event_type: str) -> bool:
    """Whether the relay stores an event of this type within ten seconds."""
    for _ in range(100):
        if event_type in relay_events(data):
            return True
        await asyncio.sleep(0.1)
    return False


def cpu_and_memory(pid: int | None) -> tuple[float, int]:
    """CPU seconds and resident memory (KiB) of ``pid``, from /proc."""
    if pid is None:
        return 0.0, 0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])
        rss = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("VmRSS:"))
    except (OSError, StopIteration, ValueError, IndexError):
        return 0.0, 0
    import os

    return ticks / os.sysconf("SC_CLK_TCK"), rss


@pytest.fixture
def relay_and_creds(tmp_path: Path):
    data = tmp_path / "data"
    creds = seed_group(data, participants=("Sam", "Alex"))
    with start_server_process(data) as server:
        yield server, creds, data
        server.stop()


def paste_text(size: int) -> str:
    """Text full of what would be commands (h, l, digits, brackets, y, tabs, line
    breaks), ending in a marker that shows at the end of the box."""
    line = "h1 l2 [3] y4 n5 6hello\tthere, how are you today?\n"
    end = "END-OF-PASTE"
    body = (line * (size // len(line) + 1))[: size - len(end)]
    return body + end


async def test_an_unbracketed_100_kb_paste_into_the_chat_is_kept_as_text_and_sends_nothing(relay_and_creds, tmp_path: Path) -> None:
    server, creds, data = relay_and_creds
    text = paste_text(100_000)
    assert len(text) == 100_000 and "\n" in text and "h" in text
    source = tmp_path / "paste.txt"
    source.write_text(text, encoding="utf-8")
    async with RawClient(server.url, creds["Dana"]["token"]) as dana:
        await dana.wait_ack(await dana.send("session.start", {"title": "Week 3"}))
        client = TmuxClient(tmp_path, server.url, creds["Sam"]["token"])
        try:
            await client.wait_for("Tuesday IOP", "Mood")
            client.keys("F4")
            await client.wait_for("Sending to: the group")
            pid = client.client_pid()
            cpu_before, rss_before = cpu_and_memory(pid)
            client.paste_unbracketed(source)
            await client.wait_for(LIMIT_SENTENCE, timeout=90)
            cpu_after, rss_after = cpu_and_memory(pid)
            print(f"100 KB unbracketed paste: client CPU {cpu_after - cpu_before:.2f} s, "
                  f"memory {rss_before // 1024} -> {rss_after // 1024} MiB")
            # Enter: refused with the length (said on the status line once the toast has
            # gone), nothing is sent, and the text stays in the box.
            client.keys("Enter")
            screen = await client.wait_for(LIMIT_SENTENCE, "END-OF-PASTE", "Sending to: the group", timeout=60)
            assert "It is kept in" in screen, screen
            await asyncio.sleep(1.0)
        finally:
            client.close()
        stored = relay_events(data)
        assert not [t for t in stored if t.startswith("hand.")], stored
        assert not [t for t in stored if t.startswith("chat.")], stored
        assert not [f for f in dana.frames if str(f.get("type", "")).startswith(("hand.", "chat."))]


async def test_keys_sent_at_once_outside_a_text_field_raise_no_hand(relay_and_creds, tmp_path: Path) -> None:
    data = relay_and_creds[2]
    async with sam_on_pane(relay_and_creds, tmp_path, "F2", "No slides yet") as client:
        client.literal("hh hello 1 2 3 4 5 6 l [ ] h " * 20)
        await client.wait_for("arrived at once")
        await asyncio.sleep(QUIET * 5)
        screen = client.screen()
        assert "No slides yet" in screen, screen  # still the slides pane
        assert not [t for t in relay_events(data) if t.startswith("hand.")]
        # One H on its own still raises the hand: the check above could fail.
        client.keys("h")
        await logged(data, "hand.raised")
        assert [t for t in relay_events(data) if t.startswith("hand.")] == ["hand.raised"]


async def test_a_paste_whose_last_chunk_comes_a_quarter_second_late_raises_no_hand(relay_and_creds, tmp_path: Path) -> None:
    # A paste over a slow or busy link is read in chunks; its last letter may come
    # well after the rest, and it must not count as a hotkey.
    data = relay_and_creds[2]
    async with sam_on_pane(relay_and_creds, tmp_path, "F2", "No slides yet") as client:
        client.literal("hello there, h is for hand ")
        await asyncio.sleep(0.25)
        client.literal("h")
        await client.wait_for("arrived at once")
        await asyncio.sleep(QUIET * 3)
        assert not [t for t in relay_events(data) if t.startswith("hand.")], relay_events(data)


async def test_enter_a_moment_after_typing_that_a_slow_link_brought_at_once_still_sends(relay_and_creds, tmp_path: Path) -> None:
    # Over a slow SSH link the letters a person types arrive together; the Enter they press
    # a moment later is theirs, not part of a paste, and sends the line.
    data = relay_and_creds[2]
    async with sam_on_pane(relay_and_creds, tmp_path, "F4", "Sending to: the group") as client:
        client.literal("ok")
        await asyncio.sleep(0.25)
        client.keys("Enter")
        assert await logged(data, "chat.posted"), client.screen()
