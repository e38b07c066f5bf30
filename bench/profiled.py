"""Run a module under cProfile (timed by CPU time) or tracemalloc, for `bench.signalling`.

    .venv/bin/python -m bench.profiled plain OUT MODULE [ARGS...]
    .venv/bin/python -m bench.profiled cpu OUT MODULE [ARGS...]
    .venv/bin/python -m bench.profiled memory OUT MODULE [ARGS...]

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
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import itertools
import runpy
import signal
import sys
import time
import tracemalloc
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
