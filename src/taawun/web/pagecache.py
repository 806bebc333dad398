"""Whole pages shared by every viewer who holds the same roles, cached under the data version.

A page qualifies when what it shows depends only on the viewer's roles, the language, the URL
and data that changes through recorded actions. The only per-person bytes in such a page are
the CSRF tokens of its forms: they are cut out before caching and a fresh one is put back for
each request.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.translation import get_language

from taawun.accounts.selectors import roles_of
from taawun.transparency.versioning import data_version

View = Callable[..., HttpResponse]
CSRF_FIELD = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+(")')
HOLE = "\x00csrf\x00"  # never occurs in escaped HTML


def shared_page(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if request.method not in ("GET", "HEAD") or len(messages.get_messages(request)):
            return view(request, *args, **kwargs)
        request.shared_page = True  # type: ignore[attr-defined]  # no per-person counts in it
        roles = ",".join(sorted(role.value for role in roles_of(request.user)))
        key = f"taawun:page:{data_version()}:{get_language()}:{roles}:{request.get_full_path()}"
        page: str | None = cache.get(key)
        if page is None:
            response = view(request, *args, **kwargs)
            if response.status_code != 200 or response.streaming:
                return response
            page = CSRF_FIELD.sub(rf"\g<1>{HOLE}\g<2>", response.content.decode())
            cache.set(key, page, timeout=24 * 3600)
        return HttpResponse(page.replace(HOLE, get_token(request)))

    return wrapper
