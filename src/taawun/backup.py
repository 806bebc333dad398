"""Backing up a whole co-op into one archive, and restoring it into an empty database.

The archive is a gzipped tar: ``manifest.json`` first, then one JSON Lines file per table
(``data/``), the uploaded files (``media/``) and, only when asked for, the key files kept in
the data directory (``keys/``). Rows are written in a database-neutral form (decimals, times
and binary values as strings), so a copy taken from SQLite restores into PostgreSQL and back.

A backup reads every table inside one snapshot (REPEATABLE READ on PostgreSQL, a deferred read
transaction under WAL on SQLite), so it is consistent while the site keeps running, and it
streams rows table by table instead of holding the co-op in memory.

A restore checks everything before it writes anything: the archive's checksums, its format,
that this installation knows every table and migration in it, and that the database is empty.
Then it loads every row in one transaction with plain INSERTs: the books and the audit trail
are append-only, and their triggers stay on and check the rows as they come in.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import importlib.metadata
import json
import os
import shutil
import tarfile
import tempfile
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import DatabaseError, connection, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.duration import duration_string

FORMAT = 1
"""The archive format this code writes and the newest it reads."""
MANIFEST = "manifest.json"
KEY_FILES = ("secret_key", "log_signing_key", "federation_key.pem")
"""The secrets kept in the data directory when they are not set in the environment."""
KEY_SETTINGS = {
    "secret_key": "SECRET_KEY",  # the name of a setting  # nosec B105
    "log_signing_key": "LOG_SIGNING_KEY",
    "federation_key.pem": "FEDERATION_PRIVATE_KEY",
}
LEFT_OUT = {"sessions.session"}
"""Sessions are bearer credentials that die with the old SECRET_KEY anyway: people sign in
again after a restore, and a leaked archive opens nobody's session."""
MADE_BY_MIGRATE = ("auth.permission", "contenttypes.contenttype")
"""Tables ``migrate`` fills by itself; a restore replaces their rows with the archive's, so the
ids other rows point to stay the same."""
HELD_BACK = {"ledger.period": ("status", "open")}
"""Values inserted as a placeholder and set once every row is in: the database refuses journal
entries into a closed period, so periods are loaded open and closed again at the end."""
BATCH = 1000
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or restore refused, with the reason an operator reads."""


@dataclass
class Table:
    model: type[models.Model]
    label: str
    file: str
    columns: list[str]
    rows: int = 0


@dataclass
class Restored:
    """What a restore loaded, for the operator's summary."""

    coop: str
    tables: int
    rows: int
    media: int
    keys: list[str] = field(default_factory=list)
    log_size: int = 0
    log_root: str = ""


def _say(progress: IO[str] | None, text: str) -> None:
    if progress is not None:
        print(text, file=progress, flush=True)


def _version() -> str:
    try:
        return importlib.metadata.version("taawun")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _models() -> list[type[models.Model]]:
    """Every table of every installed app, each after the tables it points to (where the
    references allow an order; both databases check references at commit anyway)."""
    found = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy and m._meta.label_lower not in LEFT_OUT
    ]
    by_label = {m._meta.label_lower: m for m in found}
    ordered: list[type[models.Model]] = []
    visiting: set[str] = set()
    done: set[str] = set()

    def visit(model: type[models.Model]) -> None:
        label = model._meta.label_lower
        if label in done or label in visiting:
            return
        visiting.add(label)
        for f in model._meta.concrete_fields:
            target = f.related_model if f.is_relation else None
            if isinstance(target, type) and target._meta.label_lower in by_label:
                visit(by_label[target._meta.label_lower])
        visiting.discard(label)
        done.add(label)
        ordered.append(model)

    for model in found:
        visit(model)
    return ordered


def _columns(model: type[models.Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields if not getattr(f, "generated", False)]


def _portable(value: Any) -> Any:
    """A value as JSON can carry it and every database reads it back the same."""
    if value is None or isinstance(value, bool | int | float | str | dict | list):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return duration_string(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise BackupError(f"cannot write a {type(value).__name__} value portably")


def _json_line(row: Any) -> bytes:
    return (
        json.dumps(row, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"
    ).encode()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def _snapshot() -> Iterator[None]:
    """One consistent view of the database while others keep writing."""
    connection.ensure_connection()
    if connection.in_atomic_block:  # inside a caller's transaction: its view is the snapshot
        yield
        return
    if connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
        return
    if connection.vendor != "sqlite":
        with transaction.atomic():
            yield
        return
    # SQLite under WAL: a deferred transaction reads one snapshot and blocks no writer (the
    # connection's own transactions begin IMMEDIATE, which would hold the write lock).
    with connection.cursor() as cursor:
        cursor.execute("BEGIN DEFERRED")
        cursor.execute("SELECT COUNT(*) FROM sqlite_master")  # the snapshot starts here
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ROLLBACK")


def _log_head() -> dict[str, Any]:
    from taawun.transparency import log
    from taawun.transparency.models import TreeHead

    size = log.size()
    head = TreeHead.objects.order_by("-size").first()
    return {
        "size": size,
        "root": log.root_at(size).hex(),
        "signed": None
        if head is None
        else {"size": head.size, "root": bytes(head.root).hex(), "key": head.key},
    }


def _applied_migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def _refuse_unless_migrated() -> None:
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        raise BackupError(
            f"the database lacks {len(pending)} migrations of this Taawun "
            "(run `taawun manage migrate` first)"
        )


def _dump_table(table: Table, target: Path) -> None:
    pk = [f.attname for f in table.model._meta.pk_fields]
    rows = table.model._base_manager.order_by(*pk).values_list(*table.columns)
    with target.open("wb") as out:
        for row in rows.iterator(chunk_size=BATCH):
            out.write(_json_line([_portable(v) for v in row]))
            table.rows += 1


def _copy_hashed(source: Path, target: Path) -> str:
    digest = hashlib.sha256()
    target.parent.mkdir(parents=True, exist_ok=True)
    with source.open("rb") as src, target.open("wb") as dst:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            dst.write(chunk)
    shutil.copymode(source, target)  # private uploads stay readable by their owner only
    return digest.hexdigest()


def _media_files(root: Path) -> Iterator[tuple[Path, str]]:
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path, path.relative_to(root).as_posix()


def default_name(handle: str, now: dt.datetime | None = None) -> str:
    moment = (now or timezone.now()).astimezone(dt.UTC)
    return f"taawun-backup-{handle}-{moment:%Y%m%dT%H%M%SZ}.tar.gz"


def backup(
    output: Path | None = None,
    *,
    with_keys: bool = False,
    progress: IO[str] | None = None,
) -> Path:
    """Write the whole co-op into one archive and return its path. The archive appears only
    when complete: it is written under a temporary name and renamed."""
    from taawun.coop.models import Coop

    tables = [
        Table(m, m._meta.label_lower, f"data/{i:03d}-{m._meta.label_lower}.jsonl", _columns(m))
        for i, m in enumerate(_models(), start=1)
    ]
    _refuse_unless_migrated()
    started = timezone.now()
    with tempfile.TemporaryDirectory(prefix="taawun-backup-") as staging_dir:
        staging = Path(staging_dir)
        (staging / "data").mkdir()
        with _snapshot():
            coop = Coop.objects.first()
            if coop is None:
                raise BackupError("there is no co-op in this database to back up")
            handle = coop.handle
            for number, table in enumerate(tables, start=1):
                _dump_table(table, staging / table.file)
                _say(progress, f"[{number}/{len(tables)}] {table.label}: {table.rows} rows")
            head = _log_head()
            migrations = _applied_migrations()
        files: dict[str, str] = {t.file: _sha256(staging / t.file) for t in tables}
        media = 0
        for path, name in _media_files(Path(settings.MEDIA_ROOT)):
            files[f"media/{name}"] = _copy_hashed(path, staging / "media" / name)
            media += 1
        _say(progress, f"media: {media} files")
        keys: list[str] = []
        if with_keys:
            for name in KEY_FILES:
                kept = Path(settings.DATA_DIR) / name
                if kept.is_file():
                    files[f"keys/{name}"] = _copy_hashed(kept, staging / "keys" / name)
                    keys.append(name)
        if not with_keys:
            _say(progress, "keys: not included (--with-keys includes the data directory's)")
        for name, setting in KEY_SETTINGS.items():
            if with_keys and os.environ.get(setting):
                _say(progress, f"keys: {setting} is set in the environment; keep it yourself")
            elif with_keys and name not in keys:
                _say(progress, f"keys: no {name} in the data directory")
        manifest = {
            "format": FORMAT,
            "taawun_version": _version(),
            "database": connection.vendor,
            "created_at": started.astimezone(dt.UTC).isoformat(),
            "coop": handle,
            "tables": [
                {"model": t.label, "file": t.file, "columns": t.columns, "rows": t.rows}
                for t in tables
            ],
            "left_out": sorted(LEFT_OUT),
            "migrations": migrations,
            "log": head,
            "media_files": media,
            "keys_included": with_keys,
            "keys": keys,
            "files": files,
        }
        (staging / MANIFEST).write_bytes(
            json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
        )
        target = (output or Path.cwd()).resolve()
        if target.is_dir():
            target = target / default_name(handle, started)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
        try:
            with tarfile.open(partial, "w:gz") as archive:
                for name in [MANIFEST, *files]:
                    archive.add(staging / name, arcname=name, recursive=False)
            partial.chmod(0o600)  # personal data: the operator's eyes only
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
    _say(progress, f"log: {head['size']} entries, root {head['root']}")
    return target


# Restoring


def _unpack(archive_path: Path, into: Path) -> dict[str, Any]:
    """Extract the archive into ``into`` and check it: every file named in the manifest with
    its checksum, nothing else, nothing outside the directory. Returns the manifest."""
    hashes: dict[str, str] = {}
    private: set[str] = set()
    try:
        with tarfile.open(archive_path, "r:gz") as archive:
            for member in archive:
                name = PurePosixPath(member.name)
                if member.isdir():
                    continue
                if (
                    not member.isfile()
                    or name.is_absolute()
                    or ".." in name.parts
                    or name.parts[0] not in {MANIFEST, "data", "media", "keys"}
                    or str(name) in hashes
                ):
                    raise BackupError(f"the archive holds an unexpected entry: {member.name}")
                source = archive.extractfile(member)
                if source is None:
                    raise BackupError(f"the archive holds an unreadable entry: {member.name}")
                target = into / Path(*name.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                with source, target.open("wb") as out:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                hashes[str(name)] = digest.hexdigest()
                if not member.mode & 0o077:
                    private.add(str(name))
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise BackupError(f"the archive is damaged or not a Taawun backup ({exc})") from exc
    if MANIFEST not in hashes:
        raise BackupError("the archive has no manifest: it is not a Taawun backup")
    try:
        manifest = json.loads((into / MANIFEST).read_text())
        files: dict[str, str] = manifest["files"]
        version = int(manifest["format"])
        if not (
            isinstance(files, dict)
            and isinstance(manifest["tables"], list)
            and isinstance(manifest["log"], dict)
            and isinstance(manifest["migrations"], dict)
        ):
            raise TypeError("a part of the manifest has the wrong shape")
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError("the archive's manifest is damaged") from exc
    if version > FORMAT:
        raise BackupError(
            f"the archive is in format {version}; this Taawun reads formats up to {FORMAT}. "
            "Restore it with a newer Taawun."
        )
    for listed, expected in sorted(files.items()):
        if hashes.get(listed) != expected:
            raise BackupError(f"the archive is damaged: {listed} does not match its checksum")
    extra = set(hashes) - set(files) - {MANIFEST}
    if extra:
        raise BackupError(f"the archive holds files its manifest does not name: {sorted(extra)}")
    manifest["private"] = sorted(private)
    return manifest


def _check_known(manifest: dict[str, Any]) -> list[Table]:
    """The archive's tables as this installation's models; refuses anything it does not know
    (an archive from a newer Taawun)."""
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    unknown = [
        f"{app}.{name}"
        for app, names in manifest["migrations"].items()
        for name in names
        if (app, name) not in graph.nodes
    ]
    if unknown:
        raise BackupError(
            "the archive comes from a newer Taawun (unknown migrations: "
            f"{', '.join(unknown[:5])}); upgrade this installation first"
        )
    tables = []
    for entry in manifest["tables"]:
        try:
            model = apps.get_model(entry["model"])
        except (LookupError, ValueError) as exc:
            raise BackupError(f"this Taawun has no table for {entry['model']}") from exc
        except (KeyError, TypeError) as exc:
            raise BackupError("the archive's manifest is damaged") from exc
        if entry["file"] not in manifest["files"]:
            raise BackupError(f"the archive's manifest names no checksum for {entry['file']}")
        known = set(_columns(model))
        missing = [c for c in entry["columns"] if c not in known]
        if missing:
            raise BackupError(f"this Taawun has no column {missing[0]} in {entry['model']}")
        tables.append(Table(model, entry["model"], entry["file"], entry["columns"], entry["rows"]))
    return tables


def _existing_rows() -> dict[str, int]:
    """Rows in this database's tables that a restore would have to add to; empty when the
    database is new (or only migrated)."""
    present = set(connection.introspection.table_names())
    found = {}
    with connection.cursor() as cursor:
        for model in _models():
            table = model._meta.db_table
            if model._meta.label_lower in MADE_BY_MIGRATE or table not in present:
                continue
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608  # nosec B608
            (count,) = cursor.fetchone()
            if count:
                found[model._meta.label_lower] = count
    return found


def _refuse_unless_empty() -> None:
    found = _existing_rows()
    if "coop.coop" in found:
        raise BackupError("this database already holds a co-op; restore into a new, empty database")
    if found:
        tables = ", ".join(f"{label} ({count} rows)" for label, count in sorted(found.items()))
        raise BackupError(f"this database is not empty: {tables}")


def _rows(path: Path, table: Table) -> Iterator[list[models.Model]]:
    """The table's rows as unsaved model instances, a batch at a time."""
    by_attname = {f.attname: f for f in table.model._meta.concrete_fields}
    fields = [by_attname[c] for c in table.columns]
    held = HELD_BACK.get(table.label)
    batch: list[models.Model] = []
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            try:
                values = json.loads(line)
                row = {
                    f.attname: None if v is None else f.to_python(v)
                    for f, v in zip(fields, values, strict=True)
                }
            except Exception as exc:
                raise BackupError(f"{table.file}, line {number}: {exc}") from exc
            if held is not None:
                row[held[0]] = held[1]
            batch.append(table.model(**row))
            if len(batch) >= BATCH:
                yield batch
                batch = []
    if batch:
        yield batch


def _insert(table: Table, rows: list[models.Model]) -> None:
    """Plain INSERTs of the rows exactly as they are: raw, as loaddata saves, so that no field
    fills itself in (``auto_now`` times stay as recorded), and never an UPDATE, which the
    append-only tables refuse. Columns an older archive lacks take the model's default."""
    fields = [f for f in table.model._meta.concrete_fields if not getattr(f, "generated", False)]
    size = max(1, connection.ops.bulk_batch_size(fields, rows))
    for start in range(0, len(rows), size):
        table.model._base_manager._insert(  # type: ignore[attr-defined]
            rows[start : start + size], fields=fields, raw=True
        )


def _restore_held_back(tables: list[Table], unpacked: Path) -> None:
    for table in tables:
        held = HELD_BACK.get(table.label)
        if held is None:
            continue
        column, placeholder = held
        if column not in table.columns:
            continue
        at = table.columns.index(column)
        pk_at = table.columns.index(table.model._meta.pk.attname)
        final: dict[Any, list[Any]] = {}
        with (unpacked / table.file).open("rb") as lines:
            for line in lines:
                values = json.loads(line)
                if values[at] != placeholder:
                    final.setdefault(values[at], []).append(values[pk_at])
        for value, pks in final.items():
            for start in range(0, len(pks), BATCH):
                table.model._base_manager.filter(pk__in=pks[start : start + BATCH]).update(
                    **{column: value}
                )


def _reset_sequences(tables: list[Table]) -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), [t.model for t in tables])
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def _add_missing_migrate_rows() -> None:
    """Content types and permissions of apps newer than the archive, as migrate makes them."""
    from django.contrib.auth.management import create_permissions
    from django.contrib.contenttypes.management import create_contenttypes
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    for app_config in apps.get_app_configs():
        create_contenttypes(app_config, verbosity=0)
        create_permissions(app_config, verbosity=0)


@dataclass
class _Placed:
    """Files a restore put in place, undone if the database work fails."""

    created: list[Path] = field(default_factory=list)
    moved: list[tuple[Path, Path]] = field(default_factory=list)

    def undo(self) -> None:
        for path in reversed(self.created):
            path.unlink(missing_ok=True)
        for original, aside in reversed(self.moved):
            aside.replace(original)


def _check_media(manifest: dict[str, Any]) -> None:
    root = Path(settings.MEDIA_ROOT)
    for name, digest in manifest["files"].items():
        if not name.startswith("media/"):
            continue
        target = root / name.removeprefix("media/")
        if target.exists() and (not target.is_file() or _sha256(target) != digest):
            raise BackupError(f"{target} exists with other content; restore needs it absent")


def _place_files(manifest: dict[str, Any], unpacked: Path, placed: _Placed) -> list[str]:
    media_root = Path(settings.MEDIA_ROOT)
    data_dir = Path(settings.DATA_DIR)
    keys = []
    for name in manifest["files"]:
        source = unpacked / name
        if name.startswith("media/"):
            target = media_root / name.removeprefix("media/")
        elif name.startswith("keys/"):
            target = data_dir / name.removeprefix("keys/")
            keys.append(target.name)
        else:
            continue
        if target.exists():
            if _sha256(target) == manifest["files"][name]:
                continue
            # A key made on this machine before the restore: kept aside, never destroyed.
            aside = target.with_name(f"{target.name}.before-restore")
            target.replace(aside)
            placed.moved.append((target, aside))
        private = name.startswith("keys/") or name in manifest["private"]
        for folder in reversed([target.parent, *target.parent.parents]):
            if not folder.exists():
                folder.mkdir(mode=0o700 if private else 0o777)
        partial = target.with_name(f".{target.name}.restoring")
        shutil.copyfile(source, partial)
        if private:
            partial.chmod(0o600)
        partial.replace(target)
        placed.created.append(target)
    return keys


def restore(
    archive_path: Path,
    *,
    progress: IO[str] | None = None,
) -> Restored:
    """Restore an archive into this installation's empty database, its media directory and,
    when the archive has them, its key files; then audit the restored log.

    Nothing is written unless the archive checks out and the database is empty; the rows are
    loaded in one transaction, so a failure half-way leaves the database as empty as before."""
    from taawun.domain.errors import DomainError
    from taawun.school import actions as school
    from taawun.transparency import log, versioning
    from taawun.transparency.actions import audit_log

    if not archive_path.is_file():
        raise BackupError(f"no such file: {archive_path}")
    with tempfile.TemporaryDirectory(prefix="taawun-restore-") as unpacked_dir:
        unpacked = Path(unpacked_dir)
        _say(progress, f"checking {archive_path.name}…")
        manifest = _unpack(archive_path, unpacked)
        tables = _check_known(manifest)
        _refuse_unless_empty()
        _check_media(manifest)
        _say(progress, "migrating the database…")
        call_command("migrate", verbosity=0, interactive=False)
        placed = _Placed()
        total = 0
        try:
            with transaction.atomic():
                _refuse_unless_empty()  # again, now under the transaction
                with connection.cursor() as cursor:
                    for label in MADE_BY_MIGRATE:
                        table = apps.get_model(label)._meta.db_table
                        cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")  # noqa: S608  # nosec B608
                for number, table in enumerate(tables, start=1):
                    loaded = 0
                    for batch in _rows(unpacked / table.file, table):
                        _insert(table, batch)
                        loaded += len(batch)
                    if loaded != table.rows:
                        raise BackupError(
                            f"{table.file} holds {loaded} rows; the manifest says {table.rows}"
                        )
                    total += loaded
                    _say(progress, f"[{number}/{len(tables)}] {table.label}: {loaded} rows")
                _restore_held_back(tables, unpacked)
                _reset_sequences(tables)
                _add_missing_migrate_rows()
                _say(progress, "rebuilding the search index…")
                school.reindex()  # the index is drawn from the texts, which the archive holds
                keys = _place_files(manifest, unpacked, placed)
        except BackupError:
            placed.undo()
            raise
        except DatabaseError as exc:
            placed.undo()
            reason = " ".join(str(exc).split())  # PostgreSQL's DETAIL lines, on one line
            raise BackupError(
                f"the database refused the archive's rows; none kept: {reason}"
            ) from exc
        except BaseException:
            placed.undo()
            raise
    versioning.publish_from_database()  # the host's processes must not serve the old co-op
    _say(progress, "auditing the restored log…")
    try:
        checked = audit_log()
    except DomainError as exc:
        raise BackupError(f"the restored log does not verify: {exc}") from exc
    size = log.size()
    root = log.root_at(size).hex()
    expected = manifest["log"]
    if (size, root) != (expected["size"], expected["root"]) or checked != size:
        raise BackupError(
            f"the restored log head ({size}, {root}) differs from the archive's "
            f"({expected['size']}, {expected['root']})"
        )
    return Restored(
        coop=manifest["coop"],
        tables=len(tables),
        rows=total,
        media=int(manifest.get("media_files", 0)),
        keys=keys,
        log_size=size,
        log_root=root,
    )
