"""The room's chat and notes in the browser: a chat session on a phone, messages both ways
across a forced reconnect with none lost or doubled (the `seq` list on both pages), message text
shown as text, typing, read receipts and unread counts; the coach's notes, shared ones seen by
the client and private ones not."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect

from realtime.demo import CLIENT_EMAIL
from realtime.demo.conversations import PAST_CHAT, PRIVATE_NOTE, SHARED_NOTES
from tests.browser.conftest import PHONE, OpenPage, assert_labelled, log_in, say, shot
from tests.browser.sessions import coach_logged_in
from tests.realtime.test_cli import Server

XSS = "<img src=x onerror=\"document.title='pwned'\">"


@dataclass
class Tap:
    """Sits on a page's socket.io WebSockets (Playwright's `route_web_socket`, forwarding to the
    real server): it can cut the current connection, as a network drop does, and swallow the
    server's acks on `/session` (socket.io packets `43/session,<id>[...]`) or the next
    `chat:message` (`42/session,["chat:message",...]`) as if they were lost on the way, and
    drop the page's `chat:send`s before they reach the server."""

    routes: list[tuple[WebSocketRoute, WebSocketRoute]] = field(default_factory=list)
    lose_acks: bool = False
    lose_next_message: bool = False
    drop_sends: bool = False
    dropped: int = 0

    def __call__(self, page_side: WebSocketRoute) -> None:
        server_side = page_side.connect_to_server()

        def from_page(message: str | bytes) -> None:
            text = message if isinstance(message, str) else ""
            if self.drop_sends and text.startswith("42/session,") and '["chat:send"' in text:
                self.dropped += 1
                return
            server_side.send(message)

        page_side.on_message(from_page)

        def from_server(message: str | bytes) -> None:
            text = message if isinstance(message, str) else ""
            if self.lose_acks and text.startswith("43/session,"):
                return
            if self.lose_next_message and text.startswith('42/session,["chat:message"'):
                self.lose_next_message = False
                return
            page_side.send(message)

        server_side.on_message(from_server)
        self.routes.append((page_side, server_side))

    def cut(self) -> None:
        page_side, server_side = self.routes[-1]
        page_side.close()
        server_side.close()


def shown(page: Page) -> list[tuple[str, str]]:
    """The chat as shown: (seq, text) in order; a message not acked yet has seq ''."""
    rows: list[tuple[str, str]] = page.locator(".chat .msg").evaluate_all(
        "els => els.map(e => [e.dataset.seq ?? '', e.querySelector('.text').textContent])"
    )
    return [(seq, text) for seq, text in rows]


def settled(page: Page, count: int) -> list[tuple[str, str]]:
    expect(page.locator(".chat .msg")).to_have_count(count)
    expect(page.locator(".chat [data-receipt='sending']")).to_have_count(0)
    return shown(page)


@pytest.mark.timeout(120)
def test_chat_session_on_a_phone_loses_nothing_across_a_reconnect(
    open_page: OpenPage, server: Server
) -> None:
    session, coach = coach_logged_in(open_page, server.log.parent, "chat", coach_number=4)
    client = open_page("client", viewport=PHONE)
    tap = Tap()
    client.route_web_socket(re.compile(r"/socket\.io/"), tap)
    log_in(client, CLIENT_EMAIL)

    # The coach is first: chat only, no camera or microphone asked for.
    coach.goto(f"/sessions/{session.booking_id}")
    expect(coach.get_by_role("heading", name="Chat", exact=True)).to_be_visible()
    expect(coach.get_by_role("button", name=re.compile("Check"))).to_have_count(0)
    expect(coach.locator("video, audio, meter")).to_have_count(0)
    say(coach, "Welcome! How was your week?")
    say(coach, XSS)
    expect(coach.locator(".chat [data-receipt='sent']")).to_have_count(2)

    # The client sees them counted in My sessions, then in the room's history.
    client.goto("/sessions")
    item = client.locator(f'[data-booking="{session.booking_id}"]')
    expect(item.locator(".unread")).to_have_text("2 unread messages")
    item.get_by_role("link", name="Join session").click()
    expect(client.locator(".presence")).to_contain_text("In the room with")
    # The page's one socket.io connection now (its namespaces share it), before any drop.
    in_room = len(tap.routes)
    assert settled(client, 2) == [("1", "Welcome! How was your week?"), ("2", XSS)]
    expect(client.locator(".chat img")).to_have_count(0)  # shown as text, never as markup
    assert client.title() != "pwned"
    expect(coach.locator(".chat [data-seq='2'] [data-receipt='seen']")).to_be_visible()

    client.get_by_label("Message").press_sequentially("Good, th")
    expect(coach.locator(".typing")).to_contain_text("is typing")
    client.get_by_label("Message").press_sequentially("anks.")
    client.get_by_label("Message").press("Enter")
    assert settled(coach, 3)[2] == ("3", "Good, thanks.")
    assert_labelled(client)

    # A chat:message lost on the way: the next one shows a gap, which the client fills.
    tap.lose_next_message = True
    say(coach, "First of two.")
    say(coach, "Second of two.")
    expect(client.locator(".chat .msg")).to_have_count(5)
    assert shown(client)[3:] == [("4", "First of two."), ("5", "Second of two.")]
    assert not tap.lose_next_message
    shot(client, "chat-phone")

    # An ack lost on the way: the message is stored (the coach has it), the client still
    # shows it as sending.
    tap.lose_acks = True
    say(client, "Did you get this?")
    expect(coach.locator(".chat [data-seq='6'] .text")).to_have_text("Did you get this?")
    expect(client.locator(".chat [data-receipt='sending']")).to_have_count(1)

    # The client's network drops: the coach writes meanwhile, the client too.
    client.context.set_offline(True)
    tap.cut()
    tap.lose_acks = False
    expect(client.locator("section.room")).to_have_attribute("data-state", "reconnecting")
    say(coach, "While you were away: one.")
    say(coach, "And two.")
    expect(coach.locator(".chat [data-receipt='sending']")).to_have_count(0)  # stored
    say(client, "Typed while offline.")
    say(client, "And a second one.")
    expect(client.locator(".chat [data-receipt='sending']")).to_have_count(3)
    shot(client, "chat-phone-offline")
    client.context.set_offline(False)

    expected = [
        ("1", "Welcome! How was your week?"),
        ("2", XSS),
        ("3", "Good, thanks."),
        ("4", "First of two."),
        ("5", "Second of two."),
        ("6", "Did you get this?"),
        ("7", "While you were away: one."),
        ("8", "And two."),
        ("9", "Typed while offline."),
        ("10", "And a second one."),  # in the order typed
    ]
    assert settled(client, 10) == expected
    assert settled(coach, 10) == expected
    assert len(tap.routes) == in_room + 1  # it really reconnected
    expect(coach.locator(".chat [data-seq='8'] [data-receipt='seen']")).to_be_visible()
    shot(coach, "chat-desktop")

    # A send that never reaches the server, then the page is reloaded: the tab kept the
    # message (same client_msg_id), and the new page sends it.
    tap.drop_sends = True
    say(client, "Typed, then the page was reloaded.")
    expect(client.locator(".chat [data-receipt='sending']")).to_have_count(1)
    assert tap.dropped == 1
    tap.drop_sends = False
    client.reload()
    expected.append(("11", "Typed, then the page was reloaded."))
    assert settled(client, 11) == expected
    assert settled(coach, 11) == expected


PRIVATE = "Private: consider a referral for sleep."
SHARED = "Homework: three evenings of the breathing exercise."


@pytest.mark.timeout(90)
def test_notes_shared_with_the_client_and_private_ones_not(
    open_page: OpenPage, server: Server
) -> None:
    session, coach = coach_logged_in(open_page, server.log.parent, "chat", coach_number=5)
    coach.goto(f"/sessions/{session.booking_id}")
    notes = coach.locator(".notes")
    notes.get_by_label("Private note (only you)").fill(PRIVATE)
    notes.get_by_role("button", name="Save private note").click()
    expect(notes.locator("[data-audience='private']")).to_contain_text("Version 1, saved")
    shared = notes.get_by_label("Shared with your client")
    shared.fill("Homework: breathing.")
    notes.get_by_role("button", name="Save shared note").click()
    expect(notes.locator("[data-audience='shared']")).to_contain_text("Version 1, saved")
    shared.fill(SHARED)
    notes.get_by_role("button", name="Save shared note").click()
    expect(notes.locator("[data-audience='shared']")).to_contain_text("Version 2, saved")
    notes.locator("[data-audience='shared'] summary").click()
    expect(notes.locator("[data-audience='shared'] [data-version='1']")).to_contain_text(
        "Homework: breathing."
    )
    assert_labelled(coach)
    shot(coach, "notes-coach")

    client = open_page("client", viewport=PHONE)
    log_in(client, CLIENT_EMAIL)
    client.goto(f"/sessions/{session.booking_id}")
    theirs = client.locator(".notes")
    expect(theirs.get_by_role("heading", name="Notes from your coach")).to_be_visible()
    expect(theirs.locator(".note-text").first).to_have_text(SHARED)
    expect(theirs.locator("summary")).to_have_text("Version history (2)")
    expect(client.locator("textarea[name^='note-']")).to_have_count(0)
    expect(client.locator("body")).not_to_contain_text(PRIVATE)
    shot(client, "notes-client-phone")
    # Live: with both in the room, the coach's next version reaches the client at once.
    expect(client.locator(".presence")).to_contain_text("In the room with")
    shared.fill("Homework: breathing, twice a day.")
    notes.get_by_role("button", name="Save shared note").click()
    expect(theirs.locator(".note-text").first).to_have_text("Homework: breathing, twice a day.")
    expect(theirs.get_by_role("status").filter(has_text="updated the shared note")).to_be_visible()


@pytest.mark.timeout(60)
def test_after_the_session_its_chat_and_shared_notes_stay(open_page: OpenPage) -> None:
    """The demo's completed session: its chat over HTTP, the shared note, not the private one."""
    client = open_page("client", viewport=PHONE)
    log_in(client, CLIENT_EMAIL)
    client.goto("/sessions?when=past")
    client.locator("[data-status='completed']").get_by_role("link", name="Chat and notes").click()
    expect(client.locator(".transcript .msg")).to_have_count(len(PAST_CHAT))
    assert shown(client) == [(str(n), text) for n, (_, text) in enumerate(PAST_CHAT, start=1)]
    expect(client.locator(".transcript .msg.mine")).to_have_count(2)  # the client's own
    expect(client.locator(".notes .note-text").first).to_have_text(SHARED_NOTES[-1])
    expect(client.locator("body")).not_to_contain_text(PRIVATE_NOTE)
    expect(client.get_by_label("Message")).to_have_count(0)  # no composer after the session
    assert_labelled(client)
    shot(client, "past-session-phone")
