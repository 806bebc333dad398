"""``taawun verify`` against a co-op served over real HTTP, offline against saved heads, and the
schedule that signs heads; plus the migration that builds the log over an existing trail."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from taawun.accounts.models import User
from taawun.cli import main as taawun
from taawun.transparency import actions, log, signing
from taawun.transparency.models import AuditEntry, LogNode, TreeHead
from taawun.verifier import content_hash, root

from .test_log import empty, leaves_of_entries

BEFORE_THE_LOG = ("transparency", "0002_append_only")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        taawun(["verify", *args])
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


@pytest.mark.django_db(transaction=True)
def test_verify_follows_a_live_coop_and_stops_loudly_at_a_fork(
    coop: object, live_server: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = str(signing.public_key())
    state = str(tmp_path / "witness.json")
    code, out, _ = run(capsys, "--log", live_server.url, "--key", key, "--state", state)
    assert code == 0
    assert out == f"ok: signed head: 6 entries, root {root(leaves_of_entries()).hex()}\n"

    code, out, _ = run(
        capsys, "--log", live_server.url, "--key", key, "--state", state, "--audit", "--entry", "3"
    )
    assert code == 0
    assert out.splitlines()[1:] == [
        "ok: extends the head of 6 entries kept before",
        "ok: all 6 entries make the signed root",
        "ok: entry 3 is in the log of 6 entries",
    ]

    # Someone with the database replaces the log by one of another past, heads included.
    empty("transparency_lognode", "transparency_treehead")
    with transaction.atomic():
        log.extend(0, [b"\x07" * 32 for _ in range(6)])
    code, out, err = run(capsys, "--log", live_server.url, "--key", key, "--state", state)
    assert code == 3
    assert "!!! FORK DETECTED !!!" in err
    assert "Keep both signed heads as evidence" in err

    code, _, err = run(capsys, "--log", live_server.url, "--key", "not+a+key", "--state", state)
    assert (code, err) == (1, "FAILED: the key is not valid base64\n")


@pytest.mark.django_db
def test_verify_checks_saved_proofs_offline(
    founder: User, client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = str(signing.public_key())
    old_head = tmp_path / "old.txt"
    old_head.write_text(client.get("/log/head.txt").content.decode())
    inclusion = tmp_path / "inclusion.json"
    inclusion.write_bytes(client.get("/api/log/proof/inclusion?seq=2&size=6").content)
    client.force_login(founder)
    content = tmp_path / "content.json"
    content.write_bytes(client.get("/api/log/entries/2/content").content)
    call_command("transparency", stdout=StringIO())  # nothing new: no new head
    client.post("/api/log/checkpoint")
    new_head = tmp_path / "new.txt"
    new_head.write_text(TreeHead.objects.first().note)  # type: ignore[union-attr]

    code, out, _ = run(
        capsys, "--key", key, "--head", str(old_head), str(inclusion), "--content", str(content)
    )
    assert (code, out) == (0, "ok: entry and content 2 is in the log of 6 entries\n")

    size = TreeHead.objects.first().size  # type: ignore[union-attr]
    consistency = tmp_path / "consistency.json"
    consistency.write_bytes(client.get(f"/api/log/proof/consistency?old=6&new={size}").content)
    args = ["--key", key, "--head", str(new_head), "--head", str(old_head), str(consistency)]
    code, out, _ = run(capsys, *args)
    assert (code, out) == (0, f"ok: the log of {size} entries extends the one of 6 entries\n")

    bundle = json.loads(inclusion.read_text())
    bundle["envelope"]["action"] = "coop.dissolved"
    inclusion.write_text(json.dumps(bundle))
    code, _, err = run(capsys, "--key", key, "--head", str(old_head), str(inclusion))
    assert (code, err) == (1, "FAILED: entry 2 is not in the log of 6 entries\n")


@pytest.mark.django_db
def test_the_schedule_signs_when_the_log_grew_and_refuses_when_it_disagrees(coop: object) -> None:
    out = StringIO()
    call_command("transparency", "--audit", stdout=out)
    assert out.getvalue() == "audited 6 entries: all match\nsigned head: 6 entries\n"
    empty("transparency_lognode")
    with transaction.atomic():
        log.extend(0, [b"\x01" * 32] * 6)
    with pytest.raises(CommandError, match="THE LOG DISAGREES WITH ITSELF"):
        call_command("transparency", stdout=StringIO())
    with pytest.raises(CommandError, match="seconds of at least 1"):
        call_command("transparency", "--loop", "0")


@pytest.mark.django_db(transaction=True)
def test_the_migration_builds_the_log_over_the_entries_already_recorded(coop: object) -> None:
    recorded = list(AuditEntry.objects.order_by("seq").values_list("seq", "canonical"))
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE_THE_LOG])
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # every app back to its newest

    entries = list(AuditEntry.objects.order_by("seq"))
    assert [(e.seq, e.canonical) for e in entries] == recorded
    assert all(e.digest == content_hash(e.salt, e.canonical) for e in entries)
    assert len({e.salt for e in entries}) == len(entries) == 6
    assert log.root_at(6) == root(leaves_of_entries())
    assert LogNode.objects.count() == 10
    assert actions.audit_log() == 6
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(seq=1).update(action="policy.forged")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LogNode.objects.filter(level=0).update(digest=b"\x00" * 32)
