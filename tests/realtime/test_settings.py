"""Settings: defaults, each refusal naming its variable, production refusals, no echoed secrets."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from realtime import settings
from realtime.settings import VARIABLES, Environment, Settings, SettingsError

SECRET = "a-secret-key-that-is-long-enough-for-production-0123"

PRODUCTION = {
    "FLOURISH_ENV": "production",
    "DATABASE_URL": "postgresql+asyncpg://flourish:pw@db:5432/flourish",
    "REDIS_URL": "redis://cache:6379/0",
    "SECRET_KEY": SECRET,
    "MASTER_KEYS": "k2026:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
    "PAYMENTS_PROVIDER": "stripe",
    "STRIPE_SECRET_KEY": "sk_live_abc",
    "STRIPE_PUBLISHABLE_KEY": "pk_live_abc",
    "STRIPE_WEBHOOK_SECRET": "whsec_abc",
    "PUBLIC_URL": "https://flourish.example.org",
    "SMTP_HOST": "smtp.example.org",
}


KEY_A = "a:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
KEY_B = "b:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="


def refusal(environ: dict[str, str], tmp_path: Path) -> SettingsError:
    with pytest.raises(SettingsError) as caught:
        settings.load(environ, var_dir=tmp_path)
    return caught.value


def test_nothing_set_gives_the_embedded_defaults(tmp_path: Path) -> None:
    loaded = settings.load({}, var_dir=tmp_path)
    assert loaded.env is Environment.DEVELOPMENT
    assert (loaded.host, loaded.port) == ("127.0.0.1", 8080)
    assert loaded.is_sqlite
    assert loaded.database_url == "sqlite+aiosqlite:///./var/flourish.db"
    assert loaded.redis_url == ""
    assert loaded.payments_provider == "demo"
    assert loaded.auto_migrate
    assert not loaded.requires_two_factor


def test_development_makes_one_master_key_and_keeps_it(tmp_path: Path) -> None:
    first = settings.load({}, var_dir=tmp_path)
    second = settings.load({}, var_dir=tmp_path)
    [(kid, key)] = first.master_keys
    assert (first.master_key_id, len(key)) == (kid, 32)
    assert second.master_keys == first.master_keys
    assert (tmp_path / "master_keys").stat().st_mode & 0o777 == 0o600
    assert key not in first.secret_key.encode()


def test_several_master_keys_need_the_current_ones_id(tmp_path: Path) -> None:
    two = {"MASTER_KEYS": f"{KEY_A},{KEY_B}"}
    assert refusal(two, tmp_path).variable == "MASTER_KEY_ID"
    loaded = settings.load({**two, "MASTER_KEY_ID": "b"}, var_dir=tmp_path)
    assert [kid for kid, _ in loaded.master_keys] == ["a", "b"]
    assert loaded.master_key_id == "b"
    assert "AAEC" not in repr(loaded)


def test_development_makes_one_secret_key_and_keeps_it(tmp_path: Path) -> None:
    first = settings.load({}, var_dir=tmp_path)
    second = settings.load({}, var_dir=tmp_path)
    assert len(first.secret_key) >= 32
    assert first.secret_key == second.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_documented_defaults_match_the_dataclass(tmp_path: Path) -> None:
    """Each variable's default, given explicitly, loads to the same value as `Settings()`."""
    explicit = {v.name: v.default for v in VARIABLES if v.default is not None}
    loaded = settings.load({**explicit, "SECRET_KEY": SECRET}, var_dir=tmp_path)
    assert loaded == dataclasses.replace(
        Settings(),
        secret_key=SECRET,
        master_keys=loaded.master_keys,  # made under var/, as SECRET_KEY would be
        master_key_id=loaded.master_key_id,
    )


def test_every_variable_is_a_setting() -> None:
    fields = {f.name for f in dataclasses.fields(Settings)}
    names = [v.name for v in VARIABLES]
    assert len(names) == len(set(names))
    assert {"env" if n == "FLOURISH_ENV" else n.lower() for n in names} == fields


def test_values_are_parsed(tmp_path: Path) -> None:
    loaded = settings.load(
        {
            "FLOURISH_ENV": " Development ",
            "PORT": "9000",
            "TRUSTED_PROXIES": "10.0.0.0/8, 2001:db8::1",
            "AUTO_MIGRATE": "off",
            "LOG_LEVEL": "debug",
            "STUN_URLS": "stun:a.example:3478, stun:b.example:3478",
            "TURN_URLS": "turn:t.example:3478?transport=udp,turns:t.example:5349",
            "TURN_SECRET": "coturn-secret",
        },
        var_dir=tmp_path,
    )
    assert loaded.port == 9000
    assert [str(n) for n in loaded.trusted_proxies] == ["10.0.0.0/8", "2001:db8::1/128"]
    assert not loaded.auto_migrate
    assert loaded.log_level == "DEBUG"
    assert loaded.stun_urls == ("stun:a.example:3478", "stun:b.example:3478")
    assert loaded.turn_urls == ("turn:t.example:3478?transport=udp", "turns:t.example:5349")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("FLOURISH_ENV", "staging"),
        ("PORT", "http"),
        ("PORT", "0"),
        ("PORT", "65536"),
        ("DATABASE_URL", "mysql://db/flourish"),
        ("DATABASE_URL", "postgresql://db/flourish"),
        ("DATABASE_SCHEMA", "Tenant-1"),
        ("AUTO_MIGRATE", "sometimes"),
        ("REDIS_URL", "http://cache:6379"),
        ("SECRET_KEY", "too-short"),
        ("ACCESS_TOKEN_TTL", "5"),
        ("REFRESH_TOKEN_TTL", "ten"),
        ("SESSION_IDLE_TIMEOUT", "0"),
        ("LOGIN_MAX_FAILURES", "0"),
        ("LOGIN_MAX_ATTEMPTS_PER_ADDRESS", "-1"),
        ("LOGIN_WINDOW", "86401"),
        ("TRUSTED_PROXIES", "10.0.0.0/8, balancer"),
        ("TRUSTED_PROXIES", "10.0.0.0/33"),
        ("HOLD_LIMIT", "0"),
        ("PASSWORD_HASH_CONCURRENCY", "0"),
        ("MAX_BODY_BYTES", "1k"),
        ("PAYMENTS_PROVIDER", "paypal"),
        ("STRIPE_PUBLISHABLE_KEY", "sk_live_oops"),
        ("STRIPE_WEBHOOK_SECRET", "secret"),
        ("STRIPE_API_BASE", "localhost:8420"),
        ("REFUND_FULL_NOTICE_HOURS", "-1"),
        ("REFUND_LATE_PERCENT", "101"),
        ("PAYOUT_INTERVAL_HOURS", "0"),
        ("STUN_URLS", "stun:ok.example,http://not-stun.example"),
        ("TURN_URLS", "stun:not-turn.example"),
        ("TURN_TTL", "59"),
        ("LOG_LEVEL", "LOUD"),
        ("LOG_FORMAT", "xml"),
        ("PUBLIC_URL", "flourish.example"),
        ("PUBLIC_URL", "https://flourish.example/app"),
        ("PUBLIC_URL", "javascript:alert(1)"),
        ("METRICS_TOKEN", "short"),
        ("MASTER_KEYS", "k1:c2hvcnQ="),
        ("MASTER_KEYS", "no-colon"),
        ("MASTER_KEYS", "bad id:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="),
        ("MASTER_KEY_ID", "k9"),
        ("SEALING", "rot13"),
        ("SESSION_WARNINGS", "300,soon"),
        ("SESSION_WARNINGS", "0"),
        ("SESSION_END_GRACE", "-1"),
        ("TIMER_RECONCILE", "0"),
        ("RESOURCE_STORE", "ftp"),
        ("S3_ENDPOINT", "minio:9000"),
        ("RESOURCE_FILES_PER_SESSION", "0"),
        ("LIBRARY_MAX_ITEMS", "many"),
        ("LIBRARY_MAX_BYTES", "1000"),
        ("RESOURCE_UPLOADS_PER_HOUR", "0"),
    ],
)
def test_a_bad_value_is_refused_naming_its_variable(
    variable: str, value: str, tmp_path: Path
) -> None:
    error = refusal({variable: value}, tmp_path)
    assert error.variable == variable
    assert str(error).startswith(f"{variable}: expected ")


def test_session_warnings_are_seconds_before_the_end_latest_first(tmp_path: Path) -> None:
    loaded = settings.load({"SESSION_WARNINGS": " 60, 300,60 "}, var_dir=tmp_path)
    assert loaded.session_warnings == (300, 60)
    assert settings.load({"SESSION_WARNINGS": ""}, var_dir=tmp_path).session_warnings == ()


def test_an_s3_store_needs_its_bucket(tmp_path: Path) -> None:
    error = refusal({"RESOURCE_STORE": "s3"}, tmp_path)
    assert error.variable == "S3_BUCKET"


def test_stripe_payments_need_a_secret_key(tmp_path: Path) -> None:
    error = refusal({"PAYMENTS_PROVIDER": "stripe", "STRIPE_SECRET_KEY": "pk_x"}, tmp_path)
    assert error.variable == "STRIPE_SECRET_KEY"


def test_turn_urls_need_the_turn_secret(tmp_path: Path) -> None:
    error = refusal({"TURN_URLS": "turn:turn.example:3478"}, tmp_path)
    assert error.variable == "TURN_SECRET"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SECRET_KEY", "hunter2-hunter2"),
        ("STRIPE_PUBLISHABLE_KEY", "sk_live_hunter2"),
        ("STRIPE_WEBHOOK_SECRET", "hunter2"),
        ("DATABASE_URL", "mysql://flourish:hunter2@db/flourish"),
        ("DATABASE_URL", "flourish:hunter2@db/flourish"),
        ("REDIS_URL", "http://:hunter2@cache:6379"),
        ("STRIPE_API_BASE", "ftp://user:hunter2@stripe.example"),
        ("MASTER_KEYS", "k1:hunter2"),
    ],
)
def test_secrets_are_not_echoed(variable: str, value: str, tmp_path: Path) -> None:
    error = refusal({variable: value}, tmp_path)
    assert error.variable == variable
    assert "hunter2" not in str(error)


def test_links_point_at_this_port_in_development(tmp_path: Path) -> None:
    assert settings.load({"PORT": "9000"}, var_dir=tmp_path).link_base == "http://127.0.0.1:9000"
    everywhere = settings.load({"HOST": "0.0.0.0", "PORT": "9000"}, var_dir=tmp_path)
    assert everywhere.link_base == "http://localhost:9000"
    named = settings.load({"HOST": "flourish.lan", "PORT": "9000"}, var_dir=tmp_path)
    assert named.link_base == "http://flourish.lan:9000"
    given = settings.load({"PUBLIC_URL": "https://flourish.example/"}, var_dir=tmp_path)
    assert given.link_base == "https://flourish.example"


def test_stripe_secret_key_is_not_echoed(tmp_path: Path) -> None:
    error = refusal({"PAYMENTS_PROVIDER": "stripe", "STRIPE_SECRET_KEY": "whsec_hunter2"}, tmp_path)
    assert "hunter2" not in str(error)


def test_secrets_are_not_in_the_settings_repr(tmp_path: Path) -> None:
    environ = {**PRODUCTION, "TURN_SECRET": "coturn-hunter2", "METRICS_TOKEN": "m-hunter2" * 4}
    loaded = settings.load(environ, var_dir=tmp_path)
    shown = repr(loaded)
    assert "hunter2" not in shown
    assert SECRET not in shown
    assert "sk_live_abc" not in shown
    assert "whsec_abc" not in shown


def test_production_with_everything_real_loads(tmp_path: Path) -> None:
    loaded = settings.load(PRODUCTION, var_dir=tmp_path)
    assert loaded.production
    assert loaded.requires_two_factor
    assert not loaded.auto_migrate
    assert not (tmp_path / "secret_key").exists()


def test_production_can_migrate_at_start_when_asked(tmp_path: Path) -> None:
    assert settings.load({**PRODUCTION, "AUTO_MIGRATE": "true"}, var_dir=tmp_path).auto_migrate


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "sqlite+aiosqlite:///./var/flourish.db"),
        ("REDIS_URL", ""),
        ("SECRET_KEY", ""),
        ("SECRET_KEY", "short-but-set"),
        ("PAYMENTS_PROVIDER", "demo"),
        ("STRIPE_WEBHOOK_SECRET", ""),
        ("SMTP_HOST", ""),
        ("PUBLIC_URL", ""),
        ("PUBLIC_URL", "http://flourish.example.org"),
        ("MASTER_KEYS", ""),
        ("SEALING", "off-benchmarks-only"),
    ],
)
def test_production_refuses_embedded_defaults(variable: str, value: str, tmp_path: Path) -> None:
    error = refusal({**PRODUCTION, variable: value}, tmp_path)
    assert error.variable == variable


@pytest.mark.parametrize(
    "missing", ["DATABASE_URL", "REDIS_URL", "SECRET_KEY", "PUBLIC_URL", "MASTER_KEYS"]
)
def test_production_refuses_an_unset_essential(missing: str, tmp_path: Path) -> None:
    environ = {k: v for k, v in PRODUCTION.items() if k != missing}
    assert refusal(environ, tmp_path).variable == missing


def test_a_refused_configuration_leaves_nothing_behind(tmp_path: Path) -> None:
    with pytest.raises(SettingsError):
        settings.load({"LOG_FORMAT": "xml"}, var_dir=tmp_path / "var")
    assert not (tmp_path / "var").exists()
