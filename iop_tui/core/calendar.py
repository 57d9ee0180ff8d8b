"""The member's copy of the schedule as a calendar file (``/schedule ics [PATH]``), for both faces.

Contract: :func:`save_ics` writes the coming sessions the relay sent in its
``schedule`` frame (cancelled ones marked ``STATUS:CANCELLED``) as an
iCalendar file with :func:`protocol.schedule.calendar_ics`, the same writer the
relay uses for ``iop-server schedule list --ics`` and reminder emails, so
every copy names the sessions alike (stable UIDs: importing it again updates
a calendar instead of doubling it). The file is its owner's only (0600), an
existing regular file is replaced, and the result is one sentence from
:mod:`iop_tui.core.words`.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from protocol.schedule import ScheduleView, calendar_ics, coming

from iop_tui.core import words

__all__ = ["DEFAULT_ICS", "SCHEDULE_LOCALS", "save_ics", "answer"]

#: Where ``/schedule ics`` writes without a path: the current folder.
DEFAULT_ICS = "iop-schedule.ics"


def save_ics(view: ScheduleView, path: str, now: float | None = None) -> str:
    """Write the coming sessions to ``path``; return the sentence to say."""
    now = time.time() if now is None else now
    sessions = coming(view, now)
    target = Path(os.path.expanduser(path or DEFAULT_ICS))
    data = calendar_ics(sessions, label=view.label, join=view.join, group_id=view.group_id, now=now)
    try:
        if target.exists() and not target.is_file():
            raise IsADirectoryError(21, "not a regular file")
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
    except OSError as exc:
        return words.calendar_failed_text(str(target), exc.strerror or str(exc))
    return words.calendar_saved_text(str(target.resolve()), len(sessions))


#: The read-only requests :func:`answer` serves, for both faces.
SCHEDULE_LOCALS = ("schedule", "schedule ics", "reminders")


def answer(what: str, arg: object, model: object, now: float | None = None) -> list[str]:
    """The lines a face says for ``/schedule``, ``/schedule ics PATH`` or ``/reminders`` (one of :data:`SCHEDULE_LOCALS`)."""
    view = getattr(model, "schedule", None)
    if view is None:
        return [words.SCHEDULE_NOT_YET]
    now = time.time() if now is None else now
    if what == "schedule ics":
        return [save_ics(view, str(arg or ""), now)]
    if what == "reminders":
        return words.reminder_lines(view) or [words.REMINDERS_GUEST]
    return [words.next_session_text(view, now), *words.schedule_lines(view, now)]
