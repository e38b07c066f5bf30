"""The professional agreement coaches accept when they apply or renew."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from booking.storage import agreements as agreement_store
from realtime.db import Database
from realtime.errors import Code, NotFound


@dataclass(frozen=True)
class AgreementView:
    version: str
    title: str
    body: str
    published_at: datetime


class Agreements:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def current(self) -> AgreementView:
        async with self.db.session() as session:
            agreement = await agreement_store.current(session)
        if agreement is None:
            raise NotFound(Code.NOT_FOUND, "No professional agreement is published yet.")
        return AgreementView(
            agreement.version, agreement.title, agreement.body, agreement.published_at
        )
