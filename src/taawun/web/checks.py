"""What ``taawun check-deploy`` adds to Django's own deployment checks (``check --deploy``).

Django already reports debug on, a weak secret key and the missing HTTPS settings; these are
the mistakes particular to running a co-op on Taawun: a public address that is not HTTPS or not
served, mail that goes nowhere, keys or a database that several servers cannot share, and
background work that nothing runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

LOCAL_EMAIL_BACKENDS = frozenset(
    {
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
        "django.core.mail.backends.dummy.EmailBackend",
        "django.core.mail.backends.filebased.EmailBackend",
    }
)


@register(Tags.security, deploy=True)
def deployment(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    found: list[CheckMessage] = []
    if not settings.PRODUCTION:
        found.append(
            Error(
                "TAAWUN_MODE is not 'production'.",
                hint="Set TAAWUN_MODE=production: it requires a real SECRET_KEY and "
                "ALLOWED_HOSTS and turns on secure cookies, HTTPS redirect and HSTS.",
                id="taawun.E001",
            )
        )
    site = urlsplit(settings.SITE_URL)
    if site.scheme != "https":
        found.append(
            Error(
                f"SITE_URL ({settings.SITE_URL}) is not an https:// address.",
                hint="Members' links, emails, calendar feeds and sister co-ops use SITE_URL; "
                "serve the site over HTTPS and name that address.",
                id="taawun.E002",
            )
        )
    if site.hostname and not _allowed(site.hostname):
        found.append(
            Error(
                f"SITE_URL's host {site.hostname} is not in ALLOWED_HOSTS.",
                hint="Every request to the site's own address would be refused.",
                id="taawun.E003",
            )
        )
    if settings.EMAIL_BACKEND in LOCAL_EMAIL_BACKENDS:
        found.append(
            Error(
                "Email is not sent anywhere (EMAIL_URL is a console or memory backend).",
                hint="Set EMAIL_URL, e.g. smtp+tls://user:password@mail.example.org:587: "
                "members need their confirmation, password reset and notification emails.",
                id="taawun.E004",
            )
        )
    if settings.DEFAULT_FROM_EMAIL.endswith("@localhost"):
        found.append(
            Warning(
                f"DEFAULT_FROM_EMAIL is {settings.DEFAULT_FROM_EMAIL}.",
                hint="Mail servers reject or bin mail from @localhost; use the co-op's domain.",
                id="taawun.W001",
            )
        )
    if settings.DATABASES["default"]["ENGINE"] == "taawun.transparency.sqlite3":
        found.append(
            Warning(
                "The database is SQLite.",
                hint="SQLite serves one machine well; to run several servers, or many members "
                "at once, set DATABASE_URL to PostgreSQL.",
                id="taawun.W002",
            )
        )
    if not settings.REDIS_URL:
        found.append(
            Warning(
                "REDIS_URL is not set: each server process keeps its own cache.",
                hint="Login rate limits are then counted per process (so several processes "
                "allow that many more tries); set REDIS_URL to share them.",
                id="taawun.W003",
            )
        )
    for name, kept in (
        ("LOG_SIGNING_KEY", "log_signing_key"),
        ("FEDERATION_PRIVATE_KEY", "federation_key.pem"),
    ):
        if not getattr(settings, name):
            found.append(
                Warning(
                    f"{name} is not set: the key is kept in {Path(settings.DATA_DIR) / kept}.",
                    hint="Several servers must share one key, and a lost data directory loses "
                    f"it: set {name} from a secret store (see docs/reliability.md).",
                    id="taawun.W004",
                )
            )
    if settings.TAAWUN_BACKGROUND == "off":
        found.append(
            Warning(
                "TAAWUN_BACKGROUND is 'off'.",
                hint="Then emails, deliveries to sister co-ops and closing votes wait for the "
                "`taawun manage background --loop` command; use 'celery' with `taawun worker`, "
                "or 'thread'.",
                id="taawun.W005",
            )
        )
    if settings.PRODUCTION and not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        found.append(
            Error(
                "The static files are not collected.",
                hint="Run `taawun manage collectstatic --noinput` once per release.",
                id="taawun.E005",
            )
        )
    return found


def _allowed(host: str) -> bool:
    for pattern in settings.ALLOWED_HOSTS:
        if pattern == host or pattern == "*":
            return True
        if pattern.startswith(".") and (host == pattern[1:] or host.endswith(pattern)):
            return True
    return False
