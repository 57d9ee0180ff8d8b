"""Slide decks written in Markdown.

Slides are separated by a line holding only ``---``. Within a slide, a line
``Notes:`` (or ``Note:`` or ``???``) starts the presenter notes, which run to the
end of the slide and never reach members. A slide's title is its first
Markdown heading, or its first line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import ErrorCode, ProtocolError

__all__ = ["Slide", "Deck", "parse_deck", "MAX_SLIDES"]

MAX_SLIDES = 100
_SEPARATOR = re.compile(r"^\s*---\s*$", re.MULTILINE)
_NOTES = re.compile(r"^\s*(?:notes?:|\?\?\?)\s*", re.IGNORECASE | re.MULTILINE)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Slide:
    title: str
    body: str  # Markdown shown to everyone
    notes: str  # presenter notes, facilitators only


@dataclass(frozen=True)
class Deck:
    title: str
    slides: tuple[Slide, ...]


def _front_matter(markdown: str) -> tuple[str, str]:
    """Strip an optional leading ``title: ...`` line; return (title, rest)."""
    first, _, rest = markdown.lstrip("\ufeff").partition("\n")
    if first.lower().startswith("title:"):
        return first[6:].strip(), rest
    return "", markdown


def parse_deck(markdown: str) -> Deck:
    """Split Markdown into slides; raise ``ProtocolError(invalid)`` for an empty deck."""
    title, text = _front_matter(markdown.replace("\r\n", "\n"))
    slides = []
    for chunk in _SEPARATOR.split(text):
        if not chunk.strip():
            continue
        match = _NOTES.search(chunk)
        body, notes = (chunk[: match.start()], chunk[match.end() :]) if match else (chunk, "")
        heading = _HEADING.search(body)
        slide_title = heading.group(1).strip() if heading else body.strip().splitlines()[0][:80] if body.strip() else "Untitled"
        slides.append(Slide(slide_title, body.strip(), notes.strip()))
    if not slides:
        raise ProtocolError(ErrorCode.INVALID, "The deck has no slides; separate slides with a line holding only ---.")
    if len(slides) > MAX_SLIDES:
        raise ProtocolError(ErrorCode.INVALID, f"The deck has {len(slides)} slides, more than {MAX_SLIDES}; split it.")
    return Deck(title or slides[0].title, tuple(slides))
