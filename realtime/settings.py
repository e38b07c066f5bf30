"""Settings, read once at start from the environment and validated.

A wrong value stops the server with a `SettingsError` naming the variable and what was expected;
secrets are never echoed. `docs/configuration.md` lists every variable; a test keeps it and
`docker-compose.yml` in step with `VARIABLES` below.

Development (the default) runs on embedded defaults: SQLite under `./var/`, live state in
process, the demo payment provider. Production (`FLOURISH_ENV=production`) refuses all three,
requires a real `SECRET_KEY` and two-factor login for coaches and admins.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class SettingsError(Exception):
    """A setting is missing or wrong. The message names the variable and what was expected."""

    def __init__(self, variable: str, expected: str, *, got: str | None = None) -> None:
        shown = f" (got {got!r})" if got is not None else ""
        super().__init__(f"{variable}: expected {expected}{shown}")
        self.variable = variable


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


@dataclass(frozen=True)
class Variable:
    """One environment variable: its name, its default (None: required or unset) and meaning."""

    name: str
    default: str | None
    meaning: str
    secret: bool = False


VARIABLES: tuple[Variable, ...] = (
    Variable("FLOURISH_ENV", "development", "`development` or `production`."),
    Variable("HOST", "127.0.0.1", "Address `flourish serve` listens on."),
    Variable("PORT", "8080", "TCP port `flourish serve` listens on."),
    Variable(
        "DATABASE_URL",
        "sqlite+aiosqlite:///./var/flourish.db",
        "SQLAlchemy async URL: `sqlite+aiosqlite:///path` or `postgresql+asyncpg://...`; "
        "PostgreSQL in production (percent-encode special characters in its password).",
    ),
    Variable(
        "DATABASE_SCHEMA", "", "PostgreSQL schema to use instead of `public` (tests use one each)."
    ),
    Variable(
        "DATABASE_POOL_SIZE",
        "20",
        "PostgreSQL connections each server process keeps open (up to a quarter more in bursts). "
        "Size it to the requests one process has in flight (opening a connection costs more "
        "than several queries), and keep processes x 1.25 x this under PostgreSQL's "
        "`max_connections`.",
    ),
    Variable(
        "AUTO_MIGRATE",
        None,
        "Apply migrations at start: default true in development, false in production "
        "(run `flourish migrate` once per release instead).",
    ),
    Variable(
        "REDIS_URL",
        "",
        "Redis for live state; empty keeps live state in process. Required in production.",
    ),
    Variable("REDIS_PREFIX", "flourish:", "Prefix of every Redis key this deployment writes."),
    Variable(
        "SECRET_KEY",
        None,
        "At least 32 characters; signs tokens and derives encryption keys. Required in "
        "production; development makes one under `./var/` if unset.",
        secret=True,
    ),
    Variable(
        "MASTER_KEYS",
        None,
        "Master keys (key-encryption keys) that wrap the data keys of private data, "
        "comma-separated `id:base64` of 32 random bytes each (`id`: letters, digits, `-`, `_`); "
        "keep old ones listed until `flourish rotate-master-key` has run. Independent of "
        "`SECRET_KEY`. Required in production; development makes one under `./var/` if unset.",
        secret=True,
    ),
    Variable(
        "MASTER_KEY_ID",
        "",
        "Id of the master key in `MASTER_KEYS` that wraps new data keys (the target of "
        "`flourish rotate-master-key`); empty: the only key of `MASTER_KEYS`.",
    ),
    Variable(
        "SEALING",
        "aes-256-gcm",
        "`aes-256-gcm`; `off-benchmarks-only` stores private data IN CLEAR, for the chat "
        "benchmark's comparison only (refused in production).",
    ),
    Variable("ACCESS_TOKEN_TTL", "900", "Seconds an access token lives."),
    Variable("REFRESH_TOKEN_TTL", "43200", "Seconds a login session lives at most."),
    Variable("SESSION_IDLE_TIMEOUT", "1800", "Seconds without a refresh before a session ends."),
    Variable("LOGIN_MAX_FAILURES", "5", "Failed logins per account per window before a pause."),
    Variable("LOGIN_MAX_ATTEMPTS_PER_ADDRESS", "30", "Login attempts per address per window."),
    Variable("LOGIN_WINDOW", "900", "Seconds of the login rate-limit window."),
    Variable(
        "PASSWORD_MIN_SCORE",
        "3",
        "Least zxcvbn strength score (0-4) a new password needs; 3 resists an offline attack "
        "on a slow hash.",
    ),
    Variable("EMAIL_VERIFY_HOURS", "48", "Hours an email-verification link works (once)."),
    Variable("PASSWORD_RESET_MINUTES", "30", "Minutes a password-reset link works (once)."),
    Variable(
        "PUBLIC_URL",
        "",
        "The site's public origin (`https://flourish.example`), used for every link the server "
        "writes (emails, calendar files), never the request's `Host` header. Required in "
        "production; empty in development: `http://HOST:PORT` as the server listens (`localhost` "
        "when HOST is a wildcard address).",
    ),
    Variable(
        "SMTP_HOST",
        "",
        "SMTP server that sends email; empty (refused in production): each email's links are "
        "written to the log instead.",
    ),
    Variable("SMTP_PORT", "587", "SMTP server port (587 with STARTTLS, 465 with TLS)."),
    Variable("SMTP_USERNAME", "", "SMTP login; empty: no authentication."),
    Variable("SMTP_PASSWORD", "", "SMTP password.", secret=True),
    Variable(
        "SMTP_TLS",
        "starttls",
        "`starttls` (upgrade the connection, port 587), `tls` (TLS from the start, port 465) "
        "or `none` (a local relay only).",
    ),
    Variable("EMAIL_FROM", "Flourish <no-reply@localhost>", "The `From` of every email."),
    Variable(
        "TRUSTED_PROXIES",
        "",
        "Comma-separated CIDRs of the load balancers in front (`10.0.0.0/8, ::1/128`). A request "
        "from one of them is taken to come from the right-most `X-Forwarded-For` address that is "
        "not one of them; empty: the connection's peer is the client and the header is ignored.",
    ),
    Variable(
        "REGISTRATIONS_PER_ADDRESS",
        "10",
        "Accounts one client address may register per REGISTRATION_WINDOW.",
    ),
    Variable("REGISTRATION_WINDOW", "3600", "Seconds of the registration rate-limit window."),
    Variable(
        "PASSWORD_HASH_CONCURRENCY",
        "2",
        "Argon2 hashes (64 MiB each) one process computes at once, for registration and login "
        "together; more wait their turn.",
    ),
    Variable("MAX_BODY_BYTES", "262144", "Largest request body accepted, in bytes."),
    Variable(
        "METRICS_TOKEN",
        "",
        "Bearer token Prometheus sends to `/metrics` (at least 32 characters); unset, "
        "`/metrics` answers 404.",
        secret=True,
    ),
    Variable("PAYMENTS_PROVIDER", "demo", "`demo` (refused in production) or `stripe`."),
    Variable(
        "STRIPE_SECRET_KEY",
        "",
        "Stripe secret or restricted key (`sk_...`, `rk_...`); required with `stripe`.",
        secret=True,
    ),
    Variable("STRIPE_PUBLISHABLE_KEY", "", "Stripe publishable key (`pk_...`)."),
    Variable(
        "STRIPE_WEBHOOK_SECRET",
        "",
        "Stripe webhook signing secret (`whsec_...`); required with `stripe` in production.",
        secret=True,
    ),
    Variable("STRIPE_API_BASE", "", "Stripe API base URL (tests point it at localstripe)."),
    Variable(
        "REFUND_FULL_NOTICE_HOURS",
        "24",
        "A client who cancels at least this many hours before the start is refunded in full.",
    ),
    Variable(
        "REFUND_LATE_PERCENT",
        "50",
        "Percent refunded to a client who cancels later than REFUND_FULL_NOTICE_HOURS.",
    ),
    Variable(
        "PAYOUT_INTERVAL_HOURS",
        "24",
        "Hours between payout runs, which pay each coach's available balance.",
    ),
    Variable("STUN_URLS", "", "Comma-separated STUN URLs given to peers."),
    Variable("TURN_URLS", "", "Comma-separated TURN URLs given to peers."),
    Variable("TURN_SECRET", "", "coturn `static-auth-secret` for TURN REST credentials.", True),
    Variable("TURN_TTL", "3600", "Seconds a TURN credential stays valid."),
    Variable(
        "JOIN_EARLY_MINUTES",
        "10",
        "Minutes before a session's start from which its participants may join its room.",
    ),
    Variable(
        "OUTCOME_TOGETHER_PERCENT",
        "50",
        "Percent of a session's booked time its coach and client must be in it together for "
        "the session to count as completed (booking.policy.outcomes).",
    ),
    Variable(
        "NO_SHOW_GRACE_MINUTES",
        "15",
        "Minutes after a session's start within which a participant must have joined; one "
        "who did not, while the other did, is a no-show.",
    ),
    Variable(
        "RECONNECT_GRACE",
        "20",
        "Seconds a dropped participant keeps their place in a session room before the other "
        "side is told they left (also how soon a crashed node's peers disappear).",
    ),
    Variable(
        "SESSION_END_GRACE",
        "120",
        "Seconds after a session's booked end until its hard stop: then every participant is "
        "told `session:ended` and put out of the room, its chat closes and nobody may rejoin.",
    ),
    Variable(
        "SESSION_WARNINGS",
        "300,60",
        "Comma-separated seconds before a session's end at which its room is told `timer:warning`.",
    ),
    Variable(
        "TIMER_RECONCILE",
        "60",
        "Seconds between the timer leader's passes over the confirmed bookings ending soon, "
        "planning their session timers (also at start and on taking over the lease).",
    ),
    Variable(
        "JOIN_TIMEOUT", "30", "Seconds a `/session` socket may stay connected without joining."
    ),
    Variable(
        "SIGNAL_RATE",
        "50",
        "Signals per second one `/session` socket may relay (bursts of twice that pass).",
    ),
    Variable(
        "SOCKET_EVENT_RATE",
        "10",
        "Events per second one socket.io socket may send, on every namespace, besides the "
        "`signal`s SIGNAL_RATE allows (bursts of twice that pass).",
    ),
    Variable(
        "SOCKETS_PER_ADDRESS",
        "20",
        "socket.io sockets one client address may have open at once on one server process.",
    ),
    Variable(
        "SOCKETS_PER_USER",
        "10",
        "socket.io sockets one logged-in user may have open at once on one server process.",
    ),
    Variable(
        "CHAT_RATE",
        "5",
        "Chat messages (and typing notices) per second one `/session` socket may send "
        "(bursts of twice that pass).",
    ),
    Variable(
        "GC_THRESHOLD",
        "10000",
        "Objects allocated (net) between two young collections of Python's cyclic garbage "
        "collector in `flourish serve` (Python's default, 700, made collections 40% of the CPU "
        "at 1,000 signalling connections: docs/benchmarks.md).",
    ),
    Variable("HOLD_MINUTES", "10", "Minutes a held slot waits for payment before it is freed."),
    Variable("HOLD_LIMIT", "2", "Live (unpaid, unexpired) holds one client may have in all."),
    Variable("HOLD_LIMIT_PER_COACH", "1", "Live holds one client may have with one coach."),
    Variable(
        "HOLD_ATTEMPTS_PER_ACCOUNT",
        "20",
        "Hold requests one account may make per HOLD_ATTEMPTS_WINDOW, granted or not.",
    ),
    Variable(
        "HOLD_ATTEMPTS_PER_ADDRESS",
        "60",
        "Hold requests one client address may make per HOLD_ATTEMPTS_WINDOW, granted or not.",
    ),
    Variable("HOLD_ATTEMPTS_WINDOW", "600", "Seconds of the hold rate-limit window."),
    Variable(
        "HOLD_LAPSES",
        "3",
        "Holds of one client that may expire unpaid within HOLD_COOLDOWN_MINUTES; after that "
        "many, the client may hold again only once the oldest is that long past.",
    ),
    Variable(
        "HOLD_COOLDOWN_MINUTES", "60", "Minutes over which HOLD_LAPSES expired holds are counted."
    ),
    Variable(
        "RESCHEDULE_NOTICE_HOURS",
        "24",
        "Hours before a session inside which only the coach's consent moves it.",
    ),
    Variable(
        "WEB_DIST",
        "",
        "Directory of the built browser client, served at `/`; empty: the checkout's "
        "`web/dist` (the Docker image sets its own).",
    ),
    Variable(
        "RESOURCE_STORE",
        "local",
        "Where shared files are kept, sealed: `local` (the directory `RESOURCE_DIR`, one "
        "process) or `s3` (an S3-compatible bucket, for several server processes).",
    ),
    Variable("RESOURCE_DIR", "", "Directory of `RESOURCE_STORE=local`; empty: `./var/resources`."),
    Variable("S3_ENDPOINT", "", "URL of the S3-compatible store; empty: AWS S3 itself."),
    Variable("S3_BUCKET", "", "Bucket of `RESOURCE_STORE=s3` (it must exist)."),
    Variable("S3_REGION", "us-east-1", "Region of the S3 bucket."),
    Variable("S3_ACCESS_KEY_ID", "", "Access key of the S3 store; empty: botocore's usual lookup."),
    Variable("S3_SECRET_ACCESS_KEY", "", "Secret of `S3_ACCESS_KEY_ID`.", secret=True),
    Variable("RESOURCE_FILES_PER_SESSION", "30", "Files a coach may share into one session."),
    Variable("LIBRARY_MAX_ITEMS", "200", "Items a coach's resource library holds at most."),
    Variable("LIBRARY_MAX_BYTES", "524288000", "Bytes of files a coach's library holds at most."),
    Variable(
        "RESOURCE_UPLOADS_PER_HOUR", "60", "Resources (files or links) a coach adds per hour."
    ),
    Variable("CALENDAR_IMPORTS_PER_COACH", "5", "Calendars a coach may import busy time from."),
    Variable("CALENDAR_REFRESH_MINUTES", "30", "How often each imported calendar is read again."),
    Variable(
        "CALENDAR_FETCH_TIMEOUT_SECONDS",
        "10",
        "Longest wait for an imported calendar's server (connect and whole answer).",
    ),
    Variable("CALENDAR_MAX_BYTES", "5242880", "Largest imported calendar read, in bytes."),
    Variable(
        "CALENDAR_ALLOW_PRIVATE_ADDRESSES",
        "false",
        "`true` lets imported calendars live on private, loopback or link-local addresses "
        "(tests, a CalDAV server on the same network); refused otherwise, so a coach cannot "
        "make the server fetch from inside its network.",
    ),
    Variable("PHONE_ENABLED", "false", "`true`: callers may join sessions by phone (Twilio)."),
    Variable(
        "TWILIO_AUTH_TOKEN",
        "",
        "Twilio auth token that signs webhooks and the Media Streams upgrade; required with "
        "PHONE_ENABLED.",
        secret=True,
    ),
    Variable("PHONE_NUMBER", "", "Dial-in number shown to clients (E.164, e.g. `+14155550100`)."),
    Variable(
        "PHONE_MAX_CALLS",
        "100",
        "Most bridged phone calls one server process carries at once; the next stream is "
        "refused (503) and the caller hears Twilio's error. Measured: docs/benchmarks.md.",
    ),
    Variable("LOG_LEVEL", "INFO", "`DEBUG`, `INFO`, `WARNING` or `ERROR`."),
    Variable("LOG_FORMAT", "json", "`json` (one object a line) or `text`."),
)

_DEFAULTS = {v.name: v.default for v in VARIABLES}


@dataclass(frozen=True)
class Settings:
    env: Environment = Environment.DEVELOPMENT
    host: str = "127.0.0.1"
    port: int = 8080
    database_url: str = "sqlite+aiosqlite:///./var/flourish.db"
    database_schema: str = ""
    database_pool_size: int = 20
    auto_migrate: bool = True
    redis_url: str = ""
    redis_prefix: str = "flourish:"
    secret_key: str = field(default="", repr=False)
    master_keys: tuple[tuple[str, bytes], ...] = field(default=(), repr=False)
    master_key_id: str = ""
    sealing: str = "aes-256-gcm"
    access_token_ttl: int = 900
    refresh_token_ttl: int = 43200
    session_idle_timeout: int = 1800
    login_max_failures: int = 5
    login_max_attempts_per_address: int = 30
    login_window: int = 900
    password_min_score: int = 3
    email_verify_hours: int = 48
    password_reset_minutes: int = 30
    public_url: str = ""
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_tls: str = "starttls"
    email_from: str = "Flourish <no-reply@localhost>"
    trusted_proxies: tuple[IPNetwork, ...] = ()
    registrations_per_address: int = 10
    registration_window: int = 3600
    password_hash_concurrency: int = 2
    max_body_bytes: int = 262144
    metrics_token: str = field(default="", repr=False)
    payments_provider: str = "demo"
    stripe_secret_key: str = field(default="", repr=False)
    stripe_publishable_key: str = ""
    stripe_webhook_secret: str = field(default="", repr=False)
    stripe_api_base: str = ""
    refund_full_notice_hours: int = 24
    refund_late_percent: int = 50
    payout_interval_hours: int = 24
    stun_urls: tuple[str, ...] = ()
    turn_urls: tuple[str, ...] = ()
    turn_secret: str = field(default="", repr=False)
    turn_ttl: int = 3600
    join_early_minutes: int = 10
    outcome_together_percent: int = 50
    no_show_grace_minutes: int = 15
    reconnect_grace: int = 20
    session_end_grace: int = 120
    session_warnings: tuple[int, ...] = (300, 60)
    timer_reconcile: int = 60
    join_timeout: int = 30
    signal_rate: int = 50
    socket_event_rate: int = 10
    sockets_per_address: int = 20
    sockets_per_user: int = 10
    chat_rate: int = 5
    gc_threshold: int = 10000
    hold_minutes: int = 10
    hold_limit: int = 2
    hold_limit_per_coach: int = 1
    hold_attempts_per_account: int = 20
    hold_attempts_per_address: int = 60
    hold_attempts_window: int = 600
    hold_lapses: int = 3
    hold_cooldown_minutes: int = 60
    reschedule_notice_hours: int = 24
    web_dist: str = ""
    resource_store: str = "local"
    resource_dir: str = ""
    s3_endpoint: str = ""
    s3_bucket: str = ""
    s3_region: str = "us-east-1"
    s3_access_key_id: str = ""
    s3_secret_access_key: str = field(default="", repr=False)
    resource_files_per_session: int = 30
    library_max_items: int = 200
    library_max_bytes: int = 524288000
    resource_uploads_per_hour: int = 60
    calendar_imports_per_coach: int = 5
    calendar_refresh_minutes: int = 30
    calendar_fetch_timeout_seconds: int = 10
    calendar_max_bytes: int = 5242880
    calendar_allow_private_addresses: bool = False
    phone_enabled: bool = False
    twilio_auth_token: str = field(default="", repr=False)
    phone_number: str = ""
    phone_max_calls: int = 100
    log_level: str = "INFO"
    log_format: str = "json"

    @property
    def production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def link_base(self) -> str:
        """Where every link we write points (emails, calendar files): PUBLIC_URL, or in
        development this server as it listens."""
        if self.public_url:
            return self.public_url
        wildcard = self.host in ("", "0.0.0.0", "::")  # every address: name this machine
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{'localhost' if wildcard else host}:{self.port}"

    @property
    def requires_two_factor(self) -> bool:
        """Coaches and admins must log in with TOTP: always in production."""
        return self.production


def load(environ: Mapping[str, str], *, var_dir: Path = Path("var")) -> Settings:
    """Read and validate every setting; raise `SettingsError` on the first bad one."""

    def raw(name: str) -> str:
        value = environ.get(name)
        if value is None:
            value = _DEFAULTS[name] or ""
        return value.strip()

    env_raw = raw("FLOURISH_ENV").lower()
    try:
        env = Environment(env_raw)
    except ValueError:
        raise SettingsError("FLOURISH_ENV", "`development` or `production`", got=env_raw) from None
    production = env is Environment.PRODUCTION

    database_url = raw("DATABASE_URL")
    scheme = urlsplit(database_url).scheme
    if scheme not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
        raise SettingsError(
            "DATABASE_URL",
            "a URL starting sqlite+aiosqlite:/// or postgresql+asyncpg://",
            got=scheme or None,  # only the scheme: the rest may hold a password
        )
    if production and scheme.startswith("sqlite"):
        raise SettingsError("DATABASE_URL", "PostgreSQL in production, not the embedded SQLite")
    schema = raw("DATABASE_SCHEMA")
    if schema and not (schema.isidentifier() and schema.isascii() and schema.islower()):
        raise SettingsError("DATABASE_SCHEMA", "a lower-case SQL identifier", got=schema)

    redis_url = raw("REDIS_URL")
    redis_scheme = urlsplit(redis_url).scheme
    if redis_url and redis_scheme not in ("redis", "rediss", "unix"):
        raise SettingsError("REDIS_URL", "a redis:// or rediss:// URL", got=redis_scheme or None)
    if production and not redis_url:
        raise SettingsError("REDIS_URL", "a Redis URL in production (live state is shared)")

    secret_key = raw("SECRET_KEY")
    if not secret_key and production:
        raise SettingsError("SECRET_KEY", "at least 32 characters in production")
    if secret_key and len(secret_key) < 32:
        raise SettingsError("SECRET_KEY", "at least 32 characters")

    master_keys = _master_keys(raw("MASTER_KEYS"))
    if not master_keys and production:
        raise SettingsError("MASTER_KEYS", "id:base64key (32 random bytes) in production")
    master_key_id = raw("MASTER_KEY_ID")
    if master_keys:
        master_key_id = _current_master_key(master_keys, master_key_id)
    elif master_key_id:
        raise SettingsError("MASTER_KEY_ID", "empty when MASTER_KEYS is unset", got=master_key_id)
    sealing = raw("SEALING").lower()
    if sealing not in ("aes-256-gcm", "off-benchmarks-only"):
        raise SettingsError("SEALING", "`aes-256-gcm` or `off-benchmarks-only`", got=sealing)
    if production and sealing != "aes-256-gcm":
        raise SettingsError("SEALING", "`aes-256-gcm` in production (private data sealed)")

    provider = raw("PAYMENTS_PROVIDER").lower()
    if provider not in ("demo", "stripe"):
        raise SettingsError("PAYMENTS_PROVIDER", "`demo` or `stripe`", got=provider)
    if production and provider == "demo":
        raise SettingsError("PAYMENTS_PROVIDER", "`stripe` in production; demo payments refused")
    stripe_secret = raw("STRIPE_SECRET_KEY")
    if provider == "stripe" and not stripe_secret.startswith(("sk_", "rk_")):
        raise SettingsError(
            "STRIPE_SECRET_KEY", "a key starting sk_ or rk_ when payments use Stripe"
        )
    # Key values are never shown: a secret key pasted into the wrong variable would be echoed.
    stripe_publishable = raw("STRIPE_PUBLISHABLE_KEY")
    if stripe_publishable and not stripe_publishable.startswith("pk_"):
        raise SettingsError("STRIPE_PUBLISHABLE_KEY", "a key starting pk_")
    stripe_webhook_secret = raw("STRIPE_WEBHOOK_SECRET")
    if stripe_webhook_secret and not stripe_webhook_secret.startswith("whsec_"):
        raise SettingsError("STRIPE_WEBHOOK_SECRET", "a signing secret starting whsec_")
    if production and provider == "stripe" and not stripe_webhook_secret:
        raise SettingsError(
            "STRIPE_WEBHOOK_SECRET", "the webhook signing secret in production (whsec_...)"
        )
    stripe_api_base = raw("STRIPE_API_BASE")
    phone_enabled = _bool("PHONE_ENABLED", raw("PHONE_ENABLED"))
    twilio_auth_token = raw("TWILIO_AUTH_TOKEN")
    if phone_enabled and not twilio_auth_token:
        raise SettingsError("TWILIO_AUTH_TOKEN", "the Twilio auth token with PHONE_ENABLED=true")
    phone_number = raw("PHONE_NUMBER")
    if phone_number and not re.fullmatch(r"\+[1-9]\d{6,14}", phone_number):
        raise SettingsError("PHONE_NUMBER", "an E.164 number like +14155550100", got=phone_number)
    if stripe_api_base and urlsplit(stripe_api_base).scheme not in ("http", "https"):
        raise SettingsError("STRIPE_API_BASE", "an http:// or https:// URL")

    auto_raw = environ.get("AUTO_MIGRATE")
    auto_migrate = (not production) if auto_raw is None else _bool("AUTO_MIGRATE", auto_raw)

    log_level = raw("LOG_LEVEL").upper()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise SettingsError("LOG_LEVEL", "DEBUG, INFO, WARNING or ERROR", got=log_level)
    log_format = raw("LOG_FORMAT").lower()
    if log_format not in ("json", "text"):
        raise SettingsError("LOG_FORMAT", "`json` or `text`", got=log_format)

    turn_urls = _urls("TURN_URLS", raw("TURN_URLS"), ("turn:", "turns:"))
    turn_secret = raw("TURN_SECRET")
    if turn_urls and not turn_secret:
        raise SettingsError("TURN_SECRET", "coturn's static-auth-secret when TURN_URLS is set")

    public_url = raw("PUBLIC_URL").rstrip("/")
    if not public_url and production:
        raise SettingsError("PUBLIC_URL", "the site's public https:// origin in production")
    public = urlsplit(public_url)
    if public_url and (
        public.scheme not in ("http", "https")
        or not public.hostname
        or public.path
        or public.query
        or public.fragment
        or (production and public.scheme != "https")
    ):
        wanted = "https://host" if production else "http(s)://host[:port]"
        raise SettingsError("PUBLIC_URL", f"an origin like {wanted}, no path", got=public_url)
    metrics_token = raw("METRICS_TOKEN")
    if metrics_token and len(metrics_token) < 32:
        raise SettingsError("METRICS_TOKEN", "at least 32 characters")
    smtp_host = raw("SMTP_HOST")
    if production and not smtp_host:
        raise SettingsError("SMTP_HOST", "an SMTP server in production (emails carry links)")
    smtp_tls = raw("SMTP_TLS").lower()
    if smtp_tls not in ("starttls", "tls", "none"):
        raise SettingsError("SMTP_TLS", "`starttls`, `tls` or `none`", got=smtp_tls)
    email_from = raw("EMAIL_FROM")
    if "@" not in email_from:
        raise SettingsError("EMAIL_FROM", "an address such as Flourish <no-reply@example.org>")

    resource_store = raw("RESOURCE_STORE").lower()
    if resource_store not in ("local", "s3"):
        raise SettingsError("RESOURCE_STORE", "`local` or `s3`", got=resource_store)
    s3_bucket = raw("S3_BUCKET")
    if resource_store == "s3" and not s3_bucket:
        raise SettingsError("S3_BUCKET", "the bucket's name when RESOURCE_STORE=s3")
    s3_endpoint = raw("S3_ENDPOINT")
    if s3_endpoint and urlsplit(s3_endpoint).scheme not in ("http", "https"):
        raise SettingsError("S3_ENDPOINT", "an http:// or https:// URL", got=s3_endpoint)
    loaded = Settings(
        env=env,
        host=raw("HOST") or "127.0.0.1",
        port=_int("PORT", raw("PORT"), 1, 65535),
        database_url=database_url,
        database_schema=schema,
        database_pool_size=_int("DATABASE_POOL_SIZE", raw("DATABASE_POOL_SIZE"), 1, 1000),
        auto_migrate=auto_migrate,
        redis_url=redis_url,
        redis_prefix=raw("REDIS_PREFIX"),
        secret_key=secret_key,
        master_keys=master_keys,
        master_key_id=master_key_id,
        sealing=sealing,
        access_token_ttl=_int("ACCESS_TOKEN_TTL", raw("ACCESS_TOKEN_TTL"), 30, 86400),
        refresh_token_ttl=_int("REFRESH_TOKEN_TTL", raw("REFRESH_TOKEN_TTL"), 60, 90 * 86400),
        session_idle_timeout=_int(
            "SESSION_IDLE_TIMEOUT", raw("SESSION_IDLE_TIMEOUT"), 60, 90 * 86400
        ),
        login_max_failures=_int("LOGIN_MAX_FAILURES", raw("LOGIN_MAX_FAILURES"), 1, 1000),
        login_max_attempts_per_address=_int(
            "LOGIN_MAX_ATTEMPTS_PER_ADDRESS", raw("LOGIN_MAX_ATTEMPTS_PER_ADDRESS"), 1, 100000
        ),
        login_window=_int("LOGIN_WINDOW", raw("LOGIN_WINDOW"), 1, 86400),
        password_min_score=_int("PASSWORD_MIN_SCORE", raw("PASSWORD_MIN_SCORE"), 0, 4),
        email_verify_hours=_int("EMAIL_VERIFY_HOURS", raw("EMAIL_VERIFY_HOURS"), 1, 30 * 24),
        password_reset_minutes=_int(
            "PASSWORD_RESET_MINUTES", raw("PASSWORD_RESET_MINUTES"), 5, 24 * 60
        ),
        public_url=public_url,
        smtp_host=smtp_host,
        smtp_port=_int("SMTP_PORT", raw("SMTP_PORT"), 1, 65535),
        smtp_username=raw("SMTP_USERNAME"),
        smtp_password=raw("SMTP_PASSWORD"),
        smtp_tls=smtp_tls,
        email_from=email_from,
        trusted_proxies=_networks("TRUSTED_PROXIES", raw("TRUSTED_PROXIES")),
        registrations_per_address=_int(
            "REGISTRATIONS_PER_ADDRESS", raw("REGISTRATIONS_PER_ADDRESS"), 1, 100000
        ),
        registration_window=_int("REGISTRATION_WINDOW", raw("REGISTRATION_WINDOW"), 1, 7 * 86400),
        password_hash_concurrency=_int(
            "PASSWORD_HASH_CONCURRENCY", raw("PASSWORD_HASH_CONCURRENCY"), 1, 256
        ),
        max_body_bytes=_int("MAX_BODY_BYTES", raw("MAX_BODY_BYTES"), 1024, 64 * 1024 * 1024),
        metrics_token=metrics_token,
        payments_provider=provider,
        stripe_secret_key=stripe_secret,
        stripe_publishable_key=stripe_publishable,
        stripe_webhook_secret=stripe_webhook_secret,
        stripe_api_base=stripe_api_base,
        refund_full_notice_hours=_int(
            "REFUND_FULL_NOTICE_HOURS", raw("REFUND_FULL_NOTICE_HOURS"), 0, 30 * 24
        ),
        refund_late_percent=_int("REFUND_LATE_PERCENT", raw("REFUND_LATE_PERCENT"), 0, 100),
        payout_interval_hours=_int(
            "PAYOUT_INTERVAL_HOURS", raw("PAYOUT_INTERVAL_HOURS"), 1, 31 * 24
        ),
        stun_urls=_urls("STUN_URLS", raw("STUN_URLS"), ("stun:", "stuns:")),
        turn_urls=turn_urls,
        turn_secret=turn_secret,
        turn_ttl=_int("TURN_TTL", raw("TURN_TTL"), 60, 7 * 86400),
        join_early_minutes=_int("JOIN_EARLY_MINUTES", raw("JOIN_EARLY_MINUTES"), 0, 24 * 60),
        outcome_together_percent=_int(
            "OUTCOME_TOGETHER_PERCENT", raw("OUTCOME_TOGETHER_PERCENT"), 1, 100
        ),
        no_show_grace_minutes=_int(
            "NO_SHOW_GRACE_MINUTES", raw("NO_SHOW_GRACE_MINUTES"), 0, 24 * 60
        ),
        reconnect_grace=_int("RECONNECT_GRACE", raw("RECONNECT_GRACE"), 1, 3600),
        session_end_grace=_int("SESSION_END_GRACE", raw("SESSION_END_GRACE"), 0, 3600),
        session_warnings=_seconds("SESSION_WARNINGS", raw("SESSION_WARNINGS")),
        timer_reconcile=_int("TIMER_RECONCILE", raw("TIMER_RECONCILE"), 1, 3600),
        join_timeout=_int("JOIN_TIMEOUT", raw("JOIN_TIMEOUT"), 1, 3600),
        signal_rate=_int("SIGNAL_RATE", raw("SIGNAL_RATE"), 1, 100000),
        socket_event_rate=_int("SOCKET_EVENT_RATE", raw("SOCKET_EVENT_RATE"), 1, 100000),
        sockets_per_address=_int("SOCKETS_PER_ADDRESS", raw("SOCKETS_PER_ADDRESS"), 1, 1000000),
        sockets_per_user=_int("SOCKETS_PER_USER", raw("SOCKETS_PER_USER"), 1, 1000000),
        chat_rate=_int("CHAT_RATE", raw("CHAT_RATE"), 1, 100000),
        gc_threshold=_int("GC_THRESHOLD", raw("GC_THRESHOLD"), 100, 10_000_000),
        hold_minutes=_int("HOLD_MINUTES", raw("HOLD_MINUTES"), 1, 120),
        hold_limit=_int("HOLD_LIMIT", raw("HOLD_LIMIT"), 1, 1000000),
        hold_limit_per_coach=_int("HOLD_LIMIT_PER_COACH", raw("HOLD_LIMIT_PER_COACH"), 1, 1000000),
        hold_attempts_per_account=_int(
            "HOLD_ATTEMPTS_PER_ACCOUNT", raw("HOLD_ATTEMPTS_PER_ACCOUNT"), 1, 10_000_000
        ),
        hold_attempts_per_address=_int(
            "HOLD_ATTEMPTS_PER_ADDRESS", raw("HOLD_ATTEMPTS_PER_ADDRESS"), 1, 10_000_000
        ),
        hold_attempts_window=_int("HOLD_ATTEMPTS_WINDOW", raw("HOLD_ATTEMPTS_WINDOW"), 1, 86400),
        hold_lapses=_int("HOLD_LAPSES", raw("HOLD_LAPSES"), 1, 1000000),
        hold_cooldown_minutes=_int(
            "HOLD_COOLDOWN_MINUTES", raw("HOLD_COOLDOWN_MINUTES"), 1, 7 * 24 * 60
        ),
        reschedule_notice_hours=_int(
            "RESCHEDULE_NOTICE_HOURS", raw("RESCHEDULE_NOTICE_HOURS"), 0, 14 * 24
        ),
        web_dist=raw("WEB_DIST"),
        resource_store=resource_store,
        resource_dir=raw("RESOURCE_DIR"),
        s3_endpoint=s3_endpoint,
        s3_bucket=s3_bucket,
        s3_region=raw("S3_REGION") or "us-east-1",
        s3_access_key_id=raw("S3_ACCESS_KEY_ID"),
        s3_secret_access_key=raw("S3_SECRET_ACCESS_KEY"),
        resource_files_per_session=_int(
            "RESOURCE_FILES_PER_SESSION", raw("RESOURCE_FILES_PER_SESSION"), 1, 10000
        ),
        library_max_items=_int("LIBRARY_MAX_ITEMS", raw("LIBRARY_MAX_ITEMS"), 1, 100000),
        library_max_bytes=_int("LIBRARY_MAX_BYTES", raw("LIBRARY_MAX_BYTES"), 1024 * 1024, 1024**4),
        resource_uploads_per_hour=_int(
            "RESOURCE_UPLOADS_PER_HOUR", raw("RESOURCE_UPLOADS_PER_HOUR"), 1, 100000
        ),
        calendar_imports_per_coach=_int(
            "CALENDAR_IMPORTS_PER_COACH", raw("CALENDAR_IMPORTS_PER_COACH"), 1, 100
        ),
        calendar_refresh_minutes=_int(
            "CALENDAR_REFRESH_MINUTES", raw("CALENDAR_REFRESH_MINUTES"), 1, 10080
        ),
        calendar_fetch_timeout_seconds=_int(
            "CALENDAR_FETCH_TIMEOUT_SECONDS", raw("CALENDAR_FETCH_TIMEOUT_SECONDS"), 1, 120
        ),
        calendar_max_bytes=_int(
            "CALENDAR_MAX_BYTES", raw("CALENDAR_MAX_BYTES"), 1024, 100 * 1024 * 1024
        ),
        calendar_allow_private_addresses=_bool(
            "CALENDAR_ALLOW_PRIVATE_ADDRESSES", raw("CALENDAR_ALLOW_PRIVATE_ADDRESSES")
        ),
        phone_enabled=phone_enabled,
        twilio_auth_token=twilio_auth_token,
        phone_number=phone_number,
        phone_max_calls=_int("PHONE_MAX_CALLS", raw("PHONE_MAX_CALLS"), 1, 10_000),
        log_level=log_level,
        log_format=log_format,
    )
    if not loaded.secret_key:  # made last, so that a refused configuration leaves nothing behind
        loaded = replace(loaded, secret_key=_development_secret(var_dir))
    if not loaded.master_keys:
        kid, key = _development_master_key(var_dir)
        loaded = replace(loaded, master_keys=((kid, key),), master_key_id=kid)
    return loaded


def _int(name: str, raw: str, low: int, high: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(name, f"a whole number from {low} to {high}", got=raw) from None
    if not low <= value <= high:
        raise SettingsError(name, f"a whole number from {low} to {high}", got=raw)
    return value


def _seconds(name: str, raw: str) -> tuple[int, ...]:
    """Comma-separated whole seconds, 1 to a day each (none: an empty value)."""
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if not all(part.isdigit() and 1 <= int(part) <= 86400 for part in parts):
        raise SettingsError(name, "comma-separated whole seconds, 1-86400 each", got=raw)
    return tuple(sorted({int(part) for part in parts}, reverse=True))


def _bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise SettingsError(name, "true or false", got=raw)


def _networks(name: str, raw: str) -> tuple[IPNetwork, ...]:
    networks = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise SettingsError(
                name, "comma-separated CIDRs such as 10.0.0.0/8", got=part
            ) from None
    return tuple(networks)


def _urls(name: str, raw: str, schemes: tuple[str, ...]) -> tuple[str, ...]:
    urls = tuple(u.strip() for u in raw.split(",") if u.strip())
    for url in urls:
        if not url.startswith(schemes):
            raise SettingsError(name, f"URLs starting {' or '.join(schemes)}", got=url)
    return urls


def _development_secret(var_dir: Path) -> str:
    """A per-checkout secret under `./var/`, so tokens survive a restart in development."""
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key + "\n")
    path.chmod(0o600)
    return key


_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")


def _master_keys(raw: str) -> tuple[tuple[str, bytes], ...]:
    """`id:base64,id:base64`; the key material is never shown in an error."""
    keys: list[tuple[str, bytes]] = []
    for part in (p.strip() for p in raw.split(",") if p.strip()):
        kid, sep, encoded = part.partition(":")
        if not sep or not _KEY_ID.fullmatch(kid):
            raise SettingsError(
                "MASTER_KEYS", "id:base64 pairs, each id 1-32 letters, digits, - or _"
            )
        try:
            key = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != 32:
            raise SettingsError("MASTER_KEYS", f"key {kid!r} as base64 of exactly 32 bytes")
        if kid in dict(keys):
            raise SettingsError("MASTER_KEYS", f"each id once ({kid!r} is given twice)")
        keys.append((kid, key))
    return tuple(keys)


def _current_master_key(keys: tuple[tuple[str, bytes], ...], kid: str) -> str:
    ids = [k for k, _ in keys]
    if not kid:
        if len(ids) > 1:
            raise SettingsError(
                "MASTER_KEY_ID", "the current key's id when MASTER_KEYS has several"
            )
        return ids[0]
    if kid not in ids:
        raise SettingsError("MASTER_KEY_ID", "the id of one of the keys in MASTER_KEYS", got=kid)
    return kid


def _development_master_key(var_dir: Path) -> tuple[str, bytes]:
    """A per-checkout master key under `./var/` (0600), like the development SECRET_KEY."""
    path = var_dir / "master_keys"
    if path.exists():
        return _master_keys(path.read_text().strip())[0]
    var_dir.mkdir(parents=True, exist_ok=True)
    value = new_master_key("dev1")
    path.touch(mode=0o600)
    path.write_text(value + "\n")
    path.chmod(0o600)
    return _master_keys(value)[0]


def new_master_key(kid: str) -> str:
    """A fresh `MASTER_KEYS` entry, `kid:base64` of 32 random bytes."""
    return f"{kid}:{base64.b64encode(secrets.token_bytes(32)).decode()}"


def reference() -> str:
    """`docs/configuration.md`: every variable, its default and meaning (a test keeps it fresh)."""
    lines = [
        "# Configuration",
        "",
        "<!-- Generated from realtime/settings.py by"
        " `python -m realtime.settings > docs/configuration.md`. Do not edit by hand. -->",
        "",
        "Every setting is an environment variable, read once when `flourish` starts. A wrong value",
        "stops it with a message naming the variable and what was expected; secret values are",
        "never shown.",
        "",
        "With nothing set, `flourish serve` runs on embedded defaults: SQLite under `./var/`,",
        "live state in process, demo payments. `FLOURISH_ENV=production` refuses all three,",
        "requires `SECRET_KEY`, `MASTER_KEYS` and two-factor login for coaches and admins, and",
        "refuses `flourish serve --demo`. See [deployment](deployment.md).",
        "",
        "| Variable | Default | Secret | Meaning |",
        "| --- | --- | --- | --- |",
    ]
    for variable in VARIABLES:
        if variable.default is None:
            default = "(see meaning)"
        elif variable.default == "":
            default = "(empty)"
        else:
            default = f"`{variable.default}`"
        secret = "yes" if variable.secret else ""
        meaning = variable.meaning.replace("|", "\\|")
        lines.append(f"| `{variable.name}` | {default} | {secret} | {meaning} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(reference(), end="")
