"""Notice when the terminal goes away, and leave.

When a terminal disappears without a SIGHUP (a pty whose other end was closed
by a crashed terminal emulator or multiplexer), Textual's input thread reads
end-of-file forever and the client spins on a core, keeping a group's health
information in memory with no one in front of it. A daemon thread blocks in
``poll()`` on the terminal (costing nothing while it waits) and asks the app to
exit as soon as the terminal reports a hang-up.
"""

from __future__ import annotations

import os
import select
import sys
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["watch_terminal", "leave_on_hangup"]

_GONE = getattr(select, "POLLHUP", 0) | getattr(select, "POLLERR", 0) | getattr(select, "POLLNVAL", 0)


def watch_terminal(fd: int, on_gone: Callable[[], None]) -> threading.Thread | None:
    """Call ``on_gone()`` (from a thread) once ``fd``'s terminal hangs up.

    Returns the watcher thread, or None where ``poll()`` is missing or ``fd``
    is not a terminal.
    """
    if not hasattr(select, "poll") or not os.isatty(fd):
        return None

    def watch() -> None:
        poller = select.poll()
        poller.register(fd, 0)  # no events asked: only hang-up and errors are reported
        while True:
            try:
                events = poller.poll()
            except InterruptedError:
                continue
            except OSError:
                break
            if any(mask & _GONE for _fd, mask in events):
                break
        on_gone()

    thread = threading.Thread(target=watch, name="terminal-hangup", daemon=True)
    thread.start()
    return thread


def leave_on_hangup(app: Any) -> threading.Thread | None:
    """Make the Textual ``app`` exit once its terminal (standard input) hangs up."""
    if sys.__stdin__ is None:
        return None

    def gone() -> None:  # called from the watcher thread
        try:
            app.call_from_thread(app.exit)
        except RuntimeError:  # the app already stopped
            pass

    return watch_terminal(sys.__stdin__.fileno(), gone)
