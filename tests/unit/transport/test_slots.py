"""The transport's connection slots (``_Slots``): FIFO, and no slot lost to a cancel."""

from __future__ import annotations

import asyncio

import pytest

from watson_async.transport.aiohttp_transport import _Slots


async def test_slots_are_taken_in_order_and_given_back() -> None:
    slots = _Slots(1)
    assert not slots.locked()
    await slots.acquire()
    assert slots.locked()
    order: list[int] = []

    async def take(n: int) -> None:
        await slots.acquire()
        order.append(n)

    waiting = [asyncio.create_task(take(n)) for n in range(3)]
    await asyncio.sleep(0)
    assert slots.locked()
    assert order == []
    for _ in range(3):
        slots.release()  # straight to the first waiter
        await asyncio.sleep(0)
    assert order == [0, 1, 2]
    await asyncio.gather(*waiting)
    slots.release()
    assert not slots.locked()
    assert slots.free == 1


async def test_a_cancelled_waiter_takes_no_slot_and_loses_none() -> None:
    slots = _Slots(1)
    await slots.acquire()
    gone = asyncio.create_task(slots.acquire())
    await asyncio.sleep(0)
    gone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert not slots.waiters
    # Handed the slot and cancelled before it ran: the slot passes to the next waiter.
    handed = asyncio.create_task(slots.acquire())
    after = asyncio.create_task(slots.acquire())
    await asyncio.sleep(0)
    slots.release()
    handed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await handed
    await asyncio.wait_for(after, 1)
    assert slots.free == 0
    assert not slots.waiters
    slots.release()
    assert slots.free == 1
    assert not slots.locked()
