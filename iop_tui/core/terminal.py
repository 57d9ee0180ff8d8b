"""What the terminal can take: its character encoding, its colours, the mouse, SSH.

Pure decisions from the environment (``TERM``, ``COLORTERM``, the locale,
``SSH_CONNECTION``), shared by both faces and the launcher; no I/O beyond
reading the environment and the locale, and no face imported.

- :func:`terminal_encoding`: the encoding the terminal expects. Python turns a
  C or POSIX locale into UTF-8 for its own streams (PEP 538 and 540), but the
  terminal behind ``LANG=C`` is an ASCII one: UTF-8 bytes would reach it as
  mojibake.
- :func:`for_terminal`: text made writable in that encoding and still
  readable: typographic marks and box drawing become ASCII, accented letters
  lose their accents, and anything else is escaped (``\\u2764``).
  :func:`cell_for_terminal` is the same rule for one character of a
  full-screen grid, keeping its width in cells so the layout holds.
- :func:`is_dumb`: a terminal that cannot address the screen gets the plain
  face. :func:`color_system`: terminals that cannot show 24-bit colour (the
  Linux console, the VT family) get the 16 ANSI colours.
- :func:`over_ssh` and :func:`mouse_wanted`: mouse clicks are asked for only
  on a local terminal (each report is bytes up a slow link), unless
  ``IOP_TUI_MOUSE`` says otherwise.
"""

from __future__ import annotations

import codecs
import os
import sys
import unicodedata
from collections.abc import Mapping

__all__ = [
    "terminal_encoding",
    "is_utf8",
    "for_terminal",
    "cell_for_terminal",
    "is_dumb",
    "color_system",
    "over_ssh",
    "mouse_wanted",
]

#: Terminals that cannot address the screen: they get the plain face.
DUMB_TERMS = frozenset({"dumb", "unknown", "cons25-dumb"})
#: Terminals whose colours are the 16 ANSI ones at most, whatever COLORTERM claims.
SIXTEEN_COLOUR_TERMS = ("linux", "vt", "ansi", "cons25", "sun", "xterm-color", "xterm-16color")

#: Readable ASCII for the marks and drawing characters a face writes.
_ASCII: dict[str, str] = {
    "\u2014": "-",  # em dash
    "\u2013": "-",  # en dash
    "\u2012": "-",
    "\u2015": "-",
    "\u2010": "-",
    "\u2011": "-",
    "\u2212": "-",  # minus sign
    "\u2026": "...",  # ellipsis
    "\u00b7": "-",  # middle dot, between parts of the header
    "\u2022": "*",  # bullet
    "\u25cf": "*",
    "\u25cb": "o",
    "\u25b6": ">",
    "\u25b8": ">",
    "\u25c0": "<",
    "\u25c2": "<",
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2039": "<",
    "\u203a": ">",
    "\u00a0": " ",
    "\u2190": "<",
    "\u2192": ">",
    "\u2191": "^",
    "\u2193": "v",
    "\u2713": "v",
    "\u2714": "v",
    "\u2717": "x",
    "\u2718": "x",
    "\u00d7": "x",
}


def _box(char: str) -> str | None:
    """ASCII for a box-drawing or block character, or None when it is neither."""
    code = ord(char)
    if 0x2500 <= code <= 0x257F:  # box drawing: lines, corners, joints
        name = unicodedata.name(char, "")
        across = any(w in name for w in ("HORIZONTAL", "LEFT", "RIGHT"))
        down = any(w in name for w in ("VERTICAL", "UP", "DOWN"))
        if "DIAGONAL" in name:
            return "/" if "UPPER RIGHT TO LOWER LEFT" in name else "\\"
        if across and not down:
            return "=" if "DOUBLE" in name else "-"
        if down and not across:
            return "|"
        return "+"
    if 0x2580 <= code <= 0x259F:  # blocks: bars, scrollbars, shades
        return "#"
    return None


def _locale_was_c() -> bool:
    """Python found a C or POSIX locale at start and switched itself to UTF-8 (PEP 538/540)."""
    if not sys.flags.utf8_mode:
        return False
    if os.environ.get("PYTHONUTF8") == "1" or "utf8" in getattr(sys, "_xoptions", {}):
        return False  # UTF-8 asked for on purpose
    return True


def terminal_encoding() -> str:
    """The codec name the terminal expects ("utf-8", "ascii", "iso8859-1", ...)."""
    if _locale_was_c():
        return "ascii"
    import locale

    try:
        return codecs.lookup(locale.getencoding()).name
    except (LookupError, AttributeError, ValueError):
        return "utf-8"


def is_utf8(encoding: str) -> bool:
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


def _encodable(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def _plain_letters(char: str) -> str:
    """The letters of ``char`` without accents (é -> e, ﬁ -> fi), or '' when there are none."""
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c) and c.isascii() and c.isprintable())


def for_terminal(text: str, encoding: str) -> str:
    """``text`` made writable in ``encoding`` and readable: the one rule for both faces.

    What the encoding can hold is kept as it is; marks and drawing characters
    become ASCII (``—`` -> ``-``, ``…`` -> ``...``), accented letters lose their
    accents (``Zoë`` -> ``Zoe``), and anything else is escaped as Python writes
    it (``\\u2764``), so no character turns into mojibake or vanishes unseen.
    """
    if is_utf8(encoding) or _encodable(text, encoding):
        return text
    out: list[str] = []
    for char in text:
        if _encodable(char, encoding):
            out.append(char)
            continue
        fallback = _ASCII.get(char) or _box(char) or _plain_letters(char)
        out.append(fallback if fallback else char.encode("ascii", "backslashreplace").decode("ascii"))
    return "".join(out)


def cell_for_terminal(char: str, encoding: str, width: int = 1) -> str:
    """One character of a screen grid, writable in ``encoding``, ``width`` cells wide.

    The full-screen face places text by cells, so a fallback must take the
    cells the character took: the first letters of its transliteration, and
    ``?`` for what has none (a wide ideograph or an emoji is ``??``).
    """
    if _encodable(char, encoding):
        return char
    fallback = _ASCII.get(char) or _box(char) or _plain_letters(char)
    if not fallback:
        return "?" * width
    return (fallback + " " * width)[:width] if len(fallback) < width else fallback[:width]


def is_dumb(env: Mapping[str, str] | None = None) -> bool:
    """A terminal that cannot address the screen (``TERM=dumb``): only the plain face works on it."""
    env = os.environ if env is None else env
    return env.get("TERM", "").strip().lower() in DUMB_TERMS


def color_system(env: Mapping[str, str] | None = None) -> str | None:
    """The colour system to draw with, or None to let Textual detect it.

    ``TEXTUAL_COLOR_SYSTEM`` set by the person wins; the Linux console and the
    VT family get "standard" (16 colours) even when ``COLORTERM`` claims 24-bit
    colour (a value an SSH session may carry from another terminal).
    """
    env = os.environ if env is None else env
    if env.get("TEXTUAL_COLOR_SYSTEM"):
        return None
    term = env.get("TERM", "").strip().lower()
    if term.endswith(("-256color", "-direct", "-truecolor")):
        return None
    if term.startswith(SIXTEEN_COLOUR_TERMS):
        return "standard"
    return None


def over_ssh(env: Mapping[str, str] | None = None) -> bool:
    """The client runs in an SSH session (sshd sets SSH_CONNECTION and SSH_TTY)."""
    env = os.environ if env is None else env
    return bool(env.get("SSH_CONNECTION") or env.get("SSH_TTY"))


def mouse_wanted(env: Mapping[str, str] | None = None) -> bool:
    """Whether to ask the terminal for mouse clicks.

    Every control has a key, so the mouse is a convenience: on locally, off
    over SSH (each report is bytes up the link). ``IOP_TUI_MOUSE=on`` or
    ``off`` decides instead. Mouse motion is never asked for.
    """
    env = os.environ if env is None else env
    choice = env.get("IOP_TUI_MOUSE", "").strip().lower()
    if choice in ("on", "1", "yes"):
        return True
    if choice in ("off", "0", "no"):
        return False
    return not over_ssh(env)


# -- a slow link (issue 17): --low-bandwidth and the hint to use it ------------------------------

#: Terminals that are slow or old enough to hint at ``--low-bandwidth``: the VT family and the Linux console.
SLOW_TERMS = ("vt", "linux")
#: A relay whose TCP connect took longer than this (one round trip) is on a slow or distant link.
SLOW_CONNECT_S = 0.4
#: Set (to 1) by ``--low-bandwidth``: the full-screen face draws less.
LOW_BANDWIDTH_ENV = "IOP_TUI_LOW_BANDWIDTH"


def low_bandwidth(env: Mapping[str, str] | None = None) -> bool:
    """Whether the full-screen face draws for a slow link: no colour, no decoration, no toasts."""
    env = os.environ if env is None else env
    return env.get(LOW_BANDWIDTH_ENV, "").strip().lower() in ("1", "yes", "on", "true")


def slow_link_reason(env: Mapping[str, str] | None = None, connect_s: float | None = None) -> str | None:
    """Why the person might want ``--low-bandwidth`` ("TERM is vt100", "the relay took 0.9 s to
    answer"), or None: the switch is already on, the terminal is not a slow one and the link
    answered fast (or was not measured). The one rule for the hint; the sentence is the face's."""
    env = os.environ if env is None else env
    if low_bandwidth(env):
        return None
    term = env.get("TERM", "").strip().lower()
    if term.startswith(SLOW_TERMS) and not term.endswith(("-256color", "-direct", "-truecolor")):
        return f"TERM is {term}"
    if connect_s is not None and connect_s > SLOW_CONNECT_S:
        return f"the relay took {connect_s:.1f} s to answer"
    return None
