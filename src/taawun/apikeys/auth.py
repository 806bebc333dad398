"""Who is calling the API: a personal token (``Authorization: Bearer``) or the browser session
(with CSRF for unsafe methods). Public reads also accept anonymous callers."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer
from ninja.throttling import BaseThrottle, SimpleRateThrottle
from ninja.utils import check_csrf

from taawun.domain.errors import NotAllowed, gettext_noop

from . import actions, selectors

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
DEFAULT_RATES = {"anon": "120/min", "user": "600/min"}


class InvalidToken(Exception):
    """A bearer token was sent but is wrong, revoked, or its holder is inactive."""


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``. A token that is sent but not live is refused outright
    (401) rather than silently falling back to the session."""

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get(self.header)
        if header and header.split(" ", 1)[0].lower() != self.openapi_scheme:
            raise InvalidToken
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = selectors.live_token(token)
        if found is None:
            raise InvalidToken
        actions.note_token_use(found)
        request.api_token = found  # type: ignore[attr-defined]
        return found.user


class SessionAuth(APIKeyCookie):
    """The Django session; unsafe methods must carry the CSRF token like any form post."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if not request.user.is_authenticated:
            return None
        unsafe = request.method not in SAFE_METHODS
        exempt = getattr(request, "_ninja_csrf_exempt", False)
        if unsafe and not exempt and check_csrf(request) is not None:
            raise NotAllowed(
                "csrf_failed",
                gettext_noop("The CSRF check failed: send the X-CSRFToken header."),
            )
        return request.user


def anonymous(request: HttpRequest) -> Any:
    """Last in the list of a public operation: anyone may read it."""
    return AnonymousUser()


token_auth = TokenAuth()
session_auth = SessionAuth()
SIGNED_IN = [token_auth, session_auth]
ANYONE = [token_auth, session_auth, anonymous]
SESSION_ONLY = [session_auth]
# OpenAPI: a public operation accepts either scheme, or none (ninja adds the two schemes).
PUBLIC_SECURITY: dict[str, Any] = {"security": [{}]}


class RateThrottle(SimpleRateThrottle):
    """Requests per person (or per address when anonymous). Rates come from the
    ``TAAWUN_API_RATES`` setting when present, read on each request so tests can change them."""

    def __init__(self, scope: str) -> None:
        self.scope: str = scope
        super().__init__(self.get_rate())

    def get_rate(self) -> str | None:
        rates: dict[str, str] = getattr(settings, "TAAWUN_API_RATES", DEFAULT_RATES)
        return rates.get(self.scope, DEFAULT_RATES[self.scope])

    def get_cache_key(self, request: HttpRequest) -> str | None:
        user = getattr(request, "auth", None)
        if user is not None and user.is_authenticated:
            ident = user.pk if self.scope == "user" else None
        else:
            ident = self.get_ident(request) if self.scope == "anon" else None
        if ident is None:
            return None  # the other throttle counts this caller
        return f"taawun_api_throttle_{self.scope}_{ident}"

    def allow_request(self, request: HttpRequest) -> bool:
        self.num_requests, self.duration = self.parse_rate(self.get_rate())
        return super().allow_request(request)


THROTTLES: list[BaseThrottle] = [RateThrottle("anon"), RateThrottle("user")]
