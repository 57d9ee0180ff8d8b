"""The commit thread: the hub's batches are made durable off the event loop (issue 16, "The tail").

A :class:`Writer` owns a second connection to the relay's store (a second
:class:`~server.store.Store` on the same SQLite file, or a second
:class:`~server.store_pg.PgStore`) and one thread. :meth:`Writer.submit` runs a
commit there and returns a :class:`concurrent.futures.Future`; the event loop
goes on reading frames, fanning out the previous batch and replaying to
joiners while the disk (or PostgreSQL) works. The hub (server/hub.py) keeps the
rules that make this safe:

- at most one batch is in flight, and nothing is decided on top of it: the
  next flush waits until it has landed (commands queue meanwhile, so the next
  batch is bigger: group commit), so a failed commit drops only its own batch
  and reloads its rooms, as before;
- nothing of a batch is written to anyone before its future says it is durable
  (persist-before-deliver), and a welcome or a replay shows only the head that
  is durable (``Hub.shown_head``);
- events the relay decides itself (``Hub.record``) and joins that must log a
  change first wait for the batch in flight (rare; a blocking wait).

Revocations by the CLI are seen through ``data_version``: the writer's own
commits move the loop connection's ``data_version`` too, so after each landed
batch the hub takes the new value as read, and the writer says
(:attr:`Writer.others_wrote`) when a connection other than its own committed
between two of its batches, so that the hub re-reads the tokens then.
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["Writer"]

T = TypeVar("T")


class Writer:
    """One thread that commits on its own store connection."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="iop-commit")
        self._lock = threading.Lock()
        self._version: int | None = None  # the writer connection's data_version after its last commit
        self._others = False

    def submit(self, fn: Callable[..., T], *args: Any) -> concurrent.futures.Future[T]:
        """Run ``fn(store, *args)`` on the commit thread."""
        return self._pool.submit(self._run, fn, *args)

    def _run(self, fn: Callable[..., T], *args: Any) -> T:
        store = self.store
        try:
            return fn(store, *args)
        finally:
            # Our own commits never move our own connection's data_version: a change
            # since the last batch is another connection's commit (the CLI's, the loop's).
            after = store.data_version()
            with self._lock:
                if self._version is not None and after != self._version:
                    self._others = True
                self._version = after

    def others_wrote(self) -> bool:
        """Whether another connection committed between two batches (cleared by the call)."""
        with self._lock:
            others, self._others = self._others, False
        return others

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.store.close()
