"""Where a server's time went: a cProfile file summed by package, and its heaviest functions.

    .venv/bin/python -m bench.profiles PROFILE.prof [...]
    .venv/bin/python -m bench.profiles memory BEFORE.snapshot AFTER.snapshot CONNECTIONS

`bench.signalling --profile DIR` writes one profile per server process. Own time (`tottime`)
is summed by the package a function lives in (`aiohttp`, `engineio`, `socketio`, `redis`,
`pydantic_core`, ours as `signalling`, `realtime`, ...; the standard library's `asyncio` and
`json`; builtins by what they are: socket sends, zlib). Waiting in `epoll`/uvloop's poll is
idle time and left out of the shares. cProfile slows Python code more than C code, so read the
shares as where to look, not as exact costs.
"""

from __future__ import annotations

import json
import pstats
import re
import sys
import tracemalloc
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

IDLE = ("<method 'poll' of 'select.epoll' objects>",)
SHOWN = 0.005  # packages with a smaller share are summed as "the rest"
PACKAGE = re.compile(r"site-packages/([A-Za-z0-9_]+)")
STDLIB = re.compile(r"lib/python3\.\d+/([A-Za-z0-9_]+)")
BUILTIN = (
    ("'_socket.socket'", "socket I/O (kernel, loopback TCP)"),
    ("of 'uvloop", "uvloop (C: socket I/O, callbacks)"),
    ("zlib", "zlib (WebSocket permessage-deflate)"),
    ("orjson", "orjson"),
    ("_json", "json (C)"),
    ("pydantic_core", "pydantic_core"),
)


def group_of(filename: str, function: str, root: Path) -> str:
    if filename == "~":
        for marker, name in BUILTIN:
            if marker in function:
                return name
        return "other builtins"
    if filename.startswith(str(root)) and "site-packages" not in filename:
        return "ours: " + Path(filename).relative_to(root).parts[0]
    if found := PACKAGE.search(filename):
        return found.group(1)
    if found := STDLIB.search(filename):
        return found.group(1)
    return "other"


def summarise(path: Path, top: int = 15) -> str:
    """Shares of busy time by package, then the `top` functions by own time."""
    stats = pstats.Stats(str(path))
    table = stats.stats  # type: ignore[attr-defined]  # pstats keeps its table untyped
    root = Path(__file__).parent.parent
    by_group: Counter[str] = Counter()
    by_function: Counter[str] = Counter()
    idle = 0.0
    for (filename, line, function), (_, _, own, _, _) in table.items():
        name = f"{function} ({filename}:{line})" if filename != "~" else function
        if any(name.startswith(marker) for marker in IDLE):
            idle += own
            continue
        by_group[group_of(filename, function, root)] += own
        by_function[name] += own
    busy = sum(by_group.values())
    lines = [f"{path.name}: {busy:.2f} s busy, {idle:.2f} s waiting for I/O"]
    rest = 0.0
    for group, own in by_group.most_common():
        if own / busy >= SHOWN:
            lines.append(f"  {own / busy:6.1%}  {group}")
        else:
            rest += own
    lines.append(f"  {rest / busy:6.1%}  the rest (each under {SHOWN:.1%})")
    lines.append("  heaviest functions (own time):")
    lines += [
        f"  {own / busy:6.1%}  {_short(name, root)}" for name, own in by_function.most_common(top)
    ]
    return "\n".join(lines)


def memory(before: Path, after: Path, connections: int, top: int = 15) -> str:
    """What `connections` joined sockets hold: the growth between two tracemalloc snapshots,
    per connection, by package and by the line that allocated it."""
    old, new = tracemalloc.Snapshot.load(str(before)), tracemalloc.Snapshot.load(str(after))
    root = Path(__file__).parent.parent
    per = max(connections, 1) * 1024
    by_group: Counter[str] = Counter()
    lines = []
    for stat in new.compare_to(old, "lineno"):
        frame = stat.traceback[0]
        by_group[group_of(frame.filename, "", root)] += stat.size_diff
        lines.append((stat.size_diff, f"{_short(frame.filename, root)}:{frame.lineno}"))
    grown = sum(by_group.values())
    out = [f"{after.name}: {grown / per:.1f} KB per connection traced by tracemalloc"]
    out += [
        f"  {size / per:7.1f} KB  {group}"
        for group, size in by_group.most_common()
        if abs(size) / per >= 0.5
    ]
    out.append("  heaviest lines:")
    lines.sort(reverse=True)
    out += [f"  {size / per:7.1f} KB  {where}" for size, where in lines[:top]]
    return "\n".join(out)


def collections(path: Path) -> str:
    """A `bench.profiled gc` report: collections per generation and the CPU time they took."""
    report = json.loads(path.read_text())
    out = [
        f"{path.name}: {report['tracked']:,} objects tracked, {report['frozen']:,} frozen, "
        f"thresholds {tuple(report['threshold'])}"
    ]
    for generation in range(3):
        count = report["collections"][generation]
        seconds = report["seconds"][generation]
        out.append(
            f"  generation {generation}: {count:6d} collections, {seconds * 1000:8.1f} ms CPU "
            f"({seconds * 1e6 / max(count, 1):7.0f} µs each), "
            f"{report['collected'][generation]:,} freed"
        )
    return "\n".join(out)


def _short(name: str, root: Path) -> str:
    return name.replace(str(root) + "/", "").replace(sys.prefix + "/", "")


def main(argv: Sequence[str] | None = None) -> None:
    args = list(argv if argv is not None else sys.argv[1:])
    if args and args[0] == "memory":
        print(memory(Path(args[1]), Path(args[2]), int(args[3])))
        return
    for raw in args:
        print(summarise(Path(raw)), end="\n\n")


if __name__ == "__main__":
    main()
