"""The timer store and its lease, on real Redis and in process: one leader, claims that fire
each timer once, plans that replace and drops that remove."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable

import pytest

from signalling.deadlines import LEASE_MS, Due, MemoryStore, RedisStore, Store
from tests.support.stacks import Stack

Make = Callable[[], Store]


@pytest.fixture(params=["memory", "redis"])
async def stores(request: pytest.FixtureRequest, production_stack: Stack) -> AsyncIterator[Make]:
    """`stores()`: another process's view of one deployment's timers (a Redis prefix of the
    test's own)."""
    template = production_stack.template
    url, prefix = template.redis_url, f"{template.redis_prefix}{uuid.uuid4().hex[:8]}:"
    made: list[Store] = []
    shared = MemoryStore()

    def make() -> Store:
        store: Store = shared if request.param == "memory" else RedisStore(url, prefix)
        made.append(store)
        return store

    yield make
    for store in made:
        await store.close()


def session(booking: str, ends: int) -> list[Due]:
    return [Due(booking, f"w60|{ends}", ends - 60_000), Due(booking, f"end|{ends}", ends + 120_000)]


async def test_a_due_timer_is_claimed_once(stores: Make) -> None:
    one, two = stores(), stores()
    booking = str(uuid.uuid4())
    await one.plan(booking, session(booking, 1_000_000), 0)
    await two.plan(booking, session(booking, 1_000_000), 0)  # planned twice: still one each
    assert await one.lead("a")
    assert await one.claim("a", 900_000, 10) == []
    (warning,) = await one.claim("a", 940_000, 10) or []
    assert (warning.booking, warning.name) == (booking, "w60|1000000")
    assert await one.claim("a", 940_000, 10) == []
    await two.plan(booking, session(booking, 1_000_000), 950_000)  # a fired timer stays fired
    ends = await one.claim("a", 2_000_000, 10) or []
    assert [d.name for d in ends] == ["end|1000000"]
    assert await one.pending() == 0


async def test_one_leader_at_a_time_and_a_dead_one_is_replaced(stores: Make) -> None:
    one, two = stores(), stores()
    if isinstance(one, MemoryStore):  # in process there is one process: it always leads
        assert await one.lead("a")
        assert await two.lead("b")
        return
    booking = str(uuid.uuid4())
    await one.plan(booking, session(booking, 1_000_000), 0)
    assert await one.lead("a")
    assert not await two.lead("b")
    assert await two.claim("b", 2_000_000, 10) is None  # not the leader: nothing taken
    assert await one.lead("a")  # renewed
    await asyncio.sleep(LEASE_MS / 1000 + 0.1)  # "a" died: its lease runs out
    assert await two.lead("b")
    assert await one.claim("a", 2_000_000, 10) is None
    assert len(await two.claim("b", 2_000_000, 10) or []) == 2
    await two.resign("b")
    assert await one.lead("a")


async def test_planning_again_replaces_and_drop_removes(stores: Make) -> None:
    store = stores()
    moved, canceled = str(uuid.uuid4()), str(uuid.uuid4())
    await store.plan(moved, session(moved, 1_000_000), 0)
    await store.plan(canceled, session(canceled, 1_000_000), 0)
    await store.plan(moved, session(moved, 5_000_000), 0)  # rescheduled
    await store.drop(canceled)
    assert await store.pending() == 2
    assert await store.lead("a")
    names = [d.name for d in await store.claim("a", 10_000_000, 10) or []]
    assert names == ["w60|5000000", "end|5000000"]
