"""The board, the mood chart and the timed agenda in the full-screen face (issue 14 part B).

The session screen's keys B (the board, :class:`~iop_tui.tui.screens.board.BoardScreen`)
and G (moods over sessions, :class:`~iop_tui.tui.screens.moods.MoodScreen`) and
their command-palette entries open them. :func:`follow` runs each time the
session screen is given the model: an open board follows the session, and the
facilitator's :class:`AgendaAlarm` is re-armed.

:class:`AgendaAlarm` keeps ONE Textual timer (``set_timer``, a single call)
for the next moment a line is due: five minutes before the phase's planned end,
then the end (:class:`iop_tui.core.agenda.AgendaWatch`). Nothing ticks; the
header says "Exercises until 13:40", a time of day that stays true, so an idle
client writes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from textual.app import SystemCommand
from textual.timer import Timer

from iop_tui.core import words
from iop_tui.core.agenda import AgendaWatch
from iop_tui.tui.messages import Say

__all__ = ["open_board", "open_moods", "follow", "system_commands", "AgendaAlarm", "BOARD_KEY", "MOODS_KEY"]

BOARD_KEY, MOODS_KEY = "B", "G"


def _refused(screen: Any) -> bool:
    """Guests see no boards and give no check-ins: the key says so in one sentence."""
    role = screen.model.role if screen.model is not None else None
    if role in ("facilitator", "participant"):
        return False
    if role is not None:
        screen.post_message(Say(words.forbidden_text(role, "card.add"), error=True))
    return True


def open_board(screen: Any) -> None:
    from iop_tui.tui.screens.board import BoardScreen

    if _refused(screen):
        return
    screen.app.push_screen(BoardScreen(screen.model, screen.plan))


def open_moods(screen: Any) -> None:
    from iop_tui.tui.screens.moods import MoodScreen

    if _refused(screen):
        return
    screen.app.push_screen(MoodScreen(screen.model))


class AgendaAlarm:
    """One scheduled call on ``screen`` for the facilitator's next agenda line."""

    def __init__(self, screen: Any) -> None:
        self.screen = screen
        self.watch = AgendaWatch()
        self.timer: Timer | None = None
        self.at: float | None = None

    def update(self, model: Any, plan: Any, now: float | None = None) -> None:
        minutes = plan.minutes if plan is not None and model.is_facilitator else {}
        model.agenda = minutes  # the header says "Exercises until 13:40" (iop_tui.core.words.header_text)
        self.watch.minutes = minutes
        now = time.time() if now is None else now
        for line in self.watch.due(model.state, now):
            self.screen.post_message(Say(line))
        at = self.watch.next_at(model.state, now) if minutes else None
        if at == self.at:
            return
        if self.timer is not None:
            self.timer.stop()
        self.timer, self.at = None, at
        if at is not None:
            self.timer = self.screen.set_timer(max(0.0, at - now), self._fire, name="agenda")

    def _fire(self) -> None:
        self.timer, self.at = None, None
        screen = self.screen
        if screen.model is not None:
            self.update(screen.model, screen.plan)


def follow(screen: Any, model: Any, plan: Any) -> None:
    """After notices: an open board shows them; the agenda alarm is re-armed if its moment changed."""
    from iop_tui.tui.screens.board import BoardScreen

    alarm = getattr(screen, "agenda_alarm", None)
    if alarm is None:
        alarm = screen.agenda_alarm = AgendaAlarm(screen)
    alarm.update(model, plan)
    for other in screen.app.screen_stack:
        if isinstance(other, BoardScreen):
            other.take_back(model)  # now, before the chat input under it takes a refused card line
            other.call_later(other.show_model, model, plan)


def system_commands(screen: Any, role: str | None) -> Iterator[SystemCommand]:
    if role in ("facilitator", "participant"):
        yield SystemCommand("Board: the session's shared board", f"Columns of cards: add, edit, +1; facilitators move, merge and clear ({BOARD_KEY})", lambda: open_board(screen))
        yield SystemCommand("Moods: check-in moods over sessions", f"The figures in words with a small chart; facilitators see each member's ({MOODS_KEY})", lambda: open_moods(screen))
