"""Starting a face: probe the relay, run the plain or the full-screen face, one-sentence failures.

``run_face(session, url, plain=..., ...)`` runs the chosen face on a
:class:`~iop_tui.core.session.ClientSession` until the person leaves and
returns the exit code; every failure a person can meet is a :class:`CliError`
(one sentence and an exit code), never a traceback. The command line
(``iop_tui.cli``) and the demo (``iop_tui.demo``) both start faces through
this module, so neither imports the other. Textual is imported only when the
full-screen face is asked for.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

__all__ = ["EXIT_OK", "EXIT_FAILED", "EXIT_USAGE", "CliError", "check_url", "run_face"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class CliError(Exception):
    """One sentence for the person at the terminal; ``code`` is the exit code."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


def check_url(url: str) -> str:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        parts, port = None, None
    if parts is None or parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise CliError(f"{url!r} is not a relay address; it looks like ws://HOST:PORT/ (check what your facilitator sent).", EXIT_USAGE)
    del port
    return url.strip()


async def _probe(url: str) -> float:
    """Fail fast, in one sentence, when nothing listens at the address; the seconds the connect took."""
    import time
    from urllib.parse import urlsplit

    began = time.monotonic()

    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "wss" else 80)
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(parts.hostname, port), 10)
    except (TimeoutError, OSError) as exc:
        import socket

        if isinstance(exc, socket.gaierror):
            from iop_tui.core.words import unknown_host_text

            raise CliError(unknown_host_text(url, parts.hostname or url)) from None
        errno = getattr(exc, "errno", None)
        if isinstance(exc, asyncio.TimeoutError):
            reason = "no answer"
        elif errno:
            reason = os.strerror(errno).lower()
        else:
            reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise CliError(f"Cannot reach the relay at {url} ({reason}); check the address and that the server is running.") from None
    writer.close()
    return time.monotonic() - began


def _on_hangup(callback: Any) -> None:
    """Leave cleanly on SIGTERM or SIGHUP (a closed terminal) instead of dying mid-write."""
    import signal

    if not hasattr(signal, "SIGHUP"):  # Windows: the event loop cannot handle signals
        return
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGHUP):
        try:
            loop.add_signal_handler(sig, callback)
        except (RuntimeError, ValueError):
            pass


async def _plain(session: Any, url: str, verbosity: str, plan: Any = None) -> int:
    from iop_tui.plain.run import run_plain

    await _probe(url)
    task = asyncio.current_task()
    _on_hangup(lambda: task.cancel() if task is not None else None)
    try:
        return await run_plain(session, stdin=sys.stdin, stdout=sys.stdout, verbosity=verbosity, plan=plan)
    except asyncio.CancelledError:
        return EXIT_OK


async def _full_screen(session: Any, url: str, theme: str | None, plan: Any = None) -> Any:
    connect_s = await _probe(url)
    from iop_tui.tui import lean
    from iop_tui.tui.app import IopApp  # only now: plain mode must never load textual

    app = IopApp(session, theme=theme)
    if plan is not None:
        app.plan = plan
    lean.prepare(app, connect_s)  # --low-bandwidth, or the hint to use it
    _on_hangup(app.exit)
    result = await app.run_async()
    return app.return_code if app.return_code is not None else result


def run_face(session: Any, url: str, *, plain: bool, theme: str | None, verbosity: str, plan: Any = None) -> int:
    """Run the chosen face on ``session`` until the person leaves; return the exit code."""
    from iop_tui.core.terminal import color_system, is_dumb

    if not plain and is_dumb():
        from iop_tui.core.words import DUMB_TERMINAL

        print(DUMB_TERMINAL, flush=True)  # a dumb terminal cannot place a cursor: the line face works on it
        plain = True
    if plain:
        return asyncio.run(_plain(session, url, verbosity, plan))
    from iop_tui.core.terminal import low_bandwidth

    if low_bandwidth():
        os.environ.setdefault("NO_COLOR", "1")  # with the ANSI theme: no colour codes at all (read by Textual)
    colours = color_system()
    if colours is not None:  # read when textual is first imported, so set before
        os.environ["TEXTUAL_COLOR_SYSTEM"] = colours
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise CliError("The full-screen view needs a terminal; add --plain for the line mode that works with pipes and screen readers.", EXIT_USAGE)
    code = asyncio.run(_full_screen(session, url, theme, plan))
    if getattr(session, "fatal_message", None):
        raise CliError(str(session.fatal_message))
    return int(code) if isinstance(code, int) else EXIT_OK


