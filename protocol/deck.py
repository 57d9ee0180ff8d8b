"""Slide decks written in Markdown.

Slides are separated by a line holding only ``---``. Within a slide, a line
``Notes:`` (or ``Note:`` or ``???``) starts the presenter notes, which run to the
end of the slide and never reach members. A slide's title is its first
Markdown heading, or its first line.

The deck is read one line at a time, each line looked at a fixed number of
times: the work is linear in the deck's length whatever it holds (a regular
expression with ``\\s`` spanning lines, or a lazy group before optional
spaces, backtracks quadratically or worse on blank lines and long runs of
spaces). A deck is also bounded before any work starts: at most
``MAX_DECK_CHARS`` characters, ``MAX_DECK_LINES`` lines and
``MAX_LINE_CHARS`` characters on one line.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ErrorCode, ProtocolError

__all__ = [
    "Slide",
    "Deck",
    "parse_deck",
    "heading_text",
    "check_deck_size",
    "MAX_SLIDES",
    "MAX_DECK_CHARS",
    "MAX_DECK_LINES",
    "MAX_LINE_CHARS",
]

MAX_SLIDES = 100
MAX_DECK_CHARS = 60_000  # the same bound as a deck.load frame's markdown field
MAX_DECK_LINES = 5_000
MAX_LINE_CHARS = 2_000
MAX_TITLE_CHARS = 80

_BLANK = " \t"
_NOTE_MARKS = ("notes:", "note:", "???")


@dataclass(frozen=True)
class Slide:
    title: str
    body: str  # Markdown shown to everyone
    notes: str  # presenter notes, facilitators only


@dataclass(frozen=True)
class Deck:
    title: str
    slides: tuple[Slide, ...]


def heading_text(line: str) -> str | None:
    """The text of an ATX Markdown heading line (``## Title ##``), or None if it is not one.

    Up to three spaces, one to six ``#``, then a space or tab (or nothing);
    a closing run of ``#`` counts only after a space, as in CommonMark, so
    ``# C#`` reads "C#". Linear in the line's length.
    """
    text = line.rstrip("\n")
    indent = len(text) - len(text.lstrip(" "))
    if indent > 3:
        return None
    text = text[indent:]
    marks = len(text) - len(text.lstrip("#"))
    if not 1 <= marks <= 6:
        return None
    rest = text[marks:]
    if rest and rest[0] not in _BLANK:
        return None
    rest = rest.strip(_BLANK)
    closed = rest.rstrip("#")
    if not closed or closed[-1] in _BLANK:
        rest = closed.rstrip(_BLANK)
    return rest


def check_deck_size(markdown: str) -> None:
    """Raise ``ProtocolError(invalid)`` with one sentence if the deck is over a bound.

    Counting is linear and stops at the first line that is too long, so a
    hostile deck costs no more than a normal one of the same size.
    """
    if len(markdown) > MAX_DECK_CHARS:
        raise ProtocolError(
            ErrorCode.INVALID,
            f"The deck is too long: at most {MAX_DECK_CHARS:,} characters; split it into two decks.",
        )
    start = 0
    number = 0
    while start <= len(markdown):
        end = markdown.find("\n", start)
        if end == -1:
            end = len(markdown)
        number += 1
        if number > MAX_DECK_LINES:
            raise ProtocolError(
                ErrorCode.INVALID,
                f"The deck has more than {MAX_DECK_LINES:,} lines; remove blank lines or split it into two decks.",
            )
        if end - start > MAX_LINE_CHARS:
            raise ProtocolError(
                ErrorCode.INVALID,
                f"Line {number:,} of the deck is longer than {MAX_LINE_CHARS:,} characters; break it into shorter lines.",
            )
        start = end + 1


def _front_matter(lines: list[str]) -> tuple[str, list[str]]:
    """Strip an optional leading ``title: ...`` line; return (title, rest)."""
    if lines and lines[0].lower().startswith("title:"):
        return lines[0][6:].strip(), lines[1:]
    return "", lines


def _is_separator(line: str) -> bool:
    return line.strip(_BLANK) == "---"


def _notes_start(line: str) -> str | None:
    """The rest of a line that starts the presenter notes, or None."""
    text = line.lstrip(_BLANK)
    lowered = text[:6].lower()
    for mark in _NOTE_MARKS:
        if lowered.startswith(mark):
            return text[len(mark) :]
    return None


def _slide(lines: list[str]) -> Slide | None:
    body: list[str] = []
    notes: list[str] = []
    in_notes = False
    for line in lines:
        if in_notes:
            notes.append(line)
            continue
        rest = _notes_start(line)
        if rest is not None:
            in_notes = True
            notes.append(rest)
        else:
            body.append(line)
    body_text = "\n".join(body).strip()
    notes_text = "\n".join(notes).strip()
    if not body_text and not notes_text:
        return None
    title = None
    for line in body:
        title = heading_text(line)
        if title is not None:
            title = title.strip()
            break
    if title is None:
        title = body_text.splitlines()[0][:MAX_TITLE_CHARS] if body_text else "Untitled"
    return Slide(title, body_text, notes_text)


def parse_deck(markdown: str) -> Deck:
    """Split Markdown into slides; raise ``ProtocolError(invalid)`` for an empty or oversize deck."""
    check_deck_size(markdown)
    lines = markdown.lstrip("\ufeff").replace("\r\n", "\n").split("\n")
    title, lines = _front_matter(lines)
    slides: list[Slide] = []
    chunk: list[str] = []
    for line in lines + ["---"]:
        if not _is_separator(line):
            chunk.append(line)
            continue
        slide = _slide(chunk)
        chunk = []
        if slide is not None:
            slides.append(slide)
            if len(slides) > MAX_SLIDES:
                raise ProtocolError(ErrorCode.INVALID, f"The deck has more than {MAX_SLIDES} slides; split it into two decks.")
    if not slides:
        raise ProtocolError(ErrorCode.INVALID, "The deck has no slides; separate slides with a line holding only ---.")
    return Deck(title or slides[0].title, tuple(slides))
