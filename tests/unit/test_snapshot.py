"""Snapshots of a room's folded state (issue 16, server/snapshot.py): a real Hub on a real SQLite store.

A room restored from its group's snapshot and folded on from there must be the room folded from
the whole log, whatever event the snapshot was taken after; a snapshot another fold wrote, one
that does not hold what it says, or one forged to run code is never used.
"""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
from pathlib import Path

import msgpack
import pytest

from protocol.codec import MAX_FRAME_BYTES
from protocol.events import Event
from protocol.messages import Limits
from protocol.state import GroupState
from server import snapshot
from server.hub import Hub
from server.room import add_invited
from server.snapshot import FOLD_VERSION, SnapshotError, dump, restore
from server.store import Store
from tests.support.hubpeer import MemoryPeer, answer, connect, events, send, settle
from tests.support.wsclient import Seeded


@pytest.fixture
def hub(store: Store):
    hub = Hub(store, Limits(MAX_FRAME_BYTES, 1e9, 10**9), presence_grace=0)
    yield hub
    hub.close()


async def run(peer: MemoryPeer, hub: Hub, kind: str, data: dict | None = None) -> dict:
    return await answer(peer, send(hub, peer, kind, data))


async def two_sessions(hub: Hub, store: Store, group: Seeded) -> None:
    """Two sessions touching most of what the fold keeps: check-ins, a deck, polls, chat of every
    kind and a deleted line, hands, homework, a measure, journaling, a go-around, a board, small
    rooms and a role-play, a mute, a removal and its reinstating, the feed and a pinned resource."""
    dana = await connect(hub, store, group.facilitator)
    sam, alex, riley = [await connect(hub, store, c) for c in group.participants]
    for session in (1, 2):
        await run(dana, hub, "session.start", {"title": f"Week {session}"})
        for i, peer in enumerate((sam, alex, riley)):
            await run(peer, hub, "checkin.submit", {"mood": 3 + i, "feelings": ["tired"], "note": f"note {i}", "note_to": "group" if i else "facilitators"})
        await run(dana, hub, "deck.load", {"markdown": "# Welcome\n\nHello.\n\n---\n\n# Skills\n\nTIPP."})
        await run(dana, hub, "slide.goto", {"index": 1})
        await run(dana, hub, "phase.set", {"phase": "psychoeducation"})
        poll = (await run(dana, hub, "poll.open", {"question": "Ready?", "poll_kind": "single", "options": ["Yes", "No"], "anonymous": False}))["seq"]
        await run(sam, hub, "poll.vote", {"poll_id": poll, "choices": [0]})
        await run(alex, hub, "poll.vote", {"poll_id": poll, "choices": [1]})
        await run(dana, hub, "poll.close", {"poll_id": poll})
        await run(dana, hub, "poll.reveal", {"poll_id": poll})
        line = (await run(sam, hub, "chat.send", {"text": "I slept badly"}))["seq"]
        await run(alex, hub, "chat.send", {"text": "for the facilitators", "to": "facilitators"})
        await run(dana, hub, "chat.reply", {"member_id": alex.member_id, "text": "thank you, Alex"})
        await run(riley, hub, "chat.send", {"text": "waves", "me": True})
        await run(dana, hub, "chat.delete", {"message_id": line})
        await run(sam, hub, "hand.raise")
        await run(riley, hub, "hand.raise")
        await run(dana, hub, "hand.lower", {"member_id": sam.member_id})
        homework = await run(dana, hub, "homework.assign", {"title": "Diary card", "homework_kind": "text", "items": [], "due": "2030-01-01", "to": []})
        if homework["kind"] == "ack":
            await run(sam, hub, "homework.submit", {"homework_id": homework["seq"], "text": "done"})
        await run(dana, hub, "measure.give", {"measure": "phq9", "member_id": None})
        prompt = await run(dana, hub, "journal.open", {"title": "One thing you noticed", "fields": []})
        if prompt["kind"] == "ack":
            await run(alex, hub, "journal.write", {"prompt_id": prompt["seq"], "answers": ["the rain"], "done": True})
            await run(alex, hub, "journal.share", {"prompt_id": prompt["seq"], "to": "group"})
            await run(dana, hub, "journal.close", {"prompt_id": prompt["seq"]})
        await run(dana, hub, "goround.start", {"question": "One word?", "order": "roster"})
        await run(dana, hub, "goround.next", {"skip": False})
        await run(alex, hub, "goround.pass")
        await run(dana, hub, "goround.end")
        board = await run(dana, hub, "board.open", {"title": "Triggers", "columns": ["Home", "Work"]})
        if board["kind"] == "ack":
            card = await run(sam, hub, "card.add", {"board_id": board["seq"], "column": 0, "text": "payday"})
            if card["kind"] == "ack":
                await run(alex, hub, "card.plus", {"card_id": card["seq"]})
                await run(dana, hub, "card.move", {"card_id": card["seq"], "column": 1})
        await run(dana, hub, "breakout.open", {"rooms": 2, "minutes": 10, "prompt": "Name one trigger.", "assign": "random"})
        await run(dana, hub, "breakout.place", {"member_id": sam.member_id, "room": 2})
        await run(sam, hub, "chat.send", {"text": "in my room"})
        await run(dana, hub, "breakout.visit", {"room": 2})
        await run(dana, hub, "breakout.broadcast", {"text": "Five minutes left."})
        await run(sam, hub, "breakout.summary", {"text": "We named payday."})
        await run(dana, hub, "breakout.recall")
        await run(dana, hub, "member.mute", {"member_id": riley.member_id, "muted": session == 1})
        await run(dana, hub, "member.slow", {"member_id": alex.member_id, "seconds": 30})
        await run(dana, hub, "session.end", {"summary": f"Thanks, week {session}"})
        await run(sam, hub, "feed.post", {"text": "Went for a walk every day."})
        await run(dana, hub, "resource.pin", {"title": "Crisis line", "link": "https://988lifeline.org", "text": "Call or text 988."})
    await run(dana, hub, "member.remove", {"member_id": riley.member_id})
    await settle()
    for peer in (dana, sam, alex):
        peer.close(1000, "bye")
    await settle()


def roster_then_fold(store: Store, group: Seeded, log: list[Event]) -> GroupState:
    """What a load does without a snapshot: the members from the store, then the log."""
    state = GroupState()
    add_invited(state, store.members(group.group_id))
    for event in log:
        state.apply(event)
    return state


async def test_a_room_restored_after_any_event_and_folded_on_is_the_room_folded_whole(hub, store, group):
    await two_sessions(hub, store, group)
    log = store.events_after(group.group_id, 0)
    kinds = {e.type for e in log}
    assert len(log) > 100 and len(kinds) >= 40, sorted(kinds)  # the log is rich enough to mean something
    whole = roster_then_fold(store, group, log)
    for cut in range(len(log) + 1):
        state = roster_then_fold(store, group, log[:cut])
        restored = restore(dump(state, group.group_id), group.group_id)
        assert restored == state, f"the snapshot after event {cut} is not the state it was taken of"
        for event in log[cut:]:
            restored.apply(event)
        assert restored == whole, f"restored after event {cut} ({log[cut - 1].type if cut else 'none'}), then folded on, it differs"


async def test_a_long_chat_is_kept_in_pieces_and_restored_whole_and_in_order(hub, store, group, monkeypatch):
    monkeypatch.setattr(snapshot, "CHAT_PIECE", 7)
    await two_sessions(hub, store, group)
    log = store.events_after(group.group_id, 0)
    state = roster_then_fold(store, group, log)
    extra = [Event(log[-1].seq + i, "chat.posted", 1.0, 2, "Sam", "everyone", None, {"member_id": 2, "text": f"line {i}"}) for i in range(1, 30)]
    for event in extra:
        state.apply(event)
    assert len(state.chat) > 3 * 7
    _layout, _group, _main, pieces = msgpack.unpackb(dump(state, group.group_id))
    assert len(pieces) == -(-len(state.chat) // 7)
    assert restore(dump(state, group.group_id), group.group_id) == state


async def test_the_live_session_stays_one_record_in_a_snapshot(hub, store, group):
    dana = await connect(hub, store, group.facilitator)
    await run(dana, hub, "session.start", {"title": "Week 1"})
    state = restore(dump(hub.rooms[group.group_id].state, group.group_id), group.group_id)
    assert state.session is state.sessions[-1]  # ending it ends the one in the history too


async def test_a_snapshot_holds_only_the_logs_part_and_leaves_the_room_as_it_was(hub, store, group):
    store.set_group_settings(group.group_id, alert_mood=4, watch_words=["hopeless"])
    dana = await connect(hub, store, group.facilitator)
    await run(dana, hub, "session.start", {"title": "Week 1"})
    room = hub.rooms[group.group_id]
    before = (room.state.roster[dana.member_id].status, room.state.alert_mood, room.state.watch_words, list(room.state.stretches))
    state = restore(dump(room.state, group.group_id), group.group_id)
    assert {e.status for e in state.roster.values()} == {"offline"}
    assert state.stretches == [] and state.guest_invites == {} and state.watch_words == frozenset()
    assert (room.state.roster[dana.member_id].status, room.state.alert_mood, room.state.watch_words, list(room.state.stretches)) == before
    assert before[0] == "online" and before[3]


async def put_away_all(hub: Hub) -> None:
    """What the relay's housekeeping does once every room has been quiet long enough (server/edge.py),
    then waits for the snapshots to be pickled (on a worker thread) and written."""
    await settle()
    hub.idle_rooms(0.0, 0.0)
    pickling = []
    for gid in hub.idle_rooms(1.0, 0.0):
        pickling.append(hub.unload(gid, "test"))
    await asyncio.gather(*(p for p in pickling if p is not None))
    await settle()


async def a_session_put_away(hub: Hub, store: Store, group: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    """A session started, its room left and put away with a snapshot (any number of events is enough)."""
    monkeypatch.setattr("server.room.SNAPSHOT_EVENTS", 1)
    dana = await connect(hub, store, group.facilitator)
    await run(dana, hub, "session.start", {"title": "Week 1"})
    dana.close(1000, "bye")
    await put_away_all(hub)


async def test_an_idle_room_is_put_away_as_a_snapshot_and_the_next_member_is_served_from_it(hub, store, group, monkeypatch):
    monkeypatch.setattr("server.room.SNAPSHOT_EVENTS", 10)
    await two_sessions(hub, store, group)
    head = store.events_after(group.group_id, 0)[-1].seq
    await put_away_all(hub)
    kept = store.snapshot(group.group_id, FOLD_VERSION)
    assert kept is not None and kept.seq == head

    sam = await connect(hub, store, group.participants[0])
    room = hub.rooms[group.group_id]
    assert room.snapshot_seq == head  # restored, nothing folded
    whole = hub._load(group.group_id, first=False)
    store._db.execute("DELETE FROM snapshots")
    folded = hub._load(group.group_id, first=False)
    assert folded.snapshot_seq == 0
    for entry in room.state.roster.values():
        entry.status = "offline"  # Sam is online in the live room: the rest must be the same
    assert room.state == folded.state and whole.state == folded.state

    # The member's welcome and replay came from that room, and the session goes on from the head.
    assert events(sam) and events(sam)[-1]["seq"] == head
    await run(sam, hub, "feed.post", {"text": "after the snapshot"})
    assert store.events_after(group.group_id, head)[0].seq == head + 1


async def test_a_room_with_few_events_since_its_snapshot_writes_none(hub, store, group):
    dana = await connect(hub, store, group.facilitator)
    await run(dana, hub, "session.start", {"title": "Week 1"})
    dana.close(1000, "bye")
    await put_away_all(hub)
    assert store.snapshot(group.group_id, FOLD_VERSION) is None  # fewer than SNAPSHOT_EVENTS: folding them is cheap


async def test_a_snapshot_of_another_fold_is_not_used(hub, store, group, monkeypatch):
    await a_session_put_away(hub, store, group, monkeypatch)
    assert store.snapshot(group.group_id, FOLD_VERSION) is not None
    assert store.snapshot(group.group_id, "another fold") is None
    monkeypatch.setattr("server.room.FOLD_VERSION", "another fold")
    assert hub._load(group.group_id).snapshot_seq == 0


async def test_another_groups_snapshot_found_in_this_groups_row_is_never_used(hub, store, group, monkeypatch, caplog):
    """Whatever put it there (a bug, a hand-edited database), members never see another group's state."""
    from tests.support.wsclient import seed

    other = seed(store, name="Thursday IOP")
    await a_session_put_away(hub, store, group, monkeypatch)
    pat = await connect(hub, store, other.facilitator)
    await run(pat, hub, "session.start", {"title": "Thursday's week 1"})
    await run(pat, hub, "chat.send", {"text": "Thursday's private words"})
    pat.close(1000, "bye")
    await put_away_all(hub)
    theirs = store.snapshot(other.group_id, FOLD_VERSION)
    assert theirs is not None
    store._db.execute("DELETE FROM snapshots WHERE group_id = ?", (group.group_id,))
    store._db.execute(
        "INSERT INTO snapshots (group_id, seq, last_ts, fold_version, data, written_at) VALUES (?, ?, ?, ?, ?, 0)",
        (group.group_id, store.head_seq(group.group_id), theirs.last_ts, FOLD_VERSION, theirs.data),
    )
    with caplog.at_level(logging.WARNING, logger="iop.server"):
        room = hub._load(group.group_id)
    assert room.snapshot_seq == 0 and not any("Thursday" in line.text for line in room.state.chat)
    assert f"it is group {other.group_id}'s" in caplog.text


async def test_a_snapshot_that_does_not_hold_what_it_says_is_not_used(hub, store, group, monkeypatch, caplog):
    monkeypatch.setattr("server.room.SNAPSHOT_EVENTS", 1)
    dana = await connect(hub, store, group.facilitator)
    await run(dana, hub, "session.start", {"title": "Week 1"})
    await run(dana, hub, "chat.send", {"text": "hello"})
    dana.close(1000, "bye")
    await put_away_all(hub)
    head = store.snapshot(group.group_id, FOLD_VERSION).seq  # type: ignore[union-attr]
    early = roster_then_fold(store, group, store.events_after(group.group_id, 0)[:1])
    store._db.execute("UPDATE snapshots SET data = ?", (dump(early, group.group_id),))  # the state at seq 1, said to be at the head
    with caplog.at_level(logging.WARNING, logger="iop.server"):
        room = hub._load(group.group_id)
    assert room.snapshot_seq == 0 and room.head == head and room.state.chat
    assert "its whole log is folded" in caplog.text


def a_pickle_making(module: str, name: str) -> bytes:
    """A pickle that makes an instance of ``module``.``name`` (PROTO 4, two strings, STACK_GLOBAL, NEWOBJ)."""
    def text(value: str) -> bytes:
        return b"\x8c" + bytes([len(value)]) + value.encode()

    return b"\x80\x04" + text(module) + text(name) + b"\x93)\x81."


class _Planted:
    def __reduce__(self):
        return (os.system, (f"touch {os.environ['PLANTED']}",))


async def test_a_forged_snapshot_runs_nothing_and_the_log_is_folded_whole(hub, store, group, tmp_path: Path, monkeypatch, caplog):
    await a_session_put_away(hub, store, group, monkeypatch)
    planted = tmp_path / "planted"
    monkeypatch.setenv("PLANTED", str(planted))
    gid = group.group_id
    forged = msgpack.packb([snapshot._LAYOUT, gid, pickle.dumps(_Planted()), []], use_bin_type=True)
    store._db.execute("UPDATE snapshots SET data = ?", (forged,))
    with pytest.raises(SnapshotError):
        restore(forged, gid)
    with pytest.raises(SnapshotError):  # nor in a piece of the chat
        restore(msgpack.packb([snapshot._LAYOUT, gid, pickle.dumps(GroupState()), [pickle.dumps(_Planted())]], use_bin_type=True), gid)
    with caplog.at_level(logging.WARNING, logger="iop.server"):
        room = hub._load(group.group_id)
    assert not planted.exists()
    assert room.snapshot_seq == 0 and room.state.session is not None
    assert "may not make posix.system" in caplog.text or "may not make os.system" in caplog.text
    # Only a class the named module defines itself: not one it imports, nor a path through its attributes.
    for module, name in (("protocol.state", "Board"), ("protocol.state", "re.Pattern"), ("protocol.state", "GroupState.__base__.__base__")):
        with pytest.raises(SnapshotError, match="may not make"):
            restore(msgpack.packb([snapshot._LAYOUT, gid, a_pickle_making(module, name), []], use_bin_type=True), gid)
    not_chat = [pickle.dumps([GroupState()])]  # a piece of the chat that is not chat lines
    for garbage in (
        b"", b"not a snapshot", pickle.dumps(GroupState()), msgpack.packb(["another/1", gid, pickle.dumps(GroupState()), []]),
        msgpack.packb([snapshot._LAYOUT, gid, pickle.dumps({"head_seq": 3}), []]), msgpack.packb([snapshot._LAYOUT, gid, pickle.dumps(GroupState()), not_chat]),
    ):
        with pytest.raises(SnapshotError):
            restore(garbage, gid)
    assert not planted.exists()


def test_a_snapshot_is_kept_only_of_a_stored_seq_and_never_replaced_by_an_older_one(store, group):
    gid = group.group_id
    state = GroupState()
    assert not store.save_snapshot(gid, 1, FOLD_VERSION, dump(state, gid))  # no event 1 is stored
    store.commit([(gid, Event(seq, "chat.posted", 100.0 + seq, 0, "", "everyone", None, {"member_id": 1, "text": "hi"})) for seq in (1, 2)], [])
    assert store.save_snapshot(gid, 2, FOLD_VERSION, b"two")
    assert not store.save_snapshot(gid, 1, FOLD_VERSION, b"one")
    assert store.snapshot(gid, FOLD_VERSION) == (2, 102.0, b"two")
    assert store.save_snapshot(gid, 1, "another fold", b"other")  # a fold of another version replaces it
    assert store.snapshot(gid, FOLD_VERSION) is None
    assert store.read_snapshot(gid, "another fold") == (1, 101.0, b"other")


def test_the_fold_version_is_the_protocol_packages_source():
    assert FOLD_VERSION == snapshot._fold_version()
    assert FOLD_VERSION.startswith(f"{pickle.HIGHEST_PROTOCOL}:")


async def test_a_room_loaded_in_slices_starts_from_its_snapshot_too(hub, store, group, monkeypatch):
    await a_session_put_away(hub, store, group, monkeypatch)
    seq = store.snapshot(group.group_id, FOLD_VERSION).seq  # type: ignore[union-attr]
    sam = await connect(hub, store, group.participants[0])
    await run(sam, hub, "chat.send", {"text": "one more"})
    sam.close(1000, "bye")
    await put_away_all(hub)
    head = store.events_after(group.group_id, 0)[-1].seq
    assert head > seq and store.snapshot(group.group_id, FOLD_VERSION).seq == head  # type: ignore[union-attr]
    await asyncio.wait_for(hub.load_room(group.group_id), 5)
    room = hub.rooms[group.group_id]
    assert room.snapshot_seq == head and room.state.chat[-1].text == "one more"
