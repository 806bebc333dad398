"""Reading API tokens and stored idempotent responses."""

from __future__ import annotations

import hashlib

from django.core.cache import cache

from taawun.accounts.models import User
from taawun.transparency.versioning import rules_version

from .models import ApiToken

TOKEN_PREFIX = "taawun_"  # noqa: S105 - a public marker, not a secret  # nosec B105
MAX_TOKEN_LENGTH = 200


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


TOKEN_CACHE_SECONDS = 300


def live_token(raw: str) -> ApiToken | None:
    """The live token ``raw`` stands for, with its (active) holder; ``None`` if there is none.

    A live token is cached under the rules version: issuing or revoking a token and closing or
    changing an account are actions that move it, so a revoked token is refused at once. Tokens
    not found are not cached (guesses would only fill the cache)."""
    raw = raw.strip()
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > MAX_TOKEN_LENGTH:
        return None
    digest = token_digest(raw)
    key = f"taawun:token:{digest}:{rules_version()}"
    token: ApiToken | None = cache.get(key)
    if token is None:
        token = (
            ApiToken.objects.select_related("user")
            .filter(digest=digest, revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.user.is_active:
            return None
        cache.set(key, token, timeout=TOKEN_CACHE_SECONDS)
    return token


def tokens_of(user: User) -> list[ApiToken]:
    """A person's own tokens, newest first (revoked ones too, so they can see what happened)."""
    return list(ApiToken.objects.filter(user=user).order_by("-created_at", "-id"))
