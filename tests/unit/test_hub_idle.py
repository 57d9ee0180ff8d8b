"""Which rooms are idle (issue 16, ``serve --release-idle``): a real Hub on a real SQLite store, no socket.

:meth:`server.hub.Hub.idle_rooms` names a room only once it has been quiet for
the whole wait: nobody connected or within their grace period, nothing queued
or to be logged, no breakout round's call to come. The relay unloads what it
names (and on PostgreSQL releases the group); the next member folds it again.
"""

from __future__ import annotations

import asyncio

import pytest

from protocol.codec import MAX_FRAME_BYTES
from protocol.messages import Limits
from server.hub import Hub
from server.store import Store
from tests.support.hubpeer import Clock, acked, connect, send
from tests.support.wsclient import Seeded


@pytest.fixture
def hub(store: Store, clock: Clock):
    hub = Hub(store, Limits(MAX_FRAME_BYTES, 1000.0, 1000), presence_grace=0, clock=clock)
    yield hub
    hub.breakouts.close()


async def quiet_turns() -> None:
    for _ in range(3):
        await asyncio.sleep(0)


async def test_a_room_is_idle_only_once_it_has_been_quiet_for_the_whole_wait(hub, store, group):
    dana = await connect(hub, store, group.facilitator)
    await acked(dana, send(hub, dana, "session.start", {"title": "Week 4"}))
    assert hub.idle_rooms(0.0, 10.0) == []  # Dana is in it
    dana.close(1000, "bye")
    await quiet_turns()
    assert hub.idle_rooms(100.0, 10.0) == []  # quiet from now on
    assert hub.idle_rooms(109.0, 10.0) == []
    assert hub.idle_rooms(110.0, 10.0) == [group.group_id]
    sam = await connect(hub, store, group.participants[0])  # someone came back: the wait starts again
    sam.close(1000, "bye")
    await quiet_turns()
    assert hub.idle_rooms(111.0, 10.0) == []
    assert hub.idle_rooms(120.0, 10.0) == []
    assert hub.idle_rooms(121.0, 10.0) == [group.group_id]


async def test_a_member_within_their_grace_keeps_the_room(store, group, clock):
    hub = Hub(store, Limits(MAX_FRAME_BYTES, 1000.0, 1000), presence_grace=3600, clock=clock)
    sam = await connect(hub, store, group.participants[0])
    sam.lost = True  # the link broke: "reconnecting" for an hour
    sam.close(1006, "gone")
    await quiet_turns()
    assert hub.rooms[group.group_id].away
    assert hub.idle_rooms(0.0, 0.0) == [] and hub.idle_rooms(1e6, 0.0) == []
    hub.close()


async def test_a_room_with_a_breakout_rounds_call_to_come_stays_loaded(hub, store, group: Seeded):
    dana = await connect(hub, store, group.facilitator)
    people = [await connect(hub, store, c) for c in group.participants]
    await acked(dana, send(hub, dana, "session.start", {"title": "Week 4"}))
    await acked(dana, send(hub, dana, "breakout.open", {"rooms": 2, "minutes": 10, "prompt": "Name one trigger.", "assign": "random"}))
    for peer in (dana, *people):
        peer.close(1000, "bye")
    await quiet_turns()
    assert not hub.rooms[group.group_id].peers
    assert hub.idle_rooms(0.0, 0.0) == [] and hub.idle_rooms(1e6, 0.0) == []  # "2 minutes left" is still to come


async def test_a_room_asked_for_just_as_the_loader_ran_out_of_work_is_loaded_too(hub, store, group):
    """The loader folds the queued rooms and returns when none is left; a load asked for in the
    same turn of the loop, after it returned, starts a new loader instead of waiting forever."""
    from tests.support.wsclient import seed

    other = seed(store, name="Other group")
    first = asyncio.ensure_future(hub.load_room(group.group_id))
    await asyncio.sleep(0)  # first asked: the loader runs in the next turn, then this one's next step
    second = asyncio.ensure_future(hub.load_room(other.group_id))
    await asyncio.wait_for(asyncio.gather(first, second), 5)
    assert {group.group_id, other.group_id} <= set(hub.rooms)
