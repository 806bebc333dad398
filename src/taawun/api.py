"""The JSON API root: one NinjaAPI, one error shape ``{"error": code, "message": ...}``.

Routers live with their apps (``members/api.py``, ``coop/api.py``, ``apikeys/api.py``); this
module mounts them and turns every refusal into that shape, translated per the request's
language. Callers authenticate with a personal token (``Authorization: Bearer``) or the browser
session (plus CSRF for unsafe methods)."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import URLPattern, URLResolver, re_path
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError
from ninja.operation import Operation

from taawun.apikeys.api import router as tokens_router
from taawun.apikeys.auth import SIGNED_IN, THROTTLES, InvalidToken
from taawun.apikeys.idempotency import HEADER as IDEMPOTENCY_HEADER
from taawun.apikeys.idempotency import MAX_KEY_LENGTH
from taawun.coop.api import router as coop_router
from taawun.domain.errors import DomainError
from taawun.federation.api import router as federation_router
from taawun.governance.api import router as governance_router
from taawun.ledger.api import router as books_router
from taawun.market.api import router as market_router
from taawun.market.fairness.api import router as fairness_router
from taawun.market.products.api import router as products_router
from taawun.market.projects.api import router as projects_router
from taawun.market.services.api import router as services_router
from taawun.market.trips.api import router as trips_router
from taawun.market.works.api import router as works_router
from taawun.members.api import router as members_router
from taawun.transparency.api import router as log_router
from taawun.web.errors import explain, explain_validation, is_contention, is_outage
from taawun.web.views import unavailable

logger = logging.getLogger(__name__)


class TaawunAPI(NinjaAPI):
    """NinjaAPI whose 405s and unknown paths also answer in the one error shape."""

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        urls = super()._get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern):
                pattern.callback = _json_method_not_allowed(pattern.callback)
        urls.append(re_path(r"^.*$", csrf_exempt(self._unknown_path), name="unknown-path"))
        return urls

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        # The Idempotency-Key header is parsed as optional so that a missing key is a 400
        # ``idempotency_key_required`` (not a generic 422), but callers must always send it.
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for parameter in operation.get("parameters", []):
                    if (
                        parameter.get("in") == "header"
                        and parameter.get("name") == IDEMPOTENCY_HEADER
                    ):
                        parameter["required"] = True
                        parameter["schema"] = {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": MAX_KEY_LENGTH,
                        }
        return schema

    def get_openapi_operation_id(self, operation: Operation) -> str:
        return operation.view_func.__name__

    def _unknown_path(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return not_found(request, Http404())


api = TaawunAPI(
    title="Taawun",
    version="1.0.0",
    description=(
        "A worker-owned co-op platform. Authenticate with a personal token "
        "(`Authorization: Bearer <token>`, created at `/api/tokens` from a signed-in session) "
        "or the session cookie with the `X-CSRFToken` header. Amounts are exact decimal text "
        "with a `currency`; dates are ISO 8601. Every refusal is "
        '`{"error": "<code>", "message": "<text in the request\'s language>"}`. '
        "Money-moving calls need an `Idempotency-Key` header."
    ),
    auth=SIGNED_IN,
    throttle=THROTTLES,
)
api.add_router("/", coop_router)
api.add_router("/", members_router)
api.add_router("/tokens", tokens_router)
api.add_router("/federation", federation_router)
api.add_router("/books", books_router)
api.add_router("/market", market_router)
api.add_router("/market/services", services_router)
api.add_router("/market/trips", trips_router)
api.add_router("/market/projects", projects_router)
api.add_router("/market/shop", products_router)
api.add_router("/market/works", works_router)
api.add_router("/market/fairness", fairness_router)
api.add_router("/governance", governance_router)
api.add_router("/governance/assemblies", "taawun.governance.assemblies.api.router")
api.add_router("/log", log_router)
api.add_router("/notifications", "taawun.notifications.api.router")
api.add_router("/school", "taawun.school.api.router")
api.add_router("/open-data", "taawun.transparency.opendata.api.router")
api.add_router("/", "taawun.accounts.api.router")


def error(
    request: HttpRequest, status: int, code: str, message: str, **headers: str
) -> HttpResponse:
    response = api.create_response(request, {"error": code, "message": message}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return error(request, exc.status, exc.code, explain(exc))


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form", "file"}:
        source, parts = parts[0], parts[1:]
        if source == "body" and parts:
            parts = parts[1:]  # the view's argument name ("payload") means nothing to a caller
        if not parts:
            return source
    return ".".join(parts) or "-"


@api.exception_handler(NinjaValidationError)
def invalid_input(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    first: dict[str, Any] = exc.errors[0] if exc.errors else {}
    field = _field_name(first.get("loc", ()))
    kind = str(first.get("type", ""))
    context = first.get("ctx") or {}
    if kind == "missing":
        message = gettext("The field %(field)s is required.") % {"field": field}
    elif kind == "string_too_long":
        message = gettext("The field %(field)s is too long (at most %(max)s characters).") % {
            "field": field,
            "max": context.get("max_length", "?"),
        }
    elif kind == "extra_forbidden":
        message = gettext("The field %(field)s is not expected here.") % {"field": field}
    elif kind in {"literal_error", "enum"}:
        message = gettext("The field %(field)s must be one of: %(choices)s.") % {
            "field": field,
            "choices": context.get("expected", "?"),
        }
    else:
        message = gettext("The field %(field)s is not valid.") % {"field": field}
    return error(request, 422, "invalid_input", message)


@api.exception_handler(DjangoValidationError)
def invalid_model(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    return error(request, 400, "invalid_input", explain_validation(exc))


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error(request, 404, "not_found", gettext("Nothing was found at this address."))


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error(request, 403, "forbidden", gettext("You do not have permission to do this."))


@api.exception_handler(InvalidToken)
def invalid_token(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error(
        request,
        401,
        "unauthenticated",
        gettext("This API token is not valid or has been revoked."),
        WWW_Authenticate='Bearer error="invalid_token"',
    )


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error(
        request,
        401,
        "unauthenticated",
        gettext("Sign in, or send a personal API token."),
        WWW_Authenticate="Bearer",
    )


@api.exception_handler(Throttled)
def rate_limited(request: HttpRequest, exc: Throttled) -> HttpResponse:
    headers = {"Retry_After": str(math.ceil(exc.wait))} if exc.wait else {}
    return error(
        request,
        429,
        "rate_limited",
        gettext("Too many requests; wait a moment and try again."),
        **headers,
    )


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        return error(request, 400, "bad_request", gettext("The request body is not valid JSON."))
    if exc.status_code == 403:
        return forbidden(request, exc)
    if exc.status_code == 404:
        return not_found(request, exc)
    logger.warning("Unexpected HttpError %s: %s", exc.status_code, exc)
    return error(request, exc.status_code, "http_error", gettext("The request cannot be served."))


@api.exception_handler(MultiPartParserError)
@api.exception_handler(BadRequest)
@api.exception_handler(SuspiciousOperation)
def unreadable_request(request: HttpRequest, exc: Exception) -> HttpResponse:
    # e.g. a multipart Content-Type without a boundary, met while checking CSRF
    return error(request, 400, "bad_request", gettext("The request body cannot be read."))


@api.exception_handler(IntegrityError)
def conflict(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
    # Two requests raced past an action's checks; the database constraint kept the data right.
    return error(request, 409, "conflict", gettext("This clashed with another change; try again."))


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def database_trouble(request: HttpRequest, exc: OperationalError | InterfaceError) -> HttpResponse:
    if is_outage(exc):
        return unavailable(request)
    if not is_contention(exc):
        return server_error(request, exc)
    return error(request, 409, "conflict", gettext("This clashed with another change; try again."))


@api.exception_handler(Exception)
def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s %s", request.method, request.path, exc_info=exc)
    return error(
        request, 500, "server_error", gettext("Something went wrong on our side; it was logged.")
    )


def _json_method_not_allowed(view: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            allowed = response.get("Allow", "")
            response = error(
                request,
                405,
                "method_not_allowed",
                gettext("This address does not accept %(method)s requests.")
                % {"method": request.method},
            )
            if allowed:
                response["Allow"] = allowed
        return response

    wrapped.csrf_exempt = getattr(view, "csrf_exempt", False)  # type: ignore[attr-defined]
    return wrapped
