"""The relay's storage: groups, members (hashed tokens), the event log and command results.

The store is one interface, :class:`Store`, with two implementations: SQLite
(this module; the default, what ``make demo`` uses) and PostgreSQL
(:mod:`server.store_pg`, :class:`~server.store_pg.PgStore`, a subclass that
changes only the connection: how SQL is run, the schema's version, the
readers). :func:`open_store` picks one from ``--store``: a folder or file is
SQLite, a ``postgresql://`` URL is PostgreSQL. Every query of the store is
written once, below, in the SQL both engines share; :mod:`server.store_pg`
translates the few spellings that differ (placeholders, ``INSERT OR IGNORE``,
two-argument ``MAX``, ``lastrowid``), with a test for each.

Migrations, for both engines, are here: :data:`MIGRATIONS` is the one ordered
list of logical migrations, written for SQLite; PostgreSQL runs each through
:func:`server.store_pg.translate_ddl` (types: ``INTEGER`` -> ``BIGINT``, ``REAL``
-> ``DOUBLE PRECISION``, ``BLOB`` -> ``BYTEA``, ``id INTEGER PRIMARY KEY`` ->
``BIGSERIAL``) and then what :data:`PG_ALSO` adds for that number (what
SQLite has built in: ``rowid``, ``PRAGMA data_version``). A new migration is a
new entry at the end of :data:`MIGRATIONS` (and of :data:`PG_ALSO` if needed).

The group's head check (both engines): every commit moves each group's
``groups.head_seq`` from the seq before its batch to the batch's last seq with
``UPDATE groups SET head_seq = new WHERE id = g AND head_seq = old`` in the same
transaction; when a group's stored head is not where the writer left it
(another writer got there first) the whole transaction rolls back and
:class:`HeadMoved` names the groups, so the caller drops their batch (the
hub reloads those rooms and commits the rest). Epoch fencing for several
nodes (PostgreSQL, :mod:`server.placement`): the same transaction also checks
each group's ``owner_epoch`` against the writer's (``iop_commit_fenced``,
migration 7); a group another node claimed meanwhile is named in
:attr:`HeadMoved.fenced`, and the node drops it.

SQLite:

One file (``iop.sqlite3``) under the data folder, in WAL mode so the CLI can
read and invite while a server runs. The schema is versioned with
``PRAGMA user_version`` and an ordered list of migrations; opening a file runs
whatever migrations it has not seen yet.

Durability: ``synchronous=NORMAL`` in WAL mode keeps every committed
transaction across a crash of the process (``kill -9``); a power failure may
lose the last few commits. Pass ``durable=True`` for ``synchronous=FULL``.

The hub writes a batch of events *and* the results of the commands that
caused them in one transaction (:meth:`Store.commit`), so a command retried
after a restart is answered from its first result.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import sqlite3
import stat
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from datetime import time as dtime
from pathlib import Path
from typing import Any, NamedTuple

import msgpack

from protocol.attendance import Stretch
from protocol.events import Event
from protocol.names import find_by_name, tidy_name
from protocol.roles import GUEST, ROLES
from protocol.schedule import MAX_RULES, ReminderPrefs, parse_quiet
from protocol.schedule import Rule as ScheduleRule

__all__ = [
    "DB_NAME",
    "first_line",
    "StoreBusy",
    "Snapshot",
    "GroupRecord",
    "GroupSettings",
    "MemberRecord",
    "CommandResult",
    "Store",
    "StoreError",
    "VersionMoved",
    "HeadMoved",
    "hash_token",
    "open_store",
]

DB_NAME = "iop.sqlite3"

log = logging.getLogger("iop.server")

#: Ordered schema migrations; ``PRAGMA user_version`` is how many have run.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE groups (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at REAL NOT NULL
    );
    CREATE TABLE members (
        id INTEGER PRIMARY KEY,
        group_id INTEGER NOT NULL REFERENCES groups(id),
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        revoked INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL
    );
    CREATE INDEX members_by_group ON members(group_id);
    CREATE TABLE events (
        group_id INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        type TEXT NOT NULL,
        ts REAL NOT NULL,
        actor INTEGER NOT NULL,
        actor_name TEXT NOT NULL,
        audience TEXT NOT NULL,
        subject INTEGER,
        data BLOB NOT NULL,
        PRIMARY KEY (group_id, seq)
    ) WITHOUT ROWID;
    CREATE TABLE command_results (
        member_id INTEGER NOT NULL,
        command_id TEXT NOT NULL,
        group_id INTEGER NOT NULL,
        first_seq INTEGER,
        last_seq INTEGER,
        error_code TEXT,
        error_message TEXT,
        ts REAL NOT NULL,
        PRIMARY KEY (member_id, command_id)
    ) WITHOUT ROWID;
    """,
    # 2: bytes each member's commands have stored, for the storage quota (server/quota.py).
    """
    CREATE TABLE member_usage (
        member_id INTEGER PRIMARY KEY,
        bytes INTEGER NOT NULL
    );
    INSERT INTO member_usage (member_id, bytes)
        SELECT actor, SUM(LENGTH(data)) FROM events WHERE actor > 0 GROUP BY actor;
    """,
    # 3: each group's safety settings: the on-call email address, the check-in
    # mood at or below which an alert is raised, the feeling words watched for.
    """
    CREATE TABLE group_settings (
        group_id INTEGER PRIMARY KEY REFERENCES groups(id),
        on_call TEXT NOT NULL DEFAULT '',
        alert_mood INTEGER NOT NULL DEFAULT 2,
        watch_words TEXT NOT NULL DEFAULT ''
    );
    """,
    # 4 (between sessions, issue 15 part B): attendance stretches per session and
    # member (protocol/attendance.py), and guests' invitations to one family
    # session (protocol/family.py: ``after_seq`` is the group's head when invited).
    """
    CREATE TABLE attendance (
        group_id INTEGER NOT NULL,
        session_id INTEGER NOT NULL,
        member_id INTEGER NOT NULL,
        joined_at REAL NOT NULL,
        left_at REAL
    );
    CREATE INDEX attendance_by_session ON attendance(group_id, session_id);
    CREATE TABLE guest_invites (
        member_id INTEGER PRIMARY KEY REFERENCES members(id),
        after_seq INTEGER NOT NULL
    );
    """,
    # -- schedules and reminders (issue 15a; server/schedule.py, server/reminders.py) --
    # 5: each group's schedule (rules in its time zone, cancelled days or starts,
    # the public label reminders carry), each member's reminder choices and
    # addresses (only here, never in the log), and the reminder outbox: one row
    # per (member, occasion, channel), claimed before it is sent.
    """
    CREATE TABLE schedule_settings (
        group_id INTEGER PRIMARY KEY REFERENCES groups(id),
        tz TEXT NOT NULL DEFAULT 'UTC',
        label TEXT NOT NULL DEFAULT '',
        join_text TEXT NOT NULL DEFAULT '',
        revision INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE schedule_rules (
        id INTEGER PRIMARY KEY,
        group_id INTEGER NOT NULL REFERENCES groups(id),
        kind TEXT NOT NULL,
        first_day TEXT NOT NULL,
        at TEXT NOT NULL,
        minutes INTEGER NOT NULL,
        days TEXT NOT NULL DEFAULT '',
        last_day TEXT,
        created_at REAL NOT NULL
    );
    CREATE INDEX schedule_rules_by_group ON schedule_rules(group_id);
    CREATE TABLE schedule_cancellations (
        group_id INTEGER NOT NULL,
        local TEXT NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (group_id, local)
    ) WITHOUT ROWID;
    CREATE TABLE reminder_prefs (
        member_id INTEGER PRIMARY KEY REFERENCES members(id),
        consent INTEGER NOT NULL DEFAULT 0,
        email TEXT NOT NULL DEFAULT '',
        sms TEXT NOT NULL DEFAULT '',
        lead INTEGER NOT NULL DEFAULT 60,
        quiet TEXT NOT NULL DEFAULT '',
        updated_at REAL NOT NULL
    );
    CREATE TABLE reminder_outbox (
        member_id INTEGER NOT NULL,
        occasion TEXT NOT NULL,
        channel TEXT NOT NULL,
        group_id INTEGER NOT NULL,
        due REAL NOT NULL,
        state TEXT NOT NULL,
        owner TEXT NOT NULL DEFAULT '',
        lease_until REAL NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        sent_at REAL,
        error TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (member_id, occasion, channel)
    ) WITHOUT ROWID;
    """,
    # -- the store seam (issue 16) --
    # 6: each group's head seq, moved by every commit only from where its writer
    # left it (the head check; see the module docstring).
    """
    ALTER TABLE groups ADD COLUMN head_seq INTEGER NOT NULL DEFAULT 0;
    UPDATE groups SET head_seq = COALESCE((SELECT MAX(seq) FROM events WHERE events.group_id = groups.id), 0);
    """,
    # -- placement (issue 16): server/placement.py --
    # 7: which node owns each group, and the epoch (fencing token) every claim bumps.
    # SQLite never reads them (one node, always the owner); PG_ALSO[7] adds the nodes and their leases.
    """
    ALTER TABLE groups ADD COLUMN owner_node TEXT;
    ALTER TABLE groups ADD COLUMN owner_epoch INTEGER NOT NULL DEFAULT 0;
    """,
    # 8 (issue 16): every node looks for due claims in the outbox (on-call emails each
    # min(after, 30) s, reminders each minute) and a facilitator lists a group's: by index,
    # not by scanning every reminder ever sent. Only claimed rows are ever due.
    """
    CREATE INDEX reminder_outbox_due ON reminder_outbox(channel, lease_until) WHERE state = 'claimed';
    CREATE INDEX reminder_outbox_by_group ON reminder_outbox(group_id, due);
    """,
    # 9 (issue 16): nothing for SQLite, whose data_version moves at every commit of another
    # connection; PG_ALSO[9] moves PostgreSQL's at a change of a group's settings or a guest's
    # invitation too, so a join reads them only when the CLI changed something.
    """
    -- SQLite: nothing to change
    """,
    # 10 (issue 16, the tail): nothing for SQLite, whose relay reads data_version before each
    # batch for free; PG_ALSO[10] checks it in the commit itself, which spares the relay a round
    # trip on its event loop before every batch.
    """
    -- SQLite: nothing to change
    """,
    # 11 (issue 16, the tail): nothing for SQLite; PG_ALSO[11] makes PostgreSQL's commit one function.
    """
    -- SQLite: nothing to change
    """,
    # 12 (issue 16): each group's last snapshot of its folded state (server/snapshot.py): a room
    # loads from it and the events after ``seq``. ``last_ts``: the time of event ``seq``.
    """
    CREATE TABLE snapshots (
        group_id INTEGER PRIMARY KEY REFERENCES groups(id),
        seq INTEGER NOT NULL,
        last_ts REAL NOT NULL,
        fold_version TEXT NOT NULL,
        data BLOB NOT NULL,
        written_at REAL NOT NULL
    );
    """,
)

#: What PostgreSQL runs besides a migration's translated SQL, by migration number:
#: what SQLite has built in. One script each, run whole (functions hold semicolons).
PG_ALSO: dict[int, str] = {
    # attendance is read in insertion order and its latest stretch found by SQLite's rowid.
    4: "ALTER TABLE attendance ADD COLUMN rowid BIGSERIAL;",
    # PRAGMA data_version: a counter every change to the members moves (revocations and new
    # tokens from the CLI, in another process, are noticed by the relay in one cheap read;
    # from migration 9 a group's settings and guests' invitations move it too).
    6: """
    CREATE TABLE store_meta (data_version BIGINT NOT NULL);
    INSERT INTO store_meta (data_version) VALUES (0);
    CREATE FUNCTION iop_bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE store_meta SET data_version = data_version + 1;
        RETURN NULL;
    END $$;
    CREATE TRIGGER members_changed AFTER INSERT OR UPDATE OR DELETE ON members
        FOR EACH STATEMENT EXECUTE FUNCTION iop_bump_data_version();
    -- the commit in one statement (one round trip, its own transaction; server/store_pg.py):
    -- lock the batch's groups, and when any head is not where the batch starts, write
    -- nothing and return those groups; else move the heads and write the batch.
    CREATE FUNCTION iop_commit(
        h_id BIGINT[], h_old BIGINT[], h_new BIGINT[],
        e_group BIGINT[], e_seq BIGINT[], e_type TEXT[], e_ts DOUBLE PRECISION[], e_actor BIGINT[], e_actor_name TEXT[],
        e_audience TEXT[], e_subject BIGINT[], e_data BYTEA[],
        r_member BIGINT[], r_command TEXT[], r_group BIGINT[], r_first BIGINT[], r_last BIGINT[], r_code TEXT[], r_message TEXT[],
        r_ts DOUBLE PRECISION,
        m_revoked BIGINT[], u_member BIGINT[], u_bytes BIGINT[]
    ) RETURNS BIGINT[] LANGUAGE plpgsql AS $$
    DECLARE
        moved BIGINT[];
    BEGIN
        PERFORM 1 FROM groups WHERE id = ANY(h_id) ORDER BY id FOR UPDATE;
        SELECT COALESCE(array_agg(v.id ORDER BY v.id), '{}') INTO moved
            FROM unnest(h_id, h_old) AS v(id, old) LEFT JOIN groups g ON g.id = v.id
            WHERE g.id IS NULL OR g.head_seq <> v.old;
        IF cardinality(moved) > 0 THEN
            RETURN moved;
        END IF;
        UPDATE groups AS g SET head_seq = v.new FROM unnest(h_id, h_new) AS v(id, new) WHERE g.id = v.id;
        INSERT INTO events (group_id, seq, type, ts, actor, actor_name, audience, subject, data)
            SELECT * FROM unnest(e_group, e_seq, e_type, e_ts, e_actor, e_actor_name, e_audience, e_subject, e_data);
        INSERT INTO command_results (member_id, command_id, group_id, first_seq, last_seq, error_code, error_message, ts)
            SELECT v.*, r_ts FROM unnest(r_member, r_command, r_group, r_first, r_last, r_code, r_message) AS v;
        IF cardinality(m_revoked) > 0 THEN  -- (a statement on members moves data_version, rows or not)
            UPDATE members SET revoked = 1 WHERE id = ANY(m_revoked);
        END IF;
        INSERT INTO member_usage (member_id, bytes) SELECT * FROM unnest(u_member, u_bytes)
            ON CONFLICT (member_id) DO UPDATE SET bytes = member_usage.bytes + excluded.bytes;
        RETURN moved;
    END $$;
    """,
    # -- placement (issue 16): the nodes, their leases on the database's clock, and the fenced commit --
    7: """
    CREATE TABLE nodes (
        node_id TEXT PRIMARY KEY,
        internal_url TEXT NOT NULL,
        lease_until TIMESTAMPTZ NOT NULL,
        started_at TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    -- iop_commit, fenced: under the same row locks, a group of the batch (with events or
    -- command results: f_id) whose owner_epoch is not the writer's (f_epoch) refuses the
    -- whole batch, named as -id; else iop_commit. Empty f_id: no check (the CLI).
    CREATE FUNCTION iop_commit_fenced(
        f_id BIGINT[], f_epoch BIGINT[], h_id BIGINT[], h_old BIGINT[], h_new BIGINT[],
        e_group BIGINT[], e_seq BIGINT[], e_type TEXT[], e_ts DOUBLE PRECISION[], e_actor BIGINT[], e_actor_name TEXT[],
        e_audience TEXT[], e_subject BIGINT[], e_data BYTEA[],
        r_member BIGINT[], r_command TEXT[], r_group BIGINT[], r_first BIGINT[], r_last BIGINT[], r_code TEXT[], r_message TEXT[],
        r_ts DOUBLE PRECISION,
        m_revoked BIGINT[], u_member BIGINT[], u_bytes BIGINT[]
    ) RETURNS BIGINT[] LANGUAGE plpgsql AS $$
    DECLARE
        fenced BIGINT[];
    BEGIN
        PERFORM 1 FROM groups WHERE id = ANY(f_id || h_id) ORDER BY id FOR UPDATE;
        SELECT COALESCE(array_agg(-v.id ORDER BY v.id), '{}') INTO fenced
            FROM unnest(f_id, f_epoch) AS v(id, epoch) JOIN groups g ON g.id = v.id
            WHERE g.owner_epoch IS DISTINCT FROM v.epoch;
        IF cardinality(fenced) > 0 THEN
            RETURN fenced;
        END IF;
        RETURN iop_commit(h_id, h_old, h_new, e_group, e_seq, e_type, e_ts, e_actor, e_actor_name, e_audience, e_subject, e_data,
            r_member, r_command, r_group, r_first, r_last, r_code, r_message, r_ts, m_revoked, u_member, u_bytes);
    END $$;
    """,
    # 9: what else the CLI changes for a running relay moves data_version too.
    9: """
    CREATE TRIGGER group_settings_changed AFTER INSERT OR UPDATE OR DELETE ON group_settings
        FOR EACH STATEMENT EXECUTE FUNCTION iop_bump_data_version();
    CREATE TRIGGER guest_invites_changed AFTER INSERT OR UPDATE OR DELETE ON guest_invites
        FOR EACH STATEMENT EXECUTE FUNCTION iop_bump_data_version();
    """,
    # 10: iop_commit_fenced, checked: when data_version is not v_expected (another connection
    # revoked a member, gave a new token, or changed a group's settings or a guest's invitation
    # since the relay last read them), nothing is written and it returns NULL: the relay reads
    # them again and decides the batch afresh. A NULL v_expected: no check (the CLI).
    10: """
    CREATE FUNCTION iop_commit_checked(
        v_expected BIGINT,
        f_id BIGINT[], f_epoch BIGINT[], h_id BIGINT[], h_old BIGINT[], h_new BIGINT[],
        e_group BIGINT[], e_seq BIGINT[], e_type TEXT[], e_ts DOUBLE PRECISION[], e_actor BIGINT[], e_actor_name TEXT[],
        e_audience TEXT[], e_subject BIGINT[], e_data BYTEA[],
        r_member BIGINT[], r_command TEXT[], r_group BIGINT[], r_first BIGINT[], r_last BIGINT[], r_code TEXT[], r_message TEXT[],
        r_ts DOUBLE PRECISION,
        m_revoked BIGINT[], u_member BIGINT[], u_bytes BIGINT[]
    ) RETURNS BIGINT[] LANGUAGE plpgsql AS $$
    BEGIN
        IF v_expected IS NOT NULL AND v_expected IS DISTINCT FROM (SELECT data_version FROM store_meta) THEN
            RETURN NULL;
        END IF;
        RETURN iop_commit_fenced(f_id, f_epoch, h_id, h_old, h_new, e_group, e_seq, e_type, e_ts, e_actor, e_actor_name,
            e_audience, e_subject, e_data, r_member, r_command, r_group, r_first, r_last, r_code, r_message, r_ts,
            m_revoked, u_member, u_bytes);
    END $$;
    """,
    # 11: iop_commit_checked as one function, the same checks in the same order (data_version,
    # then each group's epoch and head under one lock of its rows): the three nested calls and the
    # rows locked twice cost about 0.05 ms of a commit of 0.5 ms (bench/pg_commit.py; docs/relay.md, "Seventh round").
    # iop_commit and iop_commit_fenced stay, for a node of the version before during an upgrade.
    11: """
    CREATE OR REPLACE FUNCTION iop_commit_checked(
        v_expected BIGINT,
        f_id BIGINT[], f_epoch BIGINT[], h_id BIGINT[], h_old BIGINT[], h_new BIGINT[],
        e_group BIGINT[], e_seq BIGINT[], e_type TEXT[], e_ts DOUBLE PRECISION[], e_actor BIGINT[], e_actor_name TEXT[],
        e_audience TEXT[], e_subject BIGINT[], e_data BYTEA[],
        r_member BIGINT[], r_command TEXT[], r_group BIGINT[], r_first BIGINT[], r_last BIGINT[], r_code TEXT[], r_message TEXT[],
        r_ts DOUBLE PRECISION,
        m_revoked BIGINT[], u_member BIGINT[], u_bytes BIGINT[]
    ) RETURNS BIGINT[] LANGUAGE plpgsql AS $$
    DECLARE
        refused BIGINT[];
    BEGIN
        IF v_expected IS NOT NULL AND v_expected IS DISTINCT FROM (SELECT data_version FROM store_meta) THEN
            RETURN NULL;
        END IF;
        PERFORM 1 FROM groups WHERE id = ANY(f_id || h_id) ORDER BY id FOR UPDATE;
        SELECT COALESCE(array_agg(-v.id ORDER BY v.id), '{}') INTO refused
            FROM unnest(f_id, f_epoch) AS v(id, epoch) JOIN groups g ON g.id = v.id
            WHERE g.owner_epoch IS DISTINCT FROM v.epoch;
        IF cardinality(refused) > 0 THEN
            RETURN refused;
        END IF;
        SELECT COALESCE(array_agg(v.id ORDER BY v.id), '{}') INTO refused
            FROM unnest(h_id, h_old) AS v(id, old) LEFT JOIN groups g ON g.id = v.id
            WHERE g.id IS NULL OR g.head_seq <> v.old;
        IF cardinality(refused) > 0 THEN
            RETURN refused;
        END IF;
        UPDATE groups AS g SET head_seq = v.new FROM unnest(h_id, h_new) AS v(id, new) WHERE g.id = v.id;
        INSERT INTO events (group_id, seq, type, ts, actor, actor_name, audience, subject, data)
            SELECT * FROM unnest(e_group, e_seq, e_type, e_ts, e_actor, e_actor_name, e_audience, e_subject, e_data);
        INSERT INTO command_results (member_id, command_id, group_id, first_seq, last_seq, error_code, error_message, ts)
            SELECT v.*, r_ts FROM unnest(r_member, r_command, r_group, r_first, r_last, r_code, r_message) AS v;
        IF cardinality(m_revoked) > 0 THEN  -- (a statement on members moves data_version, rows or not)
            UPDATE members SET revoked = 1 WHERE id = ANY(m_revoked);
        END IF;
        INSERT INTO member_usage (member_id, bytes) SELECT * FROM unnest(u_member, u_bytes)
            ON CONFLICT (member_id) DO UPDATE SET bytes = member_usage.bytes + excluded.bytes;
        RETURN refused;
    END $$;
    """,
}


def first_line(exc: BaseException) -> str:
    """An exception's message for a one-line log or sentence: its first line, or its type's name."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _member(row: Any) -> MemberRecord:
    """A member from a row that starts with id, group_id, name, role, revoked."""
    return MemberRecord(row[0], row[1], row[2], row[3], bool(row[4]))


def _prefs(row: Any) -> ReminderPrefs:
    """A member's reminder choices from their ``reminder_prefs`` row (consent, email, sms, lead,
    quiet), or the defaults when they have none (a row of NULLs from an outer join, or None)."""
    if row is None or row[0] is None:
        return ReminderPrefs()
    try:
        quiet = parse_quiet(row[4])
    except ValueError:
        quiet = None
    return ReminderPrefs(bool(row[0]), row[1], row[2], row[3], quiet)


def _taken_sentence(member: MemberRecord) -> str:
    if member.revoked:
        return (
            f"The group already has a member named {member.name!r} (id {member.id}, revoked); give them a new token "
            f"with 'iop-server invite GROUP --name {member.name!r} --new-token', or choose another name."
        )
    return f"The group already has a member named {member.name!r} (id {member.id}); choose another name."


class StoreError(Exception):
    """A request the store refuses, with a one-sentence message for a person."""


class StoreBusy(StoreError):
    """A commit that found the write lock held by another connection (the CLI's) and
    was not to wait for it (:meth:`Store.wait_for_lock`); nothing was written."""


class HeadMoved(Exception):
    """A commit refused because these groups' stored heads are not where the batch starts
    (another writer committed first); nothing of the batch was written."""

    def __init__(self, groups: Iterable[int], fenced: Iterable[int] = ()) -> None:
        self.groups = frozenset(groups)
        #: Of ``groups``, those refused because another node owns them now (their epoch moved:
        #: server/placement.py); the node drops them rather than reloading them.
        self.fenced = frozenset(fenced)
        super().__init__(f"the stored head of group(s) {sorted(self.groups)} moved; nothing was written")


class VersionMoved(Exception):
    """A commit refused because ``data_version`` moved since the relay last read the members'
    tokens (:attr:`Store.checks_version`): another connection revoked a member, gave a new token
    or changed a group's settings or a guest's invitation. Nothing of the batch was written."""

    def __init__(self) -> None:
        super().__init__("data_version moved since the batch was decided; nothing was written")


@dataclass(frozen=True)
class GroupRecord:
    id: int
    name: str


@dataclass(frozen=True)
class MemberRecord:
    id: int
    group_id: int
    name: str
    role: str
    revoked: bool


@dataclass(frozen=True)
class GroupSettings:
    """A group's safety settings (``iop-server group set``)."""

    on_call: str = ""  # the email address urgent requests go to when no facilitator is connected
    alert_mood: int = 2  # a check-in mood at or below this raises an alert
    watch_words: tuple[str, ...] = ()  # feeling words that raise an alert (casefolded)


class Snapshot(NamedTuple):
    """A group's state folded up to ``seq`` (server/snapshot.py); ``last_ts``: the time of event ``seq``."""

    seq: int
    last_ts: float
    data: bytes


@dataclass(frozen=True)
class CommandResult:
    """The first outcome of a command: the seqs it caused, or the error it got."""

    first_seq: int | None
    last_seq: int | None
    error_code: str | None = None
    error_message: str | None = None


def _owner_only(folder: Path | None, db: Path) -> None:
    """Make the data folder 0700 and the database files 0600, warning when they were wider."""
    wanted = [(folder, 0o700)] if folder is not None else []
    wanted += [(Path(f"{db}{suffix}"), 0o600) for suffix in ("", "-wal", "-shm", "-journal")]
    for target, mode in wanted:
        try:
            current = stat.S_IMODE(target.stat().st_mode)
        except OSError:
            continue  # not there (yet): SQLite creates it with the database file's mode
        if current & ~mode & 0o777 == 0:
            continue
        what = "data folder" if mode == 0o700 else "database file"
        try:
            target.chmod(mode)
        except OSError as exc:
            log.warning(
                "The %s %s is readable by other users (mode %04o) and could not be changed (%s); run: chmod %o %s",
                what, target, current, exc.strerror, mode, target,
            )
        else:
            log.warning("The %s %s was readable by other users (mode %04o); it is now %04o, its owner's only.", what, target, current, mode)


def hash_token(token: str) -> str:
    """The stored form of a join token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def _pack(data: dict) -> bytes:
    return msgpack.packb(data, use_bin_type=True)


def _unpack(blob: bytes) -> dict:
    return msgpack.unpackb(blob, raw=False, strict_map_key=False)


def _event(row: tuple) -> Event:
    seq, etype, ts, actor, actor_name, audience, subject, data = row
    return Event(seq, etype, ts, actor, actor_name, audience, subject, _unpack(data))


_EVENT_COLUMNS = "seq, type, ts, actor, actor_name, audience, subject, data"


def batch_heads(events: Iterable[tuple[int, Event]]) -> dict[int, list[int]]:
    """Each group of a batch -> [the seq before its events (its expected head), its last seq]."""
    heads: dict[int, list[int]] = {}
    for gid, e in events:
        head = heads.get(gid)
        if head is None:
            heads[gid] = [e.seq - 1, e.seq]
        else:
            head[1] = max(head[1], e.seq)
    return heads


def open_store(ref: str | Path, *, durable: bool = False, background_checkpoints: bool = False) -> Store:
    """The store ``--store`` names: a ``postgresql://`` URL, else a SQLite folder or file."""
    if isinstance(ref, str) and ref.startswith(("postgresql://", "postgres://")):
        try:
            from .store_pg import PgStore  # psycopg is needed only for PostgreSQL
        except ImportError:
            raise StoreError("The PostgreSQL store needs psycopg; install it with: pip install -e '.[postgresql]'") from None
        return PgStore(ref)
    return Store(Path(ref), durable=durable, background_checkpoints=background_checkpoints)


def is_store_url(ref: str | Path) -> bool:
    return isinstance(ref, str) and ref.startswith(("postgresql://", "postgres://"))


class Store:
    """The relay's database (this class: SQLite). Use from one thread; open one per process."""

    #: The engine's errors: a broken constraint, and any database error.
    IntegrityError: type[Exception] = sqlite3.IntegrityError
    DatabaseError: type[Exception] = sqlite3.Error
    #: A sqlite3 connection here; in PgStore, a psycopg connection that speaks the same SQL.
    _db: Any
    #: The SQLite file, or (PgStore) the database named without its password.
    path: Path | str

    def __init__(self, path: Path, *, durable: bool = False, background_checkpoints: bool = False) -> None:
        """Open (creating if needed) the database in the folder ``path``, or the file ``path``."""
        path = Path(path)
        folder: Path | None = None
        # What members write is health information: everything the store
        # creates is its owner's alone (folder 0700, files 0600, -wal and -shm
        # included: SQLite gives those the database file's mode).
        old_umask = os.umask(0o077)
        try:
            if path.is_dir() or not path.suffix:
                path.mkdir(mode=0o700, parents=True, exist_ok=True)
                folder, path = path, path / DB_NAME
            else:
                path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"Cannot open the data at {path} ({exc}); check the path and its permissions.") from None
        finally:
            os.umask(old_umask)
        self.path = path
        self.durable = durable
        _owner_only(folder, path)
        self._db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        self._db.execute(f"PRAGMA busy_timeout={self.lock_wait_ms}")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._checkpointer: sqlite3.Connection | None = None
        self._reader: sqlite3.Connection | None = None
        self._reader_lock = threading.Lock()
        if background_checkpoints:
            # The relay copies the WAL back into the database from a worker
            # thread (see checkpoint()), so the event loop never waits on it.
            self._db.execute("PRAGMA wal_autocheckpoint=0")
        self._migrate()

    # -- schema ---------------------------------------------------------------

    def _migrate(self) -> None:
        version = self.schema_version()
        if version > len(MIGRATIONS):
            raise StoreError(
                f"The data file {self.path} was written by a newer iop-server (schema {version}); upgrade iop-server."
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for statement in script.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version={number}")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def schema_version(self) -> int:
        return self._db.execute("PRAGMA user_version").fetchone()[0]

    def checkpoint(self) -> None:
        """Copy committed WAL pages into the database file; safe to call from one worker thread."""
        if self._checkpointer is None:
            self._checkpointer = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._checkpointer.execute("PRAGMA busy_timeout=5000")
        self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def close(self) -> None:
        with self._reader_lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None
        if self._checkpointer is not None:
            self._checkpointer.close()
            self._checkpointer = None
        self._db.close()

    # -- groups and members ----------------------------------------------------

    def create_group(self, name: str) -> int:
        name = name.strip()
        if not name:
            raise StoreError("A group needs a name; give one.")
        try:
            cur = self._db.execute("INSERT INTO groups (name, created_at) VALUES (?, ?)", (name, time.time()))
        except self.IntegrityError:
            raise StoreError(f"A group named {name!r} already exists; choose another name.") from None
        assert cur.lastrowid is not None  # an INSERT always sets it
        return cur.lastrowid

    def group(self, group_id: int) -> GroupRecord | None:
        row = self._db.execute("SELECT id, name FROM groups WHERE id = ?", (group_id,)).fetchone()
        return GroupRecord(*row) if row else None

    def group_by_name(self, name: str) -> GroupRecord | None:
        row = self._db.execute("SELECT id, name FROM groups WHERE name = ?", (name,)).fetchone()
        return GroupRecord(*row) if row else None

    def find_group(self, ref: str) -> GroupRecord | None:
        """A group by name, or by numeric id when no group has that name."""
        found = self.group_by_name(ref)
        if found is None and ref.strip().isdigit():
            found = self.group(int(ref))
        return found

    def group_settings(self, group_id: int) -> GroupSettings:
        row = self._db.execute("SELECT on_call, alert_mood, watch_words FROM group_settings WHERE group_id = ?", (group_id,)).fetchone()
        if row is None:
            return GroupSettings()
        return GroupSettings(row[0], row[1], tuple(w for w in row[2].split("\n") if w))

    def set_group_settings(
        self, group_id: int, *, on_call: str | None = None, alert_mood: int | None = None, watch_words: Iterable[str] | None = None
    ) -> GroupSettings:
        """Change some of a group's safety settings; return them all."""
        now = self.group_settings(group_id)
        words = now.watch_words if watch_words is None else tuple(dict.fromkeys(w.strip().casefold() for w in watch_words if w.strip()))
        new = GroupSettings(
            now.on_call if on_call is None else on_call.strip(),
            now.alert_mood if alert_mood is None else alert_mood,
            words,
        )
        self._db.execute(
            "INSERT INTO group_settings (group_id, on_call, alert_mood, watch_words) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (group_id) DO UPDATE SET on_call = excluded.on_call, alert_mood = excluded.alert_mood,"
            " watch_words = excluded.watch_words",
            (group_id, new.on_call, new.alert_mood, "\n".join(new.watch_words)),
        )
        return new

    def groups_on_call(self) -> list[int]:
        """The groups that have an on-call address."""
        return [row[0] for row in self._db.execute("SELECT group_id FROM group_settings WHERE on_call != '' ORDER BY group_id")]

    def groups(self) -> list[GroupRecord]:
        return [GroupRecord(*row) for row in self._db.execute("SELECT id, name FROM groups ORDER BY id")]

    def add_member(self, group_id: int, name: str, role: str) -> tuple[int, str]:
        """Add a member; return (member_id, token). Only the token's hash is stored.

        Names are unique in a group by :func:`protocol.names.name_key` (case,
        Unicode form and spacing aside), revoked members included: someone who
        comes back gets a new token with :meth:`reissue_token`, never a second
        record under their name.
        """
        name = tidy_name(name)
        if role not in ROLES:
            raise StoreError(f"Unknown role {role!r}; use one of {', '.join(ROLES)}.")
        if not name:
            raise StoreError("A member needs a name; give one.")
        if self.group(group_id) is None:
            raise StoreError(f"There is no group with id {group_id}; create it first.")
        self._db.execute("BEGIN IMMEDIATE")
        try:
            taken = self.members_named(group_id, name)
            if taken:
                self._db.execute("ROLLBACK")
                raise StoreError(_taken_sentence(taken[0]))
            token = secrets.token_urlsafe(24)
            cur = self._db.execute(
                "INSERT INTO members (group_id, name, role, token_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                (group_id, name, role, hash_token(token), time.time()),
            )
            self._db.execute("COMMIT")
        except self.DatabaseError:
            self._db.execute("ROLLBACK")
            raise
        assert cur.lastrowid is not None  # an INSERT always sets it
        return cur.lastrowid, token

    def members_named(self, group_id: int, name: str) -> list[MemberRecord]:
        """The group's members (revoked ones too) whose name has the key of ``name``."""
        return find_by_name(self.members(group_id), name)

    def reissue_token(self, member_id: int) -> str:
        """Give a member a new join token (the old one stops working) and lift a revocation.

        The member keeps their id, so their history stays theirs.
        """
        token = secrets.token_urlsafe(24)
        self._db.execute("UPDATE members SET token_hash = ?, revoked = 0 WHERE id = ?", (hash_token(token), member_id))
        return token

    def revoke_member(self, member_id: int) -> None:
        self._db.execute("UPDATE members SET revoked = 1 WHERE id = ?", (member_id,))

    def member(self, member_id: int) -> MemberRecord | None:
        row = self._db.execute(
            "SELECT id, group_id, name, role, revoked FROM members WHERE id = ?", (member_id,)
        ).fetchone()
        return _member(row) if row else None

    def member_at_hello(self, token: str) -> tuple[MemberRecord | None, ReminderPrefs | None]:
        """The token's member and their reminder choices (None for a guest, who keeps none here), in
        one statement: a connection's hello needs both, and on PostgreSQL each read is a round trip
        on the relay's loop, thousands at once after a node dies (issue 16, the storm)."""
        row = self._db.execute(
            "SELECT m.id, m.group_id, m.name, m.role, m.revoked, p.consent, p.email, p.sms, p.lead, p.quiet"
            " FROM members AS m LEFT JOIN reminder_prefs AS p ON p.member_id = m.id WHERE m.token_hash = ?",
            (hash_token(token),),
        ).fetchone()
        if row is None:
            return None, None
        member = _member(row)
        return member, None if member.role == GUEST else _prefs(row[5:])

    def member_for_token(self, token: str) -> MemberRecord | None:
        return self.member_at_hello(token)[0]

    def revoked_among(self, member_ids: Iterable[int]) -> set[int]:
        """Which of these members have been revoked (perhaps by another process)."""
        ids = list(member_ids)
        found: set[int] = set()
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(f"SELECT id FROM members WHERE revoked = 1 AND id IN ({marks})", chunk)
            found.update(row[0] for row in rows)
        return found

    def stored_bytes(self, member_id: int) -> int:
        """How many bytes of event data this member's commands have stored."""
        row = self._db.execute("SELECT bytes FROM member_usage WHERE member_id = ?", (member_id,)).fetchone()
        return row[0] if row else 0

    @property
    def commit_may_block(self) -> bool:
        """Whether a commit may wait on the disk: with ``durable`` every commit syncs; without,
        WAL mode with ``synchronous=NORMAL`` writes commits to the page cache and syncs only at
        checkpoints (server/writer.py decides from this where a commit runs)."""
        return self.durable

    #: PostgreSQL: ``data_version`` as its last commit statement began, read in the same round
    #: trip (one counter for every connection there). SQLite's is per connection: None.
    version_at_commit: int | None = None

    #: Whether :meth:`commit` checks its ``version`` against ``data_version`` (PostgreSQL, where
    #: reading it before each batch would be a round trip on the relay's loop): see VersionMoved.
    checks_version = False

    #: How long a write waits for the write lock another connection (the CLI) holds.
    lock_wait_ms = 5000

    #: Whether a read is a round trip to a server (PostgreSQL), not a local file's page (SQLite):
    #: then the hub reads what it can ahead of time, off the loop.
    reads_are_round_trips = False

    def wait_for_lock(self, wait: bool) -> None:
        """Whether a commit waits (up to :attr:`lock_wait_ms`) for a write lock another
        connection holds, or raises :class:`StoreBusy` at once."""
        self._db.execute(f"PRAGMA busy_timeout={self.lock_wait_ms if wait else 0}")

    def data_version(self) -> int:
        """A number that changes whenever another connection (the CLI) commits."""
        return self._db.execute("PRAGMA data_version").fetchone()[0]

    def token_states(self, member_ids: Iterable[int]) -> dict[int, tuple[str, bool]]:
        """For each of these members that exists: (the hash of their current token, revoked)."""
        ids = list(member_ids)
        found: dict[int, tuple[str, bool]] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(f"SELECT id, token_hash, revoked FROM members WHERE id IN ({marks})", chunk)
            found.update((row[0], (row[1], bool(row[2]))) for row in rows)
        return found

    def members(self, group_id: int, *, include_revoked: bool = True) -> list[MemberRecord]:
        sql = "SELECT id, group_id, name, role, revoked FROM members WHERE group_id = ?"
        if not include_revoked:
            sql += " AND revoked = 0"
        rows = self._db.execute(sql + " ORDER BY id", (group_id,))
        return [MemberRecord(r[0], r[1], r[2], r[3], bool(r[4])) for r in rows]

    # -- the event log ----------------------------------------------------------

    def head_seq(self, group_id: int) -> int:
        row = self._db.execute("SELECT MAX(seq) FROM events WHERE group_id = ?", (group_id,)).fetchone()
        return row[0] or 0

    def events_after(self, group_id: int, seq: int, limit: int | None = None) -> list[Event]:
        sql = f"SELECT {_EVENT_COLUMNS} FROM events WHERE group_id = ? AND seq > ? ORDER BY seq"
        params: tuple = (group_id, seq)
        if limit is not None:
            sql += " LIMIT ?"
            params += (limit,)
        return [_event(row) for row in self._db.execute(sql, params)]

    def read_events_after(self, group_id: int, seq: int, limit: int) -> list[Event]:
        """:meth:`events_after` on a connection of its own, for worker threads: it
        sees committed batches only (WAL), so the event loop's writes go on meanwhile."""
        with self._reader_lock:
            sql = f"SELECT {_EVENT_COLUMNS} FROM events WHERE group_id = ? AND seq > ? ORDER BY seq LIMIT ?"
            return [_event(row) for row in self._reading().execute(sql, (group_id, seq, limit))]

    def _reading(self) -> sqlite3.Connection:
        """The worker threads' read-only connection (hold ``_reader_lock``)."""
        if self._reader is None:
            self._reader = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._reader.execute("PRAGMA busy_timeout=5000")
            self._reader.execute("PRAGMA query_only=ON")
        return self._reader

    def snapshot_seq(self, group_id: int, fold_version: str) -> int | None:
        """The seq of the group's last snapshot if this fold wrote it (not the snapshot itself), else None."""
        row = self._db.execute("SELECT seq FROM snapshots WHERE group_id = ? AND fold_version = ?", (group_id, fold_version)).fetchone()
        return int(row[0]) if row else None

    def snapshot(self, group_id: int, fold_version: str) -> Snapshot | None:
        """The group's last snapshot if this fold wrote it (server/snapshot.py), else None."""
        return self._snapshot_on(self._db, group_id, fold_version)

    def read_snapshot(self, group_id: int, fold_version: str) -> Snapshot | None:
        """:meth:`snapshot` on a connection of its own, for worker threads."""
        with self._reader_lock:
            return self._snapshot_on(self._reading(), group_id, fold_version)

    @staticmethod
    def _snapshot_on(db: Any, group_id: int, fold_version: str) -> Snapshot | None:
        row = db.execute(
            "SELECT seq, last_ts, data FROM snapshots WHERE group_id = ? AND fold_version = ?", (group_id, fold_version)
        ).fetchone()
        return Snapshot(int(row[0]), float(row[1]), bytes(row[2])) if row else None

    def save_snapshot(self, group_id: int, seq: int, fold_version: str, data: bytes) -> bool:
        """Keep this snapshot of the group's state folded up to ``seq``, unless a later one of the same
        fold is kept already (another node's, written meanwhile) or event ``seq`` is not stored
        (then it could not be the fold of the stored log): whether it was kept."""
        cur = self._write(
            "INSERT INTO snapshots (group_id, seq, last_ts, fold_version, data, written_at)"
            " SELECT group_id, seq, ts, ?, ?, ? FROM events WHERE group_id = ? AND seq = ?"
            " ON CONFLICT (group_id) DO UPDATE SET seq = excluded.seq, last_ts = excluded.last_ts,"
            " fold_version = excluded.fold_version, data = excluded.data, written_at = excluded.written_at"
            " WHERE snapshots.seq < excluded.seq OR snapshots.fold_version <> excluded.fold_version",
            (fold_version, data, time.time(), group_id, seq),
        )
        return cur.rowcount == 1

    def iter_events(self, group_id: int, after: int = 0, chunk: int = 5000) -> Iterator[Event]:
        """Every event after ``after``, in order, read in chunks."""
        while True:
            batch = self.events_after(group_id, after, chunk)
            yield from batch
            if len(batch) < chunk:
                return
            after = batch[-1].seq

    def member_state(self, member_id: int) -> tuple[set[str], int]:
        """What deciding a member's commands needs: :meth:`command_ids` and :meth:`stored_bytes`."""
        return self.command_ids(member_id), self.stored_bytes(member_id)

    def command_ids(self, member_id: int) -> set[str]:
        """Every command id this member has a stored result for."""
        rows = self._db.execute("SELECT command_id FROM command_results WHERE member_id = ?", (member_id,))
        return {row[0] for row in rows}

    def command_result(self, member_id: int, command_id: str) -> CommandResult | None:
        row = self._db.execute(
            "SELECT first_seq, last_seq, error_code, error_message FROM command_results"
            " WHERE member_id = ? AND command_id = ?",
            (member_id, command_id),
        ).fetchone()
        return CommandResult(*row) if row else None

    def commit(
        self,
        events: Iterable[tuple[int, Event]],
        results: Iterable[tuple[int, str, int, CommandResult]],
        revoked: Iterable[int] = (),
        usage: Iterable[tuple[int, int]] = (),
        *,
        version: int | None = None,
    ) -> None:
        """Write a batch in one transaction: (group_id, event) pairs, command results
        as (member_id, command_id, group_id, result), members to revoke, and
        (member_id, bytes) to add to what each member has stored.

        Each group's batch must start right after its stored head (the head
        check): otherwise nothing is written and :class:`HeadMoved` is raised.
        ``version`` is checked only where :attr:`checks_version` (PostgreSQL); here the
        relay reads ``data_version`` before deciding, a read of a local page."""
        now = time.time()
        db = self._db
        events = list(events)
        heads = batch_heads(events)
        self._write("BEGIN IMMEDIATE")
        try:
            moved = self._move_heads(heads) if heads else []
            if moved:
                raise HeadMoved(moved)
            db.executemany(
                "INSERT INTO events (group_id, seq, type, ts, actor, actor_name, audience, subject, data)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (gid, e.seq, e.type, e.ts, e.actor, e.actor_name, e.audience, e.subject, _pack(e.data))
                    for gid, e in events
                ],
            )
            db.executemany(
                "INSERT INTO command_results (member_id, command_id, group_id, first_seq, last_seq,"
                " error_code, error_message, ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (mid, cid, gid, r.first_seq, r.last_seq, r.error_code, r.error_message, now)
                    for mid, cid, gid, r in results
                ],
            )
            for member_id in revoked:
                db.execute("UPDATE members SET revoked = 1 WHERE id = ?", (member_id,))
            db.executemany(
                "INSERT INTO member_usage (member_id, bytes) VALUES (?, ?)"
                " ON CONFLICT (member_id) DO UPDATE SET bytes = member_usage.bytes + excluded.bytes",
                list(usage),
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _move_heads(self, heads: dict[int, list[int]]) -> list[int]:
        """The head check, inside the commit's transaction: move each group's head
        from old to new; return the groups whose head was not at old."""
        return [
            gid for gid, (old, new) in heads.items()
            if self._db.execute("UPDATE groups SET head_seq = ? WHERE id = ? AND head_seq = ?", (new, gid, old)).rowcount != 1
        ]

    # -- between sessions: attendance stretches and guests' invitations (issue 15 part B) --

    def _write(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        """A statement that takes the write lock (alone, it is its own transaction);
        :class:`StoreBusy` when another connection holds the lock past this one's wait (the
        relay's writer asks without waiting, and on StoreBusy runs the same write on its
        thread, where it waits: server/writer.py)."""
        try:
            return self._db.execute(sql, params)
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                raise
            raise StoreBusy("The database is locked by another program; the write waits for it.") from None

    def open_stretch(self, group_id: int, session_id: int, member_id: int, joined: float) -> None:
        """A member is present in a session from ``joined`` (until :meth:`close_stretch`)."""
        self._write(
            "INSERT INTO attendance (group_id, session_id, member_id, joined_at) VALUES (?, ?, ?, ?)",
            (group_id, session_id, member_id, joined),
        )

    def close_stretch(self, group_id: int, session_id: int, member_id: int | None, left: float) -> None:
        """Close the open stretch of one member (None: of everyone) in a session at ``left``."""
        sql = "UPDATE attendance SET left_at = MAX(joined_at, ?) WHERE group_id = ? AND session_id = ? AND left_at IS NULL"
        params: tuple = (left, group_id, session_id)
        if member_id is not None:
            sql += " AND member_id = ?"
            params += (member_id,)
        self._write(sql, params)

    def reopen_stretch(self, group_id: int, session_id: int, member_id: int) -> None:
        """A member back soon after leaving: their latest stretch in the session goes on."""
        self._write(
            "UPDATE attendance SET left_at = NULL WHERE rowid = (SELECT MAX(rowid) FROM attendance"
            " WHERE group_id = ? AND session_id = ? AND member_id = ?)",
            (group_id, session_id, member_id),
        )

    def stretches(self, group_id: int, session_id: int) -> list[Stretch]:
        rows = self._db.execute(
            "SELECT member_id, joined_at, left_at FROM attendance WHERE group_id = ? AND session_id = ? ORDER BY rowid",
            (group_id, session_id),
        )
        return [Stretch(r[0], r[1], r[2]) for r in rows]

    def invite_guest(self, member_id: int, after_seq: int) -> None:
        """Invite a guest to the family session running at head seq ``after_seq``, or the next one."""
        self._db.execute(
            "INSERT INTO guest_invites (member_id, after_seq) VALUES (?, ?)"
            " ON CONFLICT (member_id) DO UPDATE SET after_seq = excluded.after_seq",
            (member_id, after_seq),
        )

    def guest_invites(self, group_id: int) -> dict[int, int]:
        """Each invited guest of the group -> the head seq when they were invited."""
        rows = self._db.execute(
            "SELECT i.member_id, i.after_seq FROM guest_invites i JOIN members m ON m.id = i.member_id WHERE m.group_id = ?",
            (group_id,),
        )
        return {r[0]: r[1] for r in rows}
    # -- schedules and reminders (issue 15a; see server/schedule.py, server/reminders.py) --

    def schedule_settings(self, group_id: int) -> tuple[str, str, str, int]:
        """A group's (time zone, public label, how to join, revision)."""
        row = self._db.execute(
            "SELECT tz, label, join_text, revision FROM schedule_settings WHERE group_id = ?", (group_id,)
        ).fetchone()
        return (row[0], row[1], row[2], row[3]) if row else ("UTC", "", "", 0)

    def _bump_schedule(self, group_id: int, **changes: str) -> None:
        """Create the group's schedule row if needed, apply ``changes``, and bump its revision (one statement)."""
        columns = {"tz": "tz", "label": "label", "join": "join_text"}
        sets = "".join(f", {columns[k]} = ?" for k in changes)
        self._db.execute("INSERT OR IGNORE INTO schedule_settings (group_id) VALUES (?)", (group_id,))
        self._db.execute(f"UPDATE schedule_settings SET revision = revision + 1{sets} WHERE group_id = ?", (*changes.values(), group_id))

    def set_schedule_settings(self, group_id: int, *, tz: str | None = None, label: str | None = None, join: str | None = None) -> None:
        changes = {k: v for k, v in (("tz", tz), ("label", label), ("join", join)) if v is not None}
        self._bump_schedule(group_id, **changes)

    def schedule_revisions(self) -> dict[int, int]:
        """Every group's schedule revision: it changes whenever its schedule, settings or a member's reminder choices do."""
        return dict(self._db.execute("SELECT group_id, revision FROM schedule_settings").fetchall())

    def schedule_rules(self, group_id: int) -> list[ScheduleRule]:
        rows = self._db.execute(
            "SELECT id, kind, first_day, at, minutes, days, last_day FROM schedule_rules WHERE group_id = ? ORDER BY id", (group_id,)
        )
        return [
            ScheduleRule(r[0], r[1], date.fromisoformat(r[2]), dtime.fromisoformat(r[3]), r[4], tuple(d for d in r[5].split(",") if d),
                         date.fromisoformat(r[6]) if r[6] else None)
            for r in rows
        ]

    def add_schedule_rule(self, group_id: int, rule: ScheduleRule) -> int:
        count = self._db.execute("SELECT COUNT(*) FROM schedule_rules WHERE group_id = ?", (group_id,)).fetchone()[0]
        if count >= MAX_RULES:
            raise StoreError(f"A group holds at most {MAX_RULES} schedule rules; remove one with 'iop-server schedule remove'.")
        self._db.execute("BEGIN IMMEDIATE")
        try:
            cur = self._db.execute(
                "INSERT INTO schedule_rules (group_id, kind, first_day, at, minutes, days, last_day, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (group_id, rule.kind, rule.first.isoformat(), rule.at.strftime("%H:%M"), rule.minutes, ",".join(rule.days),
                 rule.last.isoformat() if rule.last else None, time.time()),
            )
            self._bump_schedule(group_id)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        assert cur.lastrowid is not None
        return cur.lastrowid

    def remove_schedule_rule(self, group_id: int, rule_id: int) -> bool:
        cur = self._db.execute("DELETE FROM schedule_rules WHERE group_id = ? AND id = ?", (group_id, rule_id))
        if cur.rowcount:
            self._bump_schedule(group_id)
        return cur.rowcount > 0

    def schedule_cancellations(self, group_id: int) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT local FROM schedule_cancellations WHERE group_id = ? ORDER BY local", (group_id,))]

    def cancel_sessions(self, group_id: int, local: str, *, restore: bool = False) -> None:
        """Cancel (or restore) every session on a local day ``YYYY-MM-DD`` or the one at ``YYYY-MM-DDTHH:MM``."""
        if restore:
            self._db.execute("DELETE FROM schedule_cancellations WHERE group_id = ? AND local = ?", (group_id, local))
        else:
            self._db.execute(
                "INSERT OR IGNORE INTO schedule_cancellations (group_id, local, created_at) VALUES (?, ?, ?)", (group_id, local, time.time())
            )
        self._bump_schedule(group_id)

    def groups_with_schedule(self) -> list[int]:
        return [r[0] for r in self._db.execute("SELECT DISTINCT group_id FROM schedule_rules ORDER BY group_id")]

    def reminder_prefs(self, member_id: int) -> ReminderPrefs:
        row = self._db.execute("SELECT consent, email, sms, lead, quiet FROM reminder_prefs WHERE member_id = ?", (member_id,)).fetchone()
        return _prefs(row)

    def set_reminder_prefs(
        self, member_id: int, *, consent: bool | None = None, email: str | None = None, sms: str | None = None,
        lead: int | None = None, quiet: str | None = None,
    ) -> ReminderPrefs:
        """Change some of a member's reminder choices (already validated); return them all."""
        member = self.member(member_id)
        if member is None:
            raise StoreError(f"There is no member with id {member_id}.")
        now = self.reminder_prefs(member_id)
        new = (
            int(now.consent if consent is None else consent),
            now.email if email is None else email,
            now.sms if sms is None else sms,
            now.lead if lead is None else lead,
            now.quiet_text if quiet is None else quiet,
        )
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.execute(
                "INSERT INTO reminder_prefs (member_id, consent, email, sms, lead, quiet, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (member_id) DO UPDATE SET consent = excluded.consent, email = excluded.email, sms = excluded.sms,"
                " lead = excluded.lead, quiet = excluded.quiet, updated_at = excluded.updated_at",
                (member_id, *new, time.time()),
            )
            self._bump_schedule(member.group_id)  # the member's connections get their new choices
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return self.reminder_prefs(member_id)

    def reminder_members(self, group_id: int) -> list[tuple[MemberRecord, ReminderPrefs]]:
        """The group's active members who consented to reminders and gave an address."""
        rows = self._db.execute(
            "SELECT m.id FROM members m JOIN reminder_prefs p ON p.member_id = m.id"
            " WHERE m.group_id = ? AND m.revoked = 0 AND p.consent = 1 AND (p.email != '' OR p.sms != '') ORDER BY m.id",
            (group_id,),
        ).fetchall()
        found = []
        for (member_id,) in rows:
            member = self.member(member_id)
            if member is not None:
                found.append((member, self.reminder_prefs(member_id)))
        return found

    def claim_reminder(
        self, member_id: int, occasion: str, channel: str, group_id: int, due: float, *, owner: str, lease: float, now: float,
        max_attempts: int, own_again: bool = False,
    ) -> bool:
        """Claim the (member, occasion, channel) reminder for ``owner`` in one transaction.

        True when this caller now holds it: it was never claimed, or its last
        claim's lease ran out (the sender died or failed) with attempts left.
        A row already sent, given up, or held under a live lease is not claimed;
        with ``own_again``, one held by ``owner`` itself is (a node's earlier
        process, which is gone: on-call emails, server/oncall.py).
        """
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute(
                "SELECT state, CASE WHEN owner = ? AND ? = 1 THEN 0 ELSE lease_until END, attempts FROM reminder_outbox"
                " WHERE member_id = ? AND occasion = ? AND channel = ?",
                (owner, 1 if own_again else 0, member_id, occasion, channel),
            ).fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO reminder_outbox (member_id, occasion, channel, group_id, due, state, owner, lease_until, attempts)"
                    " VALUES (?, ?, ?, ?, ?, 'claimed', ?, ?, 1)",
                    (member_id, occasion, channel, group_id, due, owner, now + lease),
                )
                claimed = True
            elif row[0] == "claimed" and row[1] <= now and row[2] < max_attempts:
                db.execute(
                    "UPDATE reminder_outbox SET owner = ?, lease_until = ?, attempts = attempts + 1"
                    " WHERE member_id = ? AND occasion = ? AND channel = ?",
                    (owner, now + lease, member_id, occasion, channel),
                )
                claimed = True
            elif row[0] == "claimed" and row[1] <= now:
                db.execute(
                    "UPDATE reminder_outbox SET state = 'failed' WHERE member_id = ? AND occasion = ? AND channel = ?",
                    (member_id, occasion, channel),
                )
                claimed = False
            else:
                claimed = False
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return claimed

    def finish_reminder(self, member_id: int, occasion: str, channel: str, *, owner: str, sent: bool, now: float, retry_at: float = 0.0, error: str = "") -> None:
        """Record the end of a claim: sent, or released until ``retry_at`` with the error."""
        if sent:
            self._db.execute(
                "UPDATE reminder_outbox SET state = 'sent', sent_at = ?, error = '' WHERE member_id = ? AND occasion = ? AND channel = ? AND owner = ?",
                (now, member_id, occasion, channel, owner),
            )
        else:
            self._db.execute(
                "UPDATE reminder_outbox SET lease_until = ?, error = ? WHERE member_id = ? AND occasion = ? AND channel = ? AND owner = ?",
                (retry_at, error[:300], member_id, occasion, channel, owner),
            )

    def outbox_state(self, member_id: int, occasion: str, channel: str) -> tuple[str, float] | None:
        """An outbox row's state (claimed, sent, failed) and its claim's lease, or None when never claimed."""
        row = self._db.execute(
            "SELECT state, lease_until FROM reminder_outbox WHERE member_id = ? AND occasion = ? AND channel = ?",
            (member_id, occasion, channel),
        ).fetchone()
        return None if row is None else (str(row[0]), float(row[1]))

    def due_outbox(self, channel: str, now: float) -> list[tuple[int, str, int]]:
        """Rows of ``channel`` still claimed whose lease has run out: (member_id, occasion, group_id)."""
        return [(int(m), str(o), int(g)) for m, o, g in self._db.execute(
            "SELECT member_id, occasion, group_id FROM reminder_outbox WHERE channel = ? AND state = 'claimed' AND lease_until <= ?",
            (channel, now),
        )]

    def cancel_outbox(self, member_id: int, occasion: str, channel: str) -> None:
        """A claimed row that is not needed any more (its alert was acknowledged): state ``cancelled``."""
        self._db.execute(
            "UPDATE reminder_outbox SET state = 'cancelled' WHERE member_id = ? AND occasion = ? AND channel = ? AND state = 'claimed'",
            (member_id, occasion, channel),
        )

    def reminder_log(self, group_id: int) -> list[tuple[int, str, str, str, int, float | None, str]]:
        """The group's outbox, oldest first: (member_id, occasion, channel, state, attempts, sent_at, error)."""
        return list(self._db.execute(
            "SELECT member_id, occasion, channel, state, attempts, sent_at, error FROM reminder_outbox WHERE group_id = ? ORDER BY due, member_id",
            (group_id,),
        ))
