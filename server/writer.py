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
commits move the loop connection's ``data_version`` too, so when a batch lands
the hub reads the loop connection's value, then the writer connection's
(:meth:`Writer.data_version`, which only others' commits move): when the latter
moved since the last landing, someone else committed (the CLI, or the loop's
own writes) and the hub re-reads the tokens; otherwise it takes the former as
read. Read in that order, no commit of the CLI falls between the two.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["Writer"]

T = TypeVar("T")


class Writer:
    """One thread that commits on its own store connection."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="iop-commit")

    def submit(self, fn: Callable[..., T], *args: Any) -> concurrent.futures.Future[T]:
        """Run ``fn(store, *args)`` on the commit thread."""
        return self._pool.submit(fn, self.store, *args)

    def data_version(self) -> int:
        """The writer connection's ``data_version``: it moves when any other connection commits,
        never for the writer's own commits. Call only while no batch is in flight."""
        return int(self.store.data_version())

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.store.close()
