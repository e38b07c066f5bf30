"""Browser chat benchmark: how long the session room in Chromium takes to show a chat's history
when it joins, and what it missed when its socket comes back (web/src/room/chat.ts).

    .venv/bin/python -m bench.webchat [--missed 1,200,1000] [--runs 3]

One `flourish serve --demo` (embedded SQLite, `CHAT_RATE` and `SOCKET_EVENT_RATE` lifted so the
coach can write fast) in a temporary directory; for each run a live chat session written into
its database (tests/browser/sessions.py, as the browser tests do). The coach is a
python-socketio client in this process; the client is Debian's Chromium through Playwright, its
WebSockets routed through Playwright (`route_web_socket`, forwarding to the server) so that the
benchmark can cut them. For each N in `--missed`, on a fresh session:

- **join**: the coach sends N messages, then the client's page opens the room: the time from
  `goto` until the N-th message is shown (the join ack, `chat:history` pages of 200, drawing);
- **catch-up**: the browser goes offline and its socket is cut, the coach sends N more, the
  browser comes back online: the time from `online` until the 2N-th message is shown (the
  reconnect, `join`, the history pages, drawing).

Every message shown is checked: `seq` 1..2N, once each, in order. N=1 is the baseline measured
in the same run: a reconnect, a join and one history page with a single message. Times are
measured by this process around Playwright calls (a few ms of round trips each) and include the
routing of every frame through Playwright, in the baseline as in the others. Medians of
`--runs`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import socketio
from playwright.async_api import Browser, Page, WebSocketRoute, async_playwright

from realtime.demo import CLIENT_EMAIL, DEMO_PASSWORD
from tests.browser.conftest import CHROMIUM, FLAGS, PHONE
from tests.browser.sessions import OpenSession, open_session
from tests.realtime.test_cli import Server, serving

SESSION = "/session"
SHOWN = "n => document.querySelectorAll('.chat .msg[data-seq]').length >= n"
SEQS = "() => [...document.querySelectorAll('.chat .msg')].map(e => e.dataset.seq ?? '')"
FIRST_COACH = 10  # coach10, coach11, ...: none of the browser tests' coaches


@dataclass
class Cuttable:
    """The page's socket.io WebSockets, forwarded to the server; `cut` drops the current one."""

    routes: list[tuple[WebSocketRoute, WebSocketRoute]] = field(default_factory=list)

    def __call__(self, page_side: WebSocketRoute) -> None:
        self.routes.append((page_side, page_side.connect_to_server()))

    async def cut(self) -> None:
        page_side, server_side = self.routes[-1]
        await page_side.close()
        await server_side.close()


@dataclass
class Timing:
    missed: int
    join_ms: list[float] = field(default_factory=list)
    catch_up_ms: list[float] = field(default_factory=list)


async def coach_sends(base_url: str, session: OpenSession, count: int, first: int) -> None:
    """The coach joins the room from this process and sends `count` messages (numbered from
    `first` in their text), each acked, a few in flight at once."""
    async with aiohttp.ClientSession() as http:
        login = {"email": session.coach_email, "password": DEMO_PASSWORD}
        async with http.post(f"{base_url}/api/auth/login", json=login) as response:
            token = (await response.json())["tokens"]["access_token"]
    sio = socketio.AsyncClient()
    await sio.connect(
        base_url, auth={"token": token}, namespaces=[SESSION], transports=["websocket"]
    )
    try:
        joined = await sio.call("join", {"booking_id": session.booking_id}, namespace=SESSION)
        assert joined["ok"], joined
        gate = asyncio.Semaphore(8)

        async def send(number: int) -> None:
            async with gate:
                message = {"client_msg_id": f"bench-{number}", "text": f"Message {number}"}
                ack = await sio.call("chat:send", message, namespace=SESSION, timeout=30)
                assert ack["ok"], ack

        await asyncio.gather(*(send(n) for n in range(first, first + count)))
    finally:
        await sio.disconnect()


async def shown_in_order(page: Page, total: int) -> None:
    seqs = await page.evaluate(SEQS)
    assert seqs == [str(n) for n in range(1, total + 1)], f"shown: {seqs[:5]}... ({len(seqs)})"


async def measure(
    browser: Browser, server: Server, base_url: str, missed: int, coach_number: int
) -> tuple[float, float]:
    session = open_session(server.log.parent, "chat", coach_number)
    await coach_sends(base_url, session, missed, 1)
    context = await browser.new_context(base_url=base_url, viewport=PHONE)
    try:
        page = await context.new_page()
        sockets = Cuttable()
        await page.route_web_socket(lambda url: "/socket.io/" in url, sockets)
        await page.goto("/login?next=/sessions")
        await page.get_by_label("Email").fill(CLIENT_EMAIL)
        await page.get_by_label("Password").fill(DEMO_PASSWORD)
        await page.get_by_role("button", name="Log in").click()
        await page.wait_for_url(lambda url: urlsplit(url).path == "/sessions")

        started = time.perf_counter()
        await page.goto(f"/sessions/{session.booking_id}")
        await page.wait_for_function(SHOWN, arg=missed, polling="raf", timeout=120_000)
        join_ms = (time.perf_counter() - started) * 1000
        await shown_in_order(page, missed)

        await context.set_offline(True)
        await sockets.cut()
        await page.wait_for_selector("section.room[data-state='reconnecting']")
        await coach_sends(base_url, session, missed, missed + 1)
        started = time.perf_counter()
        await context.set_offline(False)
        await page.wait_for_function(SHOWN, arg=2 * missed, polling="raf", timeout=120_000)
        catch_up_ms = (time.perf_counter() - started) * 1000
        await shown_in_order(page, 2 * missed)
        assert len(sockets.routes) == 2, "the page did not reconnect"
        return join_ms, catch_up_ms
    except Exception:
        print(await page.locator("main").inner_text(), file=sys.stderr)
        raise
    finally:
        await context.close()


async def run(missed: Sequence[int], runs: int) -> list[Timing]:
    with tempfile.TemporaryDirectory(prefix="bench-webchat-") as where:
        lifted = {"CHAT_RATE": "100000", "SOCKET_EVENT_RATE": "100000", "LOG_LEVEL": "WARNING"}
        with serving(Path(where), "--demo", **lifted) as server:
            base_url = f"http://127.0.0.1:{server.port}"
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
                timings = [Timing(n) for n in missed]
                coach = FIRST_COACH
                for _ in range(runs):  # interleaved, so a busy moment hits every N alike
                    for timing in timings:
                        join_ms, catch_up_ms = await measure(
                            browser, server, base_url, timing.missed, coach
                        )
                        coach += 1
                        timing.join_ms.append(join_ms)
                        timing.catch_up_ms.append(catch_up_ms)
                await browser.close()
    return timings


def report(timings: Sequence[Timing]) -> str:
    base = timings[0]
    lines = [
        "missed  join (ms, median)  x baseline  catch-up (ms, median)  x baseline  runs",
    ]
    for t in timings:
        join, catch_up = statistics.median(t.join_ms), statistics.median(t.catch_up_ms)
        join_x = join / statistics.median(base.join_ms)
        catch_x = catch_up / statistics.median(base.catch_up_ms)
        lines.append(
            f"{t.missed:>6}  {join:>17.0f}  {join_x:>10.1f}  {catch_up:>21.0f}  "
            f"{catch_x:>10.1f}  {len(t.join_ms)}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument(
        "--missed", default="1,200,1000", help="message counts; the first is the baseline"
    )
    parser.add_argument("--runs", type=int, default=3)
    args: Any = parser.parse_args(argv)
    missed = [int(n) for n in str(args.missed).split(",")]
    print(report(asyncio.run(run(missed, int(args.runs)))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
