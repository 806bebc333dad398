"""Real Taawun instances on loopback ports, each with its own data directory and database, for
tests of what crosses between co-ops. Each is `taawun serve` in its own process, delivering in
its own background thread, exactly as a co-op runs it."""

from __future__ import annotations

import base64
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings

BIN = Path(sys.executable).parent
PASSWORD = "network-test-2026"
SETUP = """
import json
from decimal import Decimal
from taawun.accounts.actions import create_account
from taawun.accounts.models import User
from taawun.apikeys.actions import create_token
from taawun.domain import geo
from taawun.market.services.actions import create_service
from taawun.market.trips.actions import request_trip

founder = User.objects.get(email="{founder}")
customer = create_account(email="{customer}", full_name="Rana Customer", password=None)
create_service(actor=founder, title_ar="تنظيف منزل", title_en="Home cleaning", duration_minutes=120)
order = request_trip(
    actor=customer, kind="ride", pickup=geo.point("31.9038", "35.2034"),
    dropoff=geo.point("31.9573", "35.1811"), pickup_label="Manara", dropoff_label="Birzeit",
    method="cash",
)
print(json.dumps({{
    "board": create_token(actor=founder, name="network")[1],
    "customer": create_token(actor=customer, name="network")[1],
    "order": order.pk,
}}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Instance:
    """One co-op's server."""

    name: str
    root: Path
    database_url: str
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    tokens: dict[str, str] = field(default_factory=dict)
    order: int = 0
    settings: dict[str, str] = field(default_factory=dict)  # overrides of the environment

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def address(self) -> str:
        return f"{self.name}@127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        inherited = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        if self.database_url:
            inherited["DATABASE_URL"] = self.database_url
        return {
            **inherited,
            "DJANGO_SETTINGS_MODULE": "taawun.settings",
            "TAAWUN_MODE": "development",
            "TAAWUN_DATA_DIR": str(self.root),
            "SITE_URL": self.url,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_SIGNING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
            "FEDERATION_ALLOW_LOOPBACK": "true",
            "FEDERATION_RETRY_SECONDS": "1",
            "TAAWUN_BACKGROUND": "thread",
            "REDIS_URL": "",
            **self.settings,
        }

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [str(BIN / "taawun"), *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(f"taawun {args[0]} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def found(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.run(
            "init",
            "--name-ar", f"تعاونية {self.name}",
            "--name-en", f"{self.name.title()} Co-op",
            "--handle", self.name,
            "--city", f"{self.name.title()} City",
            "--founder-email", f"founder@{self.name}.example",
            "--founder-name", "Founder",
            "--founder-password", PASSWORD,
        )  # fmt: skip
        script = SETUP.format(
            founder=f"founder@{self.name}.example", customer=f"customer@{self.name}.example"
        )
        made = json.loads(self.run("manage", "shell", "-c", script).strip().splitlines()[-1])
        self.tokens = {"board": made["board"], "customer": made["customer"]}
        self.order = made["order"]

    def spawn(self, *args: str, log: str) -> subprocess.Popen[bytes]:
        """``taawun <args>`` in the background, its output in ``root/<log>``; stop it with
        :func:`kill`."""
        return subprocess.Popen(
            [str(BIN / "taawun"), *args],
            env=self.env(),
            stdout=(self.root / log).open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start(self) -> None:
        bind = f"127.0.0.1:{self.port}"
        self.process = self.spawn("serve", "--bind", bind, "--workers", "1", log="server.log")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/nodeinfo/2.1", timeout=2).read()
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not start:\n{(self.root / 'server.log').read_text()}")

    def stop(self) -> None:
        if self.process is not None:
            kill(self.process)
        self.process = None

    def api(
        self, method: str, path: str, body: Any = None, *, who: str = "board"
    ) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}/api{path}",
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {self.tokens[who]}",
                "Content-Type": "application/json",
                "Accept-Language": "en",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.url}{path}", timeout=30) as response:
            return json.loads(response.read())

    def status_of(self, path: str) -> int:
        """The status of a GET of one of the site's pages."""
        try:
            with urllib.request.urlopen(f"{self.url}{path}", timeout=30) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return error.code

    def shell(self, script: str) -> str:
        return self.run("manage", "shell", "-c", script)


def kill(process: subprocess.Popen[bytes]) -> None:
    """kill -9 the process and everything it started."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def database_for(name: str) -> str:
    """A database of the instance's own, of the kind the test run uses."""
    default = settings.DATABASES["default"]
    if "sqlite" in default["ENGINE"]:
        return ""
    host = f"{default['HOST'] or '127.0.0.1'}:{default['PORT'] or 5432}"
    base = f"postgres://{default['USER'] or 'postgres'}@{host}"
    database = f"taawun_network_{name}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}"')
        connection.execute(f'CREATE DATABASE "{database}"')
    return f"{base}/{database}"


def drop_database(url: str) -> None:
    if not url:
        return
    base, database = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@contextmanager
def running(root: Path, *names: str) -> Iterator[list[Instance]]:
    """Co-ops called ``names``, founded and serving under ``root``; afterwards stopped and
    their databases dropped, however the tests went."""
    made = [Instance(name, root / name, database_for(name)) for name in names]
    try:
        for instance in made:
            instance.found()
            instance.start()
        yield made
    finally:
        for instance in made:
            instance.stop()
            drop_database(instance.database_url)


def wait_for(check: Any, timeout: float = 30, what: str = "") -> Any:
    """Poll ``check()`` until it returns something true (deliveries are asynchronous)."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        time.sleep(0.2)
