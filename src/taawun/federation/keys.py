"""The co-op's federation key: RSA, because Mastodon and most of the fediverse verify only RSA.

It comes from ``FEDERATION_PRIVATE_KEY`` (PEM) or is made once and kept, readable by its owner
only, in the data directory. Its public half is on the co-op's actor document."""

from __future__ import annotations

import os
import threading
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .signatures import (
    PrivateKey,
    SignatureRefused,
    generate_actor_key,
    load_private_key_pem,
    private_key_pem,
    public_key_pem,
)


def private_key() -> PrivateKey:
    kept = Path(settings.DATA_DIR) / "federation_key.pem"
    return _private_key(settings.FEDERATION_PRIVATE_KEY, kept)


@cache
def _private_key(configured: str, kept: Path) -> PrivateKey:
    if not configured:
        if not kept.exists():
            _keep_new_key(kept)
        configured = kept.read_text()
    try:
        key = load_private_key_pem(configured)
    except SignatureRefused:
        key = None
    if not isinstance(key, RSAPrivateKey):
        raise ImproperlyConfigured("FEDERATION_PRIVATE_KEY must be an RSA private key in PEM.")
    return key


def _keep_new_key(kept: Path) -> None:
    """Write a new key where none is yet; when two processes race, the first link wins and
    both read the same key."""
    kept.parent.mkdir(parents=True, exist_ok=True)
    draft = kept.with_name(f".{kept.name}.{os.getpid()}.{threading.get_ident()}")
    draft.touch(mode=0o600)
    try:
        draft.write_text(private_key_pem(generate_actor_key()))
        os.link(draft, kept)
    except FileExistsError:
        pass
    finally:
        draft.unlink(missing_ok=True)


def public_pem() -> str:
    return public_key_pem(private_key().public_key())
