"""The PostgreSQL store (issue 16): :class:`PgStore`, the same interface as :class:`server.store.Store`.

``iop-server serve --store postgresql://user@host/db`` (and every admin command
with the same ``--store``) runs on it. Only the connection differs from SQLite;
every query is :class:`~server.store.Store`'s, written once, but the commit:

- :meth:`PgStore.commit` is one statement, ``SELECT iop_commit_checked(...)`` (the function
  migration 11 makes, :data:`server.store.PG_ALSO`), given the batch's rows as
  arrays: one round trip and its own transaction. It first checks ``data_version``
  against the relay's (:class:`~server.store.VersionMoved`: the relay then reads the
  tokens again, where SQLite's relay reads it before each batch), then locks the batch's groups
  (``FOR UPDATE``, in id order), checks their heads and writes nothing when one
  moved, returning those groups (:class:`~server.store.HeadMoved`); else it moves
  the heads and writes the events, results, revocations and usage. With
  placement (:attr:`PgStore.fence`, issue 16) it first checks each group's
  ``owner_epoch`` under the same locks: a group another node claimed is
  refused (:attr:`~server.store.HeadMoved.fenced`).

- :class:`_PgConnection` speaks the SQL the store writes: ``?`` placeholders
  become ``%s``, ``BEGIN IMMEDIATE`` is ``BEGIN``, ``INSERT OR IGNORE`` is
  ``INSERT ... ON CONFLICT DO NOTHING``, a two-argument ``MAX(a, b)`` is
  ``GREATEST``, and an ``INSERT`` into a table with an ``id`` returns it as
  ``lastrowid``. Each statement is translated once and cached.
- Migrations: :data:`server.store.MIGRATIONS` through :func:`translate_ddl`, then
  :data:`server.store.PG_ALSO`, each in one transaction under an advisory lock
  (two nodes starting at once migrate once); the version is the row count of
  ``schema_migrations``. A database written by a newer iop-server is refused.
- ``data_version`` reads ``store_meta``, moved by a trigger on ``members``
  (what ``PRAGMA data_version`` tells the relay about the CLI's revocations).
- Replay readers (``read_events_after``, from worker threads) take a connection
  from a small ``psycopg_pool`` pool, so the event loop's connection is never
  shared between threads.

Why psycopg 3 and not asyncpg: every call site of the store is synchronous
(the hub's group commit runs in one loop step between deciding and fan-out,
the CLI and the reminder claims are plain calls). psycopg 3's synchronous
connection fits them unchanged, with the same transaction shape as SQLite;
asyncpg would make every call site a coroutine (and the hub's flush with it).
The loop waits on the database's round trips as it waits on SQLite's fsync
today; moving the commit off the loop is the tail work of issue 16.

Durability is PostgreSQL's: a committed transaction is on disk
(``synchronous_commit`` on, its default) before ``commit`` returns.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import psycopg
from psycopg import conninfo
from psycopg_pool import ConnectionPool

from protocol.events import Event

from .store import _EVENT_COLUMNS, MIGRATIONS, PG_ALSO, CommandResult, HeadMoved, Snapshot, Store, StoreError, VersionMoved, _event, _pack, batch_heads, first_line

__all__ = ["PgStore", "translate", "translate_ddl"]

#: Tables whose INSERT returns the new row's id (``lastrowid``).
_ID_TABLES = ("groups", "members", "schedule_rules")
_INSERT_ID = re.compile(r"^\s*INSERT INTO (" + "|".join(_ID_TABLES) + ") ")
_OR_IGNORE = re.compile(r"^\s*INSERT OR IGNORE INTO ", re.S)
_TWO_MAX = re.compile(r"\bMAX\(([^(),]+),([^(),]+)\)")
#: The commit: one call of the function migration 11 makes (server/store.py: PG_ALSO).
_COMMIT = (
    "SELECT iop_commit_checked(?::bigint, ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[],"
    " ?::bigint[], ?::bigint[], ?::text[], ?::float8[], ?::bigint[], ?::text[], ?::text[], ?::bigint[], ?::bytea[],"
    " ?::bigint[], ?::text[], ?::bigint[], ?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::float8,"
    " ?::bigint[], ?::bigint[], ?::bigint[]), (SELECT data_version FROM store_meta)"
)
_READER_POOL = 4  # replay readers at once (worker threads)
_MIGRATION_LOCK = 0x10F_16  # pg_advisory_xact_lock key: one node migrates at a time


def _ints(values: Iterable[int | None]) -> str:
    """A ``bigint[]`` literal."""
    return "{" + ",".join("NULL" if v is None else str(int(v)) for v in values) + "}"


def _floats(values: Iterable[float]) -> str:
    """A ``float8[]`` literal (``repr`` gives the shortest text that reads back exactly)."""
    return "{" + ",".join(repr(float(v)) for v in values) + "}"


def _texts(values: Iterable[str | None]) -> str:
    """A ``text[]`` literal: every element quoted, its backslashes and double quotes escaped."""
    return "{" + ",".join("NULL" if v is None else '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"


def _byteas(values: Iterable[bytes]) -> str:
    """A ``bytea[]`` literal: each element in bytea's hex form, its backslash escaped."""
    return "{" + ",".join('"\\\\x' + v.hex() + '"' for v in values) + "}"


#: The literal of each events column and each command results column, in the commit's order.
_Literal = Callable[[Iterable[Any]], str]
_EVENT_LITERALS: tuple[_Literal, ...] = (_ints, _ints, _texts, _floats, _ints, _texts, _texts, _ints, _byteas)
_RESULT_LITERALS: tuple[_Literal, ...] = (_ints, _texts, _ints, _ints, _ints, _texts, _texts)


def translate(sql: str) -> str:
    """The store's SQL (SQLite's spelling) as PostgreSQL runs it."""
    text = sql.replace("%", "%%").replace("?", "%s")
    text = text.replace("BEGIN IMMEDIATE", "BEGIN")
    if _OR_IGNORE.match(text):
        text = _OR_IGNORE.sub("INSERT INTO ", text) + " ON CONFLICT DO NOTHING"
    text = _TWO_MAX.sub(r"GREATEST(\1,\2)", text)
    if _INSERT_ID.match(text) and "RETURNING" not in text:
        text += " RETURNING id"
    return text


def translate_ddl(script: str) -> str:
    """A migration written for SQLite, as PostgreSQL's DDL."""
    text = re.sub(r"\bid INTEGER PRIMARY KEY\b", "id BIGSERIAL PRIMARY KEY", script)
    text = re.sub(r"\bINTEGER\b", "BIGINT", text)
    text = re.sub(r"\bREAL\b", "DOUBLE PRECISION", text)
    text = re.sub(r"\bBLOB\b", "BYTEA", text)
    return re.sub(r"\)\s*WITHOUT ROWID", ")", text)


class _Cursor:
    """What the store reads of a sqlite3 cursor: rows, ``rowcount`` and ``lastrowid``."""

    __slots__ = ("_cur", "lastrowid", "rowcount")

    def __init__(self, cur: psycopg.Cursor | None, returning_id: bool = False) -> None:
        self._cur = cur
        self.rowcount = cur.rowcount if cur is not None else 0
        self.lastrowid: int | None = None
        if returning_id and cur is not None:
            row = cur.fetchone()
            self.lastrowid = row[0] if row else None

    def fetchone(self) -> Any:
        return self._cur.fetchone() if self._cur is not None else None

    def fetchall(self) -> list[Any]:
        return self._cur.fetchall() if self._cur is not None else []

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


class _PgConnection:
    """A psycopg connection (autocommit; transactions are the store's BEGIN/COMMIT) speaking the store's SQL.

    A connection lost (PostgreSQL restarted, the network cut) is opened again
    on the next statement outside a transaction; a read or a ``BEGIN`` that
    finds it lost is sent again once on the new one. A statement inside a
    transaction is never sent again: the transaction fails as a whole (the
    hub answers "nothing was applied, so try again") and its ROLLBACK is moot.
    """

    def __init__(self, conn: psycopg.Connection, url: str) -> None:
        self.conn = conn
        self.url = url
        self.in_tx = False
        self._sql: dict[str, str] = {}

    def _translated(self, sql: str) -> str:
        text = self._sql.get(sql)
        if text is None:
            text = self._sql[sql] = translate(sql)
        return text

    def _reconnect(self) -> None:
        self.conn = psycopg.connect(self.url, autocommit=True)

    def execute(self, sql: str, params: Sequence[Any] = (), *, write: bool = False) -> _Cursor:
        """Run one statement; ``write``: never send it again on a new connection, even outside a transaction."""
        text = self._translated(sql)
        if self.conn.broken:
            if text == "ROLLBACK":  # the server dropped the transaction with the connection
                self.in_tx = False
                return _Cursor(None)
            if self.in_tx:
                raise psycopg.OperationalError("the connection to PostgreSQL was lost in a transaction; nothing of it was kept")
            self._reconnect()
        try:
            cur = self.conn.execute(text.encode(), params or None)
        except psycopg.OperationalError:
            if not self.conn.broken or self.in_tx or write or not text.startswith(("SELECT", "BEGIN")):
                raise
            self._reconnect()  # a read, or a transaction not begun: safe to send again
            cur = self.conn.execute(text.encode(), params or None)
        if text == "BEGIN":
            self.in_tx = True
        elif text in ("COMMIT", "ROLLBACK"):
            self.in_tx = False
        return _Cursor(cur, text.endswith("RETURNING id"))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        rows = list(rows)
        if rows:
            with self.conn.cursor() as cur:
                cur.executemany(self._translated(sql).encode(), rows)

    def close(self) -> None:
        self.conn.close()


def _where(url: str) -> str:
    """The database a URL names, for messages (never its password)."""
    try:
        parts = conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "the PostgreSQL database given"
    return f"postgresql://{parts.get('user', '')}@{parts.get('host', 'localhost')}:{parts.get('port', 5432)}/{parts.get('dbname', '')}"


class PgStore(Store):
    """The relay's PostgreSQL database: :class:`~server.store.Store` on a psycopg connection."""

    IntegrityError = psycopg.errors.IntegrityError
    DatabaseError = psycopg.Error

    def __init__(self, url: str, **_sqlite_only: Any) -> None:
        self.url = url
        self.path = _where(url)
        try:
            conn = psycopg.connect(url, autocommit=True)
        except psycopg.Error as exc:
            raise StoreError(f"Cannot open the database {self.path} ({first_line(exc)}); check that PostgreSQL runs and the URL.") from None
        self._db = _PgConnection(conn, url)
        #: Placement (issue 16, server/placement.py): group id -> the epoch this node owns it
        #: at; every commit checks it (a group not in it is refused). None: no check (the CLI).
        self.fence: dict[int, int] | None = None
        self._reader_lock = threading.Lock()
        self._pool: ConnectionPool | None = None
        self._migrate()

    # -- schema ---------------------------------------------------------------

    def _migrate(self) -> None:
        db = self._db
        db.execute("BEGIN")
        try:
            db.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))
            db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (number BIGINT PRIMARY KEY, at TIMESTAMPTZ NOT NULL DEFAULT now())")
            version = self.schema_version()
            if version > len(MIGRATIONS):
                raise StoreError(
                    f"The database {self.path} was written by a newer iop-server (schema {version}); upgrade iop-server."
                )
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                # psycopg runs a script of several statements when it has no parameters.
                db.conn.execute(translate_ddl(script).encode())
                if number in PG_ALSO:
                    db.conn.execute(PG_ALSO[number].encode())
                db.execute("INSERT INTO schema_migrations (number) VALUES (?)", (number,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def schema_version(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0]

    def checkpoint(self) -> None:
        """Nothing to do: PostgreSQL checkpoints by itself."""

    #: A commit is a round trip to PostgreSQL and its WAL flush: always on the writer's thread
    #: (which never asks it not to wait for a lock: :meth:`Store.wait_for_lock` is SQLite's).
    commit_may_block = True
    reads_are_round_trips = True
    checks_version = True

    def data_version(self) -> int:
        return self._db.execute("SELECT data_version FROM store_meta").fetchone()[0]

    def close(self) -> None:
        with self._reader_lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None
        self._db.close()

    def commit(
        self,
        events: Iterable[tuple[int, Event]],
        results: Iterable[tuple[int, str, int, CommandResult]],
        revoked: Iterable[int] = (),
        usage: Iterable[tuple[int, int]] = (),
        *,
        version: int | None = None,
    ) -> None:
        """:meth:`Store.commit` as one statement, ``iop_commit_checked`` (migration 11):
        one round trip and its own transaction, each batch's rows as arrays. The function
        writes nothing when ``data_version`` is not ``version`` (:class:`~server.store.VersionMoved`;
        None: no check), locks the batch's groups, checks their heads and writes nothing when
        one moved (then :class:`~server.store.HeadMoved` names them)."""
        events = list(events)
        results = list(results)
        heads = batch_heads(events)
        ids = list(heads)
        ev = list(zip(*((gid, e.seq, e.type, e.ts, e.actor, e.actor_name, e.audience, e.subject, _pack(e.data)) for gid, e in events), strict=True)) or [()] * 9
        res = list(zip(*((m, c, g, r.first_seq, r.last_seq, r.error_code, r.error_message) for m, c, g, r in results), strict=True)) or [()] * 7
        use = list(zip(*usage, strict=True)) or [(), ()]
        fence = self.fence
        # Placement (issue 16): every group with events or results in the batch, at this node's epoch.
        fenced = [] if fence is None else sorted({*ids, *(g for _m, _c, g, _r in results)})
        # Each array as PostgreSQL's array literal (text the statement casts): psycopg's dumping of
        # 24 Python lists took as much of the GIL as the batch's landing on the loop (docs/relay.md).
        params = [
            version,
            _ints(fenced),
            _ints([fence.get(g, -1) for g in fenced] if fence is not None else []),
            _ints(ids),
            _ints([heads[g][0] for g in ids]),
            _ints([heads[g][1] for g in ids]),
            *(literal(column) for literal, column in zip(_EVENT_LITERALS, ev, strict=True)),
            *(literal(column) for literal, column in zip(_RESULT_LITERALS, res, strict=True)),
            time.time(),
            _ints(list(revoked)),
            *(_ints(column) for column in use),
        ]
        self.version_at_commit = None
        moved, self.version_at_commit = self._db.execute(_COMMIT, params, write=True).fetchone()
        if moved is None:
            raise VersionMoved  # (only when version was given)
        if moved:
            raise HeadMoved([abs(g) for g in moved], [-g for g in moved if g < 0])

    def relay_nodes(self) -> tuple[list[tuple[str, str, float, int]], int]:
        """The relay nodes that share this database (``iop-server nodes``): each node's id, internal
        URL, seconds its lease has left on the database's clock (negative: lapsed that long ago)
        and the groups it owns; and how many groups have no owner with a live lease (the node
        their next member reaches claims them)."""
        rows = self._db.execute(
            "SELECT n.node_id, n.internal_url, EXTRACT(EPOCH FROM n.lease_until - now())::float8,"
            " (SELECT count(*) FROM groups g WHERE g.owner_node = n.node_id) FROM nodes n ORDER BY n.node_id"
        ).fetchall()
        (unowned,) = self._db.execute(
            "SELECT count(*) FROM groups g WHERE g.owner_node IS NULL"
            " OR NOT EXISTS (SELECT 1 FROM nodes n WHERE n.node_id = g.owner_node AND n.lease_until > now())"
        ).fetchone()
        return [(str(r[0]), str(r[1]), float(r[2]), int(r[3])) for r in rows], int(unowned)

    def read_events_after(self, group_id: int, seq: int, limit: int) -> list:
        """:meth:`events_after` on a pooled connection of its own, for worker threads."""
        sql = f"SELECT {_EVENT_COLUMNS} FROM events WHERE group_id = %s AND seq > %s ORDER BY seq LIMIT %s"
        with self._readers().connection() as conn:
            return [_event(row) for row in conn.execute(sql.encode(), (group_id, seq, limit))]

    def read_snapshot(self, group_id: int, fold_version: str) -> Snapshot | None:
        """:meth:`snapshot` on a pooled connection of its own, for worker threads."""
        sql = b"SELECT seq, last_ts, data FROM snapshots WHERE group_id = %s AND fold_version = %s"
        with self._readers().connection() as conn:
            row = conn.execute(sql, (group_id, fold_version)).fetchone()
        return Snapshot(int(row[0]), float(row[1]), bytes(row[2])) if row else None

    def _readers(self) -> ConnectionPool:
        with self._reader_lock:
            if self._pool is None:
                self._pool = ConnectionPool(self.url, min_size=1, max_size=_READER_POOL, kwargs={"autocommit": True}, open=True)
            return self._pool
