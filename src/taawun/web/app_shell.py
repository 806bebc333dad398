"""The installable web app: its manifest, the service worker at the site's root, and the page a
phone shows offline for a page it never kept.

The worker's script lives with the static files; it is served from ``/sw.js`` (not from
``/static/``) because a service worker only controls the pages under its own path. The server
writes in the URLs it needs (the offline page, the stylesheet under its versioned name) and a
version drawn from them and the script, so every deployment that changes any of them installs
a new worker, which drops the old caches.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language, get_language_bidi
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from taawun.coop.selectors import get_coop

SCRIPT = Path(__file__).resolve().parent / "static" / "taawun" / "sw.js"
THEME = "#0a5c43"  # --brand in site.css
BACKGROUND = "#ffffff"  # --paper
GET = ["GET", "HEAD"]


def _kept_pages() -> list[str]:
    """The pages the worker keeps for offline use once opened: a worker's schedule and week,
    and the school's lessons and knowledge-base pages."""
    return [
        reverse("market:services:schedule"),
        reverse("market:services:week"),
        reverse("school:index") + "courses/",
        reverse("school:pages"),
    ]


@cache
def _script() -> str:
    text = SCRIPT.read_text(encoding="utf-8")
    values = {
        "__OFFLINE_URL__": reverse("web:offline"),
        "__CSS_URL__": static("taawun/site.css"),
        "__KEPT_PAGES__": json.dumps(_kept_pages()),
        "__STATIC_PREFIX__": static(""),
        "__KEPT_PICTURES__": reverse("school:media", args=["x"])[:-1],
        "__SIGN_OUT_URL__": reverse("account_logout"),
    }
    for name, value in values.items():
        text = text.replace(name, value)
    version = hashlib.sha256(text.encode()).hexdigest()[:12]
    return text.replace("__VERSION__", version)


@require_http_methods(GET)
def service_worker(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(_script(), content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


@require_http_methods(GET)
def manifest(request: HttpRequest) -> HttpResponse:
    """In the language of the request: its name, and which way it reads."""
    coop = get_coop()
    name = coop.name if coop else _("Taawun")
    words = name.split()
    short = name if len(name) <= 12 or not words else words[0][:12]
    icons = [
        {"src": static("taawun/icons/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
        {"src": static("taawun/icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
        {"src": static("taawun/icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
    ]
    document = {
        "name": name,
        "short_name": short,
        "description": _("Owned and governed by its members."),
        "lang": get_language(),
        "dir": "rtl" if get_language_bidi() else "ltr",
        "start_url": "/",
        "scope": "/",
        "id": "/",
        "display": "standalone",
        "theme_color": THEME,
        "background_color": BACKGROUND,
        "icons": icons,
    }
    response = HttpResponse(
        json.dumps(document, ensure_ascii=False), content_type="application/manifest+json"
    )
    response["Cache-Control"] = "no-cache"
    return response


@require_http_methods(GET)
def offline(request: HttpRequest) -> HttpResponse:
    """A page with no form and nobody's data, so it can be kept and shown to anyone."""
    return render(request, "web/offline.html", {"coop": get_coop()})
