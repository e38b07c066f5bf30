"""Credential documents: a coach attaches licence evidence to a pending application; it is
sealed at rest (title, name and bytes), read by admins only (byte-identical, audited), refused
when it is not a PDF, PNG or JPEG by content, capped per application, and stores nothing when
refused."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import select

from booking.services.credential_documents import PER_APPLICATION
from booking.storage.credential_documents import CredentialDocument
from realtime.audit import AuditRow
from realtime.auth.models import Role
from realtime.wiring import Services
from tests.booking.support import Caller, Client, apply, make_user, problem
from tests.support import files

TITLE = "Texas LPC licence #8812"
NAME = "lpc-licence-maria.pdf"


def form(data: bytes, file_name: str = NAME, title: str = TITLE) -> aiohttp.FormData:
    body = aiohttp.FormData()
    body.add_field("title", title)
    body.add_field("file", io.BytesIO(data), filename=file_name, content_type="application/pdf")
    return body


async def attach(client: Client, coach: Caller, data: bytes = files.PDF, **kw: Any) -> Any:
    return await client.post(
        "/api/coaches/me/application/documents", data=form(data, **kw), headers=coach.headers
    )


def stored_files(services: Services) -> list[Path]:
    root = Path(services.settings.resource_dir)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


async def audited(services: Services, action: str) -> int:
    async with services.db.session() as session:
        found = await session.scalars(select(AuditRow.seq).where(AuditRow.action == action))
        return len(list(found))


async def test_a_document_goes_sealed_with_the_application_and_only_admins_read_it(
    client: Client, services: Services, coach: Caller, admin: Caller
) -> None:
    application = await apply(client, coach)
    data = files.PDF + b"%" + b"licence-number-8812 " * 2000 + b"\n%%EOF\n"
    answer = await attach(client, coach, data)
    assert answer.status == 201, await answer.text()
    document = await answer.json()
    assert (document["title"], document["file_name"], document["content_type"]) == (
        TITLE,
        NAME,
        "application/pdf",
    )
    assert document["size"] == len(data)
    mine = await client.get("/api/coaches/me/application/documents", headers=coach.headers)
    assert [d["id"] for d in (await mine.json())["items"]] == [document["id"]]

    # At rest: nothing of the title, the name or the bytes.
    (path,) = stored_files(services)
    stored = path.read_bytes()
    assert b"%PDF" not in stored
    assert b"licence-number-8812" not in stored
    async with services.db.session() as session:
        (row,) = (await session.scalars(select(CredentialDocument))).all()
    assert b"Texas" not in row.meta
    assert b"maria" not in row.meta

    listed = await client.get(
        f"/api/admin/applications/{application['id']}/documents", headers=admin.headers
    )
    assert listed.status == 200, await listed.text()
    (item,) = (await listed.json())["items"]
    assert item["title"] == TITLE
    path_ = f"/api/admin/applications/{application['id']}/documents/{document['id']}"
    got = await client.get(path_, headers=admin.headers)
    assert got.status == 200, await got.text()
    assert await got.read() == data
    assert got.headers["Content-Type"] == "application/pdf"
    assert got.headers["Content-Disposition"].startswith("attachment")
    assert await audited(services, "credential-document.write") == 1
    assert await audited(services, "credential-document.list") == 1
    assert await audited(services, "credential-document.read") == 1

    # Nobody else: the coach themselves, another coach, a client.
    other = await make_user(services, Role.COACH, "Olga Other")
    client_user = await make_user(services, Role.CLIENT, "Cleo Client")
    for caller in (coach, other, client_user):
        refused = await client.get(path_, headers=caller.headers)
        assert refused.status == 403, caller.role
    wrong = await client.get(
        f"/api/admin/applications/{application['id']}/documents/{application['id']}",
        headers=admin.headers,
    )
    assert (await problem(wrong, 404))["code"] == "not_found"


async def test_refused_documents_store_nothing(
    client: Client, services: Services, coach: Caller
) -> None:
    none_yet = await attach(client, coach)
    assert (await problem(none_yet, 404))["code"] == "not_a_coach"
    await apply(client, coach)
    for data, name in ((files.HTML, "licence.pdf"), (files.EXECUTABLE, "scan.png"), (b"", "a.pdf")):
        refused = await attach(client, coach, data, file_name=name)
        assert refused.status in (400, 415), await refused.text()
    assert stored_files(services) == []
    mine = await client.get("/api/coaches/me/application/documents", headers=coach.headers)
    assert (await mine.json())["items"] == []
    not_multipart = await client.post(
        "/api/coaches/me/application/documents", json={}, headers=coach.headers
    )
    assert (await problem(not_multipart, 400))["code"] == "malformed_request"


async def test_an_application_takes_a_few_documents_and_only_while_pending(
    client: Client, services: Services, coach: Caller, admin: Caller
) -> None:
    application = await apply(client, coach)
    for n in range(PER_APPLICATION):
        png = files.png(2 + n, 2)
        answer = await attach(client, coach, png, file_name=f"scan-{n}.png", title=f"Page {n}")
        assert answer.status == 201, await answer.text()
        assert (await answer.json())["content_type"] == "image/png"
    over = await attach(client, coach)
    assert (await problem(over, 409))["code"] == "document_limit"
    assert len(stored_files(services)) == PER_APPLICATION
    rejected = await client.post(
        f"/api/admin/applications/{application['id']}/reject",
        json={"reason": "The licence number does not match the register."},
        headers=admin.headers,
    )
    assert rejected.status == 200, await rejected.text()
    late = await attach(client, coach)
    assert (await problem(late, 409))["code"] == "application_not_pending"
