"""The plain face's narrator: the session's notices as lines, in order.

Every event is one line, the important words first; nothing is redrawn, no
colour, no spinner, nothing on a timer tick. The catch-up replay on joining is
summarised in one line, and a burst of arrivals and departures becomes one line
("Joined: Sam, Alex."). Speech is kept from falling behind (issue 12): every
line written is counted on a :class:`~iop_tui.core.speech.SpeechClock`, a slide
moved on while the reader is still behind is said by its title, and a poll closed
and revealed at once is said once, as its results. :class:`Narrator` is driven by
the session's notices (subscribe :meth:`Narrator.on_notices`);
:class:`~iop_tui.plain.face.PlainFace` adds the typed commands on top of it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from collections.abc import Callable
from typing import Any

from protocol.messages import PHASE_TITLES
from protocol.roles import FACILITATOR, GUEST

from iop_tui.core import words
from iop_tui.core.speech import SLIDE_BACKLOG_S, SpeechClock
from iop_tui.plain.text import clean, get as _get, markdown_lines, plural as _plural, speakable as _speakable

__all__ = ["Narrator", "VERBOSITIES", "PRESENCE_WINDOW_S"]

VERBOSITIES = words.VERBOSITIES
#: Urgent requests, alerts and their acknowledgement are said in every verbosity.
SAFETY_KINDS = ("urgent.raised", "alert.raised", "urgent.acknowledged", "urgent.emailed")
PRESENCE_WINDOW_S = 1.0  # presence changes within this window are said in one line
#: Questionnaires and safety details: said to their member and the facilitators (see _measure_line).
MEASURE_KINDS = ("measure.given", "measure.answered", "measure.scored", "safety.contact", "checkin.location")
#: Small rooms (issue 13): where a member is and what their part is, said even when quiet.
_WHERE_I_AM = ("breakout.opened", "breakout.broadcast", "room.opened", "room.joined", "room.left", "room.visited", "room.warned", "breakout.closed", "roleplay.started", "roleplay.cue", "roleplay.ended")
URGENT_REPEAT_S = 60.0  # an unacknowledged urgent request or alert is said again once a minute
#: "Poll closed: <question>" waits this long: results that follow at once say it all (the question once).
CLOSED_WINDOW_S = 0.5
#: Kinds never kept for /history or /missed: they are not events of the group.
# "waiting": a guest before /admit; "schedule": the schedule frame (issue 15a)
_NOT_EVENTS = ("presence", "connection", "welcome", "synced", "error", "waiting", "schedule")


def _priority(notice: Any) -> int:
    """Lower is said first in a burst: safety, then what needs the facilitator now, then the rest."""
    kind = str(_get(notice, "kind", "") or "")
    if kind in SAFETY_KINDS:
        return 0
    if kind in ("hand.raised", "checkin.note", "member.removed") or str(_get(notice, "text", "")).startswith("Private"):
        return 1
    return 2


@dataclass
class Heard:
    """One event as this reader received it, for /history and /missed."""

    kind: str
    text: str
    seq: int | None
    who: str = ""  # the member it is about, where a summary names them (a raised hand)


@dataclass
class _Presence:
    before: dict[str, bool]  # name -> was here when the burst began
    after: dict[str, bool]  # name -> is here now


class Narrator:
    """Says a session as lines: ``write`` receives one already-cleaned line at a time."""

    #: Seconds between the repeats of an alert nobody has acknowledged (the only repeating line).
    repeat_s = URGENT_REPEAT_S

    def __init__(self, session: Any, write: Callable[[str], None], verbosity: str = "normal", *, bell: Callable[[], None] | None = None) -> None:
        if verbosity not in VERBOSITIES:
            raise ValueError(f"verbosity must be one of {VERBOSITIES}")
        self.session = session
        # speech pacing (issue 12): every line written is counted on the speech clock
        self.clock: Callable[[], float] = time.monotonic
        self.speech = SpeechClock()
        self._write = self._paced(write)
        self._bell = bell
        self._announced: set[int] = set()  # alerts already said to this facilitator
        self._repeat_handle: asyncio.TimerHandle | None = None
        self.verbosity = verbosity
        self._joined = False
        self._presence = _Presence({}, {})
        self._presence_handle: asyncio.TimerHandle | None = None
        self._closed: tuple[int, str, asyncio.TimerHandle] | None = None  # a poll's closed line, waiting for its results
        self._statuses: dict[int, str] = {}
        self._conn_state: str | None = None
        self._pending_before = 0
        self._last_slide: tuple[str, int] | None = None
        self._told_all_voted: set[int] = set()
        self.fatal: str | None = None
        self.last_said = ""  # the last line written, so a final sentence is never said twice in a row
        self.on_join: Callable[[], None] | None = None  # called once the first catch-up is done
        #: A typed line the relay refused, once said back: run.py puts it on the prompt row to edit.
        self.give_back: Callable[[str], None] = lambda line: None
        self.bell = False  # a BEL before a raised hand and a private line
        self.heard: list[Heard] = []  # every event received, replay included (/history)
        self.missed: list[Heard] = []  # live events since the person last typed (/missed)

    @property
    def model(self) -> Any:
        return self.session.model

    @property
    def joined(self) -> bool:
        """Whether the first catch-up is done (typed lines wait until then)."""
        return self._joined

    # -- output ----------------------------------------------------------------

    def say(self, text: str, *, verbatim: bool = False, bell: bool = False) -> None:
        """Write one line; ``verbatim`` keeps a person's own words exactly as written;
        ``bell`` rings the terminal's bell (BEL) first when the person asked for it."""
        line = clean(text)
        if not verbatim:
            line = _speakable(line)
        if line:
            self.last_said = line
            self._write(("\a" if bell and self.bell else "") + line)

    def _paced(self, write: Callable[[str], None]) -> Callable[[str], None]:
        """``write``, counting each line on :attr:`speech` (what a screen reader has still to say)."""

        def paced(line: str) -> None:
            self.speech.said(line, self.clock())
            write(line)

        return paced

    def ring(self) -> None:
        """The terminal bell (BEL), when the face has a terminal."""
        if self._bell is not None:
            self._bell()

    def close(self) -> None:
        """Stop the timers (the presence gathering and the urgent repeat); say a waiting closed line."""
        self._say_closed()
        for handle in (self._presence_handle, self._repeat_handle):
            if handle is not None:
                handle.cancel()
        self._presence_handle = self._repeat_handle = None

    def _is_facilitator(self) -> bool:
        me = self.model.me
        return me is not None and me.role == FACILITATOR

    # -- notices ---------------------------------------------------------------

    def on_notices(self, notices: list[Any]) -> None:
        """Session callback, after every frame."""
        try:
            self._on_notices(notices)
        except Exception as exc:  # a face must never die of a sentence
            self.say(f"Could not describe an update ({type(exc).__name__}); type /status to check the session.")

    def _on_notices(self, notices: list[Any]) -> None:
        model = self.model
        self._connection_lines()
        self._keep(notices, live=bool(model.synced and self._joined))
        if not model.synced or model.me is None:
            return
        if not self._joined:
            self._joined = True
            self._snapshot_presence()
            self._say_joined()
            self._alerts_waiting()
            if self.on_join is not None:
                self.on_join()
            return
        for notice in sorted(notices, key=_priority):  # stable: same priority keeps its order
            if not _get(notice, "live", True):
                continue
            self._narrate(notice)
        self._track_presence()
        self._alerts_waiting()

    # -- safety ------------------------------------------------------------------

    def _alert_said(self, text: str, alert_id: int) -> None:
        """An urgent request or alert, to a facilitator: its line, what to type, the bell."""
        self._announced.add(alert_id)
        self.say(f"{text} {words.ack_hint(alert_id)}", verbatim=True)
        self.ring()

    def _alerts_waiting(self) -> None:
        """Say (once) the waiting alerts this facilitator has not heard (on joining, after
        a reconnect), and keep the once-a-minute repeat running while any wait."""
        if not self._is_facilitator():
            return
        state = self.model.state
        waiting = state.unacknowledged()
        for alert in waiting:
            if alert.alert_id not in self._announced:
                self._alert_said(words.alert_line(alert, state), alert.alert_id)
        if waiting and self._repeat_handle is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return
            self._repeat_handle = loop.call_later(self.repeat_s, self._repeat)
        elif not waiting and self._repeat_handle is not None:
            self._repeat_handle.cancel()
            self._repeat_handle = None

    def _repeat(self) -> None:
        self._repeat_handle = None
        state = self.model.state
        for alert in state.unacknowledged():
            self.say(words.still_waiting_text(alert, state), verbatim=True)
            self.ring()
        self._alerts_waiting()

    def _measure_line(self, kind: str, text: str, facilitator: bool, quiet: bool, everything: bool) -> None:
        """Questionnaires and safety details. A member hears each of their own (an
        answer as the next question); a facilitator hears scores in every verbosity,
        what was given and safety details unless quiet, single answers only in all."""
        if not facilitator:
            if kind != "measure.answered":
                self.say(text, verbatim=True)
            if kind in ("measure.given", "measure.answered"):
                self._say_measure_item()
            return
        if kind == "measure.scored" or (kind == "measure.answered" and everything) or (kind != "measure.answered" and not quiet):
            self.say(text, verbatim=True)

    def _say_measure_item(self) -> None:
        from iop_tui.core.safety import current_item

        pending = current_item(self.model.state, self.model.me_id)
        if pending is not None:
            self.say(words.measure_item_text(pending))

    def _keep(self, notices: list[Any], *, live: bool) -> None:
        """Keep every event for /history, and the live ones for /missed."""
        state = self.model.state
        for notice in notices:
            kind = str(_get(notice, "kind", "") or "")
            text = str(_get(notice, "text", "") or "")
            if kind in _NOT_EVENTS or not text or _get(notice, "level", "info") == "error":
                continue
            who = clean(state.name_of(state.hands[-1])) if kind == "hand.raised" and state.hands else ""
            heard = Heard(kind, text, _get(notice, "seq"), who)
            self.heard.append(heard)
            if live and _get(notice, "live", True):
                self.missed.append(heard)

    def _say_joined(self) -> None:
        model, state = self.model, self.model.state
        me = model.me
        parts = [f"Joined {model.group_name or 'the group'} as {me.name}, {me.role}."]
        if state.session is not None:
            phase = PHASE_TITLES.get(state.phase or "", "")
            title = state.session.title or "untitled"
            parts.append(f"Session {title} is live" + (f", phase {phase.lower()}." if phase else ", no phase yet."))
        elif not (me.role == GUEST and not state.visited(me.member_id)):  # a waiting guest cannot know
            parts.append("No session is live right now.")
            if model.schedule is not None:  # issue 15a: the next planned session
                parts.append(words.next_session_text(model.schedule, time.time()))
        here = [e for e in state.roster.values() if e.status == "online" and not e.removed]
        if me.role == GUEST:
            if not state.visited(me.member_id):  # an invited guest before /admit (issue 15)
                parts.append(words.GUEST_WAITING)
            else:
                parts.append(words.guest_present_text([clean(e.name) for e in here if e.member_id != me.member_id]))
        elif here:
            parts.append(f"{_plural(len(here), 'person', 'people')} here.")
        sid = state.session.session_id if state.session is not None else None
        chat = [c for c in state.visible_chat() if sid is not None and c.session_id == sid]
        if chat:
            parts.append(f"{_plural(len(chat), 'chat message')} so far in this session; type /history to read them.")
        open_polls = state.open_polls()
        if open_polls:
            parts.append(f"{_plural(len(open_polls), 'poll')} open; type /poll to hear {'it' if len(open_polls) == 1 else 'them'}.")
        if state.phase:
            parts.append(words.PHASE_HINTS.get(state.phase, "") if not self._is_facilitator() else "")
        self.say(" ".join(p for p in parts if p))
        if state.session is not None and state.phase == "psychoeducation" and state.slides:
            self._say_slide(state.slide_index)
        if state.slides:
            self._last_slide = (state.deck_title, state.slide_index)

    def _narrate(self, notice: Any) -> None:
        kind = str(_get(notice, "kind", "") or "")
        level = str(_get(notice, "level", "info") or "info")
        text = str(_get(notice, "text", "") or "")
        state = self.model.state
        facilitator = self._is_facilitator()
        quiet, everything = self.verbosity == "quiet", self.verbosity == "all"
        if kind in ("presence", "connection", "welcome", "synced", "waiting"):
            return  # presence is gathered from the roster, connection lines from the status (and the waiting room)
        if level == "error" or kind == "error":
            self.say(text)
            returned = self.model.take_returned_line() if kind == "error" else None
            if returned:  # a typed line the relay refused: said back whole, and back at the prompt
                self.say(words.returned_line_text(returned), verbatim=True)
                self.give_back(returned)
            return
        if kind == "phase":
            if state.phase:
                hint = "" if facilitator else " " + words.PHASE_HINTS.get(state.phase, "")
                self.say(f"Phase: {words.phase_name(state.phase)}.{hint}")
                if state.phase == "psychoeducation" and state.slides and not quiet:
                    self._last_slide = (state.deck_title, state.slide_index)
                    self._announce_slide(state.slide_index)
            return
        if kind == "slide.changed":
            key = (state.deck_title, state.slide_index)
            if not quiet and key != self._last_slide:
                self._last_slide = key
                self._announce_slide(state.slide_index, moved=True)
            return
        if kind == "deck.loaded":
            self._last_slide = (state.deck_title, state.slide_index)
            if not quiet:
                self.say(text + " Type /slides to list them.")
                if state.phase == "psychoeducation":
                    self._announce_slide(state.slide_index)
            return
        if kind == "poll.opened":
            poll = max(state.polls.values(), key=lambda p: p.poll_id, default=None)
            if poll is not None:
                number = self._poll_number(poll) if facilitator else None  # facilitators close and reveal by number
                line = words.poll_open_line(poll, state, hints=not facilitator, number=number)
                if poll.kind == "scale" and not facilitator:
                    line = line.replace(" Options: 0 to 10.", "")  # the hint says "a number from 0 to 10"
                # a facilitator hears "It is poll N." only: how to close and reveal it is said once,
                # when everyone has voted (speech budget, issue 12: a private note waited behind the hint)
                self.say(line)
            return
        if kind == "poll.revealed":
            poll = self._latest("revealed")
            if self._closed is not None and poll is not None and self._closed[0] == poll.poll_id:
                self._closed[2].cancel()  # its results say it is closed, and the question once
                self._closed = None
            self.say(self._results_line(poll) if poll is not None else text)
            me = self.model.me
            mark = words.quiz_mark_text(poll, poll.votes.get(me.member_id, [])) if poll is not None and me is not None else None
            if mark:
                self.say(mark)
            return
        if kind == "poll.closed":
            self._poll_closed(text)
            return
        if kind == "poll.voted":
            if text.startswith("Your ") or everything:
                self.say(text)
            elif facilitator and not quiet:
                self._all_voted()
            return
        if kind.startswith("hand."):
            if text.startswith("Your ") or everything or facilitator:
                if facilitator and kind == "hand.lowered":
                    text = f"{text} {words.next_hand_text(state)}"
                self.say(text, bell=kind == "hand.raised" and not text.startswith("Your "))
            return
        if kind in ("urgent.raised", "alert.raised") and facilitator:
            seq = _get(notice, "seq")
            if seq is not None:
                self._alert_said(text, int(seq))
            else:
                self.say(text, verbatim=True)
            return
        if kind in MEASURE_KINDS:
            self._measure_line(kind, text, facilitator, quiet, everything)
            return
        if kind == "journal.shared" and facilitator and not everything:  # speech budget (issue 12): the group's shares on request
            brief = words.journal_shared_brief(text)
            if brief is not None:
                self.say(brief)
                return
        if kind == "journal.progress":  # the facilitator's kit: a count per change only in all; /journal reads them
            if everything or text.startswith("Journaling: all "):
                self.say(text)
            return
        if kind == "chat.posted":
            line = self._chat_line(_get(notice, "seq"))
            hint = words.reply_hint(line, state, self.model.me_id) if line is not None else None
            to_me = hint and not facilitator  # a facilitator's reply to this member
            from_member = facilitator and line is not None and line.thread is not None and line.member_id == line.thread
            if quiet and text.startswith("Private") and not (to_me or from_member):
                return  # quiet still says every private line addressed to this reader
            if from_member and line is not None:
                hint = f"{hint} /thread {clean(state.name_of(line.thread))} reads the thread."
            self.say(f"{text} {hint}" if hint else text, verbatim=True, bell=bool(to_me or from_member))
            return
        if quiet and kind not in ("session.started", "session.ended", "member.muted", "member.removed", "checkin.note", *SAFETY_KINDS, *_WHERE_I_AM):
            return
        self.say(text)

    def _poll_closed(self, text: str) -> None:
        """Say a poll closed, unless its results come within :data:`CLOSED_WINDOW_S` (a reveal
        closes and shows at once: "Poll closed: Q" then "Poll results, Q ..." said the question twice)."""
        poll = self._latest("closed")
        self._say_closed()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if poll is None or loop is None:
            self.say(text)
            return
        self._closed = (poll.poll_id, text, loop.call_later(CLOSED_WINDOW_S, self._say_closed))

    def _say_closed(self) -> None:
        """The waiting closed line, now (its results did not come)."""
        waiting, self._closed = self._closed, None
        if waiting is not None:
            waiting[2].cancel()
            self.say(waiting[1])

    def _chat_line(self, seq: Any) -> Any:
        """The chat line a chat.posted notice (by its seq) created, if it is still held."""
        if seq is None:
            return None
        return next((c for c in reversed(self.model.state.chat) if c.message_id == seq), None)

    def _all_voted(self) -> None:
        """Tell a facilitator once when every participant here has voted in an open poll."""
        state = self.model.state
        here = {e.member_id for e in state.roster.values() if e.role != FACILITATOR and e.status == "online" and not e.removed}
        for poll in state.open_polls():
            if here and here <= set(poll.votes) and poll.poll_id not in self._told_all_voted:
                self._told_all_voted.add(poll.poll_id)
                n = self._poll_number(poll)
                self.say(f"Everyone here has voted in poll {n}, {_plural(len(poll.votes), 'vote')}: /close {n} closes it, /reveal {n} shows the results.")

    def _latest(self, kind: str) -> Any:
        polls = [p for p in self.model.state.polls.values() if p.status == kind]
        return max(polls, key=lambda p: p.poll_id, default=None)

    # -- presence -------------------------------------------------------------------

    def _snapshot_presence(self) -> None:
        self._statuses = {mid: e.status for mid, e in self.model.state.roster.items()}

    def _track_presence(self) -> None:
        me = self.model.me
        for mid, entry in self.model.state.roster.items():
            before = self._statuses.get(mid, "offline")
            now = entry.status
            self._statuses[mid] = now
            if (me is not None and mid == me.member_id) or before == now:
                continue
            if now == "online" and before == "offline":
                self._presence_change(entry.name, joined=True)
            elif now == "offline":
                self._presence_change(entry.name, joined=False)

    def _presence_change(self, name: str, joined: bool) -> None:
        if self.verbosity == "quiet":
            return
        if self.verbosity == "all":
            self.say(f"{'Joined' if joined else 'Left'}: {name}.")
            return
        # remember who was here before the burst and who is here at its end: a quick
        # leave-and-return (a flaky link) cancels out instead of making two lines
        self._presence.before.setdefault(name, not joined)
        self._presence.after[name] = joined
        if self._presence_handle is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                self.flush_presence()
                return
            self._presence_handle = loop.call_later(PRESENCE_WINDOW_S, self.flush_presence)

    def flush_presence(self) -> None:
        """Say the gathered arrivals and departures in one line."""
        if self._presence_handle is not None:
            self._presence_handle.cancel()
        self._presence_handle = None
        burst, self._presence = self._presence, _Presence({}, {})
        joined = [n for n, here in burst.after.items() if here and not burst.before[n]]
        left = [n for n, here in burst.after.items() if not here and burst.before[n]]
        parts = []
        if joined:
            parts.append("Joined: " + ", ".join(joined) + ".")
        if left:
            parts.append("Left: " + ", ".join(left) + ".")
        if parts:
            self.say(" ".join(parts))

    # -- connection -------------------------------------------------------------------

    def _connection_lines(self) -> None:
        conn = getattr(self.model, "conn", None)
        state = _get(conn, "state")
        if state is None or state == self._conn_state:
            if state == "reconnecting":
                self._pending_before = max(self._pending_before, int(_get(conn, "pending", 0) or 0))
            return
        previous, self._conn_state = self._conn_state, state
        pending = int(_get(conn, "pending", 0) or 0)
        if state == "reconnecting" and not self._joined and _get(conn, "message"):
            # Never joined: "connection lost" would be wrong; say what answered, and how to leave.
            self.say(clean(_get(conn, "message")) + " Type /status to check, or Control D to leave.")
        elif state == "reconnecting":
            self._pending_before = pending
            retry = _get(conn, "retry_in")
            seconds = round(float(retry)) if isinstance(retry, (int, float)) else 0
            when = f" in {_plural(seconds, 'second')}" if seconds >= 1 else ""
            self.say(f"Connection lost. Reconnecting{when}; what you type is kept and sent when it is back.")
        elif state == "connected" and previous in ("reconnecting", "offline"):
            sent = self._pending_before
            self._pending_before = 0
            self.say("Reconnected." + (f" {_plural(sent, 'message')} sent." if sent else ""))
        elif state == "offline" and previous is not None:
            self.say("Offline." + (f" {_plural(pending, 'message')} waiting to be sent." if pending else ""))
        elif state == "failed":
            self.fatal = clean(_get(conn, "message") or "The server refused this client; ask your facilitator for a new invitation.")

    # -- slides and polls ----------------------------------------------------------------

    def _announce_slide(self, index: int, moved: bool = False) -> None:
        """A slide change: a facilitator (who wrote the deck) hears its title only,
        unless verbosity is all; members hear it whole, or, when the slide ``moved``
        on while more than :data:`SLIDE_BACKLOG_S` seconds of speech still wait (the
        last one could not be read aloud yet), its title only. /slide reads it whole."""
        if self._is_facilitator() and self.verbosity != "all":
            slides = self.model.state.slides
            if 0 <= index < len(slides):
                self.say(words.slide_line(self.model.state, index) + ".")
            return
        if moved and self.verbosity != "all" and self.speech.backlog(self.clock()) > SLIDE_BACKLOG_S and 0 <= index < len(self.model.state.slides):
            # The slide moved on before what was said could be read aloud: its title, the body on request.
            self.say(words.slide_behind_text(self.model.state, index))
            return
        self._say_slide(index)

    def _say_slide(self, index: int) -> None:
        slides = self.model.state.slides
        if not slides:
            self.say("No slides are loaded.")
            return
        if not 0 <= index < len(slides):
            self.say(f"There is no slide {index + 1}; the deck has {len(slides)} slides.")
            return
        slide = slides[index]
        title = clean(slide.get("title", "")) or "untitled"
        self.say(f"Slide {index + 1} of {len(slides)}, {title}:")
        for line in markdown_lines(slide.get("body", ""), skip_title=title):
            self.say(line)

    def _poll_number(self, poll: Any) -> int:
        return sorted(self.model.state.polls).index(poll.poll_id) + 1

    def _options_text(self, poll: Any) -> str:
        if poll.kind == "scale":
            return "Answer from 0 to 10."
        return "Options: " + ", ".join(f"{i} {clean(o)}" for i, o in enumerate(poll.options, 1)) + "."


    def _result_parts(self, poll: Any) -> list[str]:
        """Result lines; a scale's options nobody chose are left out (eleven zeros are noise)."""
        if poll.kind == "scale":
            counts = poll.tally()
            chosen = [(value, n) for value, n in enumerate(counts) if n]
            total = sum(n for _, n in chosen)
            if not total:
                return []
            average = sum(value * n for value, n in chosen) / total
            return [f"{_plural(n, 'vote')} for {value}" for value, n in sorted(chosen, key=lambda c: -c[1])] + [f"average {average:.1f}".removesuffix(".0")]
        return words.poll_votes_lines(poll)

    def _results_line(self, poll: Any) -> str:
        parts = self._result_parts(poll) or ["no votes"]
        return f"Poll results, {clean(poll.question)} " + "; ".join(parts) + "."

    def _poll_result(self, poll: Any) -> list[str]:
        status = {"open": "open", "closed": "closed", "revealed": "results"}.get(poll.status, poll.status)
        head = f"Poll {self._poll_number(poll)} {status}: {clean(poll.question)}"
        lines = []
        if poll.status == "revealed" or self._is_facilitator():
            lines.append(f"{head} {_plural(poll.voters(), 'vote')}.")
            lines.extend(self._result_parts(poll))
        else:
            lines.append(f"{head} {self._options_text(poll)}")
        me = self.model.me
        mine = poll.votes.get(me.member_id) if me is not None else None
        if mine:
            lines.append("Your vote: " + ", ".join(clean(poll.option_label(c)) for c in mine) + ".")
        return lines
