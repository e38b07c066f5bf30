"""The bridge's frame counters and pacing lateness at `/metrics`: each outbound frame's lateness
in `flourish_phone_frame_lateness_seconds`, the calls' `Stats` as
`flourish_phone_frames_total{kind}`, which never fall when a call ends; and the pacer when the
provider's socket goes."""

from __future__ import annotations

import asyncio
import uuid
from typing import cast

from media.bridge import Bridge
from media.pacing import PRIME_FRAMES, Outbound, Stats
from media.phone_stream import PhoneCalls
from realtime.auth.phone_logins import PhoneLogins
from realtime.metrics import Metrics


async def _nothing(*_: object) -> None:
    return None


def _frames(text: str, kind: str) -> str:
    line = next(
        x
        for x in text.splitlines()
        if x.startswith(f'flourish_phone_frames_total{{kind="{kind}"}}')
    )
    return line.rsplit(" ", 1)[1]


async def test_each_call_s_frames_and_lateness_are_counted_and_stay_counted() -> None:
    metrics = Metrics()
    calls = PhoneCalls(cast(PhoneLogins, None), 10, metrics)
    bridge = Bridge(
        booking_id="b1",
        user_id=uuid.uuid4(),
        logins=calls.logins,
        app_url="http://127.0.0.1:1",
        send=_nothing,
        end_stream=_nothing,
        stats=calls.new_stats(),
    )
    calls.start(bridge)
    bridge.outbound.bind(lambda frame: "media", lambda name: "mark")
    bridge.track.heard(b"\xff" * 320, 0)  # two frames from the caller
    bridge.outbound.coach(b"\xff" * 480)  # three from the coach
    await bridge.outbound._tick(0.001)
    await bridge.outbound._tick(0.004)
    await bridge.outbound._tick(0.025)  # late: over one frame after its slot

    text = metrics.render().decode()
    assert "flourish_phone_frame_lateness_seconds_count 3.0" in text
    assert 'flourish_phone_frame_lateness_seconds_bucket{le="0.002"} 1.0' in text
    assert 'flourish_phone_frame_lateness_seconds_bucket{le="0.005"} 2.0' in text
    counts = {kind: _frames(text, kind) for kind in ("received", "sent", "late", "dropped_in")}
    assert counts == {"received": "2.0", "sent": "3.0", "late": "1.0", "dropped_in": "0.0"}

    calls.end(bridge)  # the call's counters stay in the totals
    assert not calls.bridges
    text = metrics.render().decode()
    assert _frames(text, "sent") == "3.0"
    assert _frames(text, "received") == "2.0"


async def test_the_pacer_ends_quietly_when_the_provider_s_socket_is_closing() -> None:
    async def closing(message: str) -> None:
        raise ConnectionResetError("Cannot write to closing transport")  # as aiohttp raises

    outbound = Outbound(closing, Stats())
    outbound.bind(lambda frame: "media", lambda name: "mark")
    outbound.coach(b"\xff" * 480)
    await asyncio.wait_for(outbound.run(), 1)  # returns, no exception for the bridge to log
    assert outbound.stats.sent == 0


async def test_a_burst_from_the_coach_does_not_delay_the_caller_for_the_rest_of_the_call() -> None:
    sent: list[str] = []

    async def send(message: str) -> None:
        sent.append(message)

    outbound = Outbound(send, Stats())
    outbound.bind(lambda frame: "media", lambda name: "mark")
    outbound.coach(b"\xff" * 160 * 6)  # held up, then let through at once
    waiting = []
    for _ in range(150):  # then steady, one frame a slot, for 3 s
        await outbound._tick(0.0)
        outbound.coach(b"\xff" * 160)
        waiting.append(len(outbound._coach))
    assert max(waiting[-50:]) <= PRIME_FRAMES  # back to the primed delay, not 120 ms
    assert outbound.stats.dropped_out <= 5
    assert len(sent) == 150  # no slot left empty
