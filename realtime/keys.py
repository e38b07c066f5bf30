"""Keys derived from SECRET_KEY, one per purpose (HKDF-SHA256), so no key serves two jobs."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def derive(secret_key: str, purpose: str, length: int = 32) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=length, salt=b"flourish", info=purpose.encode()
    ).derive(secret_key.encode())


def fernet(secret_key: str, purpose: str) -> Fernet:
    """Authenticated encryption (AES-128-CBC + HMAC-SHA256) under a purpose's own key."""
    return Fernet(base64.urlsafe_b64encode(derive(secret_key, purpose)))
