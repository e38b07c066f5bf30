"""The operator's documents stay true to the code."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from realtime.settings import VARIABLES, reference

ROOT = Path(__file__).resolve().parents[2]


def test_configuration_reference_is_fresh() -> None:
    written = (ROOT / "docs" / "configuration.md").read_text()
    assert written == reference(), (
        "docs/configuration.md is stale: python -m realtime.settings > docs/configuration.md"
    )


def test_deployment_names_only_real_variables() -> None:
    """Every upper-case `NAME` in docs/deployment.md is a setting or a compose variable."""
    compose = (ROOT / "docker-compose.yml").read_text()
    known = {v.name for v in VARIABLES} | set(re.findall(r"\$\{(\w+)", compose))
    known |= set(yaml.safe_load(compose)["services"]["postgres"]["environment"])
    named = set(re.findall(r"`([A-Z][A-Z0-9]*_[A-Z0-9_]+)(?:=[^`]*)?`", _deployment()))
    assert named
    assert named - known == set()


def test_deployment_lists_every_production_refusal() -> None:
    text = _deployment()
    for variable in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "PAYMENTS_PROVIDER"):
        assert f"`{variable}" in text
    for command in ("flourish migrate", "--demo", "/healthz", "/readyz", "/metrics"):
        assert command in text


def _deployment() -> str:
    return (ROOT / "docs" / "deployment.md").read_text()
