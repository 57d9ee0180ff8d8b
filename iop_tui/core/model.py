"""The client's view model: frames in, state and sentences out.

:class:`SessionModel` folds every frame the :class:`~iop_tui.core.connection.Connection`
reports — ``welcome``, ``event``, ``synced``, ``presence``, ``ack``,
``error`` and the connection's own ``status`` frames — into one
:class:`~protocol.state.GroupState` (the same fold the server runs) plus what
only a client knows: who it is, whether it has caught up, how the connection
is, how many chat lines it has not read. Each frame returns the
:class:`Notice` sentences it deserves (see :mod:`iop_tui.core.words`).

The model is pure: no I/O, no clock, no event loop. Both faces (Textual and
plain) read it; neither imports the other.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from protocol.errors import ProtocolError
from protocol.events import parse_event
from protocol.roles import FACILITATOR, GUEST, MEMBER, may
from protocol.schedule import ScheduleView, parse_schedule
from protocol.state import Checkin, GroupState, Homework, Poll, RosterEntry, Submission
from protocol.text import clean_frame, one_line

from iop_tui.core import words

__all__ = ["Notice", "ConnectionStatus", "SessionModel", "EVENT_PANES"]

#: The pane each event type belongs to (phase changes use the phase's pane).
EVENT_PANES = {
    "checkin.submitted": "checkin",
    "checkin.note": "checkin",
    "deck.loaded": "slides",
    "deck.notes": "slides",
    "slide.changed": "slides",
    "poll.opened": "polls",
    "poll.key": "polls",
    "poll.voted": "polls",
    "poll.closed": "polls",
    "poll.revealed": "polls",
    "chat.posted": "chat",
    "chat.deleted": "chat",
    "homework.assigned": "homework",
    "homework.submitted": "homework",
}


@dataclass(frozen=True)
class Notice:
    """One sentence for the person at the keyboard.

    ``pane`` is the pane it concerns ("checkin", "slides", "polls", "chat",
    "homework") or None; a phase change (``kind == "phase"``) carries the pane
    to bring forward. ``live`` is False for events replayed before ``synced``
    (history); ``missed`` marks the replayed events of a *resume*, which
    happened while this client was away and are new to its reader.
    ``kind`` is the event type ("chat.posted", ...), or "phase", "welcome",
    "synced", "presence", "error", "connection". ``hint`` is what the reader
    can type about it ("Type /vote and a number."), for the plain face to
    append; ``seq`` is the event's seq.
    """

    text: str
    pane: str | None = None
    level: str = "info"  # info | warning | error
    live: bool = True
    kind: str = ""
    missed: bool = False
    seq: int | None = None
    hint: str | None = None

    def with_hint(self) -> str:
        """The sentence followed by its hint, if any."""
        return f"{self.text} {self.hint}" if self.hint else self.text


@dataclass(frozen=True)
class ConnectionStatus:
    """The connection as last reported by a ``status`` frame."""

    state: str = "connecting"  # connecting | connected | reconnecting | offline | failed
    retry_in: float | None = None
    pending: int = 0
    message: str | None = None


class SessionModel:
    """A member's view of one group, folded from the frames its connection reports."""

    def __init__(self) -> None:
        self.state = GroupState()
        self.me: RosterEntry | None = None
        self.member: dict[str, Any] | None = None  # {id, name, role} from welcome
        self.group_name = ""
        self.group_id: int | None = None
        self.conn = ConnectionStatus()
        self.synced = False
        self.welcomed = False
        self.resuming = False  # the current replay follows a resume (events are missed, not history)
        self.unread_chat = 0
        self.unread_private = 0  # private-thread lines from others, counted apart from group chat
        self.last_error: str | None = None
        self._said_error: str | None = None  # the last error sentence a notice said
        #: How this reader's own removal was said ("The family session has ended, and your
        #: invitation with it; ..."), the session's last word rather than the close code's.
        self.removal: str | None = None
        #: Typed lines on their way (command id -> the line as typed: chat, or a slash-command
        #: such as ``/vote 2`` or ``/mute Sam``) and the last one the relay refused (a slowed
        #: member's line too soon, a muted member's note, a closed poll's vote): each face takes it
        #: back with :meth:`take_returned_line`, so what someone typed is never lost.
        self._lines_out: dict[str, str] = {}
        self.returned_line: str | None = None
        self.limits: dict[str, Any] = {}
        self.acked: dict[str, int | None] = {}  # command id -> last seq it caused
        #: The live session's attendance so far (facilitators; an ``attendance`` frame, not the log): (session id, rows).
        self.live_attendance: tuple[int, list[Any]] | None = None
        self.schedule: ScheduleView | None = None  # issue 15a: from the last ``schedule`` frame
        self._said_next = ""
        self.agenda: dict[str, int] = {}  # the loaded plan's minutes per phase (facilitators; iop_tui.core.agenda)

    # -- who am I ------------------------------------------------------------

    @property
    def me_id(self) -> int | None:
        return self.me.member_id if self.me is not None else None

    @property
    def role(self) -> str | None:
        return self.me.role if self.me is not None else None

    @property
    def is_facilitator(self) -> bool:
        return self.role == FACILITATOR

    @property
    def errors(self) -> str | None:
        """The last error sentence the server sent (same as :attr:`last_error`)."""
        return self.last_error

    def can(self, kind: str) -> bool:
        """Whether this member's role may send a command of ``kind``."""
        role = self.role
        return role is not None and may(role, kind)

    # -- helpers the faces need ------------------------------------------------

    def my_checkin(self) -> Checkin | None:
        """This member's check-in in the current session's round, if any."""
        return self.state.checkins.get(self.me_id) if self.me_id is not None else None

    def my_vote(self, poll: Poll | int) -> list[int] | None:
        """The choices this member voted in ``poll`` (a Poll or a poll id), or None."""
        found = poll if isinstance(poll, Poll) else self.state.polls.get(int(poll))
        if found is None or self.me_id is None:
            return None
        return found.votes.get(self.me_id)

    def my_submission(self, homework: Homework | int) -> Submission | None:
        """This member's submission for ``homework`` (a Homework or its id), or None."""
        found = homework if isinstance(homework, Homework) else self.state.homework.get(int(homework))
        if found is None or self.me_id is None:
            return None
        return found.submissions.get(self.me_id)

    def hand_raised(self) -> bool:
        return self.me_id is not None and self.me_id in self.state.hands

    def hand_position(self) -> int | None:
        """This member's place in the raise-hand queue (1 first), or None."""
        if self.me_id is None or self.me_id not in self.state.hands:
            return None
        return self.state.hands.index(self.me_id) + 1

    def online_members(self) -> list[RosterEntry]:
        """Members online now, facilitators first, then by name."""
        entries = [e for e in self.state.roster.values() if e.status == "online" and not e.removed]
        return sorted(entries, key=lambda e: (e.role != FACILITATOR, e.name.lower()))

    def elapsed_in_phase(self, now: float) -> int | None:
        """Whole minutes since the current phase began (None outside a phase)."""
        if self.state.phase is None or self.state.phase_since is None:
            return None
        return int(max(0.0, now - self.state.phase_since) // 60)

    def facilitator_summary(self) -> list[str]:
        """The check-in round and hands at a glance, one line each."""
        return words.facilitator_lines(self.state)

    def mark_chat_read(self) -> None:
        self.unread_chat = 0
        self.unread_private = 0

    def mark_private_read(self) -> None:
        self.unread_private = 0

    def private_thread(self, member_id: int) -> list[Any]:
        """One member's private thread with the facilitators, oldest first: their
        private lines and the facilitators' replies (what this reader holds)."""
        return [line for line in self.state.visible_chat() if line.thread == member_id]

    # -- the fold --------------------------------------------------------------

    def apply(self, frame: dict[str, Any]) -> list[Notice]:
        """Fold one frame; return the sentences it deserves (often none).

        Every string in the frame is cleaned first (:func:`protocol.text.clean_frame`),
        so no face ever holds a control character from the network; each
        notice is one line, a member's line breaks shown as " / ".
        """
        frame = clean_frame(frame)
        kind = frame.get("kind")
        handler = getattr(self, "_on_" + str(kind), None)
        if handler is None:
            return []
        return handler(frame)

    def _on_welcome(self, frame: dict[str, Any]) -> list[Notice]:
        notices: list[Notice] = []
        member = dict(frame.get("member") or {})
        group = frame.get("group") or {}
        mode = frame.get("mode", "reset")
        had_state = self.state.head_seq > 0
        if mode != "resume":
            self.state = GroupState()
            self.unread_chat = 0
            self.unread_private = 0
            if had_state and member.get("role") != GUEST:  # guests start over each session by design
                notices.append(Notice("The server sent the group's history afresh; the view was rebuilt from it.", None, "warning", True, "connection"))
        roster = list(frame.get("roster") or [])
        self.state.set_roster(roster)
        self.member = member
        if "id" in member:
            self.me = self.state.update_member(member, status="online")
        self.group_name = str(group.get("name", self.group_name))
        self.group_id = group.get("id", self.group_id)
        self.limits = dict(frame.get("limits") or {})
        self.synced = False
        self.resuming = mode == "resume"
        first = not self.welcomed
        self.welcomed = True
        if first:
            role = member.get("role", "")
            notices.insert(0, Notice(f"Joined {self.group_name} as {member.get('name', '')}, {role}.", None, "info", True, "welcome"))
        else:
            notices.insert(0, Notice(f"Reconnected to {self.group_name}; catching up.", None, "info", True, "connection"))
        return notices

    def _on_event(self, frame: dict[str, Any]) -> list[Notice]:
        try:
            event = parse_event(frame)
        except ProtocolError as err:
            return [Notice(err.message, None, "warning", True, "error")]
        if event.seq <= self.state.head_seq:
            return []  # a duplicate delivery: already folded, never shown twice
        try:
            self.state.apply(event)
        except (KeyError, TypeError, ValueError, AttributeError):
            # A malformed event from the relay: skip it (its seq is taken) rather than stop.
            self.state.head_seq = max(self.state.head_seq, event.seq)
            return [Notice(f"An update from the server could not be read ({event.type}); if this repeats, update iop-tui.", None, "warning", self.synced, "error", False, event.seq)]
        if event.type == "member.removed" and self.me is not None and event.data.get("member_id") == self.me.member_id:
            self.me.removed = True
        live = self.synced
        missed = not live and self.resuming
        me_id = self.me_id
        if event.type == "chat.posted" and (live or missed) and event.data.get("member_id") != me_id:
            if event.audience == MEMBER:
                self.unread_private += 1
            else:
                self.unread_chat += 1
        text = words.describe(event, self.state, me_id)
        if text is None:
            return []
        text = one_line(text)
        level = "info"
        if event.type in ("member.muted", "member.removed") and event.data.get("member_id") == me_id:
            level = "error" if event.type == "member.removed" else "warning"
            if level == "error":
                self._said_error = self.removal = text
        hint = words.hint_for(event, self.state, me_id)
        if event.type == "phase.changed":
            return [Notice(text, words.phase_pane(event.data.get("phase")), level, live, "phase", missed, event.seq, hint)]
        return [Notice(text, EVENT_PANES.get(event.type), level, live, event.type, missed, event.seq, hint)]

    def _on_synced(self, frame: dict[str, Any]) -> list[Notice]:
        self.synced = True
        self.resuming = False
        notices = [Notice("Up to date.", None, "info", True, "synced")]
        me = self.me
        if me is not None and me.role == GUEST and not self.state.visited(me.member_id):
            # an invited guest before a facilitator lets them in (issue 15: the waiting room)
            notices.append(Notice(words.GUEST_WAITING, None, "info", True, "waiting"))
        return notices

    def _on_attendance(self, frame: dict[str, Any]) -> list[Notice]:
        """The live session's attendance so far (facilitators only): kept, said on request."""
        from protocol.attendance import rows_from_wire

        sid = frame.get("session_id")
        if isinstance(sid, int):
            self.live_attendance = (sid, rows_from_wire(frame.get("rows")))
        return []

    def _on_presence(self, frame: dict[str, Any]) -> list[Notice]:
        member = frame.get("member") or {}
        status = str(frame.get("status", "offline"))
        if "id" not in member:
            return []
        entry = self.state.update_member(member, status=status)
        if entry.member_id == self.me_id:
            return []
        return [Notice(words.presence_line(entry.name, status), None, "info", True, "presence")]

    def note_line(self, command_id: str, text: str) -> None:
        """A typed line just sent as the command ``command_id``: kept until the relay answers it."""
        self._lines_out[command_id] = text
        if len(self._lines_out) > 100:
            self._lines_out.pop(next(iter(self._lines_out)))

    def take_returned_line(self) -> str | None:
        """The last line the relay refused, once (then None)."""
        line, self.returned_line = self.returned_line, None
        return line

    def _on_ack(self, frame: dict[str, Any]) -> list[Notice]:
        cid = frame.get("id")
        if isinstance(cid, str):
            self._lines_out.pop(cid, None)
            self.acked[cid] = frame.get("seq")
            if len(self.acked) > 1000:
                self.acked.pop(next(iter(self.acked)))
        return []

    def _on_error(self, frame: dict[str, Any]) -> list[Notice]:
        message = str(frame.get("message") or "The server refused that.")
        self.last_error = self._said_error = message
        cid = frame.get("id")
        if isinstance(cid, str) and cid in self._lines_out:
            line = self.returned_line = self._lines_out.pop(cid)
            for other in [k for k, v in self._lines_out.items() if v == line]:
                del self._lines_out[other]  # a line that became several commands comes back once
        return [Notice(message, None, "error", True, "error")]

    # -- schedules (issue 15a) ----------------------------------------------------

    def _on_schedule(self, frame: dict[str, Any]) -> list[Notice]:
        """The group's coming sessions and this member's reminder choices; the next
        session is said when it is new or has changed, not on every frame."""
        self.schedule = parse_schedule(frame)
        text = words.next_session_text(self.schedule, time.time())
        if text == self._said_next or (not self._said_next and not self.schedule.sessions):
            return []  # unchanged, or a group that plans no sessions: nothing to say
        self._said_next = text
        return [Notice(text, None, "info", True, "schedule")]

    def _on_status(self, frame: dict[str, Any]) -> list[Notice]:
        before = self.conn
        retry_in = frame.get("retry_in")
        message = frame.get("message")
        if frame.get("state") == "failed" and self.removal is not None and self.me is not None and self.me.removed:
            message = self.removal  # closed for a removal the log said: its own words, not the close code's
        self.conn = ConnectionStatus(
            str(frame.get("state", "connecting")),
            float(retry_in) if isinstance(retry_in, (int, float)) else None,
            int(frame.get("pending") or 0),
            message,
        )
        state = self.conn.state
        if state == before.state:
            return []
        if state != "connected":
            self.synced = False
        if state == "failed":
            message = self.conn.message or "The connection failed; join again."
            if message == self._said_error or (self.me is not None and self.me.removed):
                return []  # an error frame or the removal event already said it
            return [Notice(message, None, "error", True, "connection")]
        if state == "reconnecting" and before.state in ("connected", "connecting"):
            text = self.conn.message or "The connection was lost; reconnecting."
            return [Notice(text, None, "warning", True, "connection")]
        if state == "offline":
            return [Notice("Disconnected.", None, "info", True, "connection")]
        return []
