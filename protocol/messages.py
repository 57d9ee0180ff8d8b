"""Frame kinds, command schemas and validation at the boundary.

A client sends three kinds of frame: ``hello`` (once, first), commands (one
kind per thing a session does, each with a client-chosen ``id``) and nothing
else. The server sends ``welcome``, ``event``, ``synced``, ``presence``,
``ack`` and ``error``. :func:`parse_client_frame` checks every field's type,
length and range in one place and returns a :class:`Hello` or a
:class:`Command` whose ``data`` holds exactly the schema's fields, normalised.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from .board import MAX_BOARD_TITLE, MAX_CARD_TEXT, MAX_COLUMN_TITLE, MAX_COLUMNS
from .errors import ErrorCode, ProtocolError
from .events import Event
from .measures import MEASURES
from .kit import (
    GOROUND_ORDERS,
    JOURNAL_SHARES,
    MAX_JOURNAL_ANSWER,
    MAX_JOURNAL_FIELDS,
    MAX_JOURNAL_MINUTES,
    MAX_SLOW_SECONDS,
    MAX_TURN_MINUTES,
)
from .sessionkind import DEFAULT_SESSION_KIND, SESSION_KINDS

__all__ = [
    "Phase",
    "PollKind",
    "HomeworkKind",
    "ChatTarget",
    "NoteVisibility",
    "PresenceStatus",
    "WelcomeMode",
    "PROTOCOL_VERSION",
    "PHASES",
    "POLL_KINDS",
    "HOMEWORK_KINDS",
    "MAX_OPTIONS",
    "SCALE_POINTS",
    "CHAT_TARGETS",
    "Limits",
    "Hello",
    "Command",
    "Field",
    "COMMANDS",
    "parse_client_frame",
    "parse_day",
    "parse_command",
    "hello_frame",
    "command_frame",
    "welcome_frame",
    "event_frame",
    "synced_frame",
    "presence_frame",
    "attendance_frame",
    "ack_frame",
    "error_frame",
]

#: 2: the events of small rooms, the facilitator's kit, boards, between sessions and reminders,
#: and the server's ``schedule`` and ``attendance`` frames (docs/protocol.md, "Versions").
PROTOCOL_VERSION = 2

# Status fields: each Literal is the set of values its field takes on the wire,
# and each tuple below lists the same values in order (a unit test keeps them equal).
Phase = Literal["checkin", "psychoeducation", "exercises", "discussion", "closing"]
PollKind = Literal["single", "multiple", "scale", "quiz"]
HomeworkKind = Literal["text", "checklist", "emotion_log"]
ChatTarget = Literal["group", "facilitators"]  # chat.send's "to"
NoteVisibility = Literal["group", "facilitators"]  # checkin.submit's "note_to"
PresenceStatus = Literal["online", "reconnecting", "offline"]  # a presence frame's "status"
WelcomeMode = Literal["resume", "reset"]  # a welcome frame's "mode"

#: The agenda of a session, in order.
PHASES: tuple[Phase, ...] = ("checkin", "psychoeducation", "exercises", "discussion", "closing")
PHASE_TITLES: dict[str, str] = {
    "checkin": "Check-in",
    "psychoeducation": "Psychoeducation",
    "exercises": "Exercises",
    "discussion": "Discussion",
    "closing": "Closing",
}
POLL_KINDS: tuple[PollKind, ...] = ("single", "multiple", "scale", "quiz")
HOMEWORK_KINDS: tuple[HomeworkKind, ...] = ("text", "checklist", "emotion_log")
CHAT_TARGETS: tuple[ChatTarget, ...] = ("group", "facilitators")
NOTE_VISIBILITY: tuple[NoteVisibility, ...] = ("group", "facilitators")
PRESENCE_STATUSES: tuple[PresenceStatus, ...] = ("online", "reconnecting", "offline")
WELCOME_MODES: tuple[WelcomeMode, ...] = ("resume", "reset")

MAX_ID = 64
MAX_NAME = 80
MAX_TEXT = 2000  # a chat line, a note
MAX_LONG_TEXT = 60_000  # a slide deck in Markdown, a homework answer
MAX_WORD = 40
MAX_ITEMS = 20
#: A poll's options, and so the choices a vote may name: one limit, used by
#: poll.open and poll.vote alike.
MAX_OPTIONS = MAX_ITEMS
#: A scale poll's points, 0 to 10.
SCALE_POINTS = 11
#: Where a member is, or an emergency contact: one short line.
MAX_LOCATION = 200
#: The standard measures a facilitator may give (protocol.measures) and their longest item count.
MEASURE_KEYS = tuple(MEASURES)
MAX_MEASURE_ITEMS = max(len(m.items) for m in MEASURES.values())


# -- between sessions (attendance, family sessions, personal homework, peer space) --
#: Members one homework may be assigned to by name (more: assign it to the group).
MAX_ASSIGNEES = 50
#: A post to the between-session feed.
MAX_FEED_TEXT = 1000
#: A pinned resource: its title, its link (shown as text, never opened) and its short text.
MAX_RESOURCE_TITLE = 120
MAX_RESOURCE_LINK = 500
MAX_RESOURCE_TEXT = 1000
#: Resources pinned at once in a group (the relay refuses one more).
MAX_RESOURCES = 50


#: Every limited field, said to a person: (command, field) -> what it is called.
#: A text field reads "The deck is too long: at most 60,000 characters."; a
#: list reads "A check-in has too many feeling words: at most 8." (owner,
#: items). ``[]`` stands for any item of a list. The README lists the same.
LIMIT_WORDS: dict[tuple[str, str], str | tuple[str, str]] = {
    ("session.start", "title"): "The session title",
    ("session.end", "summary"): "The session summary",
    ("checkin.submit", "feelings"): ("A check-in", "feeling words"),
    ("checkin.submit", "feelings[]"): "A feeling word",
    ("checkin.submit", "note"): "A check-in note",
    ("checkin.submit", "location"): "Where you are",
    ("urgent.raise", "text"): "An urgent request",
    ("safety.contact", "contact"): "An emergency contact",
    ("reminders.set", "email"): "An email address",
    ("reminders.set", "sms"): "A phone number",
    ("reminders.set", "quiet"): "Quiet hours",
    ("deck.load", "markdown"): "The deck",
    ("poll.open", "question"): "A poll question",
    ("poll.open", "options"): ("A poll", "options"),
    ("poll.open", "options[]"): "A poll option",
    ("poll.vote", "choices"): ("A vote", "choices"),
    ("chat.send", "text"): "A chat line",
    ("chat.reply", "text"): "A private reply",
    ("homework.assign", "title"): "A homework title",
    ("homework.assign", "instructions"): "The homework instructions",
    ("homework.assign", "items"): ("A checklist", "items"),
    ("homework.assign", "items[]"): "A checklist item",
    ("homework.submit", "text"): "A homework answer",
    ("homework.submit", "checked"): ("A checklist", "ticked items"),
    ("homework.submit", "log"): ("An emotion log", "days"),
    ("homework.submit", "log[].feelings"): ("A day of the emotion log", "feeling words"),
    ("homework.submit", "log[].feelings[]"): "A feeling word",
    ("homework.submit", "log[].note"): "A note in the emotion log",
    # -- the facilitator's kit (issue 14 part A) --
    ("journal.open", "title"): "A journaling prompt",
    ("journal.open", "fields"): ("A journaling prompt", "questions"),
    ("journal.open", "fields[]"): "A journaling question",
    ("journal.write", "answers"): ("A journal entry", "answers"),
    ("journal.write", "answers[]"): "A journal answer",
    ("goround.start", "question"): "A go-around question",
    ("member.nudge", "text"): "A nudge",
    # between sessions
    ("homework.assign", "to"): ("A personal homework", "members"),
    ("feed.post", "text"): "A post to the between-session feed",
    ("resource.pin", "title"): "A resource's title",
    ("resource.pin", "link"): "A resource's link",
    ("resource.pin", "text"): "A resource's text",
    # small rooms (issue 13)
    ("breakout.open", "prompt"): "A breakout prompt",
    ("breakout.broadcast", "text"): "A broadcast",
    ("breakout.summary", "text"): "A room summary",
    ("roleplay.start", "title"): "A role-play title",
    ("roleplay.start", "setting"): "A role-play setting",
    ("roleplay.start", "roles"): ("A role-play", "roles"),
    ("roleplay.start", "roles[].name"): "A role's name",
    ("roleplay.start", "roles[].cue"): "A cue card",
    ("roleplay.start", "checklist"): ("An observation checklist", "items"),
    ("roleplay.start", "checklist[]"): "A checklist item",
    ("roleplay.start", "cast"): ("A role-play", "castings"),
    ("roleplay.end", "debrief"): ("A debrief", "questions"),
    ("roleplay.end", "debrief[]"): "A debrief question",
    ("roleplay.say", "text"): "A line in character",
    ("roleplay.note", "text"): "An observer note",
    # shared boards (protocol/board.py)
    ("board.open", "title"): "A board title",
    ("board.open", "columns"): ("A board", "columns"),
    ("board.open", "columns[]"): "A column title",
    ("card.add", "text"): "A card",
    ("card.edit", "text"): "A card",
}


def limit_sentence(kind: str, where: str, limit: int, *, items: bool = False) -> str:
    """One sentence for a field over its limit, from :data:`LIMIT_WORDS`."""
    path = re.sub(r"\[[0-9]+\]", "[]", where)
    said = LIMIT_WORDS.get((kind, path))
    if items:
        owner, things = said if isinstance(said, tuple) else (f"The field {path}", "items")
        return f"{owner} has too many {things}: at most {limit:,}."
    noun = said if isinstance(said, str) else f"The field {path}"
    return f"{noun} is too long: at most {limit:,} characters."


class _OverLimit(ProtocolError):
    """A field over its limit; :func:`parse_command` says it with :func:`limit_sentence`."""

    def __init__(self, where: str, limit: int, items: bool) -> None:
        super().__init__(ErrorCode.INVALID, limit_sentence("", where, limit, items=items))
        self.where, self.limit, self.items = where, limit, items


@dataclass(frozen=True)
class Limits:
    """Limits the server announces in ``welcome``."""

    max_frame: int
    rate_per_s: float
    burst: int

    def to_wire(self) -> dict[str, Any]:
        return {"max_frame": self.max_frame, "rate_per_s": self.rate_per_s, "burst": self.burst}


@dataclass(frozen=True)
class Field:
    """One field of a command: its wire type and its bounds.

    ``type`` is one of ``str``, ``int``, ``bool``, ``list``, ``date`` (an ISO
    ``YYYY-MM-DD`` string) or ``dict`` (with ``fields`` describing its keys).
    """

    name: str
    type: str
    required: bool = True
    default: Any = None
    max_len: int | None = None  # characters for str, items for list
    min_len: int = 0
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[Any, ...] | None = None
    item: Field | None = None  # list items
    fields: tuple[Field, ...] = ()  # dict keys
    nullable: bool = False


def _s(name: str, max_len: int = MAX_TEXT, *, required: bool = True, default: Any = None, min_len: int = 0, choices: tuple[str, ...] | None = None) -> Field:
    return Field(name, "str", required, default, max_len=max_len, min_len=min_len, choices=choices)


def _i(name: str, lo: int | None = 0, hi: int | None = None, *, required: bool = True, default: Any = None, nullable: bool = False) -> Field:
    return Field(name, "int", required, default, minimum=lo, maximum=hi, nullable=nullable)


def _b(name: str, default: bool = False) -> Field:
    return Field(name, "bool", False, default)


def _l(name: str, item: Field, max_len: int = MAX_ITEMS, *, required: bool = False, min_len: int = 0) -> Field:
    return Field(name, "list", required, [], max_len=max_len, min_len=min_len, item=item)


_WORD = Field("word", "str", max_len=MAX_WORD, min_len=1)
_OPTION = Field("option", "str", max_len=200, min_len=1)
_ITEM = Field("item", "str", max_len=300, min_len=1)
_INDEX = Field("index", "int", minimum=0, maximum=MAX_ITEMS - 1)
_LOG_ENTRY = Field(
    "entry",
    "dict",
    fields=(
        Field("day", "date"),
        _i("mood", 0, 10),
        _l("feelings", _WORD, 8),
        _s("note", MAX_TEXT, required=False, default=""),
    ),
)

# -- small rooms: breakout rooms and role-play (issue 13): the limits, in one place --
MAX_ROOMS = 12  # breakout rooms open at once
MAX_ROOM_MINUTES = 120
MAX_PROMPT = 500  # a breakout prompt
MAX_SUMMARY = 600  # a room's shared summary
MAX_SCENE_ROLES = 8
ROOM_ASSIGNMENTS = ("random", "hand", "kept")  # breakout.open's "assign"
#: Minutes before a breakout ends when each room is told time is nearly up.
ROOM_WARNING_MINUTES = 2
_ROLEPLAY_ROLE = Field(
    "role",
    "dict",
    fields=(
        _s("name", 80, min_len=1),
        _s("cue", MAX_TEXT, required=False, default=""),
        _b("observer"),
    ),
)
_CASTING = Field("casting", "dict", fields=(_i("member_id", 1), _i("role", 0, MAX_SCENE_ROLES - 1)))

#: Every command kind and its fields. Permissions live in :mod:`protocol.roles`.
COMMANDS: dict[str, tuple[Field, ...]] = {
    "session.start": (
        _s("title", 200, required=False, default=""),
        _s("kind", required=False, default=DEFAULT_SESSION_KIND.value, choices=SESSION_KINDS),  # protocol.sessionkind
    ),
    "session.end": (_s("summary", MAX_TEXT, required=False, default=""), _b("reveal")),
    "phase.set": (_s("phase", choices=PHASES),),
    "checkin.submit": (
        Field("mood", "int", False, None, minimum=0, maximum=10, nullable=True),
        _l("feelings", _WORD, 8),
        _s("note", MAX_TEXT, required=False, default=""),
        _s("note_to", required=False, default="facilitators", choices=NOTE_VISIBILITY),
        _b("passed"),
        _s("location", MAX_LOCATION, required=False, default=""),  # for the facilitators only
    ),
    "deck.load": (_s("markdown", MAX_LONG_TEXT, min_len=1),),
    "slide.goto": (_i("index", 0, 999),),
    "poll.open": (
        _s("question", 300, min_len=1),
        _s("poll_kind", choices=POLL_KINDS),
        _l("options", _OPTION, MAX_OPTIONS),
        Field("correct", "int", False, None, minimum=0, maximum=MAX_OPTIONS - 1, nullable=True),
        _b("anonymous", True),
    ),
    "poll.vote": (
        _i("poll_id", 1),
        _l("choices", Field("choice", "int", minimum=0, maximum=max(MAX_OPTIONS, SCALE_POINTS) - 1), MAX_OPTIONS, required=True, min_len=1),
    ),
    "poll.close": (_i("poll_id", 1),),
    "poll.reveal": (_i("poll_id", 1),),
    "chat.send": (
        _s("text", MAX_TEXT, min_len=1),
        _s("to", required=False, default="group", choices=CHAT_TARGETS),
        _b("me"),
    ),
    "chat.reply": (_i("member_id", 1), _s("text", MAX_TEXT, min_len=1), _b("me")),
    "chat.delete": (_i("message_id", 1),),
    "hand.raise": (),
    "hand.lower": (_i("member_id", 1, required=False, default=None, nullable=True),),
    "homework.assign": (
        _s("title", 200, min_len=1),
        _s("homework_kind", choices=HOMEWORK_KINDS),
        _s("instructions", MAX_TEXT, required=False, default=""),
        _l("items", _ITEM, MAX_ITEMS),
        Field("due", "date"),
        # personal homework: the members it is for; empty: the whole group
        _l("to", Field("member", "int", minimum=1), MAX_ASSIGNEES),
    ),
    "homework.submit": (
        _i("homework_id", 1),
        _s("text", MAX_LONG_TEXT, required=False, default=""),
        _l("checked", _INDEX, MAX_ITEMS),
        _l("log", _LOG_ENTRY, 14),
    ),
    "member.mute": (_i("member_id", 1), _b("muted", True)),
    "member.remove": (_i("member_id", 1),),
    "urgent.raise": (_s("text", MAX_TEXT, required=False, default=""),),
    "urgent.acknowledge": (_i("alert_id", 1),),
    "measure.give": (
        _s("measure", choices=MEASURE_KEYS),
        _i("member_id", 1, required=False, default=None, nullable=True),
        Field("due", "date", False, None, nullable=True),  # answered by this day (between sessions); None: no date
    ),
    "measure.answer": (_i("measure_id", 1), _i("item", 0, MAX_MEASURE_ITEMS - 1), _i("answer", 0, 3)),
    "safety.contact": (_i("member_id", 1, required=False, default=None, nullable=True), _s("contact", MAX_LOCATION, min_len=1)),
    # -- the facilitator's kit (issue 14 part A): protocol/kit.py --
    "journal.open": (
        _s("title", 300, min_len=1),
        _l("fields", _ITEM, MAX_JOURNAL_FIELDS),  # the form's questions; none: the title is the one question
        _i("minutes", 0, MAX_JOURNAL_MINUTES, required=False, default=0),
    ),
    "journal.close": (_i("prompt_id", 1),),
    "journal.write": (
        _i("prompt_id", 1),
        _l("answers", Field("answer", "str", max_len=MAX_JOURNAL_ANSWER), MAX_JOURNAL_FIELDS, required=True, min_len=1),
        _b("done"),
    ),
    "journal.share": (_i("prompt_id", 1), _s("to", choices=JOURNAL_SHARES)),
    "goround.start": (
        _s("question", 300, min_len=1),
        _s("order", required=False, default="roster", choices=GOROUND_ORDERS),
        _i("turn_minutes", 0, MAX_TURN_MINUTES, required=False, default=0),
    ),
    "goround.next": (_b("skip"),),
    "goround.pass": (),
    "goround.end": (),
    "member.nudge": (_i("member_id", 1), _s("text", MAX_TEXT, required=False, default="")),
    "member.slow": (_i("member_id", 1), _i("seconds", 0, MAX_SLOW_SECONDS)),
    # -- between sessions: family sessions' waiting room, the peer space ----------
    "guest.admit": (_i("member_id", 1),),
    "feed.post": (_s("text", MAX_FEED_TEXT, min_len=1),),
    "resource.pin": (
        _s("title", MAX_RESOURCE_TITLE, min_len=1),
        _s("link", MAX_RESOURCE_LINK, required=False, default=""),
        _s("text", MAX_RESOURCE_TEXT, required=False, default=""),
    ),
    "resource.unpin": (_i("resource_id", 1),),
    "feed.delete": (_i("post_id", 1),),
    # -- reminders (issue 15a): a member's own reminder choices; None leaves a choice as it is --
    "reminders.set": (
        Field("consent", "bool", False, None, nullable=True),
        Field("email", "str", False, None, max_len=254, nullable=True),  # '' removes it; kept in the store, never logged
        Field("sms", "str", False, None, max_len=32, nullable=True),  # likewise
        _i("lead", 1, 7 * 24 * 60, required=False, default=None, nullable=True),  # minutes before
        Field("quiet", "str", False, None, max_len=11, nullable=True),  # "22:00-07:00", or "off"
    ),
    # -- small rooms: breakout rooms and role-play (issue 13) --
    "breakout.open": (
        _i("rooms", 1, MAX_ROOMS),
        _i("minutes", 1, MAX_ROOM_MINUTES),
        _s("prompt", MAX_PROMPT, required=False, default=""),
        _s("assign", required=False, default="random", choices=ROOM_ASSIGNMENTS),
    ),
    "breakout.place": (_i("member_id", 1), _i("room", 0, MAX_ROOMS)),  # room 0: the main room
    "breakout.visit": (_i("room", 0, MAX_ROOMS),),  # room 0: back to the main room
    "breakout.broadcast": (_s("text", MAX_TEXT, min_len=1),),
    "breakout.recall": (),
    "breakout.summary": (_s("text", MAX_SUMMARY, min_len=1),),
    "roleplay.start": (
        _s("title", 200, min_len=1),
        _s("setting", MAX_TEXT, required=False, default=""),
        _l("roles", _ROLEPLAY_ROLE, MAX_SCENE_ROLES, required=True, min_len=1),
        _l("checklist", _ITEM, MAX_ITEMS),  # what observers watch for
        _l("cast", _CASTING, MAX_ITEMS * 2),  # by hand; everyone else present is cast at random
        _b("in_rooms"),  # one scene in each open breakout room
    ),
    "roleplay.end": (_l("debrief", _ITEM, MAX_ITEMS),),  # the debrief questions, posted as the scene ends
    "roleplay.say": (_s("text", MAX_TEXT, min_len=1),),
    "roleplay.note": (_s("text", MAX_TEXT, min_len=1),),
    "roleplay.share": (),
    # shared boards (docs/protocol.md, "Shared boards"; limits in protocol/board.py)
    "board.open": (
        _s("title", MAX_BOARD_TITLE, min_len=1),
        _l("columns", Field("column", "str", max_len=MAX_COLUMN_TITLE, min_len=1), MAX_COLUMNS, required=True, min_len=1),
        _b("anonymous"),
    ),
    "board.clear": (_i("board_id", 1), _i("column", 0, MAX_COLUMNS - 1, required=False, default=None, nullable=True)),
    "card.add": (_i("board_id", 1), _i("column", 0, MAX_COLUMNS - 1), _s("text", MAX_CARD_TEXT, min_len=1)),
    "card.edit": (_i("card_id", 1), _s("text", MAX_CARD_TEXT, min_len=1)),
    "card.remove": (_i("card_id", 1),),
    "card.plus": (_i("card_id", 1),),
    "card.move": (_i("card_id", 1), _i("column", 0, MAX_COLUMNS - 1)),
    "card.merge": (_i("card_id", 1), _i("into", 1)),
}


@dataclass(frozen=True)
class Hello:
    """The first frame a client sends: version, credentials and an optional resume point."""

    version: int
    token: str
    resume_from: int | None  # the last seq the client holds, or None for a fresh start
    client: str = ""


@dataclass(frozen=True)
class Command:
    """A validated command: its kind, the client-chosen id and normalised data."""

    kind: str
    id: str
    data: dict[str, Any] = field(default_factory=dict)


_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_day(text: str) -> _dt.date | None:
    """A calendar day written exactly ``YYYY-MM-DD`` (ASCII digits), or None.

    ``date.fromisoformat`` alone also takes ISO week dates (``2026-W05-3``),
    ordinal dates and other spellings of one day, which would let one day be
    logged twice; only the one literal form is a date on the wire.
    """
    if not _DAY.fullmatch(text):
        return None
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        return None


def _check(spec: Field, value: Any, where: str) -> Any:
    if value is None:
        if spec.nullable:
            return None
        raise ProtocolError(ErrorCode.INVALID, f"Field {where} must not be empty.")
    t = spec.type
    if t == "str" or t == "date":
        if not isinstance(value, str):
            raise ProtocolError(ErrorCode.INVALID, f"Field {where} must be text.")
        if t == "date":
            day = parse_day(value)
            if day is None:
                raise ProtocolError(ErrorCode.INVALID, f"Field {where} must be a date written YYYY-MM-DD.")
            return day.isoformat()
        if spec.max_len is not None and len(value) > spec.max_len:
            raise _OverLimit(where, spec.max_len, False)
        value = value.strip() if spec.min_len else value
        if len(value) < spec.min_len:
            raise ProtocolError(ErrorCode.INVALID, f"Field {where} must not be empty.")
    elif t == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ProtocolError(ErrorCode.INVALID, f"Field {where} must be a whole number.")
        if (spec.minimum is not None and value < spec.minimum) or (spec.maximum is not None and value > spec.maximum):
            raise ProtocolError(ErrorCode.INVALID, f"Field {where} must be {_range_words(spec)}.")
    elif t == "bool":
        if not isinstance(value, bool):
            raise ProtocolError(ErrorCode.INVALID, f"Field {where} must be true or false.")
    elif t == "list":
        if not isinstance(value, list):
            raise ProtocolError(ErrorCode.INVALID, f"Field {where} must be a list.")
        if spec.max_len is not None and len(value) > spec.max_len:
            raise _OverLimit(where, spec.max_len, True)
        if len(value) < spec.min_len:
            raise ProtocolError(ErrorCode.INVALID, f"Field {where} needs at least {spec.min_len} item.")
        assert spec.item is not None
        return [_check(spec.item, v, f"{where}[{i}]") for i, v in enumerate(value)]
    elif t == "dict":
        if not isinstance(value, dict):
            raise ProtocolError(ErrorCode.INVALID, f"Field {where} must be a map.")
        return _check_fields(spec.fields, value, where + ".")
    if spec.choices is not None and value not in spec.choices:
        raise ProtocolError(ErrorCode.INVALID, f"Field {where} must be one of: {', '.join(map(str, spec.choices))}.")
    return value


def _range_words(spec: Field) -> str:
    """The allowed range of a whole-number field, in words."""
    if spec.maximum is None:
        return f"{spec.minimum} or more"
    if spec.minimum is None:
        return f"{spec.maximum} or less"
    return f"between {spec.minimum} and {spec.maximum}"


def _check_fields(fields: tuple[Field, ...], data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    known = {f.name for f in fields}
    extra = [k for k in data if k not in known]
    if extra:
        shown = "".join(c if c.isprintable() else "?" for c in f"{extra[0]!s:.40}")
        raise ProtocolError(ErrorCode.INVALID, f"Unknown field {prefix}{shown}; remove it.")
    out: dict[str, Any] = {}
    for spec in fields:
        if spec.name not in data:
            if spec.required:
                raise ProtocolError(ErrorCode.INVALID, f"Field {prefix}{spec.name} is required.")
            default = spec.default
            out[spec.name] = list(default) if isinstance(default, list) else default
            continue
        out[spec.name] = _check(spec, data[spec.name], prefix + spec.name)
    return out


def _command_id(frame: dict[str, Any]) -> str:
    cid = frame.get("id")
    if not isinstance(cid, str) or not 1 <= len(cid) <= MAX_ID:
        raise ProtocolError(ErrorCode.BAD_FRAME, f"Every command needs an 'id': text of 1 to {MAX_ID} characters.")
    return cid


def parse_command(frame: dict[str, Any]) -> Command:
    """Validate a command frame; raise :class:`ProtocolError` bound to its id when possible."""
    kind = frame.get("kind")
    if not isinstance(kind, str):
        raise ProtocolError(ErrorCode.BAD_FRAME, "A frame must have a 'kind' field that is text.")
    cid = _command_id(frame)
    fields = COMMANDS.get(kind)
    if fields is None:
        raise ProtocolError(ErrorCode.UNKNOWN_KIND, f"This server does not know the command {kind[:40]!r}; update the client.", cid)
    extra = [k for k in frame if k not in ("kind", "id", "data")]
    data = frame.get("data", {})
    if extra or not isinstance(data, dict):
        raise ProtocolError(ErrorCode.BAD_FRAME, "A command frame holds only 'kind', 'id' and a 'data' map.", cid)
    try:
        return Command(kind, cid, _check_fields(fields, data))
    except _OverLimit as over:
        sentence = limit_sentence(kind, over.where, over.limit, items=over.items)
        raise ProtocolError(ErrorCode.INVALID, sentence, cid) from None
    except ProtocolError as err:
        raise err.with_id(cid) from None


def parse_hello(frame: dict[str, Any]) -> Hello:
    """Validate a ``hello`` frame."""
    version = frame.get("v")
    if isinstance(version, bool) or not isinstance(version, int):
        raise ProtocolError(ErrorCode.BAD_FRAME, "The hello frame needs 'v', the protocol version number.")
    if version != PROTOCOL_VERSION:
        raise ProtocolError(
            ErrorCode.UNSUPPORTED_VERSION,
            f"This server speaks protocol version {PROTOCOL_VERSION}, the client version {version}; update the client.",
        )
    token = frame.get("token")
    if not isinstance(token, str) or not 1 <= len(token) <= 200:
        raise ProtocolError(ErrorCode.UNAUTHORIZED, "No join token was sent; join with the token your facilitator gave you.")
    resume = frame.get("resume_from")
    if resume is not None and (isinstance(resume, bool) or not isinstance(resume, int) or resume < 0):
        raise ProtocolError(ErrorCode.BAD_FRAME, "The hello frame's 'resume_from' must be a sequence number or empty.")
    client = frame.get("client", "")
    if not isinstance(client, str):
        client = ""
    return Hello(version, token, resume, client[:MAX_NAME])


def parse_client_frame(frame: dict[str, Any]) -> Hello | Command:
    """Validate any frame a client may send."""
    kind = frame.get("kind")
    if kind == "hello":
        return parse_hello(frame)
    return parse_command(frame)


# Frame builders: the one place that spells each frame's wire shape.


def hello_frame(token: str, resume_from: int | None, client: str = "iop-tui") -> dict[str, Any]:
    return {"kind": "hello", "v": PROTOCOL_VERSION, "token": token, "resume_from": resume_from, "client": client}


def command_frame(kind: str, command_id: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"kind": kind, "id": command_id, "data": data or {}}


def welcome_frame(
    *,
    member: dict[str, Any],
    group: dict[str, Any],
    roster: list[dict[str, Any]],
    limits: Limits,
    head_seq: int,
    mode: WelcomeMode,
    replay_from: int,
    route: str | None = None,
) -> dict[str, Any]:
    """``mode`` is ``"resume"`` (events after your seq follow) or ``"reset"``
    (drop your state: every visible event from ``replay_from`` follows). ``route``:
    the owning relay node's id, when there are several (:mod:`protocol.route`)."""
    frame: dict[str, Any] = {
        "kind": "welcome",
        "v": PROTOCOL_VERSION,
        "member": member,
        "group": group,
        "roster": roster,
        "limits": limits.to_wire(),
        "head_seq": head_seq,
        "mode": mode,
        "replay_from": replay_from,
    }
    if route is not None:
        frame["route"] = route
    return frame


def event_frame(event: Event) -> dict[str, Any]:
    return event.to_wire()


def synced_frame(head_seq: int) -> dict[str, Any]:
    """Sent after the catch-up replay: every later event is live."""
    return {"kind": "synced", "head_seq": head_seq}


def presence_frame(member: dict[str, Any], status: PresenceStatus) -> dict[str, Any]:
    """``status`` is ``online``, ``reconnecting`` or ``offline``. Not part of the log."""
    return {"kind": "presence", "member": member, "status": status}


def ack_frame(command_id: str, seq: int | None) -> dict[str, Any]:
    """``seq`` is the last seq the command caused (None when it caused no event)."""
    return {"kind": "ack", "id": command_id, "seq": seq}


def error_frame(err: ProtocolError) -> dict[str, Any]:
    return {"kind": "error", "id": err.command_id, "code": err.code, "message": err.message}


def attendance_frame(session_id: int, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The live session's attendance so far, to the facilitators only (not part of the log):
    sent when someone's presence in the session changes; the record is ``attendance.recorded``."""
    return {"kind": "attendance", "session_id": session_id, "rows": rows}
