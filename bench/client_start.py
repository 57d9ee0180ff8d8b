"""Start-up time, peak memory and idle output of the Textual client, in a real pty.

Runs a relay subprocess (``python -m server serve``, seeded with
``python -m server group create/invite --json``), then in the same way, each
in its own 80x24 pseudo-terminal:

- the real client (``IopApp`` on a ``ClientSession``) joining the session;
- a minimal Textual app with five tabs, the yardstick.

For each it reports the time from launch to the first painted frame (the
first output holding the header text), peak RSS (``ru_maxrss`` of the child)
and, for the client, the bytes written to the terminal while idle (measured
over IDLE_SECONDS after the join settled, scaled to a minute). Run with::

    .venv/bin/python bench/client_start.py [--runs 3] [--idle 25]

The last line is ``client_start start_ratio=R rss_ratio=Q idle_bytes_per_min=B``.
Targets: both ratios at most 1.3, idle bytes 0.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import re
import select
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

MINIMAL_APP = r'''
from textual.app import App
from textual.widgets import Footer, Static, TabbedContent, TabPane

class Five(App):
    def compose(self):
        yield Static("Minimal five-tab app")
        with TabbedContent():
            for name in ("Check-in", "Slides", "Polls", "Chat", "Homework"):
                with TabPane(name):
                    yield Static(f"{name} pane")
        yield Footer()

Five().run()
'''

CLIENT_APP = r'''
import sys
from iop_tui.core.session import ClientSession
from iop_tui.tui.app import IopApp

IopApp(ClientSession(sys.argv[1], sys.argv[2]), theme=sys.argv[3] if len(sys.argv) > 3 else None).run()
'''


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["TERM"] = "xterm-256color"
    env.pop("NO_COLOR", None)
    env.update(extra or {})
    return env


def _cli(data: Path, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "server", *args, "--data", str(data), "--json"],
        cwd=REPO, env=_env(), capture_output=True, text=True, check=True, timeout=30,
    )
    return json.loads(out.stdout)


class PtyRun:
    """One program in its own pseudo-terminal of 80x24."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=REPO, start_new_session=True)
        os.close(slave)
        self.output = bytearray()

    def read_for(self, seconds: float) -> int:
        """Read whatever arrives for ``seconds``; return the byte count."""
        deadline = time.perf_counter() + seconds
        count = 0
        while (left := deadline - time.perf_counter()) > 0:
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    break
                count += len(chunk)
                self.output += chunk
        return count

    def wait_for(self, marker: bytes, timeout: float = 30) -> float:
        """Seconds from launch until ``marker`` appeared in the output."""
        deadline = time.perf_counter() + timeout
        while marker not in self.output:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise RuntimeError(f"{marker!r} did not appear; output so far: {bytes(self.output[-400:])!r}")
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                self.output += os.read(self.master, 65536)
        return time.perf_counter() - self.started

    def quit(self) -> int:
        """Press Ctrl+Q; return peak RSS in KiB (from the child's rusage)."""
        try:
            os.write(self.master, b"\x11")
        except OSError:
            pass
        deadline = time.perf_counter() + 10
        while time.perf_counter() < deadline:
            pid, status, usage = os.wait4(self.proc.pid, os.WNOHANG)
            if pid:
                self.proc.returncode = status
                os.close(self.master)
                return usage.ru_maxrss
            self.read_for(0.05)
        os.killpg(self.proc.pid, signal.SIGKILL)
        _, _, usage = os.wait4(self.proc.pid, 0)
        os.close(self.master)
        return usage.ru_maxrss


def _median(values: list[float]) -> float:
    values = sorted(values)
    return values[len(values) // 2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="launches of each program (median reported)")
    parser.add_argument("--idle", type=float, default=25.0, help="seconds of idle output to measure")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        group = _cli(data, "group", "create", "Bench group", "--facilitator", "Dana")
        member = _cli(data, "invite", "Bench group", "--name", "Sam", "--role", "participant")
        server = subprocess.Popen(
            [sys.executable, "-m", "server", "serve", "--port", "0", "--data", str(data), "--quiet"],
            cwd=REPO, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )
        try:
            line = server.stdout.readline().decode()
            match = re.search(r"(ws://\S+/)", line)
            if not match:
                raise RuntimeError(f"the relay did not start: {line!r}")
            url = match.group(1)
            del group

            client_first, client_joined, client_ready, client_rss, idle = [], [], [], [], None
            minimal_first, minimal_rss = [], []
            for run in range(args.runs):  # interleaved, so drift in the machine's load hits both alike
                pty_run = PtyRun([sys.executable, "-c", CLIENT_APP, url, member["token"]], _env())
                client_first.append(pty_run.wait_for(b"Check-in"))
                client_joined.append(pty_run.wait_for(b"Bench group"))
                client_ready.append(pty_run.wait_for(b"You have not checked in yet"))
                if run == 0:
                    pty_run.read_for(3.0)  # let the join settle (toasts, focus)
                    idle = pty_run.read_for(args.idle)
                client_rss.append(pty_run.quit())

                pty_run = PtyRun([sys.executable, "-c", MINIMAL_APP], _env())
                minimal_first.append(pty_run.wait_for(b"Check-in"))
                minimal_rss.append(pty_run.quit())
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()

    first, joined, rss = _median(client_first), _median(client_joined), _median(client_rss)
    ready = _median(client_ready)
    base_first, base_rss = _median(minimal_first), _median(minimal_rss)
    idle_per_min = round((idle or 0) * 60 / args.idle)
    print(f"client: first frame {first * 1000:.0f} ms, joined (group name shown) {joined * 1000:.0f} ms, "
          f"check-in pane ready {ready * 1000:.0f} ms, peak RSS {rss / 1024:.1f} MiB")
    print(f"minimal five-tab app: first frame {base_first * 1000:.0f} ms, peak RSS {base_rss / 1024:.1f} MiB")
    print(f"client idle output: {idle} bytes in {args.idle:g} s")
    print(f"client_start start_ratio={first / base_first:.2f} rss_ratio={rss / base_rss:.2f} idle_bytes_per_min={idle_per_min}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
