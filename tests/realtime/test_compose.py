"""docker-compose.yml and the Dockerfile agree with the settings the app validates at start.

No Docker engine runs here, so the files are read, not run: every variable the app is given is a
known setting and loads in production mode, and each URL points at the service that serves it.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from realtime import settings
from realtime.app import create_app
from realtime.settings import VARIABLES, Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
APP: dict[str, Any] = SERVICES["app"]

# What an operator puts in .env, one realistic value per variable compose asks for.
PLACEHOLDERS = {
    "POSTGRES_PASSWORD": "pg-password-placeholder",
    "SECRET_KEY": "secret-key-placeholder-0123456789abcdef",
    "MASTER_KEYS": "k2026:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
    "STRIPE_SECRET_KEY": "sk_live_placeholder",
    "STRIPE_PUBLISHABLE_KEY": "pk_live_placeholder",
    "STRIPE_WEBHOOK_SECRET": "whsec_placeholder",
    "TURN_HOST": "turn.example.org",
    "TURN_SECRET": "turn-secret-placeholder",
}
SUBSTITUTION = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def interpolate(value: str) -> str:
    """Compose's `${NAME}`, `${NAME:?message}` and `${NAME:-default}`, from PLACEHOLDERS."""

    def one(match: re.Match[str]) -> str:
        name, op = match["name"], match["op"] or ""
        if name in PLACEHOLDERS:
            return PLACEHOLDERS[name]
        assert op.endswith("-"), f"add a placeholder for ${{{name}}} to this test"
        return str(match["arg"])

    return SUBSTITUTION.sub(one, value).replace("$$", "$")


def sources(value: str) -> set[str]:
    """The environment variables a compose value is made from."""
    return {m["name"] for m in SUBSTITUTION.finditer(value)}


def app_environment() -> dict[str, str]:
    return {name: interpolate(str(value)) for name, value in APP["environment"].items()}


def coturn_option(name: str) -> list[str]:
    prefix = f"--{name}="
    return [arg[len(prefix) :] for arg in SERVICES["coturn"]["command"] if arg.startswith(prefix)]


def service_with_image(prefix: str) -> tuple[str, dict[str, Any]]:
    [found] = [(n, s) for n, s in SERVICES.items() if str(s.get("image", "")).startswith(prefix)]
    return found


def test_the_app_sets_only_known_settings() -> None:
    known = {v.name for v in VARIABLES}
    assert set(APP["environment"]) - known == set()


def test_the_app_environment_loads_in_production(tmp_path: Path) -> None:
    loaded = settings.load(app_environment(), var_dir=tmp_path)
    assert loaded.production
    assert loaded.payments_provider == "stripe"
    assert loaded.turn_urls


def test_migrate_runs_once_with_the_app_environment() -> None:
    migrate = SERVICES["migrate"]
    assert migrate["command"] == ["flourish", "migrate"]
    assert migrate["environment"] == APP["environment"]
    assert migrate["restart"] == "no"
    assert APP["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert migrate["image"] == APP["image"]


def test_the_app_serves_on_all_interfaces_from_the_dockerfile() -> None:
    assert APP["command"] == ["flourish", "serve", "--host", "0.0.0.0"]
    assert APP["build"] == "."


def test_the_database_url_points_at_the_postgres_service() -> None:
    name, postgres = service_with_image("postgres:16")
    url = urlsplit(app_environment()["DATABASE_URL"])
    assert (url.scheme, url.hostname, url.port) == ("postgresql+asyncpg", name, 5432)
    assert url.username == postgres["environment"]["POSTGRES_USER"]
    assert url.path == "/" + postgres["environment"]["POSTGRES_DB"]
    password_sources = sources(postgres["environment"]["POSTGRES_PASSWORD"])
    assert password_sources == {"POSTGRES_PASSWORD"}
    assert password_sources <= sources(APP["environment"]["DATABASE_URL"])
    assert name in SERVICES["migrate"]["depends_on"]


def test_the_redis_url_points_at_the_redis_service() -> None:
    name, _ = service_with_image("redis:7")
    url = urlsplit(app_environment()["REDIS_URL"])
    assert (url.scheme, url.hostname, url.port) == ("redis", name, 6379)
    assert APP["depends_on"][name]["condition"] == "service_healthy"


def test_turn_shares_its_secret_and_port_with_coturn() -> None:
    coturn = SERVICES["coturn"]
    assert str(coturn["image"]).startswith("coturn/coturn")
    assert "--use-auth-secret" in coturn["command"]
    [secret] = coturn_option("static-auth-secret")
    assert sources(secret) == sources(APP["environment"]["TURN_SECRET"]) == {"TURN_SECRET"}
    assert coturn_option("realm")
    [port] = coturn_option("listening-port")
    loaded_urls = app_environment()["TURN_URLS"].split(",")
    assert {urlsplit(url.replace("turn:", "turn://")).port for url in loaded_urls} == {int(port)}


@pytest.mark.parametrize(
    "network",
    [
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "::1/128",
        "::ffff:0:0/96",
        "fc00::/7",
        "fe80::/10",
    ],
)
def test_coturn_refuses_to_relay_to_private_networks(network: str) -> None:
    wanted = ipaddress.ip_network(network)
    for denied in coturn_option("denied-peer-ip"):
        low, _, high = denied.partition("-")
        first, last = ipaddress.ip_address(low), ipaddress.ip_address(high or low)
        if first.version != wanted.version:
            continue
        if int(first) <= int(wanted.network_address) and int(wanted.broadcast_address) <= int(last):
            return
    pytest.fail(f"coturn relays to {network}: add a --denied-peer-ip range")


def test_the_healthcheck_asks_a_route_the_app_has() -> None:
    [url] = re.findall(r"http://[^'\"\s]+", " ".join(APP["healthcheck"]["test"]))
    parts = urlsplit(url)
    port = int(app_environment().get("PORT", Settings().port))
    assert (parts.hostname, parts.port, parts.path) == ("127.0.0.1", port, "/readyz")
    routes = {r.canonical for r in create_app(Settings()).router.resources()}
    assert parts.path in routes
    assert any(mapping.endswith(f":{port}") for mapping in APP["ports"])


def test_the_dockerfile_installs_every_package_and_runs_unprivileged() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    # A Node stage builds the web client; the image itself is the Python one.
    assert re.findall(r"^FROM (\S+)", dockerfile, re.MULTILINE)[-1] == "python:3.11-slim"
    assert "COPY --from=web /web/dist /srv/web\n" in dockerfile
    assert "ENV WEB_DIST=/srv/web\n" in dockerfile
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    for pattern in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]:
        package = pattern.rstrip("*")
        assert f"COPY {package} ./{package}\n" in dockerfile, f"the image lacks {package}/"
    users = re.findall(r"^USER (\S+)$", dockerfile, re.MULTILINE)
    assert users, "the image runs as root"
    assert users[-1] not in ("root", "0")
