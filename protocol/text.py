"""One cleaner for every string that came from the network or a file.

A member's words reach other people's terminals. Before any face shows a
string it passes through :func:`clean_line` (a name, a title, a feeling
word, a poll question or option: one line) or :func:`clean_text` (a chat
line, a note, homework text, a slide: several lines by design). Both

- remove terminal escape sequences whole, not only their ESC byte: CSI
  (``ESC [`` or 0x9B, its parameters and final byte), OSC, DCS, SOS, PM and
  APC strings up to their terminator (``ESC ] 0;title BEL`` leaves nothing,
  not even "0;title"; an unterminated one runs to the end of the text, as a
  terminal would swallow it), and every other ``ESC`` sequence;
- remove the remaining C0 and C1 control characters and DEL;
- remove every Unicode format character (category Cf): the bidi overrides,
  embeddings and isolates U+202A-202E and U+2066-2069, U+061C, U+200E/F,
  the zero-width characters U+200B-200D, U+2060 and U+FEFF, tag characters
  and the like, which can reorder or hide text;
- treat CR LF, CR, VT, FF, NEL, U+2028 and U+2029 as line breaks, and tabs
  as spaces.

:func:`clean_line` turns line breaks into spaces and collapses runs of
whitespace. :func:`clean_text` keeps line breaks (at most one blank line in
a row, none at the ends) so a face can show them under their author; it
never lets them pass as a line of their own (see the faces).

Both first cut the text to ``max_len`` characters and then make a fixed
number of passes of linear regular expressions, so a hostile string costs
time in proportion to its (bounded) length. Pure: no I/O, no other package.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["clean_line", "clean_text", "clean_tree", "clean_frame", "one_line", "LINE_BREAK", "MULTILINE_FIELDS", "MAX_CLEAN", "FORMAT_CHARACTERS"]

#: No string is shown longer than this many characters (the longest field,
#: a deck or a homework answer, is 60,000).
MAX_CLEAN = 60_000

# Escape sequences, each alternative anchored on a distinct introducer so the
# scan never backtracks more than the run it just read:
# - control strings (OSC, DCS, SOS, PM, APC), 7-bit or C1, to BEL or ST or the end;
# - CSI, 7-bit or C1: parameter bytes, intermediate bytes, an optional final byte;
# - any other ESC: intermediate bytes and an optional final byte.
_ESCAPES = re.compile(
    r"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|\x1b[ -/]*[0-~]?"
)

#: Unicode format characters (category Cf): invisible, yet they reorder,
#: join or hide text. The table test checks it against ``unicodedata``.
FORMAT_CHARACTERS = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)

_BREAKS = re.compile(r"\r\n|[\r\n\x0b\x0c\x85\u2028\u2029]")
_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f" + FORMAT_CHARACTERS + "]")
_BLANK_RUN = re.compile(r"\n(?:[ \t]*\n)+")
_SPACES = re.compile(r"\s+")


def _strip(text: Any, max_len: int) -> str:
    """Escape sequences and invisible characters removed; line breaks made ``\\n``."""
    text = text if isinstance(text, str) else str(text)
    text = text[:max_len]
    text = _ESCAPES.sub("", text)
    text = _BREAKS.sub("\n", text)
    return _INVISIBLE.sub("", text)


def clean_line(text: Any, max_len: int = MAX_CLEAN) -> str:
    """One printable line: no escape sequence, control or format character,
    line breaks and tabs as single spaces, no space at either end."""
    if isinstance(text, str) and len(text) <= max_len and text.isprintable():
        return " ".join(text.split())  # nothing to remove: only spaces to tidy
    return _SPACES.sub(" ", _strip(text, max_len)).strip()


def clean_text(text: Any, max_len: int = MAX_CLEAN) -> str:
    """Printable text whose only control character is ``\\n`` between lines:
    no escape sequence, control or format character, tabs as four spaces, no
    trailing spaces, at most one blank line in a row and none at the ends."""
    if isinstance(text, str) and len(text) <= max_len and text.isprintable():
        return text.rstrip()  # one line with nothing to remove
    text = _strip(text, max_len).replace("\t", "    ")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANK_RUN.sub("\n\n", text).strip("\n")


#: How a line break inside a member's text reads where everything must be
#: one line (the plain face, a notice): "first line / second line".
LINE_BREAK = " / "


def one_line(text: Any, max_len: int = MAX_CLEAN) -> str:
    """:func:`clean_text` on one line, its line breaks shown as :data:`LINE_BREAK`
    (blank lines dropped), so a line break never starts a line of its own."""
    lines = clean_text(text, max_len).split("\n")
    return LINE_BREAK.join(" ".join(line.split()) for line in lines if line.strip())


def clean_tree(value: Any, multiline: frozenset[str] | set[str] = frozenset(), path: str = "") -> Any:
    """A decoded frame with every string cleaned, keys included.

    A string at a path in ``multiline`` keeps its line breaks
    (:func:`clean_text`); every other string becomes one line
    (:func:`clean_line`). A path names dictionary keys joined by ``.``, with
    ``[]`` for the items of a list: ``"text"``, ``"slides[].body"``,
    ``"notes[]"``. Numbers, booleans and None pass unchanged.
    """
    if isinstance(value, str):
        return clean_text(value) if path in multiline else clean_line(value)
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            name = clean_line(key) if isinstance(key, str) else key
            out[name] = clean_tree(item, multiline, f"{path}.{name}" if path else str(name))
        return out
    if isinstance(value, (list, tuple)):
        return [clean_tree(item, multiline, path + "[]") for item in value]
    return value


#: The fields of each event type that are several lines by design (paths as
#: in :func:`clean_tree`, below the frame's ``data``); every other string of
#: an event (names, titles, feeling words, poll questions and options,
#: checklist items) is one line.
MULTILINE_FIELDS: dict[str, frozenset[str]] = {
    "chat.posted": frozenset({"data.text"}),
    "checkin.submitted": frozenset({"data.note"}),
    "checkin.note": frozenset({"data.note"}),
    "session.ended": frozenset({"data.summary"}),
    "deck.loaded": frozenset({"data.slides[].body"}),
    "deck.notes": frozenset({"data.notes[]"}),
    "homework.assigned": frozenset({"data.instructions"}),
    "homework.submitted": frozenset({"data.text"}),
}


def clean_frame(frame: dict[str, Any]) -> dict[str, Any]:
    """A frame from the relay with every string cleaned: the multi-line
    fields of :data:`MULTILINE_FIELDS` keep their line breaks, every other
    string (names in a welcome or presence, an error's message) is one line."""
    if not isinstance(frame, dict):
        return frame
    multiline = MULTILINE_FIELDS.get(str(frame.get("type"))) if frame.get("kind") == "event" else None
    cleaned: dict[str, Any] = clean_tree(frame, multiline or frozenset())
    return cleaned
