"""The audit trail: one entry per operation, gap-free, canonical, free of personal data, and
append-only in the model layer and in the database."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable

import pytest
from django.db import DatabaseError, connection, transaction

from taawun.accounts.actions import grant_role, revoke_role
from taawun.accounts.models import Role, User
from taawun.coop.actions import adopt_policy
from taawun.coop.models import PolicyVersion
from taawun.domain.canonical import canonical_bytes
from taawun.domain.policy import founding_policy
from taawun.members import actions as members
from taawun.members.models import Application, Membership
from taawun.transparency.audit import next_number, next_numbers, record
from taawun.transparency.models import AuditEntry, Counter
from tests.conftest import TEST_CLASSES

from .helpers import START, Clock, actions_since

pytestmark = pytest.mark.django_db

FOUNDING = [
    "policy.adopted",
    "coop.founded",
    "role.granted",
    "role.granted",
    "membership.admitted",
    "shares.subscribed",
]


def run_scenario(founder: User, make_account: Callable[..., User]) -> dict[str, object]:
    """Every membership action once, by people with distinctive personal data."""
    rana = make_account(name="رنا الخطيب Rana Khatib", email="rana.khatib@example.org")
    omar = make_account(name="عمر ياسين Omar Yassin", email="omar.yassin@example.org")
    hind = make_account(name="هند سلامة Hind Salameh", email="hind.salameh@example.org")

    a = members.apply_for_membership(actor=rana, member_class="worker", motivation="Rana's reasons")
    rana_m = members.approve_application(actor=founder, application_id=a.pk)
    members.update_profile(
        actor=rana, phone="+970599123456", city="Nablus", bio="Cleaner since 2010"
    )
    for instalment in rana_m.instalments.order_by("number"):
        members.record_instalment_payment(
            actor=founder, instalment_id=instalment.pk, method="bank", reference="REF-RANA-1"
        )
    b = members.apply_for_membership(actor=omar, member_class="worker")
    omar_m = members.approve_application(actor=founder, application_id=b.pk)
    members.transfer_shares(actor=founder, from_membership_id=rana_m.pk, to_membership_id=omar_m.pk)
    members.give_notice(actor=omar, membership_id=omar_m.pk)
    members.withdraw_notice(actor=omar, membership_id=omar_m.pk)
    members.give_notice(actor=omar, membership_id=omar_m.pk)
    members.sell_back(actor=founder, membership_id=omar_m.pk, waive_notice=True)
    members.record_repayment(
        actor=founder, membership_id=omar_m.pk, method="bank", reference="REF-OMAR-1"
    )
    c = members.apply_for_membership(actor=hind, member_class="user")
    members.refuse_application(
        actor=founder, application_id=c.pk, reason="Hind Salameh is not local"
    )
    d = members.apply_for_membership(actor=hind, member_class="supporter")
    members.withdraw_application(actor=hind, application_id=d.pk)
    grant_role(actor=founder, user=omar, role=Role.BOARD, policy_version=1)
    revoke_role(actor=founder, user=omar, role=Role.BOARD, policy_version=1)
    return {"people": [rana, omar, hind], "rana": rana_m, "omar": omar_m}


SCENARIO = [
    "application.submitted",
    "application.approved",
    "membership.admitted",
    "shares.subscribed",
    "profile.updated",
    "instalment.paid",
    "instalment.paid",
    "instalment.paid",
    "instalment.paid",
    "application.submitted",
    "application.approved",
    "membership.admitted",
    "shares.subscribed",
    "shares.transferred",
    "membership.transfer_out",
    "membership.give_notice",
    "membership.withdraw_notice",
    "membership.give_notice",
    "shares.sold_back",
    "membership.sell_back",
    "repayment.paid",
    "application.submitted",
    "application.refused",
    "application.submitted",
    "application.withdrawn",
    "role.granted",
    "role.revoked",
]


def test_exactly_one_entry_per_operation_in_order(
    founder: User, make_account: Callable[..., User]
) -> None:
    assert actions_since(0) == FOUNDING
    run_scenario(founder, make_account)
    assert actions_since(0) == FOUNDING + SCENARIO
    assert Counter.objects.get(name="audit").last == len(FOUNDING) + len(SCENARIO)


def test_seq_gap_free_digest_and_canonical_form(
    founder: User, make_account: Callable[..., User]
) -> None:
    run_scenario(founder, make_account)
    entries = list(AuditEntry.objects.order_by("seq"))
    assert [e.seq for e in entries] == list(range(1, len(FOUNDING) + len(SCENARIO) + 1))
    for entry in entries:
        data = entry.canonical.encode("utf-8")
        assert len(entry.salt) == 32
        assert entry.digest == hashlib.sha256(bytes.fromhex(entry.salt) + data).hexdigest()
        body = json.loads(data)
        assert canonical_bytes(body) == data  # stored text is exactly the canonical form
        assert body == {
            "seq": entry.seq,
            "at": canonical_bytes(entry.at).decode().strip('"'),
            "actor": entry.actor_id,
            "action": entry.action,
            "subject": {"type": entry.subject_type, "id": entry.subject_id},
            "policy_version": entry.policy_version,
            "before": entry.before,
            "after": entry.after,
        }
        assert entry.policy_version == 1
    # the founding policy adoption names no actor other than the founder and its own version
    assert (entries[0].action, entries[0].actor_id, entries[0].subject_id) == (
        "policy.adopted",
        founder.pk,
        "1",
    )
    assert entries[2].actor_id is None  # the founding assembly grants the first roles


def test_exact_entries_for_a_payment_and_a_sell_back(
    clock: Clock, founder: User, make_member: Callable[..., Membership]
) -> None:
    membership = make_member()
    instalment = membership.instalments.get(number=1)
    members.record_instalment_payment(actor=founder, instalment_id=instalment.pk, method="cash")
    paid = AuditEntry.objects.get(action="instalment.paid")
    assert json.loads(paid.canonical) == {
        "seq": paid.seq,
        "at": "2030-03-01T10:00:00.000000Z",
        "actor": founder.pk,
        "action": "instalment.paid",
        "subject": {"type": "instalment", "id": str(instalment.pk)},
        "policy_version": 1,
        "before": {"paid": False},
        "after": {
            "member": 2,
            "number": 1,
            "amount": "50.00",
            "currency": "ILS",
            "method": "cash",
            "receipt": 1,
            "journal": 1,
        },
    }
    members.give_notice(actor=membership.user, membership_id=membership.pk)
    clock.advance(days=31)
    members.sell_back(actor=founder, membership_id=membership.pk)
    sold = AuditEntry.objects.get(action="shares.sold_back")
    assert (sold.subject_type, sold.subject_id, sold.before) == ("share_register", "3", None)
    assert sold.after == {
        "member": 2,
        "shares": 2,
        "owed": "50.00",
        "currency": "ILS",
        "due_on": "2030-06-30",
        "instalments_cancelled": 3,
        "notice_waived": False,
        "journal": 2,
    }
    left = AuditEntry.objects.get(action="membership.sell_back")
    assert (left.before, left.after) == (
        {"status": "leaving"},
        {"status": "left", "left_on": "2030-04-01"},
    )
    members.record_repayment(actor=founder, membership_id=membership.pk, method="cash")
    repaid = AuditEntry.objects.get(action="repayment.paid")
    assert (repaid.subject_type, repaid.subject_id, repaid.after) == (
        "membership",
        "2",
        {"amount": "50.00", "currency": "ILS", "method": "cash", "journal": 3},
    )


def test_no_personal_data_in_any_entry(founder: User, make_account: Callable[..., User]) -> None:
    people = run_scenario(founder, make_account)["people"]
    secrets = [
        "founder@example.org",
        "سعاد الفلاحي",
        "+970599123456",
        "Nablus",
        "Cleaner since 2010",
        "Rana's reasons",
        "REF-RANA-1",
        "not local",
    ]
    for person in people:  # type: ignore[attr-defined]
        secrets += [person.email, person.full_name, *person.full_name.split()]
    texts = [
        " ".join(
            [
                e.canonical,
                json.dumps(e.before, ensure_ascii=False),
                json.dumps(e.after, ensure_ascii=False),
                e.subject_id,
                e.subject_type,
                e.action,
            ]
        )
        for e in AuditEntry.objects.all()
    ]
    assert len(texts) == len(FOUNDING) + len(SCENARIO)
    leaks = sorted({s for s in secrets for t in texts if s.lower() in t.lower()})
    assert leaks == []


def test_entries_record_the_policy_version_in_force(
    founder: User, make_applicant: Callable[..., Application]
) -> None:
    application = make_applicant()
    adopt_policy(
        actor=founder, policy=founding_policy(currency="ILS", classes=TEST_CLASSES), reason="v2"
    )
    members.approve_application(actor=founder, application_id=application.pk)
    assert list(AuditEntry.objects.order_by("seq").values_list("action", "policy_version"))[
        -5:
    ] == [
        ("application.submitted", 1),
        ("policy.adopted", 2),
        ("application.approved", 2),
        ("membership.admitted", 2),
        ("shares.subscribed", 2),
    ]
    assert Membership.objects.get(number=2).share_operations.get().policy_version == 2
    assert PolicyVersion.objects.get(number=2).reason == "v2"


# --- append-only -----------------------------------------------------------------------------


def test_model_layer_refuses_changes(coop: object) -> None:
    entry = AuditEntry.objects.get(seq=1)
    entry.action = "policy.forged"
    with pytest.raises(DatabaseError, match="append-only"):
        entry.save()
    with pytest.raises(DatabaseError, match="append-only"):
        entry.delete()
    with pytest.raises(DatabaseError, match="append-only"):
        AuditEntry.objects.filter(seq=1).delete()
    assert AuditEntry.objects.get(seq=1).action == "policy.adopted"
    assert AuditEntry.objects.count() == len(FOUNDING)


def test_database_refuses_updates(coop: object) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(seq=1).update(action="policy.forged")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE transparency_auditentry SET digest = 'x'")
    assert list(AuditEntry.objects.values_list("action", flat=True)) == FOUNDING
    assert all(len(d) == 64 for d in AuditEntry.objects.values_list("digest", flat=True))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's test flush needs DELETE")
def test_postgresql_refuses_deletes(coop: object) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(seq=1)._raw_delete(connection.alias)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM transparency_auditentry")
    assert AuditEntry.objects.count() == len(FOUNDING)


@pytest.mark.django_db(transaction=True)
def test_numbers_need_a_transaction() -> None:
    with pytest.raises(RuntimeError, match="inside a transaction"):
        next_number("anything")
    with transaction.atomic():
        assert [next_number("fresh"), next_number("fresh"), next_number("other")] == [1, 2, 1]
        assert [next_numbers("fresh", 3), next_numbers("other", 1), next_number("fresh")] == [
            3,
            2,
            6,
        ]
        assert next_numbers("new", 4) == 1
        assert Counter.objects.get(name="new").last == 4


def test_entries_of_one_transaction_are_numbered_in_the_order_recorded(coop: object) -> None:
    first = AuditEntry.objects.count() + 1
    with transaction.atomic():
        for n in range(3):
            record(
                actor_id=None, action=f"step.{n}", subject_type="t", subject_id=n, policy_version=1
            )
        assert AuditEntry.objects.count() == first - 1  # nothing written before the commit
    assert list(AuditEntry.objects.filter(seq__gte=first).values_list("seq", "action")) == [
        (first, "step.0"),
        (first + 1, "step.1"),
        (first + 2, "step.2"),
    ]
    assert Counter.objects.get(name="audit").last == first + 2


def test_record_refuses_uncanonical_data(db: None) -> None:
    with pytest.raises(TypeError), transaction.atomic():
        record(
            actor_id=None,
            action="x",
            subject_type="t",
            subject_id=1,
            policy_version=None,
            after={"amount": 1.5},
        )
    with pytest.raises(TypeError), transaction.atomic():
        record(
            actor_id=None,
            action="x",
            subject_type="t",
            subject_id=1,
            policy_version=None,
            after={"at": dt.datetime(2030, 1, 1)},
        )
    assert not AuditEntry.objects.exists()
    assert not Counter.objects.exists()


def test_founding_entries_start_at_one(coop: object) -> None:
    assert list(AuditEntry.objects.order_by("seq").values_list("seq", "action")) == list(
        enumerate(FOUNDING, 1)
    )
    assert START.year == 2030
