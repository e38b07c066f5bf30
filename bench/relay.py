"""A bare python-socketio relay, the baseline `bench.signalling` measures our server against.

    .venv/bin/python -m bench.relay --port PORT

python-socketio's defaults on aiohttp's default event loop (no uvloop, the standard `json`
module, no authentication, no validation, no Redis): namespace `/session`, `join`
`{booking_id}` puts the socket in that room (two peers a room) and answers `{ok, peer_id,
peers}`; `signal` `{to, ...}` is relayed to that socket as `signal` `{from, ...}`. The same
events and payload shapes as our `/session` namespace, so one load generator drives both.

`--no-deflate` refuses WebSocket permessage-deflate (python-engineio offers no option for it;
its aiohttp WebSocket is replaced by our server's, `signalling.server.PlainWebSocket`): how
much memory and CPU compression costs.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

import socketio
from aiohttp import web

from signalling.server import PlainWebSocket

NAMESPACE = "/session"


def create_app(*, deflate: bool = True) -> web.Application:
    sio = socketio.AsyncServer(async_mode="aiohttp")
    if not deflate:
        sio.eio._async = {**sio.eio._async, "websocket": PlainWebSocket}
    app = web.Application()
    sio.attach(app)

    async def join(sid: str, data: dict[str, Any]) -> dict[str, Any]:
        room = str(data["booking_id"])
        peers = [{"peer_id": peer} for peer, _ in sio.manager.get_participants(NAMESPACE, room)]
        await sio.enter_room(sid, room, namespace=NAMESPACE)
        return {"ok": True, "peer_id": sid, "peers": peers}

    async def signal(sid: str, data: dict[str, Any]) -> None:
        to = data.pop("to")
        data["from"] = sid
        await sio.emit("signal", data, to=to, namespace=NAMESPACE)

    sio.on("join", handler=join, namespace=NAMESPACE)
    sio.on("signal", handler=signal, namespace=NAMESPACE)
    app.router.add_get("/healthz", healthz)
    return app


async def healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.relay", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--no-deflate", action="store_true", help="refuse WebSocket permessage-deflate"
    )
    args = parser.parse_args(argv)
    app = create_app(deflate=not args.no_deflate)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
