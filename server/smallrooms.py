"""Small rooms: the decisions of breakout rooms and role-play (issue 13).

Pure functions over the relay's full :class:`~protocol.state.GroupState`,
registered in :func:`server.rules.decide` (``HANDLERS``) and asked by the
relay for what it decides itself: :func:`due` (the "2 minutes left" line to
each room and the end of the round, at the times the relay scheduled) and
:func:`late_placement` (a member who connects during a round goes to the
smallest room unless the facilitator places people by hand). No I/O, no
clock: ``now`` is given; random assignment is seeded from the log's head, so
the same log decides the same rooms.

A room's lines carry the audience :data:`~protocol.roles.ROOM` with the room's
number as subject; every event that changes who is in a room carries the
room's whole member list, so whoever arrives knows who is there. Guests may be
placed in a room only in a family session.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from protocol.errors import ErrorCode, ProtocolError
from protocol.events import SEQ, Draft
from protocol.messages import ROOM_WARNING_MINUTES
from protocol.roles import EVERYONE, FACILITATOR, GUEST, MEMBER, MEMBERS, PARTICIPANT, ROOM
from protocol.smallrooms import MAIN_ROOM, Breakout, Scene
from protocol.state import GroupState

__all__ = ["HANDLERS", "due", "late_placement", "room_chat", "next_due", "family_session", "at_session_end"]

Handler = Callable[[GroupState, Any, dict[str, Any], float], list[Draft]]


def _fail(code: str, message: str) -> ProtocolError:
    return ProtocolError(code, message)


def family_session(state: GroupState) -> bool:
    """Whether the live session is a family session (guests may then be in rooms).
    The session's kind arrives with family sessions (protocol.sessionkind)."""
    return state.session is not None and str(getattr(state.session, "kind", "")) == "family"


def _open(state: GroupState, doing: str) -> Breakout:
    if state.breakout is None:
        raise _fail(ErrorCode.CONFLICT, f"No breakout rooms are open, so you cannot {doing}; open them first with /breakout.")
    return state.breakout


def _roomable(state: GroupState, member_id: int) -> bool:
    entry = state.roster.get(member_id)
    if entry is None or entry.removed:
        return False
    if entry.role == PARTICIPANT:
        return True
    return entry.role == GUEST and family_session(state) and state.visited(member_id)


# -- breakout rooms ------------------------------------------------------------------


def _breakout_open(state: GroupState, actor: Any, d: dict[str, Any], now: float) -> list[Draft]:
    if state.session is None:
        raise _fail(ErrorCode.CONFLICT, "No session is running, so you cannot open breakout rooms now; start one first.")
    if state.breakout is not None:
        raise _fail(ErrorCode.CONFLICT, "Breakout rooms are already open; recall them with /recall before opening new ones.")
    count, minutes, assign = d["rooms"], d["minutes"], d["assign"]
    present = sorted(e.member_id for e in state.roster.values() if e.status == "online" and _roomable(state, e.member_id))
    rooms: dict[int, list[int]] = {n: [] for n in range(1, count + 1)}
    if assign == "random":
        shuffled = list(present)
        random.Random(state.head_seq).shuffle(shuffled)
        for i, mid in enumerate(shuffled):
            rooms[i % count + 1].append(mid)
    elif assign == "kept":
        if not state.last_rooms:
            raise _fail(ErrorCode.CONFLICT, "This group has not used breakout rooms before, so there are no rooms to keep; assign at random or by hand.")
        rest = []
        for mid in present:
            kept = state.last_rooms.get(mid)
            if kept is not None and kept in rooms:
                rooms[kept].append(mid)
            else:
                rest.append(mid)
        for mid in rest:
            smallest = min(rooms, key=lambda n: (len(rooms[n]), n))
            rooms[smallest].append(mid)
    ends_at = now + minutes * 60
    prompt = d["prompt"].strip()
    opened = {"breakout_id": SEQ, "rooms": count, "minutes": minutes, "prompt": prompt, "ends_at": ends_at, "assign": assign}
    drafts = [Draft("breakout.opened", EVERYONE, opened)]
    for number, members in rooms.items():
        drafts.append(Draft("room.opened", ROOM, {"breakout_id": SEQ, "room": number, "members": sorted(members), "prompt": prompt}, subject=number))
    return drafts


def _move(state: GroupState, bo: Breakout, member_id: int, to: int) -> list[Draft]:
    """The events that take ``member_id`` from their room (if any) to room ``to`` (0: the main room)."""
    current = state.room_of(member_id)
    if current == to:
        return []
    drafts = []
    if current:
        left = [m for m in bo.rooms[current].members if m != member_id]
        drafts.append(Draft("room.left", ROOM, {"breakout_id": bo.breakout_id, "room": current, "member_id": member_id, "members": left, "to": to}, subject=current))
    if to:
        members = sorted([*bo.rooms[to].members, member_id])
        drafts.append(Draft("room.joined", ROOM, {"breakout_id": bo.breakout_id, "room": to, "member_id": member_id, "members": members, "from": current}, subject=to))
    return drafts


def _breakout_place(state: GroupState, actor: Any, d: dict[str, Any], now: float) -> list[Draft]:
    bo = _open(state, "place anyone")
    mid, to = d["member_id"], d["room"]
    entry = state.roster.get(mid)
    if entry is None or entry.removed:
        raise _fail(ErrorCode.NOT_FOUND, f"There is no member {mid} in this group; pick someone from the People pane.")
    if entry.role == FACILITATOR:
        raise _fail(ErrorCode.INVALID, f"{entry.name} is a facilitator; a facilitator joins a room with /room and its number.")
    if entry.role == GUEST and to and not _roomable(state, mid):
        raise _fail(ErrorCode.FORBIDDEN, f"{entry.name} is a guest, and guests join breakout rooms only in a family session they are in.")
    if to > bo.count:
        raise _fail(ErrorCode.NOT_FOUND, f"There is no room {to}; this round has {bo.count} rooms.")
    return _move(state, bo, mid, to)


def _breakout_visit(state: GroupState, actor: Any, d: dict[str, Any], now: float) -> list[Draft]:
    bo = _open(state, "join a room")
    to = d["room"]
    if to > bo.count:
        raise _fail(ErrorCode.NOT_FOUND, f"There is no room {to}; this round has {bo.count} rooms.")
    current = state.room_of(actor.member_id)
    if current == to:
        return []
    drafts = []
    if current:
        drafts.append(Draft("room.visited", ROOM, {"room": current, "member_id": actor.member_id, "left": True}, subject=current))
    if to:
        drafts.append(Draft("room.visited", ROOM, {"room": to, "member_id": actor.member_id, "left": False}, subject=to))
    return drafts


def _breakout_broadcast(state: GroupState, actor: Any, d: dict[str, Any], now: float) -> list[Draft]:
    bo = _open(state, "broadcast")
    return [Draft("breakout.broadcast", EVERYONE, {"breakout_id": bo.breakout_id, "text": d["text"].strip()})]


def _closing(bo: Breakout, reason: str) -> Draft:
    summaries = [
        {"room": room.number, "text": room.summary}
        for room in sorted(bo.rooms.values(), key=lambda r: r.number)
        if room.summary
    ]
    return Draft("breakout.closed", EVERYONE, {"breakout_id": bo.breakout_id, "reason": reason, "summaries": summaries})


def _breakout_recall(state: GroupState, actor: Any, d: dict[str, Any], now: float) -> list[Draft]:
    bo = _open(state, "recall them")
    return [_closing(bo, "recalled")]


def _breakout_summary(state: GroupState, actor: Any, d: dict[str, Any], now: float) -> list[Draft]:
    bo = _open(state, "write a room summary")
    room = state.room_of(actor.member_id)
    if not room:
        raise _fail(ErrorCode.CONFLICT, "You are in the main room, so there is no room summary to write; it is written inside a breakout room.")
    return [Draft("room.drafted", ROOM, {"breakout_id": bo.breakout_id, "room": room, "member_id": actor.member_id, "text": d["text"].strip()}, subject=room)]


def room_chat(state: GroupState, member_id: int, to: str) -> tuple[str, int] | None:
    """Where a group chat line goes while its writer is in a breakout room:
    (ROOM, the room's number); None for the main room and private lines."""
    if to != "group":
        return None
    room = state.room_of(member_id)
    return (ROOM, room) if room else None


# -- what the relay decides at its scheduled times ---------------------------------


def next_due(state: GroupState) -> float | None:
    """When the relay should next call :func:`due` (None: no round is open)."""
    bo = state.breakout
    if bo is None:
        return None
    warn_at = bo.ends_at - ROOM_WARNING_MINUTES * 60
    if bo.minutes > ROOM_WARNING_MINUTES and not all(r.warned for r in bo.rooms.values()):
        return warn_at
    return bo.ends_at


def due(state: GroupState, now: float) -> list[Draft]:
    """What is due at ``now``: one "2 minutes left" line to each room, then the end of the round."""
    bo = state.breakout
    if bo is None:
        return []
    if now >= bo.ends_at:
        return [_closing(bo, "time")]
    drafts = []
    if bo.minutes > ROOM_WARNING_MINUTES and now >= bo.ends_at - ROOM_WARNING_MINUTES * 60:
        for room in sorted(bo.rooms.values(), key=lambda r: r.number):
            if not room.warned:
                drafts.append(Draft("room.warned", ROOM, {"breakout_id": bo.breakout_id, "room": room.number, "minutes": ROOM_WARNING_MINUTES}, subject=room.number))
    return drafts


def late_placement(state: GroupState, member_id: int) -> list[Draft]:
    """A member who connects while rooms are open and was never placed goes to
    the smallest room, unless the facilitator is placing people by hand."""
    bo = state.breakout
    if bo is None or bo.assign == "hand" or member_id in bo.placed or not _roomable(state, member_id):
        return []
    return _move(state, bo, member_id, bo.smallest())


def at_session_end(state: GroupState) -> list[Draft]:
    """Ending the session ends every running scene (no debrief) and recalls the rooms."""
    drafts = []
    for scene in sorted(_live_scenes(state), key=lambda s: s.room):
        audience, subject = _scene_audience(state, scene.room)
        drafts.append(Draft("roleplay.ended", audience, {"scene_id": scene.scene_id, "room": scene.room, "debrief": []}, subject=subject))
    if state.breakout is not None:
        drafts.append(_closing(state.breakout, "recalled"))
    return drafts


# -- role-play -----------------------------------------------------------------------


def _scene_audience(state: GroupState, room: int) -> tuple[str, int | None]:
    if room and state.breakout is not None:
        return ROOM, room
    return EVERYONE, None


def _roleplay_start(state: GroupState, actor: Any, d: dict[str, Any], now: float) -> list[Draft]:
    if state.session is None:
        raise _fail(ErrorCode.CONFLICT, "No session is running, so you cannot start a role-play now; start one first.")
    roles = d["roles"]
    names = [r["name"].strip() for r in roles]
    if len({n.casefold() for n in names}) != len(names):
        raise _fail(ErrorCode.INVALID, "Two roles have the same name; give every role its own name.")
    if all(r["observer"] for r in roles):
        raise _fail(ErrorCode.INVALID, "Every role is an observer; a scene needs at least one role to play.")
    if d["in_rooms"]:
        bo = _open(state, "start a role-play in every room")
        places = {n: [m for m in r.members if _castable(state, m)] for n, r in bo.rooms.items()}
    else:
        room = MAIN_ROOM
        present = sorted(e.member_id for e in state.roster.values() if e.status == "online" and _castable(state, e.member_id) and not state.room_of(e.member_id))
        places = {room: present}
    by_hand = {c["member_id"]: c["role"] for c in d["cast"]}
    for mid, index in by_hand.items():
        if index >= len(roles):
            raise _fail(ErrorCode.INVALID, f"There is no role {index + 1}; this scene has {len(roles)} roles.")
        if not _castable(state, mid):
            raise _fail(ErrorCode.NOT_FOUND, f"Member {mid} cannot take a role here; pick a participant who is present.")
    drafts: list[Draft] = []
    for room, members in sorted(places.items()):
        if not members:
            continue
        cast = _cast(state, roles, members, by_hand)
        audience, subject = _scene_audience(state, room)
        public_roles = [{"name": r["name"].strip(), "observer": bool(r["observer"])} for r in roles]
        drafts.append(Draft("roleplay.started", audience, {
            "scene_id": SEQ, "room": room, "title": d["title"], "setting": d["setting"].strip(), "roles": public_roles,
            "cast": [{"member_id": mid, "role": roles[i]["name"].strip()} for mid, i in sorted(cast.items())],
        }, subject=subject))
        for mid, i in sorted(cast.items()):
            role = roles[i]
            card = {"scene_id": SEQ, "room": room, "member_id": mid, "role": role["name"].strip(), "cue": role["cue"].strip(),
                    "observer": bool(role["observer"]), "checklist": list(d["checklist"]) if role["observer"] else []}
            drafts.append(Draft("roleplay.cue", MEMBER, card, subject=mid))
    if not drafts:
        raise _fail(ErrorCode.CONFLICT, "No participant is present to take a role; wait for members to join.")
    return drafts


def _castable(state: GroupState, member_id: int) -> bool:
    """Role-play parts go to participants (roleplay.say, .note and .share are theirs)."""
    entry = state.roster.get(member_id)
    return entry is not None and entry.role == PARTICIPANT and not entry.removed


def _cast(state: GroupState, roles: list[dict[str, Any]], members: list[int], by_hand: dict[int, int]) -> dict[int, int]:
    """Member -> role index: the facilitator's choices, then every playing role
    filled once at random, then everyone else an observer (or a second player)."""
    cast = {mid: by_hand[mid] for mid in members if mid in by_hand}
    rest = [mid for mid in members if mid not in cast]
    random.Random(state.head_seq + len(members)).shuffle(rest)
    playing = [i for i, r in enumerate(roles) if not r["observer"] and i not in cast.values()]
    observing = [i for i, r in enumerate(roles) if r["observer"]]
    for mid in rest:
        if playing:
            cast[mid] = playing.pop(0)
        elif observing:
            cast[mid] = observing[0]
        else:
            cast[mid] = next(i for i, r in enumerate(roles) if not r["observer"])
    return cast


def _live_scenes(state: GroupState) -> list[Scene]:
    return [s for s in state.scenes.values() if not s.ended]


def _roleplay_end(state: GroupState, actor: Any, d: dict[str, Any], now: float) -> list[Draft]:
    scenes = _live_scenes(state)
    here = state.room_of(actor.member_id)
    # A facilitator in a room ends that room's scene; from the main room, every scene.
    chosen = [s for s in scenes if s.room == here] if here else scenes
    if not chosen:
        raise _fail(ErrorCode.CONFLICT, "No role-play is running, so there is nothing to end.")
    drafts = []
    for scene in sorted(chosen, key=lambda s: s.room):
        audience, subject = _scene_audience(state, scene.room)
        debrief = [q.strip() for q in d["debrief"]]
        drafts.append(Draft("roleplay.ended", audience, {"scene_id": scene.scene_id, "room": scene.room, "debrief": debrief}, subject=subject))
    return drafts


def _my_scene(state: GroupState, member_id: int, doing: str) -> Scene:
    scene = state.scenes.get(state.room_of(member_id))
    if scene is None or member_id not in scene.cast:
        raise _fail(ErrorCode.CONFLICT, f"You have no part in a role-play here, so you cannot {doing}.")
    return scene


def _roleplay_say(state: GroupState, actor: Any, d: dict[str, Any], now: float) -> list[Draft]:
    scene = _my_scene(state, actor.member_id, "speak in character")
    if scene.ended:
        raise _fail(ErrorCode.CONFLICT, "The scene has ended, so lines are no longer in character; write as yourself.")
    role = scene.playing(actor.member_id)
    if role is None:
        raise _fail(ErrorCode.CONFLICT, "You are an observer in this scene; write notes with /observe, or chat as yourself.")
    entry = state.roster.get(actor.member_id)
    if entry is not None and entry.muted:
        raise _fail(ErrorCode.FORBIDDEN, "A facilitator has muted you in the group chat; you can still write to the facilitators privately.")
    audience, subject = _scene_audience(state, scene.room)
    posted: dict[str, Any] = {"message_id": SEQ, "member_id": actor.member_id, "text": d["text"].strip(), "to": "group", "me": False, "as": role}
    if subject:
        posted["room"] = subject
    return [Draft("chat.posted", audience, posted, subject=subject)]


def _roleplay_note(state: GroupState, actor: Any, d: dict[str, Any], now: float) -> list[Draft]:
    scene = _my_scene(state, actor.member_id, "write observer notes")
    if actor.member_id not in scene.observers:
        raise _fail(ErrorCode.CONFLICT, "Only observers write notes on a scene; you are playing a role.")
    data = {"scene_id": scene.scene_id, "room": scene.room, "member_id": actor.member_id, "text": d["text"].strip()}
    return [Draft("roleplay.noted", MEMBER, data, subject=actor.member_id)]


def _roleplay_share(state: GroupState, actor: Any, d: dict[str, Any], now: float) -> list[Draft]:
    scene = _my_scene(state, actor.member_id, "share observer notes")
    notes = scene.notes.get(actor.member_id, [])
    if not notes:
        raise _fail(ErrorCode.CONFLICT, "You have written no observer notes to share; write one with /observe first.")
    if actor.member_id in scene.shared:
        raise _fail(ErrorCode.CONFLICT, "Your notes are already shared with the group.")
    audience, subject = _scene_audience(state, scene.room)
    if audience == EVERYONE and state.session is None:
        audience = MEMBERS
    data = {"scene_id": scene.scene_id, "room": scene.room, "member_id": actor.member_id, "notes": list(notes)}
    return [Draft("roleplay.shared", audience, data, subject=subject)]


HANDLERS: dict[str, Handler] = {
    "breakout.open": _breakout_open,
    "breakout.place": _breakout_place,
    "breakout.visit": _breakout_visit,
    "breakout.broadcast": _breakout_broadcast,
    "breakout.recall": _breakout_recall,
    "breakout.summary": _breakout_summary,
    "roleplay.start": _roleplay_start,
    "roleplay.end": _roleplay_end,
    "roleplay.say": _roleplay_say,
    "roleplay.note": _roleplay_note,
    "roleplay.share": _roleplay_share,
}
