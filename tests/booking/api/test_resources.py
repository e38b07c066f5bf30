"""Shared resources: files and links a coach shares into a session, type-checked from their
content, sealed in chunks before they are stored, listed and downloaded by the two participants
only through short-lived single-user URLs, every step audited; and the coach's library."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import stat
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from booking.policy.resources import MAX_FILE_BYTES
from booking.storage.resources import Resource
from realtime.audit import AuditRow
from realtime.auth.models import Role
from realtime.settings import Settings
from realtime.wiring import Services
from tests.booking.api.test_payment import booked, pro
from tests.booking.support import Caller, Client, make_user, problem
from tests.support import files
from tests.support.clock import FakeClock
from tests.support.stacks import Stack

__all__ = ["pro"]  # the fixture, shared

TITLE = "Boundaries worksheet for Alex"
FILE_NAME = "alex-boundaries-worksheet.pdf"
LIBRARY_BYTES = 400_000
UPLOADS_PER_HOUR = 12


@pytest.fixture
def settings(stack: Stack, tmp_path: Path) -> Settings:
    return stack.settings_for(
        tmp_path,
        resource_files_per_session=3,
        library_max_items=3,
        library_max_bytes=LIBRARY_BYTES,
        resource_uploads_per_hour=UPLOADS_PER_HOUR,
    )


def form(data: bytes, file_name: str, content_type: str, title: str = TITLE) -> aiohttp.FormData:
    body = aiohttp.FormData()
    body.add_field("title", title)
    body.add_field("file", io.BytesIO(data), filename=file_name, content_type=content_type)
    return body


async def upload(
    client: Client,
    caller: Caller,
    booking_id: str,
    data: bytes = files.PDF,
    file_name: str = FILE_NAME,
    content_type: str = "application/pdf",
) -> Any:
    return await client.post(
        f"/api/bookings/{booking_id}/resources",
        data=form(data, file_name, content_type),
        headers=caller.headers,
    )


async def listing(client: Client, caller: Caller, booking_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/api/bookings/{booking_id}/resources", headers=caller.headers)
    assert response.status == 200, await response.text()
    items: list[dict[str, Any]] = (await response.json())["items"]
    return items


def stored_files(services: Services) -> list[Path]:
    root = Path(services.settings.resource_dir)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


async def rows(services: Services) -> list[Resource]:
    async with services.db.session() as session:
        return list((await session.scalars(select(Resource))).all())


async def actions(services: Services) -> list[str]:
    async with services.db.session() as session:
        return list((await session.scalars(select(AuditRow.action).order_by(AuditRow.seq))).all())


async def test_a_shared_file_downloads_byte_identical_for_both_participants_and_is_sealed(
    client: Client, services: Services, member: Caller, pro: tuple[Caller, str]
) -> None:
    coach = pro[0]
    booking = await booked(client, member, pro[1])
    # Many sealed chunks and a short last one; far beyond MAX_BODY_BYTES, which a streamed
    # upload does not meet.
    data = files.PDF + b"%" + os.urandom(1_000_000) + b"\n%%EOF\n"
    assert len(data) > services.settings.max_body_bytes
    answer = await upload(client, coach, booking["id"], data)
    assert answer.status == 201, await answer.text()
    shared = await answer.json()
    assert shared["kind"] == "file"
    assert shared["content_type"] == "application/pdf"
    assert shared["size"] == len(data)
    assert shared["file_name"] == FILE_NAME
    for caller in (member, coach):
        (item,) = await listing(client, caller, booking["id"])
        assert item["title"] == TITLE
        assert "worksheet" not in item["download_url"]
        got = await client.get(item["download_url"], headers=caller.headers)
        assert got.status == 200, await got.text()
        assert await got.read() == data
        assert got.headers["Content-Type"] == "application/pdf"
        assert got.headers["X-Content-Type-Options"] == "nosniff"
        assert FILE_NAME in got.headers["Content-Disposition"]
        assert got.headers["Content-Disposition"].startswith("attachment")
    (row,) = await rows(services)
    assert b"worksheet" not in row.meta
    assert b"Alex" not in row.meta
    (path,) = stored_files(services)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "worksheet" not in str(path)
    stored = path.read_bytes()
    assert b"%PDF" not in stored
    assert data[100:132] not in stored
    assert b"worksheet" not in stored
    seen = await actions(services)
    assert seen.count("resources.share") == 1
    assert seen.count("resources.list") == 2
    assert seen.count("resources.download") == 2


async def test_the_client_keeps_access_after_the_session(
    client: Client, member: Caller, pro: tuple[Caller, str], clock: FakeClock
) -> None:
    booking = await booked(client, member, pro[1])
    assert (await upload(client, pro[0], booking["id"])).status == 201
    clock.advance(30 * 86400)
    (item,) = await listing(client, member, booking["id"])
    got = await client.get(item["download_url"], headers=member.headers)
    assert await got.read() == files.PDF


@pytest.mark.parametrize(
    ("data", "file_name", "content_type"),
    [
        (files.EXECUTABLE, "worksheet.pdf", "application/pdf"),
        (files.HTML, "photo.png", "image/png"),
        (files.zip_of_executable(), "worksheet.docx", "application/vnd.ms-word"),
        (b"just some text, no magic number at all\n" * 200, "notes.pdf", "application/pdf"),
        (files.EXECUTABLE + bytes(3_000_000), "big.pdf", "application/pdf"),  # refused early
    ],
    ids=[
        "executable-named-pdf",
        "html-named-png",
        "zip-named-docx",
        "text-named-pdf",
        "large-executable",
    ],
)
async def test_a_file_of_a_refused_type_is_415_whatever_its_name_and_nothing_is_stored(
    client: Client,
    services: Services,
    member: Caller,
    pro: tuple[Caller, str],
    data: bytes,
    file_name: str,
    content_type: str,
) -> None:
    booking = await booked(client, member, pro[1])
    refused = await problem(
        await upload(client, pro[0], booking["id"], data, file_name, content_type), 415
    )
    assert refused["code"] == "file_type_refused"
    assert "PDF" in refused["detail"]
    assert await rows(services) == []
    assert stored_files(services) == []


async def test_office_documents_and_images_are_told_from_their_content(
    client: Client, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await booked(client, member, pro[1])
    cases = [
        (
            files.xlsx(),
            "plan.bin",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (files.odt(), "prompts", "application/vnd.oasis.opendocument.text"),
        (files.png(), "chart.jpg", "image/png"),
    ]
    for data, name, expected in cases:
        answer = await upload(client, pro[0], booking["id"], data, name, "text/plain")
        assert answer.status == 201, await answer.text()
        shared = await answer.json()
        assert shared["content_type"] == expected
    names = [item["file_name"] for item in await listing(client, pro[0], booking["id"])]
    assert sorted(names) == ["chart.png", "plan.xlsx", "prompts.odt"]


async def test_the_download_names_the_file_exactly_and_safely(
    client: Client, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await booked(client, member, pro[1])
    name = 'C:\\Users\\ana\\Übung "Werte"\t.exe.pdf'
    assert (await upload(client, pro[0], booking["id"], file_name=name)).status == 201
    (item,) = await listing(client, member, booking["id"])
    assert item["file_name"] == "Übung Werte.exe.pdf"
    got = await client.get(item["download_url"], headers=member.headers)
    assert got.headers["Content-Disposition"] == (
        "attachment; filename=\"_bung Werte.exe.pdf\"; filename*=UTF-8''%C3%9Cbung%20Werte.exe.pdf"
    )
    assert (await got.read()).startswith(b"%PDF")  # read to its end: the download completes


@pytest.mark.parametrize(
    "over", [1, 2_000_000], ids=["by-a-byte-read-to-the-limit", "refused-by-its-length"]
)
async def test_a_file_over_20_mb_is_413_and_nothing_is_stored(
    client: Client, services: Services, member: Caller, pro: tuple[Caller, str], over: int
) -> None:
    booking = await booked(client, member, pro[1])
    data = files.PDF + b"\x00" * (MAX_FILE_BYTES - len(files.PDF) + over)
    refused = await problem(await upload(client, pro[0], booking["id"], data), 413)
    assert refused["code"] == "file_too_large"
    assert "20 MB" in refused["detail"]
    assert await rows(services) == []
    assert stored_files(services) == []


async def test_only_the_sessions_coach_shares_into_it(
    client: Client, services: Services, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await booked(client, member, pro[1])
    other_coach = await make_user(services, Role.COACH, "Dr Other")
    assert (await problem(await upload(client, other_coach, booking["id"]), 404))[
        "code"
    ] == "booking_not_found"
    assert (await problem(await upload(client, member, booking["id"]), 403))["code"] == "forbidden"
    link = await client.post(
        f"/api/bookings/{booking['id']}/resources",
        json={"title": "x", "url": "https://example.org/"},
        headers=other_coach.headers,
    )
    assert (await problem(link, 404))["code"] == "booking_not_found"
    assert await rows(services) == []
    assert stored_files(services) == []


async def test_nobody_else_lists_or_downloads_and_urls_are_single_user_and_short_lived(
    client: Client,
    services: Services,
    member: Caller,
    admin: Caller,
    pro: tuple[Caller, str],
    clock: FakeClock,
) -> None:
    booking = await booked(client, member, pro[1])
    assert (await upload(client, pro[0], booking["id"])).status == 201
    stranger = await make_user(services, Role.CLIENT, "Sam Stranger")
    for caller in (stranger, admin):
        answer = await client.get(
            f"/api/bookings/{booking['id']}/resources", headers=caller.headers
        )
        assert (await problem(answer, 404))["code"] == "booking_not_found"
    (mine,) = await listing(client, member, booking["id"])
    for caller in (stranger, admin, pro[0]):  # someone else holding the client's URL
        refused = await problem(await client.get(mine["download_url"], headers=caller.headers), 403)
        assert refused["code"] == "download_link_invalid"
    assert (await client.get(mine["download_url"])).status == 401
    tampered = mine["download_url"].replace("expires=", "expires=9")
    refused = await problem(await client.get(tampered, headers=member.headers), 403)
    assert refused["code"] == "download_link_invalid"
    clock.advance(5 * 60 + 1)
    expired = await problem(await client.get(mine["download_url"], headers=member.headers), 403)
    assert expired["code"] == "download_link_expired"
    assert "resources.download" not in await actions(services)


async def test_a_flipped_byte_in_a_stored_file_is_a_clear_error_never_garbage(
    client: Client,
    services: Services,
    member: Caller,
    pro: tuple[Caller, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    booking = await booked(client, member, pro[1])
    assert (await upload(client, pro[0], booking["id"], files.PDF * 2000)).status == 201
    (path,) = stored_files(services)
    damaged = bytearray(path.read_bytes())
    damaged[len(damaged) // 2] ^= 0x01
    path.write_bytes(bytes(damaged))
    (item,) = await listing(client, member, booking["id"])
    with caplog.at_level(logging.INFO):
        answer = await client.get(item["download_url"], headers=member.headers)
    broken = await problem(answer, 500)
    assert broken["code"] == "sealed_data_damaged"
    assert "%PDF" not in await answer.text()
    logged = [r for r in caplog.records if "does not open" in r.getMessage()]
    assert logged
    assert all(FILE_NAME not in r.getMessage() for r in caplog.records)


async def test_logs_during_an_upload_and_a_download_hold_no_file_name_or_title(
    client: Client, member: Caller, pro: tuple[Caller, str], caplog: pytest.LogCaptureFixture
) -> None:
    booking = await booked(client, member, pro[1])
    with caplog.at_level(logging.DEBUG):
        assert (await upload(client, pro[0], booking["id"])).status == 201
        (item,) = await listing(client, member, booking["id"])
        downloaded = await client.get(item["download_url"], headers=member.headers)
        assert downloaded.status == 200
        await downloaded.read()  # read to the end: the stored file is closed with the stream
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "resource" in text  # the share was logged, by ids
    assert FILE_NAME not in text
    assert "worksheet" not in text.lower()
    assert TITLE not in text


async def test_a_link_is_shared_as_json_and_only_https(
    client: Client, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await booked(client, member, pro[1])
    url = f"/api/bookings/{booking['id']}/resources"
    bad = await client.post(
        url, json={"title": "x", "url": "javascript:alert(1)"}, headers=pro[0].headers
    )
    assert (await problem(bad, 422))["code"] == "validation_failed"
    good = await client.post(
        url,
        json={"title": "Breathing exercise", "url": "https://example.org/breathe"},
        headers=pro[0].headers,
    )
    assert good.status == 201, await good.text()
    (item,) = await listing(client, member, booking["id"])
    assert item["url"] == "https://example.org/breathe"
    assert item["download_url"] is None


async def test_a_session_holds_a_capped_number_of_files(
    client: Client, services: Services, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await booked(client, member, pro[1])
    for _ in range(3):
        assert (await upload(client, pro[0], booking["id"])).status == 201
    refused = await problem(await upload(client, pro[0], booking["id"]), 409)
    assert refused["code"] == "resource_limit"
    assert len(await rows(services)) == 3


async def test_a_library_item_is_shared_into_a_session_in_one_step_resealed(
    client: Client, services: Services, member: Caller, pro: tuple[Caller, str]
) -> None:
    coach = pro[0]
    booking = await booked(client, member, pro[1])
    worksheet = files.xlsx(padding=150_000)
    added = await client.post(
        "/api/coaches/me/resources",
        data=form(worksheet, "values.xlsx", "application/octet-stream"),
        headers=coach.headers,
    )
    assert added.status == 201, await added.text()
    library_id = (await added.json())["id"]
    mine = await client.get("/api/coaches/me/resources", headers=coach.headers)
    assert [i["id"] for i in (await mine.json())["items"]] == [library_id]
    # The coach downloads their own library's file; nobody else can, not even another coach.
    own = f"/api/coaches/me/resources/{library_id}/download"
    got_own = await client.get(own, headers=coach.headers)
    assert got_own.status == 200, await got_own.text()
    assert await got_own.read() == worksheet
    assert got_own.headers["Content-Disposition"].startswith("attachment")
    assert "resources.library.download" in await actions(services)
    someone = await make_user(services, Role.COACH, "Dr Someone")
    assert (await client.get(own, headers=someone.headers)).status == 404
    assert (await client.get(own, headers=member.headers)).status == 403
    shared = await client.post(
        f"/api/bookings/{booking['id']}/resources",
        json={"library_id": library_id},
        headers=coach.headers,
    )
    assert shared.status == 201, await shared.text()
    (item,) = await listing(client, member, booking["id"])
    assert item["id"] != library_id
    assert item["file_name"] == "values.xlsx"
    assert "resources.library.read" in await actions(services)
    got = await client.get(item["download_url"], headers=member.headers)
    assert await got.read() == worksheet
    first, second = sorted(stored_files(services), key=lambda p: p.name != library_id)
    assert first.read_bytes()[:64] != second.read_bytes()[:64]
    # The library item goes; the session's copy stays.
    gone = await client.delete(f"/api/coaches/me/resources/{library_id}", headers=coach.headers)
    assert gone.status == 204
    assert len(stored_files(services)) == 1
    assert len(await listing(client, member, booking["id"])) == 1
    gone_again = await client.post(
        f"/api/bookings/{booking['id']}/resources",
        json={"library_id": library_id},
        headers=coach.headers,
    )
    assert (await problem(gone_again, 404))["code"] == "not_found"
    other = await make_user(services, Role.COACH, "Dr Other")
    stolen = await client.post(
        f"/api/bookings/{booking['id']}/resources",
        json={"library_id": str(uuid.uuid4())},
        headers=other.headers,
    )
    assert stolen.status == 404


async def test_a_library_holds_a_capped_number_of_items(
    client: Client, pro: tuple[Caller, str]
) -> None:
    for n in range(3):
        answer = await client.post(
            "/api/coaches/me/resources",
            json={"title": f"Link {n}", "url": f"https://example.org/{n}"},
            headers=pro[0].headers,
        )
        assert answer.status == 201, await answer.text()
    refused = await client.post(
        "/api/coaches/me/resources",
        json={"title": "one more", "url": "https://example.org/more"},
        headers=pro[0].headers,
    )
    assert (await problem(refused, 409))["code"] == "resource_limit"


async def test_a_malformed_or_empty_upload_is_a_clear_400_and_stores_nothing(
    client: Client, services: Services, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await booked(client, member, pro[1])
    url = f"/api/bookings/{booking['id']}/resources"
    no_title = aiohttp.FormData()
    no_title.add_field("file", io.BytesIO(files.PDF), filename="a.pdf")
    refused = await problem(await client.post(url, data=no_title, headers=pro[0].headers), 400)
    assert refused["code"] == "malformed_request"
    assert "title" in refused["detail"]
    long_title = form(files.PDF, "a.pdf", "application/pdf", title="x" * 201)
    refused = await problem(await client.post(url, data=long_title, headers=pro[0].headers), 422)
    assert refused["code"] == "validation_failed"
    empty = form(b"", "a.pdf", "application/pdf")
    refused = await problem(await client.post(url, data=empty, headers=pro[0].headers), 400)
    assert refused["code"] == "file_empty"
    assert await rows(services) == []
    assert stored_files(services) == []


async def test_uploads_at_once_never_pass_the_sessions_cap(
    client: Client, services: Services, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await booked(client, member, pro[1])
    answers = await asyncio.gather(*(upload(client, pro[0], booking["id"]) for _ in range(5)))
    assert sorted(a.status for a in answers) == [201, 201, 201, 409, 409]
    assert len(await rows(services)) == 3
    assert len(stored_files(services)) == 3


async def test_a_library_holds_a_capped_number_of_bytes(
    client: Client, services: Services, pro: tuple[Caller, str]
) -> None:
    def worksheet(padding: int) -> aiohttp.FormData:
        return form(files.xlsx(padding=padding), "w.xlsx", "application/octet-stream")

    url = "/api/coaches/me/resources"
    first = await client.post(url, data=worksheet(250_000), headers=pro[0].headers)
    assert first.status == 201, await first.text()
    refused = await client.post(url, data=worksheet(250_000), headers=pro[0].headers)
    assert (await problem(refused, 413))["code"] == "resource_limit"
    assert len(await rows(services)) == 1
    assert len(stored_files(services)) == 1


async def test_a_coach_adds_a_limited_number_of_resources_an_hour(
    client: Client, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await booked(client, member, pro[1])
    url = f"/api/bookings/{booking['id']}/resources"
    body = {"title": "Reading", "url": "https://example.org/read"}
    for _ in range(UPLOADS_PER_HOUR):
        assert (await client.post(url, json=body, headers=pro[0].headers)).status == 201
    answer = await client.post(url, json=body, headers=pro[0].headers)
    assert (await problem(answer, 429))["code"] == "rate_limited"
    assert int(answer.headers["Retry-After"]) > 0
