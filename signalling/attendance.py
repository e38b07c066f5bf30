"""Attendance on `/session`: each joined socket's stay is written from the room's join and
leave hooks (on the process the socket came through), and the countdown's hard stop decides
the session's outcome (`booking.services.attendance`). No client event: nothing here can be
asked for, only observed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from booking.services.attendance import AttendanceBook
from booking.services.sessions import Admission
from realtime.auth.access import Principal
from signalling.countdown import Countdown
from signalling.session import SessionSignalling

log = logging.getLogger(__name__)
LEAVE_WRITE_WAIT = 5.0


class Attendance:
    def __init__(
        self, session: SessionSignalling, countdown: Countdown, book: AttendanceBook
    ) -> None:
        self.session = session
        self.countdown = countdown
        self.book = book
        self.stays: dict[str, int] = {}  # sid -> its open stay
        self.writing: set[asyncio.Task[None]] = set()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """On the way out, after the room's sockets are closed, wait (a few seconds at most)
        for their leaves to be written, before the database closes."""
        try:
            yield
        finally:
            if self.writing:
                await asyncio.wait(set(self.writing), timeout=LEAVE_WRITE_WAIT)

    def register(self) -> None:
        self.session.on_join(self.joined)
        self.session.on_leave(self.left)
        self.countdown.on_end(self.ended)

    async def joined(self, sid: str, caller: Principal, admission: Admission) -> dict[str, Any]:
        try:
            via = "phone" if caller.scope == "phone" else "browser"  # a call's bridge
            stay = await self.book.joined(admission.booking_id, caller.user_id, admission.role, via)
        except Exception:
            # The socket is in the room; a stay not written counts as absence, logged.
            log.exception(
                "attendance: the join of a socket to %s not written", admission.booking_id
            )
            return {}
        before = self.stays.pop(sid, None)
        if before is not None:
            self._close(before)
        self.stays[sid] = stay
        return {}

    def left(self, sid: str) -> None:
        stay = self.stays.pop(sid, None)
        if stay is not None:
            self._close(stay)

    def _close(self, stay: int) -> None:
        task = asyncio.get_running_loop().create_task(self._write_leave(stay))
        self.writing.add(task)
        task.add_done_callback(self.writing.discard)

    async def _write_leave(self, stay: int) -> None:
        try:
            await self.book.left(stay)
        except Exception:
            log.exception("attendance: a leave not written (stay %s)", stay)

    async def ended(self, booking_id: Any) -> None:
        # `wait`, not `gather`: the hook cancelled (a shutdown) leaves the leave writes running.
        if self.writing:
            await asyncio.wait(set(self.writing))
        outcome = await self.book.decide(booking_id)
        if outcome is not None:
            log.info("session %s decided: %s", booking_id, outcome.value)
