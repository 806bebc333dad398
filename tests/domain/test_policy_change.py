"""Policy changes as typed diffs: what they may touch, and that the result is still valid."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taawun.domain.errors import InvalidInput
from taawun.domain.policy import Policy, founding_policy
from taawun.domain.policy_change import (
    RuleChange,
    apply_changes,
    decision_kind,
    differences,
    protected_changes,
    rules,
    set_rate,
)

from .test_policy import CLASSES


@pytest.fixture
def policy() -> Policy:
    return founding_policy(currency="ILS", classes=copy.deepcopy(CLASSES))


def refused(policy: Policy, changes: dict[str, Any]) -> InvalidInput:
    with pytest.raises(InvalidInput) as excinfo:
        apply_changes(policy, changes)
    return excinfo.value


def test_rules_are_named_by_path_and_keyed_items_by_key(policy: Policy) -> None:
    found = rules(policy)
    assert found["fees.coop_fee_percent"] == "10"
    assert found["membership.classes.worker.share_price"] == "100.00"
    assert found["membership.classes.supporter.votes"] is False
    assert found["pricing.works.licences.personal.price"] == "15.00"
    assert found["governance.decisions.bylaw_change.threshold_percent"] == "66.67"
    assert found["accounting.solidarity.reasons"] == [
        "sickness",
        "injury",
        "parental_leave",
        "equipment",
    ]
    assert found["governance.probation_days"] == 0
    assert "membership.classes" not in found


def test_a_fee_change_changes_that_rule_only(policy: Policy) -> None:
    changed = apply_changes(policy, {"fees.coop_fee_percent": "8"})
    assert changed.fees.coop_fee_percent == Decimal(8)
    assert differences(policy, changed) == (RuleChange("fees.coop_fee_percent", "10", "8"),)


def test_several_rules_at_once_including_keyed_items(policy: Policy) -> None:
    changed = apply_changes(
        policy,
        {
            "membership.classes.worker.share_price": "120.00",
            "pricing.works.licences.extended.royalty_percent": "80",
            "governance.probation_days": "30",
            "dispatch.decline_counts_against": True,
        },
    )
    assert changed.member_class("worker").share_price == Decimal("120.00")
    assert changed.licence("extended").royalty_percent == Decimal(80)
    assert changed.governance.probation_days == 30
    assert changed.dispatch.decline_counts_against is True
    assert [c.path for c in differences(policy, changed)] == [
        "membership.classes.worker.share_price",
        "governance.probation_days",
        "pricing.works.licences.extended.royalty_percent",
        "dispatch.decline_counts_against",
    ]


def test_nothing_to_change_is_refused(policy: Policy) -> None:
    assert refused(policy, {}).code == "no_change"
    error = refused(policy, {"fees.coop_fee_percent": "10.00"})
    assert (error.code, error.params) == ("rule_unchanged", {"path": "fees.coop_fee_percent"})


def test_unknown_rules_and_whole_sections_are_refused(policy: Policy) -> None:
    for path in ("fees.surge", "fees", "membership.classes", "membership.classes.boss.votes"):
        error = refused(policy, {path: "1"})
        assert (error.code, error.params) == ("unknown_rule", {"path": path})


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("governance.delegation", "yes"),
        ("governance.probation_days", "3.5"),
        ("governance.probation_days", True),
        ("fees.coop_fee_percent", ["8"]),
        ("fees.coop_fee_percent", None),
        ("accounting.solidarity.reasons", "sickness"),
    ],
)
def test_a_value_of_the_wrong_kind_is_refused(policy: Policy, path: str, value: object) -> None:
    error = refused(policy, {path: value})
    assert (error.code, error.params) == ("bad_rule_value", {"path": path})


def test_a_change_that_breaks_a_floor_is_refused_before_any_vote(policy: Policy) -> None:
    error = refused(policy, {"fees.coop_fee_percent": "99"})
    assert error.code == "fees_over_100"
    error = refused(policy, {"governance.decisions.policy_change.threshold_percent": "40"})
    assert error.code == "threshold_too_low"
    error = refused(policy, {"fees.coop_fee_percent": "ten"})
    assert (error.code, error.params) == ("invalid_policy", {"field": "fees.coop_fee_percent"})
    before = copy.deepcopy(policy.to_document())
    assert policy.to_document() == before  # the policy given is never touched


def test_protected_rules_make_a_bylaw_change(policy: Policy) -> None:
    assert decision_kind(policy, ["fees.coop_fee_percent"]) == "policy_change"
    paths = ["fees.coop_fee_percent", "membership.exit_notice_days"]
    assert protected_changes(policy, paths) == ["membership.exit_notice_days"]
    assert decision_kind(policy, paths) == "bylaw_change"
    assert decision_kind(policy, ["governance.protected_rules"]) == "bylaw_change"
    assert protected_changes(policy, ["membershipish.x"]) == []
    changed = apply_changes(
        policy, {"governance.protected_rules": ["membership", "governance", "fees"]}
    )
    assert decision_kind(changed, ["fees.coop_fee_percent"]) == "bylaw_change"


@given(st.integers(min_value=0, max_value=80), st.integers(min_value=0, max_value=20))
def test_a_change_and_its_reverse_give_back_the_same_policy(fee: int, solidarity: int) -> None:
    policy = founding_policy(currency="ILS", classes=copy.deepcopy(CLASSES))
    wanted = {"fees.coop_fee_percent": str(fee), "fees.solidarity_percent": str(solidarity)}
    current = rules(policy)
    wanted = {path: value for path, value in wanted.items() if value != current[path]}
    if not wanted:
        return
    changed = apply_changes(policy, wanted)
    reverse = {c.path: c.before for c in differences(policy, changed)}
    assert set(reverse) == set(wanted)
    assert apply_changes(changed, reverse).to_document() == policy.to_document()


def test_a_rate_keeps_the_policy_when_members_keep_the_value(policy: Policy) -> None:
    assert set_rate(policy, "fees.coop_fee_percent", "10.00") is policy
    changed = set_rate(policy, "fees.coop_fee_percent", " 9.50 ")
    assert rules(changed)["fees.coop_fee_percent"] == "9.5"
    with pytest.raises(InvalidInput) as excinfo:
        set_rate(policy, "fees.coop_fee_percent", "99")
    assert excinfo.value.code == "fees_over_100"
