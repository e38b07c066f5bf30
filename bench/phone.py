"""Phone bridge benchmark: N concurrent bridged calls on one `flourish serve` process.

    .venv/bin/python -m bench.phone [--calls 10,50,100] [--seconds 20] [--loaders 2]
                                    [--quick] [--json PATH] [--profile PATH]

    BENCH_SERVER_CPUS=0 taskset -c 1 .venv/bin/python -m bench.phone ...   # server on core 0

One server (PHONE_ENABLED, a Twilio auth token, PUBLIC_URL, PHONE_MAX_CALLS = the largest N;
PostgreSQL schema and Redis prefix of its own: bench/signalling_servers.py `World`, seeded with
confirmed `phone` bookings whose room is open) per N. The load runs in `--loaders` processes of
its own (bench/phone_load.py): for each call an aiortc coach joined through `/session` that
echoes what it hears mixed with its own 880 Hz tone, and a Twilio stand-in that opens
`/phone/stream` signed, starts it with a stream ticket made with the server's SECRET_KEY (as
the PIN webhook would hand it out) and sends a 440 Hz tone with a 100 ms ping every second as
20 ms μ-law frames. After all calls are up and a warm-up, over the measured `--seconds`:

- server CPU per call (/proc of the server process);
- outbound pacing lateness p50/p99 (each frame the server sent the caller, after its 20 ms
  slot: `flourish_phone_frame_lateness_seconds` at /metrics, interpolated within its buckets)
  and the server's frame counters (`flourish_phone_frames_total`: received, dropped in, sent,
  dropped out, late);
- what the stand-ins and coaches received: frames, and 20 ms slots missing (gaps);
- the round trip of a ping caller → bridge → coach → (echo) → bridge → caller, p50/p99, and
  the same round trip over a direct aiortc ↔ aiortc call in the first load process (the
  baseline, in the same run and under the same load): the bridge's own one-way share is half
  the difference of the medians.

`--profile PATH`: the server runs under bench/profiled.py, cProfile over the measured window
(PATH-1.prof; its event loop only, not aiortc's threads).

The harness checks audio flowed both ways (the coaches heard the callers' tones, the callers
heard the coaches' 880 Hz and their own pings back) and exits 1 otherwise. `--quick`: 3 calls,
4 s. Needs PostgreSQL and Redis (BENCH_POSTGRES_URL, BENCH_REDIS_URL).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench.chat import p50_p99
from bench.processes import cpu_seconds
from bench.signalling_servers import NAMESPACE, Running, World, started
from media.phone import stream_ticket, ticket_key

PUBLIC_URL = "https://bench.flourish.example"
STREAM_URL = "wss://bench.flourish.example/phone/stream"
AUTH_TOKEN = "bench-twilio-auth-token"
METRICS_TOKEN = secrets.token_urlsafe(32)
LATENESS = "flourish_phone_frame_lateness_seconds"
FRAMES = "flourish_phone_frames_total"
SETUP_SECONDS = 120.0
# Targets (issue 16) and anchors, printed against the numbers.
TARGET_CALLS, TARGET_P99_MS, TARGET_ONE_WAY_MS = 50, 20.0, 100.0


@dataclass(frozen=True)
class Options:
    calls: tuple[int, ...] = (10, 50, 100)
    seconds: float = 20.0
    warm_up: float = 5.0
    loaders: int = 2
    profile: Path | None = None  # cProfile the server over the window: <path>-1.prof


@dataclass
class Result:
    calls: int
    up: int = 0
    seconds: float = 0.0
    server_cpu_cores: float = 0.0
    server_cpu_ms_per_call_second: float = 0.0  # CPU ms each call costs per second of call
    load_cpu_cores: float = 0.0
    machine_busy_cores: float = 0.0  # every process's (/proc/stat), ours and anyone else's
    others_cores: float = 0.0  # the machine's busy cores less the server's and the load's
    load_average: tuple[float, float, float] = (0.0, 0.0, 0.0)
    lateness_p50_ms: float = 0.0
    lateness_p99_ms: float = 0.0
    lateness_frames: int = 0
    server_frames: dict[str, int] = field(default_factory=dict)
    caller_frames: int = 0
    caller_expected: int = 0
    caller_missing: int = 0
    caller_max_gap_ms: float = 0.0
    caller_heard_coach: float = 0.0
    coach_frames: int = 0
    coach_missing: int = 0
    coach_max_gap_ms: float = 0.0
    coach_heard_caller: float = 0.0
    pings_sent: int = 0
    pings_back: int = 0
    round_trip_p50_ms: float = 0.0
    round_trip_p99_ms: float = 0.0
    up_p50_ms: float = 0.0  # the first leg, caller to coach (so the rest is the way back)
    baseline_up_p50_ms: float = 0.0
    baseline_pings_back: int = 0
    baseline_round_trip_p50_ms: float = 0.0
    baseline_round_trip_p99_ms: float = 0.0
    bridge_one_way_ms: float = 0.0  # (bridged - baseline round trip medians) / 2
    bridge_up_ms: float = 0.0  # what the bridge adds caller -> coach (first-leg medians)
    bridge_down_ms: float = 0.0  # and coach -> caller (the rest of the round trip)
    errors: list[str] = field(default_factory=list)

    @property
    def audio_both_ways(self) -> bool:
        return (
            self.up == self.calls
            and self.caller_heard_coach > 0.9
            and self.coach_heard_caller > 0.9
            and self.pings_back > 0
            and self.baseline_pings_back > 0
        )


class Loader:
    """One bench.phone_load process and its JSON-lines channel."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def read(self, seconds: float = 30.0) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), seconds)
        if not line:
            raise RuntimeError(f"load process {self.process.pid} exited")
        answer: dict[str, Any] = json.loads(line)
        return answer

    async def ask(self, command: str) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"cmd": command}).encode() + b"\n")
        await self.process.stdin.drain()
        return await self.read()

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.process.pid)


@asynccontextmanager
async def loaders(specs: list[dict[str, Any]]) -> AsyncIterator[list[Loader]]:
    running: list[Loader] = []
    with tempfile.TemporaryDirectory(prefix="bench-phone-") as directory:
        try:
            for n, spec in enumerate(specs):
                path = Path(directory) / f"spec-{n}.json"
                path.write_text(json.dumps(spec))
                process = await asyncio.create_subprocess_exec(
                    *(sys.executable, "-m", "bench.phone_load", str(path)),
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    cwd=Path(__file__).parent.parent,
                )
                running.append(Loader(process))
            yield running
        finally:
            for loader in running:
                if loader.process.returncode is None:
                    try:
                        await loader.ask("stop")
                        await asyncio.wait_for(loader.process.wait(), 30)
                    except (TimeoutError, RuntimeError, ConnectionError):
                        loader.process.kill()
                        await loader.process.wait()


async def scrape(http: aiohttp.ClientSession, url: str) -> dict[str, float]:
    """The phone series of /metrics, by sample name with labels."""
    headers = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    async with http.get(f"{url}/metrics", headers=headers) as response:
        response.raise_for_status()
        text = await response.text()
    samples = {}
    for line in text.splitlines():
        if line.startswith((LATENESS, FRAMES)):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def quantile(q: float, buckets: list[tuple[float, float]]) -> float:
    """Prometheus's histogram_quantile: (upper bound, cumulative count) pairs, linear within the
    bucket; the largest finite bound when the quantile is beyond it."""
    total = buckets[-1][1]
    if total <= 0:
        return 0.0
    rank, lower, below = q * total, 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if bound == float("inf"):
                return lower
            return lower + (bound - lower) * (rank - below) / max(count - below, 1e-9)
        lower, below = bound, count
    return lower


def lateness_buckets(
    before: dict[str, float], after: dict[str, float]
) -> list[tuple[float, float]]:
    prefix = LATENESS + '_bucket{le="'
    found = []
    for name, value in after.items():
        if name.startswith(prefix):
            bound = float(name[len(prefix) : -2])
            found.append((bound, value - before.get(name, 0.0)))
    return sorted(found)


def machine_busy_seconds() -> float:
    """CPU seconds every core spent busy since boot (/proc/stat: all but idle and iowait)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:8]]
    user, nice, system, _idle, _iowait, irq, softirq = fields
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def specs(world: World, server: Running, calls: int, count: int) -> list[dict[str, Any]]:
    """The calls dealt out to `count` load processes; the first also runs the baseline."""
    url = server.rooms[0][0]["url"].removesuffix(NAMESPACE)
    key = ticket_key(world.secret)
    expires = int(time.time()) + 3600
    every = [
        {
            "booking_id": b.booking_id,
            "coach_token": b.coach_token,
            "ticket": stream_ticket(key, b.booking_id, b.client_id, expires),
        }
        for b in world.bookings[:calls]
    ]
    count = max(1, min(count, calls))
    return [
        {
            "url": url,
            "stream_url": STREAM_URL,
            "auth_token": AUTH_TOKEN,
            "calls": every[n::count],
            "baseline": n == 0,
        }
        for n in range(count)
    ]


async def measure_one(world: World, calls: int, options: Options) -> Result:
    result = Result(calls)
    environment = {
        "PHONE_ENABLED": "true",
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PUBLIC_URL": PUBLIC_URL,
        "PHONE_MAX_CALLS": str(max(options.calls)),
        "METRICS_TOKEN": METRICS_TOKEN,
        "ACCESS_TOKEN_TTL": "86400",
    }
    profile = None if options.profile is None else ("cpu", options.profile)
    async with (
        started("ours", calls, world, profile, environment) as server,
        aiohttp.ClientSession() as http,
        loaders(specs(world, server, calls, options.loaders)) as load,
    ):
        url = server.processes[0].url
        ups = await asyncio.gather(*(loader.read(SETUP_SECONDS) for loader in load))
        result.up = sum(int(u["up"]) for u in ups)
        result.errors += [e for u in ups for e in u["errors"]]
        await asyncio.sleep(options.warm_up)
        await asyncio.gather(*(loader.ask("mark") for loader in load))
        before = await scrape(http, url)
        if profile is not None:
            server.mark_profile()
        cpu, load_cpu = server.cpu_seconds(), sum(loader.cpu_seconds() for loader in load)
        busy = machine_busy_seconds()
        began = time.perf_counter()
        await asyncio.sleep(options.seconds)
        windows = await asyncio.gather(*(loader.ask("report") for loader in load))
        result.seconds = time.perf_counter() - began
        result.machine_busy_cores = (machine_busy_seconds() - busy) / result.seconds
        if profile is not None:
            server.mark_profile()
        result.server_cpu_cores = (server.cpu_seconds() - cpu) / result.seconds
        result.load_cpu_cores = (
            sum(loader.cpu_seconds() for loader in load) - load_cpu
        ) / result.seconds
        after = await scrape(http, url)
        result.load_average = os.getloadavg()
    result.others_cores = max(
        0.0, result.machine_busy_cores - result.server_cpu_cores - result.load_cpu_cores
    )
    result.server_cpu_ms_per_call_second = result.server_cpu_cores * 1000 / max(result.up, 1)
    buckets = lateness_buckets(before, after)
    result.lateness_frames = int(buckets[-1][1]) if buckets else 0
    result.lateness_p50_ms = quantile(0.5, buckets) * 1000
    result.lateness_p99_ms = quantile(0.99, buckets) * 1000
    for kind in ("received", "dropped_in", "sent", "dropped_out", "late"):
        name = f'{FRAMES}{{kind="{kind}"}}'
        result.server_frames[kind] = int(after.get(name, 0) - before.get(name, 0))
    trips: list[float] = []
    baseline: list[float] = []
    up: list[float] = []
    baseline_up: list[float] = []
    heard_coach = heard_caller = 0.0
    for window in windows:
        result.caller_frames += window["caller_frames"]
        result.caller_missing += window["caller_missing"]
        result.caller_max_gap_ms = max(result.caller_max_gap_ms, window["caller_max_gap_ms"])
        result.coach_frames += window["coach_frames"]
        result.coach_missing += window["coach_missing"]
        result.coach_max_gap_ms = max(result.coach_max_gap_ms, window["coach_max_gap_ms"])
        heard_coach += window["caller_heard_coach"] * window["caller_frames"]
        heard_caller += window["coach_heard_caller"] * window["coach_frames"]
        result.pings_sent += window["pings_sent"]
        trips += window["round_trips_ms"]
        baseline += window["baseline_round_trips_ms"]
        up += window["up_ms"]
        baseline_up += window["baseline_up_ms"]
        result.errors += [e for e in window["errors"] if e not in result.errors]
    result.caller_expected = round(result.up * result.seconds / 0.02)
    result.caller_heard_coach = heard_coach / max(result.caller_frames, 1)
    result.coach_heard_caller = heard_caller / max(result.coach_frames, 1)
    result.pings_back, result.baseline_pings_back = len(trips), len(baseline)
    result.round_trip_p50_ms, result.round_trip_p99_ms = p50_p99(trips)
    result.baseline_round_trip_p50_ms, result.baseline_round_trip_p99_ms = p50_p99(baseline)
    result.up_p50_ms = p50_p99(up)[0]
    result.baseline_up_p50_ms = p50_p99(baseline_up)[0]
    result.bridge_one_way_ms = (result.round_trip_p50_ms - result.baseline_round_trip_p50_ms) / 2
    result.bridge_up_ms = result.up_p50_ms - result.baseline_up_p50_ms
    result.bridge_down_ms = 2 * result.bridge_one_way_ms - result.bridge_up_ms
    return result


async def measure(options: Options) -> list[Result]:
    world = World()
    try:
        await world.seed(max(options.calls), session_type="phone")
        results = []
        for calls in options.calls:
            results.append(await measure_one(world, calls, options))
            print(line(results[-1]), file=sys.stderr)
        return results
    finally:
        await world.drop()


def line(r: Result) -> str:
    frames = r.server_frames
    return (
        f"| {r.calls} | {r.up} | {r.server_cpu_cores:.2f} | {r.server_cpu_ms_per_call_second:.1f} "
        f"| {r.lateness_p50_ms:.2f} | {r.lateness_p99_ms:.2f} | {frames.get('late', 0)} "
        f"| {frames.get('dropped_in', 0)}/{frames.get('dropped_out', 0)} "
        f"| {r.caller_missing}/{r.caller_expected} | {r.coach_missing} "
        f"| {r.round_trip_p50_ms:.0f}/{r.round_trip_p99_ms:.0f} ({r.up_p50_ms:.0f} up) "
        f"| {r.baseline_round_trip_p50_ms:.0f}/{r.baseline_round_trip_p99_ms:.0f} "
        f"({r.baseline_up_p50_ms:.0f} up) "
        f"| {r.bridge_one_way_ms:.0f} ({r.bridge_up_ms:.0f} up, {r.bridge_down_ms:.0f} down) "
        f"| {r.load_cpu_cores:.2f} | {r.others_cores:.2f} "
        f"| {' '.join(f'{x:.2f}' for x in r.load_average)} |"
    )


HEADER = (
    "| calls | up | server cores | server CPU ms per call-second | lateness p50 ms "
    "| lateness p99 ms | late frames | dropped in/out | caller slots missing/expected "
    "| coach slots missing | round trip p50/p99 ms (p50 of the first leg) | baseline the same "
    "| bridge one-way ms | load cores | other processes' cores | load average |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def report(results: list[Result]) -> bool:
    print(HEADER)
    for result in results:
        print(line(result))
    print(
        f"\nTargets: {TARGET_CALLS} calls on one core with lateness p99 < {TARGET_P99_MS:.0f} ms "
        f"and no dropped frames; the bridge adds < {TARGET_ONE_WAY_MS:.0f} ms one way. Anchors: "
        "Asterisk ~100 G.711 calls/GHz without transcoding, ~30 with (TransNexus); naive "
        "aiortc bridges 0.5-1 s one way (aiortc issue #775)."
    )
    print(
        f"This machine: {os.cpu_count()} cores, shared by the server and the load processes "
        "(the load's CPU, other processes' CPU and the load average are in the table)."
    )
    for r in results:
        dropped = sum(r.server_frames.get(k, 0) for k in ("dropped_in", "dropped_out"))
        worst = max(r.bridge_up_ms, r.bridge_down_ms)
        verdict = [
            f"{r.calls} calls: server {r.server_cpu_cores:.2f} cores "
            f"({'within' if r.server_cpu_cores < 1 else 'over'} one core)",
            f"p99 {r.lateness_p99_ms:.1f} ms ({'<' if r.lateness_p99_ms < TARGET_P99_MS else '>='}"
            f" {TARGET_P99_MS:.0f})",
            f"dropped {dropped}, caller gaps {r.caller_missing}",
            f"bridge one way {r.bridge_one_way_ms:.0f} ms (caller to coach "
            f"{r.bridge_up_ms:.0f}, coach to caller {r.bridge_down_ms:.0f}) "
            f"({'<' if worst < TARGET_ONE_WAY_MS else '>='} {TARGET_ONE_WAY_MS:.0f})",
        ]
        print("- " + "; ".join(verdict))
        if r.errors:
            print(f"  errors: {r.errors[:5]}")
    passed = all(r.audio_both_ways for r in results)
    print("audio both ways: " + ("PASS" if passed else "FAIL"))
    return passed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.phone",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--calls", default="10,50,100", help="concurrent calls, comma-separated")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds")
    parser.add_argument("--warm-up", type=float, default=5.0, help="seconds after all are up")
    parser.add_argument("--loaders", type=int, default=2, help="load processes")
    parser.add_argument("--quick", action="store_true", help="3 calls, 4 s")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--profile", type=Path, help="cProfile the server: PATH-1.prof")
    args = parser.parse_args(argv)
    options = Options(
        tuple(int(n) for n in args.calls.split(",")),
        args.seconds,
        args.warm_up,
        args.loaders,
        args.profile,
    )
    if args.quick:
        options = Options((3,), 4.0, 2.0, 1)
    # Stopped with SIGTERM, as with Ctrl-C: the servers, load processes and schema go.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    results = asyncio.run(measure(options))
    passed = report(results)
    if args.json is not None:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
