"""Who is calling the API: a personal token (``Authorization: Bearer``) or the browser session
(with CSRF for unsafe methods). Public reads also accept anonymous callers."""

from __future__ import annotations

import time
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer
from ninja.throttling import BaseThrottle
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
# ``@router.get(..., **PUBLIC)``: a read open to anyone, signed in or not.
PUBLIC: dict[str, Any] = {"auth": ANYONE, "openapi_extra": PUBLIC_SECURITY}


class RateThrottle(BaseThrottle):
    """Requests per person (or per address when anonymous) over a sliding period.

    The sliding count is estimated from two fixed-window counters (this period's, and the last
    one's weighted by how much of it still overlaps), so a request costs the same few cache
    operations whatever the rate; a log of every request's time would grow with the rate. Rates
    come from the ``TAAWUN_API_RATES`` setting when present, read on each request so tests can
    change them.
    """

    PERIODS: ClassVar[dict[str, int]] = {
        "s": 1,
        "min": 60,
        "m": 60,
        "h": 3600,
        "hour": 3600,
        "d": 86400,
        "day": 86400,
    }

    def __init__(self, scope: str) -> None:
        self.scope = scope
        self.retry_after: float | None = None

    def rate(self) -> tuple[int, int]:
        rates: dict[str, str] = getattr(settings, "TAAWUN_API_RATES", DEFAULT_RATES)
        count, period = rates.get(self.scope, DEFAULT_RATES[self.scope]).split("/")
        return int(count), self.PERIODS[period]

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
        key = self.get_cache_key(request)
        if key is None:
            return True
        limit, period = self.rate()
        window, elapsed = divmod(time.time(), period)
        current = f"{key}:{int(window)}"
        cache.add(current, 0, timeout=2 * period)
        try:
            count = cache.incr(current)
        except ValueError:  # expired between the two calls
            cache.set(current, 1, timeout=2 * period)
            count = 1
        previous: int = cache.get(f"{key}:{int(window) - 1}", 0)
        if previous * (1 - elapsed / period) + count <= limit:
            return True
        self.retry_after = period - elapsed
        return False

    def wait(self) -> float | None:
        return self.retry_after


THROTTLES: list[BaseThrottle] = [RateThrottle("anon"), RateThrottle("user")]
