"""The timed agenda: when the phase is planned to end, and the two lines a facilitator hears.

A session plan may give each phase planned minutes (``[agenda]``, see
:mod:`iop_tui.core.plan`). Then a facilitator's header says the phase and when
it is planned to end ("Exercises until 13:40"), and the facilitator hears one
line when five minutes are left and one when the phase reaches its planned
minutes. Nothing counts down: the header is a time of day that stays true, and
each face keeps at most ONE scheduled call (the next moment a line is due,
from :meth:`AgendaWatch.next_at`), re-armed when the phase changes. An idle
client between those moments writes nothing.

Pure: the faces pass ``now`` and schedule the call; this module reads no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from iop_tui.core import words

__all__ = ["FIVE_MINUTES", "planned_end", "AgendaWatch"]

#: The warning comes this many seconds before the planned end.
FIVE_MINUTES = 300.0


def planned_end(minutes: dict[str, int], state: Any) -> float | None:
    """When the live session's phase is planned to end (seconds since the epoch), or None."""
    if state.session is None or state.phase is None or state.phase_since is None:
        return None
    planned = minutes.get(state.phase)
    return None if planned is None else state.phase_since + planned * 60


@dataclass
class AgendaWatch:
    """What a facilitator's face has said about the agenda, and what it says next.

    The lines are keyed by the phase's start, so each is said once per phase,
    and a client that joins late says only what is still ahead (a phase already
    over when the client learns of it is not announced as news).
    """

    minutes: dict[str, int] = field(default_factory=dict)
    said: set[tuple[float, str]] = field(default_factory=set)

    def _moments(self, state: Any) -> list[tuple[float, str, str]]:
        end = planned_end(self.minutes, state)
        if end is None:
            return []
        since = float(state.phase_since)
        out = []
        if end - FIVE_MINUTES > since:
            out.append((end - FIVE_MINUTES, "five", words.five_minutes_left_text(state.phase, end)))
        out.append((end, "over", words.phase_over_text(state.phase, self.minutes[state.phase])))
        return out

    def next_at(self, state: Any, now: float) -> float | None:
        """The one moment the face should wake next (None: nothing is ahead)."""
        ahead = [at for at, key, _ in self._moments(state) if (state.phase_since, key) not in self.said and at > now]
        return min(ahead) if ahead else None

    def due(self, state: Any, now: float) -> list[str]:
        """The lines due at ``now`` (each said once); lines whose moment passed
        long before (more than a minute: the client was not there) are dropped silently."""
        lines = []
        for at, key, text in self._moments(state):
            mark = (state.phase_since, key)
            if mark in self.said or at > now:
                continue
            self.said.add(mark)
            if now - at <= 60:
                lines.append(text)
        return lines

    def header(self, state: Any) -> str | None:
        """``"Exercises until 13:40"`` while the phase has planned minutes, else None."""
        end = planned_end(self.minutes, state)
        return None if end is None else words.phase_until_text(state.phase, end)
