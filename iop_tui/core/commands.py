"""The one command interpreter: a typed line becomes what to do, for both faces.

:func:`interpret` turns a line ("/vote 2", "/mute Sam", "hello all") and the
current :class:`Context` (the session model, a loaded plan, today) into one
:class:`Outcome`:

- ``sends``: protocol commands to send (kind + data), in order; when ``ask``
  is set they go only after the person says yes (the Textual face asks in a
  dialog, the plain face prints ``ask_typed`` and waits for "/... yes");
- ``local``: a read-only request (``"help"``, ``"who"``, ``"history"``, ...)
  that the face renders from the model, with its parsed ``arg``;
- ``refusal``: one sentence saying why nothing happens;
- ``leave``: the person asked to go.

Every sentence comes from :mod:`iop_tui.core.words`, members are found by one
rule (:meth:`protocol.state.GroupState.member_named`: the shared name key, or
a unique prefix), a role's refusal is :func:`words.forbidden_text`, and the
help table (:func:`help_entries`) is generated from the same definitions and
the permission table. A new command is one function under ``@command``.

Pure: no I/O, no clock (``Context.today``), no event loop, no textual.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from protocol.messages import MAX_ROOM_MINUTES, MAX_ROOMS, PHASES, parse_day
from protocol.roles import FACILITATOR, GUEST, PARTICIPANT, ROLES, may

from iop_tui.core import words
from iop_tui.core.plan import PlanError, resolve_due
from iop_tui.core.safety import current_item

__all__ = ["Send", "Outcome", "Context", "Memory", "Command", "COMMANDS", "interpret", "help_entries", "COMMAND_HELP", "moderate", "LEAVE_NAMES", "HELP_TOPICS", "help_topics"]


@dataclass(frozen=True)
class Send:
    """One protocol command to send."""

    kind: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    """What a typed line asks for (see the module docstring)."""

    sends: tuple[Send, ...] = ()
    local: str = ""
    arg: Any = None
    refusal: str = ""
    ask: str = ""  # a yes/no question before the sends go
    ask_typed: str = ""  # the same question for a typed reply ("... Type /delete 3 yes")
    declined: str = ""  # said when the answer is no
    done: str = ""  # may be said once the sends are accepted ("Raising your hand.")
    leave: bool = False
    #: The line as typed (set by :func:`interpret`): a face sends it with the sends
    #: (``ClientSession.send(typed=...)``), so a relay's refusal gives it back, never loses it.
    typed: str = ""

    @property
    def nothing(self) -> bool:
        return not (self.sends or self.local or self.refusal or self.ask or self.leave)


@dataclass
class Memory:
    """What the conversation remembers between lines, kept by the face: the
    summary given with ``/end SUMMARY`` until ``/end yes`` or ``/end no``."""

    end: tuple[int, str] | None = None  # (session id, summary)
    urgent: str | None = None  # the words of an urgent request asked about, until /urgent yes or no
    in_role: bool = False  # small rooms (issue 13): typed lines are said in character (/in) until /out


@dataclass
class Context:
    """What a line is read against. ``private`` and ``reply_to`` are the
    full-screen chat input's modes (plain chat then goes to the facilitators, or
    is a private reply to one member)."""

    model: Any
    plan: Any = None
    today: _dt.date = field(default_factory=_dt.date.today)
    private: bool = False
    reply_to: int | None = None
    memory: Memory = field(default_factory=Memory)

    @property
    def state(self) -> Any:
        return self.model.state

    @property
    def role(self) -> str | None:
        me = self.model.me
        return me.role if me is not None else None

    @property
    def me_id(self) -> int | None:
        me = self.model.me
        return me.member_id if me is not None else None


class Refused(Exception):
    """A command cannot run; the message is the sentence to say."""


Handler = Callable[[str, Context], Outcome]


@dataclass(frozen=True)
class Help:
    """One help line: ``usage: text``, listed to the roles in ``who`` (a protocol
    kind, read through the permission table, or a set of roles)."""

    usage: str
    text: str
    who: str | frozenset[str] = frozenset(ROLES)

    def offered_to(self, role: str | None) -> bool:
        if role is None:
            return isinstance(self.who, frozenset) and self.who == frozenset(ROLES)
        return may(role, self.who) if isinstance(self.who, str) else role in self.who


@dataclass(frozen=True)
class Command:
    names: tuple[str, ...]
    handler: Handler
    help: tuple[Help, ...]


COMMANDS: dict[str, Command] = {}
_ORDER: list[Command] = []
_FAC = frozenset({FACILITATOR})
_MEMBERS = frozenset({PARTICIPANT, GUEST})

#: Names that leave the session (answered before the join finishes, too).
LEAVE_NAMES = ("quit", "exit", "q")


def command(*names: str, help: tuple[Help, ...] = ()) -> Callable[[Handler], Handler]:
    """Register a command under ``names`` (the first is its name) with its help lines."""

    def register(handler: Handler) -> Handler:
        cmd = Command(names, handler, help)
        _ORDER.append(cmd)
        for name in names:
            COMMANDS[name] = cmd
        return handler

    return register


# -- reading a line --------------------------------------------------------------------


def interpret(line: str, ctx: Context) -> Outcome:
    """One typed line -> one :class:`Outcome` (see the module docstring); an outcome that
    sends carries the line as typed (``typed``)."""
    outcome = _interpret(line, ctx)
    return replace(outcome, typed=line.strip()) if outcome.sends else outcome


def _interpret(line: str, ctx: Context) -> Outcome:
    text = line.strip()
    if not text:
        return Outcome()
    if not text.startswith("/") or text.startswith("//"):
        return _chat(text[1:] if text.startswith("//") else text, ctx)
    name, _, rest = text[1:].partition(" ")
    name, rest = name.lower(), rest.strip()
    if name in LEAVE_NAMES:
        return Outcome(leave=True)
    cmd = COMMANDS.get(name)
    if cmd is None:
        return Outcome(refusal=words.no_command_text(words_clean(name)))
    try:
        outcome = cmd.handler(rest, ctx)
    except Refused as said:
        return Outcome(refusal=str(said))
    return _permitted(outcome, ctx)


def _permitted(outcome: Outcome, ctx: Context) -> Outcome:
    """A send this role may not make is refused here, in the one sentence."""
    role = ctx.role
    if role is not None:
        for send in outcome.sends:
            if not may(role, send.kind):
                return Outcome(refusal=words.forbidden_text(role, send.kind))
    me = ctx.model.me
    if me is not None and me.muted and any(s.kind == "chat.send" and s.data.get("to") == "group" for s in outcome.sends):
        # qam: the relay refuses it; said here, the words stay in the box instead of being lost
        return Outcome(refusal=words.MUTED_GROUP_CHAT)
    return outcome


def words_clean(text: str) -> str:
    """Typed text quoted back in a sentence: one line, no control characters."""
    from protocol.text import one_line

    return one_line(text)


def send(kind: str, data: dict[str, Any], **extra: Any) -> Outcome:
    return Outcome(sends=(Send(kind, data),), **extra)


def _need(ctx: Context, kind: str) -> None:
    """Refuse at once (before reading the rest) a command this role may not use."""
    role = ctx.role
    if role is None:
        return
    allowed = may(role, kind) if kind in words.COMMAND_ACTIONS else role == FACILITATOR
    if not allowed:
        raise Refused(words.forbidden_text(role, kind))


def _number(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise Refused(words.not_a_number_text(what)) from None


def _member(name: str, ctx: Context) -> Any:
    found = ctx.state.member_named(name) if name else None
    if found is None:
        raise Refused(words.no_member_text(words_clean(name)))
    return found


def _member_at_start(rest: str, ctx: Context) -> tuple[Any, str]:
    """The member whose name begins ``rest`` and the text after it (``/reply Zoë 李: hi``)."""
    entry, text = ctx.state.member_at_start(rest)
    if entry is None:
        raise Refused(words.no_member_text(words_clean(rest.split(None, 1)[0] if rest.split() else rest)))
    return entry, text


def _feelings(text: str) -> list[str]:
    parts = text.split(",") if "," in text else text.split()
    return [p.strip() for p in parts if p.strip()]


def _mood(text: str) -> int:
    mood = _number(text, "Your mood")
    if not 0 <= mood <= 10:
        raise Refused(words.MOOD_RANGE)
    return mood


# -- chat --------------------------------------------------------------------------------


def _chat(text: str, ctx: Context) -> Outcome:
    if ctx.memory.in_role and not ctx.private and ctx.reply_to is None:  # small rooms (issue 13): /in ... /out
        if _playing(ctx) is not None:
            return _permitted(send("roleplay.say", {"text": text}), ctx)
        ctx.memory.in_role = False  # the scene ended: out of role
    if ctx.reply_to is not None:
        return _permitted(send("chat.reply", {"member_id": ctx.reply_to, "text": text}), ctx)
    return _permitted(send("chat.send", {"text": text, "to": "facilitators" if ctx.private else "group"}), ctx)


@command("help", "h", help=(
    Help("any text", "a line not starting with a slash is chat to the whole group."),
    Help("/help", "list every command; /help and a topic, such as /help polls, lists one group of them."),
))
def _help(rest: str, ctx: Context) -> Outcome:
    topic = rest.strip().lower()
    if topic == "all":
        return Outcome(local="help", arg=EveryHelp(help_entries(ctx.role)))
    if not topic:
        return Outcome(local="help", arg=help_entries(ctx.role))
    entries = help_topics(ctx.role).get(topic)
    if entries is None:
        raise Refused(words.no_help_topic_text(words_clean(topic)[:30], list(help_topics(ctx.role))))
    return Outcome(local="help", arg=entries)


@command("checkin", help=(Help(
    "/checkin MOOD feelings -- note",
    "check in with your mood from 0 to 10, feeling words separated by commas, and an optional note for the facilitators; add --group before the two dashes to share the note with the group, and --at and where you are (for the facilitators only), such as --at at home.",
    "checkin.submit"),))
def _checkin(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "checkin.submit")
    note, head = "", rest
    if re.search(r"(^|\s)--(\s|$)", rest):
        head, note = re.split(r"(?:^|\s)--(?:\s|$)", rest, maxsplit=1)
    location = ""
    at = re.search(r"(?:^|\s)--at(?:\s|$)", head)
    if at:
        head, location = head[: at.start()], head[at.end():].strip()
    note_to, kept = "facilitators", []
    for token in head.split():
        if token.lower() in ("--group", "-g", "group:"):
            note_to = "group"
        elif token.lower() in ("--private", "--facilitators", "-p"):
            note_to = "facilitators"
        else:
            kept.append(token)
    if not kept:
        raise Refused(words.CHECKIN_USAGE)
    mood = _mood(kept[0])
    data = {"mood": mood, "feelings": _feelings(" ".join(kept[1:])), "note": note.strip(), "note_to": note_to, "passed": False}
    if location:
        data["location"] = location
    return send("checkin.submit", data)


@command("pass", help=(Help("/pass", "pass on this check-in.", "checkin.submit"),))
def _pass(rest: str, ctx: Context) -> Outcome:
    return send("checkin.submit", {"mood": None, "feelings": [], "note": "", "passed": True})


@command("slide", help=(Help("/slide", "read the current slide again; /slide and a number reads another slide."),))
def _slide(rest: str, ctx: Context) -> Outcome:
    return Outcome(local="slide", arg=ctx.state.slide_index if not rest else _number(rest, "The slide") - 1)


@command("slides", help=(Help("/slides", "list the slide titles."),))
def _slides(rest: str, ctx: Context) -> Outcome:
    if not ctx.state.slides:
        raise Refused(words.NO_SLIDES)
    return Outcome(local="slides")


@command("vote", help=(Help("/vote N", "vote in the newest open poll; give several numbers for a multiple-choice poll.", "poll.vote"),))
def _vote(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "poll.vote")
    polls = ctx.state.open_polls()
    if not polls:
        raise Refused(words.NO_POLL_OPEN)
    poll = max(polls, key=lambda p: p.poll_id)
    numbers = [_number(t, "Your vote") for t in rest.replace(",", " ").split()]
    if not numbers:
        raise Refused(words.VOTE_USAGE)
    if poll.kind == "scale":
        if len(numbers) != 1 or not 0 <= numbers[0] <= 10:
            raise Refused(words.VOTE_SCALE)
        choices = numbers
    else:
        if any(not 1 <= n <= len(poll.options) for n in numbers):
            raise Refused(words.choose_range_text("a number", len(poll.options)))
        if poll.kind != "multiple" and len(numbers) > 1:
            raise Refused(words.VOTE_ONE)
        choices = sorted({n - 1 for n in numbers})
    return send("poll.vote", {"poll_id": poll.poll_id, "choices": choices})


@command("poll", help=(
    Help("/poll", "read the open polls and the results again."),
))
def _poll(rest: str, ctx: Context) -> Outcome:
    parts = rest.split(None, 1)
    sub = parts[0].lower() if parts else ""
    tail = parts[1] if len(parts) > 1 else ""
    if sub == "open":
        _need(ctx, "poll.open")
        return _poll_open(tail)
    if sub == "plan":
        _need(ctx, "poll plan")
        if ctx.plan is None:
            raise Refused(words.NO_PLAN)
        if not tail:
            return Outcome(local="poll plan")
        try:
            kind, data = ctx.plan.poll(_number(tail, "The poll")).command()
        except PlanError as err:
            raise Refused(str(err)) from None
        return send(kind, data)
    if not ctx.state.current_polls():
        raise Refused("There are no polls in this session.")
    return Outcome(local="poll")


_FLAG = re.compile(r"(?:^|\s)(correct=\d+|named)\s*$")


def _poll_open(spec: str) -> Outcome:
    parts = spec.split(None, 1)
    if len(parts) < 2:
        raise Refused(words.POLL_OPEN_USAGE)
    kind, rest = parts[0].lower(), parts[1]
    if kind not in ("single", "multiple", "scale", "quiz"):
        raise Refused(words.POLL_KIND)
    match = re.match(r'\s*"([^"]+)"\s*(.*)$', rest) or re.match(r"\s*'([^']+)'\s*(.*)$", rest)
    if match:
        question, tail = match.group(1), match.group(2)
    elif "?" in rest:
        question, _, tail = rest.partition("?")
        question += "?"
    else:
        raise Refused(words.POLL_QUOTES)
    correct, anonymous = None, True
    flags = _FLAG.findall(tail)
    while flags:
        flag = flags[0]
        tail = tail[: tail.rfind(flag)].rstrip()
        if flag == "named":
            anonymous = False
        else:
            correct = int(flag.split("=")[1]) - 1
        flags = _FLAG.findall(tail)
    options = [o.strip() for o in tail.split(";") if o.strip()]
    if kind == "quiz" and correct is None:
        raise Refused(words.QUIZ_NEEDS_ANSWER)
    if kind == "scale":
        options = []
    return send("poll.open", {"question": question, "poll_kind": kind, "options": options, "correct": correct, "anonymous": anonymous})


@command("dm", "private", help=(Help("/dm TEXT", "send a private line to the facilitators only; /reply TEXT does the same.", "chat.send"),))
def _dm(rest: str, ctx: Context) -> Outcome:
    if not rest:
        raise Refused(words.DM_USAGE)
    return send("chat.send", {"text": rest, "to": "facilitators"})


@command("thread", help=(Help("/thread", "read your private thread with the facilitators; facilitators add a name: /thread NAME."),))
def _thread(rest: str, ctx: Context) -> Outcome:
    """A facilitator: one member's private thread; a member: their own."""
    if ctx.role != FACILITATOR:
        if ctx.me_id is None or not ctx.model.private_thread(ctx.me_id):
            raise Refused(words.NO_OWN_THREAD)
        return Outcome(local="thread", arg=ctx.me_id)
    if not rest:
        raise Refused(words.THREAD_USAGE)
    entry, extra = _member_at_start(rest, ctx)
    if extra:
        raise Refused(words.no_member_text(words_clean(rest)))
    if not ctx.model.private_thread(entry.member_id):
        raise Refused(words.no_thread_text(words_clean(entry.name)))
    return Outcome(local="thread", arg=entry.member_id)


@command("me", help=(Help("/me TEXT", "post an action to the group, such as /me nods.", "chat.send"),))
def _me(rest: str, ctx: Context) -> Outcome:
    if not rest:
        raise Refused(words.ME_USAGE)
    return send("chat.send", {"text": rest, "to": "facilitators" if ctx.private else "group", "me": True})


@command("hand", "raise", help=(Help("/hand", "raise your hand; /lower lowers it.", "hand.raise"),))
def _hand(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "hand.raise")
    if ctx.me_id is not None and ctx.me_id in ctx.state.hands:
        raise Refused(words.HAND_ALREADY_UP)
    return send("hand.raise", {}, done=words.RAISING_HAND)


@command("lower", "unlower")
def _lower(rest: str, ctx: Context) -> Outcome:
    """A member lowers their own hand; a facilitator names whose."""
    if ctx.role == FACILITATOR:
        if not rest:
            raise Refused(words.LOWER_USAGE)
        return moderate("lower", _member(rest, ctx), ctx.model)
    if rest:
        _need(ctx, "lower NAME")
    if ctx.me_id is not None and ctx.me_id not in ctx.state.hands:
        raise Refused(words.HAND_NOT_UP)
    return send("hand.lower", {"member_id": None}, done=words.LOWERING_HAND)


@command("who", help=(Help("/who", "who is here, and whose hands are raised; /who guests also names the past guests."),))
def _who(rest: str, ctx: Context) -> Outcome:
    return Outcome(local="who", arg=rest.strip().lower() in ("guests", "guest", "all"))


def _homework_list(ctx: Context) -> list[Any]:
    return [ctx.state.homework[k] for k in sorted(ctx.state.homework)]


def _homework(number: str, ctx: Context) -> Any:
    items = _homework_list(ctx)
    n = _number(number, "The homework number")
    if not 1 <= n <= len(items):
        raise Refused(words.no_homework_text(n, bool(items)))
    return items[n - 1]


def _mine(hw: Any, ctx: Context) -> Any:
    return hw.submissions.get(ctx.me_id) if ctx.me_id is not None else None


@command("homework", help=(Help("/homework", "list homework with due dates and whether you have submitted it.", "homework.submit"),))
def _homework_cmd(rest: str, ctx: Context) -> Outcome:
    if not ctx.state.homework:
        raise Refused(words.NO_HOMEWORK)
    return Outcome(local="homework")


@command("submit", help=(Help("/submit N TEXT", "submit text for homework number N.", "homework.submit"),))
def _submit(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "homework.submit")
    number, _, text = rest.partition(" ")
    hw = _homework(number, ctx)
    if hw.kind == "checklist":
        raise Refused(words.checklist_submit_text(words_clean(hw.title), number))
    if not text.strip():
        raise Refused(words.SUBMIT_USAGE.format(number=number))
    return send("homework.submit", {"homework_id": hw.homework_id, "text": text.strip(), "checked": [], "log": []})


@command("check", help=(Help("/check N I J", "tick items I and J of checklist homework number N.", "homework.submit"),))
def _check(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "homework.submit")
    tokens = rest.replace(",", " ").split()
    if len(tokens) < 2:
        raise Refused(words.CHECK_USAGE)
    hw = _homework(tokens[0], ctx)
    if not hw.items:
        raise Refused(words.no_checklist_text(words_clean(hw.title)))
    numbers = [_number(t, "An item") for t in tokens[1:]]
    if any(not 1 <= n <= len(hw.items) for n in numbers):
        raise Refused(words.choose_range_text("items", len(hw.items)))
    mine = _mine(hw, ctx)
    checked = sorted(set(mine.checked if mine else []) | {n - 1 for n in numbers})
    return send("homework.submit", {"homework_id": hw.homework_id, "text": mine.text if mine else "", "checked": checked, "log": list(mine.log) if mine else []})


@command("log", help=(Help("/log N DAY MOOD feelings", "add a day to emotion-log homework N; DAY is today, yesterday or a date written YYYY-MM-DD.", "homework.submit"),))
def _log(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "homework.submit")
    tokens = rest.split(None, 3)
    if len(tokens) < 3:
        raise Refused(words.LOG_USAGE)
    hw = _homework(tokens[0], ctx)
    day_word = tokens[1].lower()
    if day_word == "today":
        day = ctx.today
    elif day_word == "yesterday":
        day = ctx.today - _dt.timedelta(days=1)
    else:
        parsed = parse_day(day_word)
        if parsed is None:
            raise Refused(words.LOG_DAY)
        day = parsed
    mood = _mood(tokens[2])
    mine = _mine(hw, ctx)
    log = [e for e in (mine.log if mine else []) if e.get("day") != day.isoformat()]
    log.append({"day": day.isoformat(), "mood": mood, "feelings": _feelings(tokens[3] if len(tokens) > 3 else ""), "note": ""})
    log.sort(key=lambda e: e.get("day", ""))
    return send("homework.submit", {"homework_id": hw.homework_id, "text": mine.text if mine else "", "checked": list(mine.checked) if mine else [], "log": log})


@command("history", help=(Help("/history N", "read the last N events of every kind, chat included, 10 if no number is given."),))
def _history(rest: str, ctx: Context) -> Outcome:
    count = _number(rest, "The number of events") if rest else 10
    return Outcome(local="history", arg=max(1, count))


@command("missed", help=(Help("/missed", "what happened since you last typed, counted; /missed lines reads those lines."),))
def _missed(rest: str, ctx: Context) -> Outcome:
    what = rest.strip().lower()
    if what not in ("", "lines"):
        raise Refused(words.MISSED_USAGE)
    return Outcome(local="missed", arg=what == "lines")


@command("more", help=(Help("/more", "read the next screenful of a long answer."),))
def _more(rest: str, ctx: Context) -> Outcome:
    return Outcome(local="more")


@command("verbosity", help=(Help("/verbosity LEVEL", "how much is said: quiet, normal or all."),))
def _verbosity(rest: str, ctx: Context) -> Outcome:
    level = rest.strip().lower()
    if level and level not in words.VERBOSITIES:
        raise Refused(words.VERBOSITY_USAGE)
    return Outcome(local="verbosity", arg=level)


@command("bell", help=(Help("/bell on", "a bell before a raised hand or a private line; /bell off stops it."),))
def _bell(rest: str, ctx: Context) -> Outcome:
    answer = rest.strip().lower()
    if answer not in ("on", "off"):
        raise Refused(words.BELL_USAGE)
    return Outcome(local="bell", arg=answer == "on")


@command("status", help=(Help("/status", "the connection and the session."),))
def _status(rest: str, ctx: Context) -> Outcome:
    return Outcome(local="status")


@command("quit", help=(Help("/quit", "leave; Control D does the same."),))
def _quit(rest: str, ctx: Context) -> Outcome:
    return Outcome(leave=True)  # /quit is read before the table; this gives it its help line


# -- facilitators ----------------------------------------------------------------------


@command("start", help=(Help("/start TITLE", "start a session; with a plan loaded, /start alone uses the plan's title; /start --family TITLE starts a family session (also --workshop, --individual).", "session.start"),))
def _start(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "session.start")
    kind, rest = _session_kind(rest)
    untitled = rest.strip().lower() == "--untitled"
    title = "" if untitled else rest or (ctx.plan.title if ctx.plan is not None else "")
    if not title and not untitled:
        raise Refused(words.START_ASK)
    return send("session.start", {"title": title, **({"kind": kind} if kind != "group" else {})})


@command("end", help=(Help("/end SUMMARY", "end the session with a one-line summary, or /end --no-summary; then /end yes confirms.", "session.end"),))
def _end(rest: str, ctx: Context) -> Outcome:
    """/end SUMMARY (or --no-summary) asks; /end yes ends, revealing unseen polls
    unless --no-reveal follows; /end no keeps the session running."""
    _need(ctx, "session.end")
    state, memory = ctx.state, ctx.memory
    if state.session is None:
        memory.end = None
        raise Refused(words.NO_SESSION_TO_END)
    answer = rest.strip().lower().split()
    if answer[:1] == ["yes"] and set(answer[1:]) <= {"--no-reveal"}:
        pending, memory.end = memory.end, None
        if pending is None or pending[0] != state.session.session_id:
            raise Refused(words.NOTHING_TO_CONFIRM)
        return send("session.end", {"summary": pending[1], "reveal": words.end_warning(state) is not None and "--no-reveal" not in answer})
    if answer in (["no"], ["cancel"]):
        if memory.end is None:
            raise Refused(words.NOTHING_TO_CANCEL)
        memory.end = None
        raise Refused(words.SESSION_KEEPS_RUNNING)
    if not answer:
        raise Refused(words.END_ASK)
    summary = "" if answer == [words.END_NO_SUMMARY] else rest.strip()
    memory.end = (state.session.session_id, summary)
    return send("session.end", {"summary": summary, "reveal": words.end_warning(state) is not None},
                ask=words.end_question(state, summary), ask_typed=words.end_plain_question(state, summary),
                declined=words.SESSION_KEEPS_RUNNING)


@command("reply", help=(Help("/reply NAME TEXT", "answer one member privately: only they and the facilitators read it.", "chat.reply"),))
def _reply(rest: str, ctx: Context) -> Outcome:
    """A facilitator: /reply NAME TEXT answers one member privately. A member:
    /reply TEXT answers the facilitators (the same as /dm)."""
    if ctx.role != FACILITATOR:
        if not rest:
            raise Refused(words.MEMBER_REPLY_USAGE)
        return send("chat.send", {"text": rest, "to": "facilitators"})
    if not rest:
        raise Refused(words.REPLY_USAGE)
    entry, text = _member_at_start(rest, ctx)
    if not text:
        raise Refused(words.REPLY_USAGE)
    return send("chat.reply", {"member_id": entry.member_id, "text": text})


_PHASE_ALIASES: dict[str, str] = {p: p for p in PHASES}
_PHASE_ALIASES.update({"check-in": "checkin", "check": "checkin", "psychoed": "psychoeducation", "slides": "psychoeducation",
                       "exercise": "exercises", "polls": "exercises", "discuss": "discussion", "close": "closing"})


@command("phase", help=(Help("/phase NAME", "move to a phase: checkin, psychoeducation, exercises, discussion or closing.", "phase.set"),))
def _phase(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "phase.set")
    phase = _PHASE_ALIASES.get(rest.lower().strip())
    if phase is None:
        raise Refused(words.PHASE_USAGE)
    return send("phase.set", {"phase": phase})


@command("deck", help=(Help("/deck PATH", "load a Markdown slide deck from a file.", "deck.load"),))
def _deck(rest: str, ctx: Context) -> Outcome:
    """Reading the file is the face's (this module does no I/O): a local action with the path."""
    _need(ctx, "deck.load")
    if not rest:
        raise Refused(words.DECK_USAGE)
    return Outcome(local="deck", arg=rest.strip().strip("\"'"))


def _goto(index: int, ctx: Context) -> Outcome:
    slides = ctx.state.slides
    if not slides:
        raise Refused(words.NO_SLIDES_TO_MOVE)
    if not 0 <= index < len(slides):
        raise Refused(words.slides_range_text(len(slides)))
    return send("slide.goto", {"index": index})


@command("next", help=(Help("/next", "next slide; /prev goes back, /goto N jumps to slide N.", "slide.goto"),))
def _next(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "slide.goto")
    return _goto(ctx.state.slide_index + 1, ctx)


@command("prev", "previous", "back")
def _prev(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "slide.goto")
    return _goto(ctx.state.slide_index - 1, ctx)


@command("goto")
def _goto_cmd(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "slide.goto")
    return _goto(_number(rest, "The slide") - 1, ctx)


@command("notes", help=(Help("/notes", "read the presenter notes of the current slide.", _FAC),))
def _notes(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "notes")
    state = ctx.state
    index = state.slide_index if not rest else _number(rest, "The slide") - 1
    notes = state.notes[index] if 0 <= index < len(state.notes) else ""
    if not notes.strip():
        raise Refused(f"Slide {index + 1} has no presenter notes.")
    return Outcome(local="notes", arg=index)


# The help lines of /poll open and /poll plan, listed after /notes as before.
_POLL_FAC_HELP = (
    Help('/poll open KIND "Question" one; two', "open a poll; KIND is single, multiple, scale or quiz; add correct=N for a quiz and named to show voters' names.", "poll.open"),
    Help("/poll plan N", "open prepared poll N from the loaded plan; /poll plan lists them.", "poll.open"),
)


def _poll_by_number(rest: str, ctx: Context) -> Any:
    polls = sorted(ctx.state.polls)
    n = _number(rest, "The poll number")
    if not 1 <= n <= len(polls):
        raise Refused(words.NO_SUCH_POLL)
    return ctx.state.polls[polls[n - 1]]


@command("close", help=(Help("/close N", "close poll N.", "poll.close"),))
def _close(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "poll.close")
    return send("poll.close", {"poll_id": _poll_by_number(rest, ctx).poll_id})


@command("reveal", help=(Help("/reveal N", "show everyone the results of poll N.", "poll.reveal"),))
def _reveal(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "poll.reveal")
    return send("poll.reveal", {"poll_id": _poll_by_number(rest, ctx).poll_id})


@command("round", help=(Help("/round", "the check-in round, lowest moods first.", _FAC),))
def _round(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "round")
    if ctx.state.session is None:
        raise Refused(words.NO_ROUND)
    return Outcome(local="round")


@command("delete", help=(Help("/delete N", "delete chat message N; /history shows the numbers.", "chat.delete"),))
def _delete(rest: str, ctx: Context) -> Outcome:
    """/delete N asks what it would delete; /delete N yes deletes."""
    _need(ctx, "chat.delete")
    number, _, answer = rest.partition(" ")
    if not number:
        raise Refused(words.DELETE_USAGE)
    message_id = _number(number.lstrip("#"), "The message number")
    line = next((c for c in ctx.state.chat if c.message_id == message_id), None)
    if line is None:
        raise Refused(words.no_message_text(message_id))
    if line.deleted:
        raise Refused(words.message_gone_text(message_id))
    out = send("chat.delete", {"message_id": message_id}, done=words.deleting_text(line))
    if answer.strip().lower() in ("yes", "y"):
        return out
    question = words.delete_question(line)
    return Outcome(sends=out.sends, done=out.done, ask=question, ask_typed=words.type_yes_text(question, f"/delete {message_id}"),
                   declined=words.MESSAGE_STAYS)


def moderate(what: str, entry: Any, model: Any, *, confirmed: bool = False) -> Outcome:
    """Mute, unmute, lower a hand or remove ``entry``: what ``/mute NAME`` and the
    People pane's keys both build. Removing asks first unless ``confirmed``."""
    role = model.me.role if model.me is not None else None
    if what in ("mute", "unmute"):
        out = send("member.mute", {"member_id": entry.member_id, "muted": what == "mute"})
    elif what == "lower":
        if entry.member_id not in model.state.hands:
            return Outcome(refusal=words.no_hand_text(entry.name))
        out = send("hand.lower", {"member_id": entry.member_id})
    else:
        out = send("member.remove", {"member_id": entry.member_id})
        if not confirmed:
            question = words.remove_question(entry.name)
            out = Outcome(sends=out.sends, ask=question, ask_typed=words.type_yes_text(question, f"/remove {entry.name}"),
                          declined=words.stays_text(entry.name))
    if role is not None and not may(role, out.sends[0].kind):
        return Outcome(refusal=words.forbidden_text(role, out.sends[0].kind))
    return out


def _moderation(what: str) -> Handler:
    kind = "member.remove" if what == "remove" else "member.mute"

    def handler(rest: str, ctx: Context) -> Outcome:
        _need(ctx, kind)
        confirmed = False
        if what == "remove" and rest.lower().endswith(" yes") and ctx.state.member_named(rest) is None:
            rest, confirmed = rest[: -len(" yes")].rstrip(), True
        if not rest:
            raise Refused(words.MEMBER_USAGE.format(command=what))
        return moderate(what, _member(rest, ctx), ctx.model, confirmed=confirmed)

    return handler


command("mute", help=(Help("/mute NAME", "mute a member; /unmute NAME lets them speak again.", "member.mute"),))(_moderation("mute"))
command("unmute")(_moderation("unmute"))
command("remove", help=(Help("/remove NAME", "remove a member from the group; it asks first, and /remove NAME yes confirms.", "member.remove"),))(_moderation("remove"))


@command("assign", help=(Help('/assign KIND DUE "Title" items', "assign homework; KIND is text, checklist or emotion_log, DUE a date YYYY-MM-DD or +N for N days from today, checklist items separated by semicolons; /assign plan assigns the plan's homework; end with --to and names, such as --to Sam, Alex, for those members only.", "homework.assign"),))
def _assign(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "homework.assign")
    if rest.split(None, 1)[:1] == ["plan"]:
        if ctx.plan is None:
            raise Refused(words.NO_PLAN)
        return Outcome(sends=tuple(Send(kind, data) for kind, data in ctx.plan.assignments(ctx.today)))
    rest, to = _assignees(rest, ctx)
    match = re.match(r'\s*(text|checklist|emotion_log)\s+(\+[ \t]*[0-9]+(?:[ \t]*days?)?|[^\s"]+)\s+"([^"]+)"\s*(.*)$', rest, re.IGNORECASE)
    if not match:
        raise Refused(words.ASSIGN_USAGE)
    kind, due, title, tail = match.groups()
    try:
        due_date = resolve_due(due, ctx.today)
    except PlanError as err:
        raise Refused(str(err)) from None
    checklist = kind.lower() == "checklist"
    items = [i.strip() for i in tail.split(";") if i.strip()] if checklist else []
    instructions = "" if checklist else tail.strip()
    data: dict[str, Any] = {"title": title, "homework_kind": kind.lower(), "instructions": instructions, "items": items, "due": due_date}
    if to:
        data["to"] = to
    return send("homework.assign", data)


@command("completion", help=(Help("/completion", "who has submitted each homework; /completion and a number reads what each member handed in.", _FAC),))
def _completion(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "completion")
    items = _homework_list(ctx)
    if not items:
        raise Refused(words.NO_HOMEWORK)
    if not rest.strip():
        return Outcome(local="completion")
    number = rest.strip()
    if not number.isdigit() or not 1 <= int(number) <= len(items):
        raise Refused(f"There is no homework {words_clean(number)[:20]}; type /homework to see the numbers.")
    hw = items[int(number) - 1]
    if not hw.submissions:
        raise Refused(f"Nobody has submitted {words_clean(hw.title)} yet.")
    return Outcome(local="completion", arg=hw)


@command("plan", help=(Help("/plan PATH", "load a session plan: its deck, prepared polls and homework.", _FAC),))
def _plan(rest: str, ctx: Context) -> Outcome:
    """Reading the file is the face's: a local action with the path."""
    _need(ctx, "plan")
    if not rest:
        raise Refused(words.PLAN_USAGE)
    return Outcome(local="plan", arg=rest.strip().strip("\"'"))


# -- safety ----------------------------------------------------------------------------


@command("urgent", help=(Help(
    "/urgent TEXT",
    "ask the facilitators for help now, in a session or between sessions; it asks first, then /urgent yes sends it. Only the facilitators see it.",
    "urgent.raise"),))
def _urgent(rest: str, ctx: Context) -> Outcome:
    """/urgent [TEXT] asks; /urgent yes sends (the words given before); /urgent no cancels."""
    _need(ctx, "urgent.raise")
    memory, answer = ctx.memory, rest.strip().lower()
    if answer in ("yes", "y"):
        text, memory.urgent = memory.urgent or "", None
        return send("urgent.raise", {"text": text})
    if answer in ("no", "n", "cancel"):
        if memory.urgent is None:
            raise Refused(words.URGENT_NOTHING_TO_CONFIRM)
        memory.urgent = None
        raise Refused(words.URGENT_NOT_SENT)
    memory.urgent = rest.strip()
    return send("urgent.raise", {"text": rest.strip()}, ask=words.URGENT_QUESTION,
                ask_typed=words.type_yes_text(words.URGENT_QUESTION, "/urgent"), declined=words.URGENT_NOT_SENT)


@command("ack", "acknowledge", help=(Help("/ack N", "say you have seen urgent request or alert N; /ack alone acknowledges the oldest waiting.", "urgent.acknowledge"),))
def _ack(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "urgent.acknowledge")
    state = ctx.state
    if not rest.strip():
        waiting = state.unacknowledged()
        if not waiting:
            raise Refused(words.NO_ALERT_WAITING)
        return send("urgent.acknowledge", {"alert_id": waiting[0].alert_id})
    alert_id = _number(rest.strip().lstrip("#"), "The alert number")
    alert = state.alerts.get(alert_id)
    if alert is None:
        raise Refused(words.no_alert_text(alert_id))
    if alert.acknowledged_by is not None:
        raise Refused(words.already_acknowledged_text(alert_id, alert.acknowledged_name or state.name_of(alert.acknowledged_by)))
    return send("urgent.acknowledge", {"alert_id": alert_id})


_DUE_AT_END = re.compile(r"(?:^|[ \t])due(?:[ \t]+(.*))?$", re.IGNORECASE)


@command("give", help=(Help(
    "/give phq9 NAME",
    "give the PHQ-9 (or gad7, the GAD-7) to one member, or to every participant without a name; add due +7 or due YYYY-MM-DD "
    "to have it answered by then, between sessions; /give plan lists the plan's questionnaires and /give plan N gives one.",
    "measure.give"),))
def _give(rest: str, ctx: Context) -> Outcome:
    from protocol.measures import MEASURES

    _need(ctx, "measure.give")
    parts = rest.split(None, 1)
    key = parts[0].lower().replace("-", "") if parts else ""
    if key == "plan":
        return _give_plan(parts[1].strip() if len(parts) > 1 else "", ctx)
    if key not in MEASURES:
        raise Refused(words.GIVE_USAGE)
    tail = parts[1].strip() if len(parts) > 1 else ""
    due = None
    found = _DUE_AT_END.search(tail)
    if found:
        if not (found.group(1) or "").strip():
            raise Refused(words.GIVE_USAGE)
        try:
            due = resolve_due(found.group(1), ctx.today)
        except PlanError as err:
            raise Refused(str(err)) from None
        tail = tail[: found.start()].strip()
    data: dict[str, Any] = {"measure": key, "member_id": _member(tail, ctx).member_id if tail else None}
    if due is not None:
        data["due"] = due
    return send("measure.give", data)


def _give_plan(number: str, ctx: Context) -> Outcome:
    """/give plan lists the plan's questionnaires; /give plan N gives one (its member found by name now)."""
    if ctx.plan is None:
        raise Refused(words.NO_PLAN)
    if not ctx.plan.measures:
        raise Refused(words.NO_PLANNED_MEASURES)
    if not number:
        return Outcome(local="give plan")
    try:
        planned = ctx.plan.measure(_number(number, "The questionnaire"))
        member_id = _member(planned.to, ctx).member_id if planned.to else None
        kind, data = planned.command(ctx.today, member_id)
    except PlanError as err:
        raise Refused(str(err)) from None
    return send(kind, data)


@command("answer", help=(Help("/answer N", "answer the current questionnaire question: 0 not at all, 1 several days, 2 more than half the days, 3 nearly every day.", "measure.answer"),))
def _answer(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "measure.answer")
    pending = current_item(ctx.state, ctx.me_id)
    if pending is None:
        raise Refused(words.NO_MEASURE)
    if not rest.strip():
        raise Refused(words.ANSWER_USAGE)
    answer = _number(rest.strip(), "Your answer")
    if not 0 <= answer <= 3:
        raise Refused(words.ANSWER_USAGE)
    return send("measure.answer", {"measure_id": pending.measure_id, "item": pending.item, "answer": answer})


@command("measure", "measures", help=(Help("/measure", "read the current questionnaire question again, or your scores over time; facilitators add a name, or hear every member's scores.", frozenset({FACILITATOR, PARTICIPANT})),))
def _measure(rest: str, ctx: Context) -> Outcome:
    """A member: the next question (to go on), else their own scores. A
    facilitator: one member's scores, or every member's."""
    if ctx.role == GUEST:
        raise Refused(words.forbidden_text(GUEST, "measure.answer"))
    if ctx.role != FACILITATOR:
        pending = current_item(ctx.state, ctx.me_id)
        if pending is not None:
            return Outcome(local="measure", arg=pending)
        return Outcome(local="scores", arg=ctx.me_id)
    if rest.strip():
        return Outcome(local="scores", arg=_member(rest.strip(), ctx).member_id)
    return Outcome(local="scores", arg=None)


@command("contact", help=(Help("/contact TEXT", "set your emergency contact; only the facilitators see it. Facilitators: /contact NAME TEXT.", "safety.contact"),))
def _contact(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "safety.contact")
    if ctx.role == FACILITATOR:
        if not rest.strip():
            raise Refused(words.CONTACT_FAC_USAGE)
        entry, text = _member_at_start(rest, ctx)
        if not text.strip():
            raise Refused(words.CONTACT_FAC_USAGE)
        return send("safety.contact", {"member_id": entry.member_id, "contact": text.strip()})
    if not rest.strip():
        raise Refused(words.CONTACT_USAGE)
    return send("safety.contact", {"member_id": None, "contact": rest.strip()})


# -- the facilitator's kit (issue 14 part A): /journal, /goround, /airtime, /nudge, /slow ---------
#
# Named so they do not collide: /round is the check-in round, /pass passes a
# check-in, /next moves slides; a go-around is /goround (its pass: /goround pass).


def _lines(lines: list[str]) -> Outcome:
    """A read-only answer already in sentences: both faces show the lines as they are."""
    return Outcome(local="lines", arg=lines)


@command("journal", help=(
    Help("/journal", "read your journal; /journal and your words answers the open prompt, /journal 2 and words its question 2, "
         "/journal done finishes, /journal share facilitators or /journal share group shares it. Entries are yours alone until shared.",
         "journal.write"),
    Help("/journal open MINUTES QUESTION", "open a journaling prompt, such as /journal open 10 What helped this week?; "
         "/journal open thought-record 15 opens a CBT thought record; /journal plan lists the plan's prompts and /journal plan 1 opens one; "
         "/journal close closes it; /journal alone reads the counts and what members shared.", "journal.open"),
))
def _journal(rest: str, ctx: Context) -> Outcome:
    if ctx.role == FACILITATOR:
        return _journal_facilitator(rest, ctx)
    _need(ctx, "journal.write")
    head, _, tail = rest.partition(" ")
    word, state, me = head.lower(), ctx.state, ctx.me_id or 0
    if not rest:
        lines = words.open_prompt_lines(state, me)
        entries = state.journal_of(me)
        if not lines and not entries:
            raise Refused(words.NO_JOURNAL)
        return _lines(lines + (words.journal_lines(state, me) if entries else []))
    if word == "share":
        return _journal_share(tail, ctx)
    prompt = state.open_prompt()
    if prompt is None:
        raise Refused(words.NO_PROMPT_OPEN)
    entry = state.journal.get((prompt.prompt_id, me))
    answers = list(entry.answers) if entry is not None else []
    answers += [""] * (len(prompt.fields) - len(answers))
    if word == "done":
        if not any(answers):
            raise Refused(words.NO_JOURNAL_ENTRY)
        return send("journal.write", {"prompt_id": prompt.prompt_id, "answers": answers, "done": True})
    if head.isdigit() and len(prompt.fields) > 1:
        number = int(head)
        if not 1 <= number <= len(prompt.fields):
            raise Refused(words.choose_range_text("a question", len(prompt.fields)))
        if not tail.strip():
            raise Refused(words.JOURNAL_USAGE)
        answers[number - 1] = tail.strip()
    else:
        # Words without a number fill the first unanswered question, else go on from the last answer.
        empty = next((i for i, a in enumerate(answers) if not a), None)
        if empty is not None:
            answers[empty] = rest.strip()
        else:
            answers[-1] = f"{answers[-1]} {rest.strip()}"
    return send("journal.write", {"prompt_id": prompt.prompt_id, "answers": answers, "done": bool(entry and entry.done)})


def _journal_share(tail: str, ctx: Context) -> Outcome:
    parts = tail.split()
    to = parts[0].lower() if parts else ""
    if to in ("facilitator", "staff"):
        to = "facilitators"
    if to not in ("facilitators", "group") or len(parts) > 2:
        raise Refused(words.JOURNAL_SHARE_USAGE)
    entries = ctx.state.journal_of(ctx.me_id or 0)
    if len(parts) == 2:
        number = _number(parts[1], "The entry number")
        if not 1 <= number <= len(entries):
            raise Refused(words.choose_range_text("an entry", len(entries)) if entries else words.NO_JOURNAL)
        prompt_id = entries[number - 1].prompt_id
    else:
        prompt = ctx.state.open_prompt()
        mine = [e for e in entries if prompt is not None and e.prompt_id == prompt.prompt_id] or entries[-1:]
        if not mine:
            raise Refused(words.NO_JOURNAL_ENTRY)
        prompt_id = mine[0].prompt_id
    return send("journal.share", {"prompt_id": prompt_id, "to": to})


def _journal_facilitator(rest: str, ctx: Context) -> Outcome:
    from protocol.kit import JOURNAL_FORMS

    head, _, tail = rest.partition(" ")
    word = head.lower()
    if not rest:
        return _lines(words.facilitator_journal_lines(ctx.state))
    if word == "plan":
        return _kit_plan("journal", tail, ctx)
    if word == "close":
        prompt = ctx.state.open_prompt()
        if prompt is None:
            raise Refused(words.NO_PROMPT_OPEN)
        return send("journal.close", {"prompt_id": prompt.prompt_id})
    if word != "open" or not tail.strip():
        raise Refused(words.JOURNAL_OPEN_USAGE)
    tokens = tail.split(None, 2)
    form = JOURNAL_FORMS.get(tokens[0].lower())
    if form is not None:
        minutes = _number(tokens[1], "The minutes") if len(tokens) > 1 else 0
        title = tokens[0].replace("-", " ").capitalize() if len(tokens) < 3 else tokens[2]
        return send("journal.open", {"title": title, "fields": list(form), "minutes": minutes})
    minutes = 0
    if tokens[0].isdigit():
        minutes, question = int(tokens[0]), tail.split(None, 1)[1] if len(tokens) > 1 else ""
    else:
        question = tail.strip()
    if not question.strip():
        raise Refused(words.JOURNAL_OPEN_USAGE)
    return send("journal.open", {"title": question.strip(), "fields": [], "minutes": minutes})


def _kit_plan(what: str, number: str, ctx: Context) -> Outcome:
    """/journal plan and /goround plan list the plan's prepared prompts or go-arounds; with N, open or start one."""
    if ctx.plan is None:
        raise Refused(words.NO_PLAN)
    try:
        if not number.strip():
            items = ctx.plan.journals if what == "journal" else ctx.plan.rounds
            if not items:
                ctx.plan.prepared(what, 1)  # says the plan prepares none
            return _lines(words.planned_kit_lines(what, items))
        kind, data = ctx.plan.prepared(what, _number(number.strip(), "The number")).command()
    except PlanError as err:
        raise Refused(str(err)) from None
    return send(kind, data)


@command("goround", help=(
    Help("/goround", "hear the go-around: whose turn it is and who is next; on your turn, /goround pass passes.", frozenset({PARTICIPANT, GUEST})),
    Help("/goround QUESTION", "start a go-around, each member present in turn; put random or quietest first for another order, and minutes "
         "for a time guide per turn: /goround quietest 2 One word for today?; /goround plan 1 starts the plan's; /goround next thanks and moves on, "
         "/goround skip skips, /goround end ends it.", "goround.start"),
))
def _goround(rest: str, ctx: Context) -> Outcome:
    head, _, tail = rest.partition(" ")
    word = head.lower()
    if not rest:
        return _lines(words.goround_lines(ctx.state, ctx.me_id))
    if word == "pass":
        _need(ctx, "goround.pass")
        running = ctx.state.goround()
        if running is None:
            raise Refused(words.NO_GOROUND)
        if running.whose() != ctx.me_id:
            raise Refused(words.NOT_YOUR_TURN)
        return send("goround.pass", {})
    if ctx.role != FACILITATOR:
        raise Refused(words.GOROUND_MEMBER_USAGE)
    if word == "plan":
        return _kit_plan("rounds", tail, ctx)
    if word in ("next", "skip", "end"):
        if ctx.state.goround() is None:
            raise Refused(words.NO_GOROUND)
        return send("goround.end", {}) if word == "end" else send("goround.next", {"skip": word == "skip"})
    order, minutes, question = "roster", 0, rest.strip()
    if word in ("random", "quietest", "roster"):
        order, question = word, tail.strip()
    first, _, after = question.partition(" ")
    if first.isdigit():
        minutes, question = int(first), after.strip()
    if not question or (" " not in question and not question.endswith("?")):
        raise Refused(words.GOROUND_USAGE)  # one word is a mistyped subcommand ("/goround nxt"), not a question
    return send("goround.start", {"question": question, "order": order, "turn_minutes": minutes})


@command("airtime", help=(Help("/airtime", "each member's share of this session's group chat: lines, words and turns; /airtime phase for this phase, "
                               "/airtime hands for the raised hands, quietest first.", _FAC),))
def _airtime(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "airtime")
    what = rest.strip().lower()
    if what == "hands":
        return _lines(words.hands_quietest_lines(ctx.state))
    if what not in ("", "phase"):
        raise Refused(words.AIRTIME_USAGE)
    if ctx.state.session is None:
        raise Refused(words.NO_SESSION_AIRTIME)
    return _lines(words.airtime_lines(ctx.state, ctx.state.phase if what == "phase" else None))


@command("nudge", help=(Help("/nudge NAME TEXT", "send one member a gentle private nudge; only they and the facilitators read it.", "member.nudge"),))
def _nudge(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "member.nudge")
    if not rest:
        raise Refused(words.NUDGE_USAGE)
    entry, text = _member_at_start(rest, ctx)
    return send("member.nudge", {"member_id": entry.member_id, "text": text})


@command("slow", help=(Help("/slow NAME SECONDS", "let one member write one group line per so many seconds, without muting them; /slow NAME off lifts it.", "member.slow"),))
def _slow(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "member.slow")
    if not rest:
        raise Refused(words.SLOW_USAGE)
    entry, tail = _member_at_start(rest, ctx)
    tail = tail.strip().lower().removesuffix("s").removesuffix(" second")
    if tail in ("off", "0"):
        seconds = 0
    elif tail.isdigit():
        seconds = int(tail)
    else:
        raise Refused(words.SLOW_USAGE)
    return send("member.slow", {"member_id": entry.member_id, "seconds": seconds})
# -- between sessions: family sessions, personal homework, the peer space, attendance (issue 15 B) --

_KINDS = {"--group": "group", "--family": "family", "--workshop": "workshop", "--individual": "individual"}


def _session_kind(rest: str) -> tuple[str, str]:
    """``--family Family evening`` -> ("family", "Family evening"); no flag: a group session."""
    head, _, tail = rest.strip().partition(" ")
    if head.lower() == "--kind":
        kind, _, tail = tail.strip().partition(" ")
        if "--" + kind.lower() not in _KINDS:
            raise Refused(words.START_KIND_USAGE)
        return kind.lower(), tail.strip()
    if head.lower() in _KINDS:
        return _KINDS[head.lower()], tail.strip()
    if head.startswith("--") and head.lower() != "--untitled":
        raise Refused(words.START_KIND_USAGE)
    return "group", rest


_TO = re.compile(r"(?:^|\s)--to\s+(.+)$", re.IGNORECASE)


def _assignees(rest: str, ctx: Context) -> tuple[str, list[int]]:
    """``/assign ... --to Sam, Alex``: the line without the names, and the members' ids."""
    found = _TO.search(rest)
    if not found:
        return rest, []
    names = [n.strip() for n in found.group(1).split(",") if n.strip()]
    if not names:
        raise Refused(words.ASSIGN_USAGE)
    return rest[: found.start()], [_member(n, ctx).member_id for n in names]


@command("admit", help=(Help("/admit NAME", "let a guest in from the family session's waiting room; /admit alone lists who is waiting.", "guest.admit"),))
def _admit(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "guest.admit")
    waiting = ctx.state.waiting_guests()
    if not rest.strip():
        if not waiting:
            raise Refused(words.NOBODY_WAITING)
        return Outcome(local="waiting")
    from protocol.names import name_key

    key = name_key(rest.strip())
    among = [e for e in waiting if name_key(e.name) == key] or [e for e in waiting if name_key(e.name).startswith(key)]
    entry = among[0] if len(among) == 1 else _member(rest.strip(), ctx)  # the waiting guest the name begins, first
    return send("guest.admit", {"member_id": entry.member_id})


@command("share", help=(Help("/share TEXT", "post a check-in to the group's between-session feed; /feed reads it.", "feed.post"),))
def _share(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "feed.post")
    if not rest.strip():
        raise Refused(words.FEED_USAGE)
    if ctx.state.session is not None:  # qam: the relay refuses it; said here, the words stay in the box
        raise Refused(words.FEED_IN_SESSION)
    return send("feed.post", {"text": rest.strip()})


@command("feed", help=(Help("/feed", "read the group's between-session feed; facilitators remove post N with /feed delete N.", "feed.post"),))
def _feed(rest: str, ctx: Context) -> Outcome:
    if ctx.role == GUEST:
        raise Refused(words.GUEST_NO_FEED)  # qam: reading, not posting, is what was asked
    _need(ctx, "feed.post")
    sub, _, number = rest.strip().partition(" ")
    if sub.lower() != "delete":
        return Outcome(local="feed")
    _need(ctx, "feed.delete")
    posts = ctx.state.feed
    n = _number(number.strip().lstrip("#"), "The post number") if number.strip() else 0
    if not 1 <= n <= len(posts):
        raise Refused(words.FEED_DELETE_USAGE if posts else words.NO_FEED)
    return send("feed.delete", {"post_id": posts[n - 1].post_id})


@command("resources", help=(Help("/resources", "list the resources your facilitators pinned; links are shown as text, never opened.", frozenset({FACILITATOR, PARTICIPANT})),))
def _resources(rest: str, ctx: Context) -> Outcome:
    if ctx.role == GUEST:
        raise Refused(words.GUEST_NO_FEED)
    return Outcome(local="resources")


_LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


@command("pin", help=(Help('/pin "Title" LINK-or-text', "pin a resource for the group: a title, then a link, a short text or both.", "resource.pin"),))
def _pin(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "resource.pin")
    match = re.match(r'\s*"([^"]+)"\s*(.*)$', rest)
    if not match or not match.group(2).strip():
        raise Refused(words.PIN_USAGE)
    title, tail = match.group(1).strip(), match.group(2).strip()
    link = _LINK.match(tail)
    data = {"title": title, "link": link.group(0) if link else "", "text": tail[link.end():].strip() if link else tail}
    return send("resource.pin", data)


@command("unpin", help=(Help("/unpin N", "unpin resource number N of /resources.", "resource.unpin"),))
def _unpin(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "resource.unpin")
    ids = sorted(ctx.state.resources)
    if not rest.strip():
        raise Refused(words.UNPIN_USAGE)
    n = _number(rest.strip(), "The resource number")
    if not 1 <= n <= len(ids):
        raise Refused(words.UNPIN_USAGE if ids else words.NO_RESOURCES)
    return send("resource.unpin", {"resource_id": ids[n - 1]})


@command("attendance", help=(Help("/attendance", "who came to the last session, for how long and who was late; /attendance N reads session N.", _FAC),))
def _attendance(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "attendance")
    if not rest.strip():
        return Outcome(local="attendance", arg=None)
    n = _number(rest.strip(), "The session number")
    sessions = ctx.state.sessions
    if not 1 <= n <= len(sessions):
        raise Refused(words.NO_ATTENDANCE)
    return Outcome(local="attendance", arg=sessions[n - 1].session_id)
# -- schedules and reminders (issue 15a) ---------------------------------------------------


@command("schedule", "sessions", help=(Help("/schedule", "the coming sessions and your reminders; /schedule ics PATH saves them as a calendar file."),))
def _schedule(rest: str, ctx: Context) -> Outcome:
    """Read-only, answered from the model's ``schedule`` (the file is the face's to write, with core.calendar)."""
    if ctx.model.schedule is None:
        raise Refused(words.SCHEDULE_NOT_YET)
    head, _, path = rest.partition(" ")
    if not head:
        return Outcome(local="schedule")
    if head.lower() in ("ics", "calendar", "save"):
        return Outcome(local="schedule ics", arg=path.strip().strip("\"'"))
    raise Refused(words.SCHEDULE_USAGE)


_REMINDER_WORDS = {"email": "email", "mail": "email", "sms": "sms", "text": "sms", "phone": "sms", "before": "lead", "lead": "lead", "quiet": "quiet"}


@command("reminders", "reminder", help=(Help(
    "/reminders on", "reminders by email or text before sessions and homework deadlines: /reminders email ADDRESS, "
    "/reminders sms NUMBER, /reminders before 2h, /reminders quiet 22:00 to 07:00, /reminders off. Only you and the relay keep your addresses.",
    "reminders.set",
),))
def _reminders(rest: str, ctx: Context) -> Outcome:
    from protocol.schedule import clean_email, clean_phone, parse_lead, parse_quiet

    if ctx.role == GUEST:
        raise Refused(words.REMINDERS_GUEST)
    _need(ctx, "reminders.set")
    head, _, value = rest.partition(" ")
    head, value = head.lower(), value.strip()
    if not head:
        if ctx.model.schedule is None:
            raise Refused(words.SCHEDULE_NOT_YET)
        return Outcome(local="reminders")
    data: dict[str, Any] = {"consent": None, "email": None, "sms": None, "lead": None, "quiet": None}
    if head in ("on", "yes", "off", "no", "stop") and not value:
        data["consent"] = head in ("on", "yes")
        return send("reminders.set", data)
    key = _REMINDER_WORDS.get(head)
    if key is None or not value:
        raise Refused(words.REMINDERS_USAGE)
    off = value.lower() in ("off", "none", "remove")
    try:
        if key == "email":
            data["email"] = "" if off else clean_email(value)
        elif key == "sms":
            data["sms"] = "" if off else clean_phone(value)
        elif key == "lead":
            data["lead"] = parse_lead(value)
        else:
            data["quiet"] = "" if off else _quiet_wire(parse_quiet(value))
    except ValueError as exc:
        raise Refused(str(exc)) from None
    return send("reminders.set", data)


def _quiet_wire(quiet: Any) -> str:
    """Quiet hours as the wire spells them, ``"22:00-07:00"``."""
    from protocol.schedule import ReminderPrefs

    return ReminderPrefs(quiet=quiet).quiet_text
# -- small rooms: breakout rooms and role-play (issue 13) ---------------------------------


def _room_number(text: str, ctx: Context, usage: str) -> int:
    """A room number as typed: a number, or main (0: the main room)."""
    word = text.strip().lower().removeprefix("room").strip()
    if word in ("main", "0", "back"):
        return 0
    if not word:
        raise Refused(usage)
    number = _number(word, "The room")
    bo = ctx.state.breakout
    if bo is not None and not 0 <= number <= bo.count:
        raise Refused(words.choose_range_text("a room", bo.count))
    return number


@command("breakout", help=(Help(
    "/breakout N MINUTES",
    "open N breakout rooms for MINUTES minutes; add random (the default), hand or kept (last time's rooms) and an optional prompt; /breakout plan lists the plan's rounds and /breakout plan N opens one.",
    "breakout.open"),))
def _breakout(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "breakout.open")
    parts = rest.split()
    if parts and parts[0].lower() == "plan":
        if ctx.plan is None:
            raise Refused(words.NO_PLAN)
        rounds = getattr(ctx.plan, "breakouts", ())
        if len(parts) == 1 or not rounds:
            return Outcome(local="lines", arg=words.planned_breakout_lines(ctx.plan))
        number = _number(parts[1], "The breakout")
        if not 1 <= number <= len(rounds):
            raise Refused(words.choose_range_text("a prepared breakout", len(rounds)))
        kind, data = rounds[number - 1].command()
        return send(kind, data)
    if len(parts) < 2:
        raise Refused(words.BREAKOUT_USAGE)
    rooms, minutes = _number(parts[0], "The number of rooms"), _number(parts[1], "The minutes")
    if not 1 <= rooms <= MAX_ROOMS:
        raise Refused(words.choose_range_text("a number of rooms", MAX_ROOMS))
    if not 1 <= minutes <= MAX_ROOM_MINUTES:
        raise Refused(words.choose_range_text("a number of minutes", MAX_ROOM_MINUTES))
    assign, prompt = "random", parts[2:]
    if prompt and prompt[0].lower() in ("random", "hand", "kept"):
        assign, prompt = prompt[0].lower(), prompt[1:]
    return send("breakout.open", {"rooms": rooms, "minutes": minutes, "prompt": " ".join(prompt), "assign": assign})


@command("rooms", help=(Help("/rooms", "which breakout room you are in, who is with you, the prompt and the time it ends; facilitators hear every room."),))
def _rooms(rest: str, ctx: Context) -> Outcome:
    return Outcome(local="lines", arg=words.rooms_lines(ctx.state, ctx.me_id))


@command("room", help=(Help("/room N", "join breakout room N (its members are told); /room main brings you back to the main room.", "breakout.visit"),))
def _room(rest: str, ctx: Context) -> Outcome:
    if ctx.role != FACILITATOR or not rest.strip():
        return _rooms(rest, ctx)
    if ctx.state.breakout is None:
        raise Refused(words.NO_BREAKOUT)
    return send("breakout.visit", {"room": _room_number(rest, ctx, words.ROOM_USAGE)})


@command("place", help=(Help("/place NAME N", "put a member in breakout room N; /place NAME main brings them back to the main room.", "breakout.place"),))
def _place(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "breakout.place")
    if ctx.state.breakout is None:
        raise Refused(words.NO_BREAKOUT)
    name, _, number = rest.strip().rpartition(" ")
    if not name:
        raise Refused(words.PLACE_USAGE)
    return send("breakout.place", {"member_id": _member(name.strip(), ctx).member_id, "room": _room_number(number, ctx, words.PLACE_USAGE)})


@command("broadcast", help=(Help("/broadcast TEXT", "say one line to every breakout room at once.", "breakout.broadcast"),))
def _broadcast(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "breakout.broadcast")
    if not rest.strip():
        raise Refused(words.BROADCAST_USAGE)
    return send("breakout.broadcast", {"text": rest.strip()})


@command("recall", help=(Help("/recall", "bring everyone back from the breakout rooms; each room's summary is posted to the main chat.", "breakout.recall"),))
def _recall(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "breakout.recall")
    if ctx.state.breakout is None:
        raise Refused(words.NO_BREAKOUT)
    return send("breakout.recall", {})


@command("summary", help=(Help("/summary TEXT", "write your breakout room's short shared summary; anyone in the room may rewrite it, and it is posted to the main chat at the recall.", "breakout.summary"),))
def _summary(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "breakout.summary")
    if not rest.strip():
        raise Refused(words.SUMMARY_USAGE)
    return send("breakout.summary", {"text": rest.strip()})


_CASTING = re.compile(r"^(.+?)=(\d+)$")


@command("roleplay", help=(Help(
    "/roleplay plan N",
    "start the plan's role-play N (/roleplay plan lists them); add rooms for one scene in each breakout room, and NAME=ROLE to cast someone by hand (roles numbered from 1); everyone else gets a role at random.",
    "roleplay.start"),))
def _roleplay(rest: str, ctx: Context) -> Outcome:
    if ctx.role != FACILITATOR and not rest.strip():
        return _role(rest, ctx)
    _need(ctx, "roleplay.start")
    parts = rest.split()
    if not parts or parts[0].lower() != "plan":
        raise Refused(words.ROLEPLAY_USAGE)
    if ctx.plan is None:
        raise Refused(words.NO_PLAN)
    scenarios = getattr(ctx.plan, "scenarios", ())
    if len(parts) == 1 or not scenarios:
        return Outcome(local="lines", arg=words.planned_scenario_lines(ctx.plan))
    number = _number(parts[1], "The role-play")
    if not 1 <= number <= len(scenarios):
        raise Refused(words.choose_range_text("a prepared role-play", len(scenarios)))
    scenario = scenarios[number - 1]
    in_rooms, cast = False, []
    for token in parts[2:]:
        found = _CASTING.match(token)
        if token.lower() in ("rooms", "in-rooms"):
            in_rooms = True
        elif found:
            index = int(found.group(2))
            if not 1 <= index <= len(scenario.roles):
                raise Refused(words.choose_range_text("a role", len(scenario.roles)))
            cast.append({"member_id": _member(found.group(1), ctx).member_id, "role": index - 1})
        else:
            raise Refused(words.ROLEPLAY_USAGE)
    kind, data = scenario.command(in_rooms=in_rooms, cast=cast)
    return send(kind, data)


@command("role", help=(Help("/role", "your role-play part and private cue card; facilitators hear every scene's cast."),))
def _role(rest: str, ctx: Context) -> Outcome:
    return Outcome(local="lines", arg=words.role_lines(ctx.state, ctx.me_id))


def _playing(ctx: Context) -> str | None:
    scene = ctx.state.scene_for(ctx.me_id)
    return scene.playing(ctx.me_id) if scene is not None and ctx.me_id is not None else None


@command("say", help=(Help("/say TEXT", "say one line in character in the role-play (/in for every line until /out).", "roleplay.say"),))
def _say(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "roleplay.say")
    if not rest.strip():
        raise Refused(words.SAY_USAGE)
    return send("roleplay.say", {"text": rest.strip()})


@command("in", help=(Help("/in", "speak every line you type in character until /out; /out steps out of role.", "roleplay.say"),))
def _in(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "roleplay.say")
    role = _playing(ctx)
    if role is None:
        scene = ctx.state.scene_for(ctx.me_id)
        raise Refused(words.OBSERVER_HAS_NO_LINES if scene is not None and ctx.me_id in scene.observers else words.NO_PART)
    ctx.memory.in_role = True
    return Outcome(local="lines", arg=[words.in_role_text(role)])


@command("out", help=(Help("/out", "step out of role: your lines are your own again.", "roleplay.say"),))
def _out(rest: str, ctx: Context) -> Outcome:
    ctx.memory.in_role = False
    return Outcome(local="lines", arg=[words.IN_ROLE_OFF])


# /share is the between-session feed's (a post); an observer shares notes with /observe share.
@command("observe", help=(
    Help("/observe TEXT", "as an observer, write a note on the scene; only you and the facilitators read it until you /observe share.", "roleplay.note"),
    Help("/observe share", "share your observer notes with the group (without it they stay with the facilitators).", "roleplay.share"),
))
def _observe(rest: str, ctx: Context) -> Outcome:
    if rest.strip().lower() == "share":
        _need(ctx, "roleplay.share")
        return send("roleplay.share", {})
    _need(ctx, "roleplay.note")
    if not rest.strip():
        raise Refused(words.OBSERVE_USAGE)
    return send("roleplay.note", {"text": rest.strip()})


@command("debrief", help=(Help("/debrief", "end the role-play (in the room you are in, or every scene from the main room) and post the plan's debrief questions; /debrief Q1; Q2 posts your own.", "roleplay.end"),))
def _debrief(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "roleplay.end")
    scenes = [s for s in ctx.state.scenes.values() if not s.ended]
    if not scenes:
        raise Refused(words.NO_SCENE)
    questions = [q.strip() for q in rest.split(";") if q.strip()]
    if not questions and ctx.plan is not None:
        titles = {s.title for s in scenes}
        planned = next((p for p in getattr(ctx.plan, "scenarios", ()) if p.title in titles), None)
        questions = list(planned.debrief) if planned is not None else []
    return send("roleplay.end", {"debrief": questions})
# -- shared boards, moods over sessions, the agenda (issue 14 part B) -------------------


_QUOTED = re.compile(r'^"([^"]+)"\s*(.*)$')
_CARD_ACTIONS = {"edit": "card.edit", "remove": "card.remove", "move": "card.move", "merge": "card.merge"}


def _board_now(ctx: Context) -> Any:
    board = ctx.state.current_board()
    if board is None:
        raise Refused(words.NO_BOARD)
    return board


def _board_column(board: Any, typed: str) -> int:
    """A column by its number (from 1) or the start of a word of its title."""
    if typed.isdigit():
        number = int(typed)
        if not 1 <= number <= len(board.columns):
            raise Refused(words.no_column_text(board, words_clean(typed)))
        return number - 1
    key = typed.casefold()
    found = [i for i, title in enumerate(board.columns) if title.casefold().startswith(key) or any(w.startswith(key) for w in title.casefold().split())]
    exact = [i for i, title in enumerate(board.columns) if title.casefold() == key]
    if len(exact) == 1:
        return exact[0]
    if len(found) != 1:
        raise Refused(words.no_column_text(board, words_clean(typed)[:30]))
    return found[0]


def _numbered_card(board: Any, typed: str) -> Any:
    number = _number(typed.lstrip("#"), "The card number")
    card = board.card_numbered(number)
    if card is None:
        raise Refused(words.no_card_text(number))
    return card


@command("board", help=(
    Help("/board", "read the session's board as an outline: its columns and numbered cards.", "card.add"),
    Help('/board open "TITLE" COLUMN; COLUMN', "open a board with those columns; add anonymous at the end so no member sees who wrote a card.", "board.open"),
    Help("/board plan", "list the plan's prepared boards; /board plan N opens one.", "board.open"),
    Help("/board clear", "clear the whole board, or /board clear COLUMN one column, after you confirm.", "board.clear"),
))
def _board(rest: str, ctx: Context) -> Outcome:
    sub, _, tail = rest.partition(" ")
    sub, tail = sub.lower(), tail.strip()
    if sub == "open":
        _need(ctx, "board.open")
        anonymous = False
        if tail.lower().endswith(" anonymous"):
            anonymous, tail = True, tail[: -len(" anonymous")].rstrip()
        quoted = _QUOTED.match(tail)
        if quoted is None:
            raise Refused(words.BOARD_USAGE)
        columns = [c.strip() for c in quoted.group(2).split(";") if c.strip()]
        if not columns:
            raise Refused(words.BOARD_USAGE)
        return send("board.open", {"title": quoted.group(1).strip(), "columns": columns, "anonymous": anonymous})
    if sub == "plan":
        _need(ctx, "board.open")
        if ctx.plan is None:
            raise Refused(words.NO_PLAN)
        if not tail:
            return Outcome(local="board plan")
        try:
            kind, data = ctx.plan.board(_number(tail, "The board")).command()
        except PlanError as err:
            raise Refused(str(err)) from None
        return send(kind, data)
    if sub == "clear":
        _need(ctx, "board.clear")
        board = _board_now(ctx)
        confirmed = tail.lower().endswith("yes")
        tail = tail[:-3].strip() if confirmed else tail
        column = _board_column(board, tail) if tail else None
        out = send("board.clear", {"board_id": board.board_id, "column": column})
        if confirmed:
            return out
        question = words.board_clear_question(board, column)
        typed = f"/board clear {tail}".rstrip()
        return Outcome(sends=out.sends, ask=question, ask_typed=words.type_yes_text(question, typed), declined=words.BOARD_STAYS)
    if ctx.role == GUEST:
        raise Refused(words.GUEST_NO_BOARD)  # qam: guests see no boards
    _need(ctx, "card.add")
    if rest:
        raise Refused(words.BOARD_USAGE)
    return Outcome(local="board")


@command("card", help=(
    Help("/card COLUMN TEXT", "add a card to a column of the board (its number or first word).", "card.add"),
    Help("/card edit N TEXT", "change the words of your card N; /card remove N removes it.", "card.edit"),
    Help("/card move N COLUMN", "move card N to another column; /card merge N M merges card N into card M.", "card.move"),
))
def _card(rest: str, ctx: Context) -> Outcome:
    first, _, tail = rest.partition(" ")
    action = _CARD_ACTIONS.get(first.lower())
    number, _, more = tail.strip().partition(" ")
    if action is not None and number.lstrip("#").isdigit():
        _need(ctx, action)
        board = _board_now(ctx)
        card = _numbered_card(board, number)
        more = more.strip()
        if action == "card.edit":
            if not more:
                raise Refused(words.CARD_EDIT_USAGE)
            if card.author != ctx.me_id:
                raise Refused(words.not_your_card_text(card.number, "edit"))
            return send(action, {"card_id": card.card_id, "text": more})
        if action == "card.remove":
            if card.author != ctx.me_id and ctx.role != FACILITATOR:
                raise Refused(words.not_your_card_text(card.number, "remove"))
            return send(action, {"card_id": card.card_id})
        if not more:
            raise Refused(words.CARD_NUMBER_USAGE.format(what=first.lower(), more=" 2" if action == "card.merge" else " 1"))
        if action == "card.move":
            return send(action, {"card_id": card.card_id, "column": _board_column(board, more)})
        return send(action, {"card_id": card.card_id, "into": _numbered_card(board, more).card_id})
    _need(ctx, "card.add")
    board = _board_now(ctx)
    text = tail.strip()
    if not first or not text:
        raise Refused(words.CARD_USAGE)
    return send("card.add", {"board_id": board.board_id, "column": _board_column(board, first), "text": text})


@command("plus", "+1", help=(Help("/plus N", "give card N of the board a +1 (one each).", "card.plus"),))
def _plus(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "card.plus")
    if not rest:
        raise Refused(words.PLUS_USAGE)
    board = _board_now(ctx)
    return send("card.plus", {"card_id": _numbered_card(board, rest.split()[0]).card_id})


@command("moods", "mood", help=(Help("/moods", "your check-in moods over the sessions, in figures; facilitators hear every member's.", frozenset({FACILITATOR, PARTICIPANT})),))
def _moods(rest: str, ctx: Context) -> Outcome:
    return Outcome(local="moods")


@command("agenda", help=(Help("/agenda", "the plan's minutes for each phase and when this phase is planned to end.", _FAC),))
def _agenda(rest: str, ctx: Context) -> Outcome:
    _need(ctx, "agenda")
    return Outcome(local="agenda")


# -- the help table ----------------------------------------------------------------------

_HELP_ORDER = (
    "help", "urgent", "checkin", "pass", "slide", "slides", "vote", "poll", "dm", "thread", "me", "hand", "who", "homework",
    "submit", "check", "log", "answer", "measure", "contact", "history", "missed", "more", "verbosity", "bell", "status",
    "quit", "ack", "start", "end", "reply", "phase", "deck", "next", "notes", "poll open", "close", "reveal", "round",
    "delete", "mute", "remove", "assign", "completion", "give", "plan",
    "journal", "goround", "airtime", "nudge", "slow",  # the facilitator's kit
    # between sessions
    "share", "feed", "resources", "admit", "pin", "unpin", "attendance",
    "schedule", "reminders",  # issue 15a
    # small rooms (issue 13)
    "rooms", "summary", "role", "say", "in", "out", "observe",
    "breakout", "room", "place", "broadcast", "recall", "roleplay", "debrief",
    # shared boards, moods, the agenda (issue 14 part B)
    "board", "card", "plus", "moods", "agenda",
)


def _all_help() -> list[Help]:
    table: list[Help] = []
    for name in _HELP_ORDER:
        table.extend(_POLL_FAC_HELP if name == "poll open" else COMMANDS[name].help)
    return table


class EveryHelp(list[Help]):
    """``/help all``'s entries: every one, paged by the plain face however tall (``/help``
    alone may be said as topics instead when it is taller than the screen)."""


def help_entries(role: str | None) -> list[Help]:
    """The help lines a role is offered, in help order (the permission table decides)."""
    return [h for h in _all_help() if h.offered_to(role)]


#: Help topics (``/help polls``): each names the commands (the first word of a usage) it holds.
HELP_TOPICS: dict[str, tuple[str, ...]] = {
    "safety": ("/urgent", "/ack", "/answer", "/measure", "/give", "/contact"),
    "chat": ("any", "/dm", "/thread", "/me", "/reply", "/history", "/missed", "/delete"),
    "checkin": ("/checkin", "/pass", "/round"),
    "slides": ("/slide", "/slides", "/deck", "/next", "/notes"),
    "polls": ("/vote", "/poll", "/close", "/reveal"),
    "hands": ("/hand", "/who"),
    "homework": ("/homework", "/submit", "/check", "/log", "/assign", "/completion"),
    "session": ("/start", "/end", "/phase", "/plan", "/status", "/quit"),
    "moderation": ("/mute", "/remove"),
    "listening": ("/help", "/more", "/verbosity", "/bell"),
    "exercises": ("/journal", "/goround", "/airtime", "/nudge", "/slow"),  # the facilitator's kit
    "between": ("/share", "/feed", "/resources", "/admit", "/pin", "/unpin", "/attendance"),
    "schedule": ("/schedule", "/reminders"),  # issue 15a
    "rooms": ("/rooms", "/room", "/summary", "/breakout", "/place", "/broadcast", "/recall"),  # small rooms (issue 13)
    "roleplay": ("/role", "/say", "/in", "/out", "/observe", "/roleplay", "/debrief"),
    "board": ("/board", "/card", "/plus", "/moods", "/agenda"),
}


def help_topics(role: str | None) -> dict[str, list[Help]]:
    """A role's help lines by topic (topics with nothing for the role are left out)."""
    entries = help_entries(role)
    topics = {name: [h for h in entries if h.usage.split(" ", 1)[0] in heads] for name, heads in HELP_TOPICS.items()}
    return {name: found for name, found in topics.items() if found}


#: Every help line as (usage, text, facilitators only): the whole table, for documents and tests.
COMMAND_HELP: list[tuple[str, str, bool]] = [
    (h.usage, h.text, not any(h.offered_to(r) for r in (PARTICIPANT, GUEST))) for h in _all_help()
]
