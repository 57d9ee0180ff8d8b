"""A burst of joins takes turns (server/admission.py): a few a turn of the event loop, first come first served."""

from __future__ import annotations

import asyncio

import pytest

from server.admission import Admission


async def test_a_burst_of_joins_goes_through_a_few_a_turn_in_order_and_the_loop_turns_between():
    admission = Admission(3)
    turn = 0
    done: list[tuple[int, int]] = []  # (join, the loop's turn it went through in)
    ticking = True

    async def ticker() -> None:
        nonlocal turn
        while ticking:
            turn += 1
            await asyncio.sleep(0)  # one turn of the loop each

    async def join(n: int) -> None:
        await admission.turn()
        done.append((n, turn))

    clock = asyncio.get_running_loop().create_task(ticker())
    await asyncio.sleep(0)
    await asyncio.gather(*(join(n) for n in range(10)))
    ticking = False
    await clock
    assert [n for n, _ in done] == list(range(10)), "first come, first served"
    per_turn: dict[int, int] = {}
    for _, t in done:
        per_turn[t] = per_turn.get(t, 0) + 1
    assert max(per_turn.values()) <= 3
    assert len(per_turn) >= 4, "ten joins, three a turn"


async def test_a_join_gone_while_it_waits_gives_up_its_place():
    admission = Admission(1)
    loop = asyncio.get_running_loop()
    first, gone, next_one = (loop.create_task(admission.turn()) for _ in range(3))
    await asyncio.sleep(0)  # all three asked in the same turn: the first went through
    assert first.done() and not gone.done() and not next_one.done()
    gone.cancel()
    await asyncio.wait_for(next_one, 1)
    assert gone.cancelled()


def test_a_turn_lets_at_least_one_through():
    with pytest.raises(ValueError):
        Admission(0)
