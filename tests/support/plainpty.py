"""Helpers for the plain-mode and demo tests: a real program on a real pty.

``PtyProgram(argv)`` runs a command with its stdout (and, unless told
otherwise, stdin) on a fresh pseudo-terminal; a thread keeps reading what it
prints so the relay and the test's own clients keep running. ``wait_for``
polls that output with a timeout, so a hang fails with a sentence.
``seed_group`` creates a group and invitations with ``python -m server``
(the real CLI, before the relay starts) and returns name -> credential.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.support.procs import REPO, run_cli
from tests.support.ptyrun import kill_group, read_all, spawn

__all__ = ["REPO", "PtyProgram", "seed_group", "client_env", "plain_argv"]


def client_env(config_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["IOP_TUI_CONFIG_DIR"] = str(config_dir)
    env["TERM"] = "xterm-256color"
    env.pop("NO_COLOR", None)
    env.update(extra)
    return env


def plain_argv(url: str, token: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "iop_tui", "join", url, "--token", token, "--plain", *extra]


def seed_group(data_dir: Path, participants=("Sam", "Alex", "Riley"), guests=()) -> dict[str, dict]:
    """Group "Tuesday IOP" with facilitator Dana, via the real ``python -m server`` CLI."""
    def call(*args: str) -> dict:
        done = run_cli(*args, "--data", str(data_dir), "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])

    creds = {"Dana": call("group", "create", "Tuesday IOP", "--facilitator", "Dana")}
    for name in participants:
        creds[name] = call("invite", "Tuesday IOP", "--name", name)
    for name in guests:
        creds[name] = call("invite", "Tuesday IOP", "--name", name, "--role", "guest")
    return creds


class PtyProgram:
    """A child process on an 80x24 pty, its output collected by a reader thread."""

    def __init__(self, argv: list[str], env: dict[str, str], *, stdin_pipe: bool = False, stderr=None, echo: bool = True) -> None:
        self.master, self.proc, _ = spawn(argv, env, echo=echo, stdin=subprocess.PIPE if stdin_pipe else None, stderr=stderr)
        self.output = bytearray()
        self._lock = threading.Lock()
        self._thread = read_all(self.master, self._keep)

    def _keep(self, chunk: bytes) -> None:
        with self._lock:
            self.output += chunk

    @property
    def text(self) -> str:
        with self._lock:
            return self.output.decode("utf-8", "replace").replace("\r\n", "\n")

    def type(self, line: str) -> None:
        """Type a line (and Enter) at the terminal, or into the stdin pipe."""
        data = (line + "\n").encode()
        if self.proc.stdin is not None:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        else:
            os.write(self.master, data)

    def eof(self) -> None:
        """Control D at the start of a line (or close the stdin pipe)."""
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        else:
            os.write(self.master, b"\x04")

    @property
    def flat(self) -> str:
        """The output with line breaks as spaces: plain mode wraps long lines at the terminal's width."""
        return " ".join(self.text.split())

    async def wait_for(self, needle: str, timeout: float = 15, count: int = 1) -> str:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.flat.count(needle) < count:
            if loop.time() > deadline:
                raise AssertionError(f"timed out waiting for {needle!r}; the program printed:\n{self.text[-3000:]}")
            if self.proc.poll() is not None and self.flat.count(needle) < count:
                await asyncio.sleep(0.2)
                if self.flat.count(needle) < count:
                    raise AssertionError(f"the program exited ({self.proc.returncode}) before printing {needle!r}:\n{self.text[-3000:]}")
            await asyncio.sleep(0.05)
        return self.flat

    async def wait_exit(self, timeout: float = 15) -> int:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.proc.poll() is None:
            if loop.time() > deadline:
                raise AssertionError(f"the program did not exit; it printed:\n{self.text[-3000:]}")
            await asyncio.sleep(0.05)
        self._thread.join(2)
        return self.proc.returncode

    def close(self) -> None:
        kill_group(self.proc, 10)
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            os.close(self.master)
        except OSError:
            pass

    def __enter__(self) -> PtyProgram:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def wait_gone(pid: int, timeout: float = 10) -> bool:
    """Whether process ``pid`` is gone (or a zombie) within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(") ", 1)[1].startswith("Z"):
                    return True
        except (FileNotFoundError, ProcessLookupError):
            return True
        time.sleep(0.1)
    return False


def children_matching(parent: int, needle: str) -> list[tuple[int, str]]:
    """Descendant processes of ``parent`` whose command line contains ``needle``."""
    found = []
    tree = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().split(") ", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError, ValueError):
            continue
        tree[int(entry)] = (ppid, cmd)
    for pid, (ppid, cmd) in tree.items():
        p = ppid
        while p in tree and p != parent:
            p = tree[p][0]
        if (p == parent or ppid == parent) and needle in cmd:
            found.append((pid, cmd))
    return found
