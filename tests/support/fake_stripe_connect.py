"""A stand-in for Stripe's `POST /v1/transfers`, on a real socket.

A FAKE, because nothing real can run here: localstripe has no Connect (its /v1/transfers and
/v1/accounts answer 404; see /work/shared/FACTS.md). It checks our side of the contract as Stripe
documents it: form-encoded `amount`, `currency`, `destination`, `metadata[...]`, a Bearer key
and an `Idempotency-Key`; it answers a transfer object, or Stripe's error shape when told to
fail, and replays the first answer for a key it has seen, as Stripe does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class FakeConnect:
    requests: list[dict[str, Any]] = field(default_factory=list)
    # Answers to give before succeeding: (HTTP status, Stripe error code).
    failures: list[tuple[int, str]] = field(default_factory=list)
    answered: dict[str, dict[str, Any]] = field(default_factory=dict)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/transfers", self.transfer)
        return app

    async def transfer(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        key = request.headers.get("Idempotency-Key", "")
        self.requests.append(
            {
                "form": form,
                "idempotency_key": key,
                "authorization": request.headers.get("Authorization", ""),
                "content_type": request.content_type,
            }
        )
        if key in self.answered:
            return web.json_response(self.answered[key])
        if self.failures:
            status, code = self.failures.pop(0)
            error = {"type": "invalid_request_error", "code": code, "message": "refused"}
            return web.json_response({"error": error}, status=status)
        made = {
            "id": f"tr_{len(self.answered) + 1}",
            "object": "transfer",
            "amount": int(str(form["amount"])),
            "currency": form["currency"],
            "destination": form["destination"],
            "metadata": {"payout_id": form.get("metadata[payout_id]")},
        }
        self.answered[key] = made
        return web.json_response(made)
