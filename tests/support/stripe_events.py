"""Stripe events signed as Stripe signs them (`t=<unix time>,v1=<HMAC-SHA256>`), for webhook
tests of events localstripe never sends (refund events) and of bad or stale signatures."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from typing import Any

from realtime.clock import SystemClock


def event(
    kind: str, obj: dict[str, Any], event_id: str | None = None, *, created: float | None = None
) -> bytes:
    """A Stripe event; `created` (unix time) is when it happened at Stripe, now by default."""
    body = {
        "id": event_id or f"evt_{uuid.uuid4().hex[:16]}",
        "object": "event",
        "type": kind,
        "created": int(created if created is not None else SystemClock().now().timestamp()),
        "data": {"object": obj},
    }
    return json.dumps(body).encode()


def signature(payload: bytes, secret: str, *, age_seconds: int = 0) -> str:
    """A Stripe-Signature header; `age_seconds` signs it in the past (the signature clock is
    Stripe's, so it is the real one)."""
    stamp = int(SystemClock().now().timestamp()) - age_seconds
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={mac}"
