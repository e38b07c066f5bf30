"""Server processes the benchmarks start and measure: their CPU time and memory (Linux /proc),
a free loopback port for each, and waiting until one answers /healthz."""

from __future__ import annotations

import asyncio
import os
import socket
from dataclasses import dataclass
from pathlib import Path

import aiohttp


@dataclass
class Process:
    """One server process on a loopback port."""

    process: asyncio.subprocess.Process
    url: str

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far (Linux /proc/<pid>/stat)."""
        return cpu_seconds(self.process.pid)

    def rss_bytes(self) -> int:
        """Resident memory now (VmRSS in /proc/<pid>/status)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError(f"no VmRSS for process {self.process.pid}")


def cpu_seconds(pid: int) -> float:
    return _stat_cpu(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1])


def cpu_seconds_of(names: tuple[str, ...]) -> float:
    """User + system CPU seconds so far of every process on this machine with one of these
    names (other work using them at the same time is counted too: run on a quiet machine)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, _, rest = stat.read_text().rpartition(")")
        except OSError:
            continue  # the process ended
        if name.partition("(")[2] in names:
            total += _stat_cpu(rest)
    return total


def _stat_cpu(after_name: str) -> float:
    """utime + stime from the fields of /proc/<pid>/stat after the command name."""
    fields = after_name.split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def healthy(http: aiohttp.ClientSession, server: Process) -> None:
    """Until the server answers /healthz; RuntimeError if it exited first."""
    while True:
        if server.process.returncode is not None:
            raise RuntimeError(f"server exited with {server.process.returncode}")
        try:
            async with http.get(f"{server.url}/healthz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientConnectionError:
            pass  # not listening yet
        await asyncio.sleep(0.1)
