"""The breakout clock: one scheduled call per open round of breakout rooms, never a tick.

When a round opens (``breakout.opened``) the clock schedules one call for the
moment "2 minutes left" is due; that call logs one ``room.warned`` line per
room (:func:`server.smallrooms.due`) and schedules the next one, for the end
of the round, which logs ``breakout.closed`` (everyone back to the main room,
each room's summary posted). A recall closes the round and cancels the call.
After a restart, :meth:`BreakoutClock.ensure` gives a loaded group's open
round its call again (the hub asks when a member joins). The relay's clock is
the hub's (``hub.clock``, seconds since the epoch), so tests can move it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from protocol.events import Event

from .smallrooms import due, next_due

__all__ = ["BreakoutClock"]

ROUND_EVENTS = ("breakout.opened", "room.warned", "breakout.closed")


class BreakoutClock:
    """Schedules the "2 minutes left" lines and the end of each group's breakout round."""

    def __init__(self, hub: Any) -> None:
        self.hub = hub
        self._timers: dict[int, asyncio.TimerHandle] = {}

    def watch(self, room: Any, events: list[Event]) -> None:
        """Hub callback after fan-out: a round opened, warned or closed moves its call."""
        if any(e.type in ROUND_EVENTS for e in events):
            self.ensure(room)

    def ensure(self, room: Any) -> None:
        """Schedule (or cancel) the group's one call from its state."""
        gid = room.group.id
        old = self._timers.pop(gid, None)
        if old is not None:
            old.cancel()
        at = next_due(room.state)
        if at is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no event loop (a test of the rules alone): nothing to schedule
        delay = max(0.0, at - self.hub.clock())
        self._timers[gid] = loop.call_later(delay, self._due, gid)

    def _due(self, gid: int) -> None:
        self._timers.pop(gid, None)
        room = self.hub.rooms.get(gid)
        if room is None:
            return
        if due(room.state, self.hub.clock()):
            # Decided in the room's next batch (if still due then): its fan-out calls watch,
            # which schedules the next call.
            self.hub.log_soon(room, due)
        else:
            self.ensure(room)

    def running(self, gid: int) -> bool:
        """Whether the group has a round whose call is still to come (its room stays loaded)."""
        return gid in self._timers

    def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
