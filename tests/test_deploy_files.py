"""The files in deploy/ name only commands and settings that exist."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from taawun.cli import build_parser

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
SETTINGS = Path(__file__).resolve().parents[1] / "src" / "taawun" / "settings.py"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))


@pytest.mark.parametrize("unit", UNITS, ids=lambda path: path.name)
def test_each_unit_runs_a_real_taawun_command(unit: Path) -> None:
    text = unit.read_text()
    (command,) = re.findall(r"^ExecStart=(.+)$", text, re.M)
    program, *arguments = shlex.split(command.replace("%i", "8001"))
    assert program == "/opt/taawun/.venv/bin/taawun"
    build_parser().parse_args(arguments)  # exits on an unknown command or option
    assert "EnvironmentFile=/etc/taawun/taawun.env" in text
    assert "User=taawun" in text


def test_the_environment_example_names_only_real_settings() -> None:
    read = set(re.findall(r'env\.\w+\(\s*"([A-Z_]+)"', SETTINGS.read_text()))
    read |= {"DATABASE_URL", "EMAIL_URL"}  # read by env.db_url and env.email_url
    example = DEPLOY / "taawun.env.example"
    named = set(re.findall(r"^([A-Z_]+)=", example.read_text(), re.M))
    assert named - read == set()
    assert {"TAAWUN_MODE", "SECRET_KEY", "ALLOWED_HOSTS", "SITE_URL", "DATABASE_URL"} <= named


def test_nginx_passes_the_scheme_and_caps_uploads_like_the_app() -> None:
    conf = (DEPLOY / "nginx" / "taawun.conf").read_text()
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf
    (cap,) = re.findall(r"client_max_body_size (\d+)m;", conf)
    from django.conf import settings

    assert int(cap) * 1024 * 1024 == settings.MAX_UPLOAD_BYTES
