"""A program on a fresh pseudo-terminal, and a thread that reads everything it writes.

``spawn(argv, env, size=(80, 24))`` opens a pty of that size (columns, rows),
starts the program on it in a session of its own (so its whole process group
can be killed), in the repository's folder, and returns the master's file
descriptor, the process and the name of the pty's terminal device.
``read_all(master, keep)`` starts a daemon thread that hands each chunk the
program writes to ``keep`` until the program is gone; ``keep`` runs on that
thread, so it takes its own lock. ``kill_group(proc)`` ends what is left.
Both :class:`tests.support.plainpty.PtyProgram` and
:class:`tests.support.pacing.PacedTerminal` are built on these.
"""

from __future__ import annotations

import fcntl
import os
import signal
import struct
import subprocess
import termios
import threading
from collections.abc import Callable
from typing import IO, Any, NamedTuple

from tests.support.procs import REPO

__all__ = ["Spawned", "kill_group", "read_all", "spawn"]


class Spawned(NamedTuple):
    master: int
    proc: subprocess.Popen[bytes]
    tty: str  # the pty's terminal device (where something else may write over the screen)


def spawn(argv: list[str], env: dict[str, str], *, size: tuple[int, int] = (80, 24), echo: bool = True,
          stdin: int | IO[Any] | None = None, stderr: int | IO[Any] | None = None) -> Spawned:
    """Start ``argv`` on a fresh pty; ``stdin``/``stderr`` default to the pty, ``echo=False`` turns the pty's echo off."""
    master, slave = os.openpty()
    columns, rows = size
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    if not echo:
        attrs = termios.tcgetattr(slave)
        attrs[3] &= ~termios.ECHO
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
    tty = os.ttyname(slave)
    proc = subprocess.Popen(
        argv, stdin=slave if stdin is None else stdin, stdout=slave, stderr=slave if stderr is None else stderr,
        env=env, cwd=REPO, start_new_session=True,
    )
    os.close(slave)
    return Spawned(master, proc, tty)


def read_all(master: int, keep: Callable[[bytes], None]) -> threading.Thread:
    """A started daemon thread passing every chunk read from ``master`` to ``keep``, until end of file or error."""

    def read() -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                return  # the program is gone
            if not chunk:
                return
            keep(chunk)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def kill_group(proc: subprocess.Popen[bytes], wait: float) -> None:
    """SIGKILL the program's process group if it is still running, and reap it."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(wait)
