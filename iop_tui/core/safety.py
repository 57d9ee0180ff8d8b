"""Safety as the client reads it: which questionnaire item is next, a member's
scores over time, the alerts still waiting.

Pure functions over :class:`protocol.state.GroupState` (no I/O, no textual);
both faces and the command interpreter use them, and the sentences built from
them live in :mod:`iop_tui.core.words`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from protocol.measures import MEASURES, Measure

__all__ = ["Pending", "pending_measures", "current_item", "scores", "measures_taken", "waiting_alerts"]


@dataclass(frozen=True)
class Pending:
    """A questionnaire this member has still to finish, and its next question (index from 0)."""

    measure_id: int
    measure: Measure
    item: int
    answered: int  # how many questions are answered already


def pending_measures(state: Any, member_id: int | None) -> list[Pending]:
    """The questionnaires given to this member (or to the whole group) not yet
    finished, oldest first, each with its first unanswered question."""
    if member_id is None:
        return []
    found = []
    for measure_id in sorted(state.measures):
        given = state.measures[measure_id]
        if given.member_id not in (None, member_id):
            continue
        measure = MEASURES.get(given.measure)
        if measure is None:
            continue
        response = state.responses.get((measure_id, member_id))
        answers = response.answers if response is not None else {}
        if response is not None and response.total is not None:
            continue
        left = [i for i in range(len(measure.items)) if i not in answers]
        if left:
            found.append(Pending(measure_id, measure, left[0], len(answers)))
    return found


def current_item(state: Any, member_id: int | None) -> Pending | None:
    """The question to answer now: the oldest unfinished questionnaire's next one."""
    pending = pending_measures(state, member_id)
    return pending[0] if pending else None


def scores(state: Any, member_id: int, key: str) -> list[tuple[int, str]]:
    """One member's finished totals of one measure, oldest first: (total, band)."""
    done = [r for (mid, who), r in sorted(state.responses.items()) if who == member_id and r.measure == key and r.total is not None]
    return [(int(r.total), r.band) for r in done]


def measures_taken(state: Any, member_id: int) -> list[str]:
    """The keys of the measures this member has finished at least once, in MEASURES order."""
    return [key for key in MEASURES if scores(state, member_id, key)]


def waiting_alerts(state: Any) -> list[Any]:
    """Urgent requests and alerts no facilitator has acknowledged, oldest first."""
    return list(state.unacknowledged())
