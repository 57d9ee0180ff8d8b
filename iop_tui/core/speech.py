"""How long words take to say aloud: the one pace rule the demo and the plain face share.

A blind member hears the session through a screen reader that speaks every line
in turn. When lines arrive faster than they can be spoken, the queue grows and
what matters now (a raised hand, a private line) is heard late. Two parts keep
speech from falling behind, and both use this module so the pace is written once:

- the demo's simulated facilitator leaves a slide up at least as long as it
  takes to read aloud (:func:`speaking_seconds`), and its members wait for the
  floor instead of all talking at once (:mod:`iop_tui.demo.members`);
- the plain face keeps a :class:`SpeechClock`: an estimate of when the screen
  reader will have finished what was written; a new slide that arrives while
  more than :data:`SLIDE_BACKLOG_S` seconds of speech are still waiting is
  announced by its title only, and ``/slide`` reads it
  (:mod:`iop_tui.plain.narrator`).

Words are counted the way a speech synthesizer's time is spent: every
whitespace-separated token holding a letter or a digit. Pure functions and
data; no I/O, no clock of its own (the caller passes the time).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["SPEAKING_WPM", "SLIDE_BACKLOG_S", "word_count", "speaking_seconds", "SpeechClock"]

#: The speaking pace assumed: 300 words a minute, a brisk but common screen-reader rate
#: (issue 12 measures at it). Slower voices fall behind sooner; ``--verbosity all`` reads every slide.
SPEAKING_WPM = 300
#: A new slide arriving while more than this many seconds of speech wait is said by its title only.
SLIDE_BACKLOG_S = 5.0

_WORD = re.compile(r"[^\W_]", re.UNICODE)


def word_count(text: str) -> int:
    """Tokens holding a letter or digit: ``"Slide 2 of 8, The ABC model:"`` is 7."""
    return sum(1 for token in text.split() if _WORD.search(token))


def speaking_seconds(text: str | Iterable[str], wpm: float = SPEAKING_WPM) -> float:
    """Seconds to say ``text`` (one string or several lines) at ``wpm`` words a minute."""
    lines = [text] if isinstance(text, str) else list(text)
    if wpm <= 0:
        return 0.0
    return sum(word_count(line) for line in lines) * 60.0 / wpm


class SpeechClock:
    """When a screen reader reading every written line at :data:`SPEAKING_WPM` will be done.

    ``said(text, now)`` after each line is written; ``backlog(now)`` is the
    seconds of speech still waiting then (0 when the reader would be quiet).
    An estimate, not a measurement: the face cannot hear its reader.
    """

    def __init__(self, wpm: float = SPEAKING_WPM) -> None:
        self.wpm = wpm
        self.busy_until = 0.0

    def said(self, text: str, now: float) -> None:
        self.busy_until = max(self.busy_until, now) + speaking_seconds(text, self.wpm)

    def backlog(self, now: float) -> float:
        return max(0.0, self.busy_until - now)
