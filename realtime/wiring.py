"""Builds every long-lived object once and hands each API the ones it needs.

The only place that knows the whole object graph. Each API module declares an `AppKey` for what
it needs; `provide()` fills them in.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import socketio
from aiohttp import web

from booking.api.coaching import COACHING
from booking.api.credential_documents import CREDENTIAL_DOCUMENTS
from booking.api.resources import RESOURCES
from booking.api.scheduling import SCHEDULING
from booking.payments import stripe as stripe_payments
from booking.payments.connect import StripeConnect, Transfers
from booking.payments.demo import DemoProvider
from booking.payments.provider import PaymentProvider
from booking.services.calendars import CalendarFeed, NoFeed
from booking.services.coaching import Coaching
from booking.services.credential_documents import CredentialDocuments
from booking.services.notifications import nobody_listening
from booking.services.openings import POLL_SECONDS as OPENINGS_POLL_SECONDS
from booking.services.openings import Openings, TellingOpenings
from booking.services.resources import Caps, Resources
from booking.services.scheduling import Scheduling
from media.phone import TwilioProvider, ticket_key
from media.phone_api import TELEPHONY, Telephony
from media.phone_stream import PHONE_CALLS, PhoneCalls
from realtime import blobs, idempotency, limits, resealing, vault
from realtime.audit import Audit
from realtime.audit_api import AUDIT, AuditAccess
from realtime.auth.access import AUTHENTICATOR, Authenticator
from realtime.auth.api import ACCOUNTS
from realtime.auth.passwords import Passwords
from realtime.auth.phone_logins import PhoneLogins
from realtime.auth.service import Accounts
from realtime.auth.tokens import TokenCodec
from realtime.clock import Clock, SystemClock
from realtime.db import Database
from realtime.email.mailers import LogMailer, Mailer, SmtpConfig, SmtpMailer
from realtime.email.outbox import Outbox
from realtime.health import DATABASE, LIVE
from realtime.limits import LIMITER, Limiter
from realtime.live import LiveState, MemoryLiveState, RedisLiveState
from realtime.metrics import CLOCK, METRICS, Metrics
from realtime.settings import Settings, SettingsError
from realtime.tasks import running
from signalling.attendance import Attendance
from signalling.availability import WATCH_REFRESH, Availability, SocketFeed, Watched
from signalling.chat import Chat
from signalling.countdown import Countdown
from signalling.deadlines import MemoryStore, RedisStore, Store
from signalling.limits import SocketLimits
from signalling.media_state import MediaState
from signalling.notes import NoteAnnouncer
from signalling.notifications import NotificationPush
from signalling.presence import MemoryPresence, OnlineCoaches, Presence, RedisPresence
from signalling.resources import RoomAnnouncer
from signalling.rights import Bus, LocalBus, RedisBus, SocketRights
from signalling.session import SessionSignalling

# How often each process looks for holds whose time is up.
HOLD_SWEEP_SECONDS = 15
# Sessions whose hard stop passed undecided (their timer process died, or nobody joined).
OUTCOME_SWEEP_SECONDS = 60
# How often each process looks for emails to send.
EMAIL_POLL_SECONDS = 5
REMINDER_POLL_SECONDS = 30
# How often pending refunds (whose provider call failed) are tried again.
REFUND_RETRY_SECONDS = 300


@dataclass
class Services:
    settings: Settings
    clock: Clock
    db: Database
    live: LiveState
    metrics: Metrics
    passwords: Passwords
    tokens: TokenCodec
    limiter: Limiter
    authenticator: Authenticator
    accounts: Accounts
    outbox: Outbox
    coaching: Coaching
    scheduling: Scheduling
    socket_limits: SocketLimits
    sealer: vault.Sealer
    audit: Audit
    openings: Openings
    resources: Resources
    credential_documents: CredentialDocuments
    telephony: Telephony
    phone_calls: PhoneCalls
    signalling: SessionSignalling | None = None
    chat: Chat | None = None
    watched: Watched | None = None
    rights: SocketRights | None = None
    countdown: Countdown | None = None


@asynccontextmanager
async def services(
    settings: Settings,
    clock: Clock | None = None,
    *,
    passwords: Passwords | None = None,
    feed: CalendarFeed | None = None,
    sio: socketio.AsyncServer | None = None,
) -> AsyncIterator[Services]:
    """With `sio`, slot changes are told to viewers over socket.io (`SocketFeed`)."""
    clock = clock or SystemClock()
    db = Database(
        settings.database_url,
        schema=settings.database_schema,
        pool_size=settings.database_pool_size,
    )
    live: LiveState = (
        RedisLiveState(settings.redis_url, settings.redis_prefix)
        if settings.redis_url
        else MemoryLiveState(clock)
    )
    tokens = TokenCodec(settings.secret_key, clock, settings.access_token_ttl)
    metrics = Metrics()
    # One bound on concurrent hashes per app, shared by registration and login.
    passwords = (passwords or Passwords()).bounded(settings.password_hash_concurrency)
    limiter = Limiter(live, settings.secret_key, limits.rules(settings), settings.trusted_proxies)
    # With several processes on Redis, slot changes are published only for watched coaches.
    watched = (
        Watched(sio, settings.redis_url, settings.redis_prefix)
        if sio is not None and settings.redis_url
        else None
    )
    feed = feed or (SocketFeed(sio, watched) if sio is not None else NoFeed())
    # The directory cards' next free slot follows every slot change told to viewers.
    openings = Openings(db, clock)
    feed = TellingOpenings(feed, openings)
    authenticator = Authenticator(db, tokens)
    outbox = Outbox(db, clock, mailer(settings), settings.link_base)
    online: OnlineCoaches | None = None
    presence: Presence | None = None
    rights: SocketRights | None = None
    if sio is not None:
        presence = (
            RedisPresence(settings.redis_url, settings.redis_prefix)
            if settings.redis_url
            else MemoryPresence()
        )
        online = OnlineCoaches(presence, clock)
        bus: Bus = (
            RedisBus(settings.redis_url, settings.redis_prefix, clock)
            if settings.redis_url
            else LocalBus()
        )
        rights = SocketRights(sio, bus)
    stack = AsyncExitStack()
    try:
        sealer = await vault.started(settings, db, clock)
        audit = Audit(db, clock)
        if settings.auto_migrate:  # else `flourish migrate` does it, once per release
            await resealing.reseal(settings, db, sealer)
        async with payment_providers(settings) as (provider, transfers):
            scheduling = Scheduling.build(
                settings,
                db,
                clock,
                feed,
                provider,
                transfers,
                sealer,
                audit,
                rooms=rights,
                push=NotificationPush(sio) if sio is not None else nobody_listening,
                note_announcer=NoteAnnouncer(sio) if sio is not None else None,
            )
            jobs = {
                "expire-holds": (HOLD_SWEEP_SECONDS, scheduling.bookings.expire_holds),
                "forget-idempotency-keys": (3600, lambda: idempotency.sweep(db, clock)),
                "retry-refunds": (REFUND_RETRY_SECONDS, scheduling.refunds.retry_pending),
                "pay-coaches": (settings.payout_interval_hours * 3600, scheduling.payouts.run),
                "send-email": (EMAIL_POLL_SECONDS, outbox.send_due),
                "next-free-slots": (OPENINGS_POLL_SECONDS, openings.run),
                "refresh-calendars": (60, scheduling.imports.refresh_due),
                "decide-outcomes": (OUTCOME_SWEEP_SECONDS, scheduling.attendance.decide_overdue),
                "send-reminders": (REMINDER_POLL_SECONDS, scheduling.reminders.send_due),
            }
            if watched is not None:
                jobs["mark-watched-coaches"] = (WATCH_REFRESH, watched.refresh)
            signalling = None
            socket_limits = SocketLimits.of(settings, clock)
            chat = None
            if sio is not None and presence is not None:
                signalling = SessionSignalling(
                    sio,
                    settings,
                    clock,
                    authenticator,
                    scheduling.sessions,
                    presence,
                    socket_limits,
                )
                chat = Chat(sio, settings, clock, scheduling.messages, signalling)
            countdown = None
            attendance = None
            if rights is not None and signalling is not None:
                store: Store = (
                    RedisStore(settings.redis_url, settings.redis_prefix)
                    if settings.redis_url
                    else MemoryStore()
                )
                countdown = Countdown(
                    sio, settings, clock, scheduling.sessions, signalling, rights, store, metrics
                )
                rights.on_close(countdown.following(signalling.close_room))
                attendance = Attendance(signalling, countdown, scheduling.attendance)
                attendance.register()
            files = await blob_store(settings, stack)
            credential_documents = CredentialDocuments(db, clock, sealer, audit, files)
            resources = Resources(
                db,
                clock,
                sealer,
                audit,
                files,
                settings.secret_key,
                Caps(
                    files_per_session=settings.resource_files_per_session,
                    library_items=settings.library_max_items,
                    library_bytes=settings.library_max_bytes,
                ),
                RoomAnnouncer(sio) if sio is not None else None,
            )
            async with (
                running(clock, jobs),
                _running(attendance),  # after the sockets close: their leaves are written
                _running(signalling),
                _running(rights),
                _running(countdown),
            ):
                yield Services(
                    settings=settings,
                    clock=clock,
                    db=db,
                    live=live,
                    metrics=metrics,
                    passwords=passwords,
                    tokens=tokens,
                    limiter=limiter,
                    authenticator=authenticator,
                    accounts=Accounts(
                        settings,
                        clock,
                        db,
                        live,
                        passwords,
                        tokens,
                        metrics,
                        sealer,
                        revocations=rights,
                    ),
                    outbox=outbox,
                    coaching=Coaching.build(db, clock, settings.secret_key, online, audit),
                    scheduling=scheduling,
                    socket_limits=socket_limits,
                    sealer=sealer,
                    audit=audit,
                    openings=openings,
                    resources=resources,
                    credential_documents=credential_documents,
                    telephony=Telephony(
                        TwilioProvider(settings.twilio_auth_token)
                        if settings.phone_enabled
                        else None,
                        scheduling.phone_pins,
                        settings.link_base,
                        ticket_key(settings.secret_key),
                        clock,
                    ),
                    phone_calls=PhoneCalls(
                        PhoneLogins(db, clock, tokens), settings.phone_max_calls, metrics
                    ),
                    signalling=signalling,
                    chat=chat,
                    watched=watched,
                    rights=rights,
                    countdown=countdown,
                )
    finally:
        await stack.aclose()
        if watched is not None:
            await watched.close()
        await live.close()
        await db.close()


async def blob_store(settings: Settings, stack: AsyncExitStack) -> blobs.Blobs:
    """Where shared files are kept (RESOURCE_STORE): the S3 client stays open on `stack`."""
    if settings.resource_store == "s3":
        client = await blobs.s3_client(
            stack,
            endpoint=settings.s3_endpoint,
            region=settings.s3_region,
            access_key=settings.s3_access_key_id,
            secret_key=settings.s3_secret_access_key,
        )
        return blobs.S3Blobs(client, settings.s3_bucket)
    return blobs.LocalBlobs(Path(settings.resource_dir or "var/resources"))


def mailer(settings: Settings) -> Mailer:
    """SMTP when SMTP_HOST is set; otherwise emails' links go to the log (development)."""
    if not settings.smtp_host:
        return LogMailer()
    return SmtpMailer(
        SmtpConfig(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            tls=settings.smtp_tls,
            sender=settings.email_from,
        )
    )


class _Running(Protocol):
    def running(self) -> AbstractAsyncContextManager[None]: ...


@asynccontextmanager
async def _running(part: _Running | None) -> AsyncIterator[None]:
    """`part.running()` for the app's lifetime, when there is a part (socket.io is optional)."""
    if part is None:
        yield
        return
    async with part.running():
        yield


@asynccontextmanager
async def payment_providers(
    settings: Settings,
) -> AsyncIterator[tuple[PaymentProvider, Transfers]]:
    """The payment provider PAYMENTS_PROVIDER names and the transfers that pay coaches: the demo
    provider for both, or Stripe (PaymentIntents and refunds; Connect transfers), whose HTTP
    client is closed at the end."""
    if settings.payments_provider == "demo":
        demo = DemoProvider(settings.secret_key)
        yield demo, demo
        return
    if settings.payments_provider != "stripe":
        raise SettingsError("PAYMENTS_PROVIDER", "demo or stripe", got=settings.payments_provider)
    client = stripe_payments.client(settings.stripe_secret_key, settings.stripe_api_base)
    try:
        yield (
            stripe_payments.StripeProvider(client, settings.stripe_publishable_key),
            StripeConnect(client),
        )
    finally:
        await stripe_payments.client_close(client)


def serve_sockets(sio: socketio.AsyncServer, s: Services) -> None:
    """Put every socket.io namespace's handlers on the server."""
    Availability(
        sio, s.authenticator, s.coaching.coaches, s.socket_limits, s.clock, s.watched
    ).register()
    if s.signalling is not None:
        s.signalling.register()
        MediaState(sio, s.signalling).register()
    if s.chat is not None:
        s.chat.register()
    if s.countdown is not None:
        s.countdown.register()


def provide(app: web.Application, s: Services) -> None:
    """Give each API the objects it declared an AppKey for."""
    app[CLOCK] = s.clock
    app[METRICS] = s.metrics
    app[DATABASE] = s.db
    app[LIVE] = s.live
    app[AUTHENTICATOR] = s.authenticator
    app[LIMITER] = s.limiter
    app[ACCOUNTS] = s.accounts
    app[COACHING] = s.coaching
    app[SCHEDULING] = s.scheduling
    app[RESOURCES] = s.resources
    app[CREDENTIAL_DOCUMENTS] = s.credential_documents
    app[TELEPHONY] = s.telephony
    app[PHONE_CALLS] = s.phone_calls
    app[AUDIT] = AuditAccess(s.audit, proxies=s.settings.trusted_proxies)
