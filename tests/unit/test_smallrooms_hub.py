"""Breakout rooms and role-play at the hub (issue 13): a real Hub on a real SQLite store, no socket.

The room audience is one more case of the one rule (:func:`protocol.roles.sees`):
a room's lines reach its members and the facilitators, live, on a replay
after a reconnect and in an export (:func:`protocol.state.visible_events`);
cue cards reach their holder; observer notes stay with the observer and the
facilitators until shared. The relay's clock says "2 minutes left" once per
room and ends the round, with one scheduled call each.
"""

from __future__ import annotations

import asyncio

import pytest

from protocol.codec import MAX_FRAME_BYTES
from protocol.messages import Limits
from protocol.roles import ROOM
from protocol.state import visible_events
from server.hub import Hub
from server.store import Store
from tests.support.hubpeer import Clock, MemoryPeer, acked, answer, connect, events, send, settle
from tests.support.wsclient import Seeded


@pytest.fixture
def hub(store: Store, clock: Clock):
    hub = Hub(store, Limits(MAX_FRAME_BYTES, 1000.0, 1000), presence_grace=0, clock=clock)
    yield hub
    hub.breakouts.close()


async def ok(peer: MemoryPeer, command_id: str) -> int | None:
    return (await acked(peer, command_id))["seq"]


async def refused(peer: MemoryPeer, command_id: str) -> dict:
    frame = await answer(peer, command_id)
    assert frame["kind"] == "error", frame
    return frame


def texts(peer: MemoryPeer) -> list[str]:
    return [f["data"].get("text", "") for f in events(peer, "chat.posted")]


async def breakout(hub, store, group, *, rooms: int = 2, minutes: int = 10, assign: str = "random"):
    dana = await connect(hub, store, group.facilitator)
    sam, alex, riley = [await connect(hub, store, c) for c in group.participants]
    await ok(dana, send(hub, dana, "session.start", {"title": "Week 4"}))
    await ok(dana, send(hub, dana, "breakout.open", {"rooms": rooms, "minutes": minutes, "prompt": "Name one trigger.", "assign": assign}))
    return dana, sam, alex, riley


def room_of(hub: Hub, group: Seeded, member_id: int) -> int:
    return hub.rooms[group.group_id].state.room_of(member_id)


async def test_a_room_line_reaches_its_room_and_the_facilitators_live_on_replay_and_in_an_export(hub, store, group):
    dana, sam, alex, riley = await breakout(hub, store, group)
    members = {p.name: p for p in (sam, alex, riley)}
    placed = {name: room_of(hub, group, p.member_id) for name, p in members.items()}
    assert sorted(placed.values()) in ([1, 1, 2], [1, 2, 2])
    speaker = members["Sam"]
    mates = [p for n, p in members.items() if n != "Sam" and placed[n] == placed["Sam"]]
    others = [p for n, p in members.items() if placed[n] != placed["Sam"]]
    assert others, placed
    await ok(speaker, send(hub, speaker, "chat.send", {"text": "SECRET-ROOM-LINE my trigger is payday"}))
    line = events(speaker, "chat.posted")[-1]
    assert (line["audience"], line["subject"], line["data"]["room"]) == (ROOM, placed["Sam"], placed["Sam"])
    assert "SECRET-ROOM-LINE my trigger is payday" in texts(dana)
    for mate in mates:
        assert "SECRET-ROOM-LINE my trigger is payday" in texts(mate)
    for other in others:
        assert "SECRET-ROOM-LINE my trigger is payday" not in texts(other)
        assert not [f for f in events(other) if f["audience"] == ROOM and f["subject"] != placed[other.name]]
    # Every member learns the prompt and who is in their own room, not the other room.
    for name, peer in members.items():
        opened = events(peer, "room.opened")
        assert [f["data"]["room"] for f in opened] == [placed[name]]
        assert opened[0]["data"]["prompt"] == "Name one trigger."
    # Recall: back to the main room; then a reconnect replays the same (and a fresh one too).
    await ok(dana, send(hub, dana, "breakout.recall"))
    log = list(store.iter_events(group.group_id))
    for peer in (*others, *mates, speaker):
        peer.close(1000, "bye")
    await settle()
    for cred in group.participants:
        again = await connect(hub, store, cred)
        entitled = [e.seq for e in visible_events(log, cred.role, cred.member_id)]
        got = [f["seq"] for f in events(again)]
        assert got[: len(entitled)] == entitled
        leaked = "SECRET-ROOM-LINE my trigger is payday" in texts(again)
        assert leaked == (placed[cred.name] == placed["Sam"]), cred.name
    export = [e.data.get("text") for e in visible_events(log, "participant", others[0].member_id)]
    assert "SECRET-ROOM-LINE my trigger is payday" not in export
    assert "SECRET-ROOM-LINE my trigger is payday" in [e.data.get("text") for e in visible_events(log, "facilitator", group.facilitator.member_id)]


async def test_a_facilitator_joins_a_room_announced_speaks_in_it_and_broadcasts_to_all(hub, store, group):
    dana, sam, alex, riley = await breakout(hub, store, group, rooms=3)
    await ok(dana, send(hub, dana, "breakout.visit", {"room": room_of(hub, group, sam.member_id)}))
    assert events(sam, "room.visited")[-1]["data"]["member_id"] == dana.member_id
    assert not [p for p in (alex, riley) if events(p, "room.visited")]
    await ok(dana, send(hub, dana, "chat.send", {"text": "Dana in the room"}))
    assert "Dana in the room" in texts(sam)
    assert "Dana in the room" not in texts(alex) and "Dana in the room" not in texts(riley)
    await ok(dana, send(hub, dana, "breakout.broadcast", {"text": "Five minutes of quiet writing now."}))
    for p in (sam, alex, riley):
        assert events(p, "breakout.broadcast")[-1]["data"]["text"] == "Five minutes of quiet writing now."


async def test_two_minutes_left_once_per_room_then_the_round_ends_with_its_summaries(hub, store, group, clock):
    dana, sam, _alex, _riley = await breakout(hub, store, group, minutes=5)
    mine = room_of(hub, group, sam.member_id)
    await ok(sam, send(hub, sam, "breakout.summary", {"text": "We named payday and Sundays."}))
    assert events(dana, "room.drafted")[-1]["data"]["text"] == "We named payday and Sundays."  # the facilitator sees drafts
    clock.now += 3 * 60 + 1
    hub.breakouts.ensure(hub.rooms[group.group_id])
    for _ in range(50):
        await asyncio.sleep(0.01)
        if events(dana, "room.warned"):
            break
    warned = events(dana, "room.warned")
    assert sorted(f["data"]["room"] for f in warned) == [1, 2]
    assert [f["data"]["room"] for f in events(sam, "room.warned")] == [mine]
    clock.now += 2 * 60
    hub.breakouts.ensure(hub.rooms[group.group_id])
    for _ in range(50):
        await asyncio.sleep(0.01)
        if events(sam, "breakout.closed"):
            break
    closed = events(sam, "breakout.closed")[-1]["data"]
    assert closed["reason"] == "time"
    assert {"room": mine, "text": "We named payday and Sundays."} in closed["summaries"]
    assert len(events(dana, "room.warned")) == 2  # said once per room, never again
    assert hub.rooms[group.group_id].state.breakout is None


async def test_a_reconnecting_member_returns_to_their_room_and_a_late_one_goes_to_the_smallest(hub, store, group):
    dana = await connect(hub, store, group.facilitator)
    sam, alex = [await connect(hub, store, c) for c in group.participants[:2]]
    await ok(dana, send(hub, dana, "session.start", {"title": "Week 4"}))
    await ok(dana, send(hub, dana, "breakout.open", {"rooms": 3, "minutes": 10, "prompt": "", "assign": "random"}))
    before = room_of(hub, group, sam.member_id)
    sam.close(1000, "blip")
    await settle()
    sam2 = await connect(hub, store, group.participants[0])
    assert room_of(hub, group, sam.member_id) == before
    assert [f["data"]["room"] for f in events(sam2, "room.opened")] == [before]
    riley = await connect(hub, store, group.participants[2])
    empty = ({1, 2, 3} - {before, room_of(hub, group, alex.member_id)}).pop()
    assert room_of(hub, group, riley.member_id) == empty
    assert events(riley, "room.joined")[-1]["data"]["members"] == [riley.member_id]


async def test_by_hand_and_kept_from_last_time(hub, store, group):
    dana, sam, alex, riley = await breakout(hub, store, group, assign="hand")
    assert all(room_of(hub, group, p.member_id) == 0 for p in (sam, alex, riley))
    await ok(dana, send(hub, dana, "breakout.place", {"member_id": sam.member_id, "room": 2}))
    await ok(dana, send(hub, dana, "breakout.place", {"member_id": alex.member_id, "room": 2}))
    await ok(dana, send(hub, dana, "breakout.place", {"member_id": riley.member_id, "room": 1}))
    await ok(dana, send(hub, dana, "breakout.place", {"member_id": alex.member_id, "room": 1}))
    assert events(sam, "room.left")[-1]["data"]["member_id"] == alex.member_id
    assert (room_of(hub, group, sam.member_id), room_of(hub, group, alex.member_id)) == (2, 1)
    await ok(dana, send(hub, dana, "breakout.recall"))
    await ok(dana, send(hub, dana, "breakout.open", {"rooms": 2, "minutes": 10, "prompt": "", "assign": "kept"}))
    assert [room_of(hub, group, p.member_id) for p in (sam, alex, riley)] == [2, 1, 1]


async def test_a_guest_is_put_in_a_room_only_in_a_family_session(hub, store, group):
    dana, _sam, _alex, _riley = await breakout(hub, store, group)
    jo = await connect(hub, store, group.guest)
    assert room_of(hub, group, jo.member_id) == 0
    err = await refused(dana, send(hub, dana, "breakout.place", {"member_id": jo.member_id, "room": 1}))
    assert err["code"] == "forbidden" and "family session" in err["message"]


async def test_role_play_cue_cards_are_private_lines_in_character_are_marked_and_notes_stay_until_shared(hub, store, group):
    dana = await connect(hub, store, group.facilitator)
    sam, alex, riley = [await connect(hub, store, c) for c in group.participants]
    await ok(dana, send(hub, dana, "session.start", {"title": "Week 4"}))
    roles = [
        {"name": "the member asking for a raise", "cue": "SECRET-CUE-ASKER you rehearsed this"},
        {"name": "the manager", "cue": "SECRET-CUE-MANAGER budgets are tight"},
        {"name": "the observer", "observer": True},
    ]
    cast = [{"member_id": sam.member_id, "role": 1}, {"member_id": riley.member_id, "role": 2}]
    await ok(dana, send(hub, dana, "roleplay.start", {"title": "Asking for a raise", "setting": "A small office.", "roles": roles, "checklist": ["eye contact", "a clear ask"], "cast": cast}))
    started = events(alex, "roleplay.started")[-1]["data"]
    assert {c["member_id"]: c["role"] for c in started["cast"]} == {sam.member_id: "the manager", riley.member_id: "the observer", alex.member_id: "the member asking for a raise"}
    cues = {p.name: [f["data"] for f in events(p, "roleplay.cue")] for p in (sam, alex, riley)}
    assert [c["cue"] for c in cues["Sam"]] == ["SECRET-CUE-MANAGER budgets are tight"]
    assert [c["cue"] for c in cues["Alex"]] == ["SECRET-CUE-ASKER you rehearsed this"]
    assert cues["Riley"][0]["observer"] and cues["Riley"][0]["checklist"] == ["eye contact", "a clear ask"]
    assert len(events(dana, "roleplay.cue")) == 3
    await ok(sam, send(hub, sam, "roleplay.say", {"text": "What can I do for you?"}))
    said = events(alex, "chat.posted")[-1]["data"]
    assert (said["as"], said["text"]) == ("the manager", "What can I do for you?")
    await ok(riley, send(hub, riley, "roleplay.note", {"text": "SECRET-NOTE Sam crossed his arms"}))
    assert not [p for p in (sam, alex) if events(p, "roleplay.noted")]
    assert events(dana, "roleplay.noted")[-1]["data"]["text"] == "SECRET-NOTE Sam crossed his arms"
    err = await refused(riley, send(hub, riley, "roleplay.say", {"text": "in character?"}))
    assert "observer" in err["message"]
    await ok(dana, send(hub, dana, "roleplay.end", {"debrief": ["What did the asker do well?"]}))
    assert events(sam, "roleplay.ended")[-1]["data"]["debrief"] == ["What did the asker do well?"]
    await ok(riley, send(hub, riley, "roleplay.share"))
    assert events(sam, "roleplay.shared")[-1]["data"]["notes"] == ["SECRET-NOTE Sam crossed his arms"]


async def test_role_play_inside_rooms_stays_inside_each_room(hub, store, group):
    dana, sam, alex, riley = await breakout(hub, store, group)
    roles = [{"name": "the asker", "cue": "SECRET-CUE-A"}, {"name": "the manager", "cue": "SECRET-CUE-M"}]
    await ok(dana, send(hub, dana, "roleplay.start", {"title": "Raise", "roles": roles, "in_rooms": True}))
    state = hub.rooms[group.group_id].state
    assert sorted(state.scenes) == [1, 2]
    for p in (sam, alex, riley):
        scenes = events(p, "roleplay.started")
        assert [f["data"]["room"] for f in scenes] == [room_of(hub, group, p.member_id)]
        assert len(events(p, "roleplay.cue")) == 1
    await ok(sam, send(hub, sam, "roleplay.say", {"text": "in my room only"}))
    mine = room_of(hub, group, sam.member_id)
    for p in (alex, riley):
        assert ("in my room only" in texts(p)) == (room_of(hub, group, p.member_id) == mine)


async def test_ending_the_session_ends_the_scene_and_recalls_the_rooms(hub, store, group):
    dana, sam, _alex, _riley = await breakout(hub, store, group)
    roles = [{"name": "the asker"}, {"name": "the manager"}]
    await ok(dana, send(hub, dana, "roleplay.start", {"title": "Raise", "roles": roles, "in_rooms": True}))
    await ok(dana, send(hub, dana, "session.end", {"summary": "Thanks"}))
    state = hub.rooms[group.group_id].state
    assert state.breakout is None and state.scene_for(sam.member_id) is None
    assert [f["type"] for f in events(sam)][-3:] == ["roleplay.ended", "breakout.closed", "session.ended"]


async def test_after_a_relay_restart_the_round_still_ends_on_time(store, group, clock):
    first = Hub(store, Limits(MAX_FRAME_BYTES, 1000.0, 1000), presence_grace=0, clock=clock)
    dana, sam, _alex, _riley = await breakout(first, store, group, minutes=5)
    for peer in (dana, sam, _alex, _riley):
        peer.close(1000, "relay stopping")
    await settle()
    first.close()
    # A new relay process on the same store, after the round's end: the first member to
    # connect gets the round's call scheduled again, and the round ends (no tick ran meanwhile).
    clock.now += 6 * 60
    second = Hub(store, Limits(MAX_FRAME_BYTES, 1000.0, 1000), presence_grace=0, clock=clock)
    try:
        sam2 = await connect(second, store, group.participants[0])
        for _ in range(50):
            if events(sam2, "breakout.closed"):
                break
            await asyncio.sleep(0.01)
        assert events(sam2, "breakout.closed")[-1]["data"]["reason"] == "time"
        assert second.rooms[group.group_id].state.breakout is None
    finally:
        second.breakouts.close()
