"""Background jobs that repeat on the injected clock (expired holds now; payouts later)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager

from realtime.clock import Clock

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]


async def repeat(clock: Clock, every: float, job: Job, name: str) -> None:
    """Run `job` every `every` seconds until cancelled; a failing run is logged, not fatal."""
    while True:
        await clock.sleep(every)
        try:
            await job()
        except Exception:
            log.exception("background job %s failed", name)


@asynccontextmanager
async def running(clock: Clock, jobs: Mapping[str, tuple[float, Job]]) -> AsyncIterator[None]:
    """Run the jobs in the background for the duration of the block."""
    tasks = [
        asyncio.create_task(repeat(clock, every, job, name), name=name)
        for name, (every, job) in jobs.items()
    ]
    try:
        yield
    finally:
        await stopped(tasks)


# How long a shutdown waits for background tasks to stop before it goes on without them.
STOP_WAIT = 5.0


async def stopped(tasks: list[asyncio.Task[None]], *, wait: float = STOP_WAIT) -> None:
    """Cancel the tasks and wait until each has stopped. A cancellation that lands inside a
    redis-py call is sometimes lost (the job then loops on; seen with the timers' lease, which
    calls Redis every 300 ms), so what is still running is cancelled again, for at most `wait`
    seconds: a task that still runs then is logged with where it is stuck and left behind,
    so that a shutdown never hangs."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    pending = {task for task in tasks if not task.done()}
    while pending and loop.time() < deadline:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=0.1)
    for task in pending:
        frames = "; ".join(
            f"{f.f_code.co_filename}:{f.f_lineno} {f.f_code.co_name}" for f in task.get_stack()
        )
        log.warning(
            "background task %s did not stop within %.0f s: %s", task.get_name(), wait, frames
        )
    for task in tasks:
        if task not in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task
