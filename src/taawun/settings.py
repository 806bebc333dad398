"""Settings from environment variables with embedded defaults (12-factor).

Embedded default: SQLite in ``TAAWUN_DATA_DIR``, local-memory cache, console email. Set
``DATABASE_URL`` (PostgreSQL), ``REDIS_URL`` and ``EMAIL_URL`` to scale out. With
``TAAWUN_MODE=production`` the process refuses to start without a real ``SECRET_KEY`` and
``ALLOWED_HOSTS``.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

PACKAGE_DIR = Path(__file__).resolve().parent
env = environ.Env()

MODE = env.str("TAAWUN_MODE", default="development")
if MODE not in {"development", "production"}:
    raise ImproperlyConfigured("TAAWUN_MODE must be 'development' or 'production'.")
PRODUCTION = MODE == "production"
DEBUG = env.bool("DEBUG", default=not PRODUCTION)

DATA_DIR = Path(env.str("TAAWUN_DATA_DIR", default=str(Path.cwd() / "var"))).resolve()
# Every process that writes to the co-op (servers, background rounds, workers, commands) runs on
# this host and shares DATA_DIR: the data version is then shared through memory instead of read
# from the database on each request (see transparency/hostversion.py).
DATA_VERSION_ON_HOST = env.bool("TAAWUN_DATA_VERSION_ON_HOST", default=False)


def _secret_key() -> str:
    """A real key from the environment; in development, one kept in the data directory."""
    key: str = env.str("SECRET_KEY", default="")
    if PRODUCTION:
        if len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure"):
            raise ImproperlyConfigured(
                "Production mode needs SECRET_KEY: at least 50 random characters."
            )
        return key
    if key:
        return key
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS: list[str] = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
if PRODUCTION and (not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS):
    raise ImproperlyConfigured("Production mode needs ALLOWED_HOSTS naming this site's hosts.")
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
# The transparency log's Ed25519 signing key, base64 of its 32-byte seed. Unset, a key is made
# once and kept in the data directory; several servers must share one key, so set it for them.
LOG_SIGNING_KEY = env.str("LOG_SIGNING_KEY", default="")
# How old the newest signed head may be before a reader of the log gets a fresh one signed.
LOG_HEAD_MAX_AGE = env.int("LOG_HEAD_MAX_AGE", default=60)
# Federation with sister co-ops over ActivityPub. The co-op's RSA key (PEM) signs its requests;
# unset, one is made once and kept in the data directory (several servers must share it).
# An environment file holds it on one line, with "\n" for its line breaks.
FEDERATION_PRIVATE_KEY = env.str("FEDERATION_PRIVATE_KEY", default="", multiline=True)
# Remote fetches never reach private or loopback addresses; a test of several instances on one
# machine is the only place to allow loopback.
FEDERATION_ALLOW_LOOPBACK = env.bool("FEDERATION_ALLOW_LOOPBACK", default=False)
FEDERATION_SIGNATURE_MAX_AGE = env.int("FEDERATION_SIGNATURE_MAX_AGE", default=300)
# Delivery retries wait RETRY_SECONDS · 2^attempt (capped at six hours) up to MAX_ATTEMPTS.
FEDERATION_RETRY_SECONDS = env.int("FEDERATION_RETRY_SECONDS", default=30)
FEDERATION_MAX_ATTEMPTS = env.int("FEDERATION_MAX_ATTEMPTS", default=12)
# Production only: the founding page opens with ?token=<FOUNDING_TOKEN>; unset, use `taawun init`.
FOUNDING_TOKEN = env.str("FOUNDING_TOKEN", default="")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # allauth's passkey list loads it
    "taawun.web",  # before allauth, so its account pages wear the site's layout
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "ninja",
    "taawun.accounts",
    "taawun.transparency",
    "taawun.coop",
    "taawun.members",
    "taawun.ledger",
    "taawun.apikeys",
    "taawun.market",
    "taawun.market.services",
    "taawun.market.trips",
    "taawun.market.projects",
    "taawun.market.products",
    "taawun.market.works",
    "taawun.market.fairness",
    "taawun.governance",
    "taawun.governance.assemblies",
    "taawun.transparency.operations",
    "taawun.transparency.opendata",
    "taawun.federation",
    "taawun.notifications",
    "taawun.school",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "taawun.web.middleware.ContentSecurityPolicyMiddleware",
    "taawun.web.middleware.RequestSizeMiddleware",  # before anything reads the body
    "taawun.web.middleware.NulFreeQueryMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "taawun.web.middleware.DataVersionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "taawun.web.middleware.ContentionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "taawun.urls"
WSGI_APPLICATION = "taawun.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "taawun.web.context.site",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'taawun.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["ENGINE"] = "taawun.transparency.sqlite3"
    # WAL lets readers proceed during a write; IMMEDIATE takes the write lock at BEGIN so two
    # writers queue instead of failing half-way with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
    DATA_DIR.mkdir(parents=True, exist_ok=True)
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["ENGINE"] = "taawun.transparency.postgresql"
        if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
            # Values travel apart from the statement, so a statement a connection has sent
            # five times is kept parsed and planned by PostgreSQL and only run afterwards:
            # planning the booking calls' joined reads cost the server more than running them.
            DATABASES["default"].setdefault("OPTIONS", {}).update(
                server_side_binding=True, prepare_threshold=5
            )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
# Where the background round runs (see taawun/background.py): a thread in each server process,
# Celery workers (`taawun worker`), or nowhere but `taawun manage background --loop`.
TAAWUN_BACKGROUND = env.str("TAAWUN_BACKGROUND", default="thread")
if TAAWUN_BACKGROUND not in {"thread", "celery", "off"}:
    raise ImproperlyConfigured("TAAWUN_BACKGROUND must be 'thread', 'celery' or 'off'.")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
if TAAWUN_BACKGROUND == "celery" and not CELERY_BROKER_URL:
    raise ImproperlyConfigured("TAAWUN_BACKGROUND=celery needs CELERY_BROKER_URL or REDIS_URL.")
CELERY_BEAT_SECONDS = env.float("CELERY_BEAT_SECONDS", default=10.0)
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "taawun.web.cache.ForgivingRedisCache",
            "LOCATION": REDIS_URL,
            # A cache that does not answer at once is treated as down: better no cache than a
            # slow site.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "taawun.accounts.backends.PasswordBackend",
    "taawun.accounts.backends.AccountBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},  # the same floor as ACCOUNT_PASSWORD_MIN_LENGTH
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "members:mine"

# Accounts: email as the login, verified before use; TOTP, recovery codes and passkeys.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PASSWORD_MIN_LENGTH = 10
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "login": "30/m/ip",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",  # a rate limit  # nosec B105
    "reset_password_from_key": "20/m/ip",  # a rate limit  # nosec B105
    "confirm_email": "1/3m/key",
}
ACCOUNT_ADAPTER = "taawun.accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {"signup": "taawun.accounts.forms.SignupForm"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_PASSKEY_SIGNUP_ENABLED = False
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not PRODUCTION
MFA_TOTP_ISSUER = "Taawun"
MFA_TOTP_TOLERANCE = 1  # one 30-second step either way: phones with a drifting clock still work

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="taawun@localhost")

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="ar")
LANGUAGES = [("ar", "العربية"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
FORMAT_MODULE_PATH = ["taawun.formats"]  # Arabic decimals with a point, as in Palestine and Jordan
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Hebron")
USE_I18N = True
USE_TZ = True

# Request bodies: over MAX_UPLOAD_BYTES (declared) is refused with 413 before it is read; form
# and JSON fields past DATA_UPLOAD_MAX_MEMORY_SIZE are refused by Django; uploaded files past
# FILE_UPLOAD_MAX_MEMORY_SIZE wait in a temporary file rather than in memory.
MAX_UPLOAD_BYTES = env.int("MAX_UPLOAD_BYTES", default=25 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_ROOT = DATA_DIR / "media"
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise serves from the finders meanwhile
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Security defaults; production adds the HTTPS-only ones.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"  # reads from the cache, writes through
)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Joining browsers' preload list is hard to undo: a co-op opts in knowingly.
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = ["security.W021"]  # preload is opt-in, see above

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}
