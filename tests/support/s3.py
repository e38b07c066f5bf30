"""A real S3-compatible server for the tests: moto's standalone server (`python -m moto.server`)
as a separate process on a free port, and a bucket of the test's own in it."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from realtime import blobs
from tests.realtime.test_cli import free_port

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

REGION = "us-east-1"
# moto takes any credentials; these are its documented test values.
ACCESS_KEY = "testing"
SECRET_KEY = "testing"


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    def settings(self, bucket: str) -> dict[str, str]:
        """The environment of a `flourish serve` keeping its files in `bucket`."""
        return {
            "RESOURCE_STORE": "s3",
            "S3_ENDPOINT": self.endpoint,
            "S3_BUCKET": bucket,
            "S3_REGION": REGION,
            "S3_ACCESS_KEY_ID": ACCESS_KEY,
            "S3_SECRET_ACCESS_KEY": SECRET_KEY,
        }


@contextmanager
def s3_server(log_dir: Path) -> Iterator[S3Server]:
    port = free_port()
    with (log_dir / "moto.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if process.poll() is not None:
                raise AssertionError(f"moto.server exited:\n{(log_dir / 'moto.log').read_text()}")
            try:
                with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2):
                    break
            except urllib.error.HTTPError:
                break  # answering
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("moto.server did not answer")
        yield S3Server(endpoint)
    finally:
        process.terminate()
        process.wait(timeout=10)


@asynccontextmanager
async def bucket_client(server: S3Server) -> AsyncIterator[tuple[S3Client, str]]:
    """A client of the server and a new, empty bucket."""
    async with AsyncExitStack() as stack:
        client = await blobs.s3_client(
            stack,
            endpoint=server.endpoint,
            region=REGION,
            access_key=ACCESS_KEY,
            secret_key=SECRET_KEY,
        )
        bucket = f"flourish-{uuid.uuid4().hex[:12]}"
        await client.create_bucket(Bucket=bucket)
        yield client, bucket


async def objects(client: S3Client, bucket: str) -> dict[str, bytes]:
    """Every object in the bucket, by key."""
    found: dict[str, bytes] = {}
    listed = await client.list_objects_v2(Bucket=bucket)
    for entry in listed.get("Contents", []):
        got = await client.get_object(Bucket=bucket, Key=entry["Key"])
        async with got["Body"] as body:
            found[entry["Key"]] = await body.read()
    return found
