"""The engine's slots: a bound on concurrent events, given back while the model answers."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from bot.slots import AIOutsideSlots, Slots
from core.ports.ai import AnalysisReply, ChatMessage, InterviewStep, Usage


class SlowModel:
    """An AIProvider that answers after `gate` opens, counting callers in flight."""

    name = "slow-model"

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.in_flight = 0

    async def next_question(
        self, messages: Sequence[ChatMessage], *, language: str, may_finish: bool
    ) -> InterviewStep:
        self.in_flight += 1
        await self.gate.wait()
        self.in_flight -= 1
        return InterviewStep("Why?", False, Usage(1, 1, self.name))

    async def produce_analysis(
        self, messages: Sequence[ChatMessage], *, language: str
    ) -> AnalysisReply:
        raise AssertionError("these tests ask only for questions")


async def test_no_more_than_the_limit_work_at_once_and_the_rest_wait_in_order() -> None:
    slots = Slots(2)
    working, most, order = 0, 0, []

    async def event(number: int) -> None:
        nonlocal working, most
        async with slots.held():
            working += 1
            most = max(most, working)
            order.append(number)
            await asyncio.sleep(0.01)
            working -= 1

    tasks = [asyncio.create_task(event(n)) for n in range(8)]
    await asyncio.sleep(0)
    assert slots.waiting == 6
    await asyncio.gather(*tasks)
    assert most == 2
    assert order == list(range(8))
    assert slots.waiting == 0


async def test_events_waiting_on_the_model_hold_no_slot() -> None:
    slots = Slots(1)
    model = SlowModel()
    ai = AIOutsideSlots(model, slots)

    async def ask() -> InterviewStep:
        async with slots.held():
            return await ai.next_question([], language="en", may_finish=False)

    asking = [asyncio.create_task(ask()) for _ in range(5)]
    for _ in range(20):
        await asyncio.sleep(0)
    assert model.in_flight == 5, "one slot, yet all five wait on the model together"
    model.gate.set()
    steps = await asyncio.gather(*asking)
    assert [s.question for s in steps] == ["Why?"] * 5
    assert slots.waiting == 0
    # Every slot came back: a new event gets one at once.
    await asyncio.wait_for(_hold_once(slots), 1)


async def _hold_once(slots: Slots) -> None:
    async with slots.held():
        pass


async def test_a_call_outside_an_event_gives_back_nothing() -> None:
    slots = Slots(1)
    model = SlowModel()
    model.gate.set()
    await AIOutsideSlots(model, slots).next_question([], language="en", may_finish=False)
    async with slots.held():
        assert slots.waiting == 0
        second = asyncio.create_task(_hold_once(slots))
        await asyncio.sleep(0)
        assert slots.waiting == 1, "still one slot: the call above released none"
    await second


async def test_an_event_cancelled_while_it_waits_for_its_slot_back_releases_nothing() -> None:
    slots = Slots(1)
    model = SlowModel()
    ai = AIOutsideSlots(model, slots)
    blocker_in = asyncio.Event()
    blocker_out = asyncio.Event()

    async def ask() -> None:
        async with slots.held():
            await ai.next_question([], language="en", may_finish=False)

    async def blocker() -> None:
        async with slots.held():
            blocker_in.set()
            await blocker_out.wait()

    asking = asyncio.create_task(ask())
    for _ in range(5):
        await asyncio.sleep(0)
    holding = asyncio.create_task(blocker())  # takes the slot the model call gave back
    await blocker_in.wait()
    model.gate.set()
    for _ in range(5):
        await asyncio.sleep(0)
    assert slots.waiting == 1  # `ask` wants its slot back
    asking.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asking
    blocker_out.set()
    await holding
    # Exactly one slot remains: one holder gets in, a second waits.
    async with slots.held():
        second = asyncio.create_task(_hold_once(slots))
        await asyncio.sleep(0)
        assert slots.waiting == 1
    await second
