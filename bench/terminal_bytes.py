"""Terminal bytes per event: the full-screen face against the plain face, on a real pty.

A slow link (9,600 bit/s, or SSH over a poor rural line) shows a face through
every byte it writes to the terminal. This bench starts a relay subprocess
(``python -m server serve``, seeded with the real CLI), joins it with both faces
at once, each the real program (``python -m iop_tui join URL --token-file F``,
with ``--plain`` for the line face) on its own 80x24 pseudo-terminal, and drives
the same scripted events over raw websockets as a facilitator (Dana), a member
who chats (Alex) and ten members who vote:

    first screen, one chat line, five chat lines, a slide change, a poll with
    10 votes, a hand raised and lowered, a member leaving and returning,
    terminal focus in and out, a resize (80x24 -> 100x30 -> 80x24), and N
    seconds of idle (60 by default)

The session is running (check-in phase, a deck loaded) before the faces join;
the facilitator then moves it to the discussion phase, so the full-screen face
(a participant, Sam) brings the Chat pane forward before the chat lines come. After each event the bench waits until both terminals have been
quiet for ``--quiet-seconds`` and counts what each wrote since the event began.
It prints bytes per event for each face and the ratio to the plain face, and
when the first screen and the chat line were whole on a terminal behind a
9,600 bit/s link with 300 ms latency (worked out from when each chunk was
written: 960 bytes a second, one chunk after another); the last line is::

    terminal_bytes first_screen_b=N chat_line_b=N five_lines_b=N focus_b=N idle_b=N

with the full-screen face's figures (targets in issue 17: first screen at most
8,000 B, a chat line at most 400 B, five lines at most 2,000 B, focus 0 B, idle
0 B). Run with::

    .venv/bin/python bench/terminal_bytes.py [--idle-seconds 60] [--low-bandwidth]
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import json
import os
import re
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import msgpack
from websockets.asyncio.client import connect

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from protocol.messages import command_frame, hello_frame  # noqa: E402

DECK = "# Reframing thoughts\n\nA thought is not a fact.\n\n---\n\n# Catch it\n\nNotice the thought.\n\n---\n\n# Check it\n\nWhat is the evidence?\n"
VOTERS = [f"Voter{n:02d}" for n in range(1, 11)]


def _env(config: Path, term: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["IOP_TUI_CONFIG_DIR"] = str(config)
    env["TERM"] = term
    env.pop("NO_COLOR", None)
    env.pop("TEXTUAL_ANIMATIONS", None)
    return env


# -- the relay and its members -------------------------------------------------------


def seed(data: Path) -> dict[str, str]:
    """Group "Tuesday IOP": Dana facilitates; Sam, Riley, Alex and ten voters take part."""

    def cli(*args: str) -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, "-m", "server", *args, "--data", str(data), "--json"],
            env=_env(data, "dumb"),
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(done.stdout.strip().splitlines()[-1])

    tokens = {"Dana": cli("group", "create", "Tuesday IOP", "--facilitator", "Dana")["token"]}
    for name in ("Sam", "Riley", "Alex", *VOTERS):
        tokens[name] = cli("invite", "Tuesday IOP", "--name", name)["token"]
    return tokens


def start_relay(data: Path) -> tuple[subprocess.Popen[bytes], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "server", "serve", "--port", "0", "--data", str(data), "--quiet"],
        env=_env(data, "dumb"),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().decode()
    match = re.match(r"iop-server listening on (\S+)", line)
    if not match:
        proc.kill()
        raise SystemExit(f"the relay did not start: {line!r}")
    return proc, match.group(1)


class Member:
    """A raw websocket member: sends commands and waits for their acks."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token
        self.frames: list[dict[str, Any]] = []
        self._changed = asyncio.Event()

    async def __aenter__(self) -> Member:
        self.ws = await connect(self.url, compression=None, max_size=None, open_timeout=10)
        self._reader = asyncio.create_task(self._read())
        await self.ws.send(msgpack.packb(hello_frame(self.token, None, "bench")))
        await self.wait(lambda f: f.get("kind") == "synced")
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.ws.close()
        self._reader.cancel()

    async def _read(self) -> None:
        async for data in self.ws:
            self.frames.append(msgpack.unpackb(data))
            self._changed.set()

    async def wait(self, pred: Any, timeout: float = 20) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for frame in self.frames:
                if pred(frame):
                    return frame
            if time.monotonic() > deadline:
                raise SystemExit(f"no expected frame from the relay; last frames: {self.frames[-3:]}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), max(0.05, deadline - time.monotonic()))
            except TimeoutError:
                pass

    async def do(self, kind: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        cid = uuid.uuid4().hex
        await self.ws.send(msgpack.packb(command_frame(kind, cid, data)))
        answer = await self.wait(lambda f: f.get("id") == cid and f.get("kind") in ("ack", "error"))
        if answer["kind"] == "error":
            raise SystemExit(f"{kind} was refused: {answer}")
        return answer


# -- a face on a pty ------------------------------------------------------------------


class Face:
    """One client program on its own pseudo-terminal; a thread counts what it writes."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.master, slave = os.openpty()
        self._winsize(80, 24)
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=REPO, start_new_session=True
        )
        os.close(slave)
        self.output = bytearray()
        self.last_write = time.monotonic()
        self.started = self.last_write
        self.timed: list[tuple[float, int]] = []  # (written at, bytes)
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _winsize(self, columns: int, rows: int) -> None:
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            with self._lock:
                self.output += chunk
                self.last_write = time.monotonic()
                self.timed.append((self.last_write, len(chunk)))

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.output)

    def text(self) -> str:
        with self._lock:
            return self.output.decode("utf-8", "replace")

    def press(self, data: bytes) -> None:
        os.write(self.master, data)

    def resize(self, columns: int, rows: int) -> None:
        """Set the pty's size and tell the program, as a terminal emulator does."""
        self._winsize(columns, rows)
        try:
            os.killpg(self.proc.pid, signal.SIGWINCH)
        except ProcessLookupError:
            pass

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(10)
        try:
            os.close(self.master)
        except OSError:
            pass


def at_9600(face: Face, since: float, upto: int) -> float:
    """Seconds from ``since`` until the face's first ``upto`` bytes were on a terminal behind a
    9,600 bit/s link with 300 ms latency (960 bytes a second, each chunk after the one before)."""
    free_at, count = 0.0, 0
    for written, size in face.timed:
        free_at = max(written, free_at) + size / 960
        count += size
        if count >= upto:
            return free_at + 0.3 - since
    return float("nan")


async def wait_text(face: Face, needle: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while needle not in face.text():
        if face.proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the {face.name} face never showed {needle!r}; it wrote: {face.text()[-600:]!r}")
        await asyncio.sleep(0.05)


async def settle(faces: list[Face], quiet: float, timeout: float = 30) -> None:
    """Wait until every face has written nothing for ``quiet`` seconds."""
    began = time.monotonic()
    await asyncio.sleep(quiet)
    while time.monotonic() - began < timeout:
        now = time.monotonic()
        if all(now - f.last_write >= quiet for f in faces):
            return
        await asyncio.sleep(0.05)


async def measure(faces: list[Face], quiet: float, action: Any) -> dict[str, int]:
    before = {f.name: f.count for f in faces}
    await action()
    await settle(faces, quiet)
    return {f.name: f.count - before[f.name] for f in faces}


# -- the script -----------------------------------------------------------------------


async def run(args: argparse.Namespace, tmp: Path) -> list[tuple[str, dict[str, int]]]:
    data = tmp / "data"
    tokens = seed(data)
    relay, url = start_relay(data)
    faces: list[Face] = []
    try:
        async with Member(url, tokens["Dana"]) as dana, Member(url, tokens["Alex"]) as alex:
            voters = [await Member(url, tokens[name]).__aenter__() for name in VOTERS]
            await dana.do("session.start", {"title": "Week 3: Reframing thoughts"})
            await dana.do("deck.load", {"markdown": DECK})

            launcher = [sys.executable, "-m", "iop_tui"]
            extra = ["--low-bandwidth"] if args.low_bandwidth else []
            for name, face, who in (("full-screen", [*extra], "Sam"), ("plain", ["--plain"], "Riley")):
                token_file = tmp / f"{who}.token"
                token_file.write_text(tokens[who] + "\n")
                faces.append(
                    Face(
                        name,
                        [*launcher, "join", url, "--token-file", str(token_file), *face],
                        _env(tmp / f"cfg-{who}", args.term),
                    )
                )
            full, plain = faces
            results: list[tuple[str, dict[str, int]]] = []

            async def first_screen() -> None:
                await wait_text(full, "Tuesday IOP")
                await wait_text(plain, "Joined Tuesday IOP")

            results.append(("first screen", await measure(faces, args.quiet_seconds, first_screen)))
            readable = {"first screen": at_9600(full, full.started, full.count)}

            async def discussion() -> None:
                await dana.do("phase.set", {"phase": "discussion"})
                await wait_text(plain, "Phase: discussion")

            results.append(("phase to discussion", await measure(faces, args.quiet_seconds, discussion)))

            async def chat_line() -> None:
                await alex.do("chat.send", {"text": "I caught a thought today and it was not a fact."})
                await wait_text(plain, "it was not a fact")

            sent, before = time.monotonic(), full.count
            results.append(("one chat line", await measure(faces, args.quiet_seconds, chat_line)))
            line_end = full.output.find(b"it was not a fact", before) + len(b"it was not a fact")
            readable["one chat line"] = at_9600(full, sent, line_end) if line_end > before else float("nan")

            async def five_lines() -> None:
                for n in range(1, 6):
                    await alex.do("chat.send", {"text": f"Line {n} of five: noticing the thought helps."})
                await wait_text(plain, "Line 5 of five")

            results.append(("five chat lines", await measure(faces, args.quiet_seconds, five_lines)))

            async def slide() -> None:
                await dana.do("slide.goto", {"index": 1})

            results.append(("slide change", await measure(faces, args.quiet_seconds, slide)))

            async def poll() -> None:
                ack = await dana.do(
                    "poll.open",
                    {
                        "question": "Which step is hardest?",
                        "poll_kind": "single",
                        "options": ["Catch it", "Check it", "Change it"],
                    },
                )
                opened = await dana.wait(lambda f: f.get("type") == "poll.opened" and f.get("seq") == ack["seq"])
                poll_id = opened["data"]["poll_id"]
                for n, voter in enumerate(voters):
                    await voter.do("poll.vote", {"poll_id": poll_id, "choices": [n % 3]})

            results.append(("poll with 10 votes", await measure(faces, args.quiet_seconds, poll)))

            async def hand() -> None:
                await alex.do("hand.raise")
                await settle(faces, args.quiet_seconds)
                await alex.do("hand.lower")

            results.append(("hand up and down", await measure(faces, args.quiet_seconds, hand)))

            async def presence() -> None:
                voter = voters.pop()
                await voter.__aexit__(None, None, None)
                await asyncio.sleep(args.quiet_seconds)
                voters.append(await Member(url, tokens[VOTERS[len(voters)]]).__aenter__())

            results.append(("a member leaves, returns", await measure(faces, args.quiet_seconds, presence)))

            async def focus() -> None:
                for face in faces:
                    face.press(b"\x1b[I")
                await settle(faces, args.quiet_seconds)
                for face in faces:
                    face.press(b"\x1b[O")

            results.append(("focus in and out", await measure(faces, args.quiet_seconds, focus)))

            async def resize() -> None:
                for face in faces:
                    face.resize(100, 30)
                await settle(faces, args.quiet_seconds)
                for face in faces:
                    face.resize(80, 24)

            results.append(("resize and back", await measure(faces, args.quiet_seconds, resize)))

            async def idle() -> None:
                await asyncio.sleep(args.idle_seconds)

            results.append((f"idle {args.idle_seconds:g} s", await measure(faces, args.quiet_seconds, idle)))
            for voter in voters:
                await voter.__aexit__(None, None, None)
            results.append(("readable at 9,600 bit/s", dict(readable)))
            return results
    finally:
        for face in faces:
            face.close()
        relay.terminate()
        try:
            relay.wait(10)
        except subprocess.TimeoutExpired:
            relay.kill()
            relay.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--idle-seconds", type=float, default=60.0, help="how long the idle event lasts (default 60)")
    parser.add_argument(
        "--quiet-seconds", type=float, default=1.5, help="an event is over after this long without output (default 1.5)"
    )
    parser.add_argument("--term", default="xterm-256color", help="TERM for both faces (default xterm-256color)")
    parser.add_argument("--low-bandwidth", action="store_true", help="start the full-screen face with --low-bandwidth")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="iop-bytes-") as tmp:
        results = asyncio.run(run(args, Path(tmp)))
    mode = " --low-bandwidth" if args.low_bandwidth else ""
    print(f"terminal bytes per event at 80x24, TERM={args.term}, full-screen face{mode} vs plain face")
    print(f"{'event':22s} {'full-screen B':>14s} {'plain B':>9s} {'ratio':>8s}")
    readable: dict[str, float] = {}
    for event, counts in results:
        if event.startswith("readable"):
            readable = counts
            continue
        full, plain = counts["full-screen"], counts["plain"]
        ratio = f"{full / plain:.1f}" if plain else ("-" if not full else "inf")
        print(f"{event:22s} {full:14,d} {plain:9,d} {ratio:>8s}")
    for event, seconds in readable.items():
        print(f"readable behind 9,600 bit/s and 300 ms: {event} after {seconds:.2f} s")
    by_event = {event: counts["full-screen"] for event, counts in results if "full-screen" in counts}
    idle = next(v for k, v in by_event.items() if k.startswith("idle"))
    print(
        f"terminal_bytes first_screen_b={by_event['first screen']} chat_line_b={by_event['one chat line']} "
        f"five_lines_b={by_event['five chat lines']} focus_b={by_event['focus in and out']} idle_b={idle}"
    )


if __name__ == "__main__":
    main()
