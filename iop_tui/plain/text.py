"""Text for the plain face: clean lines, Markdown as plain lines, rows for a screen reader.

``clean`` is the shared one-line cleaner (:func:`protocol.text.one_line`);
``markdown_lines`` reads a slide as plain lines; ``speakable`` makes a few of
our sentences say well under a console screen reader; ``wrap`` breaks a line at
spaces for a terminal ``width`` (public, used by the demo too). No I/O here
except ``terminal_width``, which asks the terminal its size.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from typing import Any

from protocol.deck import heading_text
from protocol.text import one_line

__all__ = ["clean", "markdown_lines", "speakable", "wrap", "terminal_width", "plural", "ordinal_date", "get"]


def clean(text: Any) -> str:
    """One printable line: the shared cleaner (:func:`protocol.text.one_line`):
    escape sequences, controls and format characters removed, a member's line
    breaks said as " / "."""
    return one_line(text)


# Every pattern below runs on one line of a deck or a member's text, and none can
# backtrack: [ \t] rather than \s, possessive runs, and no group may scan past the
# next bracket or marker of its own kind. The work is linear in the line's length.
_FENCE = re.compile(r"^[ \t]*+(```|~~~)")
_RULE = re.compile(r"^[ \t]*+([-*_])(?:[ \t]*+\1){2,}+[ \t]*+$")
_BULLET = re.compile(r"^[ \t]*+[-*+][ \t]++(\[[ xX]\][ \t]++)?")
_QUOTE = re.compile(r"^[ \t]*+>++[ \t]?")
_TABLE_RULE = re.compile(r"^[ \t]*+\|?[ \t]*+:?-{2,}+:?[ \t]*+(?:\|[ \t]*+:?-{2,}+:?[ \t]*+)*+\|?[ \t]*+$")
_IMAGE = re.compile(r"!\[([^\[\]]*)\]\([^()]*\)")
_LINK = re.compile(r"\[([^\[\]]+)\]\(([^()]*)\)")
_HTML = re.compile(r"</?[A-Za-z][^<>]*>")
_EMPHASIS = re.compile(
    r"\*\*(?=[^ \t])([^*]+?)(?<=[^ \t])\*\*|__(?=[^ \t])([^_]+?)(?<=[^ \t])__|~~(?=[^ \t])([^~]+?)(?<=[^ \t])~~"
    r"|\*(?=[^ \t])([^*]+?)(?<=[^ \t])\*|_(?=[^ \t])([^_]+?)(?<=[^ \t])_"
)


def _emphasised(match: re.Match[str]) -> str:
    return next(group for group in match.groups() if group is not None)


def _inline(text: str) -> str:
    text = _IMAGE.sub(lambda m: m.group(1), text)
    text = _LINK.sub(lambda m: m.group(1), text)
    text = _HTML.sub("", text)
    text = text.replace("`", "")
    for _ in range(2):  # nested emphasis, e.g. ***word***
        text = _EMPHASIS.sub(_emphasised, text)
    return text


_NUMBERED = re.compile(r"^[ \t]*+\d++[.)][ \t]++")


def markdown_lines(markdown: str, skip_title: str | None = None) -> list[str]:
    """Markdown as plain lines: no heading marks, emphasis, backticks or table pipes.

    A paragraph wrapped over several source lines becomes one line; each
    list item, heading and table row is a line of its own (a table row's
    cells joined by commas). Blank lines and rules are dropped (they are
    silence to a screen reader); a leading heading equal to ``skip_title``
    is dropped because the slide line already says it.
    """
    lines: list[str] = []
    joinable = False  # the last line is paragraph text a wrapped line may continue
    for raw in markdown.replace("\r\n", "\n").split("\n"):
        if not raw.strip() or _FENCE.match(raw) or _RULE.match(raw) or _TABLE_RULE.match(raw):
            joinable = False
            continue
        heading = heading_text(raw)
        paragraph = False
        if heading is not None:
            text = heading
            if skip_title is not None and not lines and clean(_inline(text)) == clean(skip_title):
                continue
        elif raw.strip().startswith("|") or raw.count("|") >= 2:
            cells = [c.strip() for c in raw.strip().strip("|").split("|")]
            text = ", ".join(c for c in cells if c)
        elif _BULLET.match(raw) or _NUMBERED.match(raw):
            text = _BULLET.sub("", _QUOTE.sub("", raw))
            paragraph = True  # a wrapped list item continues on the next line
        else:
            text = _QUOTE.sub("", raw)
            if joinable:
                lines[-1] = lines[-1] + " " + clean(_inline(text))
                continue
            paragraph = True
        text = clean(_inline(text))
        if text:
            lines.append(text)
        joinable = paragraph and bool(text)
    return lines



_DOUBLE_STOP = re.compile(r"(?<!\.)([.?!])\.(?![./\\])")  # "week.." and "today?." read as one stop; "../" stays a path
_CHECK_IN = re.compile(r"\b([Cc])heck-in\b")
_PERCENT = re.compile(r"(\d)%")


_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_NUMBER_RANGE = re.compile(r"\b(\d+)-(\d+)\b")
_WORD_HYPHEN = re.compile(r"(?<=[a-zß-ÿ])-(?=[a-zß-ÿ])")  # between lower-case letters: a code like SAM-2 stays


def _spoken_date(match: re.Match[str]) -> str:
    try:
        day = _dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return match.group(0)
    return f"{day.day} {day:%B} {day.year}"


def _unhyphen(token: str) -> str:
    """A hyphen inside a word is a pause, not "dash"; what a person types (``--group``,
    ``/end --no-summary``, ``iop-tui``) is left as it must be typed."""
    if token.startswith(("-", "/")) or token.lower().startswith("iop-"):
        return token
    return _WORD_HYPHEN.sub(" ", token)


def speakable(line: str) -> str:
    """Small changes so a console screen reader says our sentences as words.

    Fenrir (and speakup) read "-" as "dash" and drop "%": "Check-in" becomes
    "Check in", "all-or-nothing" "all or nothing", "2026-12-01" "1 December
    2026", "0-10" "0 to 10", "25%" "25 percent"; a doubled full stop becomes one.
    """
    line = _DOUBLE_STOP.sub(r"\1", line)
    line = _CHECK_IN.sub(lambda m: m.group(1) + "heck in", line)
    line = _ISO_DATE.sub(_spoken_date, line)
    line = _NUMBER_RANGE.sub(r"\1 to \2", line)
    line = " ".join(_unhyphen(token) for token in line.split(" "))
    return _PERCENT.sub(r"\1 percent", line)


def get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def ordinal_date(iso: str) -> str:
    try:
        day = _dt.date.fromisoformat(iso)
    except ValueError:
        return clean(iso)
    return f"{day:%A} {day.day} {day:%B}"


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def wrap(line: str, width: int) -> list[str]:
    """Break a line at spaces so no row is wider than ``width``.

    A console screen reader reads a terminal row by row and pauses at each
    row's end: a word the terminal splits at the margin is heard as two
    ("membe , rs"). Breaking at spaces ourselves keeps every word whole.
    Rows after the first are indented by two spaces, so no part of a long
    line (however a member pads their text) starts a row as if it were a
    line of its own.
    """
    if width < 20 or len(line) <= width:
        return [line]
    return _wrap_words(line, width, width - len(_CONTINUATION))


_CONTINUATION = "  "  # the indent of a wrapped line's further rows


def _wrap_words(line: str, first: int, later: int) -> list[str]:
    """Rows broken at spaces (a longer word is cut): the first at most ``first``
    characters, the rest indented by :data:`_CONTINUATION`, at most ``later``."""
    rows: list[str] = []
    current = ""

    def width() -> int:
        return first if not rows else later

    def push(row: str) -> None:
        rows.append(row if not rows else _CONTINUATION + row)

    for word in line.split(" "):
        while len(word) > width() - (len(current) + 1 if current else 0):
            if current:
                push(current)
                current = ""
            elif len(word) > width():
                cut = width()
                push(word[:cut])
                word = word[cut:]
            else:
                break
        if not current:
            current = word
        else:
            current += " " + word
    if current:
        push(current)
    return rows


def terminal_width(stdout: Any) -> int:
    """Usable columns when writing to a terminal (one fewer than the terminal), else 0."""
    try:
        if stdout.isatty():
            return os.get_terminal_size(stdout.fileno()).columns - 1
    except (AttributeError, OSError, ValueError):
        pass
    return 0

