"""``iop-tui demo``: a live session on this machine, with simulated members.

The demo runs the real programs, nothing faked:

1. a temporary data folder, seeded with ``python -m server group create`` and
   ``invite --json`` (group "Tuesday IOP": facilitator Dana, participants Sam,
   Alex, Riley and Morgan, and Jamie — the person — when they join as a participant);
2. the relay as a separate process, ``python -m server serve --port 0``;
3. the demo plan (:data:`iop_tui.core.plan.DEMO_PLAN`): as the facilitator, start
   "Week 3: Reframing thoughts", load the deck, open the check-in;
4. simulated members (:mod:`iop_tui.demo.members`), real clients in a background
   thread, who join, check in, vote, chat and submit homework at a human
   pace; with ``--as participant`` a simulated facilitator runs the agenda;
5. the chosen face, joined with the person's own token.

However the demo ends (quitting, Ctrl-C, Ctrl-D, a closed terminal), it stops
the members, terminates the relay (killing it if it does not stop in time)
and deletes the temporary folder. The relay is also told to exit if this
process dies without cleaning up.
"""

from __future__ import annotations

import asyncio
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

__all__ = ["DemoError", "Relay", "run_demo", "GROUP", "FACILITATOR_NAME", "PARTICIPANTS"]

GROUP = "Tuesday IOP"
FACILITATOR_NAME = "Dana"
PARTICIPANTS = ("Sam", "Alex", "Riley", "Morgan")
#: The person's own member in ``--as participant``: a name like the others', so
#: the group reads "Chat, Jamie: ..." and the facilitator says "Go ahead, Jamie."
YOU = "Jamie"
_PACKAGE_ROOT = Path(__file__).resolve().parent.parent


class DemoError(Exception):
    """The demo could not start; one sentence saying why and what to do."""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # `python -m server` must find the server package even when run from another folder
    env["PYTHONPATH"] = str(_PACKAGE_ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _die_with_parent() -> None:  # runs in the relay child before exec (Linux only)
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    os.setpgrp()  # Ctrl-C in the terminal reaches the demo, which stops the relay itself


class Relay:
    """A relay subprocess with its own temporary data folder."""

    def __init__(self) -> None:
        self.data = Path(tempfile.mkdtemp(prefix="iop-demo-"))
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self._log = None

    def _server(self, *args: str) -> dict[str, Any]:
        try:
            done = subprocess.run(
                [sys.executable, "-m", "server", *args, "--data", str(self.data), "--json"],
                env=_env(), capture_output=True, text=True, timeout=60,
            )
        except subprocess.TimeoutExpired:
            raise DemoError("Setting up the demo group took too long; try again.") from None
        if done.returncode != 0:
            reason = (done.stderr.strip().splitlines() or ["no reason given"])[-1]
            raise DemoError(f"Could not set up the demo group ({reason}); check that the server package is installed.")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def seed(self, participants: tuple[str, ...]) -> dict[str, dict[str, Any]]:
        """Create the group and invitations before the relay starts; name -> credential."""
        creds = {FACILITATOR_NAME: self._server("group", "create", GROUP, "--facilitator", FACILITATOR_NAME)}
        for name in participants:
            creds[name] = self._server("invite", GROUP, "--name", name, "--role", "participant")
        return creds

    def start(self, timeout: float = 30) -> str:
        """Start ``python -m server serve --port 0`` and wait for its listening line."""
        self._log = open(self.data / "relay.log", "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "server", "serve", "--host", "127.0.0.1", "--port", "0", "--data", str(self.data), "--quiet"],
            env=_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._log,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        assert self.proc.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(self.proc.stdout, selectors.EVENT_READ)
        buffer = b""
        deadline = time.monotonic() + timeout
        try:
            while b"\n" not in buffer:
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise DemoError("The demo relay did not start; see its log by running 'python -m server serve --port 0'.")
                if selector.select(min(left, 0.5)):
                    chunk = os.read(self.proc.stdout.fileno(), 4096)
                    if chunk:
                        buffer += chunk
        finally:
            selector.close()
        line = buffer.split(b"\n", 1)[0].decode(errors="replace").strip()
        prefix = "iop-server listening on "
        if not line.startswith(prefix):
            raise DemoError(f"The demo relay said something unexpected ({line[:80]!r}); try again.")
        self.url = line[len(prefix):].strip()
        return self.url

    def stop(self) -> None:
        """Terminate the relay, kill it if it lingers, and delete the data folder."""
        proc, self.proc = self.proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
            if proc.stdout is not None:
                proc.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None
        shutil.rmtree(self.data, ignore_errors=True)


class BotThread:
    """The simulated members, in their own thread and event loop."""

    def __init__(self, url: str, tokens: dict[str, str], plan: Any, facilitator_token: str | None, tempo: float) -> None:
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self._task: asyncio.Future | None = None
        self._args = (url, tokens, plan, facilitator_token, tempo)
        self._thread = threading.Thread(target=self._main, name="demo-members", daemon=True)

    def _main(self) -> None:
        from iop_tui.demo.members import run_bots

        url, tokens, plan, facilitator_token, tempo = self._args
        asyncio.set_event_loop(self.loop)
        self._task = self.loop.create_task(
            run_bots(url, tokens, plan=plan, facilitator_token=facilitator_token, tempo=tempo, ready=self.ready.set)
        )
        try:
            self.loop.run_until_complete(self._task)
        except (asyncio.CancelledError, Exception):
            pass
        finally:
            self.ready.set()
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    def start(self, timeout: float = 30) -> None:
        self._thread.start()
        self.ready.wait(timeout)

    def stop(self) -> None:
        if self._thread.is_alive():
            try:
                self.loop.call_soon_threadsafe(lambda: self._task is not None and self._task.cancel())
            except RuntimeError:
                pass
            self._thread.join(10)


def _tempo() -> float:
    try:
        return max(0.01, float(os.environ.get("IOP_DEMO_TEMPO", "1")))
    except ValueError:
        return 1.0


def _say(text: str, plain: bool) -> None:
    if plain:  # broken at spaces like every plain line, so a screen reader hears whole words
        from iop_tui.plain.text import terminal_width, wrap

        print("\n".join(wrap(text, terminal_width(sys.stdout))), flush=True)
    else:
        print(text, file=sys.stderr, flush=True)


def run_demo(*, as_role: str = "facilitator", plain: bool = False, theme: str | None = None, verbosity: str = "normal") -> int:
    """Run the whole demo; return the exit code. Never raises for a person to see."""
    from iop_tui.launch import CliError, run_face
    from iop_tui.core.plan import DEMO_PLAN, PlanError, load_plan

    if not plain and not (sys.stdin.isatty() and sys.stdout.isatty()):
        print("iop-tui demo: the full-screen view needs a terminal; add --plain for the line mode that works with pipes and screen readers.", file=sys.stderr)
        return 2
    relay: Relay | None = None
    bots: BotThread | None = None
    for sig in (signal.SIGTERM, signal.SIGHUP):  # while setting up; the face installs its own
        signal.signal(sig, _interrupt)
    try:
        plan = load_plan(DEMO_PLAN)
        tempo = _tempo()
        _say("Starting the demo with four simulated members.", plain)
        if plain:
            # Short: a screen reader speaks these before the session's first lines.
            who = "Dana, the facilitator" if as_role == "facilitator" else f"{YOU}; Dana, simulated, runs the session and waits for you"
            _say(f"You are {who}. /help lists commands; Control D leaves.", plain)
        relay = Relay()
        participants = PARTICIPANTS + ((YOU,) if as_role == "participant" else ())
        creds = relay.seed(participants)
        url = relay.start()
        tokens = {name: creds[name]["token"] for name in PARTICIPANTS}
        if as_role == "participant":
            bots = BotThread(url, tokens, plan, creds[FACILITATOR_NAME]["token"], tempo)
            bots.start()
            token = creds[YOU]["token"]
        else:
            _setup(url, creds[FACILITATOR_NAME]["token"], plan)
            bots = BotThread(url, tokens, plan, None, tempo)
            bots.start()
            token = creds[FACILITATOR_NAME]["token"]
        from iop_tui.core.session import ClientSession

        return run_face(ClientSession(url, token), url, plain=plain, theme=theme, verbosity=verbosity, plan=plan if as_role == "facilitator" else None)
    except (DemoError, PlanError, CliError) as err:
        print(f"iop-tui demo: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    except OSError as exc:
        print(f"iop-tui demo: the demo stopped ({exc.strerror or type(exc).__name__}); try again.", file=sys.stderr)
        return 1
    finally:
        try:
            if bots is not None:
                bots.stop()
        finally:
            if relay is not None:
                relay.stop()


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _setup(url: str, token: str, plan: Any) -> None:
    """As the facilitator, start the session, load the deck and open the check-in."""
    from iop_tui.demo.members import setup_session

    asyncio.run(asyncio.wait_for(setup_session(url, token, plan), 30))
