"""The `flourish` command: serve, migrate, create-admin, rotate-master-key, audit verify,
dial-in."""

from __future__ import annotations

import argparse
import asyncio
import gc
import getpass
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from realtime import edge, logs, migrate, resealing, vault
from realtime import settings as settings_module
from realtime.app import create_app
from realtime.audit import Audit
from realtime.clock import SystemClock
from realtime.db import Database
from realtime.settings import Settings, SettingsError

log = logging.getLogger("flourish")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="flourish", description="Flourish Realtime server")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the server")
    serve.add_argument("--host", help="address to listen on (default: HOST or 127.0.0.1)")
    serve.add_argument("--port", type=_port, help="port to listen on (default: PORT or 8080)")
    serve.add_argument(
        "--demo", action="store_true", help="seed a realistic demo directory and print logins"
    )

    commands.add_parser("migrate", help="apply database migrations")
    commands.add_parser(
        "rotate-master-key",
        help="re-wrap every data key under MASTER_KEY_ID (resumable; items are not touched)",
    )

    audit = commands.add_parser("audit", help="the audit log of private data")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    audit_commands.add_parser(
        "verify", help="check the hash chain; names every deleted or edited row (exit 1)"
    )

    admin = commands.add_parser("create-admin", help="create an administrator account")
    admin.add_argument("--email", required=True)
    admin.add_argument("--password", help="the password (asked for when not given)")
    admin.add_argument("--name", default="Administrator")

    dial = commands.add_parser(
        "dial-in",
        help="call a session in by telephone without Twilio (a stand-in for Twilio's side: "
        "the demo, trying a deployment)",
    )
    dial.add_argument("pin", help="the participant's 6-digit session PIN")
    dial.add_argument("--url", help="the server (default: PUBLIC_URL, or HOST:PORT)")
    dial.add_argument("--seconds", type=float, default=60.0, help="how long to stay on the line")
    dial.add_argument("--record", type=Path, help="write what the caller heard to this WAV file")

    args = parser.parse_args(argv)
    try:
        settings = settings_module.load(os.environ)
    except SettingsError as exc:
        print(f"flourish: configuration error: {exc}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level, settings.log_format)

    try:
        if args.command == "serve":
            return _serve(settings, args.host, args.port, demo=args.demo)
        if args.command == "migrate":
            asyncio.run(_migrate(settings))
            print("flourish: database is at the newest migration")
            return 0
        if args.command == "rotate-master-key":
            moved = asyncio.run(_rotate_master_key(settings))
            print(
                f"flourish: {moved} data keys re-wrapped; every data key is now under master "
                f"key {settings.master_key_id!r} (older keys may leave MASTER_KEYS)"
            )
            return 0
        if args.command == "audit":
            return asyncio.run(_verify_audit(settings))
        if args.command == "dial-in":
            return asyncio.run(_dial_in(settings, args.pin, args.url, args.seconds, args.record))
        password = args.password or getpass.getpass("Password for the new admin: ")
        return asyncio.run(_create_admin(settings, args.email, password, args.name))
    except SettingsError as exc:  # found at start: a master key that does not match, say
        print(f"flourish: configuration error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        # Unreachable database or Redis, port in use: say so in one line, not a traceback.
        print(f"flourish: {args.command} failed: {exc}", file=sys.stderr)
        return 1


def _port(raw: str) -> int:
    try:
        port = int(raw)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"expected a TCP port 1-65535, got {raw!r}")
    return port


async def _migrate(settings: Settings) -> None:
    """The schema migrations, then values sealed the old way moved into the vault."""
    db = Database(settings.database_url, schema=settings.database_schema)
    try:
        await migrate.upgrade(db)
        sealer = await vault.started(settings, db, SystemClock())
        await resealing.reseal(settings, db, sealer)
    finally:
        await db.close()


async def _verify_audit(settings: Settings) -> int:
    db = Database(settings.database_url, schema=settings.database_schema)
    try:
        problems = await Audit(db, SystemClock()).verify()
    finally:
        await db.close()
    for problem in problems:
        print(f"flourish: audit log: {problem}", file=sys.stderr)
    if problems:
        return 1
    print("flourish: audit log intact")
    return 0


async def _rotate_master_key(settings: Settings) -> int:
    db = Database(settings.database_url, schema=settings.database_schema)
    try:
        keys = vault.Vault(db, SystemClock(), vault.MasterKeys.of(settings))
        await keys.start()
        return await keys.rotate()
    finally:
        await db.close()


async def _create_admin(settings: Settings, email: str, password: str, name: str) -> int:
    from realtime.auth.models import Role
    from realtime.auth.passwords import Passwords
    from realtime.auth.service import AccountError, create_account

    db = Database(settings.database_url, schema=settings.database_schema)
    try:
        if settings.auto_migrate:
            await migrate.upgrade(db)
        try:
            user = await create_account(
                db,
                Passwords(),
                SystemClock(),
                email=email,
                password=password,
                display_name=name,
                role=Role.ADMIN,
                min_score=settings.password_min_score,
            )
        except AccountError as exc:
            print(f"flourish: {exc}", file=sys.stderr)
            return 1
        print(f"flourish: admin {user.email} created")
        return 0
    finally:
        await db.close()


async def _dial_in(
    settings: Settings, pin: str, url: str | None, seconds: float, record: Path | None
) -> int:
    """The server's own TWILIO_AUTH_TOKEN signs the call, or the demo's when dial-in is off
    here (`flourish serve --demo` turns it on with that token)."""
    from media.audio import recording, ulaw_to_linear
    from media.dialer import ring
    from realtime.demo import with_dial_in

    settings = with_dial_in(settings)
    voice = ulaw_to_linear(recording("demo_caller")) + bytes(8000 * 2)  # a second's pause
    return await ring(
        url or settings.link_base,
        settings.twilio_auth_token,
        pin,
        seconds=seconds,
        voice=voice,
        record=record,
    )


def _serve(settings: Settings, host: str | None, port: int | None, *, demo: bool) -> int:
    if demo and settings.production:
        print("flourish: --demo is refused in production", file=sys.stderr)
        return 2
    # The address given on the command line is the server's own (emails' links without
    # PUBLIC_URL point there).
    settings = replace(settings, host=host or settings.host, port=port or settings.port)
    if settings.auto_migrate:
        asyncio.run(_migrate(settings))
    if demo:
        from realtime.demo import with_dial_in

        settings = with_dial_in(settings)  # dial-in on, `flourish dial-in` as the telephone
    app = create_app(settings)
    if demo:
        from realtime.demo import seed_on_startup

        app.on_startup.append(seed_on_startup)
    app.on_startup.append(lambda app: _collect_less(settings.gc_threshold))
    edge.run(
        app,
        host=settings.host,
        port=settings.port,
        production=settings.production,
        shutdown_timeout=20,
        loop=_event_loop(),
    )
    return 0


async def _collect_less(threshold: int) -> None:
    """Once the app has started: what is alive now (modules, classes, the app) lives as long as
    the process, so it is frozen out of every later collection (`gc.freeze`), and the young
    generation is collected every `threshold` objects instead of 700.

    The relay's garbage is freed by reference counting (the collector found none in the
    benchmark), but each collection walks what is alive: with Python's defaults at 1,000
    sockets, the objects of the signals in flight outlive the frequent young collections,
    fill the older generations and bring on full collections of the whole heap (225 ms each),
    about 40% of the server's CPU (docs/benchmarks.md). Cycles are still collected, later."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(threshold, middle, old)


def _event_loop() -> asyncio.AbstractEventLoop:
    """uvloop where it is installed (not on Windows), else asyncio's own loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


if __name__ == "__main__":
    sys.exit(main())
