"""End to end: the real ``iop-tui demo`` in a real terminal.

One run of the full-screen demo in tmux at 80x24 (quit with Ctrl+Q), and one
run of ``iop-tui demo --plain`` on a pty with piped input (leave with end of
input). Both must show the session, never a traceback, and leave no relay
process or temporary folder behind. ``IOP_DEMO_TEMPO`` makes the simulated
members act quickly; nothing here asserts on time.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.support.plainpty import REPO, PtyProgram, children_matching, client_env, wait_gone

DEMO_DIR = re.compile(r"--data (\S*iop-demo-\S+)")


def demo_argv(*args: str) -> list[str]:
    script = REPO / ".venv" / "bin" / "iop-tui"
    if script.exists():
        return [str(script), "demo", *args]
    return [sys.executable, "-m", "iop_tui", "demo", *args]


def relay_of(pid: int, timeout: float = 30) -> tuple[int, Path]:
    """The demo's relay process (a descendant of ``pid``) and its data folder."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for child, cmd in children_matching(pid, "server serve"):
            found = DEMO_DIR.search(cmd)
            if found:
                return child, Path(found.group(1))
        time.sleep(0.1)
    raise AssertionError("the demo's relay process was not found")


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=15).stdout


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (CI installs it): the full-screen demo needs a real terminal")
async def test_full_screen_demo_in_tmux(tmp_path):
    name = f"iop-e2e-{uuid.uuid4().hex[:8]}"
    exit_file = tmp_path / "exit-code"
    env = client_env(tmp_path / "config", IOP_DEMO_TEMPO="0.3")
    command = " ".join(
        [f"{k}={subprocess.list2cmdline([v])}" for k, v in (("PYTHONPATH", env["PYTHONPATH"]), ("IOP_TUI_CONFIG_DIR", env["IOP_TUI_CONFIG_DIR"]), ("IOP_DEMO_TEMPO", "0.3"))]
        + [subprocess.list2cmdline(demo_argv())]
        + [f"; echo $? > {exit_file}; sleep 30"]
    )
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "80", "-y", "24", "-c", str(REPO), command], check=True, timeout=15)
    try:
        pane_pid = int(tmux("display-message", "-p", "-t", name, "#{pane_pid}").strip())
        screen = ""
        deadline = time.monotonic() + 40
        wanted = ("Check-in", "Slides", "Polls", "Chat", "Homework", "Week 3: Reframing thoughts", "Tuesday IOP")
        while time.monotonic() < deadline:
            screen = tmux("capture-pane", "-p", "-t", name)
            if all(w in screen for w in wanted) and "mood" in screen:
                break
            await asyncio.sleep(0.3)
        assert all(w in screen for w in wanted), f"the demo screen lacks a pane or the session:\n{screen}"
        assert "Traceback" not in screen
        relay_pid, data_dir = relay_of(pane_pid)
        assert data_dir.exists()
        tmux("send-keys", "-t", name, "C-q")
        deadline = time.monotonic() + 30
        while not exit_file.exists() and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        assert exit_file.exists(), "the demo did not exit on Ctrl+Q:\n" + tmux("capture-pane", "-p", "-t", name)
        await asyncio.sleep(0.2)
        assert exit_file.read_text().strip() == "0"
        after = tmux("capture-pane", "-p", "-t", name, "-S", "-200")
        assert "Traceback" not in after and "Error" not in after, after
        assert wait_gone(relay_pid), "the relay process outlived the demo"
        assert not data_dir.exists(), "the demo's temporary folder was left behind"
    finally:
        tmux("kill-session", "-t", name)


async def test_plain_demo_with_piped_input(tmp_path):
    env = client_env(tmp_path / "config", IOP_DEMO_TEMPO="0.2")
    with PtyProgram(demo_argv("--plain", "--as", "participant"), env, stdin_pipe=True) as demo:
        try:
            await demo.wait_for("Joined Tuesday IOP as Jamie, participant. Session Week 3: Reframing thoughts is live, phase check in.", timeout=40)
            relay_pid, data_dir = relay_of(demo.proc.pid)
            await demo.wait_for("Check in, Sam: mood", timeout=30)
            await demo.wait_for("How are you arriving today", timeout=30)
            demo.type("/checkin 6 curious -- first time here")
            demo.type("/vote 6")
            await demo.wait_for("Your vote is in", timeout=20)
            demo.type("Hello everyone")
            await demo.wait_for("Chat, Jamie: Hello everyone", timeout=20)
            demo.eof()
            assert await demo.wait_exit(30) == 0
        finally:
            demo.close()
    out = demo.flat
    assert b"\x1b" not in bytes(demo.output)
    assert "Traceback" not in out
    assert "Left Tuesday IOP." in out
    assert out.count("Chat, Jamie: Hello everyone") == 1
    assert "Rough weekend" not in out, "Sam's note for the facilitators reached a participant"
    assert wait_gone(relay_pid), "the relay process outlived the demo"
    assert not data_dir.exists(), "the demo's temporary folder was left behind"


def test_full_screen_demo_without_a_terminal_says_so(tmp_path):
    done = subprocess.run(demo_argv(), env=client_env(tmp_path / "config"), cwd=REPO, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert "needs a terminal" in done.stderr and "--plain" in done.stderr
    assert "Traceback" not in done.stderr
