"""A real program in a tmux server of its own (``tmux -L``), at 80x24, read as a person reads the screen.

``TmuxPane(name, argv, env)`` starts ``argv`` in session ``name`` of a tmux
server on a fresh socket, in the repository's folder, with ``TERM=xterm-256color``
and the client's variables taken from ``env`` (``PYTHONPATH``,
``IOP_TUI_CONFIG_DIR``, ``IOP_TEST_URL``, ``IOP_TEST_TOKEN``); the pane stays 60
seconds after the program ends, so its last screen can be read. ``screen()``
is what the pane shows; ``keys(...)`` and ``literal(text)`` type;
``wait_for(*needles)`` polls the screen until all show (a Traceback on the
screen fails at once; ``folded=True`` matches with white space folded, for
text a plain-mode client wraps at 80 columns); ``close()`` kills the server.

:data:`FULL_SCREEN_CLIENT` is a script that runs the real ``IopApp`` on a real
``ClientSession`` to ``IOP_TEST_URL`` with ``IOP_TEST_TOKEN``.
"""

from __future__ import annotations

import asyncio
import subprocess
import uuid

from tests.support.procs import REPO

__all__ = ["FULL_SCREEN_CLIENT", "TmuxPane"]

FULL_SCREEN_CLIENT = (
    "import os\n"
    "from iop_tui.core.session import ClientSession\n"
    "from iop_tui.tui.app import IopApp\n"
    "IopApp(ClientSession(os.environ['IOP_TEST_URL'], os.environ['IOP_TEST_TOKEN'])).run()\n"
)
EXPORTED = ("PYTHONPATH", "IOP_TUI_CONFIG_DIR", "IOP_TEST_URL", "IOP_TEST_TOKEN")


class TmuxPane:
    """One program in a tmux server of its own, 80x24."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], *, folded: bool = False) -> None:
        self.name = name
        self.folded = folded
        self.socket = f"iop-test-{uuid.uuid4().hex[:8]}"
        exports = [f"{k}={subprocess.list2cmdline([env[k]])}" for k in EXPORTED if k in env]
        command = " ".join(["env", *exports, "TERM=xterm-256color", subprocess.list2cmdline(argv), "; sleep 60"])
        self.tmux("new-session", "-d", "-s", name, "-x", "80", "-y", "24", "-c", str(REPO), command)

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=30).stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.name)

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.name, *keys)

    def literal(self, text: str) -> None:
        self.tmux("send-keys", "-t", self.name, "-l", text)

    def _shows(self, screen: str, needle: str) -> bool:
        if self.folded:
            return " ".join(needle.split()) in " ".join(screen.split())
        return needle in screen

    async def wait_for(self, *needles: str, timeout: float = 60) -> str:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        screen = ""
        while loop.time() < deadline:
            screen = self.screen()
            if all(self._shows(screen, n) for n in needles):
                return screen
            assert "Traceback" not in screen, screen
            await asyncio.sleep(0.2)
        raise AssertionError(f"{needles!r} never showed on {self.name}'s screen:\n{screen}")

    def close(self) -> None:
        self.tmux("kill-server")
