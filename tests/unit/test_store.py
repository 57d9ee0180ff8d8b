"""The SQLite store: schema migrations, hashed tokens, revocation, the event log, results."""

from __future__ import annotations

import sqlite3

import pytest

from protocol.events import Event
from server.store import DB_NAME, MIGRATIONS, CommandResult, Store, StoreError, hash_token


def _event(seq: int, **over) -> Event:
    base = dict(
        seq=seq, type="chat.posted", ts=1000.0 + seq, actor=2, actor_name="Sam", audience="everyone",
        subject=None, data={"message_id": seq, "member_id": 2, "text": f"line {seq}", "to": "group", "me": False},
    )
    base.update(over)
    return Event(**base)


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path)
    yield s
    s.close()


def test_new_file_runs_every_migration_in_wal_mode(tmp_path):
    store = Store(tmp_path)
    assert store.path == tmp_path / DB_NAME
    assert store.schema_version() == len(MIGRATIONS)
    mode = store._db.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    tables = {r[0] for r in store._db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"groups", "members", "events", "command_results"} <= tables
    store.close()


def test_reopening_keeps_the_schema_version_and_data(tmp_path):
    store = Store(tmp_path)
    gid = store.create_group("Tuesday IOP")
    store.close()
    again = Store(tmp_path)
    assert again.schema_version() == len(MIGRATIONS)
    assert again.group_by_name("Tuesday IOP").id == gid
    again.close()


def test_a_file_from_a_newer_server_is_refused_with_a_sentence(tmp_path):
    db = sqlite3.connect(tmp_path / DB_NAME)
    db.execute(f"PRAGMA user_version={len(MIGRATIONS) + 5}")
    db.close()
    with pytest.raises(StoreError, match="newer iop-server"):
        Store(tmp_path)


def test_tokens_are_stored_only_as_hashes(store, tmp_path):
    gid = store.create_group("Tuesday IOP")
    member_id, token = store.add_member(gid, "Sam", "participant")
    assert len(token) >= 32
    rows = store._db.execute("SELECT token_hash FROM members").fetchall()
    assert rows == [(hash_token(token),)]
    raw = (tmp_path / DB_NAME).read_bytes() + (tmp_path / (DB_NAME + "-wal")).read_bytes()
    assert token.encode() not in raw
    found = store.member_for_token(token)
    assert (found.id, found.group_id, found.name, found.role, found.revoked) == (member_id, gid, "Sam", "participant", False)
    assert store.member_for_token(token + "x") is None


def test_revoke_marks_the_member_and_keeps_the_record(store):
    gid = store.create_group("Tuesday IOP")
    mid, token = store.add_member(gid, "Sam", "participant")
    store.revoke_member(mid)
    assert store.member_for_token(token).revoked is True
    assert [m.revoked for m in store.members(gid)] == [True]
    assert store.members(gid, include_revoked=False) == []
    # the name stays Sam's: a new token for the same member lifts the revocation
    with pytest.raises(StoreError, match=r"revoked.*--new-token"):
        store.add_member(gid, "sam", "participant")
    new_token = store.reissue_token(mid)
    assert store.member_for_token(token) is None
    assert store.member_for_token(new_token) == store.member(mid) and store.member(mid).revoked is False


def test_refusals_are_one_sentence_store_errors(store):
    gid = store.create_group("Tuesday IOP")
    with pytest.raises(StoreError, match="already exists"):
        store.create_group("Tuesday IOP")
    store.add_member(gid, "Sam", "participant")
    with pytest.raises(StoreError, match="already has a member"):
        store.add_member(gid, "Sam", "participant")
    with pytest.raises(StoreError, match="Unknown role"):
        store.add_member(gid, "Pat", "admin")
    with pytest.raises(StoreError, match="no group"):
        store.add_member(999, "Pat", "participant")


def test_find_group_by_name_or_id(store):
    gid = store.create_group("Tuesday IOP")
    assert store.find_group("Tuesday IOP").id == gid
    assert store.find_group(str(gid)).name == "Tuesday IOP"
    assert store.find_group("Wednesday") is None


def test_events_roundtrip_in_order_with_head_seq(store):
    gid = store.create_group("Tuesday IOP")
    other = store.create_group("Thursday IOP")
    assert store.head_seq(gid) == 0
    events = [_event(1), _event(2, audience="member", subject=2, type="checkin.note", data={"member_id": 2, "note": "private"}), _event(3)]
    store.commit([(gid, e) for e in events], [])
    store.commit([(other, _event(1))], [])
    assert store.head_seq(gid) == 3
    assert store.head_seq(other) == 1
    assert store.events_after(gid, 0) == events
    assert store.events_after(gid, 2) == events[2:]
    assert list(store.iter_events(gid, 0, chunk=2)) == events


def test_a_seq_is_never_written_twice(store):
    gid = store.create_group("Tuesday IOP")
    store.commit([(gid, _event(1))], [])
    with pytest.raises(store.IntegrityError):
        store.commit([(gid, _event(2)), (gid, _event(1))], [])
    # the failed batch left nothing behind
    assert store.head_seq(gid) == 1


def test_command_results_commit_with_their_events(store):
    gid = store.create_group("Tuesday IOP")
    mid, _ = store.add_member(gid, "Sam", "participant")
    store.commit([(gid, _event(1)), (gid, _event(2))], [(mid, "c1", gid, CommandResult(1, 2))])
    store.commit([], [(mid, "c2", gid, CommandResult(None, None, "forbidden", "Not yours."))])
    assert store.command_result(mid, "c1") == CommandResult(1, 2, None, None)
    assert store.command_result(mid, "c2") == CommandResult(None, None, "forbidden", "Not yours.")
    assert store.command_result(mid, "c3") is None
    assert store.command_result(mid + 1, "c1") is None


def test_commit_revokes_removed_members_in_the_same_transaction(store, tmp_path):
    gid = store.create_group("Tuesday IOP")
    mid, token = store.add_member(gid, "Sam", "participant")
    removal = _event(1, type="member.removed", data={"member_id": mid})
    store.commit([(gid, removal)], [(1, "rm", gid, CommandResult(1, 1))], revoked=[mid])
    store.close()
    again = Store(tmp_path)
    assert again.member_for_token(token).revoked
    assert again.events_after(gid, 0) == [removal]
    again.close()
