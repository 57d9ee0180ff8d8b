"""Shared boards: columns of cards a group writes together, and their limits.

A facilitator opens a board in a live session with ``board.open`` (a title,
1 to :data:`MAX_COLUMNS` columns, named or anonymous). Members (facilitators
and participants; never guests) add cards to a column, edit and remove their
own, and give a card one +1 each. A facilitator moves a card to another column,
merges one card into another (its words are kept on the card it joins, its +1s
added) and clears a column or the whole board.

Who wrote a card is health information on an anonymous board. No event that
reaches the group names the writer, not even in its envelope: the relay logs
those events with no actor (:attr:`protocol.events.Draft.anonymous`), and the
writer is told in a separate ``card.author`` event (audience ``member``: the
writer and the facilitators). So the writer knows their own cards (to edit or
remove them), the facilitators know every card's writer (so they can follow up
on a worrying card: safety first), and no other member can learn it, live, on
replay or in an export. The same holds for +1s (``card.plus_by``). A board's
anonymity is chosen when it opens and never changes, so nothing said as named
is later shown as anonymous or the other way round.

Cards are numbered 1, 2, 3 ... within their board in the order they were added
(the number stays when other cards go), which is what ``/plus 3`` names.

This module holds the limits (the one place) and the folded shapes; the fold
itself is :class:`protocol.state.GroupState`, the decisions ``server.rules``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "MAX_COLUMNS",
    "MAX_COLUMN_TITLE",
    "MAX_BOARD_TITLE",
    "MAX_CARD_TEXT",
    "MAX_CARDS",
    "MAX_BOARDS",
    "MAX_MERGED",
    "Card",
    "Board",
]

#: Columns of one board.
MAX_COLUMNS = 6
#: Characters of a column's title.
MAX_COLUMN_TITLE = 60
#: Characters of a board's title.
MAX_BOARD_TITLE = 120
#: Characters of one card's words.
MAX_CARD_TEXT = 300
#: Cards one board holds over its life (added, counting removed and merged ones).
MAX_CARDS = 60
#: Boards one session may open.
MAX_BOARDS = 10
#: Words merged into one card (each merge keeps the merged card's words).
MAX_MERGED = 10


@dataclass
class Card:
    """One card as this reader knows it."""

    card_id: int  # the seq of the first event its card.add caused (card.author on an anonymous board, else card.added)
    board_id: int
    number: int  # 1, 2, 3 ... within the board, in the order added
    column: int
    text: str
    author: int | None = None  # the writer, when this reader may know it
    plus: int = 0
    plus_by: set[int] = field(default_factory=set)  # the members this reader knows gave a +1
    merged: list[str] = field(default_factory=list)  # words of cards merged into this one
    removed: bool = False
    merged_into: int | None = None  # the card this one was merged into


@dataclass
class Board:
    """One board: its columns and cards (removed cards stay, marked, for the numbers)."""

    board_id: int  # the seq of its board.opened event
    title: str
    columns: list[str]
    anonymous: bool
    session_id: int | None
    cards: dict[int, Card] = field(default_factory=dict)  # card id -> card, in the order added

    def live_cards(self, column: int | None = None) -> list[Card]:
        """The cards still on the board (in ``column``, if given), in the order added."""
        return [c for c in self.cards.values() if not c.removed and (column is None or c.column == column)]

    def card_numbered(self, number: int) -> Card | None:
        """The live card with this number, or None."""
        return next((c for c in self.cards.values() if c.number == number and not c.removed), None)
