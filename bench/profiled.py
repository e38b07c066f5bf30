"""Run a module under cProfile timed by CPU, not wall-clock, time; write the profile on exit.

    .venv/bin/python -m bench.profiled OUT.prof MODULE [ARGS...]

`python -m cProfile` times functions by the wall clock, so on a shared machine a function
descheduled mid-call (a socket send waking the receiver) looks slow. Timed by the process's CPU
time, the profile says what this process itself spent. `bench.signalling --profile` starts the
servers this way; they write their profile when they stop (SIGTERM ends aiohttp's run_app
normally).
"""

from __future__ import annotations

import cProfile
import runpy
import sys
import time


def main() -> None:
    out, module, *args = sys.argv[1:]
    sys.argv = [module, *args]
    profile = cProfile.Profile(time.process_time)
    try:
        profile.runcall(runpy.run_module, module, run_name="__main__", alter_sys=True)
    except SystemExit:
        pass
    finally:
        profile.dump_stats(out)


if __name__ == "__main__":
    main()
