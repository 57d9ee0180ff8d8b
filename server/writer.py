"""The commit thread: the hub's batches are made durable off the event loop (issue 16, "The tail").

A :class:`Writer` owns a second connection to the relay's store (a second
:class:`~server.store.Store` on the same SQLite file, or a second
:class:`~server.store_pg.PgStore`) and one thread. :meth:`Writer.submit` runs a
commit and returns a :class:`concurrent.futures.Future`:

- **On the thread** when the commit may wait: on the disk (SQLite with
  ``durable=True`` syncs every commit), on the network (PostgreSQL), or on
  another connection's write lock (the CLI's, held for as long as it likes).
  The event loop goes on reading frames, fanning out the previous batch and
  replaying to joiners while the commit waits.
- **Here, on the caller's thread** (:attr:`Writer.here_first`, from the store's
  ``commit_may_block``) when it cannot: SQLite in
  WAL mode with ``synchronous=NORMAL`` (the relay's default) writes a commit to
  the operating system's page cache and syncs only at checkpoints, which run on
  a thread of their own. The write lock is asked for without waiting; when
  another connection holds it, the same commit goes to the thread and waits
  there. Waking a thread for a commit of a tenth of a millisecond cost the loop
  more than the commit (``docs/relay.md``, "The tail": about a fifth of the
  loop's GIL-holding samples; the relay's CPU fell 3-26 % without it).

The hub (server/hub.py) keeps the rules that make this safe:

- at most one batch is in flight, and nothing is decided on top of it: the
  next flush waits until it has landed (commands queue meanwhile, so the next
  batch is bigger: group commit), so a failed commit drops only its own batch
  and reloads its rooms, as before;
- nothing of a batch is written to anyone before its future says it is durable
  (persist-before-deliver), and a welcome or a replay shows only the head that
  is durable (``Hub.shown_head``);
- events the relay decides itself go into their room's next batch
  (``Hub.log_soon``), and so does a guest's arrival, which the guest's welcome
  waits for (``Hub.arrive``); only shutdown waits for the batch in flight on
  the loop (``Hub.settle``).

Revocations by the CLI are seen through ``data_version``: the writer's own
commits move the loop connection's ``data_version`` too, so when a batch lands
the hub reads the loop connection's value, then the writer connection's
(:meth:`Writer.data_version`, which only others' commits move): when the latter
moved since the last landing, someone else committed (the CLI, or the loop's
own writes) and the hub re-reads the tokens; otherwise it takes the former as
read. Read in that order, no commit of the CLI falls between the two. On
PostgreSQL the commit itself checks the counter (``Store.checks_version``), so
the loop reads nothing before or after a batch.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from typing import Any, TypeVar

from .store import StoreBusy

__all__ = ["Writer"]

T = TypeVar("T")


class Writer:
    """One connection that commits: here when its commit cannot wait, else on a thread of its own.

    A commit function given to :meth:`submit` may be called a second time, on the
    thread, after it raised :class:`~server.store.StoreBusy` here (the write lock was
    held): nothing was written then, and it goes on from where it stopped.
    """

    def __init__(self, store: Any) -> None:
        self.store = store
        #: Whether commits run here first: only when the store's commit cannot wait on the disk or the network.
        self.here_first = not store.commit_may_block
        if self.here_first:
            store.wait_for_lock(False)  # here, the lock is taken at once or not at all
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="iop-commit")
        # The last write handed to the thread: until it is done, every write goes there too, after
        # it, so writes are stored in the order they were submitted (a member's attendance stretch
        # is never closed before it was opened).
        self._behind: concurrent.futures.Future[Any] | None = None

    @property
    def idle(self) -> bool:
        """Nothing is waiting or running on the commit thread."""
        return self._behind is None or self._behind.done()

    def submit(self, fn: Callable[..., T], *args: Any) -> concurrent.futures.Future[T]:
        """Run ``fn(store, *args)``: here if ``here_first``, nothing waits on the thread and the
        write lock is free (the future is then done), else on the commit thread."""
        if self.here_first and self.idle:
            future: concurrent.futures.Future[T] = concurrent.futures.Future()
            try:
                future.set_result(fn(self.store, *args))
            except StoreBusy:
                pass  # another connection holds the write lock: wait for it on the thread
            except BaseException as exc:  # the future carries it, as the thread's would
                future.set_exception(exc)
                return future
            else:
                return future
        return self.hand_off(fn, *args)

    def hand_off(self, fn: Callable[..., T], *args: Any) -> concurrent.futures.Future[T]:
        """Run ``fn(store, *args)`` on the commit thread, waiting there for the write lock."""
        future = self._pool.submit(self._waiting, fn, *args)
        self._behind = future
        return future

    def _waiting(self, fn: Callable[..., T], *args: Any) -> T:
        if not self.here_first:
            return fn(self.store, *args)
        self.store.wait_for_lock(True)
        try:
            return fn(self.store, *args)
        finally:
            self.store.wait_for_lock(False)

    def data_version(self) -> int:
        """The writer connection's ``data_version``: it moves when any other connection commits,
        never for the writer's own commits. Call only while :attr:`idle` (the thread may be using it)."""
        return int(self.store.data_version())

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.store.close()
