"""Run a module under cProfile (timed by CPU time) or tracemalloc, for `bench.signalling`.

    .venv/bin/python -m bench.profiled plain OUT MODULE [ARGS...]
    .venv/bin/python -m bench.profiled cpu OUT MODULE [ARGS...]
    .venv/bin/python -m bench.profiled memory OUT MODULE [ARGS...]
    .venv/bin/python -m bench.profiled gc OUT MODULE [ARGS...]

In every mode SIGUSR2 prints the stack of every asyncio task (`plain` does only that), which
is how the harness learns what a server that does not stop is waiting for.

`cpu`: cProfile between the first SIGUSR1 and the second, then written to OUT.prof: the
harness profiles just the measured part of the closed loop, not start-up or connecting. Timed
by the process's CPU time, not the wall clock as `python -m cProfile` does, since on a shared
machine a function descheduled mid-call (a socket send waking the receiver) would look slow.

`memory`: each SIGUSR1 writes a tracemalloc snapshot to OUT.<n>.snapshot (n = 1, 2, ...);
the first also starts tracing (so the server starts at full speed, and the first snapshot is
empty), so the second holds what was allocated in between and is still alive: the harness
takes one before the sockets connect and one after, and `bench.profiles` says what the
connections hold. Only memory allocated through Python's allocators is traced (zlib's is;
uvloop's and libuv's own buffers are not).

`gc`: between the first SIGUSR1 and the second, the cyclic garbage collector's collections
per generation, the CPU time they took and the objects they examined and freed, written to
OUT.gc.json with the heap's size (objects tracked) at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import gc
import itertools
import json
import runpy
import signal
import sys
import time
import tracemalloc
from collections.abc import Callable
from types import FrameType


def main() -> None:
    mode, out, module, *args = sys.argv[1:]
    sys.argv = [module, *args]
    signal.signal(signal.SIGUSR2, _dump_tasks)
    if mode == "plain":
        _run(module)
        return
    if mode == "memory":
        taken = itertools.count(1)

        def snapshot(signum: int, frame: FrameType | None) -> None:
            if not tracemalloc.is_tracing():
                tracemalloc.start(8)
            tracemalloc.take_snapshot().dump(f"{out}.{next(taken)}.snapshot")

        signal.signal(signal.SIGUSR1, snapshot)
        _run(module)
        return
    if mode == "gc":
        signal.signal(signal.SIGUSR1, _gc_window(out))
        _run(module)
        return
    profile = cProfile.Profile(time.process_time)
    marks = itertools.count(1)

    def window(signum: int, frame: FrameType | None) -> None:
        if next(marks) == 1:
            profile.enable()
        else:
            profile.disable()
            profile.dump_stats(f"{out}.prof")

    signal.signal(signal.SIGUSR1, window)
    _run(module)


def _gc_window(out: str) -> Callable[[int, FrameType | None], None]:
    """A SIGUSR1 handler: the first starts counting collections, the second writes them."""
    counts = [0, 0, 0]
    seconds = [0.0, 0.0, 0.0]
    collected = [0, 0, 0]
    started: list[float] = []  # the current collection's start

    def timed(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[:] = [time.process_time()]
        elif started:
            generation = info["generation"]
            counts[generation] += 1
            seconds[generation] += time.process_time() - started[0]
            collected[generation] += info["collected"]

    marks = itertools.count(1)

    def window(signum: int, frame: FrameType | None) -> None:
        if next(marks) == 1:
            gc.callbacks.append(timed)
            return
        gc.callbacks.remove(timed)
        report = {
            "collections": counts,
            "seconds": seconds,
            "collected": collected,
            "tracked": len(gc.get_objects()),
            "frozen": gc.get_freeze_count(),
            "threshold": gc.get_threshold(),
        }
        with open(f"{out}.gc.json", "w") as written:
            json.dump(report, written)

    return window


def _dump_tasks(signum: int, frame: FrameType | None) -> None:
    """Every asyncio task's stack, on stderr: what a server that will not stop waits for."""
    try:
        tasks = asyncio.all_tasks(asyncio.get_running_loop())
    except RuntimeError:
        print("no event loop running", file=sys.stderr)
        return
    print(f"{len(tasks)} asyncio tasks:", file=sys.stderr)
    for task in tasks:
        task.print_stack(limit=6, file=sys.stderr)


def _run(module: str) -> None:
    with contextlib.suppress(SystemExit):
        runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
