"""The session model: what a command means, given the group's state.

:func:`decide` is a pure function. It takes the server's full
:class:`~protocol.state.GroupState` (folded from every event, roster loaded
from the store), the member acting, a command already validated by
:func:`protocol.messages.parse_command` and the time, and returns the events
to log as :class:`~protocol.events.Draft` objects — or raises
:class:`~protocol.errors.ProtocolError` with a stable code and one sentence
saying what happened and what to do. It performs no I/O and reads no clock:
the hub owns sequencing, storage and delivery, so every rule of a session can
be tested here without a socket or an event loop.

A decision may produce several events (a check-in and its private note, a
deck and its presenter notes, a quiz and its answer key). Id fields hold
:data:`~protocol.events.SEQ`, which the hub replaces with the seq of the
decision's first event. A command that would change nothing (moving to the
slide already shown, muting a muted member) returns no event; the hub then
acks it with ``seq`` None.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable

from protocol.board import MAX_BOARDS, MAX_CARDS, MAX_MERGED, Board, Card
from protocol.deck import parse_deck
from protocol.measures import MEASURES, band, needs_alert, score
from protocol.errors import ErrorCode, ProtocolError
from protocol.events import SEQ, Draft
from protocol.messages import Command
from protocol.roles import (
    ACTIONS,
    EVERYONE,
    FACILITATOR,
    FACILITATORS,
    GUEST,
    MEMBER,
    MEMBERS,
    PARTICIPANT,
    PERMISSIONS,
    SELF,
    may,
)
from protocol.kit_state import JournalPrompt
from protocol.attendance import Stretch, rows_to_wire, summarize
from protocol.family import invited_session
from protocol.messages import MAX_RESOURCES
from protocol.sessionkind import SessionKind
from protocol.schedule import ReminderPrefs, clean_email, clean_phone, parse_quiet
from protocol.state import ChatLine, GroupState, Poll, RosterEntry

from . import smallrooms

__all__ = ["Actor", "decide", "arrival", "attendance_rows", "MIN_OPTIONS", "MAX_LOG_DAYS"]

#: Polls with options need at least this many.
MIN_OPTIONS = 2
#: An emotion log covers at most two weeks of days.
MAX_LOG_DAYS = 14


@dataclass(frozen=True)
class Actor:
    """The member issuing a command, as the hub authenticated them."""

    member_id: int
    name: str
    role: str


def decide(state: GroupState, actor: Actor, command: Command, now: float) -> list[Draft]:
    """Return the events ``command`` causes, or raise :class:`ProtocolError`.

    ``now`` is seconds since the epoch; it is read only to learn today's date
    (UTC) for homework due dates.
    """
    handler = _HANDLERS.get(command.kind)
    if handler is None:
        raise ProtocolError(ErrorCode.UNKNOWN_KIND, f"This server does not know the command {command.kind[:40]!r}; update the client.")
    if not may(actor.role, command.kind):
        raise ProtocolError(ErrorCode.FORBIDDEN, _forbidden_sentence(command.kind))
    entry = state.roster.get(actor.member_id)
    if entry is not None and entry.removed:
        raise ProtocolError(ErrorCode.FORBIDDEN, "You were removed from this group, so nothing you send is accepted; ask your facilitator.")
    if actor.role == GUEST and state.session is not None and not state.visited(actor.member_id) and command.kind not in _GUEST_BEFORE_ARRIVAL:
        # A guest sees a session only from their arrival on (protocol.roles.sees), and an invited
        # guest arrives only in their family session, once let in: until then they say nothing into it.
        raise ProtocolError(ErrorCode.FORBIDDEN, GUEST_NOT_IN)
    return handler(_Context(state, actor, command.data, now))


#: What a guest may send before they are in the live session: a call for help reaches the facilitators.
_GUEST_BEFORE_ARRIVAL = frozenset({"urgent.raise"})
GUEST_NOT_IN = (
    "You are not in this session yet, so nothing you send reaches the group; a facilitator will let you in "
    "(you can still ask the facilitators for help urgently)."
)


def arrival(state: GroupState, guest_id: int) -> list[Draft]:
    """The event that a guest is now in the live session (none if no session runs
    or they already arrived in it): from it on, they see the session (see
    :func:`protocol.roles.sees`)."""
    session = state.session
    if session is None or state.visited(guest_id):
        return []
    if guest_id in state.guest_invites:
        # An invited guest waits in the waiting room of their family session
        # until a facilitator lets them in (guest.admit); other sessions never open.
        mine = invited_session(state.sessions, state.guest_invites[guest_id])
        if mine is None or mine.session_id != session.session_id or state.waiting.get(guest_id) == session.session_id:
            return []
        return [Draft("guest.waiting", FACILITATORS, {"member_id": guest_id, "session_id": session.session_id})]
    return [Draft("guest.arrived", MEMBER, {"member_id": guest_id, "session_id": session.session_id}, subject=guest_id)]


# -- helpers -------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    state: GroupState
    actor: Actor
    data: dict[str, Any]
    now: float

    @property
    def muted(self) -> bool:
        entry = self.state.roster.get(self.actor.member_id)
        return entry is not None and entry.muted

    @property
    def today(self) -> _dt.date:
        return _dt.datetime.fromtimestamp(self.now, _dt.UTC).date()



_ROLE_PLURALS = {FACILITATOR: "facilitators", PARTICIPANT: "participants", GUEST: "guests"}


def _forbidden_sentence(kind: str) -> str:
    roles = [r for r in (FACILITATOR, PARTICIPANT, GUEST) if r in PERMISSIONS.get(kind, ())]
    action = ACTIONS.get(kind, "do that")
    if not roles:
        return f"No one can {action} in this group."
    who = " and ".join(_ROLE_PLURALS[r] for r in roles)
    return f"Only {who} can {action}."


def _fail(code: str, message: str) -> ProtocolError:
    return ProtocolError(code, message)


def _need_session(ctx: _Context, doing: str) -> int:
    """Return the live session's id, or refuse: ``doing`` needs one."""
    if ctx.state.session is None:
        raise _fail(ErrorCode.CONFLICT, f"No session is running, so you cannot {doing} now; start one first.")
    return ctx.state.session.session_id


def _need_session_as_member(ctx: _Context, doing: str) -> int:
    """Like :func:`_need_session`, worded for someone who cannot start one."""
    if ctx.state.session is None:
        raise _fail(ErrorCode.CONFLICT, f"No session is running, so you cannot {doing} now; wait for the facilitator to start one.")
    return ctx.state.session.session_id


def _poll(ctx: _Context) -> Poll:
    poll = ctx.state.polls.get(ctx.data["poll_id"])
    if poll is None:
        raise _fail(ErrorCode.NOT_FOUND, f"There is no poll {ctx.data['poll_id']}; refresh and pick one from the list.")
    return poll


def _chat_audience(line: ChatLine, state: GroupState) -> tuple[str, int | None]:
    """Where a chat line went: the same rule for posting and deleting it."""
    if line.room:
        return smallrooms.ROOM, line.room
    if line.to == "member":
        return MEMBER, line.thread
    if line.to != "facilitators":
        return EVERYONE, None
    sender = state.roster.get(line.member_id)
    if sender is not None and sender.role == FACILITATOR:
        return FACILITATORS, None
    return MEMBER, line.member_id


def _of_live_session(state: GroupState, audience: str, session_id: int | None) -> str:
    """The audience of news about an object (a poll, a chat line) of session
    ``session_id``: news of another session, or of the time between sessions,
    is for members only, so a guest of the live session never reads it."""
    live = state.session.session_id if state.session is not None else None
    if audience == EVERYONE and (session_id is None or session_id != live):
        return MEMBERS
    return audience


def _chat_target(to: str, role: str, member_id: int) -> tuple[str, int | None]:
    if to != "facilitators":
        return EVERYONE, None
    if role == FACILITATOR:
        return FACILITATORS, None
    return MEMBER, member_id


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# -- sessions and phases -------------------------------------------------------


def _session_start(ctx: _Context) -> list[Draft]:
    live = ctx.state.session
    if live is not None:
        raise _fail(ErrorCode.CONFLICT, f"The session {live.title!r} is already running; end it before starting another.")
    title = ctx.data["title"].strip() or f"Session {len(ctx.state.sessions) + 1}"
    kind = ctx.data.get("kind", SessionKind.GROUP)
    drafts = [Draft("session.started", EVERYONE, {"session_id": SEQ, "title": title, "kind": kind})]
    state = ctx.state
    if state.slides:
        # A deck prepared before the session opens it again inside the session,
        # so a guest (who sees this session only) gets the slides too.
        drafts.append(Draft("deck.loaded", EVERYONE, {"deck_id": SEQ, "title": state.deck_title, "slides": [dict(s) for s in state.slides]}))
        drafts.append(Draft("deck.notes", FACILITATORS, {"deck_id": SEQ, "notes": list(state.notes)}))
    for entry in state.roster.values():
        # Guests already connected are in the session from its first moment.
        if entry.role == GUEST and entry.status == "online" and not entry.removed:
            invited = state.guest_invites.get(entry.member_id)
            if invited is None:
                drafts.append(Draft("guest.arrived", MEMBER, {"member_id": entry.member_id, "session_id": SEQ}, subject=entry.member_id))
            elif kind == SessionKind.FAMILY and invited_session(state.sessions, invited) is None:
                # invited to "the next family session": this one; they wait to be let in
                drafts.append(Draft("guest.waiting", FACILITATORS, {"member_id": entry.member_id, "session_id": SEQ}))
    return drafts


def _session_end(ctx: _Context) -> list[Draft]:
    live = ctx.state.session
    if live is None:
        raise _fail(ErrorCode.CONFLICT, "No session is running, so there is nothing to end.")
    drafts: list[Draft] = []
    if ctx.data["reveal"]:
        # Every poll of this session (and any still open) that the group has not
        # seen the results of is closed and revealed, so a quiz never ends unseen.
        for poll in sorted(ctx.state.polls.values(), key=lambda p: p.poll_id):
            if poll.status == "open" or (poll.status == "closed" and poll.session_id == live.session_id):
                drafts.extend(_reveal_drafts(ctx.state, poll))
    else:
        drafts.extend(Draft("poll.closed", EVERYONE, {"poll_id": p.poll_id}) for p in ctx.state.open_polls())
    drafts.extend(smallrooms.at_session_end(ctx.state))  # small rooms (issue 13): scenes end, rooms are recalled
    # the attendance record comes before session.ended, so the command's last seq is one every member reads
    drafts.append(Draft("attendance.recorded", FACILITATORS, {"session_id": live.session_id, "rows": attendance_rows(ctx.state, ctx.now)}))
    # a family session's guests are told their invitation ends while the session still holds them
    drafts.extend(_invitations_ended(ctx))
    drafts.append(Draft("session.ended", EVERYONE, {"session_id": live.session_id, "summary": ctx.data["summary"].strip()}))
    return drafts


def _phase_set(ctx: _Context) -> list[Draft]:
    _need_session(ctx, "change the phase")
    phase = ctx.data["phase"]
    if ctx.state.phase == phase:
        return []
    return [Draft("phase.changed", EVERYONE, {"phase": phase})]


# -- check-in ------------------------------------------------------------------


def _checkin_submit(ctx: _Context) -> list[Draft]:
    _need_session_as_member(ctx, "check in")
    d = ctx.data
    passed = bool(d["passed"])
    note = d["note"].strip()
    if passed:
        mood, feelings = None, []
    else:
        mood = d["mood"]
        if mood is None:
            raise _fail(ErrorCode.INVALID, "Choose a mood from 0 to 10, or pass.")
        feelings = _distinct_words(d["feelings"])
    private = bool(note) and d["note_to"] == "facilitators"
    if note and not private and ctx.muted:
        raise _fail(
            ErrorCode.FORBIDDEN,
            "A facilitator has muted you, so your note cannot go to the group; send it to the facilitators instead.",
        )
    mid = ctx.actor.member_id
    submitted = {
        "member_id": mid,
        "mood": mood,
        "feelings": feelings,
        "passed": passed,
        "note": "" if private else note,
        # Other members are not told that a private note exists: only its
        # writer and the facilitators learn it, from the checkin.note below.
        "note_private": False,
    }
    drafts = [Draft("checkin.submitted", MEMBERS, submitted)]
    if private:
        drafts.append(Draft("checkin.note", MEMBER, {"member_id": mid, "note": note}, subject=mid))
    location = d["location"].strip()
    if location:
        drafts.append(Draft("checkin.location", MEMBER, {"member_id": mid, "location": location}, subject=mid))
    reason = _checkin_alert(ctx.state, mood, feelings)
    if reason:
        drafts.append(Draft("alert.raised", FACILITATORS, {"member_id": mid, "source": "checkin", "reason": reason}))
    return drafts


def _checkin_alert(state: GroupState, mood: int | None, feelings: list[str]) -> str:
    """Why a check-in needs the facilitators' attention ("" when it does not):
    a mood at or below the group's threshold, or a feeling word on its watch list."""
    reasons = []
    if mood is not None and mood <= state.alert_mood:
        reasons.append(f"mood {mood}, at or below {state.alert_mood}")
    watched = [w for w in feelings if w.casefold() in state.watch_words]
    if watched:
        reasons.append("watched feeling words: " + ", ".join(watched))
    return "; ".join(reasons)


def _distinct_words(words: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for word in words:
        key = word.casefold()
        if key not in seen:
            seen.add(key)
            out.append(word)
    return out


# -- slides --------------------------------------------------------------------


def _deck_load(ctx: _Context) -> list[Draft]:
    deck = parse_deck(ctx.data["markdown"])
    slides = [{"title": s.title, "body": s.body} for s in deck.slides]
    notes = [s.notes for s in deck.slides]
    return [
        Draft("deck.loaded", EVERYONE, {"deck_id": SEQ, "title": deck.title, "slides": slides}),
        Draft("deck.notes", FACILITATORS, {"deck_id": SEQ, "notes": notes}),
    ]


def _slide_goto(ctx: _Context) -> list[Draft]:
    index = ctx.data["index"]
    count = len(ctx.state.slides)
    if count == 0:
        raise _fail(ErrorCode.NOT_FOUND, "No slide deck is loaded; load a deck first.")
    if index >= count:
        raise _fail(ErrorCode.NOT_FOUND, f"There is no slide {index + 1}; the deck has {_plural(count, 'slide')}.")
    if index == ctx.state.slide_index:
        return []
    return [Draft("slide.changed", EVERYONE, {"index": index})]


# -- polls ---------------------------------------------------------------------


def _poll_open(ctx: _Context) -> list[Draft]:
    _need_session(ctx, "open a poll")
    d = ctx.data
    kind, options, correct = d["poll_kind"], list(d["options"]), d["correct"]
    if kind == "scale":
        if options:
            raise _fail(ErrorCode.INVALID, "A scale poll runs from 0 to 10 and takes no options; remove them.")
    else:
        if len(options) < MIN_OPTIONS:
            raise _fail(ErrorCode.INVALID, f"A {kind} poll needs at least {MIN_OPTIONS} options; add another.")
        folded = [o.casefold() for o in options]
        if len(set(folded)) != len(folded):
            raise _fail(ErrorCode.INVALID, "Two options read the same; make every option different.")
    if kind == "quiz":
        if correct is None or correct >= len(options):
            raise _fail(ErrorCode.INVALID, f"A quiz needs its correct answer: the number of one of its {len(options)} options, counting from 0.")
    elif correct is not None:
        raise _fail(ErrorCode.INVALID, "Only a quiz has a correct answer; remove it or make the poll a quiz.")
    opened = {"poll_id": SEQ, "question": d["question"], "poll_kind": kind, "options": options, "anonymous": bool(d["anonymous"])}
    drafts = [Draft("poll.opened", EVERYONE, opened)]
    if kind == "quiz":
        drafts.append(Draft("poll.key", FACILITATORS, {"poll_id": SEQ, "correct": correct}))
    return drafts


def _poll_vote(ctx: _Context) -> list[Draft]:
    poll = _poll(ctx)
    if poll.status != "open":
        raise _fail(ErrorCode.CONFLICT, "That poll is closed, so it takes no more votes.")
    choices = list(ctx.data["choices"])
    count = poll.option_count()
    if poll.kind == "multiple":
        if len(set(choices)) != len(choices):
            raise _fail(ErrorCode.INVALID, "Each option can be chosen once; remove the repeated choice.")
    elif len(choices) != 1:
        raise _fail(ErrorCode.INVALID, "This poll takes exactly one choice; pick one.")
    if any(c >= count for c in choices):
        if poll.kind == "scale":
            raise _fail(ErrorCode.INVALID, "Choose a point from 0 to 10.")
        raise _fail(ErrorCode.INVALID, f"This poll has {_plural(count, 'option')}; choose from 0 to {count - 1}.")
    if poll.kind == "multiple":
        choices.sort()
    mid = ctx.actor.member_id
    return [Draft("poll.voted", MEMBER, {"poll_id": poll.poll_id, "member_id": mid, "choices": choices}, subject=mid)]


def _poll_close(ctx: _Context) -> list[Draft]:
    poll = _poll(ctx)
    if poll.status != "open":
        raise _fail(ErrorCode.CONFLICT, "That poll is already closed.")
    return [Draft("poll.closed", _of_live_session(ctx.state, EVERYONE, poll.session_id), {"poll_id": poll.poll_id})]


def _poll_reveal(ctx: _Context) -> list[Draft]:
    poll = _poll(ctx)
    if poll.status == "revealed":
        raise _fail(ErrorCode.CONFLICT, "That poll's results are already shown to the group.")
    return _reveal_drafts(ctx.state, poll)


def _reveal_drafts(state: GroupState, poll: Poll) -> list[Draft]:
    """Close (if open) and reveal one poll: the one rule for poll.reveal and session.end."""
    count = poll.option_count()
    counts = [0] * count
    voters: dict[int, list[str]] = {i: [] for i in range(count)}
    for member_id, choices in poll.votes.items():
        for c in choices:
            if 0 <= c < count:
                counts[c] += 1
                voters[c].append(state.name_of(member_id))
    names = None if poll.anonymous else {str(i): sorted(v, key=str.casefold) for i, v in voters.items()}
    revealed = {
        "poll_id": poll.poll_id,
        "counts": counts,
        "total": len(poll.votes),
        "correct": poll.correct if poll.kind == "quiz" else None,
        "names": names,
    }
    audience = _of_live_session(state, EVERYONE, poll.session_id)
    drafts = []
    if poll.status == "open":
        drafts.append(Draft("poll.closed", audience, {"poll_id": poll.poll_id}))
    drafts.append(Draft("poll.revealed", audience, revealed))
    return drafts


# -- chat and hands --------------------------------------------------------------


def _chat_send(ctx: _Context) -> list[Draft]:
    actor, d = ctx.actor, ctx.data
    text = d["text"].strip()
    if not text:
        raise _fail(ErrorCode.INVALID, "The message is empty; write something before sending.")
    if actor.role == GUEST:
        _need_session_as_member(ctx, "chat")
    to = d["to"]
    if ctx.muted and to != "facilitators":
        raise _fail(
            ErrorCode.FORBIDDEN,
            "A facilitator has muted you in the group chat; you can still write to the facilitators privately.",
        )
    audience, subject = _chat_target(to, actor.role, actor.member_id)
    if audience == EVERYONE:
        _check_pace(ctx)  # the facilitator's kit: a slowed member's pace
    posted = {"message_id": SEQ, "member_id": actor.member_id, "text": text, "to": to, "me": bool(d["me"])}
    in_room = smallrooms.room_chat(ctx.state, actor.member_id, to)  # small rooms: a breakout room's line
    if in_room is not None:
        (audience, subject), posted["room"] = in_room, in_room[1]
    return [Draft("chat.posted", audience, posted, subject=subject)]


def _chat_reply(ctx: _Context) -> list[Draft]:
    """A facilitator's private line to one member: it joins that member's thread
    with the facilitators (audience MEMBER, subject the member)."""
    d = ctx.data
    text = d["text"].strip()
    if not text:
        raise _fail(ErrorCode.INVALID, "The message is empty; write something before sending.")
    target = d["member_id"]
    entry = ctx.state.roster.get(target)
    if entry is None:
        raise _fail(ErrorCode.NOT_FOUND, f"There is no member {target} in this group; pick someone from the People pane.")
    if entry.role == FACILITATOR:
        raise _fail(ErrorCode.INVALID, f"{entry.name} is a facilitator and already reads every private line; write to the facilitators instead.")
    if entry.removed:
        raise _fail(ErrorCode.CONFLICT, f"{entry.name} has been removed from this group, so they cannot receive a reply.")
    posted = {"message_id": SEQ, "member_id": ctx.actor.member_id, "text": text, "to": "member", "thread": target, "me": bool(d["me"])}
    return [Draft("chat.posted", MEMBER, posted, subject=target)]


def _chat_delete(ctx: _Context) -> list[Draft]:
    message_id = ctx.data["message_id"]
    line = next((ln for ln in ctx.state.chat if ln.message_id == message_id), None)
    if line is None or line.deleted:
        raise _fail(ErrorCode.NOT_FOUND, f"There is no message {message_id} to delete; it may already be gone.")
    audience, subject = _chat_audience(line, ctx.state)
    audience = _of_live_session(ctx.state, audience, line.session_id)
    return [Draft("chat.deleted", audience, {"message_id": message_id}, subject=subject)]


def _hand_raise(ctx: _Context) -> list[Draft]:
    _need_session_as_member(ctx, "raise your hand")
    if ctx.muted:
        raise _fail(
            ErrorCode.FORBIDDEN,
            "A facilitator has muted you, so you cannot raise your hand; you can still write to the facilitators privately.",
        )
    mid = ctx.actor.member_id
    if mid in ctx.state.hands:
        raise _fail(ErrorCode.CONFLICT, "Your hand is already up; the facilitator will come to you.")
    return [Draft("hand.raised", EVERYONE, {"member_id": mid})]


def _hand_lower(ctx: _Context) -> list[Draft]:
    actor = ctx.actor
    target = ctx.data["member_id"]
    own = target is None or target == actor.member_id
    if own:
        target = actor.member_id
    elif actor.role != FACILITATOR:
        raise _fail(ErrorCode.FORBIDDEN, "You can lower only your own hand; the facilitator can lower others'.")
    elif target not in ctx.state.roster:
        raise _fail(ErrorCode.NOT_FOUND, f"There is no member {target} in this group.")
    if target not in ctx.state.hands:
        if own:
            raise _fail(ErrorCode.CONFLICT, "Your hand is not raised, so there is nothing to lower.")
        raise _fail(ErrorCode.CONFLICT, f"{ctx.state.name_of(target)}'s hand is not raised.")
    return [Draft("hand.lowered", EVERYONE, {"member_id": target})]


# -- homework ------------------------------------------------------------------


def _homework_assign(ctx: _Context) -> list[Draft]:
    d = ctx.data
    kind, items = d["homework_kind"], list(d["items"])
    if kind == "checklist":
        if not items:
            raise _fail(ErrorCode.INVALID, "A checklist needs at least one item; add one.")
    elif items:
        raise _fail(ErrorCode.INVALID, "Only checklist homework has items; remove them or make it a checklist.")
    due = _dt.date.fromisoformat(d["due"])
    if due < ctx.today:
        raise _fail(ErrorCode.INVALID, f"The due date {d['due']} is in the past; choose today or a later day.")
    assigned = {
        "homework_id": SEQ,
        "title": d["title"],
        "homework_kind": kind,
        "instructions": d["instructions"].strip(),
        "items": items,
        "due": d["due"],
    }
    to = list(dict.fromkeys(d.get("to") or []))
    if not to:
        return [Draft("homework.assigned", MEMBERS, assigned)]
    # Personal homework: one event per member it is for (audience MEMBER, one
    # id), so only they and the facilitators ever read it (the one rule).
    for member_id in to:
        entry = ctx.state.roster.get(member_id)
        if entry is None or entry.role != PARTICIPANT or entry.removed:
            name = entry.name if entry is not None else f"member {member_id}"
            raise _fail(ErrorCode.INVALID, f"{name} is not a participant of this group, so they cannot be given homework.")
    return [Draft("homework.assigned", MEMBER, dict(assigned), subject=member_id) for member_id in to]


def _homework_submit(ctx: _Context) -> list[Draft]:
    d = ctx.data
    hw = ctx.state.homework.get(d["homework_id"])
    if hw is None or not hw.for_member(ctx.actor.member_id):
        raise _fail(ErrorCode.NOT_FOUND, f"There is no homework {d['homework_id']} for you; refresh and pick one from the list.")
    text, checked, log = d["text"].strip(), list(d["checked"]), list(d["log"])
    if hw.kind == "text":
        if checked or log:
            raise _fail(ErrorCode.INVALID, "This homework takes written text only; send your answer as text.")
        if not text:
            raise _fail(ErrorCode.INVALID, "Your answer is empty; write something before submitting.")
    elif hw.kind == "checklist":
        if text or log:
            raise _fail(ErrorCode.INVALID, "This homework is a checklist; send the items you checked.")
        if any(i >= len(hw.items) for i in checked):
            raise _fail(ErrorCode.INVALID, f"The checklist has {_plural(len(hw.items), 'item')}; check from 0 to {len(hw.items) - 1}.")
        if len(set(checked)) != len(checked):
            raise _fail(ErrorCode.INVALID, "An item was checked twice; check each item once.")
        checked.sort()
    else:
        if text or checked:
            raise _fail(ErrorCode.INVALID, "This homework is an emotion log; send your days, moods and feelings.")
        if not 1 <= len(log) <= MAX_LOG_DAYS:
            raise _fail(ErrorCode.INVALID, f"An emotion log needs 1 to {MAX_LOG_DAYS} days; add a day.")
        days = [entry["day"] for entry in log]
        if len(set(days)) != len(days):
            raise _fail(ErrorCode.INVALID, "A day appears twice in the log; keep one entry per day.")
        log = sorted(
            ({"day": e["day"], "mood": e["mood"], "feelings": _distinct_words(e["feelings"]), "note": e["note"].strip()} for e in log),
            key=lambda e: e["day"],
        )
    mid = ctx.actor.member_id
    late = ctx.today > _dt.date.fromisoformat(hw.due)
    submitted = {"homework_id": hw.homework_id, "member_id": mid, "text": text, "checked": checked, "log": log, "late": late}
    return [Draft("homework.submitted", MEMBER, submitted, subject=mid)]


# -- moderation ------------------------------------------------------------------


def _target(ctx: _Context, doing: str) -> RosterEntry:
    """The member a moderation command names, or a refusal."""
    target = ctx.data["member_id"]
    entry = ctx.state.roster.get(target)
    if entry is None:
        raise _fail(ErrorCode.NOT_FOUND, f"There is no member {target} in this group.")
    if target == ctx.actor.member_id:
        raise _fail(ErrorCode.FORBIDDEN, f"You cannot {doing} yourself.")
    if entry.role == FACILITATOR:
        raise _fail(ErrorCode.FORBIDDEN, f"You cannot {doing} a facilitator.")
    if entry.removed:
        raise _fail(ErrorCode.CONFLICT, f"{entry.name} has already been removed from this group.")
    return entry


def _member_mute(ctx: _Context) -> list[Draft]:
    entry = _target(ctx, "mute")
    muted = bool(ctx.data["muted"])
    if entry.muted == muted:
        return []
    return [Draft("member.muted", EVERYONE, {"member_id": entry.member_id, "muted": muted})]


def _member_remove(ctx: _Context) -> list[Draft]:
    entry = _target(ctx, "remove")
    drafts = []
    if entry.member_id in ctx.state.hands:
        drafts.append(Draft("hand.lowered", EVERYONE, {"member_id": entry.member_id}))
    drafts.append(Draft("member.removed", EVERYONE, {"member_id": entry.member_id}))
    return drafts


# -- safety ----------------------------------------------------------------------


def _urgent_raise(ctx: _Context) -> list[Draft]:
    """A member asks for help now, in or between sessions (even when muted): the
    facilitators and the member see it (the member, that it was sent)."""
    mid = ctx.actor.member_id
    return [Draft("urgent.raised", MEMBER, {"member_id": mid, "text": ctx.data["text"].strip()}, subject=mid)]


def _urgent_acknowledge(ctx: _Context) -> list[Draft]:
    alert_id = ctx.data["alert_id"]
    alert = ctx.state.alerts.get(alert_id)
    if alert is None:
        raise _fail(ErrorCode.NOT_FOUND, f"There is no urgent request or alert {alert_id}; check the number and try again.")
    if alert.acknowledged_by is not None:
        who = alert.acknowledged_name or ctx.state.name_of(alert.acknowledged_by)
        raise _fail(ErrorCode.CONFLICT, f"{who} has already acknowledged that; nothing more to do.")
    audience, subject = (MEMBER, alert.member_id) if alert.source == "member" else (FACILITATORS, None)
    data = {"alert_id": alert_id, "member_id": alert.member_id, "by": ctx.actor.member_id}
    return [Draft("urgent.acknowledged", audience, data, subject=subject)]


def _measure_give(ctx: _Context) -> list[Draft]:
    d = ctx.data
    target, due = d["member_id"], d["due"]
    if due is not None and _dt.date.fromisoformat(due) < ctx.today:
        raise _fail(ErrorCode.INVALID, f"The due date {due} is in the past; choose today or a later day.")
    given = {"measure_id": SEQ, "measure": d["measure"], "member_id": target, "due": due}
    if target is not None:
        entry = ctx.state.roster.get(target)
        if entry is None:
            raise _fail(ErrorCode.NOT_FOUND, f"There is no member {target} in this group; pick someone from the People pane.")
        if entry.role != PARTICIPANT or entry.removed:
            raise _fail(ErrorCode.INVALID, f"{entry.name} is not a participant of this group, so they cannot answer a questionnaire.")
        return [Draft("measure.given", MEMBER, given, subject=target)]
    return [Draft("measure.given", MEMBERS, given)]


def _measure_answer(ctx: _Context) -> list[Draft]:
    d = ctx.data
    mid = ctx.actor.member_id
    given = ctx.state.measures.get(d["measure_id"])
    if given is None or given.member_id not in (None, mid):
        raise _fail(ErrorCode.NOT_FOUND, f"There is no questionnaire {d['measure_id']} for you; ask your facilitator.")
    measure = MEASURES[given.measure]
    item, answer = d["item"], d["answer"]
    if item >= len(measure.items):
        raise _fail(ErrorCode.INVALID, f"{measure.title} has {len(measure.items)} questions; answer from 1 to {len(measure.items)}.")
    response = ctx.state.responses.get((given.measure_id, mid))
    if response is not None and response.total is not None:
        raise _fail(ErrorCode.CONFLICT, f"You have already answered every question of this {measure.title}; thank you.")
    answered = {"measure_id": given.measure_id, "measure": measure.key, "member_id": mid, "item": item, "answer": answer}
    drafts = [Draft("measure.answered", MEMBER, answered, subject=mid)]
    if needs_alert(measure, item, answer):
        reason = f"{measure.title} question {item + 1} answered {answer}"
        drafts.append(Draft("alert.raised", FACILITATORS, {"member_id": mid, "source": "measure", "reason": reason}))
    answers = dict(response.answers) if response is not None else {}
    answers[item] = answer
    if len(answers) == len(measure.items):
        total = score(measure, answers)
        late = given.due is not None and ctx.today > _dt.date.fromisoformat(given.due)
        scored = {"measure_id": given.measure_id, "measure": measure.key, "member_id": mid, "total": total, "band": band(measure, total), "late": late}
        drafts.append(Draft("measure.scored", MEMBER, scored, subject=mid))
    return drafts


def _safety_contact(ctx: _Context) -> list[Draft]:
    target = ctx.data["member_id"]
    actor = ctx.actor
    if target is None or target == actor.member_id:
        target = actor.member_id
        if actor.role == FACILITATOR:
            raise _fail(ErrorCode.INVALID, "Name the member whose emergency contact this is.")
    elif actor.role != FACILITATOR:
        raise _fail(ErrorCode.FORBIDDEN, "You can set only your own emergency contact.")
    entry = ctx.state.roster.get(target)
    if entry is None or entry.role != PARTICIPANT:
        raise _fail(ErrorCode.NOT_FOUND, f"There is no participant {target} in this group.")
    return [Draft("safety.contact", MEMBER, {"member_id": target, "contact": ctx.data["contact"].strip()}, subject=target)]


# -- the facilitator's kit (issue 14 part A): journaling, go-arounds, airtime ----------------
#
# A journal entry is audience SELF: its writer alone, not the facilitators. The
# facilitators learn only counts (journal.progress: "4 of 6 writing, 2 done")
# until the member shares the entry (journal.shared, to the facilitators or the
# group). A go-around's order is fixed when it starts (its "random" is seeded
# from the log's head and the time given, so decide stays pure). A slowed
# member may write one group line per N seconds; everything else stays open.


def _prompt(ctx: _Context) -> JournalPrompt:
    prompt = ctx.state.journal_prompts.get(ctx.data["prompt_id"])
    if prompt is None:
        raise _fail(ErrorCode.NOT_FOUND, f"There is no journaling prompt {ctx.data['prompt_id']}; type /journal to see yours.")
    return prompt


def _journal_open(ctx: _Context) -> list[Draft]:
    _need_session(ctx, "open a journaling prompt")
    d = ctx.data
    drafts = [Draft("journal.closed", MEMBERS, {"prompt_id": p.prompt_id}) for p in _open_prompts(ctx.state)]
    opened = {"prompt_id": SEQ, "title": d["title"], "fields": list(d["fields"]), "minutes": d["minutes"]}
    drafts.insert(0, Draft("journal.opened", MEMBERS, opened))
    return drafts


def _open_prompts(state: GroupState) -> list[JournalPrompt]:
    return [p for p in state.journal_prompts.values() if not p.closed]


def _journal_close(ctx: _Context) -> list[Draft]:
    prompt = _prompt(ctx)
    if prompt.closed:
        return []
    return [Draft("journal.closed", MEMBERS, {"prompt_id": prompt.prompt_id})]


def _journal_progress(state: GroupState, prompt: JournalPrompt, member_id: int, done: bool) -> list[Draft]:
    """The facilitators' counts for a prompt after ``member_id`` wrote (only when they change)."""
    active = {e.member_id for e in state.active_participants()}
    statuses = {mid: e.done for (pid, mid), e in state.journal.items() if pid == prompt.prompt_id and mid in active}
    statuses[member_id] = done
    writing, finished = sum(1 for d in statuses.values() if not d), sum(1 for d in statuses.values() if d)
    if (writing, finished, len(active)) == (prompt.writing, prompt.done, prompt.of):
        return []
    return [Draft("journal.progress", FACILITATORS, {"prompt_id": prompt.prompt_id, "writing": writing, "done": finished, "of": len(active)})]


def _journal_write(ctx: _Context) -> list[Draft]:
    prompt = _prompt(ctx)
    answers = [a.strip() for a in ctx.data["answers"]]
    if len(answers) > len(prompt.fields):
        raise _fail(ErrorCode.INVALID, f"This prompt asks {_plural(len(prompt.fields), 'question')}; send at most that many answers.")
    answers += [""] * (len(prompt.fields) - len(answers))
    if not any(answers):
        raise _fail(ErrorCode.INVALID, "Your entry is empty; write something first.")
    mid, done = ctx.actor.member_id, bool(ctx.data["done"])
    written = {"prompt_id": prompt.prompt_id, "member_id": mid, "answers": answers, "done": done}
    drafts = [Draft("journal.written", SELF, written, subject=mid)]
    entry = ctx.state.journal.get((prompt.prompt_id, mid))
    if entry is not None and entry.shared:
        # Shared is a state of the entry: what the member writes on reaches the same readers.
        drafts.append(_shared_draft(ctx.state, prompt, mid, answers, done, entry.shared))
    if not prompt.closed:
        drafts.extend(_journal_progress(ctx.state, prompt, mid, done))
    return drafts


def _shared_draft(state: GroupState, prompt: JournalPrompt, member_id: int, answers: list[str], done: bool, to: str) -> Draft:
    data = {"prompt_id": prompt.prompt_id, "member_id": member_id, "answers": answers, "done": done, "to": to}
    if to == "group":
        return Draft("journal.shared", MEMBERS, data)
    return Draft("journal.shared", MEMBER, data, subject=member_id)


def _journal_share(ctx: _Context) -> list[Draft]:
    prompt = _prompt(ctx)
    mid, to = ctx.actor.member_id, ctx.data["to"]
    entry = ctx.state.journal.get((prompt.prompt_id, mid))
    if entry is None:
        raise _fail(ErrorCode.CONFLICT, "You have not written anything for that prompt yet; write first, then share.")
    if entry.shared == to or (entry.shared == "group" and to == "facilitators"):
        return []  # the group includes the facilitators; sharing is never taken back silently
    if to == "group" and ctx.muted:
        raise _fail(ErrorCode.FORBIDDEN, "A facilitator has muted you, so your entry cannot go to the group; share it with the facilitators instead.")
    return [_shared_draft(ctx.state, prompt, mid, list(entry.answers), entry.done, to)]


def _goround_members(state: GroupState) -> list[int]:
    """Who takes a turn: the participants who are here, in roster order."""
    return [e.member_id for e in sorted(state.roster.values(), key=lambda e: e.member_id)
            if e.role == PARTICIPANT and not e.removed and e.status == "online"]


def _goround_start(ctx: _Context) -> list[Draft]:
    import random

    _need_session(ctx, "start a go-around")
    running = ctx.state.goround()
    if running is not None:
        raise _fail(ErrorCode.CONFLICT, f"A go-around is already running ({running.question}); end it before starting another.")
    order = _goround_members(ctx.state)
    if not order:
        raise _fail(ErrorCode.CONFLICT, "No member is here to take a turn, so a go-around cannot start.")
    how = ctx.data["order"]
    if how == "random":
        random.Random(f"{ctx.state.head_seq}:{ctx.now}").shuffle(order)
    elif how == "quietest":
        order = ctx.state.quietest_first(order)
    started = {"round_id": SEQ, "question": ctx.data["question"], "order": order, "how": how, "turn_minutes": ctx.data["turn_minutes"]}
    return [Draft("goround.started", EVERYONE, started)]


def _goround_move(state: GroupState, how: str) -> list[Draft]:
    running = state.goround()
    if running is None:
        raise _fail(ErrorCode.CONFLICT, "No go-around is running.")
    whose = running.whose()
    assert whose is not None  # a running round always has a turn: it ends with its last one
    index = running.index + 1
    drafts = [Draft("goround.moved", EVERYONE, {"round_id": running.round_id, "member_id": whose, "how": how, "index": index})]
    if index >= len(running.order):
        drafts.append(Draft("goround.ended", EVERYONE, {"round_id": running.round_id, "complete": True}))
    return drafts


def _goround_next(ctx: _Context) -> list[Draft]:
    return _goround_move(ctx.state, "skipped" if ctx.data["skip"] else "spoke")


def _goround_pass(ctx: _Context) -> list[Draft]:
    running = ctx.state.goround()
    if running is None:
        raise _fail(ErrorCode.CONFLICT, "No go-around is running, so there is no turn to pass.")
    if running.whose() != ctx.actor.member_id:
        raise _fail(ErrorCode.CONFLICT, f"It is {ctx.state.name_of(running.whose() or 0)}'s turn, not yours; you can pass when your turn comes.")
    return _goround_move(ctx.state, "passed")


def _goround_end(ctx: _Context) -> list[Draft]:
    running = ctx.state.goround()
    if running is None:
        raise _fail(ErrorCode.CONFLICT, "No go-around is running, so there is nothing to end.")
    return [Draft("goround.ended", EVERYONE, {"round_id": running.round_id, "complete": False})]


def _member_nudge(ctx: _Context) -> list[Draft]:
    entry = _target(ctx, "nudge")
    nudge = {"member_id": entry.member_id, "text": ctx.data["text"].strip()}
    return [Draft("member.nudged", MEMBER, nudge, subject=entry.member_id)]


def _member_slow(ctx: _Context) -> list[Draft]:
    entry = _target(ctx, "slow")
    seconds = ctx.data["seconds"]
    if ctx.state.slowed.get(entry.member_id, 0) == seconds:
        return []
    return [Draft("member.slowed", MEMBER, {"member_id": entry.member_id, "seconds": seconds}, subject=entry.member_id)]


def _check_pace(ctx: _Context) -> None:
    """A slowed member's group line must wait its turn: one per N seconds."""
    mid = ctx.actor.member_id
    seconds = ctx.state.slowed.get(mid, 0)
    last = ctx.state.last_group_line.get(mid)
    if not seconds or last is None:
        return
    wait = int(last + seconds - ctx.now + 0.999)
    if wait > 0:
        raise _fail(
            ErrorCode.RATE_LIMITED,
            f"A facilitator has asked you to pace yourself: one line to the group every {_plural(seconds, 'second')}. "
            f"Your line was not sent; send it again in {_plural(wait, 'second')}, or write to the facilitators privately now.",
        )
# -- between sessions: attendance, family sessions, the peer space ------------------


def attendance_rows(state: GroupState, end: float) -> list[dict[str, Any]]:
    """The live session's attendance at ``end``, on the wire (the relay's stretches, one rule)."""
    live = state.session
    if live is None:
        return []
    members = {e.member_id: (e.name, e.role) for e in state.roster.values()}
    expected = [e.member_id for e in state.active_participants()]
    stretches = [s for s in state.stretches if isinstance(s, Stretch)]
    return rows_to_wire(summarize(live.started_at, end, stretches, members, expected=expected))


def _invitations_ended(ctx: _Context) -> list[Draft]:
    """Ending a family session ends its guests' invitations (their tokens are revoked)."""
    state, live = ctx.state, ctx.state.session
    assert live is not None
    drafts: list[Draft] = []
    if live.kind == SessionKind.FAMILY:
        for guest_id, after in sorted(state.guest_invites.items()):
            entry = state.roster.get(guest_id)
            if entry is None or entry.removed:
                continue
            mine = invited_session(state.sessions, after)
            if mine is not None and mine.session_id == live.session_id:
                drafts.append(Draft("member.removed", EVERYONE, {"member_id": guest_id, "revoked": True, "invitation_ended": True}))
    return drafts


def _guest_admit(ctx: _Context) -> list[Draft]:
    live = ctx.state.session
    if live is None:
        raise _fail(ErrorCode.CONFLICT, "No session is running, so nobody can be let in; start the family session first.")
    target = ctx.data["member_id"]
    entry = ctx.state.roster.get(target)
    if entry is None or entry.role != GUEST or entry.removed:
        raise _fail(ErrorCode.NOT_FOUND, f"There is no guest {target} in this group; /who lists who is waiting.")
    if live.kind != SessionKind.FAMILY:
        raise _fail(ErrorCode.CONFLICT, f"Guests join family sessions only, and this is a {live.kind} session; start a family session to let {entry.name} in.")
    if ctx.state.visited(target):
        raise _fail(ErrorCode.CONFLICT, f"{entry.name} is already in the session.")
    invited = ctx.state.guest_invites.get(target)
    if invited is not None:
        mine = invited_session(ctx.state.sessions, invited)
        if mine is None or mine.session_id != live.session_id:
            raise _fail(ErrorCode.FORBIDDEN, f"{entry.name} was invited to another family session, not this one.")
    if entry.status != "online":
        raise _fail(ErrorCode.CONFLICT, f"{entry.name} is not connected yet; let them in once they are waiting.")
    return [Draft("guest.arrived", MEMBER, {"member_id": target, "session_id": live.session_id, "admitted": True}, subject=target)]


def _feed_post(ctx: _Context) -> list[Draft]:
    if ctx.state.session is not None:
        raise _fail(ErrorCode.CONFLICT, "The feed is for between sessions, and a session is running; share it in the check-in or the chat now.")
    if ctx.muted:
        raise _fail(ErrorCode.FORBIDDEN, "A facilitator has muted you, so you cannot post to the feed; you can still write to the facilitators privately.")
    text = ctx.data["text"].strip()
    return [Draft("feed.posted", MEMBERS, {"post_id": SEQ, "member_id": ctx.actor.member_id, "text": text})]


def _feed_delete(ctx: _Context) -> list[Draft]:
    pid = ctx.data["post_id"]
    if not any(p.post_id == pid for p in ctx.state.feed):
        raise _fail(ErrorCode.NOT_FOUND, f"There is no post {pid} in the feed; /feed lists them.")
    return [Draft("feed.deleted", MEMBERS, {"post_id": pid})]


def _resource_pin(ctx: _Context) -> list[Draft]:
    d = ctx.data
    if len(ctx.state.resources) >= MAX_RESOURCES:
        raise _fail(ErrorCode.CONFLICT, f"The group already has {MAX_RESOURCES} pinned resources, the most it keeps; unpin one first.")
    link, text = d["link"].strip(), d["text"].strip()
    if not link and not text:
        raise _fail(ErrorCode.INVALID, "A resource needs a link or a short text as well as its title; add one.")
    return [Draft("resource.pinned", MEMBERS, {"resource_id": SEQ, "title": d["title"], "link": link, "text": text})]


def _resource_unpin(ctx: _Context) -> list[Draft]:
    rid = ctx.data["resource_id"]
    if rid not in ctx.state.resources:
        raise _fail(ErrorCode.NOT_FOUND, f"There is no pinned resource {rid}; /resources lists them.")
    return [Draft("resource.unpinned", MEMBERS, {"resource_id": rid})]
# -- reminders (issue 15a) --


def _reminders_set(ctx: _Context) -> list[Draft]:
    """A member's own reminder choices. The event says what changed, never an
    address: the addresses go to the store only (the edge's side write, see
    server/reminders.py)."""
    d = ctx.data
    me = ctx.actor.member_id
    try:
        email = None if d["email"] is None else clean_email(d["email"])
        sms = None if d["sms"] is None else clean_phone(d["sms"])
        quiet = None if d["quiet"] is None else parse_quiet(d["quiet"])
    except ValueError as exc:
        raise _fail(ErrorCode.INVALID, str(exc)) from None
    if all(d[k] is None for k in ("consent", "email", "sms", "lead", "quiet")):
        raise _fail(ErrorCode.INVALID, "Say what to change: reminders on or off, an email address, a phone number, a lead time or quiet hours.")
    data: dict[str, Any] = {
        "member_id": me,
        "consent": d["consent"],
        "email": None if email is None else ("set" if email else "removed"),
        "sms": None if sms is None else ("set" if sms else "removed"),
        "lead": d["lead"],
        "quiet": None if d["quiet"] is None else (ReminderPrefs(quiet=quiet).quiet_text),
    }
    return [Draft("reminders.changed", MEMBER, data, subject=me)]
# -- shared boards (issue 14 part B; protocol/board.py) ----------------------------


def _live_board(ctx: _Context, board_id: int, doing: str) -> Board:
    """A board of the live session, or a refusal."""
    sid = _need_session_as_member(ctx, doing) if ctx.actor.role != FACILITATOR else _need_session(ctx, doing)
    board = ctx.state.boards.get(board_id)
    if board is None:
        raise _fail(ErrorCode.NOT_FOUND, "There is no such board; type /board to see the board of this session.")
    if board.session_id != sid:
        raise _fail(ErrorCode.CONFLICT, f"The board {board.title!r} belongs to an earlier session, so it cannot change now.")
    return board


def _live_card(ctx: _Context, doing: str, key: str = "card_id") -> tuple[Board, Card]:
    card = ctx.state.card(ctx.data[key])
    if card is None:
        raise _fail(ErrorCode.NOT_FOUND, "There is no such card; type /board to see the cards and their numbers.")
    board = _live_board(ctx, card.board_id, doing)
    if card.removed:
        raise _fail(ErrorCode.NOT_FOUND, f"Card {card.number} is no longer on the board; type /board to see the cards.")
    return board, card


def _hidden(board: Board, actor: Actor) -> bool:
    """Whether a member's act on this board is logged with no actor (anonymous boards; facilitators act by name)."""
    return board.anonymous and actor.role != FACILITATOR


def _column(board: Board, column: int) -> int:
    if column >= len(board.columns):
        raise _fail(ErrorCode.INVALID, f"The board has {_plural(len(board.columns), 'column')}; choose a column from 1 to {len(board.columns)}.")
    return column


def _card_alert(ctx: _Context, board: Board, number: int, text: str) -> list[Draft]:
    """A card holding a word on the group's watch list raises an alert for the facilitators
    (naming the writer, even on an anonymous board: they already know who wrote it)."""
    folded = text.casefold()
    tokens = set(re.findall(r"\w+", folded))
    watched = sorted(w for w in ctx.state.watch_words if (w in tokens if " " not in w else re.search(rf"\b{re.escape(w)}\b", folded)))
    if not watched:
        return []
    reason = f"card {number} on the board {board.title}: watched words: {', '.join(watched)}"
    return [Draft("alert.raised", FACILITATORS, {"member_id": ctx.actor.member_id, "source": "card", "reason": reason})]


def _board_open(ctx: _Context) -> list[Draft]:
    sid = _need_session(ctx, "open a board")
    if sum(1 for b in ctx.state.boards.values() if b.session_id == sid) >= MAX_BOARDS:
        raise _fail(ErrorCode.CONFLICT, f"This session already has {MAX_BOARDS} boards, the most it may have; clear one and use it again.")
    columns = [c.strip() for c in ctx.data["columns"]]
    folded = [c.casefold() for c in columns]
    if len(set(folded)) != len(folded):
        raise _fail(ErrorCode.INVALID, "Two columns have the same title; give every column a different title.")
    opened = {"board_id": SEQ, "title": ctx.data["title"].strip(), "columns": columns, "anonymous": bool(ctx.data["anonymous"])}
    return [Draft("board.opened", MEMBERS, opened)]


def _board_clear(ctx: _Context) -> list[Draft]:
    board = _live_board(ctx, ctx.data["board_id"], "clear a board")
    column = ctx.data["column"]
    if column is not None:
        _column(board, column)
    if not board.live_cards(column):
        return []
    return [Draft("board.cleared", MEMBERS, {"board_id": board.board_id, "column": column})]


def _card_add(ctx: _Context) -> list[Draft]:
    board = _live_board(ctx, ctx.data["board_id"], "add a card")
    column = _column(board, ctx.data["column"])
    if ctx.muted:
        raise _fail(ErrorCode.FORBIDDEN, "A facilitator has muted you, so you cannot add cards; you can still write to the facilitators privately.")
    if len(board.cards) >= MAX_CARDS:
        raise _fail(ErrorCode.CONFLICT, f"The board {board.title!r} holds its most cards ({MAX_CARDS}); ask the facilitator to open another.")
    mid = ctx.actor.member_id
    added: dict[str, Any] = {"card_id": SEQ, "board_id": board.board_id, "number": len(board.cards) + 1, "column": column, "text": ctx.data["text"].strip()}
    alert = _card_alert(ctx, board, added["number"], added["text"])
    if not board.anonymous:
        return [Draft("card.added", MEMBERS, {**added, "member_id": mid}), *alert]
    # The group learns the card, never its writer; the writer and the facilitators learn whose it
    # is first, so their notice of the card can already say "Your card" or "by Sam".
    return [
        Draft("card.author", MEMBER, {"card_id": SEQ, "member_id": mid}, subject=mid),
        Draft("card.added", MEMBERS, added, anonymous=_hidden(board, ctx.actor)),
        *alert,
    ]


def _card_edit(ctx: _Context) -> list[Draft]:
    board, card = _live_card(ctx, "edit a card")
    if card.author != ctx.actor.member_id:
        raise _fail(ErrorCode.FORBIDDEN, f"Card {card.number} is not yours; you can edit only your own cards.")
    if ctx.muted:
        raise _fail(ErrorCode.FORBIDDEN, "A facilitator has muted you, so you cannot change cards; you can still write to the facilitators privately.")
    text = ctx.data["text"].strip()
    if text == card.text:
        return []
    edited = Draft("card.edited", MEMBERS, {"card_id": card.card_id, "text": text}, anonymous=_hidden(board, ctx.actor))
    return [edited, *_card_alert(ctx, board, card.number, text)]


def _card_remove(ctx: _Context) -> list[Draft]:
    board, card = _live_card(ctx, "remove a card")
    if card.author != ctx.actor.member_id and ctx.actor.role != FACILITATOR:
        raise _fail(ErrorCode.FORBIDDEN, f"Card {card.number} is not yours; you can remove only your own cards.")
    return [Draft("card.removed", MEMBERS, {"card_id": card.card_id}, anonymous=_hidden(board, ctx.actor))]


def _card_plus(ctx: _Context) -> list[Draft]:
    board, card = _live_card(ctx, "add a +1")
    mid = ctx.actor.member_id
    if mid in card.plus_by:
        raise _fail(ErrorCode.CONFLICT, f"You have already given card {card.number} a +1; one each.")
    if not board.anonymous:
        return [Draft("card.plussed", MEMBERS, {"card_id": card.card_id, "member_id": mid})]
    return [
        Draft("card.plussed", MEMBERS, {"card_id": card.card_id}, anonymous=_hidden(board, ctx.actor)),
        Draft("card.plus_by", MEMBER, {"card_id": card.card_id, "member_id": mid}, subject=mid),
    ]


def _card_move(ctx: _Context) -> list[Draft]:
    board, card = _live_card(ctx, "move a card")
    column = _column(board, ctx.data["column"])
    if column == card.column:
        return []
    return [Draft("card.moved", MEMBERS, {"card_id": card.card_id, "column": column})]


def _card_merge(ctx: _Context) -> list[Draft]:
    _, card = _live_card(ctx, "merge cards")
    _, into = _live_card(ctx, "merge cards", "into")
    if into.card_id == card.card_id:
        raise _fail(ErrorCode.INVALID, "A card cannot be merged into itself; choose two different cards.")
    if into.board_id != card.board_id:
        raise _fail(ErrorCode.INVALID, "Those cards are on different boards; merge cards of one board.")
    if len(into.merged) + 1 + len(card.merged) > MAX_MERGED:
        raise _fail(ErrorCode.CONFLICT, f"Card {into.number} already holds the words of {len(into.merged)} cards, the most it may; merge into another card.")
    return [Draft("card.merged", MEMBERS, {"card_id": card.card_id, "into": into.card_id})]


_HANDLERS: dict[str, Callable[[_Context], list[Draft]]] = {
    "session.start": _session_start,
    "session.end": _session_end,
    "phase.set": _phase_set,
    "checkin.submit": _checkin_submit,
    "deck.load": _deck_load,
    "slide.goto": _slide_goto,
    "poll.open": _poll_open,
    "poll.vote": _poll_vote,
    "poll.close": _poll_close,
    "poll.reveal": _poll_reveal,
    "chat.send": _chat_send,
    "chat.reply": _chat_reply,
    "chat.delete": _chat_delete,
    "hand.raise": _hand_raise,
    "hand.lower": _hand_lower,
    "homework.assign": _homework_assign,
    "homework.submit": _homework_submit,
    "member.mute": _member_mute,
    "member.remove": _member_remove,
    "urgent.raise": _urgent_raise,
    "urgent.acknowledge": _urgent_acknowledge,
    "measure.give": _measure_give,
    "measure.answer": _measure_answer,
    "safety.contact": _safety_contact,
    # -- the facilitator's kit (issue 14 part A) --
    "journal.open": _journal_open,
    "journal.close": _journal_close,
    "journal.write": _journal_write,
    "journal.share": _journal_share,
    "goround.start": _goround_start,
    "goround.next": _goround_next,
    "goround.pass": _goround_pass,
    "goround.end": _goround_end,
    "member.nudge": _member_nudge,
    "member.slow": _member_slow,
    # between sessions
    "guest.admit": _guest_admit,
    "feed.post": _feed_post,
    "resource.pin": _resource_pin,
    "resource.unpin": _resource_unpin,
    "feed.delete": _feed_delete,
    "reminders.set": _reminders_set,
    # shared boards
    "board.open": _board_open,
    "board.clear": _board_clear,
    "card.add": _card_add,
    "card.edit": _card_edit,
    "card.remove": _card_remove,
    "card.plus": _card_plus,
    "card.move": _card_move,
    "card.merge": _card_merge,
}


# -- small rooms: breakout rooms and role-play (issue 13), decided in server/smallrooms.py --
def _smallroom(decide_it: smallrooms.Handler) -> Callable[[_Context], list[Draft]]:
    return lambda ctx: decide_it(ctx.state, ctx.actor, ctx.data, ctx.now)


_HANDLERS.update({kind: _smallroom(handler) for kind, handler in smallrooms.HANDLERS.items()})
