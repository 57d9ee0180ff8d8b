"""The hub through its ``Peer`` protocol: a real Hub on a real SQLite store, no socket.

Each member's connection is a :class:`tests.support.hubpeer.MemoryPeer`, a
second implementation of :class:`server.hub.Peer`; the hub, its rules and the
store are the relay's own. What the relay promises about its one ordered log
(docs/relay.md, docs/protocol.md) is checked here at the hub, in milliseconds:
gap-free seqs, stored before sent, the audience rule in fan-out and replay,
exact resumes, idempotent command ids, a slow reader holding up no one, and
what a guest sees.
"""

from __future__ import annotations

import pytest

from protocol.codec import MAX_FRAME_BYTES
from protocol.messages import PROTOCOL_VERSION, Hello, Limits
from server.hub import Hub
from server.store import Store
from tests.support.hubpeer import acked as ack
from tests.support.hubpeer import MemoryPeer, answer, connect, events, send, settle, start_catch_up

DECK = "# Thoughts\n\nA thought is not a fact.\n\nNotes: ask for an example first\n\n---\n\n# Reframing\n\nWhat else could be true?\n"


@pytest.fixture
def hub(store: Store):
    hub = Hub(store, Limits(MAX_FRAME_BYTES, 1000.0, 1000), presence_grace=0)
    yield hub


def seqs(peer: MemoryPeer) -> list[int]:
    return [f["seq"] for f in events(peer)]


async def acked(peer: MemoryPeer, command_id: str) -> int | None:
    return (await ack(peer, command_id))["seq"]


async def start_session(hub: Hub, dana: MemoryPeer) -> int:
    seq = await acked(dana, send(hub, dana, "session.start", {"title": "Week 3"}))
    assert seq is not None
    return seq


# -- one ordered log ------------------------------------------------------------


async def test_events_from_several_members_get_gap_free_seqs_in_one_order(hub, store, group):
    dana = await connect(hub, store, group.facilitator)
    sam = await connect(hub, store, group.participants[0])
    alex = await connect(hub, store, group.participants[1])
    await start_session(hub, dana)
    # Commands that arrive in the same loop turn are committed together; others alone.
    batch = [(p, send(hub, p, "chat.send", {"text": f"line {i} from {p.name}"})) for i in range(5) for p in (sam, alex, dana)]
    batch.append((dana, send(hub, dana, "deck.load", {"markdown": DECK})))
    for peer, cid in batch:
        await answer(peer, cid)
    await answer(sam, send(hub, sam, "hand.raise"))
    await answer(alex, send(hub, alex, "chat.send", {"text": "after"}))

    stored = [e.seq for e in store.iter_events(group.group_id)]
    assert stored == list(range(1, len(stored) + 1))
    assert seqs(dana) == stored  # a facilitator sees every event, in log order
    for peer in (sam, alex):
        got = seqs(peer)
        assert got == sorted(set(got)) and set(got) <= set(stored)
    assert [f["data"]["text"] for f in events(sam, "chat.posted")] == [
        e.data["text"] for e in store.iter_events(group.group_id) if e.type == "chat.posted"
    ]


async def test_every_event_is_in_the_store_before_any_peer_receives_it(hub, store, group, tmp_path):
    reader = Store(tmp_path / "data")  # a second connection: sees only what was committed
    checked: list[int] = []

    class Checking(MemoryPeer):
        def write(self, data: bytes) -> None:
            super().write(data)
            frame = self.frames[-1] if self.frames else {}
            if frame.get("kind") == "event":
                assert [e.seq for e in reader.events_after(group.group_id, frame["seq"] - 1, 1)] == [frame["seq"]]
                checked.append(frame["seq"])
            elif frame.get("kind") == "ack" and frame["seq"] is not None:
                assert reader.head_seq(group.group_id) >= frame["seq"]

    try:
        member = store.member(group.facilitator.member_id)
        dana = Checking(group.facilitator, group.group_id, on_close=hub.leave)
        hub.join(dana, member, Hello(PROTOCOL_VERSION, group.facilitator.token, None))
        await hub.catch_up(dana)
        sam = await connect(hub, store, group.participants[0])
        await start_session(hub, dana)
        await answer(sam, send(hub, sam, "checkin.submit", {"mood": 4, "feelings": ["tired"], "note": "slept badly"}))
        await answer(dana, send(hub, dana, "deck.load", {"markdown": DECK}))
        await answer(sam, send(hub, sam, "chat.send", {"text": "hello"}))
    finally:
        reader.close()
    assert checked == list(range(1, store.head_seq(group.group_id) + 1))


# -- the audience rule ----------------------------------------------------------


async def test_fan_out_reaches_exactly_the_audience_of_each_event(hub, store, group):
    dana = await connect(hub, store, group.facilitator)
    sam = await connect(hub, store, group.participants[0])
    alex = await connect(hub, store, group.participants[1])
    await start_session(hub, dana)
    jo = await connect(hub, store, group.guest)  # a guest in the live session
    await answer(sam, send(hub, sam, "checkin.submit", {"mood": 3, "feelings": ["low"], "note": "hard week at home"}))
    await answer(sam, send(hub, sam, "chat.send", {"text": "only for Dana", "to": "facilitators"}))
    await answer(dana, send(hub, dana, "deck.load", {"markdown": DECK}))
    await answer(dana, send(hub, dana, "chat.reply", {"member_id": sam.member_id, "text": "thank you, Sam"}))
    await answer(alex, send(hub, alex, "chat.send", {"text": "hi all"}))

    def texts(peer: MemoryPeer) -> list[str]:
        return [f["data"]["text"] for f in events(peer, "chat.posted")]

    def notes(peer: MemoryPeer) -> list[str]:
        return [f["data"]["note"] for f in events(peer, "checkin.note")]

    assert notes(dana) == notes(sam) == ["hard week at home"]
    assert notes(alex) == notes(jo) == []
    assert len(events(alex, "checkin.submitted")) == 1 and events(alex, "checkin.submitted")[0]["data"]["note"] == ""
    assert events(jo, "checkin.submitted") == []  # the round is for members, not a family guest
    assert texts(dana) == texts(sam) == ["only for Dana", "thank you, Sam", "hi all"]
    assert texts(alex) == texts(jo) == ["hi all"]
    assert len(events(dana, "deck.notes")) == 1
    assert [events(p, "deck.notes") for p in (sam, alex, jo)] == [[], [], []]
    assert [len(events(p, "deck.loaded")) for p in (dana, sam, alex, jo)] == [1, 1, 1, 1]


async def test_a_replay_from_the_start_gives_each_member_what_fan_out_gave_them(hub, store, group):
    live = {c.name: await connect(hub, store, c) for c in (group.facilitator, *group.participants)}
    dana, sam, alex, riley = live["Dana"], live["Sam"], live["Alex"], live["Riley"]
    await start_session(hub, dana)
    await answer(sam, send(hub, sam, "checkin.submit", {"mood": 5, "feelings": ["ok"], "note": "private"}))
    await answer(alex, send(hub, alex, "checkin.submit", {"mood": 6, "feelings": ["fine"], "note": "shared", "note_to": "group"}))
    await answer(dana, send(hub, dana, "poll.open", {"question": "Sleep?", "poll_kind": "single", "options": ["good", "bad"]}))
    poll_id = events(dana, "poll.opened")[-1]["seq"]
    await answer(sam, send(hub, sam, "poll.vote", {"poll_id": poll_id, "choices": [1]}))
    await answer(riley, send(hub, riley, "chat.send", {"text": "to Dana", "to": "facilitators"}))
    await answer(dana, send(hub, dana, "poll.reveal", {"poll_id": poll_id}))

    for peer in live.values():
        peer.close(1000, "bye")
    await settle()
    for cred in (group.facilitator, *group.participants):
        again = await connect(hub, store, cred)
        assert again.of_kind("welcome")[0]["mode"] == "reset"
        assert [f["seq"] for f in events(again)] == seqs(live[cred.name]), cred.name


# -- resuming -------------------------------------------------------------------


async def test_a_resume_replays_exactly_the_missed_events_then_synced(hub, store, group):
    dana = await connect(hub, store, group.facilitator)
    sam = await connect(hub, store, group.participants[0])
    await start_session(hub, dana)
    await answer(sam, send(hub, sam, "chat.send", {"text": "before the blip"}))
    last = seqs(sam)[-1]
    sam.lost = True
    sam.close(1006, "")
    await settle()
    await answer(dana, send(hub, dana, "chat.send", {"text": "while Sam was away"}))
    await answer(dana, send(hub, dana, "phase.set", {"phase": "psychoeducation"}))
    await answer(dana, send(hub, dana, "chat.send", {"text": "to facilitators only", "to": "facilitators"}))
    head = store.head_seq(group.group_id)

    back = await connect(hub, store, group.participants[0], resume_from=last)
    welcome = back.of_kind("welcome")[0]
    assert (welcome["mode"], welcome["replay_from"], welcome["head_seq"]) == ("resume", last + 1, head)
    missed = [e.seq for e in store.events_after(group.group_id, last) if e.audience == "everyone"]
    assert seqs(back) == missed
    assert [f["kind"] for f in back.frames] == ["welcome", *["event"] * len(missed), "synced"]
    assert back.frames[-1]["head_seq"] == head
    cid = send(hub, dana, "chat.send", {"text": "live again"})
    await answer(dana, cid)
    assert events(back)[-1]["data"]["text"] == "live again" and seqs(back)[-1] == head + 1


async def test_a_resume_older_than_the_hubs_recent_tail_is_read_from_the_store(hub, store, group):
    dana = await connect(hub, store, group.facilitator)
    await start_session(hub, dana)
    sam = await connect(hub, store, group.participants[0])
    await answer(sam, send(hub, sam, "chat.send", {"text": "first"}))
    last = seqs(sam)[-1]
    sam.close(1000, "bye")
    await settle()
    for i in range(300):  # more than the hub keeps encoded in memory (TAIL_EVENTS)
        send(hub, dana, "chat.send", {"text": f"line {i}"})
    await answer(dana, send(hub, dana, "chat.send", {"text": "last"}))

    back = await connect(hub, store, group.participants[0], resume_from=last)
    assert seqs(back) == list(range(last + 1, store.head_seq(group.group_id) + 1))
    assert [f["data"]["text"] for f in events(back)][-2:] == ["line 299", "last"]


async def test_a_resume_point_beyond_the_log_gets_a_reset_and_the_whole_visible_log(hub, store, group):
    dana = await connect(hub, store, group.facilitator)
    await start_session(hub, dana)
    await answer(dana, send(hub, dana, "chat.send", {"text": "one"}))
    sam = await connect(hub, store, group.participants[0], resume_from=999)
    welcome = sam.of_kind("welcome")[0]
    assert (welcome["mode"], welcome["replay_from"]) == ("reset", 1)
    assert seqs(sam) == [e.seq for e in store.iter_events(group.group_id)]


async def test_a_restarted_hub_resumes_members_from_the_store(hub, store, group):
    dana = await connect(hub, store, group.facilitator)
    await start_session(hub, dana)
    await answer(dana, send(hub, dana, "chat.send", {"text": "before the restart"}))
    hub.close()
    fresh = Hub(store, Limits(MAX_FRAME_BYTES, 1000.0, 1000), presence_grace=0)
    dana2 = await connect(fresh, store, group.facilitator, resume_from=1)
    assert seqs(dana2) == [2]
    cid = send(fresh, dana2, "chat.send", {"text": "after"})
    assert await acked(dana2, cid) == 3


# -- command ids ------------------------------------------------------------------


async def test_a_retried_command_id_is_answered_from_its_first_result_and_logged_once(hub, store, group):
    dana = await connect(hub, store, group.facilitator)
    sam = await connect(hub, store, group.participants[0])
    await start_session(hub, dana)
    # Twice in one batch, again in a later batch, and again on a new connection.
    send(hub, sam, "chat.send", {"text": "I voted once"}, command_id="c-1")
    send(hub, sam, "chat.send", {"text": "I voted once"}, command_id="c-1")
    await settle()
    send(hub, sam, "chat.send", {"text": "I voted once"}, command_id="c-1")
    await settle()
    sam.close(1000, "bye")
    await settle()
    sam2 = await connect(hub, store, group.participants[0], resume_from=store.head_seq(group.group_id))
    send(hub, sam2, "chat.send", {"text": "I voted once"}, command_id="c-1")
    await settle()

    answers = [f for f in sam.frames + sam2.frames if f.get("id") == "c-1"]
    assert [f["kind"] for f in answers] == ["ack"] * 4
    assert len({f["seq"] for f in answers}) == 1
    posted = [e for e in store.iter_events(group.group_id) if e.type == "chat.posted"]
    assert len(posted) == 1 and [f["data"]["text"] for f in events(dana, "chat.posted")] == ["I voted once"]


async def test_a_refused_command_retried_gets_the_same_refusal_even_when_it_would_now_pass(hub, store, group):
    dana = await connect(hub, store, group.facilitator)
    sam = await connect(hub, store, group.participants[0])
    first = await answer(sam, send(hub, sam, "checkin.submit", {"mood": 5, "feelings": []}, command_id="k-1"))
    assert first["kind"] == "error"
    await start_session(hub, dana)  # a check-in would now be accepted
    send(hub, sam, "checkin.submit", {"mood": 5, "feelings": []}, command_id="k-1")
    await settle()
    assert [f for f in sam.frames if f.get("id") == "k-1"] == [first, first]
    assert not [e for e in store.iter_events(group.group_id) if e.type == "checkin.submitted"]


async def test_the_same_command_id_from_two_members_is_two_commands(hub, store, group):
    dana = await connect(hub, store, group.facilitator)
    sam = await connect(hub, store, group.participants[0])
    alex = await connect(hub, store, group.participants[1])
    await start_session(hub, dana)
    a = await acked(sam, send(hub, sam, "chat.send", {"text": "from Sam"}, command_id="same"))
    b = await acked(alex, send(hub, alex, "chat.send", {"text": "from Alex"}, command_id="same"))
    assert a != b
    assert [f["data"]["text"] for f in events(dana, "chat.posted")] == ["from Sam", "from Alex"]


# -- revocation and removal --------------------------------------------------------


async def test_a_revocation_by_another_process_stops_the_member_before_their_next_command(hub, store, group, tmp_path):
    dana = await connect(hub, store, group.facilitator)
    sam = await connect(hub, store, group.participants[0])
    await start_session(hub, dana)
    await answer(sam, send(hub, sam, "chat.send", {"text": "before"}))
    cli = Store(tmp_path / "data")  # the iop-server CLI, in another process
    try:
        cli.revoke_member(sam.member_id)
    finally:
        cli.close()
    cid = send(hub, sam, "chat.send", {"text": "after the revocation"})
    await settle()
    # Closed (4001) before the command is decided: no answer, and nothing is logged for it.
    assert sam.closed is not None and sam.closed[0] == 4001
    assert [f for f in sam.frames if f.get("id") == cid] == []
    removed = events(dana, "member.removed")
    assert [(f["data"]["member_id"], f["data"].get("revoked")) for f in removed] == [(sam.member_id, True)]
    await answer(dana, send(hub, dana, "chat.send", {"text": "Sam no longer reads this"}))
    assert [f["data"]["text"] for f in events(sam, "chat.posted")] == ["before"]
    assert [e.data["text"] for e in store.iter_events(group.group_id) if e.type == "chat.posted"] == ["before", "Sam no longer reads this"]


async def test_a_removed_member_is_closed_and_receives_nothing_after_the_removal(hub, store, group):
    dana = await connect(hub, store, group.facilitator)
    sam = await connect(hub, store, group.participants[0])
    await start_session(hub, dana)
    removal = await acked(dana, send(hub, dana, "member.remove", {"member_id": sam.member_id}))
    await settle()
    assert sam.closed is not None and sam.closed[0] == 4003
    await answer(dana, send(hub, dana, "chat.send", {"text": "after Sam left"}))
    assert seqs(sam)[-1] == removal  # the removal itself is the last thing Sam reads
    assert store.member(sam.member_id).revoked


# -- pace -------------------------------------------------------------------------


async def test_a_member_who_does_not_read_holds_up_no_one_and_later_gets_everything_once(hub, store, group):
    dana = await connect(hub, store, group.facilitator)
    alex = await connect(hub, store, group.participants[1])
    await start_session(hub, dana)
    for i in range(200):  # about 200 KB of history: several replay chunks
        send(hub, dana, "chat.send", {"text": f"{i:03} " + "x" * 1000})
    await answer(dana, send(hub, dana, "chat.send", {"text": "end of history"}))
    head = store.head_seq(group.group_id)

    sam, replay = start_catch_up(hub, store, group.participants[0])
    sam.reading.clear()  # Sam's socket never drains
    await settle(10)
    assert not replay.done() and not sam.live
    assert len(events(sam)) < head  # one chunk is pinned, not the group's history

    # Meanwhile the others talk, commit and receive at once.
    cid = send(hub, alex, "chat.send", {"text": "are we still here?"})
    assert await acked(alex, cid) == head + 1
    assert events(dana)[-1]["data"]["text"] == "are we still here?"
    await answer(dana, send(hub, dana, "phase.set", {"phase": "discussion"}))
    assert events(alex)[-1]["type"] == "phase.changed"

    sam.reading.set()
    await replay
    assert sam.live
    assert seqs(sam) == list(range(1, head + 3))  # the events of the stall too, each once, in order
    assert sam.of_kind("synced")[0]["head_seq"] == head + 2
    await answer(alex, send(hub, alex, "chat.send", {"text": "welcome back"}))
    assert seqs(sam) == list(range(1, head + 4))


# -- presence -----------------------------------------------------------------------


async def test_presence_tells_members_who_comes_and_goes_and_a_guest_in_the_session_first_names_only(hub, store, group):
    dana = await connect(hub, store, group.facilitator)
    await start_session(hub, dana)
    jo = await connect(hub, store, group.guest)
    sam = await connect(hub, store, group.participants[0])
    sam.close(1000, "bye")
    await settle()
    said = [(f["member"]["name"], f["status"]) for f in dana.of_kind("presence")]
    assert said == [("Jo", "online"), ("Sam", "online"), ("Sam", "offline")]
    # a guest (issue 15: first names of those present only) hears who comes and goes in the session
    assert [(f["member"]["name"], f["status"]) for f in jo.of_kind("presence")] == [("Sam", "online"), ("Sam", "offline")]
    assert all(set(f["member"]) <= {"id", "name", "role"} for f in jo.of_kind("presence"))
    assert sam.of_kind("presence") == []  # nobody is told about themselves


async def test_a_lost_link_reads_as_reconnecting_and_a_return_within_grace_as_online(store, group):
    hub = Hub(store, Limits(MAX_FRAME_BYTES, 1000.0, 1000), presence_grace=3600)
    dana = await connect(hub, store, group.facilitator)
    sam = await connect(hub, store, group.participants[0])
    sam.lost = True
    sam.close(1006, "")
    await settle()
    await connect(hub, store, group.participants[0], resume_from=0)
    statuses = [f["status"] for f in dana.of_kind("presence") if f["member"]["name"] == "Sam"]
    assert statuses == ["online", "reconnecting", "online"]
    hub.close()


# -- a guest's view ---------------------------------------------------------------------


async def test_a_guest_sees_the_sessions_material_but_nothing_said_before_they_came(hub, store, group):
    dana = await connect(hub, store, group.facilitator)
    sam = await connect(hub, store, group.participants[0])
    await answer(sam, send(hub, sam, "chat.send", {"text": "between sessions"}))
    await start_session(hub, dana)
    await answer(dana, send(hub, dana, "deck.load", {"markdown": DECK}))
    await answer(dana, send(hub, dana, "phase.set", {"phase": "psychoeducation"}))
    await answer(sam, send(hub, sam, "chat.send", {"text": "said before Jo came"}))
    await answer(sam, send(hub, sam, "hand.raise"))

    jo = await connect(hub, store, group.guest)
    welcome = jo.of_kind("welcome")[0]
    # no list of members: the first names of those present only (issue 15)
    assert welcome["roster"] == [{"id": e["id"], "name": e["name"], "role": e["role"], "status": "online"} for e in welcome["roster"]]
    assert sorted(e["name"] for e in welcome["roster"]) == ["Dana", "Jo", "Sam"]
    assert welcome["replay_from"] == events(dana, "session.started")[0]["seq"]
    replayed = [f["type"] for f in events(jo)]
    assert {"session.started", "deck.loaded", "phase.changed", "hand.raised", "guest.arrived"} <= set(replayed)
    assert not {"chat.posted", "deck.notes", "checkin.submitted"} & set(replayed)

    await answer(sam, send(hub, sam, "chat.send", {"text": "hello Jo"}))
    assert [f["data"]["text"] for f in events(jo, "chat.posted")] == ["hello Jo"]
    await answer(dana, send(hub, dana, "session.end", {"summary": "thanks"}))
    await answer(sam, send(hub, sam, "chat.send", {"text": "after the session"}))
    assert events(jo)[-1]["type"] == "session.ended"
    assert [f["data"]["text"] for f in events(jo, "chat.posted")] == ["hello Jo"]


async def test_a_guest_who_comes_back_between_sessions_gets_no_history(hub, store, group):
    dana = await connect(hub, store, group.facilitator)
    await start_session(hub, dana)
    jo = await connect(hub, store, group.guest)
    await answer(jo, send(hub, jo, "chat.send", {"text": "thank you all"}))
    await answer(dana, send(hub, dana, "session.end", {"summary": ""}))
    jo.close(1000, "bye")
    await settle()
    await answer(dana, send(hub, dana, "chat.send", {"text": "notes for the members"}))

    back = await connect(hub, store, group.guest)
    welcome = back.of_kind("welcome")[0]
    assert welcome["mode"] == "reset" and welcome["roster"] == []
    assert events(back) == []
    assert back.frames[-1]["kind"] == "synced"
