"""Small real files of the types shared resources accept, and some they must refuse."""

from __future__ import annotations

import io
import os
import zipfile
import zlib

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
# An executable (a DOS/PE header) and an HTML page, to be sent under innocent names.
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"

_OOXML_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'
)


def png(width: int = 2, height: int = 2) -> bytes:
    """A valid RGB PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")
        )

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x08\x02\x00\x00\x00"
    rows = b"".join(b"\x00" + b"\x7f\x3c\x10" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def xlsx(cells: str = "Values worksheet", padding: int = 0) -> bytes:
    """A minimal Office Open XML workbook (its main part declared in [Content_Types].xml)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _OOXML_TYPES)
        archive.writestr("xl/workbook.xml", f"<workbook><sheet>{cells}</sheet></workbook>")
        if padding:
            archive.writestr("xl/media/filler.bin", os.urandom(padding))  # incompressible
    return out.getvalue()


def odt(text: str = "Reflection prompts") -> bytes:
    """A minimal OpenDocument text (its `mimetype` entry first, stored)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr(
            "content.xml", f"<office:document-content>{text}</office:document-content>"
        )
    return out.getvalue()


def zip_of_executable() -> bytes:
    """A zip that is no office document: refused whatever it is called."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("setup.exe", EXECUTABLE)
    return out.getvalue()
