"""Member directory page and member-list API against a bare Django JSON view, side by side.

One command (``make bench``): builds a co-op of MEMBERS members in a fresh PostgreSQL
database through the real actions, serves it with gunicorn, and drives each URL with wrk at 16
concurrent connections, one after the other in the same run, so the ratios compare like with
like on a shared, noisy machine. Prints throughput, p50, p99 and the ratio to the bare view.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
ADMIN_URL = os.environ.get("BENCH_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/postgres")
DB_NAME = "taawun_bench"
DB_URL = ADMIN_URL.rsplit("/", 1)[0] + f"/{DB_NAME}"
BIND = "127.0.0.1:8765"


def env() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": DB_URL,
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "PYTHONPATH": f"{HERE}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "TAAWUN_DATA_DIR": str(HERE / "results" / "data"),
        "LANGUAGE_CODE": "ar",
    }


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(
        ADMIN_URL.replace("postgres://", "postgresql://"), autocommit=True
    ) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def seed(members: int) -> tuple[str, str]:
    out = subprocess.run(
        [sys.executable, str(HERE / "seed.py"), str(members)],
        env=env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    member = re.search(r"^MEMBER (\S+)$", out, re.M).group(1)  # type: ignore[union-attr]
    visitor = re.search(r"^VISITOR (\S+)$", out, re.M).group(1)  # type: ignore[union-attr]
    return member, visitor


def wait_until_up(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"server did not answer at {url}")


def to_ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if found is None:
        raise SystemExit(f"unexpected wrk latency {text!r}")
    number, unit = found.groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url: str, cookie: str, seconds: int) -> tuple[float, float, float, int]:
    headers = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", *headers, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = to_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = to_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, p50, p99, int(bad.group(1)) if bad else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    recreate_database()
    member, visitor = seed(args.members)
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "taawun.wsgi:application",
            "--bind",
            BIND,
            "--workers",
            str(args.workers),
            "--env",
            "DJANGO_SETTINGS_MODULE=bench_settings",
        ],
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(f"http://{BIND}/bench/bare/")
        targets = [
            ("bare Django JSON view", "/bench/bare/", member),
            ("directory page, member", "/members/", member),
            ("member list API, member", "/api/members", member),
            ("directory page, public", "/members/", visitor),
            ("member list API, public", "/api/members", visitor),
        ]
        for _label, path, who in targets:  # warm every worker's caches and connections
            wrk(f"http://{BIND}{path}", who, 2)
        results = [
            (label, *wrk(f"http://{BIND}{path}", who, args.seconds)) for label, path, who in targets
        ]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    base = results[0][1]
    print(
        f"{args.members} members, 16 connections, {args.workers} gunicorn workers, PostgreSQL, "
        f"{args.seconds}s each"
    )
    print(f"{'target':<26}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'vs bare':>9}{'errors':>8}")
    for label, rps, p50, p99, bad in results:
        print(f"{label:<26}{rps:>9.0f}{p50:>9.1f}{p99:>9.1f}{rps / base:>8.0%}{bad:>8}")


if __name__ == "__main__":
    main()
