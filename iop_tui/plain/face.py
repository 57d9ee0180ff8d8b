"""The plain face: a typed line -> the core's command interpreter -> the session.

:class:`PlainFace` is the :class:`~iop_tui.plain.narrator.Narrator` (events as
lines) plus typed lines: each goes through :func:`iop_tui.core.commands.interpret`
(the same interpreter the full-screen chat input uses), whose sends go to the
session, whose refusal is said in its one sentence, and whose read-only
requests (``/who``, ``/history``, ``/round`` ...) are rendered here as lines.
The I/O loop is :mod:`iop_tui.plain.run`. Never imports textual.
"""

from __future__ import annotations

import time
from typing import Any
from collections.abc import Callable

from iop_tui.core import words
from iop_tui.core.calendar import SCHEDULE_LOCALS
from iop_tui.core.calendar import answer as schedule_answer
from iop_tui.core.commands import COMMAND_HELP, Context, EveryHelp, Memory, Outcome, help_topics, interpret
from iop_tui.plain.agenda import AgendaTimer
from iop_tui.plain.narrator import VERBOSITIES, Narrator
from iop_tui.plain.text import clean, markdown_lines, ordinal_date, plural
from iop_tui.plain.text import get as _get
from protocol.errors import ProtocolError
from protocol.roles import GUEST
from protocol.text import clean_text

__all__ = ["PlainFace", "VERBOSITIES", "COMMAND_HELP"]


class PlainFace(Narrator):
    """Narrates a session as lines and turns typed lines into commands.

    ``write`` receives one already-cleaned line at a time. The face is driven
    by the session's notices (subscribe ``on_notices``) and by ``handle``.
    """

    def __init__(self, session: Any, write: Callable[[str], None], verbosity: str = "normal", plan: Any = None, *,
                 bell: Callable[[], None] | None = None) -> None:
        super().__init__(session, write, verbosity, bell=bell)
        self.plan = plan
        self._memory = Memory()  # what /end SUMMARY said, until /end yes
        self.agenda = AgendaTimer(self.model, self.say)  # the timed agenda: one scheduled call (issue 14 part B)
        if plan is not None:
            self.agenda.set_minutes(plan.minutes)
        self.page_rows = 0  # the terminal's height: longer answers are paged (0: never)
        self.rows_of: Callable[[str], int] = lambda line: 1  # the rows a line takes on the terminal (run.py: wrapped)
        self.now: Callable[[], float] = time.time
        self._pending: list[str] = []  # lines of a paged answer still to read (/more)

    # -- paging: an answer taller than the terminal, a screenful at a time ---------------

    def _page(self, render: Callable[[], None]) -> None:
        """Run ``render`` with its lines gathered, then say a screenful and keep the rest for /more."""
        gathered: list[str] = []
        write, self._write = self._write, gathered.append
        try:
            render()
        finally:
            self._write = write
        self._pending = gathered
        self._more()

    def _more(self) -> None:
        lines, rows = self._pending, self.page_rows
        heights = [max(1, self.rows_of(line)) for line in lines]  # a wrapped line takes several rows
        if rows <= 2 or sum(heights) <= rows - 1:
            page, self._pending = lines, []
        else:
            used, count = 0, 0
            for height in heights:  # a screenful: every row but the "/more" line's and the prompt's
                if count and used + height > rows - 2:
                    break
                used, count = used + height, count + 1
            page, self._pending = lines[:count], lines[count:]
        for line in page:
            self._write(line)
        if self._pending:
            self.say(words.more_lines_text(len(self._pending)))
    def handle(self, line: str) -> bool:
        """Run one typed line; return False when the person asked to leave."""
        outcome = interpret(line, Context(self.model, plan=self.plan, memory=self._memory))
        if outcome.local not in ("missed", "more"):
            self.missed.clear()  # catch-up counts from the last line typed
        return self.carry_out(outcome)

    def carry_out(self, outcome: Outcome) -> bool:
        """Do what an :class:`Outcome` says; False when the person asked to leave."""
        if outcome.leave:
            return False
        if outcome.refusal:
            self.say(outcome.refusal)
        elif outcome.ask:
            self.say(outcome.ask_typed or outcome.ask, verbatim=True)  # it may quote a member's words
        else:
            for send in outcome.sends:
                if not self._send(send.kind, send.data, typed=outcome.typed):
                    break
            if outcome.local == "more":
                if self._pending:
                    self._more()
                else:
                    self.say(words.NOTHING_MORE)
            elif outcome.local:
                self._page(lambda: self._local(outcome.local, outcome.arg))
        return True

    def _send(self, kind: str, data: dict[str, Any], *, typed: str = "") -> bool:
        try:
            self.session.send(kind, data, typed=typed)  # typed: said back if the relay refuses it
        except ProtocolError as err:
            self.say(err.message)
            return False
        if _get(getattr(self.model, "conn", None), "state") not in ("connected", None):
            self.say("Not connected: it will be sent when the connection is back.")
        return True

    # -- read-only requests, rendered from the model -----------------------------------

    def _local(self, what: str, arg: Any) -> None:
        if what in SCHEDULE_LOCALS:  # issue 15a: /schedule, /schedule ics, /reminders
            for line in schedule_answer(what, arg, self.model):
                self.say(line)
            return
        render = {
            "help": self._help, "slide": self._say_slide, "slides": self._slides, "poll": self._polls,
            "poll plan": self._plan_polls, "who": self._who, "homework": self._homework, "history": self._history,
            "status": self._status, "thread": self._thread, "notes": self._notes, "round": self._round,
            "completion": self._completion, "deck": self._load_deck, "plan": self._load_plan,
            "measure": self._measure, "scores": self._scores, "give plan": self._plan_measures,
            "missed": self._missed, "verbosity": self._verbosity, "bell": self._set_bell,
            "lines": self._lines,  # an answer the core already put in sentences (the kit, small rooms)
            # between sessions (issue 15 B): the same lines the full-screen face shows
            "feed": lambda _: self._lines(words.feed_lines(self.model.state)),
            "resources": lambda _: self._lines([*words.resource_lines(self.model.state), words.LINKS_NOT_OPENED]),
            "attendance": lambda arg: self._lines(words.attendance_now_lines(self.model, arg)),
            "waiting": lambda _: self._lines([words.waiting_text(e.name) for e in self.model.state.waiting_guests()]),
            # shared boards, moods, the agenda (issue 14 part B)
            "board": self._board_lines, "board plan": self._board_lines, "moods": self._board_lines, "agenda": self._board_lines,
        }[what]
        if render == self._board_lines:
            arg = what
        render(arg)

    def _lines(self, lines: list[str]) -> None:
        for line in lines:
            self.say(clean(line))

    def _help(self, entries: list[Any]) -> None:
        role = self.model.me.role if self.model.me is not None else None
        topics = help_topics(role)
        if self.page_rows and len(entries) + 1 > self.page_rows - 1 and len(entries) == sum(len(t) for t in topics.values()) and not isinstance(entries, EveryHelp):
            # /help alone, taller than the screen: one line per topic instead
            self.say(words.HELP_TOPICS_HEAD)
            for name, found in topics.items():
                heads = sorted({h.usage.split(" ", 1)[0] for h in found if h.usage.startswith("/")}, key=[h.usage.split(" ", 1)[0] for h in found].index)
                self.say(f"{name.capitalize()}: " + ", ".join(heads) + f"; /help {name}.", verbatim=True)
            return
        self.say(words.HELP_HEAD)
        for entry in entries:
            self.say(f"{entry.usage}: {entry.text}")

    def _missed(self, lines: bool) -> None:
        """Catch-up since the last typed line: counts first, the lines on request."""
        heard = list(self.missed)
        if not heard:
            self.say(words.NOTHING_MISSED)
            return
        if lines:
            self.missed.clear()  # heard now
            for item in heard:
                self.say(item.text, verbatim=item.kind == "chat.posted")
            return
        chat = sum(1 for h in heard if h.kind == "chat.posted" and not h.text.startswith("Private"))
        private = sum(1 for h in heard if h.kind == "chat.posted" and h.text.startswith("Private"))
        polls = sum(1 for h in heard if h.kind == "poll.opened")
        hands = [h.who for h in heard if h.kind == "hand.raised" and h.who]
        checkins = sum(1 for h in heard if h.kind == "checkin.submitted")
        counted = chat + private + polls + len(hands) + checkins
        parts = []
        if chat:
            parts.append(plural(chat, "chat line"))
        if private:
            parts.append(plural(private, "private line"))
        if polls:
            parts.append("a poll opened" if polls == 1 else f"{polls} polls opened")
        for name in hands:
            parts.append(f"{name} raised a hand")
        if checkins:
            parts.append(plural(checkins, "check-in"))
        if len(heard) > counted:
            parts.append(plural(len(heard) - counted, "other update"))
        self.say("While you were away: " + ", ".join(parts) + ". /missed lines reads them.")

    def _verbosity(self, level: str) -> None:
        if not level:
            self.say(words.verbosity_now_text(self.verbosity))
            return
        self.verbosity = level
        self.say(words.VERBOSITY_SAID[level])

    def _set_bell(self, on: bool) -> None:
        self.bell = on
        self.say(words.BELL_ON if on else words.BELL_OFF)

    def _slides(self, _: Any) -> None:
        state = self.model.state
        self.say(f"{state.deck_title or 'Slides'}, {plural(len(state.slides), 'slide')}, now on slide {state.slide_index + 1}:")
        for i, slide in enumerate(state.slides, 1):
            self.say(f"{i}, {clean(slide.get('title', ''))}")

    def _polls(self, _: Any) -> None:
        for poll in sorted(self.model.state.current_polls(), key=lambda p: p.poll_id):
            for line in self._poll_result(poll):
                self.say(line)

    def _board_lines(self, what: str) -> None:
        """Boards, moods and the agenda: the same lines the full-screen face shows (words.local_lines)."""
        for line in words.local_lines(what, self.model, self.plan):
            self.say(line, verbatim=True)

    def on_notices(self, notices: list[Any]) -> None:
        super().on_notices(notices)
        self.agenda.update()

    def close(self) -> None:
        super().close()
        self.agenda.cancel()

    def _plan_polls(self, _: Any) -> None:
        for i, poll in enumerate(self.plan.polls, 1):
            self.say(f"Prepared poll {i}: {poll.describe()}")

    def _plan_measures(self, _: Any) -> None:
        import datetime as _dt

        for line in words.planned_measure_lines(self.plan, _dt.date.today()):
            self.say(clean(line))

    def _who(self, named_guests: Any) -> None:
        state = self.model.state
        me = self.model.me
        if me is not None and me.role == GUEST:
            present = [clean(e.name) for e in state.roster.values() if e.status == "online" and e.member_id != me.member_id]
            self.say(words.guest_present_text(present))
            self.say(words.hands_text(state))
            return
        people = [e for e in state.roster.values() if not e.removed]
        if not people:
            self.say("The list of members is not available to you.")
            return
        here = [e for e in people if e.status == "online"]
        away = [e for e in people if e.status != "online"]

        def label(e: Any) -> str:
            extra = [] if e.role == "participant" else [e.role]
            if e.muted:
                extra.append("muted")
            if e.status == "reconnecting":
                extra.append("reconnecting")
            return clean(e.name) + (f" ({', '.join(extra)})" if extra else "")

        self.say(f"Here, {len(here)}: " + (", ".join(label(e) for e in here) or "nobody") + ".")
        if away:
            self.say("Away: " + ", ".join(label(e) for e in away) + ".")
        self.say(words.hands_text(state))
        for guest in state.waiting_guests():
            self.say(clean(words.waiting_text(guest.name)))
        revoked = words.revoked_line(state, guests_named=bool(named_guests))
        if revoked:
            self.say(clean(revoked))

    def _homework_list(self) -> list[Any]:
        return [self.model.state.homework[k] for k in sorted(self.model.state.homework)]

    def _homework(self, _: Any) -> None:
        me = self.model.me
        kinds = {"text": "written", "checklist": "checklist", "emotion_log": "emotion log"}
        for i, hw in enumerate(self._homework_list(), 1):
            mine = hw.submissions.get(me.member_id) if me is not None else None
            if self._is_facilitator():
                status = words.completion_text(self.model.state, hw)
            elif mine is None:
                status = "not submitted yet"
            else:
                status = "submitted" + (", late" if mine.late else "")
            self.say(f"Homework {i}, {clean(hw.title)}, {kinds.get(hw.kind, hw.kind)}, due {ordinal_date(hw.due)}: {status}.")
            if hw.instructions:
                self.say(clean(hw.instructions))
            if hw.items:
                ticked = set(mine.checked) if mine is not None else set()
                self.say("Items: " + "; ".join(f"{j} {clean(t)}{' done' if j - 1 in ticked else ''}" for j, t in enumerate(hw.items, 1)) + ".")
            how = {"text": f"/submit {i} and your text", "checklist": f"/check {i} and item numbers", "emotion_log": f"/log {i} today, your mood and feelings"}
            if not self._is_facilitator():
                self.say(f"To hand it in, type {how.get(hw.kind, f'/submit {i}')}.")

    def _history(self, count: int) -> None:
        """The last ``count`` events of every kind this reader received, oldest first;
        a deleted chat line is left out, a facilitator hears chat lines' numbers (/delete)."""
        facilitator = self._is_facilitator()
        chat = {c.message_id: c for c in self.model.state.chat}
        kept = [h for h in self.heard if not (h.kind == "chat.posted" and h.seq in chat and chat[h.seq].deleted)]
        lines = kept[-count:]
        if not lines:
            self.say(words.NO_HISTORY)
            return
        self.say(f"Last {plural(len(lines), 'event')}, oldest first:")
        for item in lines:
            if item.kind == "chat.posted":
                self.say(item.text + (f" (message {item.seq})" if facilitator and item.seq is not None else ""), verbatim=True)
            else:
                self.say(item.text)
        mark = getattr(self.model, "mark_chat_read", None)
        if callable(mark):
            mark()

    def _status(self, _: Any) -> None:
        model = self.model
        self.say("Connection: " + clean(words.connection_text(model)) + ".")
        if not self._joined:
            conn = getattr(model, "conn", None)
            if _get(conn, "message"):
                self.say(clean(_get(conn, "message")))
            self.say(words.not_joined_yet_text())
            return
        elapsed = words.elapsed_text(model, self.now())
        if elapsed:
            self.say(elapsed)
        self.say(words.session_line(model.state))

    def _thread(self, member_id: int) -> None:
        """One member's private thread with the facilitators (a member: their own)."""
        state, me_id = self.model.state, self.model.me_id
        lines = self.model.private_thread(member_id)
        name = None if member_id == me_id else clean(state.name_of(member_id))
        self.say(words.thread_head(name, len(lines)), verbatim=True)
        for line in lines:
            self.say(words.thread_line(line, state, me_id), verbatim=True)
        self.model.mark_private_read()

    def _notes(self, index: int) -> None:
        self.say(f"Notes for slide {index + 1}:")
        for line in markdown_lines(self.model.state.notes[index]):
            self.say(line)

    def _round(self, _: Any) -> None:
        state = self.model.state
        round_ = state.checkin_round()
        members = [e for e in state.roster.values() if e.role == "participant" and not e.removed]
        waiting = [clean(e.name) for e in members if e.member_id not in state.checkins]
        self.say(f"Check-in round: {len(round_)} of {len(members)} checked in, lowest moods first.")
        for c in round_:
            if c.passed:
                self.say(f"{clean(c.name)}: passed.")
                continue
            feelings = ", ".join(map(clean, c.feelings))
            line = f"{clean(c.name)}: mood {c.mood}" + (f", {feelings}" if feelings else "") + "."
            if c.note:
                line += (" Private note: " if c.note_private else " Note: ") + clean(c.note)
            details = words.safety_details_text(state, c.member_id)
            if details:
                line += " " + clean(details)
            self.say(line)
        if waiting:
            self.say("Not yet: " + ", ".join(waiting) + ".")

    def _measure(self, pending: Any) -> None:
        """What is still to answer, with due dates, then the next question."""
        self.say(words.pending_measures_text(self.model.state, self.model.me_id))
        self.say(words.measure_item_text(pending))

    def _scores(self, member_id: int | None) -> None:
        """A member's own trends, one facilitator-named member's, or every member's."""
        state = self.model.state
        if member_id is not None:
            lines = words.trend_lines(state, member_id)
            if not lines:
                self.say(words.NO_SCORES)
            for line in lines:
                self.say(line)
            return
        members = sorted((e for e in state.roster.values() if words.trend_lines(state, e.member_id)), key=lambda e: e.name.lower())
        waiting = words.measure_completion_lines(state)
        if not members and not waiting:
            self.say(words.NO_SCORES)
            return
        if members:
            self.say("Questionnaire scores, oldest first:")
        for entry in members:
            self.say(f"{clean(entry.name)}: " + "; ".join(words.trend_lines(state, entry.member_id)) + ".")
        for line in waiting:
            self.say(clean(line))

    def _completion(self, hw: Any) -> None:
        state = self.model.state
        if hw is not None:
            for sub in sorted(hw.submissions.values(), key=lambda s: s.name.lower()):
                late = ", late" if sub.late else ""
                self.say(f"{clean(sub.name)}{late}: {clean(words.submission_text(hw, sub))}")
            return
        members = [e for e in state.roster.values() if e.role == "participant" and not e.removed]
        for i, hw in enumerate(self._homework_list(), 1):
            done = [f"{clean(s.name)}{' (late)' if s.late else ''}" for s in hw.submissions.values()]
            missing = [clean(e.name) for e in members if e.member_id not in hw.submissions and hw.for_member(e.member_id)]
            self.say(f"Homework {i}, {clean(hw.title)}, due {ordinal_date(hw.due)}: {words.completion_text(state, hw)}.")
            if done:
                self.say("Submitted: " + ", ".join(done) + ".")
            if missing:
                self.say("Not yet: " + ", ".join(missing) + ".")

    # -- files: the interpreter does no I/O, so the face reads them --------------------

    def _load_deck(self, path: str) -> None:
        from iop_tui.core.plan import PlanError, read_deck

        try:
            markdown = read_deck(path)
        except PlanError as err:
            self.say(str(err))
            return
        self._send("deck.load", {"markdown": clean_text(markdown)})  # a file is cleaned like the network

    def _load_plan(self, path: str) -> None:
        import datetime as _dt

        from iop_tui.core.plan import PlanError, load_plan

        try:
            plan = load_plan(path)
        except PlanError as err:
            self.say(str(err))
            return
        self.plan = plan
        self.agenda.set_minutes(plan.minutes)
        for kind, data in plan.commands(_dt.date.today()):
            self._send(kind, data)
        self.say(f"Plan loaded: {clean(plan.title or plan.path.name)}, {plural(len(plan.polls), 'prepared poll')}; type /poll plan to hear them.")
        if plan.measures:
            self.say(f"It prepares {plural(len(plan.measures), 'questionnaire')}; type /give plan to hear them.")
