"""Chat benchmark: session rooms chatting on two `flourish serve` nodes (PostgreSQL + Redis).

    .venv/bin/python -m bench.chat [--rooms 1000] [--interval 10] [--seconds 20]
                                   [--modes sealed,plain] [--generators 2] [--quick] [--json PATH]

Every room is a confirmed booking (bench/signalling_servers.py `World`), its coach connected to
the first node and its client to the second, so every message is stored by one node and
delivered through Redis by the other. Driven by the official Node `socket.io-client`
(bench/node/chat.mjs, in `--generators` processes): each room sends a `chat:send` every
`--interval` seconds, its two sides taking turns, at a random phase; the text carries its send
time, and the receiving side (the same process, the same clock) takes the send-to-receive
latency. For each mode, fresh server processes on the same bookings:

- p50/p99 send-to-receive over the measured `--seconds` (after a warm-up of a fifth of it);
- CPU per message of the two nodes (/proc), in all and above what the same sockets cost idle
  (measured for a quarter of `--seconds` before the chat starts), and of PostgreSQL and Redis
  (the machine's: other work counts too, run on a quiet machine);
- the generator's check of every `seq`: each room's acked numbers follow its `last_seq` at
  join with no gap, each reached the other side once and in order.

Modes: `sealed` and `plain` (`MODES`: the settings each gives the nodes). Exit status 1 when a
message was lost, doubled, reordered or numbered with a gap, or when any send was refused.
`--quick`: 20 rooms, a message every 0.5 s, 3 s. Needs node (npm ci in bench/node runs when
its lock file changed), PostgreSQL and Redis (BENCH_POSTGRES_URL, BENCH_REDIS_URL).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import statistics
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench import signalling_load
from bench.processes import cpu_seconds_of
from bench.signalling_load import generators
from bench.signalling_servers import Running, World, started

# The settings each mode gives the two nodes. Both store through the same code; `plain` skips
# only the sealing (realtime.vault's PlaintextForBenchmarks).
MODES: dict[str, dict[str, str]] = {"sealed": {}, "plain": {"SEALING": "off-benchmarks-only"}}
CONNECTS_PER_GENERATOR = 25


@dataclass(frozen=True)
class Options:
    rooms: int = 1000
    interval: float = 10.0  # seconds between two messages of one room
    seconds: float = 20.0
    modes: tuple[str, ...] = ("sealed", "plain")
    generators: int = 2


@dataclass
class Result:
    mode: str
    rooms: int
    joined: int = 0
    offered_per_second: float = 0.0
    delivered_per_second: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    server_cpu_us_per_message: float = 0.0
    # The nodes' CPU while the same sockets sat idle (pings, heartbeats), per second, and the
    # CPU per message above that: what a message itself costs.
    server_idle_cpu_cores: float = 0.0
    server_cpu_us_per_message_above_idle: float = 0.0
    postgres_cpu_us_per_message: float = 0.0
    redis_cpu_us_per_message: float = 0.0
    messages: int = 0
    lost: int = 0
    duplicated: int = 0
    reordered: int = 0
    gaps: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not (self.lost or self.duplicated or self.reordered or self.gaps or self.errors)


async def measure(options: Options) -> list[Result]:
    signalling_load.install()
    world = World()
    try:
        await world.seed(options.rooms)
        results = []
        for mode in options.modes:
            async with started("ours2", options.rooms, world, environment=MODES[mode]) as server:
                results.append(await measure_one(mode, server, options))
            print(line(results[-1]), file=sys.stderr)
        return results
    finally:
        await world.drop()


async def measure_one(mode: str, server: Running, options: Options) -> Result:
    result = Result(mode, options.rooms)
    errors: Counter[str] = Counter()
    async with generators(options.generators, "chat.mjs") as load:
        result.joined, refused = await load.connect(server.rooms)
        errors.update(refused)
        idle_seconds = max(options.seconds / 4, 1.0)
        idle_before = server.cpu_seconds()
        await asyncio.sleep(idle_seconds)
        result.server_idle_cpu_cores = (server.cpu_seconds() - idle_before) / idle_seconds
        await load.all({"cmd": "chat", "interval_ms": options.interval * 1000})
        await asyncio.sleep(max(options.seconds / 5, options.interval))
        first = await load.mark()
        errors.update(first.errors)
        cpu_before, pg_before = server.cpu_seconds(), cpu_seconds_of(("postgres",))
        redis_before = await server.redis_cpu_seconds()
        await asyncio.sleep(options.seconds)
        marks = await load.mark()
        server_cpu = server.cpu_seconds() - cpu_before
        pg_cpu = cpu_seconds_of(("postgres",)) - pg_before
        redis_cpu = await server.redis_cpu_seconds() - redis_before
        errors.update(marks.errors)
        in_flight, stopped = await load.stop()
        errors.update(stopped)
        if in_flight:
            errors[f"messages still in flight after 5 s: {in_flight}"] += 1
        checks = await load.all({"cmd": "check"})
        await load.disconnect()
    delivered = max(marks.received, 1)
    result.offered_per_second = result.joined / 2 / options.interval
    result.delivered_per_second = marks.received / marks.seconds
    result.p50_ms, result.p99_ms = p50_p99(marks.latencies_ms)
    result.max_ms = max(marks.latencies_ms, default=0.0)
    result.server_cpu_us_per_message = server_cpu / delivered * 1e6
    above_idle = server_cpu - result.server_idle_cpu_cores * marks.seconds
    result.server_cpu_us_per_message_above_idle = max(above_idle, 0.0) / delivered * 1e6
    result.postgres_cpu_us_per_message = pg_cpu / delivered * 1e6
    result.redis_cpu_us_per_message = redis_cpu / delivered * 1e6
    for check in checks:
        result.messages += int(check["messages"])
        result.lost += int(check["lost"])
        result.duplicated += int(check["duplicated"])
        result.reordered += int(check["reordered"])
        result.gaps += int(check["gaps"])
    result.errors = dict(errors)
    return result


def p50_p99(values: list[float]) -> tuple[float, float]:
    """The median and 99th percentile of `values` (0 for none)."""
    if len(values) < 2:
        return (values[0], values[0]) if values else (0.0, 0.0)
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[98]


def line(r: Result) -> str:
    return (
        f"| {r.mode} | {r.rooms} | {r.joined} | {r.offered_per_second:.0f} | "
        f"{r.delivered_per_second:.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.max_ms:.0f} | "
        f"{r.server_cpu_us_per_message:.0f} | {r.server_cpu_us_per_message_above_idle:.0f} | "
        f"{r.postgres_cpu_us_per_message:.0f} | "
        f"{r.redis_cpu_us_per_message:.0f} | {r.messages} | "
        f"{r.lost}/{r.duplicated}/{r.reordered}/{r.gaps} |"
    )


HEADER = (
    "| mode | rooms | sockets | offered msg/s | delivered msg/s | p50 ms | p99 ms | max ms "
    "| nodes µs/msg | above idle | PostgreSQL µs/msg | Redis µs/msg | messages checked "
    "| lost/doubled/reordered/gaps |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def report(results: list[Result]) -> bool:
    print(HEADER)
    for result in results:
        print(line(result))
    by_mode = {r.mode: r for r in results}
    if "sealed" in by_mode and "plain" in by_mode:
        sealed, plain = by_mode["sealed"], by_mode["plain"]
        if plain.p99_ms and plain.server_cpu_us_per_message_above_idle:
            cpu = sealed.server_cpu_us_per_message_above_idle
            print(
                f"\nsealed/plain: p99 {sealed.p99_ms / plain.p99_ms:.2f}x, node CPU per "
                f"message above idle {cpu / plain.server_cpu_us_per_message_above_idle:.2f}x"
            )
    for result in results:
        if result.errors:
            print(f"{result.mode} errors: {result.errors}")
    clean = all(r.clean and r.joined == 2 * r.rooms for r in results)
    print("every seq checked: " + ("PASS" if clean else "FAIL"))
    return clean


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.chat",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rooms", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between messages")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds")
    parser.add_argument("--modes", default="sealed,plain", help=f"of {','.join(MODES)}")
    parser.add_argument("--generators", type=int, default=2, help="node processes")
    parser.add_argument("--quick", action="store_true", help="20 rooms, 0.5 s, 3 s")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    modes = tuple(args.modes.split(","))
    if unknown := set(modes) - set(MODES):
        parser.error(f"unknown modes: {', '.join(sorted(unknown))}")
    options = Options(args.rooms, args.interval, args.seconds, modes, args.generators)
    if args.quick:
        options = Options(20, 0.5, 3.0, modes, args.generators)
    # Stopped with SIGTERM, as with Ctrl-C: the servers, generators and schema are cleaned up.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    results = asyncio.run(measure(options))
    passed = report(results)
    if args.json is not None:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
