"""The transparency log in the database: fed by the audit trail in the same transaction, signed,
proved over the API, checked by the standalone verifier, and loud when its past is rewritten."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import connection, transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import taawun.verifier
from taawun.accounts.models import User
from taawun.domain import merkle
from taawun.domain.errors import DomainError
from taawun.members import actions as members
from taawun.transparency import actions, log, signing
from taawun.transparency.audit import record
from taawun.transparency.models import AuditEntry, Counter, LogAlarm, LogNode, TreeHead
from taawun.verifier import (
    Checkpoint,
    ForkDetected,
    Log,
    VerificationFailed,
    check_inclusion,
    envelope,
    envelope_leaf,
    follow,
    open_checkpoint,
    parse_key,
    root,
    sign_note,
    verify_consistency,
)
from taawun.verifier import (
    audit as audit_entries,
)

pytestmark = pytest.mark.django_db


def leaves_of_entries() -> list[bytes]:
    """Every entry's leaf, recomputed from its stored content and salt."""
    return [
        envelope_leaf(envelope(json.loads(text), text, salt))
        for text, salt in AuditEntry.objects.order_by("seq").values_list("canonical", "salt")
    ]


def in_process(client: Client) -> Callable[[str], bytes]:
    """The verifier's fetch, answered by the test client instead of the network."""

    def fetch(url: str) -> bytes:
        response = client.get(url.removeprefix("http://testserver"))
        assert response.status_code == 200, response.content
        return bytes(response.content)

    return fetch


def test_every_entry_is_a_leaf_and_the_stored_tree_has_their_root(coop: object) -> None:
    leaves = leaves_of_entries()
    assert len(leaves) == log.size() == AuditEntry.objects.count() == 6
    assert log.root_at(len(leaves)) == root(leaves)
    assert [bytes(d) for d in LogNode.objects.filter(level=0).values_list("digest", flat=True)] == (
        leaves
    )
    # Six leaves: six at level 0, three at level 1, one at level 2 (the 4-leaf subtree).
    assert LogNode.objects.count() == 10


def test_the_public_envelope_hides_the_content(
    founder: User, make_account: Callable[..., User]
) -> None:
    rana = make_account(name="Rana Khatib", email="rana.khatib@example.org")
    members.apply_for_membership(actor=rana, member_class="worker", motivation="my reasons")
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None
    public = envelope(json.loads(entry.canonical), entry.canonical, entry.salt)
    assert public == {
        "seq": entry.seq,
        "at": json.loads(entry.canonical)["at"],
        "action": "application.submitted",
        "subject": "application",
        "policy_version": 1,
        "content": hashlib.sha256(bytes.fromhex(entry.salt) + entry.canonical.encode()).hexdigest(),
    }
    # Without the salt, hashing the content alone finds nothing.
    assert public["content"] != hashlib.sha256(entry.canonical.encode()).hexdigest()


def test_a_rolled_back_action_leaves_no_leaf(founder: User) -> None:
    before = (log.size(), LogNode.objects.count(), log.root_at(log.size()))
    with transaction.atomic():
        savepoint = transaction.savepoint()
        record(
            actor_id=founder.pk,
            action="test.undone",
            subject_type="test",
            subject_id=1,
            policy_version=1,
        )
        transaction.savepoint_rollback(savepoint)
    assert (log.size(), LogNode.objects.count(), log.root_at(log.size())) == before


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=8))
def test_appends_in_any_batches_make_the_same_tree(db: None, batches: list[int]) -> None:
    """However the entries are grouped into transactions, the tree and every proof agree with
    the tree built from scratch."""
    with transaction.atomic():
        written: list[bytes] = []
        for count in batches:
            new = [hashlib.sha256(f"{len(written) + i}".encode()).digest() for i in range(count)]
            log.extend(len(written), new)
            written += new
        size = len(written)
        assert log.root_at(size) == root(written)
        for old in range(size + 1):
            assert verify_consistency(
                old, size, root(written[:old]), root(written), log.consistency_proof(old, size)
            )
        transaction.set_rollback(True)


def test_a_signed_head_verifies_with_the_published_key(coop: object) -> None:
    head = actions.sign_tree_head()
    key = parse_key(head.key)
    assert key == signing.public_key()
    assert key.name == signing.origin() == "127.0.0.1:8000/log"
    assert open_checkpoint(head.note, key) == Checkpoint(key.name, 6, root(leaves_of_entries()))
    assert actions.sign_tree_head() == head  # nothing new: no second head of the same log


def test_a_head_signed_by_another_key_does_not_verify(coop: object) -> None:
    head = actions.sign_tree_head()
    stranger = Ed25519PrivateKey.generate()
    forged = sign_note(head.note.split("\n\n")[0] + "\n", signing.origin(), stranger)
    with pytest.raises(VerificationFailed, match=r"does not verify|no signature"):
        open_checkpoint(forged, parse_key(head.key))


def test_readers_get_a_fresh_head_only_when_the_log_grew_and_the_head_aged(
    founder: User, make_account: Callable[..., User], settings: Any
) -> None:
    first = actions.fresh_tree_head()
    members.apply_for_membership(actor=make_account(), member_class="worker")
    assert actions.fresh_tree_head() == first  # younger than LOG_HEAD_MAX_AGE
    settings.LOG_HEAD_MAX_AGE = 0
    second = actions.fresh_tree_head()
    assert (first.size, second.size) == (6, 7)
    assert actions.fresh_tree_head() == second  # the log has not grown since


def test_the_api_serves_heads_and_proofs_the_verifier_accepts(
    founder: User, make_account: Callable[..., User], tmp_path: Path
) -> None:
    for _ in range(4):
        members.apply_for_membership(actor=make_account(), member_class="worker")
    client = Client()
    key = parse_key(client.get("/api/log/key").json()["key"])
    state = tmp_path / "witness.json"
    remote = Log("http://testserver", fetch=in_process(client))
    assert follow(remote, key, state) == [
        f"signed head: 10 entries, root {root(leaves_of_entries()).hex()}"
    ]
    head = open_checkpoint(client.get("/api/log/checkpoint").content.decode(), key)
    assert audit_entries(head, remote.envelopes()) == 10
    for seq in range(1, 11):
        bundle = client.get(f"/api/log/proof/inclusion?seq={seq}&size=10").json()
        assert check_inclusion(bundle, head, None) == f"entry {seq} is in the log of 10 entries"
    members.apply_for_membership(actor=make_account(), member_class="worker")
    client.post("/api/log/checkpoint")  # anonymous: refused, nothing signed
    assert TreeHead.objects.count() == 1
    client.force_login(founder)
    assert client.post("/api/log/checkpoint").status_code == 200
    assert follow(remote, key, state)[1:] == ["extends the head of 10 entries kept before"]


def test_a_member_checks_an_entrys_content_against_the_log(
    founder: User, make_account: Callable[..., User]
) -> None:
    client = Client()
    head = open_checkpoint(client.get("/api/log/checkpoint").content.decode(), signing.public_key())
    bundle = client.get("/api/log/proof/inclusion?seq=5&size=6").json()
    assert client.get("/api/log/entries/5/content").status_code == 401
    outsider = make_account()
    client.force_login(outsider)
    assert client.get("/api/log/entries/5/content").status_code == 403
    client.force_login(founder)
    content = client.get("/api/log/entries/5/content").json()
    assert (
        check_inclusion(bundle, head, content) == "entry and content 5 is in the log of 6 entries"
    )
    altered = dict(content, canonical=content["canonical"].replace('"seq":5', '"seq":6'))
    with pytest.raises(VerificationFailed, match="content is not what the log holds"):
        check_inclusion(bundle, head, altered)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("proof/inclusion?seq=7&size=6", "entry_beyond_head"),
        ("proof/inclusion?seq=7&size=7", "beyond_log"),
        ("proof/inclusion?seq=6&size=5", "entry_beyond_head"),
        ("proof/consistency?old=7&new=6", "beyond_log"),
        ("proof/consistency?old=5&new=9", "beyond_log"),
    ],
)
def test_proofs_beyond_the_log_are_refused(coop: object, query: str, code: str) -> None:
    response = Client().get(f"/api/log/{query}")
    assert response.status_code == 400
    assert response.json()["error"] == code


def test_proof_requests_that_make_no_sense_get_a_clear_error(coop: object) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="ar")
    for query in ["proof/inclusion?seq=0&size=6", "proof/inclusion?seq=x", "entries?start=-1"]:
        response = client.get(f"/api/log/{query}")
        assert response.status_code in {400, 422}
        assert response.json()["message"]
    refused = client.get("/api/log/proof/consistency?old=7&new=6").json()["message"]
    assert refused == "في السجل 6 قيود، لا 7."


def test_a_kept_head_is_checked_and_a_rewritten_past_raises_the_alarm(
    founder: User, make_account: Callable[..., User], settings: Any
) -> None:
    settings.LOG_HEAD_MAX_AGE = 0
    kept = actions.sign_tree_head()
    members.apply_for_membership(actor=make_account(), member_class="worker")
    client = Client()
    answer = client.post("/api/log/witness", {"note": kept.note}, content_type="application/json")
    assert answer.status_code == 200
    checked = answer.json()
    new = open_checkpoint(checked["checkpoint"], signing.public_key())
    assert (checked["old_size"], new.size) == (6, 7)
    proof = [base64.b64decode(h) for h in checked["path"]]
    assert verify_consistency(6, 7, bytes(kept.root), new.root, proof)
    assert not LogAlarm.objects.exists()

    # The co-op's own key signed a head of six entries with another root: a fork.
    lie = Checkpoint(signing.origin(), 6, hashlib.sha256(b"another past").digest())
    forged = signing.sign(lie)
    answer = client.post("/api/log/witness", {"note": forged}, content_type="application/json")
    assert answer.status_code == 409
    assert answer.json()["error"] == "log_forked"
    alarm = LogAlarm.objects.get()
    assert (alarm.kind, alarm.evidence) == ("fork", forged)
    page = client.get("/log/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Warning: the log disagrees with itself" in page
    assert forged.split("\n")[2] in page


def test_a_head_not_signed_by_the_coop_is_refused_and_raises_nothing(coop: object) -> None:
    actions.sign_tree_head()
    stranger = sign_note(
        Checkpoint(signing.origin(), 6, b"\x00" * 32).text(),
        signing.origin(),
        Ed25519PrivateKey.generate(),
    )
    for note in [stranger, "garbage", "a\n\n\u2014 x y\n"]:
        response = Client().post(
            "/api/log/witness", {"note": note}, content_type="application/json"
        )
        assert response.status_code == 400
        assert response.json()["error"] == "not_a_signed_head"
    assert not LogAlarm.objects.exists()


def empty(*tables: str) -> None:
    """Remove every row of log tables as someone with the database would (triggers or not)."""
    with connection.cursor() as cursor:
        for table in tables:
            verb = "TRUNCATE" if connection.vendor == "postgresql" else "DELETE FROM"
            cursor.execute(f"{verb} {table}")


def _tamper(sql: str, params: list[Any]) -> None:
    """Change a stored row behind the platform's back, as someone with the database would."""
    table = "transparency_auditentry"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER audit_append_only")
            cursor.execute(sql, params)
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER audit_append_only")
        else:
            cursor.execute("DROP TRIGGER audit_append_only")
            cursor.execute(sql, params)
            cursor.execute(
                f"CREATE TRIGGER audit_append_only BEFORE UPDATE ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;"
            )


def test_the_audit_finds_an_entry_changed_in_the_database(coop: object) -> None:
    actions.sign_tree_head()
    assert actions.audit_log() == 6
    entry = AuditEntry.objects.get(seq=4)
    _tamper(
        "UPDATE transparency_auditentry SET canonical = %s WHERE seq = 4",
        [entry.canonical.replace('"role.granted"', '"role.revoked"')],
    )
    with pytest.raises(DomainError, match="Entry 4 no longer matches the log"):
        actions.audit_log()
    assert LogAlarm.objects.get().detail == "entry 4 does not match leaf 3"


def test_a_witness_catches_a_rewritten_log_even_if_the_coop_hides_it(
    coop: object, tmp_path: Path
) -> None:
    """Rewrite an entry, its hash, and the whole stored tree, and forget the signed heads: the
    co-op's own checks are fooled, but a head a witness kept is not."""
    client = Client()
    key = signing.public_key()
    state = tmp_path / "witness.json"
    remote = Log("http://testserver", fetch=in_process(client))
    follow(remote, key, state)
    entry = AuditEntry.objects.get(seq=2)
    changed = entry.canonical.replace('"coop.founded"', '"coop.dissolved"')
    public = envelope(json.loads(changed), changed, entry.salt)
    _tamper(
        "UPDATE transparency_auditentry SET canonical = %s, digest = %s WHERE seq = 2",
        [changed, public["content"]],
    )
    leaves = leaves_of_entries()
    empty("transparency_lognode", "transparency_treehead")
    log.extend(0, leaves)
    assert actions.audit_log() == 6  # consistent with itself: only outside memory can tell
    with pytest.raises(ForkDetected, match="does not extend"):
        follow(remote, key, state)


def test_the_log_page_shows_the_head_the_key_and_how_to_check(
    coop: object, make_account: Callable[..., User]
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = client.get("/log/").content.decode()
    head = TreeHead.objects.get()
    assert head.size == 6
    assert str(signing.public_key()) in page
    assert "python verifier.py --log http://testserver --key" in page
    assert 'action="/log/sign/"' not in page  # only members may ask for a signature
    download = client.get("/log/head.txt")
    assert download["Content-Disposition"] == 'attachment; filename="log-head-6.txt"'
    assert download.content.decode() == head.note
    source = client.get("/log/verifier.py").content
    assert source == Path(taawun.verifier.__file__).read_bytes()

    checked = client.post("/log/", {"note": head.note}).content.decode()
    assert "The head of 6 entries you kept is part of the log" in checked
    refused = client.post("/log/", {"note": "not a head"})
    assert refused.status_code == 400
    assert "This is not a tree head signed by this co-op" in refused.content.decode()
    assert client.post("/log/", {"note": ""}).status_code == 400


def test_operators_read_heads_and_alarms_but_change_nothing(coop: object) -> None:
    head = actions.sign_tree_head()
    operator = User.objects.create_superuser(email="operator@example.org", password="x" * 20)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(operator)
    page = client.get(f"/admin/transparency/treehead/{head.pk}/change/").content.decode()
    assert head.note.split("\n")[2] in page
    assert client.get("/admin/transparency/logalarm/").status_code == 200
    assert client.post(f"/admin/transparency/treehead/{head.pk}/delete/").status_code == 403
    assert TreeHead.objects.get() == head


def test_the_counter_keeps_the_edge_of_the_tree_it_counts(
    founder: User, make_account: Callable[..., User]
) -> None:
    members.apply_for_membership(actor=make_account(), member_class="worker")
    size = log.size()
    packed = bytes(Counter.objects.get(name="audit").edge)
    edge = log.unpacked(size, packed)
    assert edge == log.fetch(merkle.edge(size))
    assert list(edge) == [(2, 0), (1, 2), (0, 6)]  # seven leaves: 4 + 2 + 1
    # A copy of another tree's edge is never taken for this one's, even of the same shape.
    assert log.unpacked(size + 4, packed) is None
    assert log.unpacked(size, b"") is None


def test_the_audit_on_every_core_finds_what_the_audit_in_one_finds(
    coop: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(actions, "AUDIT_IN_PARALLEL_FROM", 0)
    monkeypatch.setattr(actions, "AUDIT_CHUNK", 2)  # three chunks, rebuilt by other processes
    assert actions.audit_log() == 6
    entry = AuditEntry.objects.get(seq=5)
    _tamper(
        "UPDATE transparency_auditentry SET canonical = %s WHERE seq = 5",
        [entry.canonical.replace('"seq":5', '"seq":5 ')],
    )
    with pytest.raises(DomainError, match="Entry 5 no longer matches the log"):
        actions.audit_log()
    assert LogAlarm.objects.get().detail == "entry 5 does not match leaf 4"
