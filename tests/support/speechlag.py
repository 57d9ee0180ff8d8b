"""What a plain-mode client printed against what a screen reader spoke: the figures of issue 12.

``bench/speech_lag.py`` runs the demo under the Fenrir harness
(``/work/shared/tools/screenreader/run_under_fenrir.sh``), which leaves, for a
run written to ``OUT``:

- ``OUT.raw.chunks.tsv``: when each piece of the program's output reached the
  terminal (seconds since start, then the bytes as a Python literal);
- ``OUT.timed.tsv``: each utterance Fenrir sent its synthesizer (start, end,
  ``spoken`` / ``cut`` / ``unfinished``, the exact text).

This module turns those into figures, with no I/O of its own (the caller reads
the files): :func:`printed_lines` replays the bytes as a terminal would (the
typed-line guard's carriage return and erase-line, backspaces, the bell), joins
a wrapped line's indented rows and tells the person's own typed lines apart;
:func:`utterances` reads the speech; :func:`match` finds where each printed line
was spoken, whole, cut or not at all, and when its own words began
(``lag``) as well as when the utterance holding it began (``lag_utterance``, the
measure of the harness's ``analyze.py``); :func:`figures` sums them up, with the
lags of raised hands and private lines apart. Unit-tested in
``tests/unit/test_speech_figures.py``.
"""

from __future__ import annotations

import ast
import re
import statistics
from dataclasses import dataclass, field

__all__ = ["Line", "Utterance", "Heard", "parse_chunks", "printed_lines", "utterances", "match", "figures", "tokens"]

#: What Fenrir says for the punctuation its default level "some" speaks (and the word "at",
#: which "@" becomes): left out on both sides, so "/vote" and "slash vote" match.
PUNCTUATION_WORDS = frozenset({"dash", "dollar", "tilde", "plus", "star", "slash", "backslash", "at"})
#: How much earlier than a line's output time an utterance may start and still be its
#: speech (the harness stamps output and speech from one clock; this covers rounding).
SLACK_S = 0.5

#: A quarter of a word: the harness rounds its times to hundredths of a second.
WORD_SLACK = 0.25

_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[@-~]|\x1b[@-Z\\-_]")
_TOKEN = re.compile(r"[a-z0-9]+")


@dataclass
class Line:
    """One logical line as printed: its text (wrapped rows joined), when its first byte appeared."""

    text: str
    t: float
    own: bool = False  # the person's own typed line, echoed


@dataclass
class Utterance:
    start: float
    end: float
    status: str  # spoken | cut | unfinished
    text: str
    raw: list[str] = field(default_factory=list)  # every word token, as the synthesizer times them
    kept: list[int] = field(default_factory=list)  # indexes into raw of the tokens matched on


@dataclass
class Heard:
    line: Line
    status: str  # whole | cut | not heard
    lag: float | None = None  # the line's own first word spoken, minus when it appeared
    lag_utterance: float | None = None  # the utterance holding it began, minus when it appeared


def tokens(text: str) -> list[str]:
    """Lower-case words and numbers, punctuation Fenrir speaks as words left out."""
    return [t for t in _TOKEN.findall(text.lower()) if t not in PUNCTUATION_WORDS]


def parse_chunks(tsv: str) -> list[tuple[float, bytes]]:
    """``OUT.raw.chunks.tsv``: (seconds since start, bytes) per piece of output."""
    chunks = []
    for row in tsv.splitlines():
        if not row.strip():
            continue
        when, data = row.split("\t", 1)
        value = ast.literal_eval(data)
        chunks.append((float(when), value if isinstance(value, bytes) else str(value).encode()))
    return chunks


def printed_lines(chunks: list[tuple[float, bytes]], typed: list[str] = ()) -> list[Line]:  # type: ignore[assignment]
    """Replay the output as a terminal shows it, row by row, and join wrapped rows.

    ``\\r\\x1b[K`` (and a bare ``\\r``) start the row again, ``\\x08`` takes a
    character back, other escape sequences and the bell are dropped. A row
    starting with two spaces continues the line before it (the plain face's
    wrap). A line equal to one of ``typed`` is the person's own echo.
    """
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    rows: list[tuple[str, float]] = []
    row, row_t = "", None
    pending = ""
    for when, data in chunks:
        text = pending + decoder.decode(data)
        pending = ""
        # an escape sequence split across chunks waits for the rest
        cut = text.rfind("\x1b")
        if cut >= 0 and not _ESCAPE.match(text, cut) and len(text) - cut < 8:
            text, pending = text[:cut], text[cut:]
        i = 0
        while i < len(text):
            ch = text[i]
            if ch == "\x1b":
                m = _ESCAPE.match(text, i)
                if m is not None:
                    if m.group(0) == "\x1b[K":
                        row, row_t = "", None
                    i = m.end()
                    continue
                i += 1
            elif ch == "\n":
                if row.strip():
                    rows.append((row, row_t if row_t is not None else when))
                row, row_t = "", None
                i += 1
            elif ch == "\r":
                if text.startswith("\r\n", i):
                    i += 1  # the newline ends the row
                    continue
                row, row_t = "", None
                i += 1
            elif ch == "\x08":
                row = row[:-1]
                i += 1
            elif ch < " " or ch == "\x7f":
                i += 1
            else:
                if row_t is None:
                    row_t = when
                row += ch
                i += 1
    if row.strip():
        rows.append((row, row_t if row_t is not None else 0.0))
    own = {t.strip() for t in typed if t.strip()}
    lines: list[Line] = []
    for text, when in rows:
        if lines and text.startswith("  ") and not text[2:3].isspace() and not lines[-1].own:
            lines[-1].text += " " + text.strip()
            continue
        lines.append(Line(text.rstrip(), when, own=text.strip() in own))
    return lines


def utterances(tsv: str) -> list[Utterance]:
    """``OUT.timed.tsv`` (a header row, then start, end, status, text), Fenrir's own
    "Start Fenrir" and "Quit Fenrir" left out."""
    found = []
    for row in tsv.splitlines()[1:]:
        parts = row.split("\t", 3)
        if len(parts) < 4:
            continue
        start, end, status, text = parts
        if text.strip() in ("Start Fenrir", "Quit Fenrir"):
            continue
        raw = _TOKEN.findall(text.lower())
        kept = [i for i, t in enumerate(raw) if t not in PUNCTUATION_WORDS]
        found.append(Utterance(float(start), float(end), status, text, raw, kept))
    return found


def _find(needle: list[str], hay: list[str]) -> int:
    n = len(needle)
    for i in range(len(hay) - n + 1):
        if hay[i : i + n] == needle:
            return i
    return -1


def _locate(want: list[str], spoken: list[Utterance], start_at: int, after: float) -> tuple[int, int] | None:
    """(utterance index, token index) of the first utterance from ``start_at``, begun no
    earlier than ``after`` (less :data:`SLACK_S`), holding ``want`` in a row."""
    for index in range(start_at, len(spoken)):
        utt = spoken[index]
        if utt.start < after - SLACK_S:
            continue
        at = _find(want, [utt.raw[i] for i in utt.kept])
        if at >= 0:
            return index, at
    return None


def match(lines: list[Line], spoken: list[Utterance], wpm: float) -> list[Heard]:
    """Where each printed line (the person's own echoes left out) was spoken.

    Speech follows output in order, so each line is looked for from the
    utterance the line before it was found in, and never in one that began
    before the line appeared. A line inside a cut utterance was heard whole if
    the synthesizer's time (``wpm``) reached its last word, cut if it reached
    its first, else not heard.
    """
    results: list[Heard] = []
    start_at = 0
    per_word = 60.0 / wpm if wpm > 0 else 0.0
    for line in lines:
        if line.own:
            continue
        want = tokens(line.text)
        if not want:
            continue
        heard = Heard(line, "not heard")
        found = _locate(want, spoken, start_at, line.t)
        partial = found is None and len(want) >= 4
        if partial:  # its first four words: a line cut off, or split between utterances
            found = _locate(want[:4], spoken, start_at, line.t)
        if found is not None:
            index, at = found
            utt = spoken[index]
            first = utt.kept[at]
            last = utt.kept[min(at + len(want), len(utt.kept)) - 1] + 1
            said_words = len(utt.raw) if utt.status == "spoken" or not per_word else (utt.end - utt.start) / per_word + WORD_SLACK
            if partial or said_words < last:
                heard.status = "cut" if said_words >= first + 1 else "not heard"  # at least its first word
            else:
                heard.status = "whole"
            if heard.status != "not heard":
                heard.lag = utt.start + first * per_word - line.t
                heard.lag_utterance = utt.start - line.t
                start_at = index
        results.append(heard)
    return results


def _is_hand(text: str) -> bool:
    return text.startswith(("Hand raised", "Your hand is raised"))


def _is_private(text: str) -> bool:
    """A private line, a check-in note for the facilitators only, or a journal entry shared with them only."""
    return text.startswith(("Private", "Check in note for facilitators", "Journal entry shared with the facilitators"))


def figures(heard: list[Heard]) -> dict[str, object]:
    """Median and max lag (own words and utterance start), counts heard whole, cut and not
    heard, and the worst lag of a raised hand and of a private line or private check-in note
    (None when there was none)."""

    def worst(kind: list[Heard]) -> float | None:
        lags = [h.lag for h in kind if h.lag is not None]
        return round(max(lags), 1) if lags else None

    lags = [h.lag for h in heard if h.lag is not None]
    lags_u = [h.lag_utterance for h in heard if h.lag_utterance is not None]
    hands = [h for h in heard if _is_hand(h.line.text)]
    private = [h for h in heard if _is_private(h.line.text)]
    return {
        "lines": len(heard),
        "whole": sum(1 for h in heard if h.status == "whole"),
        "cut": sum(1 for h in heard if h.status == "cut"),
        "not_heard": sum(1 for h in heard if h.status == "not heard"),
        "median_lag": round(statistics.median(lags), 1) if lags else None,
        "max_lag": round(max(lags), 1) if lags else None,
        "median_lag_utterance": round(statistics.median(lags_u), 1) if lags_u else None,
        "max_lag_utterance": round(max(lags_u), 1) if lags_u else None,
        "hands": len(hands),
        "hand_max_lag": worst(hands),
        "private": len(private),
        "private_max_lag": worst(private),
    }
