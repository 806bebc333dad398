"""Security headers and cookies, in development and in the real production settings, and CSRF on
every form that writes. (The CSP of a few pages is in tests/web/test_site.py, the API's CSRF
rule for session callers in tests/api/test_auth.py.)"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from taawun.accounts.models import User
from taawun.members.models import Application
from taawun.transparency.models import AuditEntry
from taawun.web.middleware import POLICY
from tests.conftest import PASSWORD
from tests.test_settings import STRONG_KEY

YEAR = 365 * 24 * 3600

# Run in a fresh interpreter with TAAWUN_MODE=production: the settings module as deployed.
PRODUCTION_PROBE = """
import json, django
django.setup()
from django.conf import settings
# The manifest of collected static files is made by `collectstatic` at deployment; the probe
# reads the files from the source instead. Nothing else of the production settings changes.
settings.STORAGES = {**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
settings.WHITENOISE_USE_FINDERS = True
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
from taawun.accounts.actions import create_account
create_account(email="probe@example.org", full_name="Probe", password=PASSWORD)
client = Client(HTTP_HOST="coop.example.org")
out = {}
plain = client.get("/accounts/login/")
out["http"] = [plain.status_code, plain.get("Location", "")]
page = client.get("/accounts/login/", secure=True)
out["headers"] = dict(page.headers)
out["status"] = page.status_code
out["cookies"] = {n: dict(c.items()) for n, c in page.cookies.items()}
signed = client.post("/accounts/login/", {"login": "probe@example.org", "password": PASSWORD},
                     secure=True)
out["login"] = signed.status_code
out["login_cookies"] = {n: dict(c.items()) for n, c in signed.cookies.items()}
out["settings"] = {k: getattr(settings, k) for k in [
    "DEBUG", "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE", "CSRF_COOKIE_SAMESITE", "SECURE_HSTS_SECONDS", "SECURE_SSL_REDIRECT"]}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "DEBUG"}
    }
    env.update(
        TAAWUN_MODE="production",
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="coop.example.org",
        TAAWUN_DATA_DIR=str(tmp_path_factory.mktemp("production")),
        DJANGO_SETTINGS_MODULE="taawun.settings",
        TAAWUN_BACKGROUND="off",
    )
    probe = f"PASSWORD = {PASSWORD!r}\n" + PRODUCTION_PROBE
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", probe],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return found


def test_production_sends_plain_http_to_https(production: dict[str, Any]) -> None:
    assert production["http"] == [301, "https://coop.example.org/accounts/login/"]


def test_production_headers_over_https(production: dict[str, Any]) -> None:
    headers = production["headers"]
    assert production["status"] == 200
    assert headers["Content-Security-Policy"] == POLICY
    assert "unsafe-inline" not in POLICY and "unsafe-eval" not in POLICY
    assert "script-src 'self'" in POLICY and "frame-ancestors 'none'" in POLICY
    hsts = dict(
        part.strip().partition("=")[::2] for part in headers["Strict-Transport-Security"].split(";")
    )
    assert int(hsts["max-age"]) >= YEAR and "includeSubDomains" in hsts
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert production["settings"]["DEBUG"] is False


def test_production_cookies_are_secure(production: dict[str, Any]) -> None:
    csrf = production["cookies"]["csrftoken"]
    assert csrf["secure"] is True and csrf["samesite"] == "Lax"
    assert production["login"] == 302
    session = production["login_cookies"]["sessionid"]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"


@pytest.mark.django_db
def test_development_headers_without_hsts(client: Client, coop: object) -> None:
    """HSTS only in production, where the site is behind HTTPS; the rest everywhere."""
    response = client.get("/", secure=True)
    assert response["Content-Security-Policy"] == POLICY
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response


@pytest.mark.django_db
def test_the_session_cookie_is_http_only_and_same_site_in_development(founder: User) -> None:
    client = Client()
    client.post("/accounts/login/", {"login": founder.email, "password": PASSWORD})
    cookie = client.cookies["sessionid"]
    assert cookie["httponly"] is True and cookie["samesite"] == "Lax"


def page_routes() -> list[tuple[str, Any]]:
    """Every page address (not the API, whose session rule is tested in tests/api, nor the
    federation's server-to-server addresses, which are signed instead)."""

    def walk(patterns: list[Any], prefix: str) -> list[tuple[str, Any]]:
        found = []
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                found += walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                found.append((prefix + str(pattern.pattern), pattern.callback))
        return found

    return [
        (route, view)
        for route, view in walk(get_resolver().url_patterns, "")
        if not route.startswith(("api/", "admin/"))
    ]


# Addresses that take POSTs from elsewhere than this site's forms, each with its own protection.
CSRF_EXEMPT = {
    "ap/inbox",  # other co-ops' servers: HTTP signatures
}


def test_every_page_that_takes_a_post_is_csrf_protected() -> None:
    exempt = sorted(route for route, view in page_routes() if getattr(view, "csrf_exempt", False))
    assert exempt == sorted(CSRF_EXEMPT)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/members/apply/", {"member_class": "user"}),
        ("/accounts/login/", {"login": "founder@example.org", "password": PASSWORD}),
        ("/i18n/setlang/", {"language": "en"}),
    ],
)
def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    coop: object, make_account: Any, path: str, data: dict[str, str]
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_account())
    client.get(path)  # the form page sets the cookie; the token is left out of the post
    seq = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
    applications = Application.objects.count()
    response = client.post(path, data)
    assert response.status_code == 403
    assert Application.objects.count() == applications
    assert AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() == seq
    assert "django_language" not in response.cookies


@pytest.mark.django_db
def test_every_page_refuses_a_post_without_the_csrf_token(founder: User) -> None:
    """Whatever the page (ids filled with 1, the admin's own pages aside), a signed-in post
    without the token is refused before the view runs."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(founder)
    seq = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
    passed = []
    for route, _view in page_routes():
        if route in CSRF_EXEMPT:
            continue
        path = "/" + re.sub(r"<(?:(\w+):)?(\w+)>|\(\?P<\w+>[^)]*\)", fill_one, route)
        path = path.replace("^", "").replace("$", "")
        if client.post(path, {}).status_code != 403:
            passed.append(route)
    assert passed == []
    assert AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() == seq


def fill_one(match: re.Match[str]) -> str:
    kind = match.group(1)
    if kind == "uuid":
        return "00000000-0000-4000-8000-000000000001"
    return "1" if kind in {"int", None} and match.group(2) != "slug" else "x"
