"""Real Chromium (Debian's, through Playwright) against a real `flourish serve --demo`.

One server for the whole folder, on a free loopback port with the demo directory seeded, and
one browser; each test opens the contexts it needs. Every page's console errors and uncaught
exceptions are collected, and a test fails if any appeared. Screenshots go to
`tests/artifacts/` for a person to look at.
"""

from __future__ import annotations

import json
import subprocess
import urllib.request
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

from realtime.demo import DEMO_PASSWORD
from tests.realtime.test_cli import Server, serving
from tests.support.coturn import running_coturn

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
# From /work/shared/FACTS.md: headless Chromium with fake media devices and no background
# traffic (without those flags it keeps trying to reach the internet).
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 860}
PHONE: ViewportSize = {"width": 390, "height": 844}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def built_client() -> Path:
    """web/dist, built when web/ changed (scripts/test has usually done it already)."""
    subprocess.run(
        ["bash", "-c", "source scripts/setup.sh && build_web_client"],
        cwd=ROOT,
        check=True,
        timeout=300,
    )
    return ROOT / "web" / "dist"


TURN_SECRET = "browser-tests-turn-secret"
PHONE_NUMBER = "+14155550100"


@pytest.fixture(scope="session")
def turn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real coturn on loopback (TURN REST credentials); the room tests relay through it, so
    their media never leaves 127.0.0.1. Its URL."""
    with running_coturn(tmp_path_factory.mktemp("coturn"), TURN_SECRET, relay_ports=40) as turn:
        yield turn.url


@pytest.fixture(scope="session")
def server(
    built_client: Path, turn: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """`flourish serve --demo` on embedded defaults in a directory of its own, with TURN."""
    where = tmp_path_factory.mktemp("serve")
    turn_settings = {"TURN_URLS": turn, "TURN_SECRET": TURN_SECRET}
    # A warning 8 s before the end and a 3 s grace, beside the defaults: a session booked to
    # end a minute from now warns and ends within a test (tests/browser/test_countdown.py).
    short = {"SESSION_WARNINGS": "300,60,8", "SESSION_END_GRACE": "3"}
    # The coach's calendar import reads a calendar served on loopback (test_schedule.py).
    calendars = {"CALENDAR_ALLOW_PRIVATE_ADDRESSES": "true"}
    # Every test's logins come from 127.0.0.1: the per-address limit is for the whole folder.
    logins = {"LOGIN_MAX_ATTEMPTS_PER_ADDRESS": "1000"}
    # Dial-in on, so phone sessions show their number and PIN (test_room.py).
    phone = {
        "PHONE_ENABLED": "true",
        "TWILIO_AUTH_TOKEN": "browser-tests-twilio-auth-token",
        "PHONE_NUMBER": PHONE_NUMBER,
    }
    with serving(
        where,
        "--demo",
        LOG_LEVEL="INFO",
        **turn_settings,
        **short,
        **calendars,
        **logins,
        **phone,
    ) as running:
        yield running
        running.process.terminate()
        try:
            running.process.wait(timeout=30)
        except subprocess.TimeoutExpired as slow:
            running.process.kill()
            running.process.wait(timeout=10)
            tail = "\n".join(running.log.read_text().splitlines()[-30:])
            message = f"flourish serve ignored SIGTERM for 30 s; its log ends:\n{tail}"
            raise AssertionError(message) from slow


@pytest.fixture(scope="session")
def base_url(server: Server) -> str:
    return f"http://127.0.0.1:{server.port}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Per module, not per session: Playwright's sync API keeps an event loop running in this
    thread while it is open, and the async tests of other folders need the thread's loop."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


# The one HTTP error the client meets in normal use: a coach who has not applied yet has no
# coach profile (404 `not_a_coach`), which is how the dashboard knows to show the application
# form. And the one a test provokes on purpose: importing an address that serves no calendar
# (test_schedule.py). Chromium logs every 4xx as "Failed to load resource"; any other one fails
# the test.
EXPECTED_FAILURES = (
    ("status of 404", "/api/coaches/me"),
    ("status of 422", "/api/coaches/me/calendars"),
)


def expected(text: str, location: dict[str, Any]) -> bool:
    url = str(location.get("url", ""))
    return any(status in text and url.endswith(path) for status, path in EXPECTED_FAILURES)


@dataclass
class Console:
    """Errors a page printed to its console or threw, with the page they came from."""

    errors: list[str] = field(default_factory=list)

    def watch(self, page: Page, name: str) -> None:
        def on_console(message: Any) -> None:
            print(f"[{name} console.{message.type}] {message.text}")  # shown when a test fails
            if message.type == "error" and not expected(message.text, message.location):
                self.errors.append(f"{name}: {message.text} ({message.location.get('url')})")

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.errors.append(f"{name}: {error}"))


OpenPage = Callable[..., Page]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the test, so fixtures can tell a failed test."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def open_page(
    browser: Browser, base_url: str, request: pytest.FixtureRequest
) -> Iterator[OpenPage]:
    """`open_page("client", viewport=PHONE)`: a page in a fresh context (its own storage)."""
    console = Console()
    pages: dict[str, Page] = {}

    def open_one(name: str, viewport: ViewportSize | None = None) -> Page:
        context = browser.new_context(base_url=base_url, viewport=viewport or DESKTOP)
        context.set_default_timeout(10_000)
        page = context.new_page()
        console.watch(page, name)
        pages[name] = page
        return page

    try:
        yield open_one
    finally:
        report = getattr(request.node, "report_call", None)
        for name, page in pages.items():
            if report is not None and report.failed:
                shot(page, f"FAILED-{request.node.name}-{name}", check=False)
            page.context.close()
    assert console.errors == []


def log_in(page: Page, email: str, password: str = DEMO_PASSWORD, then: str = "/") -> None:
    page.goto(f"/login?next={then}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: urlsplit(url).path == then)


def say(page: Page, text: str) -> None:
    """Type a chat message in the room and send it with Enter (the keyboard path)."""
    box = page.get_by_label("Message")
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("")


def shot(page: Page, name: str, *, check: bool = True) -> None:
    """A screenshot of a main screen for a person to look at, and (`check`) its accessibility
    checked: every screen a test shows is scanned."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    if check:
        assert_labelled(page)


def api(base_url: str, path: str) -> Any:
    with urllib.request.urlopen(base_url + path, timeout=10) as response:
        return json.loads(response.read())


UNLABELLED = """() => [...document.querySelectorAll("input, select, textarea, button, meter")]
  .filter((el) => el.getClientRects().length > 0)
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label")
    && !el.getAttribute("aria-labelledby") && !(el.tagName === "BUTTON" && el.textContent.trim()))
  .map((el) => el.outerHTML.slice(0, 120))"""


# axe-core (tests/node), the accessibility rules most audits use: evaluated through the
# DevTools protocol, which the page's Content-Security-Policy does not govern.
AXE = ROOT / "tests" / "node" / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = """async () => {
  const found = await axe.run(document, { resultTypes: ["violations"] });
  return found.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical" || v.id === "heading-order")
    .map((v) => `${v.id} (${v.impact}): ` + v.nodes.slice(0, 3).map((n) => n.target.join(" ")));
}"""


def assert_labelled(page: Page) -> None:
    """Every visible control has a name a screen reader can read, and axe-core finds no
    serious or critical violation on the screen, nor a heading level skipped."""
    assert page.evaluate(UNLABELLED) == []
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text())
    assert page.evaluate(SERIOUS) == []
