"""Results of `bench.signalling`: what one server at one size measured, and the printed report
(the table, the ratios ours/bare and the verdicts against the targets for our single node)."""

from __future__ import annotations

import os
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from bench.signalling_servers import SERVERS

TARGET_P99_MS = 20.0


@dataclass(frozen=True)
class Options:
    sizes: tuple[int, ...] = (100, 500, 1000)
    servers: tuple[str, ...] = SERVERS
    generators: int = 2
    seconds: float = 5.0  # measured part of each loop
    warm_up: float = 1.0  # each loop runs this long before it is measured
    idle: float = 2.0  # seconds the joined sockets stay idle before memory is read
    rate: int = 1000  # open loop: signals per second in all
    # Run the servers under bench/profiled.py: ("cpu", "memory" or "gc", directory for the files).
    profile: tuple[str, Path] | None = None
    rounds: int = 1  # each server measured this many times per size, interleaved; medians


@dataclass
class Result:
    """One server at one size. Times in ms, CPU in µs per relayed signal."""

    server: str
    connections: int
    joined: int = 0
    memory_kb_per_connection: float = 0.0
    relayed_per_second: float = 0.0
    round_trips_per_second: float = 0.0
    round_trip_p50_ms: float = 0.0
    round_trip_p99_ms: float = 0.0
    server_cpu_us_per_signal: float = 0.0
    server_cpu_cores: float = 0.0  # during the closed loop
    redis_cpu_us_per_signal: float = 0.0  # the machine's Redis (shared with others), closed loop
    generator_cpu_busiest: float = 0.0  # share of one core, busiest process, closed loop
    generator_cpu_us_per_signal: float = 0.0  # all processes: sending and receiving it
    open_offered_per_second: int = 0
    open_relayed_per_second: float = 0.0
    open_p50_ms: float = 0.0
    open_p99_ms: float = 0.0
    open_max_ms: float = 0.0
    open_server_cpu_cores: float = 0.0
    errors: dict[str, int] = field(default_factory=dict)
    rounds_relayed_per_second: list[float] = field(default_factory=list)  # with --rounds


def median_of(rounds: Sequence[Result]) -> Result:
    """One server at one size over several rounds: the median of every measure, the fewest
    sockets joined, every error; each round's relayed/s kept to show the spread."""
    median = replace(rounds[0], errors={})
    for f in fields(Result):
        if f.type == "float":
            setattr(median, f.name, statistics.median(getattr(r, f.name) for r in rounds))
    median.joined = min(r.joined for r in rounds)
    for r in rounds:
        for reason, count in r.errors.items():
            median.errors[reason] = median.errors.get(reason, 0) + count
    median.rounds_relayed_per_second = [r.relayed_per_second for r in rounds]
    return median


def line(r: Result) -> str:
    """One result in a line, printed as the run goes."""
    return (
        f"{r.server} at {r.connections}: {r.relayed_per_second:,.0f} signals/s, "
        f"{r.server_cpu_us_per_signal:.0f} µs CPU/signal, open p99 {r.open_p99_ms:.1f} ms, "
        f"{r.memory_kb_per_connection:.0f} KB/connection"
    )


def report(results: Sequence[Result], options: Options) -> bool:
    """Print the table, the ratios and the verdicts; whether every target was met."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"\n{options.generators} generator processes (node socket.io-client, WebSocket); closed "
        f"and open loops {options.warm_up:g} s warm-up + {options.seconds:g} s measured; open "
        f"loop at {options.rate:,} signals/s. Load average at the end: {load} on "
        f"{os.cpu_count()} cores.\n"
    )
    if options.rounds > 1:
        print(
            f"Each server measured {options.rounds} times per size, the servers taking turns; "
            "every figure is the median of its rounds.\n"
        )
    print(
        "| server | conns | joined | relayed/s | round trips/s | RTT p50/p99 ms | "
        "server µs/signal | server cores | Redis µs/signal | generator µs/signal, core "
        "(busiest) | "
        f"open p50/p99/max ms @{options.rate} | KB/idle conn |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r.server} | {r.connections} | {r.joined} | {r.relayed_per_second:,.0f} | "
            f"{r.round_trips_per_second:,.0f} | {r.round_trip_p50_ms:.1f} / "
            f"{r.round_trip_p99_ms:.1f} | {r.server_cpu_us_per_signal:.0f} | "
            f"{r.server_cpu_cores:.2f} | {r.redis_cpu_us_per_signal:.0f} | "
            f"{r.generator_cpu_us_per_signal:.0f}, "
            f"{r.generator_cpu_busiest:.0%} | "
            f"{r.open_p50_ms:.1f} / {r.open_p99_ms:.1f} / {r.open_max_ms:.1f} | "
            f"{r.memory_kb_per_connection:.0f} |"
        )
    problems = [
        f"- {r.server} at {r.connections}: {count} x {reason}"
        for r in results
        for reason, count in sorted(r.errors.items())
    ]
    if options.rounds > 1:
        print("\nRelayed signals/s in each round:")
        for r in results:
            each = " / ".join(f"{x:,.0f}" for x in r.rounds_relayed_per_second)
            print(f"- {r.server} at {r.connections}: {each}")
    if problems:
        print("\nWhat went wrong (signals refused or lost, sockets refused):", *problems, sep="\n")
    return _verdicts(results)


def _verdicts(results: Sequence[Result]) -> bool:
    bare = {r.connections: r for r in results if r.server == "bare"}
    ours = [r for r in results if r.server != "bare"]  # and bare-nodeflate, for its ratios
    if bare and ours:
        print("\n| ours / bare | conns | capacity | µs/signal | open p99 | KB/idle conn |")
        print("|---|---:|---:|---:|---:|---:|")
        for r in ours:
            b = bare.get(r.connections)
            if b is not None:
                print(
                    f"| {r.server} | {r.connections} | "
                    f"{_ratio(r.relayed_per_second, b.relayed_per_second)} | "
                    f"{_ratio(r.server_cpu_us_per_signal, b.server_cpu_us_per_signal)} | "
                    f"{_ratio(r.open_p99_ms, b.open_p99_ms)} | "
                    f"{_ratio(r.memory_kb_per_connection, b.memory_kb_per_connection)} |"
                )
    passed = True
    print()
    for r in results:
        if r.server != "ours":
            continue
        measured = r.open_relayed_per_second > 0
        p99 = f"p99 {r.open_p99_ms:.1f} ms at {r.open_offered_per_second:,} signals/s"
        checks = [(measured and r.open_p99_ms < TARGET_P99_MS, f"{p99}; target < 20 ms")]
        b = bare.get(r.connections)
        if b is not None:
            checks.append(
                (
                    r.relayed_per_second >= b.relayed_per_second,
                    f"{r.relayed_per_second:,.0f} signals/s; target >= bare relay's "
                    f"{b.relayed_per_second:,.0f}",
                )
            )
            checks.append(
                (
                    r.memory_kb_per_connection <= b.memory_kb_per_connection,
                    f"{r.memory_kb_per_connection:.0f} KB per idle connection; target <= bare "
                    f"relay's {b.memory_kb_per_connection:.0f}",
                )
            )
        checks.append((r.joined == r.connections, f"{r.joined} of {r.connections} joined"))
        for ok, text in checks:
            passed = passed and ok
            print(f"{'PASS' if ok else 'FAIL'}: ours at {r.connections}: {text}")
    return passed


def _ratio(ours: float, bare: float) -> str:
    return f"{ours / bare:.2f}" if bare else "-"
