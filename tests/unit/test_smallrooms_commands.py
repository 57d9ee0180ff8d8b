"""Small rooms in the one command interpreter and in the rules (issue 13), without a socket.

Typed lines become the protocol commands of breakout rooms and role-play, with
one sentence for each mistake; /in ... /out speaks in character; a guest joins
a room only in a family session, and then reads that room's lines through the
one audience rule.
"""

from __future__ import annotations

import pytest

from iop_tui.core import words
from iop_tui.core.plan import DEMO_PLAN, load_plan
from protocol.roles import ROOM, sees
from tests.support.commandroom import Room, sends
from tests.unit.test_model import DANA, JO, SAM, ALEX
from tests.unit.test_model import Room as Rules

pytestmark = pytest.mark.unit


def test_a_facilitator_opens_places_visits_broadcasts_and_recalls_by_typing(dana: Room) -> None:
    assert sends(dana("/breakout 3 10 kept Name one trigger")) == [("breakout.open", {"rooms": 3, "minutes": 10, "prompt": "Name one trigger", "assign": "kept"})]
    assert sends(dana("/breakout 2 8")) == [("breakout.open", {"rooms": 2, "minutes": 8, "prompt": "", "assign": "random"})]
    assert dana("/breakout 2").refusal == words.BREAKOUT_USAGE
    assert dana("/place Sam 2").refusal == words.NO_BREAKOUT
    dana.event("breakout.opened", {"breakout_id": 9, "rooms": 2, "minutes": 8, "prompt": "", "ends_at": 2000.0, "assign": "hand"})
    assert sends(dana("/place sam 2")) == [("breakout.place", {"member_id": 2, "room": 2})]
    assert sends(dana("/place Zoë 李 main")) == [("breakout.place", {"member_id": 3, "room": 0})]
    assert dana("/place Sam 7").refusal == words.choose_range_text("a room", 2)
    assert dana("/place Nobody 1").refusal == words.no_member_text("Nobody")
    assert sends(dana("/room 1")) == [("breakout.visit", {"room": 1})]
    assert sends(dana("/room main")) == [("breakout.visit", {"room": 0})]
    assert sends(dana("/broadcast Two minutes")) == [("breakout.broadcast", {"text": "Two minutes"})]
    assert sends(dana("/recall")) == [("breakout.recall", {})]
    assert dana("/rooms").local == "lines"


def test_a_member_cannot_run_the_rooms_and_hears_where_they_are(sam: Room) -> None:
    assert sam("/breakout 2 8").refusal == words.forbidden_text("participant", "breakout.open")
    assert sam("/recall").refusal == words.forbidden_text("participant", "breakout.recall")
    assert sam("/rooms").arg == [words.NO_BREAKOUT]
    sam.event("breakout.opened", {"breakout_id": 9, "rooms": 2, "minutes": 8, "prompt": "One trigger.", "ends_at": 2000.0, "assign": "random"})
    sam.event("room.opened", {"breakout_id": 9, "room": 2, "members": [2, 4], "prompt": "One trigger."})
    lines = sam("/room").arg
    assert lines[0].startswith("Room 2 of 2, with Samira, until") and lines[1] == "Prompt: One trigger."
    assert sends(sam("/summary We named paydays")) == [("breakout.summary", {"text": "We named paydays"})]
    assert sends(sam("in the room")) == [("chat.send", {"text": "in the room", "to": "group"})]


def test_role_play_from_the_plan_in_character_and_out(dana: Room, sam: Room) -> None:
    plan = load_plan(DEMO_PLAN)
    out = interpret_with_plan(dana, "/roleplay plan 1 Sam=2 rooms", plan)
    ((kind, data),) = sends(out)
    assert kind == "roleplay.start" and data["in_rooms"] and data["cast"] == [{"member_id": 2, "role": 1}]
    assert [r["name"] for r in data["roles"]] == ["the member asking for a raise", "the manager", "the observer"]
    assert interpret_with_plan(dana, "/roleplay plan 1 Sam=9", plan).refusal == words.choose_range_text("a role", 3)
    assert sam("/in").refusal == words.NO_PART
    sam.event("roleplay.started", {"scene_id": 20, "room": 0, "title": "Raise", "setting": "", "roles": [{"name": "the manager", "observer": False}, {"name": "the observer", "observer": True}],
                                   "cast": [{"member_id": 2, "role": "the manager"}, {"member_id": 4, "role": "the observer"}]})
    assert sam("/in").arg == [words.in_role_text("the manager")]
    assert sends(sam("What can I do for you?")) == [("roleplay.say", {"text": "What can I do for you?"})]
    assert sends(sam("/dm a private line stays private")) == [("chat.send", {"text": "a private line stays private", "to": "facilitators"})]
    assert sam("/out").arg == [words.IN_ROLE_OFF]
    assert sends(sam("myself again")) == [("chat.send", {"text": "myself again", "to": "group"})]
    sam("/in")
    sam.event("roleplay.ended", {"scene_id": 20, "room": 0, "debrief": ["What went well?"]})
    assert sends(sam("after the scene")) == [("chat.send", {"text": "after the scene", "to": "group"})]  # out of role by itself


def interpret_with_plan(room: Room, line: str, plan):
    from iop_tui.core.commands import Context, interpret

    return interpret(line, Context(room.model, plan=plan, memory=room.memory))


def test_a_guest_joins_a_room_only_in_a_family_session_and_then_reads_its_lines() -> None:
    rules = Rules()
    for who in (SAM, ALEX, JO):
        rules.state.update_member({"id": who.member_id}, status="online")
    rules.start()
    rules.do(DANA, "breakout.open", {"rooms": 1, "minutes": 10, "assign": "hand"})
    assert rules.refuse(DANA, "breakout.place", {"member_id": JO.member_id, "room": 1}).code == "forbidden"
    # A family session (the session's kind arrives with family sessions, protocol.sessionkind):
    family = Rules()
    for who in (SAM, JO):
        family.state.update_member({"id": who.member_id}, status="online")
    family.start()
    family.state.session.kind = "family"  # type: ignore[union-attr]
    family.do(DANA, "chat.send", {"text": "before"})
    from protocol.events import Event

    arrived = Event(family.state.head_seq + 1, "guest.arrived", 0.0, 0, "", "member", JO.member_id, {"member_id": JO.member_id})
    family.state.apply(arrived)
    family.log.append(arrived)
    opened = family.do(DANA, "breakout.open", {"rooms": 1, "minutes": 10})
    assert sorted(opened[1].data["members"]) == [SAM.member_id, JO.member_id]
    (line,) = family.do(SAM, "chat.send", {"text": "in the family room"})
    assert (line.audience, line.subject) == (ROOM, 1)
    visits = family.state.visits[JO.member_id]
    assert sees("guest", JO.member_id, line.audience, line.subject, line.seq, line.type, visits, family.state.stays[JO.member_id])
    assert not sees("guest", JO.member_id, line.audience, line.subject, line.seq, line.type, visits, [])


def test_too_many_rooms_or_minutes_is_refused_in_words_before_sending(dana: Room) -> None:
    """Not the wire's "Field rooms must be between 1 and 12": the sentence says what to type."""
    assert dana("/breakout 99 5 random x").refusal == words.choose_range_text("a number of rooms", 12)
    assert dana("/breakout 2 500 random x").refusal == words.choose_range_text("a number of minutes", 120)
