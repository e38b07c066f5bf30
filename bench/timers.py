"""Session timers benchmark: 10,000 sessions' timers on real Redis, fired by two processes
under the lease (signalling/deadlines.py), one run steady and one with the lease holder killed.

    .venv/bin/python -m bench.timers [--sessions 10000] [--spread 20] [--serve] [--quick]
                                     [--json PATH]

Each session ends at a random time in a window of `--spread` seconds and has three timers on
a short schedule: warnings 6 s and 3 s before its end and the hard stop 2 s after it (the
shape of the default 300 s, 60 s and 120 s). The harness plans them all in Redis with the
store `flourish serve` uses (`RedisStore.plan`), then starts two timer processes
(`python -m bench.timers worker`), each running `signalling.deadlines.Deadlines` as the server
does; their `fire` writes each timer it got, with the time it fired, to a file of its own
(flushed per batch, so a killed process's file holds all it fired). What the server does after
a claim and the benchmark leaves out: one indexed query per batch (is each booking still on at
that time?) and the socket.io emit; tests/signalling/test_countdown_nodes.py covers that path
end to end with two `flourish serve` processes and a SIGKILL.

Measured, per run:
- lateness (fired - due) of warnings and of hard stops: p50, p99, max;
- timers planned, fired, missed (planned, never fired) and doubled (fired more than once),
  counted from the files;
- CPU seconds of each timer process (/proc) and of Redis (INFO cpu; the machine's Redis, so
  other work counts too);
- `kill`: the process holding the lease (its pid is in the lease) gets SIGKILL halfway
  through the window; the lateness of the timers due in the 2 s after it is shown apart.

Baseline, in the same run: the same due times in one process as bare `asyncio.sleep` tasks
(no Redis, no lease, no claim): what the event loop alone gives on this machine.
`--serve`: two more runs, `serve` and `serve-kill`, of the same schedule on two `flourish
serve` processes from bookings in PostgreSQL, the whole server path (bench/timers_serve.py).
Exit status 1 when a timer was missed or doubled. Needs Redis (BENCH_REDIS_URL).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import redis.asyncio

from bench.processes import cpu_seconds
from realtime.clock import SystemClock
from signalling.deadlines import Deadlines, Due, RedisStore

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
# (name, offset from the end in ms): the short schedule.
SCHEDULE = (("w6", -6000), ("w3", -3000), ("end", 2000))
TAKEOVER_WINDOW_MS = 2000


@dataclass(frozen=True)
class Options:
    sessions: int = 10_000
    spread: float = 20.0  # seconds over which the sessions end
    lead: float = 8.0  # seconds from the end of planning to the first due time
    serve_lead: float = 40.0  # seconds for two `flourish serve` to start and plan, then the ends


@dataclass
class Result:
    mode: str
    sessions: int
    timers: int
    fired: int = 0
    missed: int = 0
    doubled: int | None = 0  # None: not observable (the serve runs)
    warning_ms: dict[str, float] = field(default_factory=dict)
    end_ms: dict[str, float] = field(default_factory=dict)
    after_kill_ms: dict[str, float] = field(default_factory=dict)
    cpu_seconds: list[float] = field(default_factory=list)
    redis_cpu_seconds: float = 0.0
    plan_seconds: float = 0.0


def now_ms() -> int:
    return int(time.time() * 1000)


def spread_of(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {"p50": pick(0.50), "p99": pick(0.99), "max": ordered[-1], "count": len(ordered)}


def timers_of(options: Options, base_ms: int) -> list[Due]:
    rng = random.Random(13)
    timers: list[Due] = []
    first = -min(offset for _, offset in SCHEDULE)
    for _ in range(options.sessions):
        booking = str(uuid.uuid4())
        ends = base_ms + first + rng.randrange(int(options.spread * 1000))
        timers += [Due(booking, f"{name}|{ends}", ends + offset) for name, offset in SCHEDULE]
    return timers


async def plan(store: RedisStore, timers: list[Due]) -> None:
    by_booking: dict[str, list[Due]] = {}
    for timer in timers:
        by_booking.setdefault(timer.booking, []).append(timer)
    items = list(by_booking.items())
    for start in range(0, len(items), 200):
        chunk = items[start : start + 200]
        await asyncio.gather(*(store.plan(b, ts, now_ms()) for b, ts in chunk))


async def redis_cpu() -> float:
    client = redis.asyncio.Redis.from_url(REDIS_URL)
    try:
        info = await client.info("cpu")
    finally:
        await client.aclose()
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


async def run(mode: str, options: Options, workdir: Path) -> Result:
    prefix = f"bench:timers:{uuid.uuid4().hex[:8]}:"
    store = RedisStore(REDIS_URL, prefix)
    planning = time.perf_counter()
    base = now_ms() + int(options.lead * 1000) + options.sessions // 2  # about 0.5 ms a plan
    timers = timers_of(options, base)
    result = Result(mode, options.sessions, len(timers))
    try:
        await plan(store, timers)
        result.plan_seconds = time.perf_counter() - planning
        if now_ms() > min(t.due_ms for t in timers):
            raise RuntimeError("planning took longer than the lead; raise --lead")
        redis_before = await redis_cpu()
        logs = [workdir / f"{mode}-{n}.log" for n in (1, 2)]
        workers = [
            await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.timers", "worker", prefix, str(log)
            )
            for log in logs
        ]
        killed_at: int | None = None
        cpu: dict[int, float] = {}
        try:
            last_due = max(t.due_ms for t in timers)
            if mode == "kill":
                await asyncio.sleep(max(0.0, (base + options.spread * 500 - now_ms()) / 1000))
                holder = await store.redis.get(store.lease)
                text = holder.decode() if isinstance(holder, bytes) else str(holder)
                pid = int(text.split("-")[0])
                victim = next(w for w in workers if w.pid == pid)
                cpu[victim.pid] = cpu_seconds(victim.pid)
                victim.send_signal(signal.SIGKILL)
                killed_at = now_ms()
            await asyncio.sleep(max(0.0, (last_due - now_ms()) / 1000) + 3.0)
            drained = now_ms() + 30_000  # a backlog still firing is late, not lost
            while await store.pending() and now_ms() < drained:  # noqa: ASYNC110 (a Redis condition)
                await asyncio.sleep(0.5)
            for worker in workers:
                if worker.returncode is None:
                    cpu[worker.pid] = cpu_seconds(worker.pid)
        finally:
            for worker in workers:
                if worker.returncode is None:
                    worker.terminate()
                await worker.wait()
        result.cpu_seconds = [round(cpu.get(w.pid, 0.0), 3) for w in workers]
        result.redis_cpu_seconds = round(await redis_cpu() - redis_before, 3)
        count(result, timers, logs, killed_at)
    finally:
        keys = [k async for k in store.redis.scan_iter(match=f"{prefix}*", count=1000)]
        if keys:
            await store.redis.delete(*keys)
        await store.close()
    return result


def count(result: Result, timers: list[Due], logs: list[Path], killed_at: int | None) -> None:
    due = {t.member: t.due_ms for t in timers}
    seen: dict[str, int] = {}
    late: dict[str, list[float]] = {"warning": [], "end": [], "after_kill": []}
    for log in logs:
        for line in log.read_text().splitlines():
            member, fired = line.rsplit(" ", 1)
            seen[member] = seen.get(member, 0) + 1
            lateness = int(fired) - due[member]
            late["end" if "|end|" in member else "warning"].append(lateness)
            if killed_at is not None and 0 <= due[member] - killed_at < TAKEOVER_WINDOW_MS:
                late["after_kill"].append(lateness)
    result.fired = sum(seen.values())
    result.missed = len(set(due) - set(seen))
    result.doubled = sum(n - 1 for n in seen.values() if n > 1)
    result.warning_ms, result.end_ms = spread_of(late["warning"]), spread_of(late["end"])
    result.after_kill_ms = spread_of(late["after_kill"])


async def baseline(options: Options) -> Result:
    """The same due times as bare asyncio.sleep tasks in this process."""
    base = now_ms() + 2000
    timers = timers_of(options, base)
    result = Result("baseline", options.sessions, len(timers))
    late: dict[str, list[float]] = {"warning": [], "end": []}
    start_cpu = time.process_time()

    async def wait(timer: Due) -> None:
        await asyncio.sleep(max(0.0, (timer.due_ms - now_ms()) / 1000))
        late["end" if timer.name.startswith("end") else "warning"].append(now_ms() - timer.due_ms)

    await asyncio.gather(*(wait(t) for t in timers))
    result.cpu_seconds = [round(time.process_time() - start_cpu, 3)]
    result.fired = len(late["warning"]) + len(late["end"])
    result.warning_ms, result.end_ms = spread_of(late["warning"]), spread_of(late["end"])
    return result


async def worker(prefix: str, log_path: str) -> None:
    """One timer process: the server's `Deadlines` on the harness's Redis prefix."""
    with open(log_path, "a", buffering=1) as log:  # noqa: ASYNC230  # appended per batch

        async def fire(batch: list[Due]) -> None:
            fired = now_ms()
            log.write("".join(f"{d.member} {fired}\n" for d in batch))
            log.flush()

        async def led() -> None:
            return None

        deadlines = Deadlines(
            RedisStore(REDIS_URL, prefix), SystemClock(), fire, led, reconcile=3600
        )
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        async with deadlines.running():
            await stop.wait()


def show(result: Result) -> None:
    def ms(spread: dict[str, float]) -> str:
        if not spread:
            return "-"
        return f"p50 {spread['p50']:.0f}  p99 {spread['p99']:.0f}  max {spread['max']:.0f} ms"

    print(
        f"{result.mode:>8}: {result.sessions} sessions, {result.timers} timers, fired "
        f"{result.fired}, missed {result.missed}, doubled "
        f"{'n/a' if result.doubled is None else result.doubled}\n"
        f"          warnings {ms(result.warning_ms)}\n"
        f"          hard stops {ms(result.end_ms)}\n"
        + (
            f"          due within 2 s of the kill {ms(result.after_kill_ms)}\n"
            if result.after_kill_ms
            else ""
        )
        + f"          CPU s per process {result.cpu_seconds}, Redis {result.redis_cpu_seconds} s"
        + (f", planning {result.plan_seconds:.1f} s" if result.plan_seconds else "")
    )


async def main(options: Options, workdir: Path, serve: bool, only_serve: bool) -> list[Result]:
    results = []
    if not only_serve:
        results.append(await baseline(options))
        show(results[0])
        for mode in ("steady", "kill"):
            results.append(await run(mode, options, workdir))
            show(results[-1])
    if serve or only_serve:
        results += await serve_runs(options)
    return results


async def serve_runs(options: Options) -> list[Result]:
    """The `serve` and `serve-kill` runs (bench/timers_serve.py) on one seeded database."""
    from bench.signalling_servers import World
    from bench.timers_serve import serve_run

    world = World()
    results = []
    try:
        await world.seed(options.sessions)
        for mode in ("serve", "serve-kill"):
            raw: dict[str, Any] = await serve_run(
                mode, options.sessions, options.spread, options.serve_lead, world
            )
            result = Result(
                mode, options.sessions, raw["timers"], raw["fired"], raw["missed"], doubled=None
            )
            result.warning_ms = spread_of(raw["late"]["warning"])
            result.end_ms = spread_of(raw["late"]["end"])
            result.after_kill_ms = spread_of(raw["late"]["after_kill"])
            result.cpu_seconds = raw["cpu_seconds"]
            results.append(result)
            show(result)
    finally:
        await world.drop()
    return results


def parse(argv: list[str]) -> tuple[Options, Path | None, bool, bool]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=Options.sessions)
    parser.add_argument("--spread", type=float, default=Options.spread)
    parser.add_argument("--quick", action="store_true", help="200 sessions over 3 s")
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--serve", action="store_true", help="also two `flourish serve` runs (PostgreSQL too)"
    )
    parser.add_argument("--only-serve", action="store_true", help="the `flourish serve` runs only")
    args = parser.parse_args(argv)
    if args.quick:
        quick = Options(sessions=200, spread=3.0, lead=2.0, serve_lead=25.0)
        return quick, args.json, args.serve, args.only_serve
    full = Options(sessions=args.sessions, spread=args.spread)
    return full, args.json, args.serve, args.only_serve


def entry(argv: list[str]) -> int:
    if argv[:1] == ["worker"]:
        asyncio.run(worker(argv[1], argv[2]))
        return 0
    options, json_path, serve, only_serve = parse(argv)
    workdir = Path(f"/tmp/bench-timers-{os.getpid()}")
    workdir.mkdir(exist_ok=True)
    results = asyncio.run(main(options, workdir, serve, only_serve))
    if json_path is not None:
        json_path.write_text(json.dumps([asdict(r) for r in results], indent=2))
    ok = all(r.missed == 0 and not r.doubled and r.fired == r.timers for r in results)
    print(f"every timer fired once: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(entry(sys.argv[1:]))
