"""The log under concurrency, on PostgreSQL: actions committing at once each add their leaves
to one tree, in the order of their entries; two signers at once sign one head per size."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection, transaction

from taawun.accounts.models import User
from taawun.members import actions as members
from taawun.transparency import actions, log, signing
from taawun.transparency.audit import record
from taawun.transparency.models import AuditEntry, LogNode, TreeHead
from taawun.verifier import root
from tests.races import as_user, line_up, oks, race

from .test_log import leaves_of_entries

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def many_entries(founder: User, count: int) -> Callable[[], None]:
    def write() -> None:
        with transaction.atomic():
            for n in range(count):
                record(
                    actor_id=founder.pk,
                    action="test.concurrent",
                    subject_type="test",
                    subject_id=n,
                    policy_version=1,
                )

    return write


def test_transactions_committing_at_once_make_one_consistent_tree(founder: User) -> None:
    race([many_entries(founder, n) for n in (1, 7, 3, 12, 5, 2)])
    assert log.size() == AuditEntry.objects.count() == 6 + 30
    leaves = leaves_of_entries()
    assert log.root_at(36) == root(leaves)
    assert list(AuditEntry.objects.values_list("seq", flat=True)) == list(range(1, 37))
    assert LogNode.objects.filter(level=0).count() == 36
    assert actions.audit_log() == 36


def test_actions_racing_each_other_are_all_in_the_log(
    monkeypatch: pytest.MonkeyPatch, founder: User, make_account: Callable[..., User]
) -> None:
    people = [make_account() for _ in range(4)]
    line_up(monkeypatch, members, "record", 4, after=True)
    outcomes = race(
        [
            lambda p=person: members.apply_for_membership(
                actor=as_user(p.pk), member_class="worker"
            )
            for person in people
        ]
    )
    assert len(oks(outcomes)) == 4
    assert log.root_at(log.size()) == root(leaves_of_entries())


def test_two_signers_at_once_sign_one_head(monkeypatch: pytest.MonkeyPatch, coop: object) -> None:
    line_up(monkeypatch, signing, "sign", 2, after=True)
    heads = oks(race([actions.sign_tree_head, actions.sign_tree_head]))
    assert len(heads) == 2
    assert heads[0].pk == heads[1].pk
    assert TreeHead.objects.count() == 1
