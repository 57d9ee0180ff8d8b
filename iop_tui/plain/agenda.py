"""The plain face's side of the timed agenda: one scheduled call, never a tick.

:class:`AgendaTimer` keeps the core's :class:`~iop_tui.core.agenda.AgendaWatch`
and at most one ``loop.call_at`` handle: the next moment a line is due (five
minutes before the planned end of the phase, then the end). After every burst
of notices it is re-armed only when that moment changed; when it fires it says
the due line and arms the next. Without a plan's minutes, or for a member, it
schedules nothing, so an idle plain client still writes nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from iop_tui.core.agenda import AgendaWatch

__all__ = ["AgendaTimer"]


class AgendaTimer:
    def __init__(self, model: Any, say: Callable[[str], None], now: Callable[[], float] = time.time) -> None:
        self.model = model
        self._say = say
        self._now = now
        self.watch = AgendaWatch()
        self._handle: asyncio.TimerHandle | None = None
        self._at: float | None = None

    def set_minutes(self, minutes: dict[str, int]) -> None:
        """A plan was loaded: its minutes are the header's and the alarms'."""
        self.watch.minutes = dict(minutes)
        self.model.agenda = dict(minutes)
        self.update()

    def update(self) -> None:
        """After notices (a phase may have changed): say what is due, keep one call for what is next."""
        if not self.watch.minutes or not getattr(self.model, "is_facilitator", False):
            self.cancel()
            return
        state, now = self.model.state, self._now()
        for line in self.watch.due(state, now):
            self._say(line)
        at = self.watch.next_at(state, now)
        if at == self._at:
            return
        self.cancel()
        if at is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no event loop (a unit test driving the face by hand)
        self._at = at
        self._handle = loop.call_later(max(0.0, at - now), self._fire)

    def _fire(self) -> None:
        self._handle, self._at = None, None
        self.update()

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._handle, self._at = None, None
