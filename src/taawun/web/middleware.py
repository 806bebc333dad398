"""A strict Content Security Policy: only this site's own scripts, styles and images."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _

from taawun.transparency.versioning import end_request_memo, start_request_memo

from .errors import is_contention

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/admin/"):
            response.headers.setdefault("Content-Security-Policy", POLICY)
        return response


class DataVersionMiddleware:
    """Read the data version at most once per request (until something commits)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = start_request_memo()
        try:
            return self.get_response(request)
        finally:
            end_request_memo(token)


class ContentionMiddleware:
    """Two writes that wait on each other's locks: the database rolls one back whole. Its sender
    is asked to try again (409), never shown a server error."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OperationalError) and is_contention(exception):
            reason = _("This clashed with another change; try again.")
            return render(request, "web/refused.html", {"reason": reason}, status=409)
        return None


class NulFreeQueryMiddleware:
    """Drop NUL characters from query-string values before any view reads them.

    No text the platform stores holds a NUL, and PostgreSQL refuses one inside a query, so a
    search or filter carrying one would fail there and match nothing anywhere else. Dropping
    it here keeps every page and API filter safe without each one remembering to."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "%00" in request.META.get("QUERY_STRING", ""):
            cleaned = QueryDict(mutable=True)
            for key, values in request.GET.lists():
                cleaned.setlist(key.replace("\x00", ""), [v.replace("\x00", "") for v in values])
            request.GET = QueryDict(cleaned.urlencode())  # immutable, as Django's own
        return self.get_response(request)


class RequestSizeMiddleware:
    """Refuse a request whose declared body is over ``MAX_UPLOAD_BYTES`` (413) or whose
    Content-Length is not a number (400) before anything reads the body, so no view, form or
    upload handler spends memory, disk or time on it. Placed first: the one rule for every
    address; an address may keep a smaller limit of its own (the federation inbox does)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        declared = request.META.get("CONTENT_LENGTH") or "0"
        # HTTP's digits only: Python's int() would also take "+3", " 3", "3_0" and "٣".
        size = int(declared) if declared.isascii() and declared.isdigit() else -1
        limit: int = settings.MAX_UPLOAD_BYTES
        if 0 <= size <= limit:
            return self.get_response(request)
        with translation.override(translation.get_language_from_request(request)):
            if size < 0:
                return self._refuse(request, 400, "bad_length", _("The request is malformed."))
            message = _("The request is larger than %(most)s MB.") % {
                "most": f"{limit / (1024 * 1024):g}"
            }
            return self._refuse(request, 413, "too_large", message)

    @staticmethod
    def _refuse(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
        if request.path.startswith(("/api/", "/ap/", "/.well-known/", "/nodeinfo/")):
            response: HttpResponse = JsonResponse({"error": code, "message": message})
            response.status_code = status
        else:
            request.user = AnonymousUser()  # the page is drawn before anyone is signed in
            response = render(request, "web/refused.html", {"reason": message}, status=status)
        return response
