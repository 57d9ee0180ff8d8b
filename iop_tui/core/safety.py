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

__all__ = ["Pending", "Completion", "pending_measures", "current_item", "measure_completion", "scores", "measures_taken", "waiting_alerts"]


@dataclass(frozen=True)
class Pending:
    """A questionnaire this member has still to finish, and its next question (index from 0)."""

    measure_id: int
    measure: Measure
    item: int
    answered: int  # how many questions are answered already
    due: str | None = None  # YYYY-MM-DD to answer it by, or None


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
            found.append(Pending(measure_id, measure, left[0], len(answers), getattr(given, "due", None)))
    return found


@dataclass(frozen=True)
class Completion:
    """Who has finished a given questionnaire (a facilitator's view, like homework's completion)."""

    given: Any  # protocol.state.GivenMeasure
    measure: Measure
    done: list[tuple[str, bool]]  # (name, late), by name
    missing: list[str]  # participants who have not finished it, by name


def measure_completion(state: Any) -> list[Completion]:
    """Every questionnaire some participant still in the group has not finished, oldest first.

    A questionnaire given to the group is expected of every participant still
    in it; one given to a member, of that member (while they are in the group).
    """
    active = {e.member_id: e.name for e in state.active_participants()}
    found = []
    for measure_id in sorted(state.measures):
        given = state.measures[measure_id]
        measure = MEASURES.get(given.measure)
        if measure is None:
            continue
        expected = [mid for mid in active if given.member_id in (None, mid)]
        finished = {mid: r for (gid, mid), r in state.responses.items() if gid == measure_id and r.total is not None}
        missing = sorted((active[mid] for mid in expected if mid not in finished), key=str.casefold)
        if not missing:
            continue
        done = sorted(((active[mid], finished[mid].late) for mid in expected if mid in finished), key=lambda d: d[0].casefold())
        found.append(Completion(given, measure, done, missing))
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
