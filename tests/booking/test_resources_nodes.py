"""A file shared through one `flourish serve` process downloads byte-identical through another:
both keep files in one S3-compatible bucket (moto's standalone server, a separate process),
where only sealed bytes under ids are stored."""

from __future__ import annotations

import io
import os
from pathlib import Path

import aiohttp
import pytest

from realtime import wiring
from realtime.settings import Settings
from tests.support import files
from tests.support.nodes import listed_coach, starting_now, two_nodes
from tests.support.s3 import bucket_client, objects, s3_server
from tests.support.stacks import Stack

FILE_NAME = "sleep-diary-week-3.pdf"


@pytest.fixture
def settings(production_stack: Stack, tmp_path: Path) -> Settings:
    """An emptied PostgreSQL schema and a Redis prefix of this test's own."""
    return production_stack.settings_for(tmp_path)


@pytest.mark.timeout(120)
async def test_a_file_shared_through_one_process_downloads_through_another(
    settings: Settings, tmp_path: Path
) -> None:
    data = files.PDF + b"%" + os.urandom(150_000) + b"\n%%EOF\n"
    with s3_server(tmp_path) as s3:
        async with bucket_client(s3) as (client, bucket):
            with two_nodes(settings, tmp_path, **s3.settings(bucket)) as (a, b):
                async with (
                    wiring.services(settings) as services,
                    aiohttp.ClientSession(f"http://127.0.0.1:{a.port}") as through_a,
                    aiohttp.ClientSession(f"http://127.0.0.1:{b.port}") as through_b,
                ):
                    cast = await listed_coach(services, through_a)
                    booking_id = await starting_now(services, cast.coach_id, cast.member.user_id)
                    form = aiohttp.FormData()
                    form.add_field("title", "Sleep diary")
                    form.add_field(
                        "file", io.BytesIO(data), filename=FILE_NAME, content_type="text/plain"
                    )
                    async with through_a.post(
                        f"/api/bookings/{booking_id}/resources",
                        data=form,
                        headers=cast.coach.headers,
                    ) as shared:
                        assert shared.status == 201, await shared.text()
                    async with through_b.get(
                        f"/api/bookings/{booking_id}/resources", headers=cast.member.headers
                    ) as listed:
                        (item,) = (await listed.json())["items"]
                    async with through_b.get(
                        item["download_url"], headers=cast.member.headers
                    ) as got:
                        assert got.status == 200, await got.text()
                        assert await got.read() == data
                        assert FILE_NAME in got.headers["Content-Disposition"]
            stored = await objects(client, bucket)
    ((key, sealed),) = stored.items()
    assert key == f"resources/{item['id']}"
    assert len(sealed) > len(data)
    assert b"%PDF" not in sealed
    assert data[1000:1032] not in sealed
    assert b"sleep" not in sealed
