"""The facilitator's kit (issue 14 part A): guided journaling, go-around rounds, fair airtime.

Pure data and small pure functions shared by the relay's rules, the fold and
the client: the journaling forms a prompt may use, the orders of a go-around,
the limits of every new field (one place), and how a chat line is counted
for airtime (words, lines, turns). No I/O.

- A *journal prompt* asks one question, or several (a structured form such as
  a CBT thought record). Each member's entry is theirs alone (audience
  ``self``): not another member's, not the facilitators' either, live, on
  replay or in an export, until the member shares it.
- A *go-around* gives each member present a turn, in the roster's order, at
  random or quietest first; a member may pass, the facilitator moves on or
  skips; an optional time guide per turn is said in words, never a clock.
- *Airtime* counts each member's group chat lines, words and turns, per
  session and phase; a facilitator may slow one member to one group line per
  N seconds without muting them.
"""

from __future__ import annotations

import re
from typing import Final, Literal

__all__ = [
    "JOURNAL_FORMS",
    "THOUGHT_RECORD",
    "MAX_JOURNAL_FIELDS",
    "MAX_JOURNAL_ANSWER",
    "MAX_JOURNAL_MINUTES",
    "JournalShare",
    "JOURNAL_SHARES",
    "GoRoundOrder",
    "GOROUND_ORDERS",
    "GoRoundOutcome",
    "GOROUND_OUTCOMES",
    "MAX_TURN_MINUTES",
    "MAX_SLOW_SECONDS",
    "word_count",
]

#: A CBT thought record, field by field.
THOUGHT_RECORD: tuple[str, ...] = (
    "Situation: where were you, what was happening?",
    "Automatic thought: what went through your mind?",
    "Feelings: what did you feel, and how strongly (0 to 100)?",
    "Evidence for the thought",
    "Evidence against the thought",
    "A balanced thought",
)

#: Named forms a facilitator may open by name (``/journal open thought-record``).
JOURNAL_FORMS: dict[str, tuple[str, ...]] = {
    "thought-record": THOUGHT_RECORD,
}

#: A prompt's questions (a form's fields), at most.
MAX_JOURNAL_FIELDS: Final = 8
#: One answer of a journal entry, in characters.
MAX_JOURNAL_ANSWER: Final = 4000
#: The minutes a prompt may be opened for (0: no time given).
MAX_JOURNAL_MINUTES: Final = 120

#: Whom a member shares their entry with: the facilitators, or the group.
JournalShare = Literal["facilitators", "group"]
JOURNAL_SHARES: tuple[JournalShare, ...] = ("facilitators", "group")

#: The order of a go-around's turns.
GoRoundOrder = Literal["roster", "random", "quietest"]
GOROUND_ORDERS: tuple[GoRoundOrder, ...] = ("roster", "random", "quietest")
#: How a turn ended: the member spoke (the facilitator moved on), passed, or was skipped.
GoRoundOutcome = Literal["spoke", "passed", "skipped"]
GOROUND_OUTCOMES: tuple[GoRoundOutcome, ...] = ("spoke", "passed", "skipped")
#: A turn's time guide, in minutes (0: none).
MAX_TURN_MINUTES: Final = 30

#: The slowest pace a facilitator may set: one group line per this many seconds (0 lifts it).
MAX_SLOW_SECONDS: Final = 600

_WORD = re.compile(r"\w+(?:['’-]\w+)*")


def word_count(text: str) -> int:
    """Words in a chat line as airtime counts them (runs of letters or digits;
    "don't" and "well-being" are one word; punctuation and emoji are none)."""
    return len(_WORD.findall(text))
