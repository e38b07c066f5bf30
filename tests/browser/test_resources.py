"""The coach shares a file into a chat session from the room; the client, in the room, sees it
arrive (`resource:shared`) and downloads it byte-identical; a third party (the admin, with a
login of their own) is refused the client's download URL."""

from __future__ import annotations

import json
import struct
import urllib.error
import urllib.request
import zlib
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from realtime.demo import ADMIN_EMAIL, CLIENT_EMAIL, DEMO_PASSWORD
from tests.browser.conftest import PHONE, OpenPage, log_in, shot
from tests.browser.sessions import coach_logged_in
from tests.realtime.test_cli import Server


def png(width: int = 16, height: int = 16) -> bytes:
    """A real PNG (the server checks a file's type from its content)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + bytes([40, 120, 200]) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def login(base_url: str, email: str) -> str:
    request = urllib.request.Request(
        f"{base_url}/api/auth/login",
        data=json.dumps({"email": email, "password": DEMO_PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.loads(response.read())["tokens"]["access_token"])


def get(base_url: str, path: str, token: str) -> Any:
    request = urllib.request.Request(base_url + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.mark.timeout(120)
def test_a_shared_file_downloads_byte_identical_and_only_for_its_participant(
    open_page: OpenPage, server: Server, base_url: str, tmp_path: Path
) -> None:
    session, coach = coach_logged_in(open_page, server.log.parent, "chat", coach_number=7)
    client = open_page("client", viewport=PHONE)
    log_in(client, CLIENT_EMAIL)
    client.goto(f"/sessions/{session.booking_id}")
    panel = client.get_by_role("region", name="Resources")
    expect(panel).to_contain_text("Your coach has not shared anything yet.")

    coach.goto(f"/sessions/{session.booking_id}")
    worksheet = tmp_path / "values-worksheet.png"
    worksheet.write_bytes(png())
    coach.get_by_text("Share a resource").click()
    coach.get_by_label("File title").fill("Values worksheet")
    coach.get_by_label("File (up to 20 MB)").set_input_files(worksheet)
    coach.get_by_role("button", name="Upload and share").click()
    expect(coach.get_by_role("region", name="Resources")).to_contain_text("File shared.")
    shot(coach, "resources-shared")

    # Told in the room at once, and downloaded byte for byte.
    download_button = panel.get_by_role("button", name="Download values-worksheet.png")
    expect(download_button).to_be_visible()
    with client.expect_download() as download:
        download_button.click()
    assert Path(download.value.path()).read_bytes() == worksheet.read_bytes()
    shot(client, "resources-phone")

    # The client's own URL is refused to anyone else, with a login of their own.
    token = login(base_url, CLIENT_EMAIL)
    (item,) = get(base_url, f"/api/bookings/{session.booking_id}/resources", token)["items"]
    with pytest.raises(urllib.error.HTTPError) as refused:
        get(base_url, item["download_url"], login(base_url, ADMIN_EMAIL))
    refused.value.close()
    assert refused.value.code == 403
