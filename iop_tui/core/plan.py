"""Session plans: plain files a facilitator edits, turned into commands.

A plan is a TOML file naming a Markdown deck (a path relative to the plan),
prepared polls and homework::

    title = "Week 3: Reframing thoughts"
    deck = "reframing.md"

    [[polls]]
    question = "Which thinking trap do you catch most often?"
    kind = "single"              # single | multiple | scale | quiz
    options = ["Mind reading", "Catastrophising"]
    correct = 2                  # quizzes only; counted from 1, as members vote
    anonymous = true

    [[homework]]
    title = "Daily thought record"
    kind = "checklist"           # text | checklist | emotion_log
    instructions = "..."
    items = ["Monday", "Tuesday"]
    due = "+6 days"              # or "2026-12-04"
    assign_at_load = false       # true: assigned as soon as the plan loads

    [[measures]]
    kind = "phq9"                # phq9 | gad7
    due = "+7"                   # optional: to be answered by then (between sessions)
    to = "Sam"                   # optional: one member; without it, every participant

    [[journal]]                  # a journaling prompt (/journal plan N opens it)
    title = "Thought record"
    form = "thought-record"      # or: fields = ["Question one", "Question two"]; neither: the title is the question
    minutes = 10

    [[rounds]]                   # a go-around (/goround plan N starts it)
    question = "One thing you will try this week?"
    order = "quietest"           # roster | random | quietest
    turn_minutes = 2
    [agenda]                     # planned minutes per phase (iop_tui.core.agenda)
    checkin = 10
    exercises = 20

    [[boards]]                   # a shared board, opened with /board plan N
    title = "What helps"
    columns = ["What helps me", "What I will try this week"]
    anonymous = true

Loading the plan sends the deck. Polls are only *prepared*: the facilitator
opens them one by one when the moment comes (a poll opened at load would
interrupt the check-in). Questionnaires are prepared too (``/give plan N``).
Homework is assigned at load only when it says so.

Every field is checked here, with the protocol's own validation, so a typo
is reported when the plan loads (in one sentence naming the file and the
place), not halfway through a session.
"""

from __future__ import annotations

import datetime as _dt
import errno as _errno
import os
import re
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from protocol.deck import MAX_DECK_CHARS, parse_deck
from protocol.errors import ProtocolError
from protocol.measures import MEASURES
from protocol.messages import HOMEWORK_KINDS, POLL_KINDS, parse_command
from protocol.text import clean_line, clean_text

__all__ = [
    "PlanError",
    "PlannedPoll",
    "PlannedHomework",
    "PlannedMeasure",
    "PlannedJournal",
    "PlannedRound",
    "PlannedBoard",
    "Plan",
    "load_plan",
    "read_deck",
    "read_text_file",
    "resolve_due",
    "DEMO_PLAN",
    "MAX_PLAN_BYTES",
    "MAX_DECK_BYTES",
]

#: The plan the demo runs: a psychoeducation session on cognitive reframing.
DEMO_PLAN = Path(__file__).resolve().parent.parent / "demo" / "content" / "plan.toml"

#: Largest plan file read: a plan is a few kilobytes of TOML.
MAX_PLAN_BYTES = 256 * 1024
#: Largest deck file read: the deck's character bound, each character up to 4 bytes of UTF-8.
MAX_DECK_BYTES = MAX_DECK_CHARS * 4

# journal and rounds: the facilitator's kit (issue 14 part A); breakouts and scenarios: small rooms
# (issue 13); agenda and boards: issue 14 part B
_TOP_KEYS = ("title", "deck", "polls", "homework", "measures", "journal", "rounds", "breakouts", "scenarios", "agenda", "boards")
_MEASURE_KEYS = ("kind", "due", "to")
_POLL_KEYS = ("question", "kind", "options", "correct", "anonymous")
_HOMEWORK_KEYS = ("title", "kind", "instructions", "items", "due", "assign_at_load")
_RELATIVE_DUE = re.compile(r"^\+[ \t]*([0-9]{1,3})(?:[ \t]*days?)?$", re.IGNORECASE)
_ISO_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")


class PlanError(Exception):
    """A plan cannot be used; the message is one sentence saying where and what to fix."""


@dataclass(frozen=True)
class PlannedPoll:
    """A poll prepared in a plan; ``correct`` is an option index counted from 0."""

    question: str
    kind: str
    options: tuple[str, ...]
    correct: int | None
    anonymous: bool

    def command(self) -> tuple[str, dict[str, Any]]:
        """The ``poll.open`` command that opens this poll."""
        return "poll.open", {
            "question": self.question,
            "poll_kind": self.kind,
            "options": list(self.options),
            "correct": self.correct,
            "anonymous": self.anonymous,
        }

    def describe(self) -> str:
        """One line for a facilitator choosing which poll to open."""
        kind = {"single": "single choice", "multiple": "multiple choice", "scale": "scale 0 to 10", "quiz": "quiz"}[self.kind]
        return f"{self.question} ({kind}{', named' if not self.anonymous else ''})"


@dataclass(frozen=True)
class PlannedHomework:
    """Homework prepared in a plan; ``due`` is as written ("+6 days" or a date)."""

    title: str
    kind: str
    instructions: str
    items: tuple[str, ...]
    due: str
    assign_at_load: bool

    def command(self, today: _dt.date) -> tuple[str, dict[str, Any]]:
        """The ``homework.assign`` command, with the due date resolved against ``today``."""
        return "homework.assign", {
            "title": self.title,
            "homework_kind": self.kind,
            "instructions": self.instructions,
            "items": list(self.items),
            "due": resolve_due(self.due, today),
        }


@dataclass(frozen=True)
class PlannedMeasure:
    """A questionnaire prepared in a plan: ``due`` as written ("+7" or a date) or None,
    ``to`` a member's name as written or None for every participant."""

    kind: str
    due: str | None = None
    to: str | None = None

    def command(self, today: _dt.date, member_id: int | None) -> tuple[str, dict[str, Any]]:
        """The ``measure.give`` command; ``member_id`` is the one ``to`` names (the caller finds them)."""
        data: dict[str, Any] = {"measure": self.kind, "member_id": member_id}
        if self.due is not None:
            data["due"] = resolve_due(self.due, today)
        return "measure.give", data

    def describe(self, today: _dt.date) -> str:
        """``"GAD-7 to Sam, due Saturday 5 December"``: one line for a facilitator choosing."""
        line = f"{MEASURES[self.kind].title} to {self.to or 'the group'}"
        if self.due is not None:
            from iop_tui.core.words import due_text

            line += f", due {due_text(resolve_due(self.due, today), today)}"
        return line


@dataclass(frozen=True)
class PlannedJournal:
    """A journaling prompt prepared in a plan (the facilitator's kit)."""

    title: str
    fields: tuple[str, ...]
    minutes: int

    def command(self) -> tuple[str, dict[str, Any]]:
        return "journal.open", {"title": self.title, "fields": list(self.fields), "minutes": self.minutes}

    def describe(self) -> str:
        asks = f", {len(self.fields)} questions" if self.fields else ""
        return f"{self.title}{asks}, {self.minutes} minutes" if self.minutes else f"{self.title}{asks}"


@dataclass(frozen=True)
class PlannedRound:
    """A go-around prepared in a plan (the facilitator's kit)."""

    question: str
    order: str
    turn_minutes: int

    def command(self) -> tuple[str, dict[str, Any]]:
        return "goround.start", {"question": self.question, "order": self.order, "turn_minutes": self.turn_minutes}

    def describe(self) -> str:
        guide = f", about {self.turn_minutes} minutes each" if self.turn_minutes else ""
        return f"{self.question} ({self.order} order{guide})"


@dataclass(frozen=True)
class PlannedBoard:
    """A shared board prepared in a plan, opened during the session with ``/board plan N``."""

    title: str
    columns: tuple[str, ...]
    anonymous: bool

    def command(self) -> tuple[str, dict[str, Any]]:
        return "board.open", {"title": self.title, "columns": list(self.columns), "anonymous": self.anonymous}

    def describe(self) -> str:
        return f"{self.title}: {'; '.join(self.columns)}{' (anonymous)' if self.anonymous else ''}"


@dataclass(frozen=True)
class Plan:
    """A loaded session plan: the deck's Markdown, prepared polls and homework."""

    path: Path
    title: str
    deck_path: Path
    markdown: str
    polls: tuple[PlannedPoll, ...]
    homework: tuple[PlannedHomework, ...]
    measures: tuple[PlannedMeasure, ...] = ()
    journals: tuple[PlannedJournal, ...] = ()  # the facilitator's kit
    rounds: tuple[PlannedRound, ...] = ()
    # Small rooms (issue 13): prepared breakout rounds and role-play scenarios (iop_tui/core/smallrooms_plan.py).
    breakouts: tuple[Any, ...] = ()
    scenarios: tuple[Any, ...] = ()
    boards: tuple[PlannedBoard, ...] = ()  # issue 14 part B
    agenda: tuple[tuple[str, int], ...] = ()  # (phase, planned minutes), in agenda order

    def prepared(self, what: str, number: int) -> Any:
        """The prepared journaling prompt (``what`` "journal") or go-around ("rounds") ``number``, from 1 (raises PlanError)."""
        items = self.journals if what == "journal" else self.rounds
        noun = "journaling prompt" if what == "journal" else "go-around"
        if not items:
            raise PlanError(f"The plan prepares no {noun}.")
        if not 1 <= number <= len(items):
            raise PlanError(f"The plan has {len(items)} prepared {noun}{'s' if len(items) != 1 else ''}; choose a number from 1 to {len(items)}.")
        return items[number - 1]

    @property
    def minutes(self) -> dict[str, int]:
        """Each phase's planned minutes (phases without any are left out)."""
        return dict(self.agenda)

    def board(self, number: int) -> PlannedBoard:
        """The prepared board ``number``, counted from 1 (raises PlanError)."""
        if not 1 <= number <= len(self.boards):
            count = len(self.boards)
            raise PlanError(f"The plan has {count} prepared board{'s' if count != 1 else ''}; choose a number from 1 to {count}.")
        return self.boards[number - 1]

    def commands(self, today: _dt.date) -> list[tuple[str, dict[str, Any]]]:
        """What loading the plan sends: the deck, then homework marked ``assign_at_load``."""
        out: list[tuple[str, dict[str, Any]]] = [("deck.load", {"markdown": self.markdown})]
        out.extend(hw.command(today) for hw in self.homework if hw.assign_at_load)
        return out

    def poll(self, number: int) -> PlannedPoll:
        """The prepared poll ``number``, counted from 1 (raises PlanError)."""
        if not 1 <= number <= len(self.polls):
            raise PlanError(f"The plan has {len(self.polls)} prepared polls; choose a number from 1 to {len(self.polls)}.")
        return self.polls[number - 1]

    def measure(self, number: int) -> PlannedMeasure:
        """The prepared questionnaire ``number``, counted from 1 (raises PlanError)."""
        if not 1 <= number <= len(self.measures):
            count = len(self.measures)
            raise PlanError(f"The plan has {count} prepared questionnaire{'s' if count != 1 else ''}; choose a number from 1 to {count}.")
        return self.measures[number - 1]

    def assignments(self, today: _dt.date) -> list[tuple[str, dict[str, Any]]]:
        """Every homework in the plan as ``homework.assign`` commands."""
        return [hw.command(today) for hw in self.homework]


def resolve_due(due: str, today: _dt.date) -> str:
    """The one due-date parser both faces and plans use.

    ``"+7"``, ``"+7 days"`` or ``"+1 day"`` -> today plus that many days as
    YYYY-MM-DD; a ``YYYY-MM-DD`` date stays as it is.
    """
    text = str(due).strip()
    match = _RELATIVE_DUE.match(text)
    if match:
        return (today + _dt.timedelta(days=int(match.group(1)))).isoformat()
    try:
        if _ISO_DAY.match(text):
            return _dt.date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    raise PlanError(f"The due date {str(due)[:40]!r} is not a date; write it as YYYY-MM-DD, or +7 for a week from today.")


def read_text_file(path: str | Path, limit: int, what: str = "file", *, follow_links: bool = True) -> str:
    """Read a UTF-8 text file of at most ``limit`` bytes; raise :class:`PlanError` with one sentence.

    Only a regular file is read: a device (``/dev/zero``), a pipe or a socket
    is refused before any byte is read, and the file is opened without
    blocking, so a FIFO with no writer cannot hang the client. At most
    ``limit + 1`` bytes are read, so a file that grows while it is read
    cannot exhaust memory either. ``follow_links=False`` refuses a path whose
    last part is a symbolic link (a path already resolved and checked).
    """
    path = Path(path).expanduser()
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    if not follow_links:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise PlanError(f"There is no {what} at {path}; check the path.") from None
    except IsADirectoryError:
        raise PlanError(f"{path} is a folder; give the path of the {what} itself.") from None
    except OSError as exc:
        reason = (exc.strerror or type(exc).__name__).lower()
        if exc.errno in (_errno.ENXIO, _errno.EOPNOTSUPP):
            reason = "it is a socket or a device, not a file"
        elif exc.errno == _errno.ELOOP:
            reason = "it became a symbolic link"
        raise PlanError(f"Cannot read the {what} {path} ({reason}); check the path and its permissions.") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise PlanError(f"{path} is a folder; give the path of the {what} itself.")
        if not stat.S_ISREG(info.st_mode):
            kind = "a pipe" if stat.S_ISFIFO(info.st_mode) else "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else "not a regular file"
            raise PlanError(f"{path} is {kind}, not a text file; give the path of the {what} itself.")
        if info.st_size > limit:
            raise PlanError(f"The {what} {path} is too large: at most {limit // 1024:,} KB; split it or remove what it does not need.")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(65536, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise PlanError(f"The {what} {path} is too large: at most {limit // 1024:,} KB; split it or remove what it does not need.")
    except OSError as exc:
        raise PlanError(f"Cannot read the {what} {path} ({(exc.strerror or type(exc).__name__).lower()}); check the file.") from None
    finally:
        os.close(fd)
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        raise PlanError(f"The {what} {path} is not UTF-8 text; save it as UTF-8 (a Markdown or text file).") from None


def read_deck(path: str | Path) -> str:
    """A facilitator's own deck file, read and checked; raise :class:`PlanError` with one sentence.

    Any path the facilitator names is allowed (they chose the file), but only a
    regular UTF-8 file within the deck's bounds, which the deck parser checks
    before anything is sent.
    """
    markdown = clean_text(read_text_file(path, MAX_DECK_BYTES, "deck"))
    try:
        parse_deck(markdown)
    except ProtocolError as err:
        raise PlanError(f"{Path(path).expanduser().name}: {err.message}") from None
    return markdown


def _inside(folder: Path, name: str, plan_name: str) -> Path:
    """``name`` resolved against the plan's ``folder``; refuse any path that leaves it.

    Symbolic links are followed before the check, so a link inside the folder
    that points elsewhere (``/etc/passwd``, ``/dev/zero``) is refused too.
    """
    target = (folder / name).resolve()
    if not target.is_relative_to(folder):
        raise PlanError(
            f"{plan_name} names the deck {name!r}, which is outside the plan's folder {folder}; "
            "put the deck beside the plan (or in a folder inside it) and name it by its relative path."
        )
    return target


def _check_keys(table: Any, known: tuple[str, ...], where: str, name: str) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise PlanError(f"{name}: {where} must be a table of keys; see the example plan in iop_tui/demo/content.")
    for key in table:
        if key not in known:
            raise PlanError(f"{name}: unknown key {key!r} in {where}; the keys it may have are {', '.join(known)}.")
    return table


def _text(table: dict[str, Any], key: str, where: str, name: str, default: str | None = None, *,
          multiline: tuple[str, ...] = ("instructions",)) -> str:
    """The text at ``key``, through the one cleaner: the keys in ``multiline`` keep their line breaks."""
    value = table.get(key, default)
    if value is None:
        raise PlanError(f"{name}: {where} needs a {key!r}.")
    if not isinstance(value, str):
        raise PlanError(f"{name}: {key!r} in {where} must be text in quotes.")
    return clean_text(value) if key in multiline else clean_line(value)  # a file is shown like the network


def _poll(table: Any, number: int, name: str) -> PlannedPoll:
    where = f"poll {number}"
    table = _check_keys(table, _POLL_KEYS, where, name)
    question = _text(table, "question", where, name)
    kind = _text(table, "kind", where, name)
    if kind not in POLL_KINDS:
        raise PlanError(f"{name}: {where} has kind {kind!r}; use one of {', '.join(POLL_KINDS)}.")
    options = table.get("options", [])
    if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
        raise PlanError(f"{name}: 'options' in {where} must be a list of texts in quotes.")
    if kind != "scale" and len(options) < 2:
        raise PlanError(f"{name}: {where} needs at least two options.")
    correct = table.get("correct")
    if correct is not None:
        if kind != "quiz":
            raise PlanError(f"{name}: {where} has a correct answer but is not a quiz; remove 'correct' or set kind = \"quiz\".")
        if isinstance(correct, bool) or not isinstance(correct, int) or not 1 <= correct <= len(options):
            raise PlanError(f"{name}: 'correct' in {where} must be an option number from 1 to {len(options)}.")
        correct -= 1
    elif kind == "quiz":
        raise PlanError(f"{name}: {where} is a quiz and needs 'correct', the number of the right option.")
    anonymous = table.get("anonymous", True)
    if not isinstance(anonymous, bool):
        raise PlanError(f"{name}: 'anonymous' in {where} must be true or false.")
    poll = PlannedPoll(question, kind, tuple(clean_line(o) for o in options), correct, anonymous)
    _validate(poll.command(), where, name)
    return poll


def _homework(table: Any, number: int, name: str, today: _dt.date) -> PlannedHomework:
    where = f"homework {number}"
    table = _check_keys(table, _HOMEWORK_KEYS, where, name)
    kind = _text(table, "kind", where, name)
    if kind not in HOMEWORK_KINDS:
        raise PlanError(f"{name}: {where} has kind {kind!r}; use one of {', '.join(HOMEWORK_KINDS)}.")
    items = table.get("items", [])
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise PlanError(f"{name}: 'items' in {where} must be a list of texts in quotes.")
    if kind == "checklist" and not items:
        raise PlanError(f"{name}: {where} is a checklist and needs 'items'.")
    due = table.get("due")
    if isinstance(due, _dt.date) and not isinstance(due, _dt.datetime):
        due = due.isoformat()  # TOML's bare date literal
    if not isinstance(due, str):
        raise PlanError(f"{name}: {where} needs 'due', written as \"YYYY-MM-DD\" or \"+N days\".")
    try:
        resolve_due(due, today)
    except PlanError as err:
        raise PlanError(f"{name}: {where}: {err}") from None
    assign = table.get("assign_at_load", False)
    if not isinstance(assign, bool):
        raise PlanError(f"{name}: 'assign_at_load' in {where} must be true or false.")
    homework = PlannedHomework(
        _text(table, "title", where, name), kind, _text(table, "instructions", where, name, ""), tuple(clean_line(i) for i in items), due, assign
    )
    _validate(homework.command(today), where, name)
    return homework


def _measure(table: Any, number: int, name: str, today: _dt.date) -> PlannedMeasure:
    where = f"measure {number}"
    table = _check_keys(table, _MEASURE_KEYS, where, name)
    kind = _text(table, "kind", where, name).lower().replace("-", "")
    if kind not in MEASURES:
        raise PlanError(f"{name}: {where} has kind {kind!r}; use one of {', '.join(MEASURES)}.")
    due = table.get("due")
    if isinstance(due, _dt.date) and not isinstance(due, _dt.datetime):
        due = due.isoformat()  # TOML's bare date literal
    if due is not None:
        if not isinstance(due, str):
            raise PlanError(f"{name}: 'due' in {where} must be written as \"YYYY-MM-DD\" or \"+N days\".")
        try:
            day = resolve_due(due, today)
        except PlanError as err:
            raise PlanError(f"{name}: {where}: {err}") from None
        if _dt.date.fromisoformat(day) < today:
            raise PlanError(f"{name}: {where}: The due date {day} is in the past; choose today or a later day, or +7 for a week from the day it is given.")
    to = _text(table, "to", where, name) if "to" in table else None
    if to is not None and not to.strip():
        raise PlanError(f"{name}: 'to' in {where} must be a member's name, or leave it out to give it to every participant.")
    measure = PlannedMeasure(kind, due, to.strip() if to is not None else None)
    _validate(measure.command(today, None), where, name)
    return measure


_JOURNAL_KEYS = ("title", "form", "fields", "minutes")
_ROUND_KEYS = ("question", "order", "turn_minutes")


def _whole(table: dict[str, Any], key: str, where: str, name: str) -> int:
    value = table.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PlanError(f"{name}: {key!r} in {where} must be a whole number of minutes.")
    return value


def _journal(table: Any, number: int, name: str) -> PlannedJournal:
    from protocol.kit import JOURNAL_FORMS

    where = f"journal prompt {number}"
    table = _check_keys(table, _JOURNAL_KEYS, where, name)
    fields = table.get("fields", [])
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise PlanError(f"{name}: 'fields' in {where} must be a list of questions in quotes.")
    if "form" in table:
        form = _text(table, "form", where, name).lower()
        if form not in JOURNAL_FORMS or fields:
            raise PlanError(f"{name}: {where} has form {form!r}; use one of {', '.join(JOURNAL_FORMS)}, or list its 'fields' instead.")
        fields = list(JOURNAL_FORMS[form])
    planned = PlannedJournal(_text(table, "title", where, name), tuple(clean_line(f) for f in fields), _whole(table, "minutes", where, name))
    _validate(planned.command(), where, name)
    return planned


def _round(table: Any, number: int, name: str) -> PlannedRound:
    where = f"go-around {number}"
    table = _check_keys(table, _ROUND_KEYS, where, name)
    planned = PlannedRound(_text(table, "question", where, name), _text(table, "order", where, name, "roster"), _whole(table, "turn_minutes", where, name))
    _validate(planned.command(), where, name)
    return planned
_BOARD_KEYS = ("title", "columns", "anonymous")
#: The longest a phase may be planned for, in minutes.
MAX_PHASE_MINUTES = 240


def _board(table: Any, number: int, name: str) -> PlannedBoard:
    where = f"board {number}"
    table = _check_keys(table, _BOARD_KEYS, where, name)
    columns = table.get("columns", [])
    if not isinstance(columns, list) or not columns or not all(isinstance(c, str) for c in columns):
        raise PlanError(f"{name}: 'columns' in {where} must be a list of column titles in quotes.")
    anonymous = table.get("anonymous", False)
    if not isinstance(anonymous, bool):
        raise PlanError(f"{name}: 'anonymous' in {where} must be true or false.")
    board = PlannedBoard(_text(table, "title", where, name), tuple(clean_line(c) for c in columns), anonymous)
    _validate(board.command(), where, name)
    return board


def _agenda(table: Any, name: str) -> tuple[tuple[str, int], ...]:
    from protocol.messages import PHASES

    if not isinstance(table, dict):
        raise PlanError(f"{name}: write the agenda as an [agenda] table of phase = minutes, such as exercises = 20.")
    out = []
    for phase in PHASES:
        if phase not in table:
            continue
        minutes = table[phase]
        if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= MAX_PHASE_MINUTES:
            raise PlanError(f"{name}: {phase} in [agenda] must be a whole number of minutes from 1 to {MAX_PHASE_MINUTES}.")
        out.append((phase, minutes))
    unknown = [k for k in table if k not in PHASES]
    if unknown:
        raise PlanError(f"{name}: [agenda] has {str(unknown[0])[:40]!r}, which is not a phase; use {', '.join(PHASES)}.")
    return tuple(out)


def _validate(command: tuple[str, dict[str, Any]], where: str, name: str) -> None:
    kind, data = command
    try:
        parse_command({"kind": kind, "id": "plan", "data": data})
    except ProtocolError as err:
        raise PlanError(f"{name}: {where}: {err.message}") from None


def load_plan(path: str | Path, today: _dt.date | None = None) -> Plan:
    """Read and check a plan file and its deck; raise :class:`PlanError` with one sentence."""
    path = Path(path).expanduser()
    name = path.name
    today = today or _dt.date.today()
    text = read_text_file(path, MAX_PLAN_BYTES, "plan file")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        text = str(exc)
        found = _LINE.search(text)
        reason = _LINE.sub("", text).strip().rstrip(".")
        place = f" on line {found.group(1)}" if found else ""
        raise PlanError(f"{name} is not valid TOML{place}: {reason}; fix that line.") from None
    data = _check_keys(data, _TOP_KEYS, "the plan", name)
    title = _text(data, "title", "the plan", name, "")
    deck_name = _text(data, "deck", "the plan", name)
    deck_path = _inside(path.parent.resolve(), deck_name, name)
    if not deck_path.exists():
        raise PlanError(f"{name} names the deck {deck_name!r}, but there is no file {deck_path}; check the 'deck' path.")
    markdown = clean_text(read_text_file(deck_path, MAX_DECK_BYTES, "deck", follow_links=False))
    try:
        parse_deck(markdown)
        _validate(("deck.load", {"markdown": markdown}), "the deck", name)
    except ProtocolError as err:
        raise PlanError(f"{deck_path.name}: {err.message}") from None
    polls = data.get("polls", [])
    homework = data.get("homework", [])
    if not isinstance(polls, list):
        raise PlanError(f"{name}: write polls as [[polls]] tables.")
    if not isinstance(homework, list):
        raise PlanError(f"{name}: write homework as [[homework]] tables.")
    measures = data.get("measures", [])
    if not isinstance(measures, list):
        raise PlanError(f"{name}: write questionnaires as [[measures]] tables.")
    return Plan(
        path=path,
        title=title,
        deck_path=deck_path,
        markdown=markdown,
        polls=tuple(_poll(p, i, name) for i, p in enumerate(polls, 1)),
        homework=tuple(_homework(h, i, name, today) for i, h in enumerate(homework, 1)),
        measures=tuple(_measure(m, i, name, today) for i, m in enumerate(measures, 1)),
        journals=tuple(_journal(j, i, name) for i, j in enumerate(_tables(data, "journal", name), 1)),
        rounds=tuple(_round(r, i, name) for i, r in enumerate(_tables(data, "rounds", name), 1)),
        **_small_rooms(data, name),
        boards=_boards(data.get("boards", []), name),
        agenda=_agenda(data.get("agenda", {}), name),
    )


def _tables(data: dict[str, Any], key: str, name: str) -> list[Any]:
    found = data.get(key, [])
    if not isinstance(found, list):
        raise PlanError(f"{name}: write {key} as [[{key}]] tables.")
    return found


def _small_rooms(data: dict[str, Any], name: str) -> dict[str, Any]:
    """The plan's prepared breakout rounds and scenarios (issue 13)."""
    from iop_tui.core.smallrooms_plan import parse_breakouts, parse_scenarios

    return {"breakouts": parse_breakouts(data.get("breakouts", []), name), "scenarios": parse_scenarios(data.get("scenarios", []), name)}


def _boards(boards: Any, name: str) -> tuple[PlannedBoard, ...]:
    if not isinstance(boards, list):
        raise PlanError(f"{name}: write boards as [[boards]] tables.")
    return tuple(_board(b, i, name) for i, b in enumerate(boards, 1))
