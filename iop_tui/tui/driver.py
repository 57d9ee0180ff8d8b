"""The terminal driver: Textual's Linux driver with the manners a slow SSH link needs.

- **Quick hide first.** Textual queues each frame for a writer thread; on a
  9,600 bit/s link the queue, the pty and the link hold seconds of the
  session. When F12 is read, the input thread covers the terminal at once:
  what the pty still holds is discarded (``tcflush``), the rest of the frame
  being written is dropped, and a short sequence ends any synchronised update,
  clears the screen and writes the one neutral line. Frames are written on a
  non-blocking twin of the terminal's descriptor, so the writer waits for a
  full terminal in a loop that sees the hide: no piece of the covered screen
  is written after it. Frames queued for the
  covered screen are dropped until the app has put the hidden screen up.
- **Nothing unused is asked for.** Focus reporting (``?1004``) and mouse
  motion (``?1003``, and the urxvt encoding ``?1015``) are never switched on;
  a Linux console (``TERM=linux``) is not asked for modes it lacks (``$p``);
  mouse clicks (``?1000`` with SGR ``?1006``) only when
  :func:`iop_tui.core.terminal.mouse_wanted` says so (not over SSH).
- **The locale's encoding.** Under a non-UTF-8 locale every character is
  written in the terminal's encoding, with ASCII of the same width in cells
  for what it cannot show (:func:`iop_tui.core.terminal.cell_for_terminal`).

- **Escape and a digit together are Alt and the digit.** A link that bunches
  packets delivers Escape and the digit typed after it in one read; Textual 8
  reads that pair as the character macOS's Option key types in WezTerm
  (Escape and 4 is "¢"), typed into a field or lost. Here it is the key
  ``alt+N`` (no character), so Alt+1-6 bring the panes forward
  (:mod:`iop_tui.tui.panekeys`).

- **Only what changed.** Each frame is rewritten to change only the cells
  the terminal does not already show (:class:`iop_tui.tui.squeeze.ScreenDiff`):
  a repaint of the same rows costs nothing, a row's blank end is one erase.
  A hide, a resize or Ctrl+L makes it forget the screen, so the next frames
  are whole; Ctrl+L repaints everything (after a wall message or line noise).

- **The focus move's row last and alone.** A frame drawn for a key that
  changes cells and moves the cursor to another row is written as the cells
  (the cursor left where it was), a pause, then the cursor alone onto the
  focused row (:mod:`iop_tui.tui.focuslast`): a console screen reader reads a
  cursor row only when nothing else changed, and then at once. So for every
  frame within :data:`iop_tui.tui.focuslast.KEY_WINDOW` of a key, when the focus
  is on a control (a pane read whole, such as a slide, is left to be read whole).

Frames are written in pieces of at most :data:`PIECE` bytes, so a hide never
waits behind more than one piece. On a local Linux console (``TERM=linux``, not over SSH, and
what a console screen reader such as Fenrir emulates) a frame is written whole:
a screen reader that looked between two pieces saw a half-drawn screen with the
cursor mid-frame, and read rows that had not changed ("blank", a row again).
"""

from __future__ import annotations

import os
import select
import selectors
import termios
import threading
import time
from codecs import getincrementaldecoder
from collections.abc import Iterable
from typing import Any

from rich.cells import cell_len
from textual import events
from textual._parser import ParseError
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

from iop_tui.core.terminal import cell_for_terminal, is_utf8, mouse_wanted, over_ssh, terminal_encoding
from iop_tui.tui import focuslast
from iop_tui.tui.screens.hidden import HIDDEN_TEXT
from iop_tui.tui.squeeze import ScreenDiff

__all__ = ["TerminalDriver", "PIECE", "HIDE_BYTES"]

#: Largest single write to the terminal, in bytes.
PIECE = 512
#: The piece on a Linux console: a whole frame in one write.
CONSOLE_PIECE = 1 << 20
#: Cancel any escape sequence being drawn (CAN), end a synchronised update,
#: reset attributes, clear the screen and the scrollback, home, and the line.
HIDE_BYTES = ("\x18\x1b[?2026l\x1b[0m\x1b[2J\x1b[3J\x1b[H" + HIDDEN_TEXT).encode("ascii")
#: Switched on by Textual, never by this client.
_NEVER = frozenset({
    "\x1b[?1004h", "\x1b[?1004l",  # focus in/out reports
    "\x1b[?1003h", "\x1b[?1003l",  # every mouse motion
    "\x1b[?1015h", "\x1b[?1015l",  # urxvt mouse encoding (SGR is used)
})
#: Mode queries (DECRQM: synchronised output, in-band resize) not sent to a Linux console
#: (``TERM=linux``), which has neither mode: its parser, and the one a console screen reader
#: emulates it with (Fenrir's pyte), show the final "p" of each, read aloud as "pp".
_QUERIES = frozenset({"\x1b[?2026$p", "\x1b[?2048$p"})
#: A frame the writer thread recognises: the hidden screen is up, write again.
_OPEN = "\x00iop-tui:covered-screen-up\x00"
#: A "frame" the writer thread waits on: :data:`iop_tui.tui.focuslast.PAUSE` seconds, so a screen reader reads between.
_PAUSE = "\x00iop-tui:pause\x00"


def _nonblocking_twin(fd: int) -> int:
    """The terminal ``fd`` opened again, non-blocking (a file description of its own, so the
    input thread's reads on the same terminal are untouched); ``fd`` itself when that fails."""
    try:
        return os.open(os.ttyname(fd), os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError:
        return fd


class _Terminal:
    """The writer thread's file: encodes, writes in pieces, and drops what a hide covered."""

    def __init__(self, fd: int, encoding: str) -> None:
        self.fd = fd
        self.encoding = encoding
        self.utf8 = is_utf8(encoding)
        self.lock = threading.Lock()
        self.covered = False  # between a hide and the hidden screen's first frame
        self.wfd = _nonblocking_twin(fd)  # frames are written here: a full terminal never holds a write
        self.piece = PIECE

    def isatty(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.fd

    def flush(self) -> None:
        return

    def _encode(self, text: str) -> bytes:
        if self.utf8:
            return text.encode("utf-8", "replace")
        try:
            return text.encode(self.encoding)
        except UnicodeEncodeError:
            cells = "".join(cell_for_terminal(c, self.encoding, cell_len(c)) for c in text)
            return cells.encode(self.encoding, "replace")

    def write(self, text: str) -> int:
        if text == _OPEN:
            self.covered = False
            return 0
        if text == _PAUSE:
            time.sleep(focuslast.PAUSE)  # the writer thread only: the app goes on
            return 0
        if self.covered:
            return 0  # drawn for the screen the hide covered
        data = self._encode(text)
        view = memoryview(data)
        piece = self.piece
        for start in range(0, len(data), piece):
            with self.lock:
                if self.covered:
                    return 0  # the rest of a frame the hide interrupted
                self._write_all(view[start : start + piece])
        return len(text)

    def _write_all(self, data: Any, *, hide: bool = False) -> None:
        """Write ``data`` whole; a frame's piece is given up as soon as a hide covers the screen
        (the writes never block: a full terminal is waited for here, a hide is seen meanwhile)."""
        while len(data):
            if self.covered and not hide:
                return  # the rest of a piece the hide covered: never written
            try:
                written = os.write(self.wfd, data)
            except BlockingIOError:
                select.select([], [self.wfd], [], 0.05)
                continue
            except InterruptedError:
                continue
            except OSError:
                return  # the terminal went away; the hang-up watcher ends the app
            data = data[written:]

    def cover(self) -> None:
        """Hide now (any thread): discard what the terminal has not shown, then the line."""
        if self.covered:
            return
        self.covered = True
        self._discard()  # frees a writer blocked on a full pty, so the lock comes free
        with self.lock:
            self._discard()  # what the writer wrote before it saw the hide
            self._write_all(HIDE_BYTES, hide=True)

    def _discard(self) -> None:
        try:
            termios.tcflush(self.fd, termios.TCOFLUSH)
        except (termios.error, OSError):
            pass


class _Parser(XTermParser):
    """Textual's parser, except that Escape and a digit read together are ``alt+N``."""

    def _sequence_to_key_events(self, sequence: str, alt: bool = False) -> Iterable[events.Key]:
        if len(sequence) == 2 and sequence[0] == "\x1b" and sequence[1] in "0123456789":
            yield events.Key(f"alt+{sequence[1]}", None)  # no character: never typed into a field
            return
        yield from super()._sequence_to_key_events(sequence, alt)


class TerminalDriver(LinuxDriver):
    """Textual's Linux driver: the hide comes first, no unused reports, the locale's encoding."""

    def __init__(self, app: Any, *, debug: bool = False, mouse: bool = True, size: tuple[int, int] | None = None) -> None:
        super().__init__(app, debug=debug, mouse=mouse and mouse_wanted(), size=size)
        if self._file is None:
            raise RuntimeError("There is no terminal to draw on: the standard error stream is closed.")
        self._terminal = _Terminal(self._file.fileno(), terminal_encoding())
        self._file = self._terminal  # type: ignore[assignment]  # the writer thread's file
        self._hidden = False  # the hidden screen is asked for or up: F12 now brings the session back
        self._screen = ScreenDiff()  # what the terminal shows (app thread)
        self._forget = threading.Event()  # set by a hide (input thread): the screen is not what it was
        self._linux_console = os.environ.get("TERM") == "linux"  # no mode queries (_QUERIES)
        self._key_at: float | None = None  # when the latest key was read (input thread): frames soon after are its
        if self._linux_console and not over_ssh():
            self._terminal.piece = CONSOLE_PIECE  # whole frames: the console is here, no slow link to hide behind

    def write(self, data: str) -> None:
        if data in _NEVER or (data in _QUERIES and self._linux_console):
            return
        if self._forget.is_set():
            self._forget.clear()
            self._screen.forget()
        size = self._app.size
        before = self._screen.cursor
        key_at = self._key_at
        if key_at is None or time.monotonic() - key_at > focuslast.KEY_WINDOW:
            super().write(self._screen.frame(data, size.width, size.height))
            return
        texts = focuslast.row_texts(self._screen.cells)
        out = self._screen.frame(data, size.width, size.height)
        after = self._screen.cursor
        changed = focuslast.row_texts(self._screen.cells) != texts
        from iop_tui.tui.cursor import on_a_control  # textual's list widgets load after the first frame

        try:
            control = on_a_control(self._app.focused)  # the app's thread: frames are written from it
        except Exception:  # no screen yet, or being torn down
            control = False
        pieces = focuslast.focus_last(out, before, after, text_changed=changed) if control else [out]
        if len(pieces) == 1:
            super().write(out)
            return
        rows, cursor = pieces
        for piece in (rows, _PAUSE, cursor, _PAUSE):
            super().write(piece)

    def run_input_thread(self) -> None:
        """Textual's input loop (8.2, ``LinuxDriver.run_input_thread``) with :class:`_Parser`."""
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        parser = _Parser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode

        def read_keys(ready: list[Any], final: bool = False) -> None:
            for index, (_key, mask) in enumerate(ready):
                if mask & selectors.EVENT_READ:
                    text = decode(os.read(self.fileno, 4096), final=final and index == len(ready) - 1)
                    if not text:
                        break  # stdin is a pipe that ended
                    for event in parser.feed(text):
                        self.process_message(event)
            for event in parser.tick():
                self.process_message(event)

        try:
            while not self.exit_event.is_set():
                read_keys(selector.select(0.1))
            selector.unregister(self.fileno)
            read_keys(selector.select(0.1), final=True)
        finally:
            selector.close()
            try:
                for _event in parser.feed(""):
                    pass
            except (EOFError, ParseError):
                pass

    def process_message(self, message: Any) -> None:
        """Runs in the input thread: F12 covers the terminal before the app hears of it.
        A resize, or Ctrl+L (the terminal was written over: a wall message, line noise),
        makes the screen model forget what the terminal shows; Ctrl+L repaints it all."""
        if isinstance(message, events.Key) and message.key == "f12" and not self._hidden:
            self.cover()
        if isinstance(message, events.Key):
            self._key_at = time.monotonic()  # frames drawn soon after are this key's (focuslast.KEY_WINDOW)
        if isinstance(message, events.Resize):
            self._forget.set()
        if isinstance(message, events.Key) and message.key == "ctrl+l":
            self._forget.set()
            self._app.call_from_thread(self._app.refresh)
            return
        super().process_message(message)

    def cover(self) -> None:
        self._hidden = True
        self._forget.set()
        self._terminal.cover()

    def covered_screen_up(self) -> None:
        """The app has put the hidden screen up: its frames (queued after this) may be written."""
        self._hidden = True
        self._screen.forget()  # the hide wrote over it; frames dropped while covered were never shown
        super().write(_OPEN)

    def uncover(self) -> None:
        self._hidden = False

    def stop_application_mode(self) -> None:
        self._terminal.covered = False  # the terminal is put back as it was, hidden or not
        super().stop_application_mode()

