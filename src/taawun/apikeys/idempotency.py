"""``@idempotent``: the one way a money-moving API operation is made safe to retry.

The caller sends ``Idempotency-Key: <unique string>``. The whole operation runs in one
transaction: the key is claimed for (caller, key), the action runs, and the rendered response is
stored with the key. A retry with
the same key and the same request (method, path, body) gets the stored response back, byte for
byte, without acting again; the same key with a different request is refused (409
``idempotency_conflict``). If the action is refused, the transaction rolls back and nothing is
kept, so the key may be used again. Use it under the router decorator::

    @router.post("/instalments/{id}/payments", response={200: InstalmentOut, **ERRORS})
    @idempotent
    def pay(request, id: int, payload: PaymentIn): ...
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Header
from ninja.decorators import decorate_view
from ninja.utils import contribute_operation_args

from taawun.domain.errors import InvalidInput, gettext_noop

from . import actions

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
_ARG = "idempotency_key"


def request_fingerprint(request: HttpRequest) -> str:
    """SHA-256 of method, path with query, and the body (JSON bodies compared by content)."""
    try:
        body = json.dumps(json.loads(request.body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError, RecursionError):
        body = request.body
    digest = hashlib.sha256()
    digest.update(f"{request.method}\n{request.get_full_path()}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Make a money-moving operation idempotent (see the module docstring)."""

    @wraps(view)
    def claim_then_act(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        key = (kwargs.pop(_ARG, None) or "").strip()
        if not key:
            raise InvalidInput(
                "idempotency_key_required",
                gettext_noop("This request needs an Idempotency-Key header."),
            )
        claim = actions.claim_idempotency_key(
            actor=request.auth,  # type: ignore[attr-defined]
            key=key,
            fingerprint=request_fingerprint(request),
            method=request.method or "",
            path=request.path,
        )
        if claim.replay:
            response = HttpResponse(
                claim.record.body, status=claim.record.status, content_type="application/json"
            )
            response[REPLAY_HEADER] = "true"
            return response
        request._idempotency_claim = claim  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    # Ninja reads the view's signature; give it the real one with annotations resolved, since
    # string annotations would otherwise be looked up in this module.
    claim_then_act.__signature__ = inspect.signature(view, eval_str=True)  # type: ignore[attr-defined]
    contribute_operation_args(
        claim_then_act,
        _ARG,
        str | None,  # type: ignore[arg-type]
        Header(
            None,
            alias=HEADER,
            max_length=MAX_KEY_LENGTH,
            description="Required: a unique key per intended operation, reused on retries.",
        ),
    )
    return decorate_view(_in_one_transaction)(claim_then_act)


def _in_one_transaction(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap the whole operation (auth, parsing, action, rendering) in one transaction, so the
    stored body is exactly the rendered response, and any refusal rolls everything back."""

    @wraps(run)
    def run_atomically(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            with transaction.atomic():
                response = run(request, *args, **kwargs)
                claim: actions.Claim | None = getattr(request, "_idempotency_claim", None)
                if not 200 <= response.status_code < 300:
                    transaction.set_rollback(True)  # ninja turned a refusal into a response
                elif claim is not None and not claim.replay:
                    actions.store_idempotent_response(
                        claim=claim, status=response.status_code, body=response.content.decode()
                    )
        except Exception as exc:  # storing failed: all rolled back; answer like any error
            operation = getattr(run, "__self__", None)
            if operation is None:
                raise
            return operation.api.on_exception(request, exc)
        return response

    return run_atomically
