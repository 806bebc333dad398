"""The key the co-op signs its tree heads with, and the log's name (its origin).

The key is Ed25519 (RFC 8032), as signed notes and checkpoints use. It comes from the
``LOG_SIGNING_KEY`` setting, or is made once and kept, readable by its owner only, in the data
directory. The public half is published with every head and on the log's page; a verifier that
was given it once notices any head signed by another key.
"""

from __future__ import annotations

import base64
import binascii
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from taawun.verifier import Checkpoint, VerifierKey, sign_note

SEED_SIZE = 32


def origin() -> str:
    """The log's unique name: the site's host followed by ``/log``."""
    return f"{urlsplit(settings.SITE_URL).netloc}/log"


def private_key() -> Ed25519PrivateKey:
    return _private_key(settings.LOG_SIGNING_KEY, Path(settings.DATA_DIR) / "log_signing_key")


@cache
def _private_key(configured: str, kept: Path) -> Ed25519PrivateKey:
    if not configured:
        if not kept.exists():
            kept.parent.mkdir(parents=True, exist_ok=True)
            seed = Ed25519PrivateKey.generate().private_bytes_raw()
            kept.touch(mode=0o600)
            kept.write_text(base64.b64encode(seed).decode())
        configured = kept.read_text().strip()
    try:
        seed = base64.b64decode(configured, validate=True)
    except binascii.Error:
        seed = b""
    if len(seed) != SEED_SIZE:
        raise ImproperlyConfigured("LOG_SIGNING_KEY must be the base64 of a 32-byte Ed25519 seed.")
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key() -> VerifierKey:
    """The key verifiers check heads against, named by the log's origin."""
    return VerifierKey(origin(), private_key().public_key().public_bytes_raw())


def sign(head: Checkpoint) -> str:
    """The checkpoint as a note signed by the co-op."""
    return sign_note(head.text(), head.origin, private_key())
