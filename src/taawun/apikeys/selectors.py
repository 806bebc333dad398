"""Reading API tokens and stored idempotent responses."""

from __future__ import annotations

import hashlib

from taawun.accounts.models import User

from .models import ApiToken

TOKEN_PREFIX = "taawun_"  # noqa: S105 - a public marker, not a secret  # nosec B105
MAX_TOKEN_LENGTH = 200


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def live_token(raw: str) -> ApiToken | None:
    """The live token ``raw`` stands for, with its (active) holder; ``None`` if there is none."""
    raw = raw.strip()
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > MAX_TOKEN_LENGTH:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=token_digest(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    return token


def tokens_of(user: User) -> list[ApiToken]:
    """A person's own tokens, newest first (revoked ones too, so they can see what happened)."""
    return list(ApiToken.objects.filter(user=user).order_by("-created_at", "-id"))
