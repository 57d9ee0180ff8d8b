"""The fold of the facilitator's kit (issue 14 part A): journal prompts and
entries, go-arounds, airtime and slowed members.

:class:`KitState` is a part of :class:`protocol.state.GroupState` (its base
class): the same one fold runs on the relay (which sees every event) and in
each client (which folds what its reader may see). So a member's client holds
their own journal entries, a facilitator's holds the entries shared with them
and the "4 of 6 writing, 2 done" counts, never an unshared entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .events import Event
from .kit import word_count
from .roles import EVERYONE, ROOM

if TYPE_CHECKING:
    from .state import RosterEntry, SessionInfo

__all__ = ["JournalPrompt", "JournalEntry", "GoRound", "Airtime", "KitState"]


@dataclass
class JournalPrompt:
    """A journaling prompt a facilitator opened; ``prompt_id`` is the seq of its ``journal.opened``."""

    prompt_id: int
    title: str
    fields: list[str]  # the questions, in order; a single question is the title alone
    minutes: int  # 0: no time given
    opened_at: float
    session_id: int | None
    closed: bool = False
    # Progress, from journal.progress (the facilitators' counts; the relay's own fold too).
    writing: int = 0
    done: int = 0
    of: int = 0


@dataclass
class JournalEntry:
    """One member's entry for one prompt: what this reader may see of it."""

    prompt_id: int
    member_id: int
    answers: list[str]
    done: bool
    ts: float
    shared: str = ""  # "" (the member's alone), "facilitators" or "group"


@dataclass
class GoRound:
    """A go-around: each member in ``order`` has a turn; ``round_id`` is the seq of ``goround.started``."""

    round_id: int
    question: str
    order: list[int]
    turn_minutes: int
    session_id: int | None
    index: int = 0  # whose turn: order[index]
    outcomes: dict[int, str] = field(default_factory=dict)  # member -> spoke | passed | skipped
    ended: bool = False

    def whose(self) -> int | None:
        """The member whose turn it is (None once everyone has had theirs or the round ended)."""
        return self.order[self.index] if not self.ended and self.index < len(self.order) else None

    def next_up(self) -> int | None:
        """The member after the one whose turn it is."""
        return self.order[self.index + 1] if not self.ended and self.index + 1 < len(self.order) else None


@dataclass
class Airtime:
    """One member's share of the group chat: lines, words and turns (a turn is a run of
    lines no one else broke)."""

    lines: int = 0
    words: int = 0
    turns: int = 0

    def add(self, other: Airtime) -> None:
        self.lines += other.lines
        self.words += other.words
        self.turns += other.turns


@dataclass
class KitState:
    """The kit's part of a group's state (a base of GroupState)."""

    journal_prompts: dict[int, JournalPrompt] = field(default_factory=dict)
    journal: dict[tuple[int, int], JournalEntry] = field(default_factory=dict)  # (prompt_id, member_id)
    gorounds: dict[int, GoRound] = field(default_factory=dict)
    #: (session_id, phase or "") -> member -> Airtime, counted from the group chat this reader saw.
    airtime: dict[tuple[int, str], dict[int, Airtime]] = field(default_factory=dict)
    last_speaker: dict[int, int] = field(default_factory=dict)  # session_id -> who wrote its last group line
    slowed: dict[int, int] = field(default_factory=dict)  # member -> one group line per this many seconds
    last_group_line: dict[int, float] = field(default_factory=dict)  # member -> when they last wrote to the group

    if TYPE_CHECKING:  # GroupState's own fields, which the kit reads
        session: SessionInfo | None = None
        phase: str | None = None
        roster: dict[int, RosterEntry] = field(default_factory=dict)

        def _sid(self) -> int | None: ...

    # -- derived views --------------------------------------------------------------------

    def open_prompt(self) -> JournalPrompt | None:
        """The newest journaling prompt still open in the live session."""
        sid = self._sid()
        found = [p for p in self.journal_prompts.values() if not p.closed and sid is not None and p.session_id == sid]
        return max(found, key=lambda p: p.prompt_id) if found else None

    def journal_of(self, member_id: int) -> list[JournalEntry]:
        """One member's entries this reader holds, oldest first."""
        return sorted((e for e in self.journal.values() if e.member_id == member_id), key=lambda e: e.prompt_id)

    def goround(self) -> GoRound | None:
        """The live session's go-around still running, if any."""
        sid = self._sid()
        found = [r for r in self.gorounds.values() if not r.ended and sid is not None and r.session_id == sid]
        return max(found, key=lambda r: r.round_id) if found else None

    def airtime_of(self, session_id: int | None, phase: str | None = None) -> dict[int, Airtime]:
        """Each member's airtime in one session (and one phase, if given)."""
        out: dict[int, Airtime] = {}
        if session_id is None:
            return out
        for (sid, ph), members in self.airtime.items():
            if sid == session_id and (phase is None or ph == phase):
                for mid, counted in members.items():
                    out.setdefault(mid, Airtime()).add(counted)
        return out

    def quietest_first(self, member_ids: list[int]) -> list[int]:
        """``member_ids`` ordered by words said in the live session, fewest first (ties keep their order)."""
        said = self.airtime_of(self._sid())
        return sorted(member_ids, key=lambda m: said[m].words if m in said else 0)

    # -- the fold ---------------------------------------------------------------------------

    def _count_airtime(self, ev: Event, d: dict[str, Any]) -> None:
        """Called by the fold for every chat line: a group line in a session counts, in the
        main room or in a breakout room (a room line is a group line said in a room, ``room`` set):
        airtime, "quietest first" and a slowed member's pace hold in the rooms too."""
        in_room = ev.audience == ROOM and d.get("room") is not None
        if (ev.audience != EVERYONE and not in_room) or d.get("to", "group") != "group":
            return
        mid = int(d["member_id"])
        self.last_group_line[mid] = ev.ts
        sid = self._sid()
        if sid is None:
            return
        counted = self.airtime.setdefault((sid, self.phase or ""), {}).setdefault(mid, Airtime())
        counted.lines += 1
        counted.words += word_count(str(d.get("text", "")))
        if self.last_speaker.get(sid) != mid:
            counted.turns += 1
            self.last_speaker[sid] = mid

    def _on_journal_opened(self, ev: Event, d: dict[str, Any]) -> None:
        pid = int(d.get("prompt_id", ev.seq))
        fields = [str(f) for f in d.get("fields", [])] or [str(d.get("title", ""))]
        self.journal_prompts[pid] = JournalPrompt(pid, str(d.get("title", "")), fields, int(d.get("minutes", 0)), ev.ts, self._sid())

    def _on_journal_closed(self, ev: Event, d: dict[str, Any]) -> None:
        prompt = self.journal_prompts.get(int(d["prompt_id"]))
        if prompt is not None:
            prompt.closed = True

    def _entry(self, d: dict[str, Any], ts: float) -> JournalEntry:
        key = (int(d["prompt_id"]), int(d["member_id"]))
        entry = self.journal.get(key)
        if entry is None:
            entry = self.journal[key] = JournalEntry(key[0], key[1], [], False, ts)
        entry.answers = [str(a) for a in d.get("answers", entry.answers)]
        entry.ts = ts
        return entry

    def _on_journal_written(self, ev: Event, d: dict[str, Any]) -> None:
        entry = self._entry(d, ev.ts)
        entry.done = bool(d.get("done", False))

    def _on_journal_shared(self, ev: Event, d: dict[str, Any]) -> None:
        entry = self._entry(d, ev.ts)
        entry.done = bool(d.get("done", entry.done))
        entry.shared = str(d.get("to", "facilitators"))

    def _on_journal_progress(self, ev: Event, d: dict[str, Any]) -> None:
        prompt = self.journal_prompts.get(int(d["prompt_id"]))
        if prompt is not None:
            prompt.writing, prompt.done, prompt.of = int(d.get("writing", 0)), int(d.get("done", 0)), int(d.get("of", 0))

    def _on_goround_started(self, ev: Event, d: dict[str, Any]) -> None:
        rid = int(d.get("round_id", ev.seq))
        self.gorounds[rid] = GoRound(rid, str(d.get("question", "")), [int(m) for m in d.get("order", [])], int(d.get("turn_minutes", 0)), self._sid())

    def _on_goround_moved(self, ev: Event, d: dict[str, Any]) -> None:
        found = self.gorounds.get(int(d["round_id"]))
        if found is not None:
            found.outcomes[int(d["member_id"])] = str(d.get("how", "spoke"))
            found.index = int(d.get("index", found.index + 1))

    def _on_goround_ended(self, ev: Event, d: dict[str, Any]) -> None:
        found = self.gorounds.get(int(d["round_id"]))
        if found is not None:
            found.ended = True

    def _on_member_slowed(self, ev: Event, d: dict[str, Any]) -> None:
        seconds = int(d.get("seconds", 0))
        if seconds:
            self.slowed[int(d["member_id"])] = seconds
        else:
            self.slowed.pop(int(d["member_id"]), None)
