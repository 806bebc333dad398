"""`taawun backup` and `taawun restore`: a whole co-op into one archive and back, identical, on
either database and across them; a damaged archive or a database in use refused untouched."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import secrets
import sqlite3
import subprocess
import sys
import tarfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection, connections

from taawun import backup
from taawun.accounts.models import User
from taawun.backup import BackupError
from taawun.cli import main
from taawun.coop.models import Coop
from taawun.demo import DEMO_DOMAIN, create_demo
from taawun.federation.actions import open_credit_line
from taawun.ledger.models import JournalEntry
from taawun.members import actions as members
from taawun.members.models import Membership
from taawun.transparency import log
from taawun.transparency.actions import sign_tree_head
from taawun.transparency.models import AuditEntry
from tests.backup_fingerprint import fingerprint
from tests.conftest import TEST_FEDERATION_KEY, TEST_LOG_KEY
from tests.federation.conftest import make_peer

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = "postgres://postgres@127.0.0.1:5432"
ON_POSTGRES = connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """Argon2 is deliberately slow; the demo makes forty accounts that never sign in here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def data_dir(settings: Any, tmp_path: Path) -> Path:
    """The installation's data directory, with the key files a development setup keeps."""
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    for name in backup.KEY_FILES:
        (settings.DATA_DIR / name).write_text(f"{name} of the old machine\n")
    return Path(settings.DATA_DIR)


def _env(database: str, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY"}}
    env.update(
        TAAWUN_DATA_DIR=str(data),
        TAAWUN_BACKGROUND="off",
        LOG_SIGNING_KEY=TEST_LOG_KEY,
        FEDERATION_PRIVATE_KEY=TEST_FEDERATION_KEY,
        DJANGO_SETTINGS_MODULE="taawun.settings",
    )
    if database.startswith("postgres"):
        env["DATABASE_URL"] = database
    return env


@contextmanager
def fresh_database(tmp_path: Path, vendor: str) -> Iterator[dict[str, str]]:
    """An empty database of ``vendor`` (and a data directory) for a second installation."""
    data = tmp_path / f"installation-{secrets.token_hex(4)}"
    if vendor == "sqlite":
        yield _env("sqlite", data)
        return
    name = f"h1_restore_{secrets.token_hex(4)}"
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield _env(f"{POSTGRES}/{name}", data)
    finally:
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own command
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def taawun(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run(env, "-m", "taawun.cli", *args)


def fingerprint_of(env: dict[str, str], backup_into: Path | None = None) -> dict[str, Any]:
    """The installation's fingerprint, and the path of a backup of it when asked for one."""
    done = run(env, "-m", "tests.backup_fingerprint", *([str(backup_into)] if backup_into else []))
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def here() -> dict[str, Any]:
    """This database's fingerprint as it reads after a trip through JSON."""
    return dict(json.loads(json.dumps(fingerprint(), sort_keys=True)))


def manifest_of(path: Path) -> dict[str, Any]:
    with tarfile.open(path, "r:gz") as archive:
        member = archive.extractfile(backup.MANIFEST)
        assert member is not None
        return dict(json.load(member))


def tables_in(env: dict[str, str]) -> int:
    """How many tables the installation's database has (an untouched new one: none)."""
    if "DATABASE_URL" in env:
        with psycopg.connect(env["DATABASE_URL"].replace("postgres://", "postgresql://")) as db:
            row = db.execute(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'"
            ).fetchone()
            return int(row[0]) if row else 0
    path = Path(env["TAAWUN_DATA_DIR"]) / "taawun.sqlite3"
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        return int(
            db.execute("SELECT COUNT(*) FROM sqlite_master WHERE type='table'").fetchone()[0]
        )


def rows_in(env: dict[str, str], table: str) -> int:
    if "DATABASE_URL" in env:
        with psycopg.connect(env["DATABASE_URL"].replace("postgres://", "postgresql://")) as db:
            row = db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()  # noqa: S608
            return int(row[0]) if row else 0
    path = Path(env["TAAWUN_DATA_DIR"]) / "taawun.sqlite3"
    with sqlite3.connect(path) as db:
        return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])  # noqa: S608


def populated_coop() -> User:
    """The demo co-op (members with shares and paid instalments, a closed and shared year, a
    payout run, orders paid in every sector, decided votes with ballots, uploaded works), a
    sister co-op with a credit line, and a signed head of the log."""
    create_demo()
    founder = User.objects.get(email=f"amal@{DEMO_DOMAIN}")
    peer = make_peer("Bethlehem Makers", "makers.example")
    open_credit_line(actor=founder, peer_id=peer.pk, limit=Decimal("300.00"))
    sign_tree_head()
    return founder


def data_hashes(path: Path) -> dict[str, str]:
    return {k: v for k, v in manifest_of(path)["files"].items() if not k.startswith("keys/")}


def with_a_duplicated_account(archive: Path, target: Path) -> Path:
    """The archive with one account's row twice, its checksums and counts made to agree: only
    the database can object, half-way through the load."""
    manifest = manifest_of(archive)
    user_file = next(t["file"] for t in manifest["tables"] if t["model"] == "accounts.user")
    with tarfile.open(archive, "r:gz") as source:
        users = source.extractfile(user_file).read()  # type: ignore[union-attr]
    users += users.splitlines(keepends=True)[0]

    def duplicate(name: str, data: bytes) -> bytes:
        if name == user_file:
            return users
        if name != backup.MANIFEST:
            return data
        document = json.loads(data)
        for table in document["tables"]:
            if table["file"] == user_file:
                table["rows"] += 1
        document["files"][user_file] = hashlib.sha256(users).hexdigest()
        return json.dumps(document).encode()

    return rewritten(archive, target, duplicate)


def restore_into(
    fresh: dict[str, str], archive: Path, original: dict[str, Any], *, broken_first: bool
) -> Path:
    """Restore the archive into the fresh installation (after a broken copy of it failed
    half-way there, if asked); check it against the original and return the path of the
    restored copy's backup."""
    if broken_first:
        broken = with_a_duplicated_account(archive, archive.with_name("broken.tar.gz"))
        done = taawun(fresh, "restore", str(broken))
        assert done.returncode == 1
        assert done.stderr.splitlines()[-1].startswith(
            "taawun restore: the database refused the archive's rows; none kept:"
        )
        for table in ("coop_coop", "accounts_user", "transparency_auditentry", "ledger_posting"):
            assert rows_in(fresh, table) == 0
        assert rows_in(fresh, "django_migrations") > 0  # migrated, and as empty as before
        assert not (Path(fresh["TAAWUN_DATA_DIR"]) / "media").exists()

    done = taawun(fresh, "restore", str(archive))
    assert done.returncode == 0, done.stderr
    size, root = original["log"]["size"], original["log"]["root"]
    assert f"Log head: {size} entries, root {root} (audited; as in the archive)" in done.stdout
    copy = archive.parent / f"copy-{secrets.token_hex(4)}"
    copy.mkdir()
    found = fingerprint_of(fresh, backup_into=copy)
    assert found["fingerprint"] == original
    return Path(found["archive"])


def test_a_co_op_comes_back_identical_from_its_backup(
    tmp_path: Path, media: Path, data_dir: Path
) -> None:
    populated_coop()
    original = here()
    (tmp_path / "archives").mkdir()
    archive = backup.backup(tmp_path / "archives", with_keys=True, progress=io.StringIO())

    manifest = manifest_of(archive)
    assert archive.name.startswith("taawun-backup-ramallah-cleaning-")
    assert archive.stat().st_mode & 0o777 == 0o600
    assert (manifest["format"], manifest["coop"], manifest["database"]) == (
        1,
        "ramallah-cleaning",
        connection.vendor,
    )
    assert manifest["log"]["size"] == AuditEntry.objects.count() == original["log"]["size"]
    assert manifest["log"]["root"] == original["log"]["root"]
    assert manifest["log"]["signed"]["size"] == original["log"]["size"]
    counts = {t["model"]: t["rows"] for t in manifest["tables"]}
    assert counts["members.membership"] == Membership.objects.count() == 18
    assert counts["coop.coop"] == 1
    assert "sessions.session" not in counts
    assert manifest["media_files"] == len(original["media"]) == 14
    assert (manifest["keys_included"], manifest["keys"]) == (True, list(backup.KEY_FILES))
    assert original["books_problems"] == []
    assert all(original["searches"].values())  # so a restore without its index would show
    assert len(original["tallies"]) == 2 and original["ballots"] and original["credit_lines"]

    # On SQLite: into a new SQLite database. On PostgreSQL: into SQLite, and that copy's
    # backup into a new PostgreSQL database.
    with fresh_database(tmp_path, "sqlite") as first:
        second = restore_into(first, archive, original, broken_first=not ON_POSTGRES)
        data = Path(first["TAAWUN_DATA_DIR"])
        for name in backup.KEY_FILES:
            assert (data / name).read_text() == f"{name} of the old machine\n"
            assert (data / name).stat().st_mode & 0o777 == 0o600
    assert manifest_of(second)["database"] == "sqlite"
    assert manifest_of(second)["keys_included"] is False
    assert data_hashes(second) == data_hashes(archive)  # every table byte for byte, and media
    if ON_POSTGRES:
        with fresh_database(tmp_path, "postgresql") as last:
            third = restore_into(last, second, original, broken_first=True)
        assert manifest_of(third)["database"] == "postgresql"
        assert data_hashes(third) == data_hashes(archive)


def small_coop_archive(tmp_path: Path, make_member: Any) -> Path:
    make_member(paid=2)
    return backup.backup(tmp_path / "archive.tar.gz", progress=None)


def rewritten(archive: Path, target: Path, change: Any) -> Path:
    """A copy of the archive with its members passed through ``change(name, bytes)``."""
    with tarfile.open(archive, "r:gz") as source, tarfile.open(target, "w:gz") as copy:
        for member in source:
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            data = change(member.name, data)
            member.size = len(data)
            copy.addfile(member, io.BytesIO(data))
    return target


def unchanged_counts() -> dict[str, int]:
    return {
        "coops": Coop.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


def test_a_damaged_archive_is_refused_before_anything_is_written(
    tmp_path: Path, make_member: Any
) -> None:
    archive = small_coop_archive(tmp_path, make_member)
    manifest = manifest_of(archive)
    ledger_file = next(t["file"] for t in manifest["tables"] if t["model"] == "ledger.posting")

    def one_byte(name: str, data: bytes) -> bytes:
        if name != ledger_file:
            return data
        amount = re.search(rb'"-?(\d)\d*\.\d+"', data)  # an amount in the books
        assert amount is not None
        digit = amount.start(1)
        return (
            data[:digit] + (b"8" if data[digit : digit + 1] == b"9" else b"9") + data[digit + 1 :]
        )

    tampered = rewritten(archive, tmp_path / "tampered.tar.gz", one_byte)
    with fresh_database(tmp_path, connection.vendor) as fresh:
        done = taawun(fresh, "restore", str(tampered))
        assert done.returncode == 1
        assert done.stderr.splitlines()[-1] == (
            f"taawun restore: the archive is damaged: {ledger_file} does not match its checksum"
        )
        assert tables_in(fresh) == 0  # not even migrated
        assert not (Path(fresh["TAAWUN_DATA_DIR"]) / "media").exists()

    # A flipped byte in the compressed stream, a newer format, a table this version lacks.
    raw = bytearray(archive.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    flipped = tmp_path / "flipped.tar.gz"
    flipped.write_bytes(bytes(raw))
    before = unchanged_counts()
    with pytest.raises(BackupError, match="damaged"):
        backup.restore(flipped, progress=None)

    def newer(name: str, data: bytes) -> bytes:
        if name != backup.MANIFEST:
            return data
        return json.dumps({**json.loads(data), "format": 2}).encode()

    with pytest.raises(BackupError, match="in format 2; this Taawun reads formats up to 1"):
        backup.restore(rewritten(archive, tmp_path / "newer.tar.gz", newer), progress=None)

    def unknown(name: str, data: bytes) -> bytes:
        if name != backup.MANIFEST:
            return data
        document = json.loads(data)
        document["migrations"]["ledger"].append("9999_from_the_future")
        return json.dumps(document).encode()

    with pytest.raises(BackupError, match=r"newer Taawun \(unknown migrations: ledger.9999"):
        backup.restore(rewritten(archive, tmp_path / "unknown.tar.gz", unknown), progress=None)
    gz = tmp_path / "not-an-archive.tar.gz"
    gz.write_bytes(gzip.compress(b"hello"))
    with pytest.raises(BackupError, match="damaged or not a Taawun backup"):
        backup.restore(gz, progress=None)
    assert unchanged_counts() == before


def test_a_database_that_holds_a_co_op_is_refused_unchanged(
    tmp_path: Path, make_member: Any, media: Path
) -> None:
    archive = small_coop_archive(tmp_path, make_member)
    before = unchanged_counts()
    with pytest.raises(BackupError) as refused:
        backup.restore(archive, progress=None)
    assert str(refused.value) == (
        "this database already holds a co-op; restore into a new, empty database"
    )
    assert unchanged_counts() == before
    assert not media.exists()


def test_the_backup_command_reports_its_progress_and_the_archive(
    tmp_path: Path, make_member: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    make_member(paid=1)
    main(["backup", "--output", str(tmp_path)])
    out, err = capsys.readouterr()
    archive = Path(out.strip())
    assert archive.parent == tmp_path
    assert archive.name.startswith("taawun-backup-test-coop-")
    tables = len(manifest_of(archive)["tables"])
    lines = err.splitlines()
    assert lines[0] == f"[1/{tables}] accounts.user: 2 rows"
    assert lines[tables - 1].startswith(f"[{tables}/{tables}] ")
    assert lines[tables:-1] == [
        "media: 0 files",
        "keys: not included (--with-keys includes the data directory's)",
    ]
    assert lines[-1] == (
        f"log: {AuditEntry.objects.count()} entries, root {manifest_of(archive)['log']['root']}"
    )


def test_there_is_nothing_to_back_up_without_a_co_op(tmp_path: Path, db: None) -> None:
    with pytest.raises(SystemExit) as refused:
        main(["backup", "--output", str(tmp_path)])
    assert refused.value.code == "taawun backup: there is no co-op in this database to back up"
    assert list(tmp_path.iterdir()) == []


class WhileBackingUp:
    """The backup's progress stream: after the first table is written, another connection
    pays an instalment and opens an account, as the running site would."""

    def __init__(self, write: Callable[[], None]) -> None:
        self.lines: list[str] = []
        self.write_meanwhile = write
        self.finished = False

    def write(self, text: str) -> int:
        if not self.lines:
            thread = threading.Thread(target=self._elsewhere, daemon=True)
            thread.start()
            thread.join(timeout=60)
        self.lines.append(text)
        return len(text)

    def _elsewhere(self) -> None:
        try:
            self.write_meanwhile()
            self.finished = True
        finally:
            connections.close_all()

    def flush(self) -> None:
        pass


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL's snapshots with real threads")
def test_the_backup_reads_one_snapshot_while_the_site_writes(
    tmp_path: Path, founder: User, make_member: Any, make_account: Any
) -> None:
    membership = make_member(paid=1)
    unpaid = membership.instalments.order_by("number")[1]
    before = {
        "accounts.user": User.objects.count(),
        "ledger.journalentry": JournalEntry.objects.count(),
        "transparency.auditentry": AuditEntry.objects.count(),
    }
    root = log.root_at(before["transparency.auditentry"]).hex()

    def pay_and_sign_up() -> None:
        members.record_instalment_payment(actor=founder, instalment_id=unpaid.pk, method="cash")
        make_account()

    meanwhile = WhileBackingUp(pay_and_sign_up)
    archive = backup.backup(tmp_path / "during.tar.gz", progress=meanwhile)  # type: ignore[arg-type]

    assert meanwhile.finished  # the writer was not held up by the backup
    assert JournalEntry.objects.count() == before["ledger.journalentry"] + 1
    assert User.objects.count() == before["accounts.user"] + 1
    manifest = manifest_of(archive)
    counts = {t["model"]: t["rows"] for t in manifest["tables"]}
    assert {label: counts[label] for label in before} == before
    assert (manifest["log"]["size"], manifest["log"]["root"]) == (
        before["transparency.auditentry"],
        root,
    )
