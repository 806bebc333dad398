"""A fresh PostgreSQL database for a benchmark, and Django set up on it (``bench_settings``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ADMIN_URL = os.environ.get("BENCH_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/postgres")


def url(name: str) -> str:
    """The address of the database ``name`` on the benchmark's server."""
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def recreate(name: str) -> None:
    """Drop the database ``name`` if it exists and create it empty."""
    import psycopg

    with psycopg.connect(
        ADMIN_URL.replace("postgres://", "postgresql://"), autocommit=True
    ) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")


def setup_django(name: str, data: str = "data") -> None:
    """Django on the database ``name``, migrated; files under ``results/<data>``."""
    os.environ["DATABASE_URL"] = url(name)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_settings")
    os.environ.setdefault("TAAWUN_DATA_DIR", str(HERE / "results" / data))
    sys.path.insert(0, str(HERE))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
