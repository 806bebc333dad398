"""The `taawun` command: founding from the command line, and the demo co-op."""

from __future__ import annotations

from decimal import Decimal

import pytest

from taawun.accounts.models import Role, RoleGrant, User
from taawun.accounts.selectors import roles_of
from taawun.cli import main
from taawun.coop.models import Coop, PolicyVersion
from taawun.coop.selectors import current_policy
from taawun.demo import DEMO_DOMAIN, create_demo
from taawun.members.models import Application, Instalment, Membership

pytestmark = pytest.mark.django_db


def test_init_founds_a_co_op_with_its_classes_and_first_member(capsys) -> None:
    main(
        [
            "init",
            "--name-ar",
            "تعاونية سائقي نابلس",
            "--name-en",
            "Nablus Drivers Co-op",
            "--handle",
            "nablus-drivers",
            "--currency",
            "JOD",
            "--member-class",
            "worker:150.000:6:30",
            "--member-class",
            "supporter:200.000:2:90:novote",
            "--founder-email",
            "Founder@Example.org",
            "--founder-name",
            "ليلى",
            "--founder-password",
            "a long founding password",
        ]
    )
    assert capsys.readouterr().out == "Founded Nablus Drivers Co-op (nablus-drivers).\n"
    coop = Coop.objects.get()
    assert (coop.name_en, coop.handle) == ("Nablus Drivers Co-op", "nablus-drivers")
    policy = current_policy()
    assert policy.number == 1
    assert policy.policy.currency == "JOD"
    assert [
        (c.key, c.share_price, c.instalments, c.votes) for c in policy.policy.membership.classes
    ] == [
        ("worker", Decimal("150.000"), 6, True),
        ("supporter", Decimal("200.000"), 2, False),
    ]
    founder = User.objects.get(email="founder@example.org")
    assert founder.check_password("a long founding password")
    assert roles_of(founder) == {Role.CUSTOMER, Role.MEMBER, Role.WORKER, Role.BOARD, Role.ADMIN}
    membership = Membership.objects.get()
    assert (membership.number, membership.member_class) == (1, "worker")
    assert list(membership.instalments.values_list("amount", flat=True)) == [Decimal("25.000")] * 6


def test_init_refuses_bad_input_and_founds_nothing() -> None:
    with pytest.raises(SystemExit) as refused:
        main(
            [
                "init",
                "--name-ar",
                "س",
                "--name-en",
                "S",
                "--handle",
                "s",
                "--currency",
                "XYZ",
                "--founder-email",
                "f@example.org",
                "--founder-name",
                "F",
                "--founder-password",
                "pw-long-enough",
            ]
        )
    assert str(refused.value) == "taawun init: Unknown currency XYZ."
    assert (Coop.objects.count(), PolicyVersion.objects.count(), User.objects.count()) == (0, 0, 0)


def test_demo_co_op_has_members_in_every_class() -> None:
    create_demo()
    assert Coop.objects.get().name_en == "Ramallah Cleaning Co-op"
    current = Membership.objects.exclude(status="left")
    assert current.count() == 18
    assert dict(
        (cls, current.filter(member_class=cls).count()) for cls in ("worker", "user", "supporter")
    ) == {"worker": 12, "user": 4, "supporter": 2}
    assert Membership.objects.filter(status="leaving").count() == 1
    assert Application.objects.filter(status="pending").count() == 3
    assert RoleGrant.objects.filter(role=Role.BOARD, revoked_at__isnull=True).count() == 3
    assert Instalment.objects.filter(paid_at__isnull=False).count() == 48
    people = User.objects.filter(email__endswith=f"@{DEMO_DOMAIN}")
    assert people.filter(applications__isnull=False).distinct().count() == 20  # and the founder
