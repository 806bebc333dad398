"""``taawun check-deploy`` names each misconfiguration and passes a sound production setup."""

from __future__ import annotations

import base64
import re
import secrets
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def check_deploy(data_dir: Path, **environment: str) -> tuple[int, set[str]]:
    """Run the command in a clean environment; its exit code and the check ids it reported."""
    env = {"PATH": "/usr/bin:/bin", "TAAWUN_DATA_DIR": str(data_dir), **environment}
    done = subprocess.run(
        [str(BIN / "taawun"), "check-deploy"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, set(re.findall(r"\(([a-z]+\.[EW]\d{3})\)", done.stderr))


def production(data_dir: Path, **overrides: str) -> dict[str, str]:
    sound = {
        "TAAWUN_MODE": "production",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "coop.example.org",
        "SITE_URL": "https://coop.example.org",
        "EMAIL_URL": "smtp+tls://coop:secret@mail.example.org:587",
        "DEFAULT_FROM_EMAIL": "coop@coop.example.org",
        "DATABASE_URL": "postgres://taawun@127.0.0.1:5432/taawun",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "LOG_SIGNING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "FEDERATION_PRIVATE_KEY": "kept in the secret store",
        "TAAWUN_BACKGROUND": "celery",
    }
    return {**sound, **overrides}


def test_the_embedded_defaults_are_not_a_deployment(tmp_path: Path) -> None:
    code, found = check_deploy(tmp_path)
    assert code == 1
    assert found == {
        "taawun.E001",  # not production mode
        "taawun.E002",  # SITE_URL is http
        "taawun.E004",  # mail goes to the console
        "taawun.W001",  # from @localhost
        "taawun.W002",  # SQLite
        "taawun.W003",  # no shared cache
        "taawun.W004",  # keys only in the data directory
        "security.W004",  # no HSTS
        "security.W008",  # no HTTPS redirect
        "security.W012",  # session cookie not Secure
        "security.W016",  # CSRF cookie not Secure
        "security.W018",  # DEBUG on
    }


def test_a_sound_production_setup_passes(tmp_path: Path) -> None:
    env = production(tmp_path)
    code, found = check_deploy(tmp_path, **env)
    assert (code, found) == (1, {"taawun.E005"})  # the static files are not collected yet
    subprocess.run(
        [str(BIN / "taawun"), "manage", "collectstatic", "--noinput", "--verbosity", "0"],
        env={"PATH": "/usr/bin:/bin", "TAAWUN_DATA_DIR": str(tmp_path), **env},
        check=True,
        timeout=300,
    )
    assert check_deploy(tmp_path, **env) == (0, set())


def test_each_mistake_is_named(tmp_path: Path) -> None:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "staticfiles.json").write_text("{}")
    env = production(
        tmp_path,
        SITE_URL="http://other.example.org",
        EMAIL_URL="consolemail://",
        TAAWUN_BACKGROUND="off",
        LOG_SIGNING_KEY="",
        SECURE_HSTS_SECONDS="0",
    )
    code, found = check_deploy(tmp_path, **env)
    assert code == 1
    assert found == {
        "taawun.E002",
        "taawun.E003",
        "taawun.E004",
        "taawun.W004",
        "taawun.W005",
        "security.W004",
    }
