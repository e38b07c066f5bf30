"""Named one-shot timers on the injected clock (join timeouts, reconnect grace periods).

Setting a timer under a name cancels the one it replaces; `close()` cancels all, so nothing
outlives the app. Tests move a `FakeClock` instead of waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from realtime.clock import Clock

log = logging.getLogger(__name__)


class Timers:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.closed = False

    def after(self, name: str, seconds: float, job: Callable[[], Awaitable[object]]) -> None:
        """Run `job` once, `seconds` from now, unless cancelled or replaced first (nothing once
        closed: a socket closing while the app stops must not leave a timer behind)."""
        self.cancel(name)
        if self.closed:
            return
        self.tasks[name] = asyncio.create_task(self._run(name, seconds, job), name=name)

    def cancel(self, name: str) -> None:
        task = self.tasks.pop(name, None)
        if task is not None:
            task.cancel()

    async def _run(self, name: str, seconds: float, job: Callable[[], Awaitable[object]]) -> None:
        await self.clock.sleep(seconds)
        # From here the timer has fired: a cancel() would only cut the job short.
        self.tasks.pop(name, None)
        try:
            await job()
        except Exception:
            log.exception("timer %s failed", name.split(":")[0])

    async def close(self) -> None:
        self.closed = True
        tasks = list(self.tasks.values())
        self.tasks.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
