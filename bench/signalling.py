"""Signalling benchmark: our `/session` relay against a bare python-socketio relay.

    .venv/bin/python -m bench.signalling [--sizes 100,500,1000] [--servers bare,ours,ours2]
                                         [--generators 2] [--seconds 5] [--rate 1000]
                                         [--quick] [--json PATH]

Servers (bench/signalling_servers.py), each started afresh for every size, in processes of
their own on loopback ports: `bare` (bench/relay.py: python-socketio's defaults on aiohttp),
`ours` (`flourish serve`, one node: authentication, validation, Redis presence; a PostgreSQL
schema and Redis prefix of its own with a confirmed booking per room) and `ours2` (two nodes
sharing them, the two peers of every room on different nodes, so each signal crosses Redis);
and, only when named, `bare-nodeflate` (the bare relay refusing WebSocket permessage-deflate).

Load: the official Node `socket.io-client` (bench/node/load.mjs) in `--generators` processes,
WebSocket transport, one engine.io connection per socket, rooms of two. Signals are an SDP
offer or answer (about 3 KB) one time in ten and a trickled ICE candidate (about 200 B) else.
For each server and size (connections):

1. memory: 2 warm-up rooms signal and leave, then every socket connects and joins and stays
   idle for a moment; resident memory per connection is the growth of the server's VmRSS
   (/proc/<pid>/status, summed over its nodes) divided by the connections;
2. capacity: every room ping-pongs (A signals B, B answers A, at once, again), a closed loop;
   after a warm-up, relayed signals per second, round trips, and the server's CPU time
   (/proc/<pid>/stat) per relayed signal; the generators' CPU (busiest process, % of a core)
   shows they were not the limit;
3. latency: an open loop at a fixed `--rate` of signals per second in all, spread over every
   socket, each stamped with its send time; one-way p50/p99 from send to receipt.

Prints a table, the ratios ours/bare and PASS/FAIL against the targets for `ours` (at least the
bare relay's capacity, p99 under 20 ms at 1,000 signals/s, no more memory per idle connection
than the bare relay); exit status 1 on a miss. `--quick`: 100 connections, short phases. The
schema and the runs' Redis keys are dropped at the end. Needs node (npm ci in bench/node is run
when the lock file changed), and for `ours` PostgreSQL and Redis (BENCH_POSTGRES_URL,
BENCH_REDIS_URL).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from bench import profiles, signalling_load
from bench.chat import p50_p99
from bench.signalling_load import Load, generators
from bench.signalling_results import Options, Result, line, median_of, report
from bench.signalling_servers import EXTRA_SERVERS, SERVERS, Running, World, started

WARM_UP_ROOMS = 2


async def measure(options: Options) -> list[Result]:
    """Every server at every size, sizes in turn so that the servers share the machine's mood."""
    signalling_load.install()
    world: World | None = None
    try:
        if any(not name.startswith("bare") for name in options.servers):
            world = World()
            await world.seed(max(options.sizes) // 2 + WARM_UP_ROOMS)
        results = []
        for size in options.sizes:
            rounds: dict[str, list[Result]] = {name: [] for name in options.servers}
            for _ in range(options.rounds):
                for name in options.servers:
                    profile = None
                    if options.profile is not None:
                        mode, directory = options.profile
                        profile = (mode, directory / f"{name}-{size}")
                    async with started(name, size // 2 + WARM_UP_ROOMS, world, profile) as server:
                        result = await measure_one(server, size, options)
                    rounds[name].append(result)
                    print(line(result), file=sys.stderr)
                    if profile is not None:
                        _print_profiles(*profile, len(server.processes), result.joined)
            results += [median_of(rounds[name]) for name in options.servers]
        return results
    finally:
        if world is not None:
            await world.drop()


async def measure_one(server: Running, size: int, options: Options) -> Result:
    result = Result(server.name, size)
    errors: Counter[str] = Counter()
    warm_up, rooms = server.rooms[:WARM_UP_ROOMS], server.rooms[WARM_UP_ROOMS:]
    async with generators(options.generators) as load:
        _, refused = await load.connect(warm_up)
        errors.update(refused)
        await load.all({"cmd": "closed"})
        await asyncio.sleep(0.3)
        await load.stop()
        await load.disconnect()
        await _settled(server)
        rss_before = server.rss_bytes()
        if options.profile is not None and options.profile[0] == "memory":
            server.mark_profile()

        result.joined, refused = await load.connect(rooms)
        errors.update(refused)
        await asyncio.sleep(options.idle)
        if options.profile is not None and options.profile[0] == "memory":
            server.mark_profile()
            await asyncio.sleep(1.0)  # the snapshots are written before the loops start
        result.memory_kb_per_connection = (
            (server.rss_bytes() - rss_before) / 1024 / max(result.joined, 1)
        )
        if not result.joined:
            result.errors = dict(errors)
            return result  # nothing to measure; the errors say why

        await load.all({"cmd": "closed"})
        profiled = options.profile is not None and options.profile[0] in ("cpu", "gc")
        closed = await _loop(server, load, options, errors, profiled=profiled)
        marks = closed.marks
        result.relayed_per_second = marks.received / marks.seconds
        result.round_trips_per_second = len(marks.latencies_ms) / marks.seconds
        result.round_trip_p50_ms, result.round_trip_p99_ms = p50_p99(marks.latencies_ms)
        result.server_cpu_us_per_signal = closed.server_cpu / max(marks.received, 1) * 1e6
        result.server_cpu_cores = closed.server_cpu / marks.seconds
        result.redis_cpu_us_per_signal = closed.redis_cpu / max(marks.received, 1) * 1e6
        result.generator_cpu_busiest = max(closed.generator_cpu) / marks.seconds
        result.generator_cpu_us_per_signal = (
            sum(closed.generator_cpu) / max(marks.received, 1) * 1e6
        )

        result.open_offered_per_second = options.rate
        rate = options.rate / options.generators
        await load.all({"cmd": "open", "rate": rate})
        opened = await _loop(server, load, options, errors)
        marks = opened.marks
        result.open_relayed_per_second = marks.received / marks.seconds
        result.open_p50_ms, result.open_p99_ms = p50_p99(marks.latencies_ms)
        result.open_max_ms = max(marks.latencies_ms, default=0.0)
        result.open_server_cpu_cores = opened.server_cpu / marks.seconds
        await load.disconnect()
    await _settled(server)  # the server has seen every socket go before it is stopped
    result.errors = dict(errors)
    return result


async def _settled(server: Running, most: float = 30.0) -> None:
    """Until the server is idle (under 5% of a core for half a second), `most` seconds at most."""
    for _ in range(int(most / 0.5)):
        before = server.cpu_seconds()
        await asyncio.sleep(0.5)
        if server.cpu_seconds() - before < 0.025:
            return


@dataclass
class Phase:
    marks: signalling_load.Marks
    server_cpu: float
    generator_cpu: list[float]
    redis_cpu: float


async def _loop(
    server: Running, load: Load, options: Options, errors: Counter[str], *, profiled: bool = False
) -> Phase:
    """Measure a running loop: warm up, mark, `seconds`, mark; then stop it. `profiled`: the
    servers' CPU profiles cover the measured seconds."""
    await asyncio.sleep(options.warm_up)
    first = await load.mark()
    errors.update(first.errors)
    if profiled:
        server.mark_profile()
    server_before, load_before = server.cpu_seconds(), load.cpu_seconds()
    redis_before = await server.redis_cpu_seconds()
    await asyncio.sleep(options.seconds)
    marks = await load.mark()
    if profiled:
        server.mark_profile()
    server_cpu = server.cpu_seconds() - server_before
    redis_cpu = await server.redis_cpu_seconds() - redis_before
    generator_cpu = [b - a for a, b in zip(load_before, load.cpu_seconds(), strict=True)]
    errors.update(marks.errors)
    in_flight, stopped = await load.stop()
    errors.update(stopped)
    if in_flight:
        errors[f"signals lost in flight: {in_flight}"] += 1
    return Phase(marks, server_cpu, generator_cpu, redis_cpu)


def _print_profiles(mode: str, prefix: Path, nodes: int, connections: int) -> None:
    for node in range(1, nodes + 1):
        base = f"{prefix}-{node}"
        if mode == "cpu":
            print(profiles.summarise(Path(f"{base}.prof")), file=sys.stderr)
        elif mode == "gc":
            print(profiles.collections(Path(f"{base}.gc.json")), file=sys.stderr)
        else:
            before, after = Path(f"{base}.1.snapshot"), Path(f"{base}.2.snapshot")
            print(profiles.memory(before, after, connections), file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.signalling",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--sizes", default="100,500,1000", help="connections, comma-separated")
    parser.add_argument(
        "--servers", default=",".join(SERVERS), help="of bare,ours,ours2 (and bare-nodeflate)"
    )
    parser.add_argument("--generators", type=int, default=2, help="node processes")
    parser.add_argument("--seconds", type=float, default=5.0, help="measured part of a loop")
    parser.add_argument("--rate", type=int, default=1000, help="open loop signals/s")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure each server this many times per size, taking turns, and report the "
        "medians (the machine's mood changes from one minute to the next)",
    )
    parser.add_argument("--quick", action="store_true", help="100 connections, short loops")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--profile",
        type=Path,
        help="profile the servers during the measured closed loop, write "
        "<server>-<size>-<node>.prof files to this directory and print where the time went "
        "(slows them: read the shares, not the speeds)",
    )
    parser.add_argument(
        "--profile-memory",
        type=Path,
        help="run the servers under tracemalloc, write snapshots before and after the sockets "
        "join to this directory and print what the connections hold",
    )
    parser.add_argument(
        "--profile-gc",
        type=Path,
        help="count the servers' garbage collections (per generation, CPU time) during the "
        "measured closed loop, write <server>-<size>-<node>.gc.json files to this directory",
    )
    args = parser.parse_args(argv)
    servers = tuple(args.servers.split(","))
    if unknown := set(servers) - set(SERVERS) - set(EXTRA_SERVERS):
        parser.error(f"unknown servers: {', '.join(sorted(unknown))}")
    profile = None
    if args.profile is not None:
        profile = ("cpu", args.profile)
    elif args.profile_memory is not None:
        profile = ("memory", args.profile_memory)
    elif args.profile_gc is not None:
        profile = ("gc", args.profile_gc)
    options = Options(
        sizes=tuple(int(s) for s in args.sizes.split(",")),
        servers=servers,
        generators=args.generators,
        seconds=args.seconds,
        rate=args.rate,
        profile=profile,
        rounds=args.rounds,
    )
    if args.quick:
        options = Options(
            sizes=(100,),
            servers=servers,
            generators=args.generators,
            seconds=1.5,
            warm_up=0.5,
            idle=0.5,
            rate=args.rate,
            profile=profile,
            rounds=args.rounds,
        )
    if options.profile is not None:
        options.profile[1].mkdir(parents=True, exist_ok=True)
    started_at = time.perf_counter()
    # Stopped with SIGTERM, as with Ctrl-C: the servers, generators and schema are cleaned up.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    results = asyncio.run(measure(options))
    passed = report(results, options)
    print(f"\n{time.perf_counter() - started_at:.0f} s in all")
    if args.json is not None:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
