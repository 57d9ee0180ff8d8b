"""The plain face: one line of text per event, for screen readers and slow links.

``run_plain(session, stdin=..., stdout=...)`` narrates a :class:`ClientSession`
as append-only lines and reads typed lines as commands. It is built for the
way console screen readers (speakup, Fenrir, BRLTTY) and irssi-style users
work:

- every event is one line, the important words first; nothing is redrawn,
  nothing moves the cursor, no colour, no spinner, nothing on a timer tick;
- no escape byte is ever written: all text from the network is stripped of
  control characters before it is printed;
- the catch-up replay on joining is summarised in one line, not narrated;
- a burst of arrivals and departures becomes one line ("Joined: Sam, Alex.");
- Markdown slides are read as plain lines (no ``#``, ``*`` or table pipes).

It never imports textual, directly or indirectly, so it starts fast on a
small machine. Input works whether stdin is a terminal, a pipe or /dev/null:
a reader thread feeds typed lines to the event loop, and end of input (Ctrl-D)
leaves the session cleanly.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import os
import re
import threading
from dataclasses import dataclass
from typing import Any, TextIO
from collections.abc import Callable

from protocol.deck import heading_text
from protocol.errors import ProtocolError
from protocol.messages import PHASE_TITLES, PHASES
from protocol.messages import parse_day
from protocol.roles import FACILITATOR, GUEST, may
from protocol.text import clean_text, one_line

from iop_tui.core import words

__all__ = ["run_plain", "PlainFace", "clean", "markdown_lines", "COMMAND_HELP", "VERBOSITIES"]

VERBOSITIES = ("quiet", "normal", "all")
#: Urgent requests, alerts and their acknowledgement are said in every verbosity.
SAFETY_KINDS = ("urgent.raised", "alert.raised", "urgent.acknowledged", "urgent.emailed")
PRESENCE_WINDOW_S = 1.0  # presence changes within this window are said in one line

# -- text hygiene ------------------------------------------------------------------



def clean(text: Any) -> str:
    """One printable line: the shared cleaner (:func:`protocol.text.one_line`):
    escape sequences, controls and format characters removed, a member's line
    breaks said as " / "."""
    return one_line(text)


# Every pattern below runs on one line of a deck or a member's text, and none can
# backtrack: [ \t] rather than \s, possessive runs, and no group may scan past the
# next bracket or marker of its own kind. The work is linear in the line's length.
_FENCE = re.compile(r"^[ \t]*+(```|~~~)")
_RULE = re.compile(r"^[ \t]*+([-*_])(?:[ \t]*+\1){2,}+[ \t]*+$")
_BULLET = re.compile(r"^[ \t]*+[-*+][ \t]++(\[[ xX]\][ \t]++)?")
_QUOTE = re.compile(r"^[ \t]*+>++[ \t]?")
_TABLE_RULE = re.compile(r"^[ \t]*+\|?[ \t]*+:?-{2,}+:?[ \t]*+(?:\|[ \t]*+:?-{2,}+:?[ \t]*+)*+\|?[ \t]*+$")
_IMAGE = re.compile(r"!\[([^\[\]]*)\]\([^()]*\)")
_LINK = re.compile(r"\[([^\[\]]+)\]\(([^()]*)\)")
_HTML = re.compile(r"</?[A-Za-z][^<>]*>")
_EMPHASIS = re.compile(
    r"\*\*(?=[^ \t])([^*]+?)(?<=[^ \t])\*\*|__(?=[^ \t])([^_]+?)(?<=[^ \t])__|~~(?=[^ \t])([^~]+?)(?<=[^ \t])~~"
    r"|\*(?=[^ \t])([^*]+?)(?<=[^ \t])\*|_(?=[^ \t])([^_]+?)(?<=[^ \t])_"
)


def _emphasised(match: re.Match[str]) -> str:
    return next(group for group in match.groups() if group is not None)


def _inline(text: str) -> str:
    text = _IMAGE.sub(lambda m: m.group(1), text)
    text = _LINK.sub(lambda m: m.group(1), text)
    text = _HTML.sub("", text)
    text = text.replace("`", "")
    for _ in range(2):  # nested emphasis, e.g. ***word***
        text = _EMPHASIS.sub(_emphasised, text)
    return text


_NUMBERED = re.compile(r"^[ \t]*+\d++[.)][ \t]++")


def markdown_lines(markdown: str, skip_title: str | None = None) -> list[str]:
    """Markdown as plain lines: no heading marks, emphasis, backticks or table pipes.

    A paragraph wrapped over several source lines becomes one line; each
    list item, heading and table row is a line of its own (a table row's
    cells joined by commas). Blank lines and rules are dropped (they are
    silence to a screen reader); a leading heading equal to ``skip_title``
    is dropped because the slide line already says it.
    """
    lines: list[str] = []
    joinable = False  # the last line is paragraph text a wrapped line may continue
    for raw in markdown.replace("\r\n", "\n").split("\n"):
        if not raw.strip() or _FENCE.match(raw) or _RULE.match(raw) or _TABLE_RULE.match(raw):
            joinable = False
            continue
        heading = heading_text(raw)
        paragraph = False
        if heading is not None:
            text = heading
            if skip_title is not None and not lines and clean(_inline(text)) == clean(skip_title):
                continue
        elif raw.strip().startswith("|") or raw.count("|") >= 2:
            cells = [c.strip() for c in raw.strip().strip("|").split("|")]
            text = ", ".join(c for c in cells if c)
        elif _BULLET.match(raw) or _NUMBERED.match(raw):
            text = _BULLET.sub("", _QUOTE.sub("", raw))
            paragraph = True  # a wrapped list item continues on the next line
        else:
            text = _QUOTE.sub("", raw)
            if joinable:
                lines[-1] = lines[-1] + " " + clean(_inline(text))
                continue
            paragraph = True
        text = clean(_inline(text))
        if text:
            lines.append(text)
        joinable = paragraph and bool(text)
    return lines


# -- commands ------------------------------------------------------------------------

#: Every command with one line of help: (usage, help, facilitators only).
COMMAND_HELP: list[tuple[str, str, bool]] = [
    ("any text", "a line not starting with a slash is chat to the whole group.", False),
    ("/help", "list every command.", False),
    ("/checkin MOOD feelings -- note", "check in with your mood from 0 to 10, feeling words separated by commas, and an optional note for the facilitators; add --group before the two dashes to share the note with the group.", False),
    ("/pass", "pass on this check-in.", False),
    ("/slide", "read the current slide again; /slide and a number reads another slide.", False),
    ("/slides", "list the slide titles.", False),
    ("/vote N", "vote in the newest open poll; give several numbers for a multiple-choice poll.", False),
    ("/poll", "read the open polls and the results again.", False),
    ("/dm TEXT", "send a private line to the facilitators only; /reply TEXT does the same.", False),
    ("/thread", "read your private thread with the facilitators; facilitators add a name: /thread NAME.", False),
    ("/me TEXT", "post an action to the group, such as /me nods.", False),
    ("/hand", "raise your hand; /lower lowers it.", False),
    ("/who", "who is here, and whose hands are raised.", False),
    ("/homework", "list homework with due dates and whether you have submitted it.", False),
    ("/submit N TEXT", "submit text for homework number N.", False),
    ("/check N I J", "tick items I and J of checklist homework number N.", False),
    ("/log N DAY MOOD feelings", "add a day to emotion-log homework N; DAY is today, yesterday or a date written YYYY-MM-DD.", False),
    ("/history N", "read the last N chat messages, 10 if no number is given.", False),
    ("/status", "the connection and the session.", False),
    ("/quit", "leave; Control D does the same.", False),
    ("/start TITLE", "start a session; with a plan loaded, /start alone uses the plan's title.", True),
    ("/end SUMMARY", "end the session with a one-line summary, or /end --no-summary; then /end yes confirms.", True),
    ("/reply NAME TEXT", "answer one member privately: only they and the facilitators read it.", True),
    ("/phase NAME", "move to a phase: checkin, psychoeducation, exercises, discussion or closing.", True),
    ("/deck PATH", "load a Markdown slide deck from a file.", True),
    ("/next", "next slide; /prev goes back, /goto N jumps to slide N.", True),
    ("/notes", "read the presenter notes of the current slide.", True),
    ("/poll open KIND \"Question\" one; two", "open a poll; KIND is single, multiple, scale or quiz; add correct=N for a quiz and named to show voters' names.", True),
    ("/poll plan N", "open prepared poll N from the loaded plan; /poll plan lists them.", True),
    ("/close N", "close poll N.", True),
    ("/reveal N", "show everyone the results of poll N.", True),
    ("/round", "the check-in round, lowest moods first.", True),
    ("/delete N", "delete chat message N; /history shows the numbers.", True),
    ("/mute NAME", "mute a member; /unmute NAME lets them speak again.", True),
    ("/remove NAME", "remove a member from the group.", True),
    ("/assign KIND DUE \"Title\" items", "assign homework; KIND is text, checklist or emotion_log, DUE a date YYYY-MM-DD or +N for N days from today, checklist items separated by semicolons; /assign plan assigns the plan's homework.", True),
    ("/completion", "who has submitted each homework; /completion and a number reads what each member handed in.", True),
    ("/plan PATH", "load a session plan: its deck, prepared polls and homework.", True),
]

#: The protocol command each help entry sends: help lists an entry only to a
#: role the permission table (protocol.roles.PERMISSIONS) allows to send it.
HELP_SENDS: dict[str, str] = {
    "/checkin": "checkin.submit",
    "/pass": "checkin.submit",
    "/vote": "poll.vote",
    "/dm": "chat.send",
    "/me": "chat.send",
    "/hand": "hand.raise",
    "/homework": "homework.submit",
    "/submit": "homework.submit",
    "/check": "homework.submit",
    "/log": "homework.submit",
}

_PHASE_ALIASES = {p: p for p in PHASES}
_PHASE_ALIASES.update({"check-in": "checkin", "check": "checkin", "psychoed": "psychoeducation", "slides": "psychoeducation",
                       "exercise": "exercises", "polls": "exercises", "discuss": "discussion", "close": "closing"})



_DOUBLE_STOP = re.compile(r"(?<!\.)([.?!])\.(?![./\\])")  # "week.." and "today?." read as one stop; "../" stays a path


_CHECK_IN = re.compile(r"\b([Cc])heck-in\b")
_PERCENT = re.compile(r"(\d)%")


def _speakable(line: str) -> str:
    """Small changes so a console screen reader says our sentences as words.

    Fenrir (and speakup) read "-" as "dash" and drop "%": "Check-in" becomes
    "Check in", "25%" becomes "25 percent"; a doubled full stop becomes one.
    """
    line = _DOUBLE_STOP.sub(r"\1", line)
    line = _CHECK_IN.sub(lambda m: m.group(1) + "heck in", line)
    return _PERCENT.sub(r"\1 percent", line)


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _ordinal_date(iso: str) -> str:
    try:
        day = _dt.date.fromisoformat(iso)
    except ValueError:
        return clean(iso)
    return f"{day:%A} {day.day} {day:%B}"


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


class _Say(Exception):
    """A command cannot run; the message is the sentence to print."""


@dataclass
class _Presence:
    before: dict[str, bool]  # name -> was here when the burst began
    after: dict[str, bool]  # name -> is here now


class PlainFace:
    """Narrates a session as lines and turns typed lines into commands.

    ``write`` receives one already-cleaned line at a time. The face is driven
    by the session's notices (subscribe ``on_notices``) and by ``handle``.
    """

    def __init__(self, session: Any, write: Callable[[str], None], verbosity: str = "normal", plan: Any = None) -> None:
        if verbosity not in VERBOSITIES:
            raise ValueError(f"verbosity must be one of {VERBOSITIES}")
        self.session = session
        self._write = write
        self.verbosity = verbosity
        self.plan = plan
        self._joined = False
        self._presence = _Presence({}, {})
        self._presence_handle: asyncio.TimerHandle | None = None
        self._statuses: dict[int, str] = {}
        self._conn_state: str | None = None
        self._pending_before = 0
        self._last_slide: tuple[str, int] | None = None
        self._told_all_voted: set[int] = set()
        self._end_summary: tuple[int, str] | None = None  # (session id, summary) given with /end, waiting for /end yes
        self.fatal: str | None = None
        self.last_said = ""  # the last line written, so a final sentence is never said twice in a row

    @property
    def model(self) -> Any:
        return self.session.model

    @property
    def joined(self) -> bool:
        """Whether the first catch-up is done (typed lines wait until then)."""
        return self._joined

    # -- output ----------------------------------------------------------------

    def say(self, text: str, *, verbatim: bool = False) -> None:
        """Write one line; ``verbatim`` keeps a person's own words exactly as written."""
        line = clean(text)
        if not verbatim:
            line = _speakable(line)
        if line:
            self.last_said = line
            self._write(line)

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
        if not model.synced or model.me is None:
            return
        if not self._joined:
            self._joined = True
            self._snapshot_presence()
            self._say_joined()
            return
        for notice in notices:
            if not _get(notice, "live", True):
                continue
            self._narrate(notice)
        self._track_presence()

    def _say_joined(self) -> None:
        model, state = self.model, self.model.state
        me = model.me
        parts = [f"Joined {model.group_name or 'the group'} as {me.name}, {me.role}."]
        if state.session is not None:
            phase = PHASE_TITLES.get(state.phase or "", "")
            title = state.session.title or "untitled"
            parts.append(f"Session {title} is live" + (f", phase {phase.lower()}." if phase else ", no phase yet."))
        else:
            parts.append("No session is live right now.")
        here = [e for e in state.roster.values() if e.status == "online" and not e.removed]
        if me.role == GUEST:
            parts.append(words.GUEST_ROSTER)
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
        if kind in ("presence", "connection", "welcome", "synced"):
            return  # presence is gathered from the roster, connection lines from the status
        if level == "error" or kind == "error":
            self.say(text)
            return
        if kind == "phase":
            if state.phase:
                hint = "" if facilitator else " " + words.PHASE_HINTS.get(state.phase, "")
                self.say(f"Phase: {words.phase_name(state.phase)}.{hint}")
                if state.phase == "psychoeducation" and state.slides and not quiet:
                    self._last_slide = (state.deck_title, state.slide_index)
                    self._say_slide(state.slide_index)
            return
        if kind == "slide.changed":
            key = (state.deck_title, state.slide_index)
            if not quiet and key != self._last_slide:
                self._last_slide = key
                self._say_slide(state.slide_index)
            return
        if kind == "deck.loaded":
            self._last_slide = (state.deck_title, state.slide_index)
            if not quiet:
                self.say(text + " Type /slides to list them.")
                if state.phase == "psychoeducation":
                    self._say_slide(state.slide_index)
            return
        if kind == "poll.opened":
            poll = max(state.polls.values(), key=lambda p: p.poll_id, default=None)
            if poll is not None:
                number = self._poll_number(poll) if facilitator else None  # facilitators close and reveal by number
                line = words.poll_open_line(poll, state, hints=not facilitator, number=number)
                if poll.kind == "scale" and not facilitator:
                    line = line.replace(" Options: 0 to 10.", "")  # the hint says "a number from 0 to 10"
                if facilitator:
                    n = self._poll_number(poll)
                    line += f" /close {n} closes it, /reveal {n} shows the results."
                self.say(line)
            return
        if kind == "poll.revealed":
            poll = self._latest("revealed")
            self.say(self._results_line(poll) if poll is not None else text)
            return
        if kind == "poll.closed":
            self.say(text)
            return
        if kind == "poll.voted":
            if text.startswith("Your ") or everything:
                self.say(text)
            elif facilitator and not quiet:
                self._all_voted()
            return
        if kind.startswith("hand."):
            if text.startswith("Your ") or everything or (facilitator and not quiet):
                self.say(text)
            return
        if kind == "chat.posted":
            line = self._chat_line(_get(notice, "seq"))
            hint = words.reply_hint(line, state, self.model.me_id) if line is not None else None
            to_me = hint and not facilitator  # a facilitator's reply to this member
            from_member = facilitator and line is not None and line.thread is not None and line.member_id == line.thread
            if quiet and text.startswith("Private") and not (to_me or from_member):
                return  # quiet still says every private line addressed to this reader
            self.say(f"{text} {hint}" if hint else text, verbatim=True)
            return
        if quiet and kind not in ("session.started", "session.ended", "member.muted", "member.removed", "checkin.note", *SAFETY_KINDS):
            return
        self.say(text)

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

    def _poll_open_line(self, poll: Any) -> str:
        kind = {"single": "", "multiple": ", choose one or more", "scale": "", "quiz": ", quiz"}.get(poll.kind, "")
        named = "" if poll.anonymous else " Votes are named."
        if self._is_facilitator():
            how = f" /close {self._poll_number(poll)} closes it, /reveal {self._poll_number(poll)} shows the results."
        elif poll.kind == "scale":
            how = " Type /vote and a number from 0 to 10."
        elif poll.kind == "multiple":
            how = " Type /vote and one or more numbers."
        else:
            how = " Type /vote and a number."
        return f"Poll open, number {self._poll_number(poll)}{kind}: {clean(poll.question)} {self._options_text(poll)}{named}{how}"

    def _result_parts(self, poll: Any) -> list[str]:
        """Result lines; a scale's options nobody chose are left out (eleven zeros are noise)."""
        if poll.kind == "scale":
            counts = poll.tally()
            chosen = [(value, n) for value, n in enumerate(counts) if n]
            total = sum(n for _, n in chosen)
            if not total:
                return []
            average = sum(value * n for value, n in chosen) / total
            return [f"{n} chose {value}" for value, n in chosen] + [f"average {average:.1f}".removesuffix(".0")]
        return words.poll_result_lines(poll)

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

    # -- input -------------------------------------------------------------------------

    def handle(self, line: str) -> bool:
        """Run one typed line; return False when the person asked to leave."""
        text = line.strip()
        if not text:
            return True
        if not text.startswith("/") or text.startswith("//"):
            self._send("chat.send", {"text": text[1:] if text.startswith("//") else text, "to": "group"})
            return True
        name, _, rest = text[1:].partition(" ")
        name, rest = name.lower(), rest.strip()
        if name in ("quit", "exit", "q"):
            return False
        handler = getattr(self, "_cmd_" + name.replace("-", "_"), None)
        if handler is None:
            self.say(f"There is no command /{clean(name)[:30]}; type /help to hear the commands.")
            return True
        try:
            handler(rest)
        except _Say as said:
            self.say(str(said))
        return True

    def _send(self, kind: str, data: dict[str, Any]) -> bool:
        me = self.model.me
        if me is not None and not may(me.role, kind):
            self.say(f"As a {me.role} you cannot do that here.")
            return False
        try:
            self.session.send(kind, data)
        except ProtocolError as err:
            self.say(err.message)
            return False
        if _get(getattr(self.model, "conn", None), "state") not in ("connected", None):
            self.say("Not connected: it will be sent when the connection is back.")
        return True

    def _need_facilitator(self) -> None:
        if not self._is_facilitator():
            raise _Say("Only facilitators can do that; type /help to hear your commands.")

    def _number(self, text: str, what: str) -> int:
        try:
            return int(text)
        except ValueError:
            raise _Say(f"{what} must be a number; type /help to hear how.") from None

    # member commands

    def _cmd_help(self, rest: str) -> None:
        facilitator = self._is_facilitator()
        me = self.model.me
        self.say("Commands, one per line:")
        for usage, help_text, fac in COMMAND_HELP:
            if fac and not facilitator:
                continue
            kind = HELP_SENDS.get(usage.split(" ", 1)[0])
            if kind is not None and me is not None and not may(me.role, kind):
                continue
            self.say(f"{usage}: {help_text}")

    def _cmd_checkin(self, rest: str) -> None:
        note = ""
        head = rest
        if re.search(r"(^|\s)--(\s|$)", rest):
            head, note = re.split(r"(?:^|\s)--(?:\s|$)", rest, maxsplit=1)
        tokens = head.split()
        note_to = "facilitators"
        kept = []
        for token in tokens:
            if token.lower() in ("--group", "-g", "group:"):
                note_to = "group"
            elif token.lower() in ("--private", "--facilitators", "-p"):
                note_to = "facilitators"
            else:
                kept.append(token)
        if not kept:
            raise _Say("Give your mood from 0 to 10, for example: /checkin 6 tired, hopeful -- slept badly.")
        mood = self._number(kept[0], "Your mood")
        if not 0 <= mood <= 10:
            raise _Say("Your mood must be a number from 0 to 10.")
        rest_words = " ".join(kept[1:])
        parts = rest_words.split(",") if "," in rest_words else rest_words.split()
        feelings = [p.strip() for p in parts if p.strip()]
        self._send("checkin.submit", {"mood": mood, "feelings": feelings, "note": note.strip(), "note_to": note_to, "passed": False})

    def _cmd_pass(self, rest: str) -> None:
        self._send("checkin.submit", {"mood": None, "feelings": [], "note": "", "passed": True})

    def _cmd_slide(self, rest: str) -> None:
        index = self.model.state.slide_index if not rest else self._number(rest, "The slide") - 1
        self._say_slide(index)

    def _cmd_slides(self, rest: str) -> None:
        state = self.model.state
        if not state.slides:
            raise _Say("No slides are loaded.")
        self.say(f"{state.deck_title or 'Slides'}, {_plural(len(state.slides), 'slide')}, now on slide {state.slide_index + 1}:")
        for i, slide in enumerate(state.slides, 1):
            self.say(f"{i}, {clean(slide.get('title', ''))}")

    def _cmd_vote(self, rest: str) -> None:
        polls = self.model.state.open_polls()
        if not polls:
            raise _Say("No poll is open.")
        poll = max(polls, key=lambda p: p.poll_id)
        numbers = [self._number(t, "Your vote") for t in rest.replace(",", " ").split()]
        if not numbers:
            raise _Say("Type /vote and the number of your choice.")
        if poll.kind == "scale":
            if len(numbers) != 1 or not 0 <= numbers[0] <= 10:
                raise _Say("This poll is a scale: type /vote and one number from 0 to 10.")
            choices = numbers
        else:
            if any(not 1 <= n <= len(poll.options) for n in numbers):
                raise _Say(f"Choose a number from 1 to {len(poll.options)}.")
            if poll.kind != "multiple" and len(numbers) > 1:
                raise _Say("This poll takes one choice; type /vote and one number.")
            choices = sorted({n - 1 for n in numbers})
        self._send("poll.vote", {"poll_id": poll.poll_id, "choices": choices})

    def _cmd_poll(self, rest: str) -> None:
        words_ = rest.split(None, 1)
        sub = words_[0].lower() if words_ else ""
        if sub == "open":
            self._need_facilitator()
            self._poll_open(words_[1] if len(words_) > 1 else "")
            return
        if sub == "plan":
            self._need_facilitator()
            self._poll_from_plan(words_[1] if len(words_) > 1 else "")
            return
        polls = self.model.state.current_polls()
        if not polls:
            raise _Say("There are no polls in this session.")
        for poll in sorted(polls, key=lambda p: p.poll_id):
            for line in self._poll_result(poll):
                self.say(line)

    def _poll_open(self, spec: str) -> None:
        usage = 'Write it like this: /poll open single "How was your week?" better; the same; worse.'
        parts = spec.split(None, 1)
        if len(parts) < 2:
            raise _Say(usage)
        kind, rest = parts[0].lower(), parts[1]
        if kind not in ("single", "multiple", "scale", "quiz"):
            raise _Say("The poll kind must be single, multiple, scale or quiz. " + usage)
        match = re.match(r'\s*"([^"]+)"\s*(.*)$', rest) or re.match(r"\s*'([^']+)'\s*(.*)$", rest)
        if match:
            question, tail = match.group(1), match.group(2)
        elif "?" in rest:
            question, _, tail = rest.partition("?")
            question += "?"
        else:
            raise _Say("Put the question in double quotes. " + usage)
        correct, anonymous = None, True
        flags = re.findall(r"(?:^|\s)(correct=\d+|named)\s*$", tail)
        while flags:
            flag = flags[0]
            tail = tail[: tail.rfind(flag)].rstrip()
            if flag == "named":
                anonymous = False
            else:
                correct = int(flag.split("=")[1]) - 1
            flags = re.findall(r"(?:^|\s)(correct=\d+|named)\s*$", tail)
        options = [o.strip() for o in tail.split(";") if o.strip()]
        if kind == "quiz" and correct is None:
            raise _Say("A quiz needs the right answer: add correct= and the option's number at the end.")
        if kind == "scale":
            options = []
        self._send("poll.open", {"question": question, "poll_kind": kind, "options": options, "correct": correct, "anonymous": anonymous})

    def _poll_from_plan(self, rest: str) -> None:
        if self.plan is None:
            raise _Say("No plan is loaded; type /plan and the path of a plan file.")
        if not rest:
            for i, poll in enumerate(self.plan.polls, 1):
                self.say(f"Prepared poll {i}: {poll.describe()}")
            return
        from iop_tui.core.plan import PlanError

        try:
            poll = self.plan.poll(self._number(rest, "The poll"))
        except PlanError as err:
            raise _Say(str(err)) from None
        self._send(*poll.command())

    def _cmd_dm(self, rest: str) -> None:
        if not rest:
            raise _Say("Type /dm and your message for the facilitators.")
        self._send("chat.send", {"text": rest, "to": "facilitators"})

    def _cmd_me(self, rest: str) -> None:
        if not rest:
            raise _Say("Type /me and an action, such as /me nods.")
        self._send("chat.send", {"text": rest, "to": "group", "me": True})

    def _cmd_hand(self, rest: str) -> None:
        me = self.model.me
        if me is not None and me.member_id in self.model.state.hands:
            raise _Say(words.HAND_ALREADY_UP)
        self._send("hand.raise", {})

    def _cmd_lower(self, rest: str) -> None:
        if rest:
            self._need_facilitator()
            entry = self._member(rest)
            self._send("hand.lower", {"member_id": entry.member_id})
            return
        self._send("hand.lower", {"member_id": None})

    def _cmd_who(self, rest: str) -> None:
        state = self.model.state
        me = self.model.me
        if me is not None and me.role == GUEST:
            self.say(words.GUEST_ROSTER)
            self.say(words.hands_text(state))
            return
        people = [e for e in state.roster.values() if not e.removed]
        if not people:
            raise _Say("The list of members is not available to you.")
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
        revoked = words.revoked_line(state)
        if revoked:
            self.say(clean(revoked))

    def _homework_list(self) -> list[Any]:
        return [self.model.state.homework[k] for k in sorted(self.model.state.homework)]

    def _homework(self, number: str) -> Any:
        items = self._homework_list()
        n = self._number(number, "The homework number")
        if not 1 <= n <= len(items):
            raise _Say(f"There is no homework {n}; type /homework to hear the list." if items else "No homework has been assigned.")
        return items[n - 1]

    def _cmd_homework(self, rest: str) -> None:
        items = self._homework_list()
        if not items:
            raise _Say("No homework has been assigned.")
        me = self.model.me
        kinds = {"text": "written", "checklist": "checklist", "emotion_log": "emotion log"}
        for i, hw in enumerate(items, 1):
            mine = hw.submissions.get(me.member_id) if me is not None else None
            if self._is_facilitator():
                status = words.completion_text(self.model.state, hw)
            elif mine is None:
                status = "not submitted yet"
            else:
                status = "submitted" + (", late" if mine.late else "")
            self.say(f"Homework {i}, {clean(hw.title)}, {kinds.get(hw.kind, hw.kind)}, due {_ordinal_date(hw.due)}: {status}.")
            if hw.instructions:
                self.say(clean(hw.instructions))
            if hw.items:
                ticked = set(mine.checked) if mine is not None else set()
                self.say("Items: " + "; ".join(f"{j} {clean(t)}{' done' if j - 1 in ticked else ''}" for j, t in enumerate(hw.items, 1)) + ".")
            how = {"text": f"/submit {i} and your text", "checklist": f"/check {i} and item numbers", "emotion_log": f"/log {i} today, your mood and feelings"}
            if not self._is_facilitator():
                self.say(f"To hand it in, type {how.get(hw.kind, f'/submit {i}')}.")

    def _cmd_submit(self, rest: str) -> None:
        number, _, text = rest.partition(" ")
        hw = self._homework(number)
        if not text.strip():
            raise _Say(f"Type /submit {number} and your answer.")
        self._send("homework.submit", {"homework_id": hw.homework_id, "text": text.strip(), "checked": [], "log": []})

    def _cmd_check(self, rest: str) -> None:
        tokens = rest.replace(",", " ").split()
        if len(tokens) < 2:
            raise _Say("Type /check, the homework number, then the item numbers, for example /check 1 2 3.")
        hw = self._homework(tokens[0])
        if not hw.items:
            raise _Say(f"{clean(hw.title)} has no checklist items; use /submit.")
        numbers = [self._number(t, "An item") for t in tokens[1:]]
        if any(not 1 <= n <= len(hw.items) for n in numbers):
            raise _Say(f"Choose items from 1 to {len(hw.items)}.")
        me = self.model.me
        mine = hw.submissions.get(me.member_id) if me is not None else None
        checked = sorted(set(mine.checked if mine else []) | {n - 1 for n in numbers})
        self._send("homework.submit", {"homework_id": hw.homework_id, "text": mine.text if mine else "", "checked": checked, "log": list(mine.log) if mine else []})

    def _cmd_log(self, rest: str) -> None:
        tokens = rest.split(None, 3)
        if len(tokens) < 3:
            raise _Say("Type /log, the homework number, the day, your mood 0 to 10 and feelings, for example /log 1 today 6 calm, tired.")
        hw = self._homework(tokens[0])
        day_word = tokens[1].lower()
        today = _dt.date.today()
        if day_word == "today":
            day = today
        elif day_word == "yesterday":
            day = today - _dt.timedelta(days=1)
        else:
            parsed = parse_day(day_word)
            if parsed is None:
                raise _Say("The day must be today, yesterday or a date written YYYY-MM-DD.")
            day = parsed
        mood = self._number(tokens[2], "Your mood")
        if not 0 <= mood <= 10:
            raise _Say("Your mood must be a number from 0 to 10.")
        rest_words = tokens[3] if len(tokens) > 3 else ""
        feelings = [f.strip() for f in (rest_words.split(",") if "," in rest_words else rest_words.split()) if f.strip()]
        me = self.model.me
        mine = hw.submissions.get(me.member_id) if me is not None else None
        log = [e for e in (mine.log if mine else []) if e.get("day") != day.isoformat()]
        log.append({"day": day.isoformat(), "mood": mood, "feelings": feelings, "note": ""})
        log.sort(key=lambda e: e.get("day", ""))
        self._send("homework.submit", {"homework_id": hw.homework_id, "text": mine.text if mine else "", "checked": list(mine.checked) if mine else [], "log": log})

    def _cmd_history(self, rest: str) -> None:
        count = self._number(rest, "The number of messages") if rest else 10
        lines = self.model.state.visible_chat()[-max(1, count):]
        if not lines:
            raise _Say("No chat messages yet.")
        facilitator = self._is_facilitator()
        self.say(f"Last {_plural(len(lines), 'chat message')}, oldest first:")
        for line in lines:
            who = clean(line.name)
            text = clean(line.text)
            if line.to == "member":
                body = clean(words.thread_line(line, self.model.state, self.model.me_id))
            elif line.me:
                body = f"Chat, {who} {text}"
            elif line.to == "facilitators":
                body = f"Private to facilitators, {who}: {text}"
            else:
                body = f"Chat, {who}: {text}"
            self.say(body + (f" (message {line.message_id})" if facilitator else ""), verbatim=True)
        mark = getattr(self.model, "mark_chat_read", None)
        if callable(mark):
            mark()

    def _cmd_status(self, rest: str) -> None:
        model = self.model
        state = model.state
        self.say("Connection: " + clean(words.connection_text(model)) + ".")
        if not self._joined:
            conn = getattr(model, "conn", None)
            if _get(conn, "message"):
                self.say(clean(_get(conn, "message")))
            self.say(words.not_joined_yet_text())
            return
        self.say(words.session_line(state))

    # facilitator commands

    def _cmd_start(self, rest: str) -> None:
        self._need_facilitator()
        untitled = rest.strip().lower() == "--untitled"
        title = "" if untitled else rest or (self.plan.title if self.plan is not None else "")
        if not title and not untitled:
            raise _Say(words.START_ASK)
        self._send("session.start", {"title": title})

    def _cmd_end(self, rest: str) -> None:
        """/end SUMMARY (or --no-summary) asks; /end yes ends, revealing unseen polls
        unless --no-reveal follows; /end no keeps the session running."""
        self._need_facilitator()
        state = self.model.state
        if state.session is None:
            self._end_summary = None
            raise _Say("No session is running, so there is nothing to end.")
        answer = rest.strip().lower().split()
        if answer[:1] == ["yes"] and set(answer[1:]) <= {"--no-reveal"}:
            pending, self._end_summary = self._end_summary, None
            if pending is None or pending[0] != state.session.session_id:
                raise _Say("There is nothing to confirm yet; type /end and a one-line summary first.")
            summary = pending[1]
            reveal = words.end_warning(state) is not None and "--no-reveal" not in answer
            self._send("session.end", {"summary": summary, "reveal": reveal})
            return
        if answer in (["no"], ["cancel"]):
            if self._end_summary is None:
                raise _Say("There is nothing to cancel; the session keeps running.")
            self._end_summary = None
            raise _Say("The session keeps running.")
        if not answer:
            raise _Say(words.END_ASK)
        summary = "" if answer == [words.END_NO_SUMMARY] else rest.strip()
        self._end_summary = (state.session.session_id, summary)
        self.say(words.end_plain_question(state, summary), verbatim=True)

    def _cmd_reply(self, rest: str) -> None:
        """A facilitator: /reply NAME TEXT answers one member privately. A member:
        /reply TEXT answers the facilitators (the same as /dm)."""
        if not self._is_facilitator():
            if not rest:
                raise _Say("Type /reply and your private line for the facilitators.")
            self._send("chat.send", {"text": rest, "to": "facilitators"})
            return
        usage = "Type /reply, the member's name and your private line, for example /reply Sam See you after group."
        if not rest:
            raise _Say(usage)
        entry, text = self._member_prefix(rest)
        if not text:
            raise _Say(usage)
        self._send("chat.reply", {"member_id": entry.member_id, "text": text})

    def _member_prefix(self, rest: str) -> tuple[Any, str]:
        """The member whose name begins ``rest`` (the shared name key, longest name first) and the text after it."""
        entry, text = self.model.state.member_at_start(rest)
        if entry is not None:
            return entry, text
        first = rest.split(None, 1)[0]
        raise _Say(f"Nobody called {clean(first)[:40]} is in the group; type /who to hear the names.")

    def _cmd_thread(self, rest: str) -> None:
        """One member's private thread with the facilitators (a member: their own)."""
        state, me_id = self.model.state, self.model.me_id
        if self._is_facilitator():
            if not rest:
                raise _Say("Type /thread and a member's name, for example /thread Sam.")
            entry, extra = self._member_prefix(rest)
            if extra:
                raise _Say(f"Nobody called {clean(rest)[:40]} is in the group; type /who to hear the names.")
            lines = self.model.private_thread(entry.member_id)
            if not lines:
                raise _Say(f"{clean(entry.name)} has no private lines with the facilitators yet; /reply {clean(entry.name)} writes to them.")
            self.say(f"Private thread with {clean(entry.name)}, {_plural(len(lines), 'line')}, oldest first:", verbatim=True)
        else:
            lines = self.model.private_thread(me_id) if me_id is not None else []
            if not lines:
                raise _Say("You have no private lines with the facilitators yet; /dm writes to them.")
            self.say(f"Your private thread with the facilitators, {_plural(len(lines), 'line')}, oldest first:", verbatim=True)
        for line in lines:
            self.say(words.thread_line(line, state, me_id), verbatim=True)
        self.model.mark_private_read()

    def _cmd_phase(self, rest: str) -> None:
        self._need_facilitator()
        phase = _PHASE_ALIASES.get(rest.lower().strip())
        if phase is None:
            raise _Say("Name a phase: checkin, psychoeducation, exercises, discussion or closing.")
        self._send("phase.set", {"phase": phase})

    def _cmd_deck(self, rest: str) -> None:
        self._need_facilitator()
        if not rest:
            raise _Say("Type /deck and the path of a Markdown file.")
        from iop_tui.core.plan import PlanError, read_deck

        try:
            markdown = read_deck(rest.strip().strip("\"'"))
        except PlanError as err:
            raise _Say(str(err)) from None
        self._send("deck.load", {"markdown": clean_text(markdown)})  # a file is cleaned like the network

    def _goto(self, index: int) -> None:
        slides = self.model.state.slides
        if not slides:
            raise _Say("No slides are loaded; type /deck and a path, or /plan.")
        if not 0 <= index < len(slides):
            raise _Say(f"The deck has slides 1 to {len(slides)}.")
        self._send("slide.goto", {"index": index})

    def _cmd_next(self, rest: str) -> None:
        self._need_facilitator()
        self._goto(self.model.state.slide_index + 1)

    def _cmd_prev(self, rest: str) -> None:
        self._need_facilitator()
        self._goto(self.model.state.slide_index - 1)

    def _cmd_goto(self, rest: str) -> None:
        self._need_facilitator()
        self._goto(self._number(rest, "The slide") - 1)

    def _cmd_notes(self, rest: str) -> None:
        self._need_facilitator()
        state = self.model.state
        index = state.slide_index if not rest else self._number(rest, "The slide") - 1
        notes = state.notes[index] if 0 <= index < len(state.notes) else ""
        if not notes.strip():
            raise _Say(f"Slide {index + 1} has no presenter notes.")
        self.say(f"Notes for slide {index + 1}:")
        for line in markdown_lines(notes):
            self.say(line)

    def _poll_by_number(self, rest: str) -> Any:
        polls = sorted(self.model.state.polls)
        n = self._number(rest, "The poll number")
        if not 1 <= n <= len(polls):
            raise _Say("There is no such poll; type /poll to hear the polls and their numbers.")
        return self.model.state.polls[polls[n - 1]]

    def _cmd_close(self, rest: str) -> None:
        self._need_facilitator()
        self._send("poll.close", {"poll_id": self._poll_by_number(rest).poll_id})

    def _cmd_reveal(self, rest: str) -> None:
        self._need_facilitator()
        self._send("poll.reveal", {"poll_id": self._poll_by_number(rest).poll_id})

    def _cmd_round(self, rest: str) -> None:
        self._need_facilitator()
        state = self.model.state
        if state.session is None:
            raise _Say(words.NO_ROUND)
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
            self.say(line)
        if waiting:
            self.say("Not yet: " + ", ".join(waiting) + ".")

    def _cmd_delete(self, rest: str) -> None:
        """/delete N asks in one line what it would delete; /delete N yes deletes."""
        self._need_facilitator()
        number, _, answer = rest.partition(" ")
        message_id = self._number(number.lstrip("#"), "The message number")
        line = next((c for c in self.model.state.chat if c.message_id == message_id), None)
        if line is None:
            raise _Say(f"There is no message {message_id}; type /history to hear the numbers.")
        if line.deleted:
            raise _Say(f"Message {message_id} is already deleted.")
        if answer.strip().lower() not in ("yes", "y"):
            raise _Say(f"{words.delete_question(line)} Type /delete {message_id} yes")
        self._send("chat.delete", {"message_id": message_id})

    def _member(self, name: str) -> Any:
        found = self.model.state.member_named(name)
        if found is None:
            raise _Say(f"Nobody called {clean(name)[:40]} is in the group; type /who to hear the names.")
        return found

    def _cmd_mute(self, rest: str) -> None:
        self._need_facilitator()
        self._send("member.mute", {"member_id": self._member(rest).member_id, "muted": True})

    def _cmd_unmute(self, rest: str) -> None:
        self._need_facilitator()
        self._send("member.mute", {"member_id": self._member(rest).member_id, "muted": False})

    def _cmd_remove(self, rest: str) -> None:
        self._need_facilitator()
        self._send("member.remove", {"member_id": self._member(rest).member_id})

    def _cmd_assign(self, rest: str) -> None:
        self._need_facilitator()
        from iop_tui.core.plan import PlanError, resolve_due

        if rest.split(None, 1)[:1] == ["plan"]:
            if self.plan is None:
                raise _Say("No plan is loaded; type /plan and the path of a plan file.")
            for kind, data in self.plan.assignments(_dt.date.today()):
                self._send(kind, data)
            return
        usage = 'Write it like this: /assign checklist +6 days "Thought record" Day 1; Day 2; Day 3.'
        match = re.match(r'\s*(text|checklist|emotion_log)\s+(\+[ \t]*[0-9]+(?:[ \t]*days?)?|[^\s"]+)\s+"([^"]+)"\s*(.*)$', rest, re.IGNORECASE)
        if not match:
            raise _Say(usage)
        kind, due, title, tail = match.groups()
        try:
            due_date = resolve_due(due, _dt.date.today())
        except PlanError as err:
            raise _Say(str(err)) from None
        items = [i.strip() for i in tail.split(";") if i.strip()] if kind.lower() == "checklist" else []
        instructions = tail.strip() if kind.lower() != "checklist" else ""
        self._send("homework.assign", {"title": title, "homework_kind": kind.lower(), "instructions": instructions, "items": items, "due": due_date})

    def _cmd_completion(self, rest: str) -> None:
        self._need_facilitator()
        state = self.model.state
        items = self._homework_list()
        if not items:
            raise _Say("No homework has been assigned.")
        members = [e for e in state.roster.values() if e.role == "participant" and not e.removed]
        if rest.strip():
            number = rest.strip()
            if not number.isdigit() or not 1 <= int(number) <= len(items):
                raise _Say(f"There is no homework {number}; type /homework to see the numbers.")
            hw = items[int(number) - 1]
            if not hw.submissions:
                raise _Say(f"Nobody has submitted {clean(hw.title)} yet.")
            for sub in sorted(hw.submissions.values(), key=lambda s: s.name.lower()):
                late = ", late" if sub.late else ""
                self.say(f"{clean(sub.name)}{late}: {clean(words.submission_text(hw, sub))}")
            return
        for i, hw in enumerate(items, 1):
            done = [f"{clean(s.name)}{' (late)' if s.late else ''}" for s in hw.submissions.values()]
            missing = [clean(e.name) for e in members if e.member_id not in hw.submissions]
            self.say(f"Homework {i}, {clean(hw.title)}, due {_ordinal_date(hw.due)}: {words.completion_text(state, hw)}.")
            if done:
                self.say("Submitted: " + ", ".join(done) + ".")
            if missing:
                self.say("Not yet: " + ", ".join(missing) + ".")

    def _cmd_plan(self, rest: str) -> None:
        self._need_facilitator()
        from iop_tui.core.plan import PlanError, load_plan

        if not rest:
            raise _Say("Type /plan and the path of a plan file.")
        try:
            plan = load_plan(rest.strip().strip("\"'"))
        except PlanError as err:
            raise _Say(str(err)) from None
        self.plan = plan
        for kind, data in plan.commands(_dt.date.today()):
            self._send(kind, data)
        self.say(f"Plan loaded: {clean(plan.title or plan.path.name)}, {_plural(len(plan.polls), 'prepared poll')}; type /poll plan to hear them.")

    # aliases
    _cmd_unlower = _cmd_lower
    _cmd_raise = _cmd_hand
    _cmd_h = _cmd_help
    _cmd_previous = _cmd_prev
    _cmd_back = _cmd_prev
    _cmd_private = _cmd_dm


# -- the loop ------------------------------------------------------------------------------


def _reader(stdin: Any, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue) -> None:
    """Read lines in a thread (works for terminals, pipes and /dev/null alike)."""
    stream = getattr(stdin, "buffer", stdin)
    try:
        while True:
            raw = stream.readline()
            if not raw:
                break
            line = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
            loop.call_soon_threadsafe(queue.put_nowait, line)
    except (OSError, ValueError):
        pass
    finally:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, None)
        except RuntimeError:  # the loop has closed already
            pass


def wrap(line: str, width: int) -> list[str]:
    """Break a line at spaces so no row is wider than ``width``.

    A console screen reader reads a terminal row by row and pauses at each
    row's end: a word the terminal splits at the margin is heard as two
    ("membe , rs"). Breaking at spaces ourselves keeps every word whole.
    Rows after the first are indented by two spaces, so no part of a long
    line (however a member pads their text) starts a row as if it were a
    line of its own.
    """
    if width < 20 or len(line) <= width:
        return [line]
    return _wrap_words(line, width, width - len(_CONTINUATION))


_CONTINUATION = "  "  # the indent of a wrapped line's further rows


def _wrap_words(line: str, first: int, later: int) -> list[str]:
    """Rows broken at spaces (a longer word is cut): the first at most ``first``
    characters, the rest indented by :data:`_CONTINUATION`, at most ``later``."""
    rows: list[str] = []
    current = ""

    def width() -> int:
        return first if not rows else later

    def push(row: str) -> None:
        rows.append(row if not rows else _CONTINUATION + row)

    for word in line.split(" "):
        while len(word) > width() - (len(current) + 1 if current else 0):
            if current:
                push(current)
                current = ""
            elif len(word) > width():
                cut = width()
                push(word[:cut])
                word = word[cut:]
            else:
                break
        if not current:
            current = word
        else:
            current += " " + word
    if current:
        push(current)
    return rows


def _width(stdout: Any) -> int:
    """Usable columns when writing to a terminal (one fewer than the terminal), else 0."""
    try:
        if stdout.isatty():
            return os.get_terminal_size(stdout.fileno()).columns - 1
    except (AttributeError, OSError, ValueError):
        pass
    return 0


def _writer(stdout: TextIO) -> Callable[[str], None]:
    binary = getattr(stdout, "buffer", None)

    def write(line: str) -> None:
        rows = wrap(line.replace("\x1b", ""), _width(stdout))
        data = ("\n".join(rows) + "\n").encode("utf-8", "replace")
        try:
            if binary is not None:
                binary.write(data)
                binary.flush()
            else:
                stdout.write(data.decode("utf-8"))
                stdout.flush()
        except (BrokenPipeError, ValueError, OSError):
            pass

    return write


async def run_plain(session: Any, *, stdin: Any, stdout: TextIO, verbosity: str = "normal", plan: Any = None) -> int:
    """Run the plain face until the person leaves (0) or the server refuses them (1)."""
    write = _writer(stdout)
    face = PlainFace(session, write, verbosity, plan)
    unsubscribe = session.subscribe(face.on_notices)
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    threading.Thread(target=_reader, args=(stdin, loop, queue), name="plain-stdin", daemon=True).start()
    runner = asyncio.ensure_future(session.run())
    code = 0
    try:
        interactive = bool(stdin.isatty())
    except (AttributeError, ValueError, OSError):
        interactive = False
    backlog: list[str] = []  # lines typed (or piped) before the join finished
    try:
        while True:
            getter = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait({getter, runner}, return_when=asyncio.FIRST_COMPLETED)
            if runner in done:
                getter.cancel()
                code = _ended(face, runner, write)
                break
            line = getter.result()
            if line is not None and not face.joined:
                if _answers_before_join(line):
                    if not face.handle(line):  # /quit: leave at once
                        write(f"Left {clean(session.model.group_name or 'the session')}.")
                        break
                    continue
                backlog.append(line)
                continue
            if line is None:
                # End of input: let the join finish and what was typed go out first, then leave.
                # A person's Control D with nothing typed leaves at once; a pipe waits for the
                # first answer, but never through retries at an address that is not answering.
                if not face.joined and not (backlog or not interactive):
                    write("Left.")
                    break
                await _until(lambda: face.joined or runner.done() or _conn_state(session) not in ("connecting", "connected"), JOIN_WAIT_S)
                if not face.joined and not runner.done():
                    if backlog:
                        write(f"{_plural(len(backlog), 'typed line')} not sent: the join had not finished.")
                    write("Left.")
                    break
                if runner.done():
                    code = _ended(face, runner, write)
                    break
                for typed in backlog:
                    if not face.handle(typed):
                        break
                backlog.clear()
                await _until(lambda: not getattr(session, "pending", 0) or runner.done(), SEND_WAIT_S)
                face.flush_presence()
                write(f"Left {clean(session.model.group_name or 'the session')}.")
                break
            leave = False
            for typed in backlog + [line]:
                if not face.handle(typed):
                    leave = True
                    break
            backlog.clear()
            if leave:
                await _until(lambda: not getattr(session, "pending", 0) or runner.done(), SEND_WAIT_S)
                face.flush_presence()
                write(f"Left {clean(session.model.group_name or 'the session')}.")
                break
    except asyncio.CancelledError:  # Control C, or the terminal closed
        code = 0
        write(f"Left {clean(session.model.group_name or 'the session')}.")
    finally:
        if callable(unsubscribe):
            unsubscribe()
        if face._presence_handle is not None:
            face._presence_handle.cancel()
        try:
            await asyncio.wait_for(session.close(), 5)
        except (TimeoutError, Exception):
            pass
        if not runner.done():
            runner.cancel()
        try:
            await asyncio.wait_for(asyncio.gather(runner, return_exceptions=True), 5)
        except (TimeoutError, asyncio.CancelledError):
            pass
    return code


JOIN_WAIT_S = 15.0  # at end of input, how long to wait for the join to finish

#: Commands that answer even before the join has finished (the rest wait for it).
_BEFORE_JOIN = ("/status", "/quit", "/exit", "/q")


def _answers_before_join(line: str) -> bool:
    return line.strip().split(" ", 1)[0].lower() in _BEFORE_JOIN


def _conn_state(session: Any) -> Any:
    return _get(getattr(session.model, "conn", None), "state")
SEND_WAIT_S = 5.0  # and for commands already sent to be answered


async def _until(condition: Callable[[], bool], timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition() and loop.time() < deadline:
        await asyncio.sleep(0.05)


def _ended(face: PlainFace, runner: asyncio.Future, write: Callable[[str], None]) -> int:
    """The session stopped by itself: say why in one sentence."""
    face.flush_presence()
    face._connection_lines()
    sentence = face.fatal or (clean(face.session.fatal_message) if getattr(face.session, "fatal_message", None) else None)
    if sentence is None and not runner.cancelled():
        exc = runner.exception()
        if isinstance(exc, ProtocolError):
            sentence = clean(exc.message)
        elif isinstance(exc, OSError):
            sentence = f"The connection failed ({type(exc).__name__}); check the address and your network, then join again."
        elif exc is not None:
            sentence = f"The session stopped unexpectedly ({type(exc).__name__}); join again."
    if sentence:
        if _speakable(sentence) != face.last_said:  # the removal was already said as it happened
            write(sentence)
        return 1
    write("The session has closed.")
    return 0
