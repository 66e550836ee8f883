"""Batching per key with a fake handler: arrival order per key, the size bound, keys side by side."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from taalhuis_shared.messaging.batches import Batches
from tests.support.waiting import eventually


@dataclass
class Desk:
    """Records each batch it is handed; holds a batch of a key until told to let it go."""

    batches: list[list[str]] = field(default_factory=list)
    held: dict[str, asyncio.Event] = field(default_factory=dict)
    failing: set[str] = field(default_factory=set)

    async def handle(self, items: list[str]) -> None:
        self.batches.append(items)
        key = items[0][0]
        if key in self.held:
            await self.held[key].wait()
        if self.failing & set(items):
            raise RuntimeError("this batch fails")

    def hold(self, key: str) -> asyncio.Event:
        return self.held.setdefault(key, asyncio.Event())


async def submit_all(batches: Batches[str], items: list[str]) -> list[asyncio.Task[None]]:
    """Submit each item (its key is its first letter) in order, as concurrent deliveries do."""
    tasks = []
    for item in items:
        tasks.append(asyncio.create_task(batches.submit(item[0], item)))
        await asyncio.sleep(0)  # the delivery reaches the step before the next one arrives
    return tasks


async def test_at_low_load_a_batch_is_the_one_message_that_came() -> None:
    desk = Desk()
    batches = Batches(desk.handle, batch_size=50)
    await batches.submit("a", "a1")
    await batches.submit("a", "a2")
    assert desk.batches == [["a1"], ["a2"]]


async def test_newcomers_wait_for_the_running_batch_then_form_batches_of_at_most_the_size_in_order() -> None:
    desk = Desk()
    batches = Batches(desk.handle, batch_size=3)
    release = desk.hold("a")
    tasks = await submit_all(batches, ["a0"])
    await eventually(lambda: desk.batches == [["a0"]], what="the first batch running")
    tasks += await submit_all(batches, [f"a{n}" for n in range(1, 8)])
    assert desk.batches == [["a0"]], "a newcomer was handled while its key's batch ran"
    release.set()
    await asyncio.gather(*tasks)
    assert desk.batches == [["a0"], ["a1", "a2", "a3"], ["a4", "a5", "a6"], ["a7"]]


async def test_other_keys_are_handled_while_one_key_waits() -> None:
    desk = Desk()
    batches = Batches(desk.handle, batch_size=50)
    release = desk.hold("a")
    held = await submit_all(batches, ["a0", "a1"])
    await asyncio.wait_for(asyncio.gather(*await submit_all(batches, ["b0", "c0"])), timeout=5)
    assert ["b0"] in desk.batches and ["c0"] in desk.batches
    assert not any(task.done() for task in held)
    release.set()
    await asyncio.gather(*held)
    assert desk.batches[-1] == ["a1"]


async def test_a_failing_batch_fails_each_of_its_items_and_the_next_batch_still_runs() -> None:
    desk = Desk(failing={"a2"})
    batches = Batches(desk.handle, batch_size=50)
    release = desk.hold("a")
    tasks = await submit_all(batches, ["a0", "a1", "a2", "a3"])
    await eventually(lambda: desk.batches == [["a0"]], what="the first batch running")
    tasks += await submit_all(batches, ["a4"])
    release.set()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert desk.batches == [["a0"], ["a1", "a2", "a3", "a4"]]
    assert outcomes[0] is None
    assert all(isinstance(outcome, RuntimeError) for outcome in outcomes[1:])
    await batches.submit("a", "a5")
    assert desk.batches[-1] == ["a5"]


async def test_a_delivery_cancelled_while_it_waits_is_left_out_of_the_next_batch() -> None:
    desk = Desk()
    batches = Batches(desk.handle, batch_size=50)
    release = desk.hold("a")
    first, second, third = await submit_all(batches, ["a0", "a1", "a2"])
    await eventually(lambda: desk.batches == [["a0"]], what="the first batch running")
    second.cancel()
    release.set()
    await asyncio.gather(first, third)
    assert desk.batches == [["a0"], ["a2"]]


async def test_an_item_alone_waits_for_every_earlier_batch_and_later_items_do_not_wait_for_it() -> None:
    desk = Desk()
    batches = Batches(desk.handle, batch_size=50)
    release_a = desk.hold("a")
    tasks = await submit_all(batches, ["a0", "a1", "b0"])
    await eventually(lambda: ["b0"] in desk.batches, what="b's batch handled")
    # A withdrawal without a key comes while a's batches are still in hand.
    done_alone: list[str] = []

    async def withdraw() -> None:
        done_alone.append("w")
        desk.batches.append(["w"])

    alone = asyncio.create_task(batches.alone(withdraw))
    await asyncio.sleep(0)
    tasks += await submit_all(batches, ["b1"])  # after the withdrawal, another key
    await eventually(lambda: ["b1"] in desk.batches, what="a later batch handled meanwhile")
    assert done_alone == [], "the item alone ran before an earlier batch was done"
    release_a.set()
    await asyncio.gather(alone, *tasks)

    order = [item for batch in desk.batches for item in batch]
    assert order.index("w") > max(order.index("a0"), order.index("a1"), order.index("b0"))


async def test_a_failing_earlier_batch_does_not_stop_the_item_alone() -> None:
    desk = Desk(failing={"a0"})
    batches = Batches(desk.handle, batch_size=50)
    release = desk.hold("a")
    [failing] = await submit_all(batches, ["a0"])
    ran: list[str] = []

    async def alone_item() -> None:
        ran.append("alone")

    alone = asyncio.create_task(batches.alone(alone_item))
    await asyncio.sleep(0)
    assert ran == []
    release.set()
    with pytest.raises(RuntimeError):
        await failing
    await alone
    assert ran == ["alone"]


def test_a_batch_holds_at_least_one_message() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Batches(Desk().handle, batch_size=0)
