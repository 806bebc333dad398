"""The installable web app: the manifest in the co-op's name and language, the service worker
served from the root with its headers, the offline page, and the policy that allows them."""

from __future__ import annotations

import json

import pytest
from django.templatetags.static import static
from django.test import Client

from taawun.coop.models import Coop

pytestmark = pytest.mark.django_db


def test_the_manifest_names_the_coop_in_the_readers_language(coop: Coop) -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE="ar").get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    document = json.loads(response.content)
    assert {k: document[k] for k in ("name", "lang", "dir", "start_url", "scope", "display")} == {
        "name": coop.name_ar,
        "lang": "ar",
        "dir": "rtl",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
    }
    assert (document["theme_color"], document["background_color"]) == ("#0a5c43", "#ffffff")
    assert [(i["src"], i["sizes"], i["type"]) for i in document["icons"]] == [
        (static("taawun/icons/icon.svg"), "any", "image/svg+xml"),
        (static("taawun/icons/icon-192.png"), "192x192", "image/png"),
        (static("taawun/icons/icon-512.png"), "512x512", "image/png"),
    ]
    assert len(document["short_name"]) <= 12
    english = json.loads(Client(HTTP_ACCEPT_LANGUAGE="en").get("/manifest.webmanifest").content)
    assert (english["name"], english["lang"], english["dir"]) == (coop.name_en, "en", "ltr")


def test_the_icons_are_png_of_the_stated_sizes() -> None:
    from django.contrib.staticfiles import finders

    for size in (192, 512):
        path = finders.find(f"taawun/icons/icon-{size}.png")
        assert path is not None
        with open(path, "rb") as png:
            head = png.read(24)
        assert head[:8] == b"\x89PNG\r\n\x1a\n"
        assert (int.from_bytes(head[16:20]), int.from_bytes(head[20:24])) == (size, size)


def test_the_service_worker_is_served_from_the_root(coop: Coop) -> None:
    response = Client().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript; charset=utf-8"
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    script = response.content.decode()
    assert "__" not in script.replace("__proto__", "")  # every value was filled in
    assert 'const OFFLINE_URL = "/offline/";' in script
    assert f'"{static("taawun/site.css")}"' in script
    assert (
        'const KEPT_PAGES = ["/market/services/schedule/", "/market/services/week/", '
        '"/school/courses/", "/school/pages/"];' in script
    )
    assert 'const KEPT_PICTURES = "/school/media/";' in script
    assert Client().post("/sw.js").status_code == 405


def test_every_page_links_the_manifest_and_the_registration_script(coop: Coop) -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get("/")
    page = response.content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert f'<script src="{static("taawun/register-sw.js")}" data-sw="/sw.js" defer>' in page
    policy = response["Content-Security-Policy"]
    assert "worker-src 'self'" in policy and "manifest-src 'self'" in policy
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


def test_the_offline_page_holds_no_form_and_is_translated(coop: Coop) -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get("/offline/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "<h1>You are offline</h1>" in page
    assert "<form" not in page and "csrfmiddlewaretoken" not in page
    assert (
        '<html lang="ar" dir="rtl">'
        in Client(HTTP_ACCEPT_LANGUAGE="ar").get("/offline/").content.decode()
    )
