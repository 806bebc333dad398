"""Creating and revoking API tokens, and claiming or storing idempotent responses."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone

from taawun.accounts.models import User
from taawun.coop.selectors import current_policy_number
from taawun.domain.errors import DomainError, InvalidInput, gettext_noop
from taawun.transparency.audit import record

from .models import ApiToken, IdempotencyRecord
from .selectors import TOKEN_PREFIX, token_digest

MAX_LIVE_TOKENS = 20
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


@transaction.atomic
def create_token(*, actor: User, name: str) -> tuple[ApiToken, str]:
    """A new personal token; the raw token is returned here once and never stored."""
    name = name.strip()
    if not name:
        raise InvalidInput("name_required", gettext_noop("Give the token a name."))
    live = ApiToken.objects.select_for_update().filter(user=actor, revoked_at__isnull=True)
    if len(live) >= MAX_LIVE_TOKENS:
        raise DomainError(
            "too_many_tokens",
            gettext_noop("You already have %(count)s live tokens; revoke one first."),
            count=MAX_LIVE_TOKENS,
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor, name=name, digest=token_digest(raw), created_at=timezone.now()
    )
    record(
        actor_id=actor.pk,
        action="api_token.created",
        subject_type="api_token",
        subject_id=token.pk,
        policy_version=current_policy_number(),
        after={"account": actor.pk},
    )
    return token, raw


@transaction.atomic
def revoke_token(*, actor: User, token_id: int) -> ApiToken:
    """Revoke one of one's own tokens; other people's tokens do not exist for the actor."""
    token = ApiToken.objects.select_for_update().filter(pk=token_id, user=actor).first()
    if token is None:
        raise Http404
    if token.revoked_at is not None:
        raise DomainError("token_revoked", gettext_noop("This token has already been revoked."))
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record(
        actor_id=actor.pk,
        action="api_token.revoked",
        subject_type="api_token",
        subject_id=token.pk,
        policy_version=current_policy_number(),
        before={"revoked": False},
        after={"revoked": True},
    )
    return token


def note_token_use(token: ApiToken) -> None:
    """Keep ``last_used_at`` roughly current: at most one write a minute per token, counted in
    the shared cache (the token itself may come from the cache, with an older time)."""
    seconds = int(LAST_USED_RESOLUTION.total_seconds())
    if cache.add(f"taawun:token-used:{token.pk}", True, timeout=seconds):
        now = timezone.now()
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


_CLAIM = (
    f"INSERT INTO {IdempotencyRecord._meta.db_table} "  # noqa: S608  # nosec B608
    "(user_id, key, fingerprint, method, path, body, created_at)"
    " VALUES (%s, %s, %s, %s, %s, '', %s)"
    " ON CONFLICT (user_id, key) DO NOTHING RETURNING id"
)


@dataclass(frozen=True)
class Claim:
    """An idempotency key claimed for a request: either fresh, or the stored response to replay."""

    record: IdempotencyRecord
    replay: bool


def claim_idempotency_key(
    *, actor: User, key: str, fingerprint: str, method: str, path: str
) -> Claim:
    """Claim ``key`` for this request, inside the transaction that will run the action.

    The row is inserted before the action runs, so of two concurrent requests with one key the
    second waits on the unique index and then replays the first's stored response."""
    if not connection.in_atomic_block:
        raise RuntimeError("claim an idempotency key inside the action's transaction")
    fresh = IdempotencyRecord(
        user=actor,
        key=key,
        fingerprint=fingerprint,
        method=method,
        path=path[:500],
        created_at=timezone.now(),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            _CLAIM,
            [
                actor.pk,
                key,
                fingerprint,
                method,
                fresh.path,
                connection.ops.adapt_datetimefield_value(fresh.created_at),
            ],
        )
        row = cursor.fetchone()
    if row is not None:
        fresh.pk = row[0]
        return Claim(record=fresh, replay=False)
    # Taken: by an earlier request, or by a concurrent one whose commit the insert waited for.
    existing = IdempotencyRecord.objects.select_for_update().get(user=actor, key=key)
    if existing.fingerprint != fingerprint or existing.status is None:
        raise DomainError(
            "idempotency_conflict",
            gettext_noop("This Idempotency-Key was already used for a different request."),
        )
    return Claim(record=existing, replay=True)


def store_idempotent_response(*, claim: Claim, status: int, body: str) -> IdempotencyRecord:
    """Keep the response given to a claimed key; same transaction as the action."""
    if not connection.in_atomic_block:
        raise RuntimeError("store an idempotent response inside the action's transaction")
    claim.record.status = status
    claim.record.body = body
    claim.record.save(update_fields=["status", "body"])
    return claim.record
