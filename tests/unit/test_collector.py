"""The relay's garbage-collection schedule (server/collector.py), on the real collector.

Each test puts the interpreter's collector back as it found it (``Collector.stop``).
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from server.collector import NEVER, Collector, Pass


class Node:
    """An object that can sit in a reference cycle and be watched by a weak reference."""

    peer: Node | None = None


def walked(obj: object) -> bool:
    """Whether a pass of the collector would walk ``obj`` (frozen objects are not listed)."""
    return any(o is obj for o in gc.get_objects())


@pytest.fixture
def restore_gc() -> Iterator[list[Collector]]:
    made: list[Collector] = []
    threshold = gc.get_threshold()
    try:
        yield made
    finally:
        for collector in made:
            collector.stop()
        gc.unfreeze()
        gc.set_threshold(*threshold)


def test_what_is_alive_at_start_and_after_a_pass_is_never_walked_by_an_ordinary_pass(restore_gc) -> None:
    held_at_start = [{"seq": i} for i in range(1_000)]
    collector = Collector(lambda: False)
    restore_gc.append(collector)
    collector.start()
    assert not walked(held_at_start)
    assert gc.get_threshold()[2] == NEVER  # no automatic full pass
    created_since = [{"seq": i} for i in range(1_000)]
    assert walked(created_since)
    assert collector.run_pass() is Pass.ORDINARY
    assert not walked(created_since)
    assert created_since[999] == {"seq": 999}  # frozen, not changed


def test_a_cycle_that_outlived_a_pass_is_reclaimed_by_the_first_pass_with_nobody_connected(restore_gc) -> None:
    connected = [True]
    collector = Collector(lambda: not connected[0])
    restore_gc.append(collector)
    node = Node()
    node.peer = node  # a cycle: only the collector frees it
    gone = weakref.ref(node)
    collector.start()
    del node
    assert collector.run_pass() is Pass.ORDINARY
    assert gone() is not None  # frozen: ordinary passes do not walk it
    connected[0] = False
    assert collector.run_pass() is Pass.THOROUGH
    assert gone() is None


def test_with_someone_always_connected_a_thorough_pass_still_comes_once_its_time_is_up(restore_gc) -> None:
    now = [0.0]
    collector = Collector(lambda: False, thorough_at_most=3600.0, clock=lambda: now[0])
    restore_gc.append(collector)
    node = Node()
    node.peer = node
    gone = weakref.ref(node)
    collector.start()
    del node
    now[0] = 3599.0
    assert collector.run_pass() is Pass.ORDINARY
    assert gone() is not None
    now[0] = 3600.0
    assert collector.run_pass() is Pass.THOROUGH
    assert gone() is None
    now[0] = 3601.0
    assert collector.run_pass() is Pass.ORDINARY  # the hour counts again from the thorough pass


def test_a_cycle_created_after_the_last_pass_is_reclaimed_by_an_ordinary_pass(restore_gc) -> None:
    collector = Collector(lambda: False)
    restore_gc.append(collector)
    collector.start()
    gc.disable()  # the young generations would free it on their own
    try:
        node = Node()
        node.peer = node
        gone = weakref.ref(node)
        del node
        assert collector.run_pass() is Pass.ORDINARY
    finally:
        gc.enable()
    assert gone() is None
