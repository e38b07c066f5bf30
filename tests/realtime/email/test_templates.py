"""The rendered reminder email: time in the reader's zone, a link, nothing private."""

from __future__ import annotations

from realtime.email.templates import render


def test_session_reminder_carries_time_and_link_only() -> None:
    message = render(
        "session_reminder",
        "ada@example.com",
        {
            "name": "Ada",
            "when": "tomorrow, Tue 3 Mar at 10:00",
            "zone": "Europe/Berlin",
            "booking_id": "0b6c/../x",
        },
        "https://flourish.example/",
    )
    assert message.subject == "Your Flourish session starts tomorrow, Tue 3 Mar at 10:00"
    assert "10:00 (Europe/Berlin)" in message.body
    # The id is URL-quoted into the path, so it cannot leave the /sessions/ page.
    assert message.links == {"session": "https://flourish.example/sessions/0b6c%2F..%2Fx"}
    assert message.links["session"] in message.body
