"""Attendance: who came to a session, when, for how long, and who was late.

A record for the facilitators only (IOP programmes bill by attendance). The
relay keeps *stretches* of presence per session and member (from joining to
leaving; a link that broke and came back within the presence grace period is
one stretch); :func:`summarize` turns them into one :class:`AttendanceRow`
per member: first joined, last left, minutes present (overlapping stretches
and gaps no longer than the grace merged, clipped to the session), and
whether they came late. The same function serves the relay's end-of-session
record (``attendance.recorded``, audience facilitators), the People pane and
``iop-server attendance``. Pure: no I/O, no clock.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["LATE_AFTER", "PRESENCE_GRACE", "Stretch", "AttendanceRow", "summarize", "rows_to_wire", "rows_from_wire", "CSV_HEADER", "csv_row"]

#: Seconds after a session starts from which a first arrival counts as late.
LATE_AFTER = 300.0
#: Seconds a member whose connection was lost shows as "reconnecting" (the relay's
#: presence grace); a return within it, or a gap no longer than it, is one stretch.
PRESENCE_GRACE = 30.0


@dataclass(frozen=True)
class Stretch:
    """One member's presence in one session: from ``joined`` to ``left`` (None: still there)."""

    member_id: int
    joined: float
    left: float | None = None


@dataclass(frozen=True)
class AttendanceRow:
    """One member's attendance of one session. ``joined`` is None when they never came."""

    member_id: int
    name: str
    role: str
    joined: float | None
    left: float | None
    minutes: int
    late_minutes: int  # 0: on time (or absent)

    @property
    def late(self) -> bool:
        return self.late_minutes > 0

    @property
    def absent(self) -> bool:
        return self.joined is None


def summarize(
    start: float,
    end: float,
    stretches: Iterable[Stretch],
    members: Mapping[int, tuple[str, str]],
    *,
    grace: float = PRESENCE_GRACE,
    expected: Iterable[int] = (),
) -> list[AttendanceRow]:
    """One row per member who was present, plus an absent row for each of
    ``expected`` who never came; by name. ``members`` maps an id to (name, role);
    an open stretch lasts until ``end``."""
    spans: dict[int, list[tuple[float, float]]] = {}
    for s in stretches:
        lo, hi = max(s.joined, start), min(end if s.left is None else s.left, end)
        if hi < lo:
            continue
        spans.setdefault(s.member_id, []).append((lo, hi))
    rows = []
    for member_id, found in spans.items():
        found.sort()
        merged = [list(found[0])]
        for lo, hi in found[1:]:
            if lo - merged[-1][1] <= grace:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        seconds = sum(hi - lo for lo, hi in merged)
        first = merged[0][0]
        late = first - start
        name, role = members.get(member_id, ("someone", "participant"))
        rows.append(AttendanceRow(
            member_id, name, role, first, merged[-1][1], int(seconds // 60 + (1 if seconds % 60 >= 30 else 0)),
            int(late // 60) if late >= LATE_AFTER else 0,
        ))
    for member_id in expected:
        if member_id not in spans:
            name, role = members.get(member_id, ("someone", "participant"))
            rows.append(AttendanceRow(member_id, name, role, None, None, 0, 0))
    return sorted(rows, key=lambda r: (r.joined is None, r.name.casefold()))


def rows_to_wire(rows: Iterable[AttendanceRow]) -> list[dict[str, Any]]:
    return [
        {"member_id": r.member_id, "name": r.name, "role": r.role, "joined": r.joined, "left": r.left,
         "minutes": r.minutes, "late_minutes": r.late_minutes}
        for r in rows
    ]


def rows_from_wire(items: Any) -> list[AttendanceRow]:
    """Rows from an ``attendance.recorded`` event (already cleaned by the reader)."""
    rows = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        joined, left = item.get("joined"), item.get("left")
        rows.append(AttendanceRow(
            int(item.get("member_id", 0)), str(item.get("name", "")), str(item.get("role", "participant")),
            float(joined) if isinstance(joined, (int, float)) else None, float(left) if isinstance(left, (int, float)) else None,
            int(item.get("minutes", 0)), int(item.get("late_minutes", 0)),
        ))
    return rows


#: The columns of ``iop-server attendance --csv``.
CSV_HEADER = ("session", "session_title", "session_kind", "member_id", "name", "role", "joined", "left", "minutes", "late_minutes", "absent")


def _iso(ts: float | None) -> str:
    return "" if ts is None else _dt.datetime.fromtimestamp(ts, _dt.UTC).isoformat(timespec="seconds")


def csv_row(number: int, title: str, kind: str, row: AttendanceRow) -> tuple[Any, ...]:
    """One CSV row (times in UTC, ISO 8601)."""
    return (number, title, kind, row.member_id, row.name, row.role, _iso(row.joined), _iso(row.left), row.minutes,
            row.late_minutes, "yes" if row.absent else "no")
