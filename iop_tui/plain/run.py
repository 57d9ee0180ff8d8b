"""The plain face's I/O loop: typed lines in, narrated lines out.

``run_plain(session, stdin=..., stdout=...)`` narrates a :class:`ClientSession`
as append-only lines and reads typed lines as commands. It is built for the
way console screen readers (speakup, Fenrir, BRLTTY) and irssi-style users
work: no escape byte is ever written, rows are broken at spaces for the
terminal's width. Input works whether stdin is a terminal, a pipe or
/dev/null: a reader thread feeds typed lines to the event loop, and end of
input (Ctrl-D) leaves the session cleanly. Never imports textual.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, TextIO

from protocol.errors import ProtocolError

from iop_tui.core.commands import LEAVE_NAMES
from iop_tui.core.terminal import for_terminal, terminal_encoding
from iop_tui.plain.face import PlainFace
from iop_tui.plain.text import clean, get as _get, plural as _plural, speakable as _speakable, terminal_width, wrap

__all__ = ["run_plain"]


def _reader(stdin: Any, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue) -> None:
    """Read lines in a thread (works for terminals, pipes and /dev/null alike)."""
    stream = getattr(stdin, "buffer", stdin)
    try:
        while True:
            raw = stream.readline()
            if not raw:
                break
            line = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
            loop.call_soon_threadsafe(queue.put_nowait, line)
    except (OSError, ValueError):
        pass
    finally:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, None)
        except RuntimeError:  # the loop has closed already
            pass



def _writer(stdout: TextIO) -> Callable[[str], None]:
    binary = getattr(stdout, "buffer", None)
    encoding = terminal_encoding()  # LANG=C means an ASCII terminal, whatever Python's streams use

    def write(line: str) -> None:
        rows = wrap(for_terminal(line.replace("\x1b", ""), encoding), terminal_width(stdout))
        data = ("\n".join(rows) + "\n").encode(encoding, "replace")
        try:
            if binary is not None:
                binary.write(data)
                binary.flush()
            else:
                stdout.write(data.decode(encoding))
                stdout.flush()
        except (BrokenPipeError, ValueError, OSError):
            pass

    return write


def _bell(stdout: TextIO) -> Callable[[], None]:
    """The terminal bell (BEL, on a line of its own before the alert's words): the one
    control byte the plain face writes, for a facilitator's urgent request or alert."""
    binary = getattr(stdout, "buffer", None)

    def ring() -> None:
        try:
            if binary is not None:
                binary.write(b"\x07")
                binary.flush()
            else:
                stdout.write("\x07")
                stdout.flush()
        except (BrokenPipeError, ValueError, OSError):
            pass

    return ring


async def run_plain(session: Any, *, stdin: Any, stdout: TextIO, verbosity: str = "normal", plan: Any = None) -> int:
    """Run the plain face until the person leaves (0) or the server refuses them (1)."""
    write = _writer(stdout)
    face = PlainFace(session, write, verbosity, plan, bell=_bell(stdout))
    unsubscribe = session.subscribe(face.on_notices)
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    threading.Thread(target=_reader, args=(stdin, loop, queue), name="plain-stdin", daemon=True).start()
    runner = asyncio.ensure_future(session.run())
    code = 0
    try:
        interactive = bool(stdin.isatty())
    except (AttributeError, ValueError, OSError):
        interactive = False
    backlog: list[str] = []  # lines typed (or piped) before the join finished
    try:
        while True:
            getter = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait({getter, runner}, return_when=asyncio.FIRST_COMPLETED)
            if runner in done:
                getter.cancel()
                code = _ended(face, runner, write)
                break
            line = getter.result()
            if line is not None and not face.joined:
                if _answers_before_join(line):
                    if not face.handle(line):  # /quit: leave at once
                        write(f"Left {clean(session.model.group_name or 'the session')}.")
                        break
                    continue
                backlog.append(line)
                continue
            if line is None:
                # End of input: let the join finish and what was typed go out first, then leave.
                # A person's Control D with nothing typed leaves at once; a pipe waits for the
                # first answer, but never through retries at an address that is not answering.
                if not face.joined and not (backlog or not interactive):
                    write("Left.")
                    break
                await _until(lambda: face.joined or runner.done() or _conn_state(session) not in ("connecting", "connected"), JOIN_WAIT_S)
                if not face.joined and not runner.done():
                    if backlog:
                        write(f"{_plural(len(backlog), 'typed line')} not sent: the join had not finished.")
                    write("Left.")
                    break
                if runner.done():
                    code = _ended(face, runner, write)
                    break
                for typed in backlog:
                    if not face.handle(typed):
                        break
                backlog.clear()
                await _until(lambda: not getattr(session, "pending", 0) or runner.done(), SEND_WAIT_S)
                face.flush_presence()
                write(f"Left {clean(session.model.group_name or 'the session')}.")
                break
            leave = False
            for typed in backlog + [line]:
                if not face.handle(typed):
                    leave = True
                    break
            backlog.clear()
            if leave:
                await _until(lambda: not getattr(session, "pending", 0) or runner.done(), SEND_WAIT_S)
                face.flush_presence()
                write(f"Left {clean(session.model.group_name or 'the session')}.")
                break
    except asyncio.CancelledError:  # Control C, or the terminal closed
        code = 0
        write(f"Left {clean(session.model.group_name or 'the session')}.")
    finally:
        if callable(unsubscribe):
            unsubscribe()
        face.close()
        try:
            await asyncio.wait_for(session.close(), 5)
        except (TimeoutError, Exception):
            pass
        if not runner.done():
            runner.cancel()
        try:
            await asyncio.wait_for(asyncio.gather(runner, return_exceptions=True), 5)
        except (TimeoutError, asyncio.CancelledError):
            pass
    return code


JOIN_WAIT_S = 15.0  # at end of input, how long to wait for the join to finish

#: Commands that answer even before the join has finished (the rest wait for it).
_BEFORE_JOIN = ("/status",) + tuple("/" + name for name in LEAVE_NAMES)


def _answers_before_join(line: str) -> bool:
    return line.strip().split(" ", 1)[0].lower() in _BEFORE_JOIN


def _conn_state(session: Any) -> Any:
    return _get(getattr(session.model, "conn", None), "state")
SEND_WAIT_S = 5.0  # and for commands already sent to be answered


async def _until(condition: Callable[[], bool], timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition() and loop.time() < deadline:
        await asyncio.sleep(0.05)


def _ended(face: PlainFace, runner: asyncio.Future, write: Callable[[str], None]) -> int:
    """The session stopped by itself: say why in one sentence."""
    face.flush_presence()
    face._connection_lines()
    sentence = face.fatal or (clean(face.session.fatal_message) if getattr(face.session, "fatal_message", None) else None)
    if sentence is None and not runner.cancelled():
        exc = runner.exception()
        if isinstance(exc, ProtocolError):
            sentence = clean(exc.message)
        elif isinstance(exc, OSError):
            sentence = f"The connection failed ({type(exc).__name__}); check the address and your network, then join again."
        elif exc is not None:
            sentence = f"The session stopped unexpectedly ({type(exc).__name__}); join again."
    if sentence:
        if _speakable(sentence) != face.last_said:  # the removal was already said as it happened
            write(sentence)
        return 1
    write("The session has closed.")
    return 0
