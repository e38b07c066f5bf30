"""The demo coach's resource library and the resource shared into the live demo session.

Two worksheets (a PDF reflection sheet and an XLSX values worksheet, both real files that open
in a viewer, generated here) and a link go into the demo coach's library through the same
service the API uses (sealed, stored in the blob store, audited); the live video session with
the demo client gets the reflection worksheet shared into it, again on each start when the
live session is new.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator

from sqlalchemy import select

from booking.services.bookings import Party
from booking.services.resources import Upload
from booking.storage import resources as resource_store
from booking.storage.bookings import Booking
from booking.storage.coaches import Coach
from realtime.auth.models import User
from realtime.wiring import Services

REFLECTION = "Weekly reflection worksheet"
PROMPTS = (
    "What gave you energy this week?",
    "Where did you hold a boundary, and how did it feel?",
    "One small step for next week:",
)
VALUES = ("Honesty", "Family", "Growth", "Health", "Creativity", "Security")


def reflection_pdf() -> bytes:
    """A one-page PDF with the reflection prompts (a valid cross-reference table)."""
    lines = " ".join(
        f"BT /F1 {18 if i == 0 else 12} Tf 72 {720 - 40 * i} Td ({text}) Tj ET"
        for i, text in enumerate((REFLECTION, *PROMPTS))
    )
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(lines)} >>\nstream\n{lines}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


_SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


_TABLE = (("Value", "Your rank (1-6)"), *((v, "") for v in VALUES))


def values_xlsx() -> bytes:
    """A workbook: the values to rank, one a row, with a column for the client's rank."""
    rows = "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>{label}</t></is></c>'
        f'<c r="B{n}" t="inlineStr"><is><t>{rank}</t></is></c></row>'
        for n, (label, rank) in enumerate(
            (("Value", "Your rank (1-6)"), *((v, "") for v in VALUES)), 1
        )
    )
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://'
        'schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default '
        f'Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml"'
        f' ContentType="{_SHEET}.sheet.main+xml"/><Override PartName="/xl/worksheets/'
        f'sheet1.xml" ContentType="{_SHEET}.worksheet+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://'
        'schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
        f'Type="{_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://'
        f'schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="{_RELS}"><sheets>'
        '<sheet name="Values" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships '
        'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship '
        f'Id="rId1" Type="{_RELS}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns='
        f'"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{rows}'
        "</sheetData></worksheet>",
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return out.getvalue()


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _coach(services: Services, email: str) -> Coach | None:
    async with services.db.session() as session:
        coach: Coach | None = await session.scalar(
            select(Coach).join(User, User.id == Coach.user_id).where(User.email == email)
        )
        return coach


async def seed_library(services: Services, coach_email: str) -> None:
    coach = await _coach(services, coach_email)
    if coach is None:
        return
    party = Party(coach.user_id)
    resources = services.resources
    await resources.add_to_library(
        party,
        REFLECTION,
        upload=Upload("weekly-reflection.pdf", _once(reflection_pdf())),
        address=None,
    )
    await resources.add_to_library(
        party,
        "Values ranking worksheet",
        upload=Upload("values-ranking.xlsx", _once(values_xlsx())),
        address=None,
    )
    await resources.add_to_library(
        party,
        "Box breathing, 4 minutes (guided audio)",
        url="https://www.youtube.com/results?search_query=box+breathing+4+minutes",
        address=None,
    )


async def share_into_live(services: Services, client_email: str, coach_email: str) -> None:
    """The reflection worksheet in the live video session, unless it has a resource already."""
    coach = await _coach(services, coach_email)
    if coach is None:
        return
    now = services.clock.now()
    async with services.db.session() as session:
        live = await session.scalar(
            select(Booking.id)
            .join(User, User.id == Booking.client_id)
            .where(
                User.email == client_email,
                Booking.coach_id == coach.id,
                Booking.session_type == "video",
                Booking.status == "confirmed",
                Booking.starts_at <= now,
                Booking.ends_at > now,
            )
            .limit(1)
        )
        if live is None or await resource_store.of_booking(session, live):
            return
        library = await resource_store.library(session, coach.user_id)
    worksheet = next((r for r in library if r.content_type == "application/pdf"), None)
    if worksheet is None:
        return
    await services.resources.share_from_library(
        Party(coach.user_id), live, worksheet.id, address=None
    )
