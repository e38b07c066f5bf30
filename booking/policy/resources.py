"""What a shared resource may be: the file types we accept, told from the content alone.

`filetype` reads the magic numbers at the start of the file. Zip-based office formats need
more: filetype guesses them only from the first entry's name, so a zip container is opened
(`zipfile`) and its own declaration decides: `[Content_Types].xml`'s main part for Office Open
XML (docx, xlsx, pptx), the `mimetype` entry for OpenDocument (odt, ods, odp). The upload is
streamed and never held whole, so the container is read from the first `HEAD` and last `TAIL`
bytes (a zip's directory is at its end); an entry outside them is "could not be checked", and
refused like any other unknown content. Pure: no I/O beyond the bytes handed in.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

import filetype

from booking.policy.notes import NOTED

HEAD = 64 * 1024
SNIFF = 8192  # the bytes filetype reads: enough to refuse an upload early
TAIL = 256 * 1024
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_TITLE = 200
MAX_URL = 2000
MAX_FILE_NAME = 200
# Resources are shared into a session that is or was going to happen, like notes.
SHARED_INTO = NOTED


@dataclass(frozen=True)
class FileType:
    mime: str
    extension: str


_PLAIN: dict[str, FileType] = {
    mime: FileType(mime, ext)
    for mime, ext in (
        ("application/pdf", "pdf"),
        ("image/png", "png"),
        ("image/jpeg", "jpg"),
        ("image/gif", "gif"),
        ("image/webp", "webp"),
        ("audio/mpeg", "mp3"),
        ("audio/mp4", "m4a"),
        ("audio/x-wav", "wav"),
        ("audio/ogg", "ogg"),
        ("application/msword", "doc"),
        ("application/vnd.ms-excel", "xls"),
        ("application/vnd.ms-powerpoint", "ppt"),
    )
}
_PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
_OOXML = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": FileType(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": FileType(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"
    ),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": (
        FileType(
            "application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"
        )
    ),
}
_ODF = {
    f"application/vnd.oasis.opendocument.{kind}": FileType(
        f"application/vnd.oasis.opendocument.{kind}", ext
    )
    for kind, ext in (("text", "odt"), ("spreadsheet", "ods"), ("presentation", "odp"))
}
_ZIPS = {
    "application/zip",
    "application/epub+zip",
    *(t.mime for t in _OOXML.values()),
    *_ODF,
}
ACCEPTED = "PDF, PNG, JPEG, GIF, WebP, MP3, M4A, WAV, OGG, DOC(X), XLS(X), PPT(X), ODT, ODS, ODP"
_MAIN_PART = re.compile(rb'ContentType="([^"]+\.main\+xml)"')


def file_type(head: bytes, tail: bytes, size: int) -> FileType | None:
    """The accepted type of a file of `size` bytes whose first bytes are `head` and last are
    `tail` (up to HEAD and TAIL of them), or None: refused."""
    guess = filetype.guess(head)
    if guess is None:
        return None
    if guess.mime in _ZIPS:
        return _container(head, tail, size)
    return _PLAIN.get(guess.mime)


def early_refusal(head: bytes) -> bool:
    """True when the first bytes already show a type we refuse (stop reading the upload)."""
    guess = filetype.guess(head)
    return guess is None or (guess.mime not in _ZIPS and guess.mime not in _PLAIN)


class _Gap(Exception):
    pass


class _Sparse(io.RawIOBase):
    """The file as far as its head and tail go; reading the middle raises `_Gap`."""

    def __init__(self, head: bytes, tail: bytes, size: int) -> None:
        self.head, self.tail, self.size, self.pos = head, tail, size, 0
        self.tail_start = size - len(tail)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        want = min(len(buffer), self.size - self.pos)
        if want <= 0:
            return 0
        if self.pos + want <= len(self.head):
            data = self.head[self.pos : self.pos + want]
        elif self.pos >= self.tail_start:
            data = self.tail[self.pos - self.tail_start : self.pos - self.tail_start + want]
        else:
            raise _Gap
        buffer[: len(data)] = data
        self.pos += len(data)
        return len(data)


def _container(head: bytes, tail: bytes, size: int) -> FileType | None:
    try:
        with zipfile.ZipFile(io.BufferedReader(_Sparse(head, tail, size))) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                declared = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
                return _ODF.get(declared)
            if "[Content_Types].xml" in names:
                info = archive.getinfo("[Content_Types].xml")
                if info.file_size > HEAD:
                    return None
                main = _MAIN_PART.findall(archive.read(info))
                found = {_OOXML[m.decode()] for m in main if m.decode() in _OOXML}
                return found.pop() if len(found) == 1 else None
    except (_Gap, zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, ValueError, EOFError):
        return None
    except (NotImplementedError, RuntimeError, OSError):  # an unsupported or encrypted entry
        return None
    return None


def safe_file_name(name: str | None, file_type: FileType) -> str:
    """The name a download is saved under: the uploader's, without path or control characters,
    its extension the one the content shows."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>|:*?')
    stem = base.rsplit(".", 1)[0].strip(" .") if "." in base else base.strip(" .")
    return f"{(stem or 'resource')[: MAX_FILE_NAME - 10]}.{file_type.extension}"
