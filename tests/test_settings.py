"""Production mode refuses to start without a real secret key and named hosts."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

STRONG_KEY = "q9V$-2xL!b7Rk@4nZ&8tW#1mJ^5cH*3sF(6pD)0yG_eA+uK=iO~rT?vN;wB:lM<jX"


def start(tmp_path, **environment: str) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    """Loads the settings in a new process; prints DEBUG and the session cookie's secure flag,
    then the database options."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"}
    }
    env.update(
        TAAWUN_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="taawun.settings", **environment
    )
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.DEBUG, settings.SESSION_COOKIE_SECURE); "
            "print(settings.DATABASES['default'].get('OPTIONS', {}))",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("environment", "complaint"),
    [
        ({}, "SECRET_KEY"),
        ({"SECRET_KEY": "django-insecure-" + "x" * 50}, "SECRET_KEY"),
        ({"SECRET_KEY": "a" * 60}, "SECRET_KEY"),
        ({"SECRET_KEY": STRONG_KEY}, "ALLOWED_HOSTS"),
        ({"SECRET_KEY": STRONG_KEY, "ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS"),
    ],
)
def test_production_refuses_to_start_misconfigured(tmp_path, environment, complaint) -> None:
    result = start(tmp_path, TAAWUN_MODE="production", **environment)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert complaint in result.stderr


def test_production_starts_with_real_settings_and_secure_cookies(tmp_path) -> None:
    result = start(
        tmp_path, TAAWUN_MODE="production", SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="coop.example.org"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "False True"


def test_development_keeps_a_generated_key_in_the_data_directory(tmp_path) -> None:
    assert start(tmp_path).returncode == 0
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 64
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"
    assert start(tmp_path).returncode == 0
    assert (tmp_path / "secret_key").read_text() == key


@pytest.mark.parametrize(
    ("switch", "options"),
    [
        ({}, "{'server_side_binding': True, 'prepare_threshold': 5}"),
        (
            {"DATABASE_PREPARED_STATEMENTS": "true"},
            "{'server_side_binding': True, 'prepare_threshold': 5}",
        ),
        ({"DATABASE_PREPARED_STATEMENTS": "false"}, "{}"),
    ],
)
def test_postgresql_statements_are_prepared_unless_switched_off(tmp_path, switch, options) -> None:
    result = start(
        tmp_path,
        DATABASE_URL="postgres://taawun@127.0.0.1:5432/taawun",
        **switch,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1] == options
