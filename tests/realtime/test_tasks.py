"""Background tasks stop when asked, and a task that will not stop cannot hang a shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest

from realtime.tasks import stopped


async def test_stopped_cancels_and_waits_for_each_task() -> None:
    ended: list[str] = []

    async def worker(name: str) -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            ended.append(name)

    tasks = [asyncio.create_task(worker(n)) for n in ("a", "b")]
    await asyncio.sleep(0)
    await stopped(tasks)
    assert sorted(ended) == ["a", "b"]
    assert all(t.cancelled() for t in tasks)


async def test_a_cancellation_lost_once_is_sent_again() -> None:
    async def stubborn_once() -> None:
        # Swallowed once, as a cancellation lost inside a client library looks.
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(3600)
        await asyncio.sleep(3600)

    task = asyncio.create_task(stubborn_once())
    await asyncio.sleep(0)
    await stopped([task], wait=2)
    assert task.cancelled()


async def test_a_task_that_never_stops_is_logged_and_left_behind(
    caplog: pytest.LogCaptureFixture,
) -> None:
    release = asyncio.Event()

    async def deaf() -> None:
        while not release.is_set():
            try:
                await asyncio.sleep(0.01)
            except asyncio.CancelledError:
                continue  # ignores every cancellation

    task = asyncio.create_task(deaf(), name="deaf-job")
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with caplog.at_level(logging.WARNING, logger="realtime.tasks"):
        await stopped([task], wait=0.3)
    assert loop.time() - started < 2
    assert not task.done()
    (record,) = [r for r in caplog.records if "did not stop" in r.getMessage()]
    assert "deaf-job" in record.getMessage()
    assert "deaf" in record.getMessage()  # where it is stuck
    release.set()
    await task
