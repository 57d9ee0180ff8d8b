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


#: The only cursor control the typed-line guard uses: back to the row's start, erase the row.
ERASE_ROW = "\r\x1b[K"
#: After Enter, how long the newline waits to be written with the answer's first line (see TypedLine).
ENTER_HOLD_S = 2.0


class TypedLine:
    """The line being typed at a terminal, kept whole while lines arrive (irssi's way).

    The terminal is put in cbreak mode (no kernel line editing or echo, signals
    kept): this class echoes what is typed, edits it (Backspace, Control U,
    Control W) and hands each finished line to the queue. An incoming line is
    printed above the typed text: on a terminal with cursor control the row is
    erased (:data:`ERASE_ROW`), the line printed and the typed text redrawn;
    on a dumb terminal (``TERM=dumb``), or when the typed text no longer fits
    one row, incoming lines are held until Enter. Keys are read in a thread and
    handled on the event loop, so output and editing never interleave.

    Enter's newline is written with the next output (the answer, the line
    sent, a held line), or alone after :data:`ENTER_HOLD_S`: a console screen
    reader that sees the cursor move to an empty row says "blank" and stops
    speaking, dropping the lines it had still to read (Fenrir does), while a
    newline that arrives with text is read as incoming text.
    """

    def __init__(self, fd: int, out: Callable[[str], None], queue: asyncio.Queue, *, capable: bool, width: int, echo: bool = True) -> None:
        self.fd, self._out, self._queue = fd, out, queue
        self.capable, self.width, self.echo = capable, width, echo
        self.text = ""
        self.held: list[str] = []
        self._escape = ""  # an escape sequence being skipped (arrow keys and the like)
        self._saved: Any = None
        self._enter: asyncio.TimerHandle | None = None  # Enter's newline, waiting for output to go with

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        import termios

        self._saved = termios.tcgetattr(self.fd)
        attrs = termios.tcgetattr(self.fd)
        self.echo = self.echo and bool(attrs[3] & termios.ECHO)
        attrs[3] &= ~(termios.ICANON | termios.ECHO)
        attrs[6][termios.VMIN], attrs[6][termios.VTIME] = 1, 0
        termios.tcsetattr(self.fd, termios.TCSANOW, attrs)
        threading.Thread(target=self._keys, args=(loop,), name="plain-keys", daemon=True).start()

    def stop(self) -> None:
        self._settle()
        if self._saved is not None:
            import termios

            try:
                termios.tcsetattr(self.fd, termios.TCSANOW, self._saved)
            except (OSError, termios.error):
                pass
            self._saved = None

    def _keys(self, loop: asyncio.AbstractEventLoop) -> None:
        import codecs
        import os

        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        try:
            while True:
                chunk = os.read(self.fd, 1024)
                if not chunk:
                    break
                text = decoder.decode(chunk)
                if text:
                    loop.call_soon_threadsafe(self.keys, text)
        except OSError:
            pass
        try:
            loop.call_soon_threadsafe(self._queue.put_nowait, None)
        except RuntimeError:
            pass

    def keys(self, text: str) -> None:
        """Handle typed characters (on the event loop)."""
        for ch in text:
            if self._escape:
                self._escape += ch
                if len(self._escape) == 2 and ch not in "[O":
                    self._escape = ""
                elif len(self._escape) > 2 and "@" <= ch <= "~":
                    self._escape = ""
                continue
            if ch == "\x1b":
                self._escape = ch
            elif ch in "\r\n":
                line, self.text = self.text, ""
                self._newline()
                held, self.held = self.held, []
                if held:
                    self._settle("".join(held))
                self._queue.put_nowait(line + "\n")
            elif ch in "\x7f\x08":
                if self.text:
                    self.text = self.text[:-1]
                    self._echo("\x08 \x08")
            elif ch == "\x15":  # Control U: the whole line
                self._echo("\x08 \x08" * len(self.text))
                self.text = ""
            elif ch == "\x17":  # Control W: the last word
                kept = self.text.rstrip()
                kept = kept[: kept.rfind(" ") + 1] if " " in kept else ""
                self._echo("\x08 \x08" * (len(self.text) - len(kept)))
                self.text = kept
            elif ch == "\x04":
                if not self.text:
                    self._queue.put_nowait(None)
            elif ch == "\t":
                self.text += " "
                self._echo(" ")
            elif ch >= " ":
                self.text += ch
                self._echo(ch)

    def _newline(self) -> None:
        """Enter: the newline goes out with the next output, or alone after :data:`ENTER_HOLD_S`."""
        if not self.echo:
            return
        self._settle()
        try:
            self._enter = asyncio.get_running_loop().call_later(ENTER_HOLD_S, self._settle)
        except RuntimeError:  # no loop (never in the face): at once
            self._out("\n")

    def _settle(self, data: str = "") -> None:
        """Write the waiting newline (if any) before ``data``, in one write."""
        if self._enter is not None:
            self._enter.cancel()
            self._enter = None
            data = "\n" + data
        if data:
            self._out(data)

    def _echo(self, text: str) -> None:
        if self.echo:
            self._settle(text)

    def give_back(self, line: str) -> None:
        """A typed line the relay refused, back on the prompt row to edit and send again
        (unless a new line is being typed: that one is not written over)."""
        if self.text:
            return
        self.text = line
        self._echo(line)

    def show(self, data: str) -> None:
        """Print finished rows (ending in a newline) without breaking into the typed line."""
        if not self.text:
            self._settle(data)
        elif self.held or not self.capable or (self.width and len(self.text) >= self.width):
            self.held.append(data)
        else:
            self._out(ERASE_ROW + data + (self.text if self.echo else ""))


def _writer(stdout: TextIO) -> tuple[Callable[[str], None], Callable[[str], None], Callable[[str], str]]:
    """``(write, raw, rows_of)``: ``write`` prints one line wrapped for the terminal, ``raw``
    any text as is (in the terminal's encoding), ``rows_of`` the rows ``write`` would print."""
    binary = getattr(stdout, "buffer", None)
    encoding = terminal_encoding()  # LANG=C means an ASCII terminal, whatever Python's streams use

    def raw(text: str) -> None:
        data = text.encode(encoding, "replace")
        try:
            if binary is not None:
                binary.write(data)
                binary.flush()
            else:
                stdout.write(data.decode(encoding))
                stdout.flush()
        except (BrokenPipeError, ValueError, OSError):
            pass

    def write(line: str) -> None:
        raw(rows_of(line))

    def rows_of(line: str) -> str:
        rows = wrap(for_terminal(line.replace("\x1b", ""), encoding), terminal_width(stdout))
        return "\n".join(rows) + "\n"

    return write, raw, rows_of


def _typed_line(stdin: Any, stdout: TextIO, raw: Callable[[str], None], queue: asyncio.Queue) -> TypedLine | None:
    """A :class:`TypedLine` when both ends are a terminal, else None (a pipe has nothing to break into)."""
    import os

    try:
        if not (stdin.isatty() and stdout.isatty()):
            return None
        fd = stdin.fileno()
    except (AttributeError, ValueError, OSError):
        return None
    term = os.environ.get("TERM", "")
    capable = term not in ("", "dumb", "unknown")
    return TypedLine(fd, raw, queue, capable=capable, width=terminal_width(stdout))


def _rows(stdout: TextIO) -> int:
    """The terminal's height in rows, or 0 when stdout is not a terminal (no paging)."""
    import os

    try:
        if stdout.isatty():
            return os.get_terminal_size(stdout.fileno()).lines
    except (AttributeError, OSError, ValueError):
        pass
    return 0


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
    line_out, raw, rows_of = _writer(stdout)
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    editor = _typed_line(stdin, stdout, raw, queue)

    def write(line: str) -> None:
        if editor is None:
            line_out(line)
            return
        editor.show(rows_of(line))

    face = PlainFace(session, write, verbosity, plan, bell=_bell(stdout))
    face.page_rows = _rows(stdout)
    face.rows_of = lambda line: rows_of(line).count("\n")
    joined = asyncio.Event()
    face.on_join = joined.set
    unsubscribe = session.subscribe(face.on_notices)
    if editor is not None:
        try:
            editor.start(loop)
        except Exception:  # a terminal that refuses cbreak mode: read whole lines instead
            editor = None
    if editor is None:
        threading.Thread(target=_reader, args=(stdin, loop, queue), name="plain-stdin", daemon=True).start()
    else:
        face.give_back = editor.give_back  # a refused line, back on the prompt row
    runner = asyncio.ensure_future(session.run())
    join_waiter = asyncio.ensure_future(joined.wait())
    getter: asyncio.Future | None = None
    code = 0
    try:
        interactive = bool(stdin.isatty())
    except (AttributeError, ValueError, OSError):
        interactive = False
    backlog: list[str] = []  # lines typed (or piped) before the join finished
    try:
        while True:
            if backlog and face.joined:
                # Type-ahead: what was typed before the join runs as soon as the join completes.
                leave = not _handle_all(face, backlog)
                backlog.clear()
                if leave:
                    await _leave(face, session, runner, write)
                    break
            if getter is None:
                getter = asyncio.ensure_future(queue.get())
            waiting = {getter, runner} | ({join_waiter} if backlog and not join_waiter.done() else set())
            done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            if runner in done:
                getter.cancel()
                code = _ended(face, runner, write)
                break
            if getter not in done:
                continue  # the join completed: the backlog runs at the top of the loop
            line, getter = getter.result(), None
            if line is not None and not face.joined:
                if _answers_before_join(line):
                    if not face.handle(line):  # /quit: leave at once
                        write(_left_line(session))
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
                _handle_all(face, backlog)
                backlog.clear()
                await _leave(face, session, runner, write)
                break
            leave = not _handle_all(face, [*backlog, line])
            backlog.clear()
            if leave:
                await _leave(face, session, runner, write)
                break
    except asyncio.CancelledError:  # Control C, or the terminal closed
        code = 0
        write(_left_line(session))
    finally:
        if getter is not None:
            getter.cancel()
        join_waiter.cancel()
        if editor is not None:
            editor.stop()
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


def _handle_all(face: PlainFace, lines: list[str]) -> bool:
    """Run typed lines in order; False as soon as one of them leaves (/quit)."""
    return all(face.handle(line) for line in lines)  # all() stops at the first that leaves


async def _leave(face: PlainFace, session: Any, runner: asyncio.Future, write: Callable[[str], None]) -> None:
    """Leave once what was sent is answered (or the wait is over), saying the last line."""
    await _until(lambda: not getattr(session, "pending", 0) or runner.done(), SEND_WAIT_S)
    face.flush_presence()
    write(_left_line(session))


def _left_line(session: Any) -> str:
    return f"Left {clean(session.model.group_name or 'the session')}."


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
        said = sentence == getattr(getattr(face.session, "model", None), "removal", None)  # a guest's invitation ending
        if _speakable(sentence) != face.last_said and not said:  # the removal was already said as it happened
            write(sentence)
        return 1
    write("The session has closed.")
    return 0
