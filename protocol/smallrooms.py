"""Small rooms: what a reader knows of breakout rooms and role-play scenes.

Pure data, folded by :class:`protocol.state.GroupState` from the log's
``breakout.*``, ``room.*`` and ``roleplay.*`` events (docs/protocol.md,
"Breakout rooms and role-play"). A member's state holds only what reached
them: the breakout's size, prompt and end time, their own room's people and
summary draft, the scenes they could see and their own cue card. A
facilitator's state holds every room.

Room numbers count from 1; room 0 is the main room (the whole group).
Nothing here performs I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["BreakoutRoom", "Breakout", "SceneRole", "Cue", "Scene", "MAIN_ROOM"]

#: The whole group, outside any breakout room.
MAIN_ROOM = 0


@dataclass
class BreakoutRoom:
    """One breakout room, as this reader knows it."""

    number: int
    members: list[int] = field(default_factory=list)  # participants and guests placed in it
    visitors: list[int] = field(default_factory=list)  # facilitators who joined it
    summary: str = ""  # the latest draft of its shared summary
    summary_by: int | None = None
    warned: bool = False  # "2 minutes left" was said


@dataclass
class Breakout:
    """A round of breakout rooms (``breakout_id`` is the seq of its ``breakout.opened``)."""

    breakout_id: int
    count: int
    minutes: int
    prompt: str
    assign: str  # random | hand | kept
    opened_at: float
    ends_at: float
    rooms: dict[int, BreakoutRoom] = field(default_factory=dict)
    placed: set[int] = field(default_factory=set)  # everyone ever put in a room of this round

    def smallest(self) -> int:
        """The room with the fewest members (the lowest number among equals)."""
        return min(self.rooms.values(), key=lambda r: (len(r.members), r.number)).number


@dataclass(frozen=True)
class SceneRole:
    name: str
    observer: bool = False


@dataclass(frozen=True)
class Cue:
    """One member's private card: their role, its cue and, for observers, the checklist."""

    role: str
    cue: str
    observer: bool
    checklist: tuple[str, ...] = ()


@dataclass
class Scene:
    """A role-play in one room (``room`` 0: the main room)."""

    scene_id: int
    room: int
    title: str
    setting: str
    roles: list[SceneRole]
    cast: dict[int, str] = field(default_factory=dict)  # member id -> role name (public)
    observers: set[int] = field(default_factory=set)
    cues: dict[int, Cue] = field(default_factory=dict)  # the cards this reader may see
    notes: dict[int, list[str]] = field(default_factory=dict)  # observer -> notes this reader may see
    shared: dict[int, list[str]] = field(default_factory=dict)  # observer -> notes shared with the group
    debrief: list[str] = field(default_factory=list)
    ended: bool = False

    def playing(self, member_id: int) -> str | None:
        """The role ``member_id`` plays in character (None for observers and the uncast)."""
        if member_id in self.observers:
            return None
        return self.cast.get(member_id)
