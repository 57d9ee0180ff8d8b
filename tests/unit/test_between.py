"""Between sessions, at the hub (no socket): attendance from presence, the family
session's waiting room, personal homework and the peer space.

A real Hub on a real SQLite store with a clock the test moves; members are
:class:`tests.support.hubpeer.MemoryPeer` connections.
"""

from __future__ import annotations

import pytest

from protocol.attendance import LATE_AFTER, Stretch, summarize
from protocol.codec import MAX_FRAME_BYTES
from protocol.family import first_name, guest_roster, invited_session
from protocol.messages import Limits
from protocol.state import SessionInfo
from server.hub import Hub
from server.store import Store
from tests.support.hubpeer import Clock, answer, connect, events, send, settle
from tests.support.hubpeer import acked as ok
from tests.support.wsclient import Cred, Seeded


@pytest.fixture
def hub(store: Store, clock: Clock):
    return Hub(store, Limits(MAX_FRAME_BYTES, 1000.0, 1000), clock=clock, presence_grace=30.0)


# -- the attendance rule (pure) ------------------------------------------------------------


def test_attendance_merges_reconnects_within_the_grace_clips_to_the_session_and_marks_late():
    start, end = 1000.0, 1000.0 + 3600
    members = {1: ("Sam", "participant"), 2: ("Alex", "participant"), 3: ("Riley", "participant")}
    stretches = [
        Stretch(1, start - 600, start + 1200),  # early: counted from the start
        Stretch(1, start + 1220, None),  # back 20 s later: one stretch, to the end
        Stretch(2, start + LATE_AFTER + 120, start + 1800),  # late by 7 minutes
        Stretch(2, start + 2400, start + 3000),  # a second stretch after a long gap
    ]
    rows = {r.name: r for r in summarize(start, end, stretches, members, grace=30.0, expected=[1, 2, 3])}
    assert (rows["Sam"].joined, rows["Sam"].left, rows["Sam"].minutes, rows["Sam"].late) == (start, end, 60, False)
    assert rows["Alex"].late_minutes == 7 and rows["Alex"].minutes == 23 + 10
    assert rows["Riley"].absent and rows["Riley"].minutes == 0
    assert [r.name for r in summarize(start, end, stretches, members, expected=[1, 2, 3])][-1] == "Riley"  # absent last


def test_an_invitation_is_for_the_running_family_session_or_the_next_one():
    group = SessionInfo(5, "Week 1", 0.0, kind="group")
    family = SessionInfo(9, "Family", 0.0, kind="family")
    assert invited_session([group], 3) is None  # not started yet
    assert invited_session([group, family], 3) is family  # the next family session
    assert invited_session([group, family], 12) is family  # running when invited
    family.ended_seq = 20
    assert invited_session([group, family], 25) is None  # ended before: the next one, not yet started
    assert first_name("Ana María López") == "Ana"
    assert guest_roster([{"id": 1, "name": "Dana Reyes", "role": "facilitator", "status": "online"},
                         {"id": 2, "name": "Sam", "role": "participant", "status": "offline"}]) == [
        {"id": 1, "name": "Dana", "role": "facilitator", "status": "online"}]


# -- attendance at the hub -------------------------------------------------------------------


async def test_attendance_is_recorded_at_the_end_for_the_facilitators_only(hub, store, group, clock):
    dana = await connect(hub, store, group.facilitator)
    sam = await connect(hub, store, group.participants[0])
    await ok(dana, send(hub, dana, "session.start", {"title": "Week 3"}))
    clock.now += 600  # Alex comes 10 minutes late
    alex = await connect(hub, store, group.participants[1])
    clock.now += 600
    sam.lost = True  # Sam's link breaks and comes back within the grace: one stretch
    sam.close(1006, "cut")
    await settle()
    clock.now += 10
    sam = await connect(hub, store, group.participants[0])
    clock.now += 1790
    await ok(dana, send(hub, dana, "session.end", {"summary": "Thanks"}))
    (recorded,) = events(dana, "attendance.recorded")
    rows = {r["name"]: r for r in recorded["data"]["rows"]}
    assert rows["Sam"]["minutes"] == 50 and rows["Sam"]["late_minutes"] == 0
    assert rows["Alex"]["minutes"] == 40 and rows["Alex"]["late_minutes"] == 10
    assert rows["Riley"]["joined"] is None  # absent
    assert recorded["audience"] == "facilitators"
    for member in (sam, alex):
        assert events(member, "attendance.recorded") == []
    assert [s.member_id for s in store.stretches(group.group_id, recorded["data"]["session_id"]) if s.left is None] == []


async def test_a_member_who_does_not_come_back_within_the_grace_counts_until_the_link_broke(hub, store, group, clock):
    dana = await connect(hub, store, group.facilitator)
    sam = await connect(hub, store, group.participants[0])
    await ok(dana, send(hub, dana, "session.start", {"title": "Week 3"}))
    clock.now += 1200
    sam.lost = True
    sam.close(1006, "cut")
    await settle()
    clock.now += 600  # long past the grace
    hub._gone(hub.rooms[group.group_id], sam)  # what the grace timer does
    await ok(dana, send(hub, dana, "session.end", {"summary": ""}))
    rows = {r["name"]: r for r in events(dana, "attendance.recorded")[0]["data"]["rows"]}
    assert rows["Sam"]["minutes"] == 20


# -- the family session's waiting room ----------------------------------------------------------


def invite(store: Store, group: Seeded, name: str = "Ana María") -> Cred:
    mid, token = store.add_member(group.group_id, name, "guest")
    store.invite_guest(mid, store.head_seq(group.group_id))
    return Cred(mid, name, "guest", token)


async def test_an_invited_guest_waits_until_a_facilitator_lets_them_in_and_their_invitation_ends_with_the_session(hub, store, group):
    dana = await connect(hub, store, group.facilitator)
    sam = await connect(hub, store, group.participants[0])
    await ok(sam, send(hub, sam, "chat.send", {"text": "said between sessions"}))
    ana = invite(store, group)
    guest = await connect(hub, store, ana)  # before the session: waits, sees nothing
    await ok(dana, send(hub, dana, "session.start", {"title": "Week 3 group"}))  # a group session: not hers
    assert events(dana, "guest.waiting") == []
    refused = await answer(dana, send(hub, dana, "guest.admit", {"member_id": ana.member_id}))
    assert refused["kind"] == "error" and "family sessions only" in refused["message"]
    await ok(dana, send(hub, dana, "session.end", {"summary": ""}))
    await ok(dana, send(hub, dana, "session.start", {"title": "Family evening", "kind": "family"}))
    await ok(dana, send(hub, dana, "deck.load", {"markdown": "# Welcome\n\nHello families."}))
    await ok(sam, send(hub, sam, "chat.send", {"text": "said before Ana was let in"}))
    (waiting,) = events(dana, "guest.waiting")
    assert waiting["data"]["member_id"] == ana.member_id and waiting["audience"] == "facilitators"
    assert events(guest) == []  # the waiting room shows nothing of the group
    await ok(dana, send(hub, dana, "guest.admit", {"member_id": ana.member_id}))
    await settle()
    got = [f["type"] for f in events(guest)]
    assert {"session.started", "deck.loaded", "guest.arrived"} <= set(got)
    assert "chat.posted" not in got and "homework.assigned" not in got
    assert [f["seq"] for f in events(guest)] == sorted({f["seq"] for f in events(guest)})  # each once, in order
    await ok(sam, send(hub, sam, "chat.send", {"text": "welcome Ana"}))
    assert [f["data"]["text"] for f in events(guest, "chat.posted")] == ["welcome Ana"]
    # first names of those present only
    assert {p["member"]["name"] for p in guest.of_kind("presence")} <= {"Dana", "Sam"}
    await ok(dana, send(hub, dana, "session.end", {"summary": "Thank you all"}))
    await settle()
    assert guest.closed is not None and guest.closed[0] == 4003 and "family session has ended" in guest.closed[1]
    member = store.member(ana.member_id)
    assert member is not None and member.revoked  # the token ends with the session


async def test_personal_homework_reaches_only_its_members_and_the_facilitators(hub, store, group):
    dana = await connect(hub, store, group.facilitator)
    sam = await connect(hub, store, group.participants[0])
    alex = await connect(hub, store, group.participants[1])
    hw = {"title": "Call your sponsor", "homework_kind": "text", "due": "2099-01-31", "to": [group.participants[0].member_id]}
    await ok(dana, send(hub, dana, "homework.assign", hw))
    (mine,) = events(sam, "homework.assigned")
    assert events(alex, "homework.assigned") == []
    assert len(events(dana, "homework.assigned")) == 1
    refused = await answer(alex, send(hub, alex, "homework.submit", {"homework_id": mine["data"]["homework_id"], "text": "me too"}))
    assert refused["kind"] == "error" and refused["code"] == "not_found"
    await ok(sam, send(hub, sam, "homework.submit", {"homework_id": mine["data"]["homework_id"], "text": "called"}))
    state = hub.rooms[group.group_id].state
    homework = state.homework[mine["data"]["homework_id"]]
    assert state.assignees(homework) == [group.participants[0].member_id]
    assert state.completion(homework) == (1, 1)


async def test_the_peer_space_is_for_members_between_sessions(hub, store, group):
    dana = await connect(hub, store, group.facilitator)
    sam = await connect(hub, store, group.participants[0])
    jo = await connect(hub, store, group.guest)
    await ok(sam, send(hub, sam, "feed.post", {"text": "Went for a walk every day."}))
    await ok(dana, send(hub, dana, "resource.pin", {"title": "Crisis line", "link": "https://988lifeline.org", "text": "Call or text 988."}))
    assert [f["data"]["text"] for f in events(dana, "feed.posted")] == ["Went for a walk every day."]
    assert events(sam, "resource.pinned")[0]["data"]["link"] == "https://988lifeline.org"
    assert events(jo) == []  # guests never see the group between sessions
    await ok(dana, send(hub, dana, "session.start", {"title": "Week 4"}))
    refused = await answer(sam, send(hub, sam, "feed.post", {"text": "in session"}))
    assert refused["kind"] == "error" and "between sessions" in refused["message"]


async def test_a_guest_reads_people_by_first_name_live_on_replay_and_in_an_export(hub, store, group):
    from server.export import member_export

    mid, token = store.add_member(group.group_id, "Morgan Lee-Hart", "participant")
    morgan_cred = Cred(mid, "Morgan Lee-Hart", "participant", token)
    dana = await connect(hub, store, group.facilitator)
    morgan = await connect(hub, store, morgan_cred)
    await ok(dana, send(hub, dana, "session.start", {"title": "Week 3"}))
    await ok(morgan, send(hub, morgan, "chat.send", {"text": "before Jo came"}))
    await ok(morgan, send(hub, morgan, "hand.raise"))
    jo = await connect(hub, store, group.guest)  # replayed: the hand raised before Jo came
    poll = (await ok(dana, send(hub, dana, "poll.open", {"question": "Ready?", "poll_kind": "single", "options": ["Yes", "No"], "anonymous": False})))["seq"]
    await ok(morgan, send(hub, morgan, "poll.vote", {"poll_id": poll, "choices": [0]}))
    await ok(morgan, send(hub, morgan, "chat.send", {"text": "hello Jo"}))
    await ok(dana, send(hub, dana, "poll.reveal", {"poll_id": poll}))
    frames = [f for f in jo.frames if f.get("kind") in ("event", "welcome", "presence")]
    assert "Lee-Hart" not in repr(frames)
    assert [f["actor_name"] for f in events(jo, "chat.posted")] == ["Morgan"]
    assert events(jo, "hand.raised")[0]["actor_name"] == "Morgan"
    assert events(jo, "poll.revealed")[0]["data"]["names"]["0"] == ["Morgan"]
    assert events(dana, "chat.posted")[-1]["actor_name"] == "Morgan Lee-Hart"  # members read whole names
    guest = store.member(group.guest.member_id)
    assert guest is not None and group_record(store, group) is not None
    exported = member_export(group_record(store, group), guest, store.iter_events(group.group_id), 0.0)
    assert "Lee-Hart" not in repr(exported["events"])


def group_record(store: Store, group: Seeded):
    return store.group(group.group_id)


async def test_the_facilitators_are_told_the_live_attendance_as_it_changes_and_no_one_else(hub, store, group, clock):
    dana = await connect(hub, store, group.facilitator)
    sam = await connect(hub, store, group.participants[0])
    await ok(dana, send(hub, dana, "session.start", {"title": "Week 3"}))
    clock.now += 420
    alex = await connect(hub, store, group.participants[1])
    told = dana.of_kind("attendance")
    assert told and {r["name"]: r["late_minutes"] for r in told[-1]["rows"] if r["joined"] is not None} == {"Dana": 0, "Sam": 0, "Alex": 7}
    assert [r["name"] for r in told[-1]["rows"] if r["joined"] is None] == ["Riley"]
    assert sam.of_kind("attendance") == [] and alex.of_kind("attendance") == []
    casey = await connect(hub, store, group.facilitator)  # a facilitator joining is told at once
    assert casey.of_kind("attendance")[-1]["rows"] == told[-1]["rows"]


async def test_reconnecting_again_and_again_keeps_one_stretch_and_a_restart_closes_the_open_ones(store, group, clock):
    hub = Hub(store, Limits(MAX_FRAME_BYTES, 1000.0, 1000), clock=clock, presence_grace=0)
    dana = await connect(hub, store, group.facilitator)
    started = (await ok(dana, send(hub, dana, "session.start", {"title": "Week 3"})))["seq"]
    for _ in range(20):  # a member whose client closes and reconnects every few seconds
        sam = await connect(hub, store, group.participants[0])
        clock.now += 5
        sam.close(1000, "bye")
        await settle()
    assert [s.member_id for s in store.stretches(group.group_id, started)].count(group.participants[0].member_id) == 1
    # a relay that stops mid-session leaves stretches open; a new one closes them at the last logged event
    await ok(dana, send(hub, dana, "chat.send", {"text": "still here"}))
    last = store.events_after(group.group_id, store.head_seq(group.group_id) - 1)[0].ts
    fresh = Hub(store, Limits(MAX_FRAME_BYTES, 1000.0, 1000), clock=clock)
    fresh.room(group.group_id)
    assert all(s.left is not None and s.left <= last for s in store.stretches(group.group_id, started))
