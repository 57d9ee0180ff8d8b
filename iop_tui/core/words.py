"""Every sentence iop-tui says about the session, shared by both faces.

The Textual face and the plain screen-reader face say the same things in
the same words, so one module writes them. Each sentence is one line with
the important words first ("Chat, Sam: ...", "Poll open: ..."), carries no
meaning in colour, position or box-drawing characters, and never changes
by itself from one second to the next: elapsed time is said in whole
minutes, so a screen reader is not made to read a ticking clock.

Everything here is pure: functions of the folded
:class:`~protocol.state.GroupState` (or the client's
:class:`~iop_tui.core.model.SessionModel`) and, where time matters, an explicit
``now``. Nothing here imports textual or performs I/O.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from protocol.events import Event, parse_event
from protocol.messages import PHASE_TITLES
from protocol.roles import ACTIONS, FACILITATOR, GUEST, MEMBER, PARTICIPANT
from protocol.state import Checkin, GroupState, Homework, Poll, Submission

__all__ = [
    "PANES",
    "PHASE_PANES",
    "PHASE_HINTS",
    "phase_pane",
    "phase_name",
    "phase_title",
    "describe",
    "hint_for",
    "checkin_line",
    "revoked_line",
    "completion_text",
    "poll_open_line",
    "poll_result_lines",
    "option_list",
    "slide_line",
    "chat_line",
    "homework_line",
    "homework_status",
    "due_text",
    "presence_line",
    "minutes_text",
    "connection_text",
    "header_text",
    "summary_lines",
    "facilitator_lines",
    "forbidden_text",
    "COMMAND_ACTIONS",
    "submission_text",
    "GUEST_ROSTER",
    "hands_text",
    "private_reply_line",
    "thread_line",
    "end_warning",
    "END_NO_SUMMARY",
]

#: The panes a notice may bring forward.
PANES = ("checkin", "slides", "polls", "chat", "homework")

#: Which pane each phase of the agenda is about.
PHASE_PANES = {
    "checkin": "checkin",
    "psychoeducation": "slides",
    "exercises": "polls",
    "discussion": "chat",
    "closing": "homework",
}

#: What a participant can do in each phase, said as a hint the plain face appends.
PHASE_HINTS = {
    "checkin": "Type /checkin followed by your mood 0 to 10.",
    "psychoeducation": "The slides follow the facilitator.",
    "exercises": "When a poll opens, type /vote and a number.",
    "discussion": "Type a line to chat, /dm to write to the facilitators only, /hand to raise your hand.",
    "closing": "Type /homework to see this week's homework.",
}

COMMAND_ACTIONS = ACTIONS

_VOTE_HINTS = {
    "single": "Type /vote and a number.",
    "quiz": "Type /vote and a number.",
    "multiple": "Type /vote and one or more numbers.",
    "scale": "Type /vote and a number from 0 to 10.",
}


# -- small pieces -------------------------------------------------------------


def forbidden_text(role: str, kind: str) -> str:
    """``"As a guest you cannot check in."``: one sentence for a command this role may not send."""
    article = "an" if role[:1].lower() in "aeiou" else "a"
    action = COMMAND_ACTIONS.get(kind) or LOCAL_ACTIONS.get(kind, "do that")
    return f"As {article} {role} you cannot {action}."


def phase_pane(phase: str | None) -> str | None:
    """The pane a phase is about (``None`` for no phase or an unknown one)."""
    return PHASE_PANES.get(phase or "")


def phase_title(phase: str | None) -> str:
    """``"Check-in"``: the phase's name as a title."""
    if not phase:
        return "No phase"
    return PHASE_TITLES.get(phase, phase.replace("_", " ").capitalize())


def phase_name(phase: str | None) -> str:
    """``"check-in"``: the phase's name inside a sentence."""
    return phase_title(phase).lower()


def _name(state: GroupState, member_id: int | None, fallback: str = "") -> str:
    if member_id is None:
        return fallback or "someone"
    entry = state.roster.get(member_id)
    if entry is not None and entry.name:
        return entry.name
    return fallback or state.name_of(member_id)


def _role(state: GroupState, me_id: int | None) -> str | None:
    entry = state.roster.get(me_id) if me_id is not None else None
    return entry.role if entry is not None else None


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def minutes_text(seconds: float) -> str:
    """Whole minutes in words: ``"12 min"``; ``"under a minute"`` below one."""
    minutes = int(max(0.0, seconds) // 60)
    if minutes < 1:
        return "under a minute"
    if minutes < 120:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def clock_text(ts: float) -> str:
    """A time of day on this machine's clock, ``"14:05"``."""
    return _dt.datetime.fromtimestamp(ts).strftime("%H:%M")


def due_text(due: str, today: _dt.date | None = None) -> str:
    """``"Friday 4 December"`` (with the year when it is not this year)."""
    try:
        day = _dt.date.fromisoformat(due)
    except (TypeError, ValueError):
        return str(due)
    today = today or _dt.date.today()
    text = f"{day.strftime('%A')} {day.day} {day.strftime('%B')}"
    if day.year != today.year:
        text += f" {day.year}"
    return text


def option_list(poll: Poll) -> str:
    """``"1 better, 2 the same, 3 worse"``: options numbered from 1 (scale: ``"0 to 10"``)."""
    if poll.kind == "scale":
        return "0 to 10"
    return ", ".join(f"{i + 1} {option}" for i, option in enumerate(poll.options))


def _choices_text(poll: Poll, choices: list[int]) -> str:
    if poll.kind == "scale":
        return ", ".join(str(c) for c in choices)
    return ", ".join(f"{c + 1} {poll.option_label(c)}" for c in choices)


# -- lines about state ------------------------------------------------------------


def checkin_line(checkin: Checkin, *, you: bool = False) -> str:
    """``"Check-in, Alex: mood 3 of 10, anxious, tired. Note for facilitators: ..."``.

    The note appears whenever this reader holds it: a member never receives
    another member's private note, so it can only show for its writer and the
    facilitators.
    """
    lead = "Your check-in: " if you else f"Check-in, {checkin.name}: "
    if checkin.passed:
        text = lead + "passed"
    else:
        parts = [f"mood {checkin.mood} of 10" if checkin.mood is not None else "no mood given"]
        parts.extend(checkin.feelings)
        text = lead + ", ".join(parts)
    if checkin.note:
        label = "Note for facilitators" if checkin.note_private else "Note"
        text += f". {label}: {checkin.note}"
    return text if text.endswith((".", "!", "?")) else text + "."


def poll_open_line(poll: Poll, state: GroupState, *, hints: bool = False, number: int | None = None) -> str:
    """``"Poll open, 1 of 3: How did the week go? Options: 1 better, 2 the same, 3 worse."``

    The "N of M" count appears only when several polls are open at once. A
    face that numbers polls (``/close 3``) passes ``number``: the line then
    ends "It is poll 3." and has no "N of M", so a poll has one number, never two.
    """
    open_polls = state.open_polls()
    label = "Quiz open" if poll.kind == "quiz" else "Poll open"
    if number is None and len(open_polls) > 1 and poll in open_polls:
        label += f", {open_polls.index(poll) + 1} of {len(open_polls)}"
    question = poll.question.rstrip()
    if question and question[-1] not in "?.!":
        question += "."
    text = f"{label}: {question} Options: {option_list(poll)}."
    if poll.kind == "multiple":
        text += " Choose one or more."
    if poll.anonymous:
        text += " Answers are anonymous to the group."
    if number is not None:
        text += f" It is poll {number}."
    if hints:
        text += " " + _VOTE_HINTS.get(poll.kind, _VOTE_HINTS["single"])
    return text


def poll_result_lines(poll: Poll) -> list[str]:
    """One line per option, in option order: ``"2 the same: 4 of 9, 44%"``.

    Percentages are of the people who voted (a multiple-choice poll's can add
    up to more than 100). The correct answer of a quiz says so in words, and a
    named poll lists who chose what.
    """
    counts = poll.tally()
    voters = poll.voters()
    lines = []
    for index in range(poll.option_count()):
        count = counts[index] if index < len(counts) else 0
        percent = round(100 * count / voters) if voters else 0
        label = poll.option_label(index) if poll.kind == "scale" else f"{index + 1} {poll.option_label(index)}"
        line = f"{label}: {count} of {voters}, {percent}%"
        if poll.correct is not None and poll.correct == index:
            line += ", the correct answer"
        names = (poll.names or {}).get(index)
        if names:
            line += " (" + ", ".join(names) + ")"
        lines.append(line)
    return lines


def slide_line(state: GroupState, index: int | None = None) -> str:
    """``"Slide 3 of 8, Cognitive distortions"``."""
    if not state.slides:
        return "No slides loaded"
    index = state.slide_index if index is None else index
    index = max(0, min(index, len(state.slides) - 1))
    title = state.slides[index].get("title", "") or "untitled"
    return f"Slide {index + 1} of {len(state.slides)}, {title}"


def chat_line(text: str, name: str, to: str = "group", me: bool = False) -> str:
    """``"Chat, Sam: hello"``; ``"Private to facilitators, Sam: ..."``; ``"Chat: Sam waves"``."""
    if to == "facilitators":
        return f"Private to facilitators, {name}: {text}" if not me else f"Private to facilitators: {name} {text}"
    return f"Chat, {name}: {text}" if not me else f"Chat: {name} {text}"


def private_reply_line(text: str, sender: str, member: str, *, for_member: bool = False, me: bool = False) -> str:
    """A facilitator's private reply into a member's thread.

    The member reads ``"Private from Dana: ..."``; the facilitators read
    ``"Private to Sam from Dana: ..."`` (an action: ``"Private to Sam: Dana waves"``).
    """
    if for_member:
        return f"Private from {sender}: {text}" if not me else f"Private: {sender} {text}"
    return f"Private to {member} from {sender}: {text}" if not me else f"Private to {member}: {sender} {text}"


def thread_line(line: Any, state: GroupState, me_id: int | None) -> str:
    """One line of a member's private thread with the facilitators, as :func:`describe` says it."""
    if line.to == "member":
        member = _name(state, line.thread)
        return private_reply_line(line.text, line.name, member, for_member=line.thread == me_id, me=line.me)
    return chat_line(line.text, line.name, line.to, line.me)


def homework_status(hw: Homework, member_id: int | None, today: _dt.date | None = None) -> str:
    """``"submitted"``, ``"submitted late"``, ``"not started"`` or ``"late"`` for one member."""
    sub: Submission | None = hw.submissions.get(member_id) if member_id is not None else None
    if sub is not None:
        return "submitted late" if sub.late else "submitted"
    today = today or _dt.date.today()
    try:
        overdue = _dt.date.fromisoformat(hw.due) < today
    except ValueError:
        overdue = False
    return "late" if overdue else "not started"


def submission_text(hw: Homework, sub: Submission) -> str:
    """What a member handed in, in one line a facilitator can read or hear:
    ``"wrote: I caught two thoughts..."``, ``"ticked 3 of 6: Day 1, Day 2, Day 4"``,
    ``"logged 2 days: 2026-11-20 mood 4, tired; 2026-11-21 mood 6"``."""
    if hw.kind == "checklist":
        ticked = [hw.items[i] for i in sorted(sub.checked) if 0 <= i < len(hw.items)]
        if not ticked:
            return f"ticked none of {len(hw.items)}"
        return f"ticked {len(ticked)} of {len(hw.items)}: " + ", ".join(ticked)
    if hw.kind == "emotion_log":
        days = []
        for entry in sub.log:
            day = f"{entry.get('day', '')} mood {entry.get('mood', '')}"
            feelings = ", ".join(entry.get("feelings", []))
            note = str(entry.get("note", "")).strip()
            days.append(day + (f", {feelings}" if feelings else "") + (f", {note}" if note else ""))
        return f"logged {len(days)} day{'s' if len(days) != 1 else ''}: " + "; ".join(days)
    text = " ".join(sub.text.split())
    return f"wrote: {text}" if text else "wrote nothing"


def homework_line(hw: Homework, member_id: int | None, today: _dt.date | None = None) -> str:
    """``"Homework: Thought record, due Friday 4 December, submitted"``."""
    return f"Homework: {hw.title}, due {due_text(hw.due, today)}, {homework_status(hw, member_id, today)}"


def presence_line(name: str, status: str) -> str:
    """``"Sam is here."`` / ``"Sam left."`` / ``"Sam is reconnecting."``"""
    if status == "online":
        return f"{name} is here."
    if status == "reconnecting":
        return f"{name} is reconnecting."
    return f"{name} left."


#: What a guest is told about the people list: the first names of those present only (issue 15).
GUEST_ROSTER = "As a guest you see the first names of the people present; the group's list of members is kept for the group."
#: Said first when TERM=dumb turns the full screen into the plain line mode.
DUMB_TERMINAL = "This terminal (TERM=dumb) cannot show the full screen, so iop-tui uses the plain line mode; type /help for commands."


def hands_text(state: GroupState) -> str:
    """``"Hands raised: Sam, Alex."``: the queue by name, oldest first, never by id."""
    if not state.hands:
        return "No hands raised."
    return "Hands raised: " + ", ".join(state.name_of(m) for m in state.hands) + "."


# -- one sentence per event -----------------------------------------------------------


def hint_for(event: Event | dict[str, Any], state: GroupState, me_id: int | None) -> str | None:
    """What this reader can do about an event, as a short instruction (or None).

    Only participants and guests get hints; the plain face appends them.
    """
    ev = event if isinstance(event, Event) else parse_event(event)
    role = _role(state, me_id)
    if role == FACILITATOR:
        return None
    if ev.type == "phase.changed":
        phase = ev.data.get("phase")
        if role == GUEST and phase in ("checkin", "closing"):
            return None  # guests neither check in nor get homework
        return PHASE_HINTS.get(str(phase))
    if ev.type == "poll.opened":
        poll = state.polls.get(int(ev.data.get("poll_id", 0)))
        return _VOTE_HINTS.get(poll.kind if poll else "single")
    if ev.type == "board.opened":
        return BOARD_HINT  # shared boards (issue 14 part B)
    return None


def describe(event: Event | dict[str, Any], state: GroupState, me_id: int | None, *, hints: bool = False) -> str | None:
    """One sentence about an event, for a reader whose own id is ``me_id``.

    ``state`` is the reader's state *after* the event was folded (so a slide
    change can name the slide and a poll can be counted). Returns None for an
    event that needs no sentence of its own (presenter notes, a quiz key).
    With ``hints`` the sentence ends with what the reader can type about it.
    """
    ev = event if isinstance(event, Event) else parse_event(event)
    d = ev.data
    text = _describe(ev, d, state, me_id)
    if text is None:
        return None
    if hints:
        hint = hint_for(ev, state, me_id)
        if hint:
            text = f"{text} {hint}"
    return text


def _describe(ev: Event, d: dict[str, Any], state: GroupState, me_id: int | None) -> str | None:
    t = ev.type
    if t in SMALLROOM_EVENTS or (t == "chat.posted" and d.get("to", "group") == "group" and (d.get("room") or d.get("as") or state.room_of(me_id))):
        return smallroom_sentence(ev, d, state, me_id)  # small rooms (issue 13)
    actor = ev.actor_name or _name(state, ev.actor)
    if t == "session.started":
        title = str(d.get("title", "")).strip()
        kind = "" if d.get("kind", "group") == "group" else f" ({kind_name(str(d.get('kind')))})"
        return f"Session started: {title}{kind}." if title else f"Session started{kind}."
    if t == "session.ended":
        summary = str(d.get("summary", "")).strip()
        return f"Session ended. Summary: {summary}" if summary else "Session ended."
    if t == "phase.changed":
        return f"Phase: {phase_name(d.get('phase'))}."
    if t == "checkin.submitted":
        checkin = state.checkins.get(int(d.get("member_id", 0)))
        if checkin is None:
            return None
        return checkin_line(checkin, you=checkin.member_id == me_id)
    if t == "checkin.note":
        mid = int(d.get("member_id", 0))
        if mid == me_id:
            return f"Your check-in note for facilitators: {d.get('note', '')}"
        return f"Check-in note for facilitators, {_name(state, mid, actor)}: {d.get('note', '')}"
    if t == "deck.loaded":
        count = len(d.get("slides", []))
        title = str(d.get("title", "")).strip() or "untitled"
        return f"Slides loaded: {title}, {_plural(count, 'slide')}."
    if t == "slide.changed":
        return slide_line(state, int(d.get("index", 0)))
    if t == "poll.opened":
        poll = state.polls.get(int(d.get("poll_id", 0)))
        return poll_open_line(poll, state) if poll is not None else None
    if t == "poll.voted":
        poll = state.polls.get(int(d.get("poll_id", 0)))
        if poll is None:
            return None
        choices = _choices_text(poll, [int(c) for c in d.get("choices", [])])
        mid = int(d.get("member_id", 0))
        if mid == me_id:
            return f"Your vote is in: {choices}."
        return f"Vote, {_name(state, mid, actor)}: {choices}, on {poll.question}"
    if t == "poll.closed":
        poll = state.polls.get(int(d.get("poll_id", 0)))
        return f"Poll closed: {poll.question}" if poll is not None else "Poll closed."
    if t == "poll.revealed":
        poll = state.polls.get(int(d.get("poll_id", 0)))
        if poll is None:
            return None
        return f"Poll results, {poll.question} " + "; ".join(poll_result_lines(poll)) + "."
    if t == "chat.posted" and d.get("to") == "member":
        thread = ev.subject if ev.subject is not None else d.get("thread")
        return private_reply_line(
            str(d.get("text", "")), _name(state, int(d.get("member_id", 0)), actor), _name(state, thread),
            for_member=thread is not None and thread == me_id, me=bool(d.get("me", False)),
        )
    if t == "chat.posted":
        mid = int(d.get("member_id", 0))
        return chat_line(str(d.get("text", "")), _name(state, mid, actor), str(d.get("to", "group")), bool(d.get("me", False)))
    if t == "chat.deleted":
        line = next((c for c in state.chat if c.message_id == int(d.get("message_id", 0))), None)
        who = f" from {line.name}" if line is not None else ""
        return f"Message deleted: a chat line{who} was removed by a facilitator."
    if t == "hand.raised":
        mid = int(d.get("member_id", 0))
        place = state.hands.index(mid) + 1 if mid in state.hands else len(state.hands)
        if mid == me_id:
            return f"Your hand is raised, number {place} in the queue."
        return f"Hand raised, {_name(state, mid, actor)}, number {place} in the queue."
    if t == "hand.lowered":
        mid = int(d.get("member_id", 0))
        if mid == me_id:
            return "Your hand is lowered."
        return f"Hand lowered, {_name(state, mid)}."
    if t == "homework.assigned":
        title = str(d.get("title", ""))
        if ev.audience == MEMBER:  # personal homework (issue 15)
            return personal_homework_text(title, str(d.get("due", "")), state, ev.subject, me_id)
        return f"Homework assigned: {title}, due {due_text(str(d.get('due', '')))}."
    if t == "homework.submitted":
        hw = state.homework.get(int(d.get("homework_id", 0)))
        title = hw.title if hw is not None else "homework"
        late = ", late" if d.get("late") else ""
        mid = int(d.get("member_id", 0))
        if mid == me_id:
            return f"Homework submitted: {title}{late}."
        return f"Homework submitted, {_name(state, mid, actor)}: {title}{late}."
    if t == "member.muted":
        mid = int(d.get("member_id", 0))
        muted = bool(d.get("muted", True))
        if mid == me_id:
            if muted:
                return "You are muted: you can follow the session but not post until a facilitator unmutes you."
            return "You are unmuted: you can post again."
        return f"{'Muted' if muted else 'Unmuted'}, {_name(state, mid)}."
    if t == "member.removed":
        mid = int(d.get("member_id", 0))
        if d.get("invitation_ended"):
            return INVITATION_ENDED if mid == me_id else f"{_name(state, mid)}'s guest invitation ended with the family session."
        if d.get("revoked"):
            if mid == me_id:
                return "Your join token was revoked; ask your facilitator for a new invitation."
            return f"Revoked, {_name(state, mid)}: their join token no longer works."
        if mid == me_id:
            return "You were removed from this group; ask your facilitator if this is a mistake."
        return f"Removed from the group, {_name(state, mid)}."
    if t == "guest.arrived":
        mid = int(d.get("member_id", 0))
        if mid == me_id:
            return LET_IN if d.get("admitted") else None
        return f"Guest joined the session: {_name(state, mid)}."
    if t == "member.reinstated":
        return f"Back in the group, {_name(state, int(d.get('member_id', 0)))}: they have a new join token."
    if t in ("urgent.raised", "alert.raised", "urgent.acknowledged", "urgent.emailed"):
        return _safety_sentence(ev, d, state, me_id)
    if t in ("measure.given", "measure.answered", "measure.scored", "safety.contact", "checkin.location"):
        return _measure_sentence(ev, d, state, me_id)
    if t in KIT_EVENTS:
        return kit_sentence(ev, d, state, me_id)  # the facilitator's kit (issue 14 part A)
    if t in BETWEEN_EVENTS:
        return between_sentence(ev, d, state, me_id)
    if t == "reminders.changed":  # issue 15a
        whose = d.get("member_id")
        return reminders_changed_text(d, None if whose == me_id else _name(state, int(whose or 0)))
    if t.startswith(("board.", "card.")):
        return board_sentence(ev, d, state, me_id)  # shared boards (issue 14 part B)
    return None  # deck.notes, poll.key, questionnaire answers: folded into state, no sentence of their own


def _measure_sentence(ev: Event, d: dict[str, Any], state: GroupState, me_id: int | None) -> str | None:
    """Questionnaires given and finished, safety details set: only their member and the facilitators see these."""
    from protocol.measures import MEASURES

    t = ev.type
    mid = d.get("member_id")
    if t == "safety.contact":
        if mid == me_id:
            return f"Your emergency contact is saved: {d.get('contact', '')}. Only the facilitators see it."
        return f"Emergency contact, {_name(state, int(mid or 0))}: {d.get('contact', '')}."
    if t == "checkin.location":
        if mid == me_id:
            return f"Your location for this session: {d.get('location', '')}. Only the facilitators see it."
        return f"Location, {_name(state, int(mid or 0))}: {d.get('location', '')}."
    measure = MEASURES.get(str(d.get("measure", "")))
    if measure is None:
        return None
    if t == "measure.given":
        for_me = mid == me_id or (mid is None and _role(state, me_id) == PARTICIPANT)
        to = _name(state, int(mid)) if mid is not None else None
        return measure_given_text(measure.title, len(measure.items), to, for_me, str(d["due"]) if d.get("due") else None)
    name = None if mid == me_id else _name(state, int(mid or 0))
    if t == "measure.answered":
        from protocol.measures import ANSWERS

        item, answer = int(d.get("item", 0)), int(d.get("answer", 0))
        label = dict(ANSWERS).get(answer, str(answer)).lower()
        if name is None:
            return f"Answer saved: {measure.title} question {item + 1}, {label}."
        return f"{measure.title} answer, {name}: question {item + 1}, {answer} {label}."
    return measure_done_text(measure.title, int(d.get("total", 0)), measure.maximum, str(d.get("band", "")), name)


def _safety_sentence(ev: Event, d: dict[str, Any], state: GroupState, me_id: int | None) -> str:
    """Urgent requests and alerts: the important words first, the member named, the number to acknowledge."""
    t, mid = ev.type, int(d.get("member_id", 0))
    if t == "urgent.raised":
        if mid == me_id:
            return "Urgent request sent to the facilitators; they will be told at once."
        said = str(d.get("text", "")).strip()
        return f"URGENT, {_name(state, mid)} asks for help now" + (f": {said}" if said else ".").rstrip(".") + f". Alert {ev.seq}."
    if t == "alert.raised":
        return f"ALERT, {_name(state, mid)}: {d.get('reason', '')}. Alert {ev.seq}."
    if t == "urgent.acknowledged":
        by = ev.actor_name or _name(state, int(d.get("by", 0)))
        if mid == me_id:
            return f"{by} has seen your urgent request."
        return f"Acknowledged by {by}: the request from {_name(state, mid)}."
    return f"Emailed the on-call address about {_name(state, mid)}'s request: no facilitator was connected."


# -- the header and the connection -------------------------------------------------------


def _conn_field(conn: Any, name: str) -> Any:
    if conn is None:
        return None
    if isinstance(conn, dict):
        return conn.get(name)
    return getattr(conn, name, None)


def connection_text(model: Any) -> str:
    """The connection in words: ``"connected"``, ``"reconnecting in 3 s"``,
    ``"offline — 2 messages waiting, reconnecting in 3 s"``, ``"connecting"``,
    ``"disconnected: <why>"``."""
    conn = getattr(model, "conn", None)
    state = _conn_field(conn, "state") or "connecting"
    pending = int(_conn_field(conn, "pending") or 0)
    retry_in = _conn_field(conn, "retry_in")
    message = _conn_field(conn, "message")
    if state == "connected":
        return "connected"
    if state == "failed":
        return f"disconnected: {message}" if message else "disconnected"
    waiting = f"offline — {_plural(pending, 'message')} waiting" if pending else ""
    if state == "reconnecting":
        retry = f"reconnecting in {retry_in:g} s" if isinstance(retry_in, (int, float)) else "reconnecting"
        return f"{waiting}, {retry}" if waiting else retry
    if state == "offline":
        return waiting or "offline"
    return f"{waiting}, connecting" if waiting else "connecting"


def header_text(model: Any, now: float, *, clock: bool = False) -> str:
    """``"Tuesday IOP · Session: Week 3 · Phase: Check-in, 12 min · connected"``.

    Minutes are whole, so the text changes at most once a minute. With
    ``clock`` the phase's elapsed time is given by its start time instead
    (``"Phase: Check-in since 14:05"``): a full-screen header that stays
    true without being redrawn every minute, so an idle client writes nothing
    to a slow link or a screen reader.
    """
    state: GroupState = model.state
    parts = [model.group_name or "iop-tui"]
    session = state.session
    me = getattr(model, "me", None)
    if session is None and me is not None and me.role == "guest":
        parts.append(GUEST_WAITING_SHORT)  # qam: a guest sees no session until let in, nor the schedule
    elif session is None:
        parts.append("No session running")
        view = getattr(model, "schedule", None)  # issue 15a: the next planned session
        if view is not None:
            parts.append(next_session_short(view, now))
    else:
        parts.append(f"Session: {session.title}" if session.title else "Session running")
        if state.phase:
            since = state.phase_since if state.phase_since is not None else now
            planned = getattr(model, "agenda", {}).get(state.phase)  # the timed agenda (issue 14 part B)
            if clock and planned:
                parts.append(f"Phase: {phase_until_text(state.phase, since + planned * 60)}")
            elif clock:
                parts.append(f"Phase: {phase_title(state.phase)} since {clock_text(since)}")
            else:
                until = f", until {clock_text(since + planned * 60)}" if planned else ""
                parts.append(f"Phase: {phase_title(state.phase)}, {minutes_text(now - since)}{until}")
        elif clock:
            parts.append(f"Started {clock_text(session.started_at)}")
        else:
            parts.append(f"Started {minutes_text(now - session.started_at)} ago" if now - session.started_at >= 60 else "Just started")
    parts.append(connection_text(model))
    return " · ".join(parts)


def summary_lines(model: Any, now: float, today: _dt.date | None = None) -> list[str]:
    """Where things stand, one line each: what the plain face says after joining.

    The header, then the live slide, open polls, this reader's check-in and
    open homework, and (for facilitators) the check-in round and hands.
    """
    state: GroupState = model.state
    me = model.me
    me_id = me.member_id if me is not None else None
    lines = [header_text(model, now) + "."]
    if state.session is not None and state.slides:
        lines.append(slide_line(state) + ".")
    for poll in state.open_polls():
        line = poll_open_line(poll, state)
        mine = poll.votes.get(me_id) if me_id is not None else None
        if mine:
            line += f" You voted {_choices_text(poll, mine)}."
        lines.append(line)
    if me is not None and me.role == FACILITATOR:
        if state.session is not None:
            lines.extend(facilitator_lines(state))
    else:
        my_checkin = state.checkins.get(me_id) if me_id is not None else None
        if my_checkin is not None:
            lines.append(checkin_line(my_checkin, you=True))
        for hw in state.homework.values():
            status = homework_status(hw, me_id, today)
            if status in ("not started", "late"):
                lines.append(homework_line(hw, me_id, today) + ".")
    if me_id is not None and me_id in state.hands:
        lines.append(f"Your hand is raised, number {state.hands.index(me_id) + 1} in the queue.")
    return lines


def cue_cards_sent_text(count: int) -> str:
    """A facilitator's one sentence for a scene's cue cards (the relay sends one event per
    member, right after the start): ``"Cue cards sent to 4: each reads only their own."``."""
    return "Cue card sent to 1: only they read it." if count == 1 else f"Cue cards sent to {count}: each reads only their own."


#: How each face names the past guests it counts (:func:`revoked_line`).
PAST_GUESTS_KEY = "P on the list names them"
PAST_GUESTS_TYPED = "type /who guests to name them"


def past_guests_text(count: int, *, named: list[str] | None, hint: str) -> str:
    """Guests whose invitation ended: named (``"Past guests: Ana, Jo."``) or one count with the
    way to name them (``"4 past guests, their invitations ended; P on the list names them."``)."""
    if named is not None:
        return ("Past guest: " if len(named) == 1 else "Past guests: ") + ", ".join(named) + "."
    return f"{count} past guests, their invitations ended; {hint}."


def revoked_line(state: GroupState, *, guests_named: bool = False, hint: str = PAST_GUESTS_TYPED) -> str | None:
    """Who is no longer in the group, or None. A removed member (or one whose token was revoked)
    is named: a facilitator's decision to keep in view. Past guests (a family session's, whose
    invitation ended) are folded into one count past one, so a group's list does not grow with
    every family session; ``guests_named`` names them (P on the People list, ``/who guests``)."""
    gone = state.revoked_members()
    members = [e.name for e in gone if e.role != GUEST]
    guests = [e.name for e in gone if e.role == GUEST]
    parts = ["Revoked: " + ", ".join(members) + "."] if members else []
    if guests:
        parts.append(past_guests_text(len(guests), named=guests if guests_named or len(guests) == 1 else None, hint=hint))
    return " ".join(parts) or None


def completion_text(state: GroupState, hw: Homework) -> str:
    """How many participants still in the group handed ``hw`` in: "1 of 2 submitted"."""
    done, expected = state.completion(hw)
    return f"{done} of {expected} submitted" + (f", {assigned_text(state, hw)}" if hw.assigned_to is not None else "")


def facilitator_lines(state: GroupState) -> list[str]:
    """The round at a glance: who checked in (lowest moods first), who has not, hands."""
    participants = [e for e in state.roster.values() if e.role == "participant" and not e.removed]
    done = state.checkin_round()
    lines = [f"Checked in: {len(done)} of {len(participants)}."]
    if done:
        lines.append("Round, lowest mood first: " + "; ".join(
            f"{c.name} passed" if c.passed else f"{c.name} {c.mood if c.mood is not None else 'no mood'}" for c in done
        ) + ".")
    missing = [e.name for e in participants if e.member_id not in state.checkins]
    if missing:
        lines.append("Not checked in yet: " + ", ".join(missing) + ".")
    if state.hands:
        lines.append("Hands raised, in order: " + ", ".join(_name(state, m) for m in state.hands) + ".")
    return lines


# -- private threads and ending a session -------------------------------------------------

#: What to type to answer a private line, said after it in the plain face.
REPLY_HINT = "Type /reply and your answer."
START_ASK = "Type /start and a title for the session, for example /start Week 3; /start --untitled numbers it instead."
END_ASK = "To end the session, type /end and a one-line summary, or /end --no-summary."
END_NO_SUMMARY = "--no-summary"


def reply_hint(line: Any, state: GroupState, me_id: int | None) -> str | None:
    """What to type to answer a private line from someone else (None for one's own or group lines)."""
    if line.thread is None or line.member_id == me_id:
        return None
    if _role(state, me_id) == FACILITATOR:
        return f"Type /reply {_name(state, line.thread)} and your answer."
    return REPLY_HINT


def end_polls(state: GroupState) -> tuple[list[Poll], list[Poll]]:
    """Polls that would end unseen: (still open, closed in this session but not revealed)."""
    sid = state.session.session_id if state.session is not None else None
    open_polls = sorted(state.open_polls(), key=lambda p: p.poll_id)
    hidden = sorted((p for p in state.polls.values() if p.status == "closed" and p.session_id == sid), key=lambda p: p.poll_id)
    return open_polls, hidden


def _polls_noun(polls: list[Poll]) -> tuple[str, str]:
    """("quiz", "quizzes") when every one is a quiz, else ("poll", "polls")."""
    return ("quiz", "quizzes") if all(p.kind == "quiz" for p in polls) else ("poll", "polls")


def end_warning(state: GroupState) -> str | None:
    """``"2 polls are still open and 1 closed quiz is not revealed"``, or None when nothing would end unseen."""
    open_polls, hidden = end_polls(state)
    parts = []
    if open_polls:
        one, many = _polls_noun(open_polls)
        parts.append(f"1 {one} is still open" if len(open_polls) == 1 else f"{len(open_polls)} {many} are still open")
    if hidden:
        one, many = _polls_noun(hidden)
        parts.append(f"1 closed {one} is not revealed" if len(hidden) == 1 else f"{len(hidden)} closed {many} are not revealed")
    return " and ".join(parts) or None


def end_question(state: GroupState, summary: str) -> str:
    """``"End Week 3 for everyone, with the summary: ...?"``: what ending now would do."""
    title = state.session.title if state.session is not None and state.session.title else "the session"
    text = f"End {title} for everyone, "
    summary = summary.strip()
    if summary:
        return text + f"with the summary: {summary}" + ("" if summary.endswith((".", "!", "?")) else ".")
    return text + "without a summary?"


def end_plain_question(state: GroupState, summary: str) -> str:
    """The plain face's one-line confirmation, with what to type."""
    question = end_question(state, summary)
    warning = end_warning(state)
    if warning is None:
        return f"{question} /end yes ends it; /end no keeps it running."
    open_polls, hidden = end_polls(state)
    its = "its" if len(open_polls) + len(hidden) == 1 else "their"
    return (f"{question} {warning}: /end yes reveals {its} results to the group and ends; "
            "/end yes --no-reveal ends without them; /end no keeps the session running.")


# -- what answered at the relay's address ---------------------------------------------


def not_a_relay_text(url: str, status: int, reason: str = "") -> str:
    """An HTTP answer without a websocket upgrade: a web server, not our relay."""
    said = f"HTTP {status} {reason}".strip()
    return (
        f"The address {url} answered as a web server ({said}), not as an iop-tui relay; "
        "check the address and port your facilitator sent."
    )


def not_a_relay_service_text(url: str) -> str:
    """A websocket service that does not speak our protocol."""
    return (
        f"The address {url} answered with a websocket service that is not an iop-tui relay; "
        "check the address and port your facilitator sent."
    )


def not_a_relay_answer_text(url: str) -> str:
    """Something answered that speaks neither HTTP nor our protocol (a mail or SSH server)."""
    return f"The address {url} answered, but not as an iop-tui relay; check the address and port your facilitator sent."


def relay_not_ready_text(url: str, status: int) -> str:
    """A proxy's 5xx or 429 in front of the relay: worth retrying; ``{delay}`` is filled in later."""
    return f"The server at {url} answered HTTP {status}: the relay behind it is not ready; retrying in {{delay}} s."


def unknown_host_text(url: str, host: str) -> str:
    """The server's name does not resolve (getaddrinfo's "unknown error -2")."""
    return (
        f"The server name {host} in {url} could not be found; "
        "check the address for typing mistakes and that this computer is online."
    )


def not_joined_yet_text() -> str:
    """What /status adds before the first join has finished."""
    return "Not joined yet; what you type is kept until the join finishes, and Control D leaves."


# -- typing: what the full-screen face says about keys and text the person gave ----------


def phase_waiting_text(phase: str | None, pane_title: str, key: str) -> str:
    """``"Phase: psychoeducation. Press F2 to see the slides; what you are typing stays here."``

    Said instead of moving the person when a phase changes while they type.
    """
    return f"Phase: {phase_name(phase)}. Press {key} to see the {pane_title.lower()}; what you are typing stays here."


#: The end of a status-line sentence cut to its two rows (full-screen face): the cut said in
#: words, and the key that reads it whole (the notices view, iop_tui.tui.screens.notices).
STATUS_CUT = "... (cut; Ctrl+N reads it whole)"
#: The notices view's first line.
NOTICES_HEAD = "Notices, newest last: what the status line said, whole. Escape closes."
NOTICES_NONE = "No notices yet."


def returned_line_text(line: str) -> str:
    """A typed line the relay refused, said back whole (after the refusal's own sentence)
    where it cannot go back into the box being typed in: ``"Not sent, so here it is to
    type again: /vote 2"``."""
    return f"Not sent, so here it is to type again: {line}"


def too_long_text(length: int, limit: int, what: str = "message") -> str:
    """``"Your message is 100,000 characters; the limit is 2,000. It is kept in the box for you to shorten."``"""
    return f"Your {what} is {length:,} characters; the limit is {limit:,}. It is kept in the box for you to shorten."


def feeling_word_too_long_text(word: str, limit: int) -> str:
    """One feeling word over the limit, named by its start so the person finds it."""
    start = word if len(word) <= 12 else word[:12] + "…"
    return f"The feeling word {start!r} is {len(word):,} characters; the limit is {limit}. Shorten it in the feelings field."


def too_many_feelings_text(count: int, limit: int) -> str:
    return f"You gave {count} feeling words; the limit is {limit}. Remove some in the feelings field."


def burst_ignored_text(count: int) -> str:
    """Keys that arrived together outside a text field (a paste the terminal did not mark)."""
    keys = "1 key" if count == 1 else f"{count:,} keys"
    return (
        f"{keys} arrived at once, faster than typing, so none was taken as a command; "
        "to paste text, first move into a text field."
    )
# -- questions before what cannot be undone, and sentences both faces share ------------

#: What either face says when a session is not running and the round is asked for.
NO_ROUND = "No session is running; the round starts with the next session."
#: /hand when the hand is already up: /hand only raises, /lower lowers (both faces).
HAND_ALREADY_UP = "Your hand is already raised; /lower lowers it."
#: /lower (or H) when the hand is not up.
HAND_NOT_UP = "Your hand is not raised; /hand raises it."


def quoted(text: str, limit: int = 60) -> str:
    """``'I felt better'``: member text in quotes, one line, cut at ``limit`` characters."""
    one_line = " ".join(str(text).split())
    if len(one_line) > limit:
        one_line = one_line[: limit - 1].rstrip() + "…"
    return f"'{one_line}'"


def delete_question(line: Any) -> str:
    """``"Delete Sam's message 'I felt better'?"``: asked before a chat line is deleted."""
    return f"Delete {line.name}'s message {quoted(line.text)}?"


def close_question(poll: Any) -> str:
    """Asked before a poll is closed: closing cannot be undone."""
    return f"Close the poll {quoted(poll.question)}? Nobody can vote in it after this, and it cannot be reopened."


def reopen_question(question: str) -> str:
    """Asked before a prepared poll that was already opened this session is opened again."""
    return f"The poll {quoted(question)} was already opened in this session. Open it again as a new poll?"


def prepared_opened(question: str, state: GroupState) -> bool:
    """True when a poll with this question was opened in the current session (or is open)."""
    wanted = " ".join(question.split()).casefold()
    return any(" ".join(p.question.split()).casefold() == wanted for p in state.current_polls())


def session_line(state: GroupState) -> str:
    """``"Session Week 3 is live, phase check-in."`` / ``"... is live; no phase chosen yet."``."""
    if state.session is None:
        return "No session is live right now."
    title = state.session.title or "untitled"
    if state.phase:
        return f"Session {title} is live, phase {phase_name(state.phase)}."
    return f"Session {title} is live; no phase chosen yet."


def header_fit(model: Any, now: float, width: int) -> str:
    """The full-screen header (:func:`header_text` with a clock) in one row of ``width`` cells.

    When it is too long, the labels "Session:" and "Phase:" go first, then
    the session title is shortened (ending "…"), then the group name; the
    phase and the connection are always said whole.
    """
    text = header_text(model, now, clock=True)
    if len(text) <= width:
        return text
    state: GroupState = model.state
    title = state.session.title if state.session is not None else ""
    group = model.group_name or "iop-tui"

    def shorten(whole: str, part: str, least: int) -> str:
        over = len(whole) - width
        if over <= 0 or len(part) <= least:
            return whole
        short = part[: max(least, len(part) - over - 1)].rstrip() + "…"
        return whole.replace(part, short, 1)

    # First the labels go (the words say what they are), then the title is shortened.
    if title:
        text = text.replace(f" · Session: {title} · ", f" · {title} · ", 1)
    if len(text) > width:
        text = text.replace(" · Phase: ", " · ", 1)
    if title:
        text = shorten(text, title, 1)
    if len(text) > width:  # issue 15a: the next session's words before the group's name
        text = text.replace(" · No session running · Next: ", " · No session · Next: ", 1)
    text = shorten(text, group, 4)
    return text[:width]


# -- the command interpreter's sentences (iop_tui.core.commands), the same in both faces -------

#: What a command that reads or loads something (no protocol command) lets a role do, for
#: :func:`forbidden_text` (the protocol kinds' actions are :data:`COMMAND_ACTIONS`).
LOCAL_ACTIONS = {
    "round": "read the check-in round",
    "notes": "read presenter notes",
    "completion": "read who has handed in homework",
    "plan": "load a session plan",
    "poll plan": "open prepared polls",
    "lower NAME": "lower someone else's hand",
    "airtime": "read members' airtime",  # the facilitator's kit
    "breakout plan": "open prepared breakout rooms",  # small rooms (issue 13)
    "roleplay plan": "start prepared role-plays",
    "agenda": "read the session's planned minutes",  # issue 14 part B
}

HELP_HEAD = "Commands, one per line:"
HELP_TOPICS_HEAD = "Help topics: /help and a topic lists its commands; /help all lists every one."
VERBOSITIES = ("quiet", "normal", "all")
VERBOSITY_USAGE = "Verbosity is quiet, normal or all."
VERBOSITY_SAID = {
    "quiet": "Verbosity quiet: hands, private lines, urgent requests and the session's own events only.",
    "normal": "Verbosity normal: everything but each vote; a facilitator hears slide titles, /slide reads the body.",
    "all": "Verbosity all: every event, every slide in full.",
}
BELL_USAGE = "Type /bell on for a bell before a raised hand or a private line, /bell off to stop it."
BELL_ON = "Bell on: a bell rings before a raised hand and a private line."
BELL_OFF = "Bell off."
MISSED_USAGE = "Type /missed for a count of what happened since you last typed, /missed lines to hear it."
NOTHING_MISSED = "Nothing new since you last typed."
NOTHING_MORE = "Nothing more to read."
NO_HISTORY = "Nothing has happened here since you joined."
PLAIN_ONLY = "That command is for the plain face (iop-tui join --plain); here the panes show everything."


def verbosity_now_text(level: str) -> str:
    return f"Verbosity {level}. /verbosity quiet, normal or all changes it."


def more_lines_text(count: int) -> str:
    """The end of a paged screenful."""
    return f"{count} more {'line' if count == 1 else 'lines'}: /more"


def no_help_topic_text(topic: str, topics: list[str]) -> str:
    return f"There is no help topic {topic}; the topics are " + ", ".join(topics) + "."


def checklist_submit_text(title: str, number: str) -> str:
    """/submit on checklist homework: point to /check."""
    return f"{title} is a checklist: type /check {number} and the item numbers, for example /check {number} 1 2."


def next_hand_text(state: GroupState) -> str:
    """Said after a hand is lowered: whose hand is next, or that none is up."""
    if not state.hands:
        return NO_HANDS
    return f"{_name(state, state.hands[0])}'s hand is next."


def poll_votes_lines(poll: Poll) -> list[str]:
    """Spoken results: ``"2 votes for Option B"``, most votes first; options nobody chose left out."""
    counts = poll.tally()
    lines = []
    for index in sorted(range(poll.option_count()), key=lambda i: -(counts[i] if i < len(counts) else 0)):
        count = counts[index] if index < len(counts) else 0
        if not count:
            continue
        line = f"{_plural(count, 'vote')} for {poll.option_label(index)}"
        if poll.correct is not None and poll.correct == index:
            line += ", the correct answer"
        names = (poll.names or {}).get(index)
        if names:
            line += " (" + ", ".join(names) + ")"
        lines.append(line)
    return lines


def quiz_mark_text(poll: Poll, mine: list[int]) -> str | None:
    """After a quiz is revealed, tell the member whether they were right (None if they did not answer)."""
    if poll.kind != "quiz" or poll.correct is None or not mine:
        return None
    answer = poll.option_label(poll.correct)
    if poll.correct in mine:
        return f"You were right: {answer}."
    return "You chose " + ", ".join(poll.option_label(c) for c in mine) + f"; the answer was {answer}."


def elapsed_text(model: Any, now: float) -> str | None:
    """``"25 minutes into the session, 3 minutes in this phase."`` (None outside a session)."""
    state: GroupState = model.state
    if state.session is None:
        return None
    session = int(max(0.0, now - state.session.started_at) // 60)
    text = f"{_plural(session, 'minute')} into the session"
    phase = model.elapsed_in_phase(now)
    if phase is not None:
        text += f", {_plural(phase, 'minute')} in this phase"
        planned = getattr(model, "agenda", {}).get(state.phase)  # the timed agenda (issue 14 part B)
        if planned and state.phase_since is not None:
            text += f", planned to end at {clock_text(state.phase_since + planned * 60)}"
    return text + "."
NO_COMMAND_TEXT = "There is no command /{name}; type /help to hear the commands."
NOT_A_NUMBER = "{what} must be a number; type /help to hear how."
MOOD_RANGE = "Your mood must be a number from 0 to 10."
CHECKIN_USAGE = "Give your mood from 0 to 10, for example: /checkin 6 tired, hopeful -- slept badly."
NO_POLL_OPEN = "No poll is open."
VOTE_USAGE = "Type /vote and the number of your choice."
VOTE_SCALE = "This poll is a scale: type /vote and one number from 0 to 10."
VOTE_ONE = "This poll takes one choice; type /vote and one number."
POLL_OPEN_USAGE = 'Write it like this: /poll open single "How was your week?" better; the same; worse.'
POLL_KIND = "The poll kind must be single, multiple, scale or quiz. " + POLL_OPEN_USAGE
POLL_QUOTES = "Put the question in double quotes. " + POLL_OPEN_USAGE
QUIZ_NEEDS_ANSWER = "A quiz needs the right answer: add correct= and the option's number at the end."
NO_SUCH_POLL = "There is no such poll; type /poll to hear the polls and their numbers."
NO_PLAN = "No plan is loaded; type /plan and the path of a plan file."
PLAN_USAGE = "Type /plan and the path of a plan file."
DECK_USAGE = "Type /deck and the path of a Markdown file."
DM_USAGE = "Type /dm and your message for the facilitators."
ME_USAGE = "Type /me and an action, such as /me nods."
MEMBER_REPLY_USAGE = "Type /reply and your private line for the facilitators."
REPLY_USAGE = "Type /reply, the member's name and your private line, for example /reply Sam See you after group."
THREAD_USAGE = "Type /thread and a member's name, for example /thread Sam."
LOWER_USAGE = "Type /lower and the member's name, for example /lower Sam."
MEMBER_USAGE = "Type /{command} and the member's name, for example /{command} Sam."
DELETE_USAGE = "Type /delete and the message number, for example /delete 12; /history shows the numbers."
ASSIGN_USAGE = 'Write it like this: /assign checklist +6 days "Thought record" Day 1; Day 2; Day 3.'
PHASE_USAGE = "Name a phase: checkin, psychoeducation, exercises, discussion or closing."
NO_HOMEWORK = "No homework has been assigned."
SUBMIT_USAGE = "Type /submit {number} and your answer."
CHECK_USAGE = "Type /check, the homework number, then the item numbers, for example /check 1 2 3."
LOG_USAGE = "Type /log, the homework number, the day, your mood 0 to 10 and feelings, for example /log 1 today 6 calm, tired."
LOG_DAY = "The day must be today, yesterday or a date written YYYY-MM-DD."
NO_SLIDES = "No slides are loaded."
NO_SLIDES_TO_MOVE = "No slides are loaded; type /deck and a path, or /plan."
NO_SESSION_TO_END = "No session is running, so there is nothing to end."
NOTHING_TO_CONFIRM = "There is nothing to confirm yet; type /end and a one-line summary first."
NOTHING_TO_CANCEL = "There is nothing to cancel; the session keeps running."
SESSION_KEEPS_RUNNING = "The session keeps running."
MESSAGE_STAYS = "The message stays."
RAISING_HAND = "Raising your hand."
LOWERING_HAND = "Lowering your hand."


def no_command_text(name: str) -> str:
    """``"There is no command /frobnicate; ..."``: an unknown slash command."""
    return NO_COMMAND_TEXT.format(name=name[:30])


def not_a_number_text(what: str) -> str:
    """``"Your mood must be a number; ..."``."""
    return NOT_A_NUMBER.format(what=what)


def no_member_text(name: str) -> str:
    """A name that finds nobody (or several): the same sentence in both faces."""
    return f"Nobody called {name[:40]} is in the group; type /who to hear the names."


def choose_range_text(what: str, high: int) -> str:
    """``"Choose a number from 1 to 3."`` (``what`` is "a number" or "items")."""
    return f"Choose {what} from 1 to {high}."


def no_message_text(message_id: int) -> str:
    return f"There is no message {message_id}; type /history to hear the numbers."


def message_gone_text(message_id: int) -> str:
    return f"Message {message_id} is already deleted."


def deleting_text(line: Any) -> str:
    """Said once the deletion of a chat line is sent."""
    return f"Deleting {line.name}'s message {quoted(line.text)}."


def remove_question(name: str) -> str:
    """Asked before a member is removed: their invitation stops working."""
    return f"Remove {name} from the group? Their invitation stops working and they leave the session."


def stays_text(name: str) -> str:
    """Said when a removal is declined."""
    return f"{name} stays in the group."


def no_hand_text(name: str) -> str:
    return f"{name} has no hand up."


def no_homework_text(number: Any, any_assigned: bool = True) -> str:
    return f"There is no homework {number}; type /homework to hear the list." if any_assigned else NO_HOMEWORK


def no_checklist_text(title: str) -> str:
    return f"{title} has no checklist items; use /submit."


def slides_range_text(count: int) -> str:
    return f"The deck has slides 1 to {count}."


def type_yes_text(question: str, typed: str) -> str:
    """A question the plain face asks before what cannot be undone, with what to type."""
    return f"{question} Type {typed} yes"


def shown_in_pane_text(pane_title: str, key: str) -> str:
    """The full-screen face shows what a read-only plain command says, in a pane."""
    return f"The {pane_title} pane shows that: press {key}."


NO_OWN_THREAD = "You have no private lines with the facilitators yet; /dm writes to them."


def no_thread_text(name: str) -> str:
    """/thread NAME when that member has no private lines yet."""
    return f"{name} has no private lines with the facilitators yet; /reply {name} writes to them."


def thread_head(name: str | None, count: int) -> str:
    """The line before a private thread (``name`` None: one's own thread)."""
    whose = f"Private thread with {name}" if name is not None else "Your private thread with the facilitators"
    return f"{whose}, {_plural(count, 'line')}, oldest first:"


#: Where the full-screen face shows what a read-only plain command says: (pane title, key).
LOCAL_PANES = {
    "who": ("People", "6"),
    "history": ("Chat", "4"),
    "slide": ("Slides", "2"),
    "slides": ("Slides", "2"),
    "notes": ("Slides", "2"),
    "poll": ("Polls", "3"),
    "poll plan": ("Polls", "3"),
    "homework": ("Homework", "5"),
    "completion": ("Homework", "5"),
    "round": ("Check-in", "1"),
    "missed": ("Chat", "4"),
    "measure": ("Questionnaire", "F10"),
    "scores": ("Questionnaire", "F10"),
}
#: Read-only requests only the plain face has (paging, speech); the full-screen face says PLAIN_ONLY.
PLAIN_ONLY_LOCALS = ("more", "verbosity", "bell")
FILES_IN_PANES = "Control O loads a session plan; the Slides pane's path field loads a deck."


def help_line(usage: str, text: str) -> str:
    """One help entry as the full-screen chat shows it."""
    return f"Help: {usage}: {text}"


# -- safety: urgent help, questionnaires, safety details (both faces) ----------------------

URGENT_QUESTION = "Send an urgent request to the facilitators? They are told at once."
URGENT_NOT_SENT = "The urgent request was not sent. If you need help now, ask again."
URGENT_NOTHING_TO_CONFIRM = "There is no urgent request to confirm; type /urgent and, if you like, a few words."
URGENT_HELP_TITLE = "I need help now"
URGENT_WORDS_LABEL = "What is happening (optional)"
URGENT_WORDS_HINT = "a few words for the facilitators"
URGENT_DIALOG_KEYS = "Enter or Tab leaves the field, never sending. Then Y sends it; N or Escape does not."
NO_ALERT_WAITING = "No urgent request or alert is waiting to be acknowledged."
ACK_USAGE = "Type /ack and the alert's number, for example /ack 12; /ack alone acknowledges the oldest."
GIVE_USAGE = ("Type /give, phq9 or gad7, a name for one member only, and due with a date to have it answered by then, "
              "for example /give phq9 Sam due +7; /give plan lists the plan's questionnaires.")
NO_MEASURE = "You have no questionnaire to answer."
ANSWER_USAGE = "Type /answer and a number from 0 to 3: 0 not at all, 1 several days, 2 more than half the days, 3 nearly every day."
CONTACT_USAGE = "Type /contact and your emergency contact, for example /contact Maria, sister, 555 0100."
CONTACT_FAC_USAGE = "Type /contact, the member's name and their emergency contact, for example /contact Sam Maria, sister, 555 0100."
NO_SCORES = "No questionnaire has been finished yet."


def ack_hint(alert_id: int) -> str:
    """What a facilitator types (or presses) to say they have seen an alert."""
    return f"Type /ack {alert_id} when you have seen it."


def already_acknowledged_text(alert_id: int, name: str) -> str:
    return f"{name} has already acknowledged alert {alert_id}."


def no_alert_text(alert_id: int) -> str:
    return f"There is no alert {alert_id}; the alert's number is in its line."


def alert_line(alert: Any, state: GroupState) -> str:
    """An alert still waiting, as the line that says it first (for a repeat or a banner)."""
    who = _name(state, alert.member_id)
    if alert.source == "member":
        said = alert.text.strip()
        return f"URGENT, {who} asks for help now" + (f": {said}" if said else "") + f". Alert {alert.alert_id}."
    return f"ALERT, {who}: {alert.text}. Alert {alert.alert_id}."


def still_waiting_text(alert: Any, state: GroupState) -> str:
    """The plain face's once-a-minute repeat of an alert nobody has acknowledged."""
    return f"STILL WAITING, {alert_line(alert, state)} {ack_hint(alert.alert_id)}"


def waiting_summary(alerts: list[Any], state: GroupState) -> str:
    """One line about every alert still waiting (the banner's first words)."""
    if len(alerts) == 1:
        return alert_line(alerts[0], state)
    names = ", ".join(_name(state, a.member_id) for a in alerts)
    return f"URGENT, {len(alerts)} alerts wait: {names}. Oldest: {alert_line(alerts[0], state)}"


def answers_text() -> str:
    """The four answers of both questionnaires, as said after each question."""
    from protocol.measures import ANSWERS

    return ", ".join(f"{value} {label.lower()}" for value, label in ANSWERS)


def measure_item_text(pending: Any, *, typed: bool = True) -> str:
    """One question and its four answers as one line; ``typed`` adds what to type."""
    m = pending.measure
    line = f"{m.title}, question {pending.item + 1} of {len(m.items)}: {m.items[pending.item]}. Over the last 2 weeks: {answers_text()}."
    return f"{line} Type /answer and a number." if typed else line


def measure_given_text(title: str, count: int, to: str | None, for_me: bool, due: str | None = None) -> str:
    """A questionnaire was given: to me, or (a facilitator's line) to the group or one member;
    with its due date when it has one."""
    if for_me:
        by = f" Please answer it by {due_text(due)}; /measure goes on where you stopped." if due else ""
        return f"Questionnaire for you: {title}, {count} questions about the last 2 weeks, seen only by you and the facilitators.{by}"
    return f"Questionnaire given: {title} to {to or 'the group'}" + (f", due {due_text(due)}." if due else ".")


def pending_measures_text(state: GroupState, member_id: int | None, today: _dt.date | None = None) -> str:
    """What this member has still to answer, each with its due date (``""`` when nothing is left)."""
    from iop_tui.core.safety import pending_measures

    pending = pending_measures(state, member_id)
    if not pending:
        return ""
    parts = []
    for p in pending:
        answered = f", {p.answered} of {len(p.measure.items)} answered" if p.answered else ""
        parts.append(f"{p.measure.title}{answered}, " + (f"due {due_text(p.due, today)}" if p.due else "no due date"))
    return f"Questionnaire{'s' if len(parts) != 1 else ''} to answer: " + "; ".join(parts) + "."


def measure_completion_lines(state: GroupState, today: _dt.date | None = None) -> list[str]:
    """For facilitators: each questionnaire someone has not finished, who has and who has not,
    and whether its due date has passed (like homework's completion)."""
    from iop_tui.core.safety import measure_completion

    today = today or _dt.date.today()
    lines = []
    for c in measure_completion(state):
        given = c.given
        to = _name(state, given.member_id) if given.member_id is not None else "the group"
        due = f", due {due_text(given.due, today)}" if given.due else ""
        expected = len(c.done) + len(c.missing)
        line = f"{c.measure.title} to {to}{due}: {len(c.done)} of {expected} done."
        if c.done:
            line += " Done: " + ", ".join(name + (" (late)" if late else "") for name, late in c.done) + "."
        past = bool(given.due) and _dt.date.fromisoformat(given.due) < today
        line += (" Not yet, past the due date: " if past else " Not yet: ") + ", ".join(c.missing) + "."
        lines.append(line)
    return lines


def planned_measure_lines(plan: Any, today: _dt.date) -> list[str]:
    """The plan's prepared questionnaires, numbered from 1, with what to type."""
    return [f"Prepared questionnaire {i}: {m.describe(today)}; type /give plan {i}." for i, m in enumerate(plan.measures, 1)]


NO_PLANNED_MEASURES = "The plan prepares no questionnaire; type /give phq9 or /give gad7."


def measure_done_text(title: str, total: int, maximum: int, band: str, name: str | None) -> str:
    """A questionnaire finished: said to the member (``name`` None) and the facilitators."""
    if name is None:
        return f"{title} done, thank you: your total is {total} of {maximum}, {band}."
    return f"{title} done, {name}: {total} of {maximum}, {band}."


def trend_text(title: str, totals: list[tuple[int, str]]) -> str:
    """``"PHQ-9 14, 11, 9: moderate to mild"``: a member's totals, oldest first, and the bands."""
    numbers = ", ".join(str(total) for total, _ in totals)
    first, last = totals[0][1], totals[-1][1]
    bands = last if first == last else f"{first} to {last}"
    return f"{title} {numbers}: {bands}"


def trend_lines(state: GroupState, member_id: int) -> list[str]:
    """Every measure this member has finished, as one trend each."""
    from protocol.measures import MEASURES

    from iop_tui.core.safety import measures_taken, scores

    return [trend_text(MEASURES[key].title, scores(state, member_id, key)) for key in measures_taken(state, member_id)]


def safety_details_text(state: GroupState, member_id: int) -> str:
    """A member's location at this session's check-in and emergency contact (facilitators only), or ""."""
    parts = []
    where = state.locations.get(member_id, "").strip()
    if where:
        parts.append(f"At: {where}.")
    contact = state.contacts.get(member_id, "").strip()
    if contact:
        parts.append(f"Emergency contact: {contact}.")
    return " ".join(parts)


# -- the facilitator's kit (issue 14 part A): journaling, go-arounds, airtime --------------------
#
# Sentences for the kit's events (``kit_sentence``), its read-only answers (/journal,
# /goround, /airtime) and its refusals, the same in both faces.

KIT_EVENTS = (
    "journal.opened", "journal.closed", "journal.written", "journal.progress", "journal.shared",
    "goround.started", "goround.moved", "goround.ended", "member.nudged", "member.slowed",
)
JOURNAL_PRIVATE = "Only you can read it unless you share it."
JOURNAL_USAGE = ("Type /journal to read your journal; /journal and your words answers the open prompt "
                 "(/journal 2 and words answers its question 2); /journal done finishes; /journal share facilitators, or share group.")
JOURNAL_OPEN_USAGE = ("Type /journal open, the minutes if you like, and the question, for example /journal open 10 What helped this week?; "
                      "/journal open thought-record 15 opens a CBT thought record.")
NO_PROMPT_OPEN = "No journaling prompt is open; /journal reads the entries you have."
NO_JOURNAL = "Your journal is empty; when the facilitator opens a prompt, /journal and your words writes in it."
NO_JOURNAL_ENTRY = "You have not written anything for that prompt yet; write first, then share."
JOURNAL_SHARE_USAGE = "Type /journal share facilitators, or /journal share group; add an entry's number from /journal to share an older one."
NO_PROMPTS = "No journaling prompt has been opened yet; /journal open and a question opens one."
GOROUND_USAGE = ("Type /goround and a question, for example /goround What is one thing you are proud of?; put random or quietest "
                 "first for another order, and a number of minutes for a time guide per turn: /goround quietest 2 One word for today?")
NO_GOROUND = "No go-around is running."
GOROUND_MEMBER_USAGE = "Type /goround to hear whose turn it is, or /goround pass to pass on your turn."
NOT_YOUR_TURN = "It is not your turn yet; you can pass when it comes."
AIRTIME_USAGE = "Type /airtime for this session, /airtime phase for this phase only, or /airtime hands for the raised hands, quietest first."
NO_SESSION_AIRTIME = "No session is running, so there is no airtime to count."
NUDGE_USAGE = "Type /nudge, the member's name and, if you like, a few kind words: /nudge Sam Let's hear from the others too."
SLOW_USAGE = "Type /slow, the member's name and the seconds between their group lines, such as /slow Sam 30; /slow Sam off lifts it."
NO_HANDS = "No hands are raised."


def nudge_default(by: str) -> str:
    """What a nudge without words says to its member."""
    return f"{by} is thinking of you; take a moment to notice how much room you and the others have had to speak."


def minutes_words(minutes: int) -> str:
    """``"for 10 minutes"``: a time given, in words (never a clock that ticks)."""
    return f"for {_plural(minutes, 'minute')}" if minutes else "with no time limit"


def journal_answers_text(fields: list[str], answers: list[str]) -> str:
    """An entry in one line: ``"Situation: at work; Thought: I failed"`` (a single question: the answer alone)."""
    if len(fields) <= 1:
        return answers[0] if answers else ""
    parts = [f"{field.split(':')[0]}: {answer}" for field, answer in zip(fields, answers, strict=False) if answer]
    return "".join(part + ("" if i == len(parts) - 1 else " " if part[-1] in ".!?;" else "; ") for i, part in enumerate(parts))


def journal_progress_text(prompt: Any) -> str:
    """``"Journaling: 4 of 6 writing, 2 done."`` — counts only, the facilitators' view."""
    if not prompt.of:  # no entry counted yet (the counts come with the first entry): not "0 of 0"
        return "Journaling: no one has written yet."
    if prompt.done >= prompt.of:
        return f"Journaling: all {prompt.of} done."
    return f"Journaling: {prompt.writing} of {prompt.of} writing, {prompt.done} done."


def goround_turn_text(state: GroupState, goround: Any, me_id: int | None, *, guide: bool = True, next_up: bool = True) -> str:
    """``"Sam, it is your turn. Riley is next."``, with the time guide when there is one (and ``guide``);
    without ``next_up`` (the order was just said) who is next is said only to the one who is."""
    whose, after = goround.whose(), goround.next_up()
    if whose is None:
        return "Everyone has had a turn."
    text = f"{_name(state, whose)}, it is your turn." if whose != me_id else "It is your turn."
    if goround.turn_minutes and guide:
        text += f" About {_plural(goround.turn_minutes, 'minute')} each."
    if after is not None:
        if after == me_id:
            text += " You are next."
        elif next_up:
            text += f" {_name(state, after)} is next."
    else:
        text += " This is the last turn."
    if whose == me_id:
        text += " Type /goround pass to pass."
    return text


def kit_sentence(ev: Event, d: dict[str, Any], state: GroupState, me_id: int | None) -> str | None:
    """One sentence for an event of the facilitator's kit, for this reader."""
    t = ev.type
    facilitator = _role(state, me_id) == FACILITATOR
    if t.startswith("journal."):
        prompt = state.journal_prompts.get(int(d.get("prompt_id", 0)))
        title = prompt.title if prompt is not None else "a prompt"
        if t == "journal.opened" and prompt is not None:
            questions = len(prompt.fields)
            asks = f" It asks {questions} questions: " + "; ".join(f"{i}, {q}" for i, q in enumerate(prompt.fields, 1)) + "." if questions > 1 else ""
            if facilitator:  # they wrote the questions: the count, not the list
                count = f" {questions} questions." if questions > 1 else ""
                return f"Journaling open, {minutes_words(prompt.minutes)}: {title}.{count} Each entry is private to its member; you hear counts."
            return f"Journaling, {minutes_words(prompt.minutes)}: {title}.{asks} {JOURNAL_PRIVATE} Type /journal and your words."
        if t == "journal.closed":
            return f"Journaling closed: {title}." + ("" if facilitator else " Your entry stays in your journal; /journal reads it.")
        if t == "journal.written":
            said = f"{'Finished and saved' if d.get('done') else 'Saved'} in your journal: {title}. {JOURNAL_PRIVATE}"
            nxt = journal_next_text(prompt, [str(a) for a in d.get("answers") or []]) if prompt is not None and not d.get("done") else ""
            return f"{said} {nxt}" if nxt else said
        if t == "journal.progress":
            return journal_progress_text(prompt) if prompt is not None else None
        if t == "journal.shared":
            mid, to = int(d.get("member_id", 0)), "the group" if d.get("to") == "group" else "the facilitators"
            if mid == me_id:
                return f"Your entry for {title} is shared with {to}."
            fields = prompt.fields if prompt is not None else []
            return f"Journal entry shared with {to}, {_name(state, mid)}, {title}: {journal_answers_text(fields, [str(a) for a in d.get('answers', [])])}"
        return None
    if t.startswith("goround."):
        found = state.gorounds.get(int(d.get("round_id", ev.seq)))
        if found is None:
            return None
        if t == "goround.started":
            order = ", ".join(_name(state, m) for m in found.order)
            # the order was just said: "Riley is next" again only kept a raised hand waiting (issue 12, speech budget)
            return f"Go-around: {found.question} Order: {order}. {goround_turn_text(state, found, me_id, next_up=False)}"
        if t == "goround.moved":
            mid, how = int(d.get("member_id", 0)), str(d.get("how", "spoke"))
            name = "You" if mid == me_id else _name(state, mid)
            said = {"passed": f"{name} passed.", "skipped": f"{name} {'were' if name == 'You' else 'was'} skipped."}.get(how, "Thank you." if name == "You" else f"Thank you, {name}.")
            # The time guide was said when the round started (and /goround says it again): not at every turn.
            return said if found.whose() is None else f"{said} {goround_turn_text(state, found, me_id, guide=False)}"
        return "Go-around finished: everyone has had a turn." if d.get("complete") else "Go-around ended."
    mid = int(d.get("member_id", 0))
    if t == "member.nudged":
        text = str(d.get("text", "")).strip() or nudge_default(ev.actor_name or "Your facilitator")
        return f"A private nudge from {ev.actor_name or 'your facilitator'}: {text}" if mid == me_id else f"Nudge sent to {_name(state, mid)}: {text}"
    if t == "member.slowed":
        seconds = int(d.get("seconds", 0))
        if mid == me_id:
            if not seconds:
                return "Your pace is no longer limited."
            return (f"{ev.actor_name or 'A facilitator'} has asked you to pace yourself: one line to the group every "
                    f"{_plural(seconds, 'second')}. Private lines to the facilitators are not limited.")
        return f"{_name(state, mid)}'s pace is no longer limited." if not seconds else f"{_name(state, mid)} may write one group line every {_plural(seconds, 'second')}."
    return None


def journal_lines(state: GroupState, member_id: int) -> list[str]:
    """A member's journal, oldest first, each entry in one line (numbered for /journal share)."""
    entries = state.journal_of(member_id)
    lines = [f"Your journal, {_plural(len(entries), 'entry', 'entries')}, oldest first. {JOURNAL_PRIVATE}"]
    for number, entry in enumerate(entries, 1):
        prompt = state.journal_prompts.get(entry.prompt_id)
        fields = prompt.fields if prompt is not None else []
        title = prompt.title if prompt is not None else "a prompt"
        status = ["finished" if entry.done else "not finished"]
        if entry.shared:
            status.append("shared with " + ("the group" if entry.shared == "group" else "the facilitators"))
        lines.append(f"{number}, {title} ({', '.join(status)}): {journal_answers_text(fields, entry.answers) or 'empty'}")
    return lines


def open_prompt_lines(state: GroupState, member_id: int | None) -> list[str]:
    """The open prompt, question by question, with this member's answers so far."""
    prompt = state.open_prompt()
    if prompt is None:
        return []
    entry = state.journal.get((prompt.prompt_id, member_id or 0))
    answers = entry.answers if entry is not None else []
    lines = [f"Open prompt, {minutes_words(prompt.minutes)}: {prompt.title}"]
    if len(prompt.fields) > 1:
        for i, field in enumerate(prompt.fields, 1):
            answer = answers[i - 1] if i - 1 < len(answers) and answers[i - 1] else "not answered"
            lines.append(f"Question {i}, {field}: {answer}")
    elif answers and answers[0]:
        lines.append(f"Your answer: {answers[0]}")
    return lines


def facilitator_journal_lines(state: GroupState) -> list[str]:
    """Each prompt with its counts, and the entries members shared (never an unshared one: this reader never has it)."""
    lines = []
    for prompt in sorted(state.journal_prompts.values(), key=lambda p: p.prompt_id):
        status = "closed" if prompt.closed else "open"
        lines.append(f"{prompt.title} ({status}): " + journal_progress_text(prompt).removeprefix("Journaling: "))
        for entry in sorted((e for e in state.journal.values() if e.prompt_id == prompt.prompt_id and e.shared), key=lambda e: e.member_id):
            to = "the group" if entry.shared == "group" else "the facilitators"
            lines.append(f"Shared with {to}, {_name(state, entry.member_id)}: {journal_answers_text(prompt.fields, entry.answers)}")
    return lines or [NO_PROMPTS]


def goround_lines(state: GroupState, me_id: int | None) -> list[str]:
    """The running go-around: its question, whose turn, and how each turn went."""
    found = state.goround()
    if found is None:
        return [NO_GOROUND]
    lines = [f"Go-around: {found.question}", goround_turn_text(state, found, me_id)]
    done = [f"{_name(state, m)} {found.outcomes[m]}" for m in found.order if m in found.outcomes]
    if done:
        lines.append("So far: " + ", ".join(done) + ".")
    return lines


def airtime_lines(state: GroupState, phase: str | None = None) -> list[str]:
    """``"Sam 41% of words; Riley has not spoken"``: this session's (or phase's) airtime, most words first."""
    session = state.session
    if session is None:
        return [NO_SESSION_AIRTIME]
    said = _members_airtime(state, state.airtime_of(session.session_id, phase))
    total = sum(a.words for a in said.values())
    where = f"in {phase_name(phase)}" if phase else "this session"
    people = [e for e in state.roster.values() if not e.removed and (e.role == PARTICIPANT or e.member_id in said or (e.role == GUEST and state.visited(e.member_id)))]
    spoken = sorted((e for e in people if e.member_id in said), key=lambda e: -said[e.member_id].words)
    lines = [f"Airtime {where}, group chat, {_plural(total, 'word')} in all:"]
    for e in spoken:
        a = said[e.member_id]
        share = round(100 * a.words / total) if total else 0
        lines.append(f"{e.name} {share}% of words: {_plural(a.lines, 'line')}, {_plural(a.words, 'word')}, {_plural(a.turns, 'turn')}.")
    silent = sorted((e.name for e in people if e.member_id not in said), key=str.casefold)
    for name in silent:
        lines.append(f"{name} has not spoken.")
    return lines


def hands_quietest_lines(state: GroupState) -> list[str]:
    """The raised hands served quietest first (fewest words this session), with the queue order said too."""
    if not state.hands:
        return [NO_HANDS]
    said = state.airtime_of(state.session.session_id if state.session else None)
    order = state.quietest_first(list(state.hands))
    lines = ["Raised hands, quietest first:"]
    for mid in order:
        words_said = said[mid].words if mid in said else 0
        lines.append(f"{_name(state, mid)}: {_plural(words_said, 'word')} this session, number {state.hands.index(mid) + 1} in the queue.")
    return lines


def airtime_shares(state: GroupState) -> dict[int, tuple[int, str]]:
    """Each participant's (words, "41% of words") in the live session, for the People pane; {} with no session."""
    if state.session is None:
        return {}
    said = _members_airtime(state, state.airtime_of(state.session.session_id))
    total = sum(a.words for a in said.values())
    out = {}
    for e in state.roster.values():
        if e.role == FACILITATOR or e.removed or (e.role == GUEST and e.member_id not in said and not state.visited(e.member_id)):
            continue
        a = said.get(e.member_id)
        out[e.member_id] = (a.words, f"{round(100 * a.words / total) if total else 0}% of words") if a is not None else (0, "has not spoken")
    return out


def airtime_order_text(on: bool) -> str:
    return "People by airtime, quietest first." if on else "People by role and name."


def planned_kit_lines(what: str, items: Any) -> list[str]:
    """The plan's prepared journaling prompts or go-arounds, numbered."""
    noun, typed = ("Prepared journaling prompt", "/journal plan") if what == "journal" else ("Prepared go-around", "/goround plan")
    return [f"{noun} {i}: {item.describe()}; type {typed} {i}." for i, item in enumerate(items, 1)]


def _members_airtime(state: GroupState, said: dict[int, Any]) -> dict[int, Any]:
    """Airtime of the members only: the facilitators' own words are not the group's share."""
    return {mid: a for mid, a in said.items() if (entry := state.roster.get(mid)) is None or entry.role != FACILITATOR}
# -- between sessions: attendance, family sessions, personal homework, the peer space (issue 15 B) --

#: Event types whose sentence is :func:`between_sentence`.
BETWEEN_EVENTS = ("attendance.recorded", "guest.waiting", "feed.posted", "feed.deleted", "resource.pinned", "resource.unpinned")
#: Said to a guest who connected before a facilitator let them in.
GUEST_WAITING = "You are in the waiting room of the family session; a facilitator will let you in. Nothing of the group is shown until then."
#: Said to a guest once a facilitator let them in.
LET_IN = "A facilitator let you in: welcome to the family session."
#: Said to a guest when their family session ends.
INVITATION_ENDED = "The family session has ended, and your invitation with it; thank you for coming."
ADMIT_USAGE = "Type /admit and the guest's name, such as /admit Ana."
NOBODY_WAITING = "Nobody is waiting to be let in."
FEED_DELETE_USAGE = "Type /feed delete and the post's number; /feed lists them."
FEED_USAGE = "Type /share and a few words for the group's between-session feed, such as /share slept better this week."
NO_FEED = "Nobody has posted to the between-session feed yet; /share posts to it."
PIN_USAGE = 'Type /pin "Title" and a link or a short text, such as /pin "Crisis line" call or text 988.'
UNPIN_USAGE = "Type /unpin and the resource's number; /resources lists them."
NO_RESOURCES = "No resources are pinned yet."
NO_ATTENDANCE = "No attendance is recorded yet: it is recorded when a session ends; iop-server attendance exports it."
START_KIND_USAGE = "A session's kind is group, family, workshop or individual, such as /start --family Family evening."
LINKS_NOT_OPENED = "Links are shown as text and never opened; copy one into your browser if you want it."


def guest_present_text(names: list[str]) -> str:
    """What a guest hears for /who: the first names of those present, nothing more."""
    if not names:
        return "Nobody else is here yet."
    return "Here: " + ", ".join(names) + "."


def assigned_text(state: GroupState, hw: Homework) -> str:
    """Personal homework, by whom it is for: ``"for Sam and Alex"``; "" for the whole group's."""
    if hw.assigned_to is None:
        return ""
    names = [state.name_of(m) for m in hw.assigned_to]
    return "for " + (", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0])


def kind_name(kind: str) -> str:
    """``"family session"``."""
    return f"{kind} session"


def personal_homework_text(title: str, due: str, state: GroupState, subject: int | None, me_id: int | None) -> str:
    """Personal homework, said to the member it is for or to a facilitator."""
    if subject == me_id:
        return f"Homework for you: {title}, due {due_text(due)}."
    return f"Homework assigned to {_name(state, subject)}: {title}, due {due_text(due)}."


def waiting_text(name: str) -> str:
    """``"Ana (guest) is waiting: /admit Ana"``."""
    return f"{name} (guest) is waiting: /admit {name.split()[0] if name.split() else name}"


def attendance_row_text(row: Any) -> str:
    """``"Sam: 52 minutes, 18:02 to 18:54, late by 12 minutes"`` (times in the reader's local time)."""
    if row.absent:
        return f"{row.name}: absent"
    span = f"{_dt.datetime.fromtimestamp(row.joined).strftime('%H:%M')} to {_dt.datetime.fromtimestamp(row.left).strftime('%H:%M')}"
    late = f", late by {_plural(row.late_minutes, 'minute')}" if row.late else ""
    return f"{row.name}: {_plural(row.minutes, 'minute')}, {span}{late}"


def attendance_summary(rows: list[Any]) -> str:
    """``"3 of 4 participants came; late: Alex; absent: Riley."``"""
    people = [r for r in rows if r.role == "participant"]
    came = [r for r in people if not r.absent]
    late = [r.name for r in people if r.late]
    absent = [r.name for r in people if r.absent]
    text = f"{len(came)} of {_plural(len(people), 'participant')} came"
    if late:
        text += "; late: " + ", ".join(late)
    if absent:
        text += "; absent: " + ", ".join(absent)
    return text + "."


def attendance_lines(state: GroupState, session_id: int | None = None) -> list[str]:
    """The attendance of one session (default: the newest recorded), a line per member."""
    if session_id is None:
        info, rows = state.last_attendance()
    else:
        info = next((s for s in state.sessions if s.session_id == session_id), None)
        rows = state.attendance.get(session_id, [])
    if info is None or not rows:
        return [NO_ATTENDANCE]
    return [f"Attendance of {info.title}: {attendance_summary(rows)}", *(attendance_row_text(r) for r in rows)]


def live_rows(model: Any) -> list[Any] | None:
    """The live session's attendance so far, if the relay sent it (facilitators), else None."""
    live, state = getattr(model, "live_attendance", None), model.state
    if live is None or state.session is None or live[0] != state.session.session_id:
        return None
    rows: list[Any] = live[1]
    return rows


def attendance_now_lines(model: Any, session_id: int | None = None) -> list[str]:
    """/attendance: the live session so far (when one runs and no number is given), else a record."""
    rows = live_rows(model) if session_id is None else None
    if rows is None:
        return attendance_lines(model.state, session_id)
    people = [r for r in rows if r.role == "participant"]
    late = [r.name for r in people if r.late]
    waiting = [r.name for r in people if r.absent]
    head = f"Attendance so far of {model.state.session.title}: {len(people) - len(waiting)} of {_plural(len(people), 'participant')} came"
    head += ("; late: " + ", ".join(late) if late else "") + ("; not here yet: " + ", ".join(waiting) if waiting else "") + "."
    lines = [head]
    for r in rows:
        if r.absent:
            lines.append(f"{r.name}: not here yet")
        else:
            since = _dt.datetime.fromtimestamp(r.joined).strftime("%H:%M")
            lines.append(f"{r.name}: came {since}" + (f", late by {_plural(r.late_minutes, 'minute')}" if r.late else ""))
    return lines


def person_attendance(state: GroupState, member_id: int, live: list[Any] | None = None) -> str:
    """A facilitator's People pane: this member in the live session so far (``live``), else at
    the newest recorded session ("" if none). Never a running count: it changes only when they come or go."""
    if live is not None:
        row = next((r for r in live if r.member_id == member_id), None)
        if row is None:
            return ""
        if row.absent:
            return "not here yet"
        since = _dt.datetime.fromtimestamp(row.joined).strftime("%H:%M")
        return f"came {since}" + (f", late by {row.late_minutes} min" if row.late else "")
    _, rows = state.last_attendance()
    row = next((r for r in rows if r.member_id == member_id), None)
    if row is None:
        return ""
    if row.absent:
        return "last session: absent"
    return f"last session: {_plural(row.minutes, 'minute')}" + (f", late by {row.late_minutes}" if row.late else "")


def feed_lines(state: GroupState, count: int = 20) -> list[str]:
    """The newest posts of the between-session feed, oldest first."""
    posts = state.feed[-count:]
    if not posts:
        return [NO_FEED]
    first = len(state.feed) - len(posts) + 1
    return [f"Between-session feed, {_plural(len(posts), 'post')}, oldest first:",
            *(f"{n}. {p.name}, {_dt.datetime.fromtimestamp(p.ts).strftime('%a %d %b %H:%M')}: {p.text}" for n, p in enumerate(posts, first))]


def resource_lines(state: GroupState) -> list[str]:
    """The pinned resources, numbered; a link is text (never opened)."""
    items = [state.resources[k] for k in sorted(state.resources)]
    if not items:
        return [NO_RESOURCES]
    lines = [f"Pinned resources, {_plural(len(items), 'resource')}:"]
    for i, r in enumerate(items, 1):
        parts = [r.title]
        if r.link:
            parts.append(f"link: {r.link}")
        if r.text:
            parts.append(r.text)
        lines.append(f"{i}. " + "; ".join(parts))
    return lines


def between_sentence(ev: Event, d: dict[str, Any], state: GroupState, me_id: int | None) -> str | None:
    t = ev.type
    if t == "attendance.recorded":
        rows = state.attendance.get(int(d.get("session_id", 0)), [])
        return f"Attendance recorded: {attendance_summary(rows)} /attendance reads it." if rows else None
    if t == "guest.waiting":
        return waiting_text(_name(state, int(d.get("member_id", 0))))
    if t == "feed.posted":
        mid = int(d.get("member_id", 0))
        who = "You" if mid == me_id else _name(state, mid, ev.actor_name)
        return f"Feed, {who}: {d.get('text', '')}"
    if t == "resource.pinned":
        link = f", link: {d.get('link')}" if d.get("link") else ""
        return f"Resource pinned: {d.get('title', '')}{link}. /resources lists them."
    if t == "resource.unpinned":
        return "A resource was unpinned."
    if t == "feed.deleted":
        return "A facilitator removed a post from the feed."
    return None
# -- schedules and reminders (issue 15a) ------------------------------------------------
# Sessions are said in the group's time zone (the schedule frame's), named when it is not this machine's.

SCHEDULE_NONE = "No sessions are planned yet; your facilitator adds them."
SCHEDULE_NOT_YET = "The schedule has not arrived yet; try again in a moment."
SCHEDULE_USAGE = "Type /schedule to list the coming sessions, or /schedule ics PATH to save them as a calendar file."
REMINDERS_USAGE = (
    "Type /reminders on or off, /reminders email ADDRESS, /reminders sms NUMBER, "
    "/reminders before 2h, or /reminders quiet 22:00 to 07:00; 'off' removes an address or the quiet hours."
)
REMINDERS_GUEST = "Guests do not get reminders; your facilitator tells you when the family session is."


def session_when_text(start: float, tz: Any) -> str:
    """``"Tuesday 18:00"`` this week, ``"Tuesday 8 December 18:00"`` further on, in the group's zone."""
    when = _dt.datetime.fromtimestamp(start, tz)
    today = _dt.datetime.now(tz).date()
    if 0 <= (when.date() - today).days < 7:
        day = "Today" if when.date() == today else f"{when:%A}"
        return f"{day} {when:%H:%M}"
    return f"{when:%A} {when.day} {when:%B} {when:%H:%M}"


def _zone_note(view: Any) -> str:
    here = _dt.datetime.now().astimezone().tzinfo
    there = _dt.datetime.now(view.zone)
    return "" if there.utcoffset() == _dt.datetime.now(here).utcoffset() else f" ({view.tz} time)"


def next_session_text(view: Any, now: float) -> str:
    """``"Next: Tuesday 18:00, group session."``, or that none is planned."""
    from protocol.schedule import next_session

    occ = next_session(view, now)
    if occ is None:
        return "Next: no session planned."
    live = " (now)" if occ.start <= now else ""
    return f"Next: {session_when_text(occ.start, view.zone)}{live}, {occ.kind} session{_zone_note(view)}."


def next_session_short(view: Any, now: float) -> str:
    """The header's form: ``"Next: Tuesday 18:00, group"`` (no zone; /schedule says it)."""
    from protocol.schedule import next_session

    occ = next_session(view, now)
    return "Next: none planned" if occ is None else f"Next: {session_when_text(occ.start, view.zone)}, {occ.kind}"


def schedule_lines(view: Any, now: float) -> list[str]:
    """What /schedule says: the coming sessions, one a line, cancelled ones marked; then the reminders."""
    from protocol.schedule import coming

    sessions = coming(view, now)
    if not sessions:
        return [SCHEDULE_NONE, *reminder_lines(view)]
    lines = [f"Coming sessions of {view.label}, {_plural(len(sessions), 'session')}, in {view.tz} time:"]
    for occ in sessions:
        end = _dt.datetime.fromtimestamp(occ.start + occ.minutes * 60, view.zone)
        state = ", cancelled" if occ.cancelled else ""
        lines.append(f"{session_when_text(occ.start, view.zone)} to {end:%H:%M}, {occ.kind} session{state}.")
    lines.append(f"How to join: {view.join}")
    return lines + reminder_lines(view)


def reminder_lines(view: Any) -> list[str]:
    """A member's own reminder choices, in words."""
    prefs = view.reminders
    if prefs is None:
        return []
    if not prefs.consent:
        return ["Reminders: off; nothing is sent. /reminders on turns them on."]
    channels = [f"email to {prefs.email}" if prefs.email else "", f"text messages to {prefs.sms}" if prefs.sms else ""]
    by = " and ".join(c for c in channels if c) or "no address yet (/reminders email ADDRESS or /reminders sms NUMBER)"
    quiet = f"; quiet hours {prefs.quiet_text}" if prefs.quiet else ""
    return [f"Reminders: on, by {by}, {lead_text(prefs.lead)} before each session and homework deadline{quiet}."]


def lead_text(minutes: int) -> str:
    """``90`` -> ``"1 hour 30 minutes"``."""
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [_plural(days, "day") if days else "", _plural(hours, "hour") if hours else "", _plural(mins, "minute") if mins else ""]
    return " ".join(p for p in parts if p)


def calendar_saved_text(path: str, count: int) -> str:
    return f"Saved {_plural(count, 'session')} to {path}; open it with your calendar."


def calendar_failed_text(path: str, reason: str) -> str:
    return f"Could not write {path} ({reason}); choose another place, like /schedule ics ~/schedule.ics."


def reminders_changed_text(d: dict[str, Any], whose: str | None) -> str:
    """A ``reminders.changed`` event: what changed, never an address (``whose`` None: one's own)."""
    parts = []
    if d.get("consent") is not None:
        parts.append("on" if d["consent"] else "off")
    for key, name in (("email", "email address"), ("sms", "phone number")):
        if d.get(key) == "set":
            parts.append(f"{name} saved")
        elif d.get(key) == "removed":
            parts.append(f"{name} removed")
    if isinstance(d.get("lead"), int):
        parts.append(f"{lead_text(d['lead'])} before")
    if d.get("quiet") is not None:
        parts.append(f"quiet hours {d['quiet']}" if d["quiet"] else "no quiet hours")
    said = "; ".join(parts) or "unchanged"
    return f"Your reminders: {said}." if whose is None else f"Reminders, {whose}: {said}."
# -- small rooms: breakout rooms and role-play (issue 13) ------------------------------------
#
# Every line says which room it came from when it is not the reader's own ("Room 2 chat,
# Sam: ...", "Main room chat, Dana: ..."), a line in character names the role ("Chat, Sam as
# the manager: ..."), and a member is told, in words, which room they are in and what their
# role is, whenever that changes and on /rooms and /role.

SMALLROOM_EVENTS = frozenset({
    "breakout.opened", "room.opened", "room.joined", "room.left", "room.visited", "room.warned", "room.drafted",
    "breakout.broadcast", "breakout.closed", "roleplay.started", "roleplay.cue", "roleplay.noted", "roleplay.ended",
    "roleplay.shared",
})
NO_BREAKOUT = "No breakout rooms are open."
BREAKOUT_USAGE = "Type /breakout, the number of rooms and minutes, then random, hand or kept, and an optional prompt, for example /breakout 2 8 random Name one trigger; /breakout plan lists the plan's rounds."
ROOM_USAGE = "Type /room and a room number to join it, or /room main to come back to the main room."
PLACE_USAGE = "Type /place, a member's name and a room number (0 or main for the main room), for example /place Sam 2."
BROADCAST_USAGE = "Type /broadcast and one line for every room."
SUMMARY_USAGE = "Type /summary and your room's short summary; it is posted to the main chat at the recall."
ROLEPLAY_USAGE = "Type /roleplay plan to hear the plan's scenarios, /roleplay plan N to start one, adding rooms for one scene in each room and NAME=ROLE to cast by hand, such as Sam=2."
SAY_USAGE = "Type /say and a line to speak in character."
OBSERVE_USAGE = "Type /observe and your note; only you and the facilitators read it until you /observe share."
NO_PLANNED_BREAKOUTS = "The plan has no breakout rounds; open one with /breakout 2 8 random."
NO_PLANNED_SCENARIOS = "The plan has no role-play scenarios."
NO_SCENE = "No role-play is running here."
NO_PART = "You have no part in a role-play now."
IN_ROLE_OFF = "Out of role: your lines are your own again."
OBSERVER_HAS_NO_LINES = "You are observing this scene: write notes with /observe, or chat as yourself."


def in_role_text(role: str) -> str:
    return f"In character as {role}: every line you type is said in role until /out."


def speaker(name: str, as_role: str) -> str:
    """``"Sam as the manager"`` for a line in character; ``"Sam"`` otherwise."""
    return f"{name} as {as_role}" if as_role else name


def room_name(number: int) -> str:
    return f"room {number}" if number else "the main room"


def room_tag(line_room: int, state: GroupState, me_id: int | None) -> str:
    """Where a line came from, when it is not the reader's own room: ``"Room 2"``, ``"Main room"``; else ``""``."""
    if line_room == state.room_of(me_id):
        return ""
    return f"Room {line_room}" if line_room else "Main room"


def _names(state: GroupState, ids: list[int], me_id: int | None) -> str:
    names = ["you" if m == me_id else _name(state, m) for m in ids]
    if not names:
        return "no one"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _with(state: GroupState, ids: list[int], me_id: int | None) -> str:
    others = [m for m in ids if m != me_id]
    return f"with {_names(state, others, me_id)}" if others else "on your own for now"


def _ends(state: GroupState) -> str:
    bo = state.breakout
    return f", until {clock_text(bo.ends_at)}" if bo is not None else ""


def line_room_tag(room: int | None) -> str:
    """A chat row's room, the same whoever reads it and whenever (the full-screen log never
    rewrites a row): ``"Room 2"``; ``"Main room"`` for a line said while rooms were open; else ``""``."""
    if room is None:
        return ""
    return f"Room {room}" if room else "Main room"


def smallroom_chat_line(d: dict[str, Any], name: str, state: GroupState, me_id: int | None) -> str:
    """A group chat line as the reader hears it: its room (when not theirs) and role first."""
    text = chat_line(str(d.get("text", "")), speaker(name, str(d.get("as", ""))), "group", bool(d.get("me", False)))
    tag = room_tag(int(d.get("room") or 0), state, me_id)
    return f"{tag} {text[0].lower()}{text[1:]}" if tag else text


def smallroom_sentence(ev: Event, d: dict[str, Any], state: GroupState, me_id: int | None) -> str | None:
    """One sentence for a small-rooms event (or a group chat line in a room or in character)."""
    t = ev.type
    actor = ev.actor_name or _name(state, ev.actor)
    room = int(d.get("room") or 0)
    mid = int(d.get("member_id") or 0)
    facilitator = _role(state, me_id) == FACILITATOR
    if t == "chat.posted":
        return smallroom_chat_line(d, _name(state, mid, actor), state, me_id)
    if t == "breakout.opened":
        prompt = str(d.get("prompt", "")).strip()
        text = f"Breakout rooms open: {_plural(int(d.get('rooms', 0)), 'room')} for {d.get('minutes')} minutes{_ends(state)}."
        return f"{text} Prompt: {prompt}" if prompt else text
    if t == "room.opened":
        members = [int(m) for m in d.get("members", [])]
        if me_id in members:
            return f"You are in room {room}, {_with(state, members, me_id)}. Your chat now goes to room {room} only."
        return f"Room {room}: {_names(state, members, me_id)}."
    if t == "room.joined":
        members = [int(m) for m in d.get("members", [])]
        if mid == me_id:
            return f"You are now in room {room}, {_with(state, members, me_id)}. Your chat goes to room {room} only."
        return f"{_name(state, mid)} is now in room {room}."
    if t == "room.left":
        to = int(d.get("to") or 0)
        if mid == me_id:
            return f"You left room {room}." + (" You are back in the main room." if not to else "")
        return f"{_name(state, mid)} left room {room}" + (" for the main room." if not to else ".")
    if t == "room.visited":
        if mid == me_id:
            if d.get("left"):
                return f"You left room {room}; your chat goes to the main room."
            return f"You joined room {room}: its members are told, and your chat goes to room {room}. /room main brings you back."
        who = _name(state, mid, actor)
        return f"{who} left room {room}." if d.get("left") else f"Facilitator {who} joined room {room}."
    if t == "room.warned":
        return f"2 minutes left in room {room}." if not facilitator else f"Room {room}: 2 minutes left."
    if t == "room.drafted":
        tag = "Your room's" if state.room_of(me_id) == room else f"Room {room}"
        return f"{tag} summary draft, {_name(state, mid, actor)}: {d.get('text', '')}"
    if t == "breakout.broadcast":
        return f"Broadcast to every room, {actor}: {d.get('text', '')}"
    if t == "breakout.closed":
        head = "Time is up" if d.get("reason") == "time" else "Breakout rooms recalled"
        text = f"{head}: everyone is back in the main room."
        for item in d.get("summaries", []):
            text += f" Room {int(item.get('room', 0))} summary: {str(item.get('text', '')).rstrip('.')}."
        return text
    if t == "roleplay.started":
        where = f" in room {room}" if room else ""
        setting = str(d.get("setting", "")).strip()
        cast = d.get("cast", [])
        parts = [f"{_name(state, int(c['member_id']))} {'observing' if _observer_role(d, str(c['role'])) else 'as ' + str(c['role'])}" for c in cast if int(c["member_id"]) != me_id]
        text = f"Role-play{where}: {d.get('title', '')}." + (f" {setting}" if setting else "")
        if parts:
            text += " Cast: " + ", ".join(parts) + "."
        mine = next((str(c["role"]) for c in cast if int(c["member_id"]) == me_id), None)
        if mine is not None:
            text += " You are the observer; /role reads your card." if _observer_role(d, mine) else f" You play {mine}; /role reads your cue card."
        elif facilitator and cast:
            text += " " + cue_cards_sent_text(len(cast))  # the cards that follow are not said one by one
        return text
    if t == "roleplay.cue":
        role, cue = str(d.get("role", "")), str(d.get("cue", "")).strip()
        if mid != me_id:
            return None  # a facilitator's copy: said once, with the count, in the scene's start line
        card = f" Cue card: {cue}" if cue else ""
        if d.get("observer"):
            watch = "; ".join(str(c) for c in d.get("checklist", []))
            return f"Your role: {role}.{card}" + (f" Watch for: {watch}." if watch else "") + " /observe and a note writes to the facilitators; /observe share shares your notes with the group."
        return f"Your role: {role}.{card} /say and a line speaks in character; /in speaks every line in character until /out."
    if t == "roleplay.noted":
        if mid == me_id:
            return f"Your observer note, for the facilitators: {d.get('text', '')}"
        return f"Observer note, {_name(state, mid, actor)}: {d.get('text', '')}"
    if t == "roleplay.ended":
        where = f" in room {room}" if room else ""
        questions = [str(q) for q in d.get("debrief", [])]
        text = f"Role-play ended{where}: everyone is out of role."
        if questions:
            text += " Debrief: " + " ".join(f"{i}. {q}" for i, q in enumerate(questions, 1))
        return text
    if t == "roleplay.shared":
        notes = "; ".join(str(n).rstrip(".") for n in d.get("notes", []))
        return f"Observer notes shared, {_name(state, mid, actor)}: {notes}."
    return None


def _observer_role(d: dict[str, Any], role: str) -> bool:
    return any(r.get("name") == role and r.get("observer") for r in d.get("roles", []))


def room_list_lines(state: GroupState, me_id: int | None) -> list[str]:
    """One short line per room, for a facilitator's room bar (/rooms reads the drafts whole)."""
    bo = state.breakout
    if bo is None:
        return []
    lines = []
    for room in sorted(bo.rooms.values(), key=lambda r: r.number):
        line = f"Room {room.number}: {_names(state, room.members, me_id)}"
        if room.visitors:
            line += f"; {_names(state, room.visitors, me_id)} joined"
        lines.append(line + ("; summary drafted." if room.summary else "."))
    return lines


def room_status_text(state: GroupState, me_id: int | None) -> str:
    """The one line saying where the reader is: ``"Room 2 of 2, with Sam, until 14:32"``; ``""`` with no rooms open."""
    bo = state.breakout
    if bo is None:
        return ""
    number = state.room_of(me_id)
    if not number:
        return f"Main room; {_plural(bo.count, 'breakout room')} open{_ends(state)}"
    room = bo.rooms.get(number)
    members = room.members if room is not None else []
    return f"Room {number} of {bo.count}, {_with(state, members, me_id)}{_ends(state)}"


def role_status_text(state: GroupState, me_id: int | None) -> str:
    """``"In role-play as the manager"``, ``"Observing the role-play"``, or ``""``."""
    scene = state.scene_for(me_id)
    if scene is None or me_id is None or me_id not in scene.cast:
        return ""
    if me_id in scene.observers:
        return f"Observing the role-play {scene.title}"
    return f"Playing {scene.cast[me_id]} in {scene.title}"


def rooms_lines(state: GroupState, me_id: int | None) -> list[str]:
    """/rooms: where the reader is and, for facilitators, every room."""
    bo = state.breakout
    if bo is None:
        return [NO_BREAKOUT]
    lines = [room_status_text(state, me_id) + "."]
    if bo.prompt:
        lines.append(f"Prompt: {bo.prompt}")
    if _role(state, me_id) == FACILITATOR:
        for room in sorted(bo.rooms.values(), key=lambda r: r.number):
            line = f"Room {room.number}: {_names(state, room.members, me_id)}"
            if room.visitors:
                line += f"; facilitator here: {_names(state, room.visitors, me_id)}"
            if room.summary:
                line += f"; summary draft: {room.summary.rstrip('.')}"
            lines.append(line + ".")
        waiting = [e.member_id for e in state.active_participants() if e.status == "online" and not state.room_of(e.member_id)]
        if waiting:
            lines.append(f"In the main room: {_names(state, waiting, me_id)}. /place NAME N puts someone in a room.")
    else:
        mine = bo.rooms.get(state.room_of(me_id))
        if mine is not None and mine.summary:
            lines.append(f"Summary draft: {mine.summary}")
        elif mine is None:
            lines.append("You are in the main room; the facilitator will place you in a room.")
    return lines


def role_lines(state: GroupState, me_id: int | None) -> list[str]:
    """/role: the reader's part and cue card; for facilitators, every scene's cast."""
    if _role(state, me_id) == FACILITATOR:
        scenes = [s for s in sorted(state.scenes.values(), key=lambda s: s.room) if not s.ended]
        if not scenes:
            return [NO_SCENE]
        lines = []
        for scene in scenes:
            cast = ", ".join(f"{_name(state, m)} {'observing' if m in scene.observers else 'as ' + r}" for m, r in sorted(scene.cast.items()))
            lines.append(f"{scene.title} in {room_name(scene.room)}: {cast}.")
        return lines
    part = state.scene_for(me_id)
    if part is None or me_id is None or me_id not in part.cast:
        return [NO_PART]
    lines = [role_status_text(state, me_id) + "."]
    if part.setting:
        lines.append(f"Setting: {part.setting}")
    card = part.cues.get(me_id)
    if card is not None and card.cue:
        lines.append(f"Cue card: {card.cue}")
    if card is not None and card.checklist:
        lines.append("Watch for: " + "; ".join(card.checklist) + ".")
    others = [f"{_name(state, m)} {'observing' if m in part.observers else 'as ' + r}" for m, r in sorted(part.cast.items()) if m != me_id]
    if others:
        lines.append("Cast: " + ", ".join(others) + ".")
    return lines


def planned_breakout_lines(plan: Any) -> list[str]:
    rounds = getattr(plan, "breakouts", ())
    if not rounds:
        return [NO_PLANNED_BREAKOUTS]
    return [f"Prepared breakout {i}: {b.describe()}" for i, b in enumerate(rounds, 1)]


def planned_scenario_lines(plan: Any) -> list[str]:
    scenarios = getattr(plan, "scenarios", ())
    if not scenarios:
        return [NO_PLANNED_SCENARIOS]
    return [f"Prepared role-play {i}: {s.describe()}" for i, s in enumerate(scenarios, 1)]


IN_ROLE_KEY_ON = "In character: your lines are said in role until Ctrl+R."


def room_bar_lines(model: Any, in_role: bool) -> list[str]:
    """The full-screen chat pane's room bar: where you are, your part; every room for facilitators."""
    state, me_id = model.state, model.me_id
    lines = []
    where = room_status_text(state, me_id)
    if where:
        lines.append(f"You are in: {where}.")
    part = role_status_text(state, me_id)
    if part:
        mode = " Typing in character; Ctrl+R steps out." if in_role else " Ctrl+R speaks in character."
        lines.append(part + "." + (mode if part.startswith("Playing") else ""))
    if model.is_facilitator:
        lines.extend(room_list_lines(state, me_id))
    return lines
# -- shared boards, mood over sessions, the timed agenda (issue 14 part B) ------------------

_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")


def count_words(count: int, one: str, many: str | None = None) -> str:
    """``"four sessions"``: small counts in words (a screen reader says them the same), larger in digits."""
    number = _NUMBER_WORDS[count] if 0 <= count < len(_NUMBER_WORDS) else f"{count:,}"
    return f"{number} {one if count == 1 else (many or one + 's')}"


BOARD_HINT = "Type /card, a column's number and your words to add a card; /board reads the board."
BOARD_USAGE = 'Write it like this: /board open "What helps" What helps; What I will try; add anonymous at the end for an anonymous board.'
NO_BOARD = "No board is open; the facilitator opens one with /board open."
CARD_USAGE = "Type /card, the column's number or first word, and your card, for example /card 1 Walking after dinner."
PLUS_USAGE = "Type /plus and the card's number, for example /plus 3; /board shows the numbers."
CARD_EDIT_USAGE = "Type /card edit, the card's number and its new words, for example /card edit 3 A walk after dinner."
CARD_NUMBER_USAGE = "Type /card {what} and the card's number, for example /card {what} 3{more}."
NO_PLANNED_BOARDS = "The plan prepares no board; type /board open to open one."
BOARD_STAYS = "The board stays as it is."
MOODS_NONE = "No check-in moods yet."
MOODS_NONE_GROUP = "No member has checked in with a mood yet."
NO_AGENDA = "No planned minutes: add an [agenda] table to the session plan, such as exercises = 20."


def board_anonymity_text(board: Any) -> str:
    return "anonymous: no member sees who wrote a card" if board.anonymous else "named: each card shows who wrote it"


def column_text(board: Any, column: int) -> str:
    """``"column 2, What I will try"``."""
    title = board.columns[column] if 0 <= column < len(board.columns) else "?"
    return f"column {column + 1}, {title}"


def no_column_text(board: Any, typed: str) -> str:
    names = "; ".join(f"{i + 1} {c}" for i, c in enumerate(board.columns))
    return f"The board has no column {typed!r}; choose one by number or first word: {names}."


def no_card_text(number: Any) -> str:
    return f"There is no card {number} on the board; type /board to see the cards and their numbers."


def not_your_card_text(number: int, doing: str) -> str:
    return f"Card {number} is not yours; you can {doing} only your own cards."


def board_clear_question(board: Any, column: int | None) -> str:
    where = f"{column_text(board, column)} of the board {board.title}" if column is not None else f"the whole board {board.title}"
    count = len(board.live_cards(column))
    goes = "goes from the board (it stays" if count == 1 else "go from the board (they stay"
    return f"Clear {where}? Its {count_words(count, 'card')} {goes} in the session's log)."


def card_line(card: Any, board: Any, state: GroupState, me_id: int | None, *, facilitator: bool = False) -> str:
    """``"Card 3: Walking after dinner. 2 +1s, yours."``: one card, every state in words."""
    parts = [f"Card {card.number}: {card.text}"]
    if card.merged:
        parts.append("Also: " + "; ".join(card.merged))
    details = []
    if card.plus:
        details.append(_plural(card.plus, "+1", "+1s"))
    if me_id is not None and me_id in card.plus_by:
        details.append("you gave a +1")
    if card.author is not None and card.author == me_id:
        details.append("yours")
    elif card.author is not None and (facilitator or not board.anonymous):
        details.append(f"by {_name(state, card.author)}")  # on an anonymous board only facilitators read this (the head line says so)
    text = " ".join(p if p.endswith((".", "?", "!")) else p + "." for p in parts)
    said = ", ".join(details)
    return f"{text} {said[0].upper()}{said[1:]}." if details else text


def board_lines(state: GroupState, me_id: int | None) -> list[str]:
    """The current board as an outline: a head line, each column, each card."""
    board = state.current_board()
    if board is None:
        return [NO_BOARD]
    facilitator = _role(state, me_id) == FACILITATOR
    cards = board.live_cards()
    seen = "; as a facilitator you see who wrote each" if facilitator and board.anonymous else ""
    lines = [f"Board: {board.title}, {board_anonymity_text(board)}{seen}; {count_words(len(board.columns), 'column')}, {count_words(len(cards), 'card')}."]
    for index, title in enumerate(board.columns):
        column = board.live_cards(index)
        lines.append(f"Column {index + 1}, {title}: {count_words(len(column), 'card')}" + (":" if column else "."))
        lines.extend("  " + card_line(c, board, state, me_id, facilitator=facilitator) for c in column)
    return lines


def _board_of(state: GroupState, card_id: Any) -> tuple[Any, Any]:
    card = state.card(int(card_id or 0))
    return (state.boards.get(card.board_id) if card is not None else None), card


def board_sentence(ev: Event, d: dict[str, Any], state: GroupState, me_id: int | None) -> str | None:
    """One sentence per board event (``card.author`` and ``card.plus_by`` say nothing: the outline shows them)."""
    t = ev.type
    if t == "board.opened":
        board = state.boards.get(int(d.get("board_id", ev.seq)))
        if board is None:
            return None
        columns = "; ".join(f"{i + 1} {c}" for i, c in enumerate(board.columns))
        return f"Board open: {board.title}, {board_anonymity_text(board)}. Columns: {columns}."
    if t == "board.cleared":
        board = state.boards.get(int(d.get("board_id", 0)))
        if board is None:
            return None
        column = d.get("column")
        if column is None:
            return f"Board cleared: {board.title}."
        return f"Board {board.title}: {column_text(board, int(column))} cleared."
    board, card = _board_of(state, d.get("card_id"))
    if board is None or card is None:
        return None
    mine = card.author is not None and card.author == me_id
    if t == "card.added":
        whose = "Your card" if mine else "Card"
        known = not board.anonymous or _role(state, me_id) == FACILITATOR
        by = f", by {_name(state, card.author)}" if card.author is not None and not mine and known else ""
        return f"{whose} {card.number}, {board.columns[card.column] if card.column < len(board.columns) else ''}{by}: {card.text}"
    if t == "card.edited":
        return f"Card {card.number} edited: {card.text}"
    if t == "card.removed":
        return f"Card {card.number} removed from the board."
    if t == "card.moved":
        return f"Card {card.number} moved to {column_text(board, card.column)}."
    if t == "card.plussed":
        who = d.get("member_id")
        if who is not None and who == me_id:
            return f"Your +1 for card {card.number} is in; it has {_plural(card.plus, '+1', '+1s')}."
        by = f" from {_name(state, int(who))}" if who is not None else ""
        return f"+1{by} for card {card.number}; it has {_plural(card.plus, '+1', '+1s')}."
    if t == "card.merged":
        into = state.card(int(d.get("into", 0)))
        target = f"card {into.number}" if into is not None else "another card"
        return f"Card {card.number} merged into {target}: its words are kept there."
    return None


def mood_text(values: list[int | None], name: str | None = None) -> str:
    """``"Your mood: 3, 4, 6, 5 over four sessions."`` (``name`` for someone else's; a pass is said "passed")."""
    whose = "Your mood" if name is None else f"{name}'s mood"
    figures = ", ".join("passed" if v is None else str(v) for v in values)
    return f"{whose}: {figures} over {count_words(len(values), 'session')}."


def mood_rows(state: GroupState, me_id: int | None) -> list[tuple[str, list[int | None]]]:
    """(the words, the moods) per member: every participant with a history for a
    facilitator, oneself for anyone else."""
    if _role(state, me_id) == FACILITATOR:
        people = sorted((e for e in state.roster.values() if e.member_id in state.moods), key=lambda e: e.name.casefold())
        return [(mood_text([m for _, m in state.moods[e.member_id]], e.name), [m for _, m in state.moods[e.member_id]]) for e in people]
    if me_id is None or me_id not in state.moods:
        return []
    values = [m for _, m in state.moods[me_id]]
    return [(mood_text(values), values)]


def mood_lines(state: GroupState, me_id: int | None) -> list[str]:
    rows = mood_rows(state, me_id)
    if not rows:
        return [MOODS_NONE_GROUP if _role(state, me_id) == FACILITATOR else MOODS_NONE]
    return [text for text, _ in rows]


def phase_until_text(phase: str | None, end: float) -> str:
    """``"Exercises until 13:40"``."""
    return f"{phase_title(phase)} until {clock_text(end)}"


def five_minutes_left_text(phase: str | None, end: float) -> str:
    return f"Five minutes left in {phase_title(phase)}: planned to end at {clock_text(end)}."


def phase_over_text(phase: str | None, minutes: int) -> str:
    return f"{phase_title(phase)} has reached its {minutes} planned minutes; /phase moves on when you are ready."


def agenda_lines(agenda: dict[str, int], state: GroupState) -> list[str]:
    """The planned minutes of each phase, and when the current one is planned to end."""
    if not agenda:
        return [NO_AGENDA]
    lines = ["Agenda: " + "; ".join(f"{phase_title(p)} {m} min" for p, m in agenda.items()) + "."]
    if state.session is not None and state.phase in agenda and state.phase_since is not None:
        lines.append(f"Now: {phase_until_text(state.phase, state.phase_since + agenda[state.phase] * 60)}.")
    return lines


#: Read-only requests of boards, moods and the agenda: the same lines in both faces.
BOARD_LOCALS = ("board", "board plan", "moods", "agenda")


def local_lines(what: str, model: Any, plan: Any) -> list[str]:
    """What ``/board``, ``/board plan``, ``/moods`` and ``/agenda`` say, one line each."""
    state, me_id = model.state, model.me_id
    if what == "board":
        return board_lines(state, me_id)
    if what == "board plan":
        boards = plan.boards if plan is not None else ()
        return [f"Prepared board {i}: {b.describe()}" for i, b in enumerate(boards, 1)] or [NO_PLANNED_BOARDS]
    if what == "moods":
        return mood_lines(state, me_id)
    return agenda_lines(plan.minutes if plan is not None else {}, state)
# -- speech pacing (issue 12, plain face): when a screen reader would fall behind ----------------


def slide_behind_text(state: GroupState, index: int) -> str:
    """A new slide while earlier lines are still being read aloud: its title, the body on request."""
    return f"{slide_line(state, index)}. /slide reads it."
# -- a slow link (issue 17): the full-screen face's lean sentences ------------------------------


def chat_more_below(count: int) -> str:
    """The chat log's last row while the reader is above its newest lines."""
    return f"-- {count} more row{'' if count == 1 else 's'} below; End shows the newest line --"


#: ``--low-bandwidth``'s help in both entry points.
LOW_BANDWIDTH_HELP = "draw less on a slow link or an old terminal: no colour, no decoration, no toasts"


def low_bandwidth_hint(reason: str) -> str:
    """The one-line hint, said once at the start, when the terminal or the link looks slow."""
    return f"Slow terminal or link ({reason}): iop-tui --low-bandwidth draws less."


# -- qam: what a member and a guest met using the merged product --------------------------------

#: The header of a guest in the family session's waiting room (no session is shown until let in).
GUEST_WAITING_SHORT = "Waiting room: a facilitator will let you in"
#: A guest asking for what only the group reads (the between-session feed, the resources, a board).
GUEST_NO_FEED = "The feed and the resources are for the group's members; a guest sees only the family session."
GUEST_NO_BOARD = "Boards are for the group's members; a guest sees only the family session's slides, polls and chat."


def journal_entry_state(entry: Any) -> str:
    """One line for the Journal view: where this member's entry for the open prompt stands."""
    if entry is None or not any(entry.answers):
        return "Your entry: nothing saved yet; only you can read it."
    where = ("shared with " + ("the group" if entry.shared == "group" else "the facilitators")) if entry.shared else "only you can read it"
    return f"Your entry: {'finished' if entry.done else 'saved, not finished'}; {where}."


def chat_target_text(state: GroupState | None, me_id: int | None, *, private: bool = False, reply_name: str | None = None) -> str:
    """The full-screen chat's line above the input: where a line typed there goes. In a
    breakout round it names the room (a line goes to that room only), never "the group"."""
    if reply_name is not None:
        return f"Replying privately to {reply_name} (and the facilitators). Ctrl+T: back to the group."
    if private:
        return "Sending privately to the facilitators only. Ctrl+T: back to the group. F1-F6: panes."
    room = state.room_of(me_id) if state is not None and state.breakout is not None else None
    # a room's line reaches its members and the facilitators (the audience rule's room scope)
    where = "the group" if room is None else f"room {room} and the facilitators" if room else "the main room only"
    return f"Sending to: {where}. Ctrl+T: private line. F1-F6: panes."


#: /share while a session runs (the relay's own refusal, said before sending so nothing typed is lost).
FEED_IN_SESSION = "The feed is for between sessions, and a session is running; share it in the check-in or the chat now."


def goround_bar_line(state: GroupState, me_id: int | None) -> str:
    """The chat pane's lasting line for a running go-around (the status line moves on with the
    next notice): ``"Go-around: One word? It is your turn. Alex is next. Type /goround pass to pass."``."""
    found = state.goround()
    if found is None or found.whose() is None:
        return ""
    return f"Go-around: {found.question} {goround_turn_text(state, found, me_id, guide=False)}"


#: The full-screen status line once a reconnect's catch-up is done ("...; catching up." stayed on).
CAUGHT_UP = "Reconnected to {group}; up to date."

#: A muted member's line to the group (the relay's own refusal, said before sending so nothing typed is lost).
MUTED_GROUP_CHAT = "A facilitator has muted you in the group chat; you can still write to the facilitators privately."


def journal_next_text(prompt: Any, answers: list[str]) -> str:
    """After a saved journal answer (a prompt of several questions): which question is next, or
    how to finish and share once every one is answered ("/journal and your words" said only once)."""
    fields = list(getattr(prompt, "fields", []) or [])
    if len(fields) < 2:
        return ""
    empty = next((i for i, field in enumerate(fields) if i >= len(answers) or not answers[i].strip()), None)
    if empty is None:
        return "Every question is answered: /journal done finishes it; /journal share group or facilitators shares it."
    return f"Next, question {empty + 1} of {len(fields)}, {fields[empty]}: /journal and your words."


def room_prompt_line(state: GroupState, me_id: int | None) -> str:
    """A member in a breakout room: the round's prompt, kept in view in the full-screen room bar
    (it was said once on the status line, then only /rooms read it)."""
    bo = state.breakout
    if bo is None or not bo.prompt or not state.room_of(me_id) or _role(state, me_id) == FACILITATOR:
        return ""
    return f"Prompt: {bo.prompt}"


def cue_bar_lines(state: GroupState, me_id: int | None) -> list[str]:
    """A member with a part: their cue card (and an observer's checklist), kept in view in the
    full-screen room bar while the scene runs (it was said once on the status line, cut at two rows)."""
    part = state.scene_for(me_id)
    if part is None or me_id is None or me_id not in part.cast:
        return []
    card = part.cues.get(me_id)
    lines = [f"Cue card: {card.cue}"] if card is not None and card.cue else []
    if card is not None and card.checklist:
        lines.append("Watch for: " + "; ".join(card.checklist) + ".")
    return lines
# -- speech budget on the merged product (issue 12, branch i12m) ---------------------------------

#: How a journal entry shared with the group begins (:func:`kit_sentence`, "journal.shared").
JOURNAL_SHARED_GROUP = "Journal entry shared with the group, "


def journal_shared_brief(full: str) -> str | None:
    """What a facilitator hears live of an entry shared with the group: who shared it, the
    answers on request (``/journal`` reads them). An entry shared with the facilitators only is
    said whole (None here): it is written to them, like a private line."""
    if not full.startswith(JOURNAL_SHARED_GROUP):
        return None
    name = full[len(JOURNAL_SHARED_GROUP):].split(", ", 1)[0]
    return f"{JOURNAL_SHARED_GROUP}{name}. /journal reads it."


# -- several relay nodes (issue 16): the group moved to another node (close 4012) --

#: The status line while the client reconnects at once after 4012 (no backoff).
OWNER_MOVED_TEXT = "The session moved to another relay server; reconnecting now."
