"""The load generator of `bench.signalling`: `bench/node/load.mjs` in processes of its own.

Each process runs the official socket.io client (npm `socket.io-client`) for whole rooms, so
both peers of a room share a clock and a signal's send time rides in the signal itself. This
module starts the processes, deals the rooms out and sends each the same command at once; the
commands and answers are JSON lines (see load.mjs).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.processes import cpu_seconds
from bench.signalling_servers import Room

NODE_DIR = Path(__file__).parent / "node"
ROOT = NODE_DIR.parent.parent
# Extra node options, e.g. BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to see where
# the generator's own time goes.
NODE_FLAGS = os.environ.get("BENCH_NODE_FLAGS", "").split()
# Sockets connecting at once per generator process.
PARALLEL_CONNECTS = 25


def install() -> None:
    """`npm ci` in bench/node when its lock file changed (scripts/setup.sh decides)."""
    if shutil.which("node") is None:
        raise RuntimeError("bench.signalling needs node (Debian package nodejs) on PATH")
    subprocess.run(
        ["bash", "-c", "source scripts/setup.sh && install_node_packages bench/node"],
        cwd=ROOT,
        check=True,
    )


@dataclass
class Marks:
    """What every generator process counted since the previous mark."""

    seconds: float
    received: int
    latencies_ms: list[float]
    errors: Counter[str]


class Generator:
    """One node process and its command line."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def call(self, command: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps(command).encode() + b"\n")
        await self.process.stdin.drain()
        line = await self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"load generator exited ({self.process.returncode})")
        answer: dict[str, Any] = json.loads(line)
        if "failed" in answer:
            raise RuntimeError(f"load generator: {answer['failed']}")
        return answer


class Load:
    """Generator processes; rooms are dealt out among them in turn."""

    def __init__(self, generators: list[Generator]) -> None:
        self.generators = generators
        self._last_t: list[float] = []
        self._last_received: list[int] = []

    def cpu_seconds(self) -> list[float]:
        """CPU time of each generator process so far."""
        return [cpu_seconds(g.process.pid) for g in self.generators]

    async def all(self, command: dict[str, Any]) -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(g.call(command) for g in self.generators)))

    async def connect(self, rooms: Sequence[Room]) -> tuple[int, Counter[str]]:
        """Connect and join every peer of `rooms`; how many joined, and why others did not."""
        count = len(self.generators)
        answers = await asyncio.gather(
            *(
                g.call({"cmd": "connect", "rooms": rooms[n::count], "parallel": PARALLEL_CONNECTS})
                for n, g in enumerate(self.generators)
            )
        )
        errors: Counter[str] = Counter()
        for answer in answers:
            errors.update(answer["errors"])
        return sum(int(a["joined"]) for a in answers), errors

    async def mark(self) -> Marks:
        """Counts since the previous mark (the first mark only starts counting)."""
        answers = await self.all({"cmd": "mark"})
        t = [float(a["t"]) for a in answers]
        received = [int(a["received"]) for a in answers]
        errors: Counter[str] = Counter()
        for answer in answers:
            errors.update(answer["errors"])
        if self._last_t:
            seconds = sum(a - b for a, b in zip(t, self._last_t, strict=True)) / len(t) / 1000
            got = sum(received) - sum(self._last_received)
        else:
            seconds, got = 0.0, 0
        self._last_t, self._last_received = t, received
        latencies = [x for a in answers for x in a["latencies_ms"]]
        return Marks(seconds, got, latencies, errors)

    async def stop(self) -> tuple[int, Counter[str]]:
        """Stop sending; signals still in flight after 3 s, and errors seen since the mark."""
        answers = await self.all({"cmd": "stop"})
        errors: Counter[str] = Counter()
        for answer in answers:
            errors.update(answer["errors"])
        return sum(int(a["in_flight"]) for a in answers), errors

    async def disconnect(self) -> None:
        await self.all({"cmd": "disconnect"})


@asynccontextmanager
async def generators(count: int, script: str = "load.mjs") -> AsyncIterator[Load]:
    """`count` node processes running `script` (of bench/node: load.mjs, or chat.mjs for
    bench.chat); ended (stdin closed, then killed) after."""
    started: list[Generator] = []
    try:
        for _ in range(count):
            process = await asyncio.create_subprocess_exec(
                "node",
                *NODE_FLAGS,
                str(NODE_DIR / script),
                cwd=NODE_DIR,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                limit=256 * 1024 * 1024,  # one answer line carries every latency sample
            )
            started.append(Generator(process))
        yield Load(started)
    finally:
        for generator in started:
            if generator.process.stdin is not None:
                generator.process.stdin.close()
        for generator in started:
            try:
                await asyncio.wait_for(generator.process.wait(), 10)
            except TimeoutError:
                generator.process.kill()
                await generator.process.wait()
