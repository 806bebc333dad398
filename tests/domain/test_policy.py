"""The Policy document: parsing, the co-op rules every version must keep, round trips."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import pytest

from taawun.domain.canonical import canonical_bytes
from taawun.domain.errors import InvalidInput
from taawun.domain.money import Money
from taawun.domain.policy import DECISION_KINDS, Policy, founding_policy, parse, validate

CLASSES: list[dict[str, Any]] = [
    {
        "key": "worker",
        "name": {"ar": "عضو عامل", "en": "Worker member"},
        "share_price": "100.00",
        "shares_required": 2,
        "instalments": 4,
        "votes": True,
        "works": True,
    },
    {
        "key": "supporter",
        "name": {"ar": "داعم", "en": "Supporter"},
        "share_price": "50",
        "votes": False,
    },
]


@pytest.fixture
def document() -> dict[str, Any]:
    return founding_policy(currency="ILS", classes=copy.deepcopy(CLASSES)).to_document()


def refused(document: dict[str, Any]) -> InvalidInput:
    with pytest.raises(InvalidInput) as excinfo:
        parse(document)
    return excinfo.value


def test_founding_policy_is_valid_with_sensible_defaults() -> None:
    policy = founding_policy(currency="ILS", classes=copy.deepcopy(CLASSES))
    validate(policy)
    assert policy.schema_version == 1
    assert policy.currency == "ILS"
    assert policy.languages == ("ar", "en")
    assert policy.membership.admission_by == "board"
    assert policy.membership.voting_rights == "on_admission"
    assert policy.membership.exit_notice_days == 30
    assert policy.membership.repayment_days == 90
    assert policy.membership.transfers_allowed is True
    assert set(policy.governance.decisions) == set(DECISION_KINDS)
    bylaw = policy.governance.decisions["bylaw_change"]
    assert (bylaw.method, bylaw.protected, bylaw.threshold_percent) == (
        "supermajority",
        True,
        Decimal("66.67"),
    )
    worker = policy.member_class("worker")
    assert (worker.share_price, worker.shares_required, worker.instalments) == (
        Decimal("100.00"),
        2,
        4,
    )
    assert worker.instalment_interval_days == 30
    assert policy.share_total("worker") == Money.of("200.00", "ILS")
    assert policy.share_total("supporter") == Money.of("50.00", "ILS")
    assert worker.name.get("ar") == "عضو عامل"
    assert worker.name.get("en-gb") == "Worker member"


def test_founding_policy_with_admission_by_vote() -> None:
    policy = founding_policy(currency="JOD", classes=copy.deepcopy(CLASSES), admission_by="vote")
    assert policy.membership.admission_by == "vote"
    assert policy.share_total("worker") == Money.of("200.000", "JOD")


def test_unknown_member_class_is_refused() -> None:
    policy = founding_policy(currency="ILS", classes=copy.deepcopy(CLASSES))
    with pytest.raises(InvalidInput) as excinfo:
        policy.member_class("founder")
    assert excinfo.value.code == "unknown_member_class"
    assert excinfo.value.params == {"key": "founder"}


def test_parse_round_trips_to_document(document: dict[str, Any]) -> None:
    policy = parse(document)
    assert policy.to_document() == document
    # the stored (JSON) form parses to the same policy and the same canonical bytes
    stored = json.loads(canonical_bytes(document))
    assert parse(stored) == policy
    assert canonical_bytes(parse(stored).to_document()) == canonical_bytes(document)


def test_document_holds_only_canonical_types(document: dict[str, Any]) -> None:
    assert document["membership"]["classes"][0]["share_price"] == "100.00"
    assert document["governance"]["decisions"]["bylaw_change"]["threshold_percent"] == "66.67"
    assert document["languages"] == ["ar", "en"]
    canonical_bytes(document)  # no float, nothing unserialisable


def test_duplicate_class_key_is_refused(document: dict[str, Any]) -> None:
    document["membership"]["classes"][1]["key"] = "worker"
    assert refused(document).code == "duplicate_class"


def test_no_voting_class_is_refused(document: dict[str, Any]) -> None:
    for member_class in document["membership"]["classes"]:
        member_class["votes"] = False
    assert refused(document).code == "no_voting_class"


@pytest.mark.parametrize("kind", ["ordinary", "admission", "policy_change"])
def test_majority_threshold_below_half_is_refused(document: dict[str, Any], kind: str) -> None:
    document["governance"]["decisions"][kind]["threshold_percent"] = "49.99"
    error = refused(document)
    assert error.code == "threshold_too_low"
    assert error.params == {"kind": kind}
    assert str(error) == f"A vote threshold below 50% would let a minority decide ({kind})."


def test_consent_may_have_any_threshold(document: dict[str, Any]) -> None:
    document["governance"]["decisions"]["admission"] = {
        "method": "consent",
        "threshold_percent": "0",
    }
    assert parse(document).governance.decisions["admission"].method == "consent"


@pytest.mark.parametrize(
    ("kind", "method"),
    [
        ("election", "consent"),
        ("policy_change", "approval"),
        ("policy_change", "numeric"),
        ("rate", "majority"),
        ("poll", "stv"),
        ("ordinary", "ranked"),
    ],
)
def test_a_method_that_cannot_decide_the_kind_is_refused(
    document: dict[str, Any], kind: str, method: str
) -> None:
    document["governance"]["decisions"][kind]["method"] = method
    error = refused(document)
    assert error.code == "method_not_for_kind"
    assert error.params == {"method": method, "kind": kind}


def test_founding_rules_for_elections_rates_and_polls(document: dict[str, Any]) -> None:
    decisions = parse(document).governance.decisions
    assert (decisions["election"].method, decisions["election"].secret) == ("stv", True)
    assert decisions["election"].voting_days == 14
    assert decisions["rate"].method == "numeric"
    assert (decisions["poll"].method, decisions["poll"].quorum_percent) == ("approval", 0)
    assert decisions["ordinary"].basis == "cast"
    assert parse(document).governance.protected_rules == ("membership", "governance")


def test_unprotected_bylaw_rule_is_refused(document: dict[str, Any]) -> None:
    document["governance"]["decisions"]["bylaw_change"]["protected"] = False
    assert refused(document).code == "bylaw_unprotected"


def test_bylaw_threshold_below_ordinary_is_refused(document: dict[str, Any]) -> None:
    document["governance"]["decisions"]["ordinary"]["threshold_percent"] = "70"
    assert refused(document).code == "bylaw_unprotected"


@pytest.mark.parametrize(
    ("currency", "price"), [("ILS", "10.005"), ("USD", "0.001"), ("JOD", "1.0001")]
)
def test_sub_minor_unit_share_price_is_refused(
    document: dict[str, Any], currency: str, price: str
) -> None:
    document["currency"] = currency
    document["membership"]["classes"][0]["share_price"] = price
    error = refused(document)
    assert error.code == "too_precise"
    assert error.params == {"amount": price, "currency": currency}


def test_three_decimal_price_is_fine_in_a_three_decimal_currency(document: dict[str, Any]) -> None:
    document["currency"] = "JOD"
    document["membership"]["classes"][0]["share_price"] = "10.005"
    assert parse(document).share_total("worker") == Money.of("20.010", "JOD")


def test_unknown_currency_is_refused(document: dict[str, Any]) -> None:
    document["currency"] = "XAU"
    error = refused(document)
    assert error.code == "unknown_currency"
    assert error.params == {"code": "XAU"}


@pytest.mark.parametrize("kind", DECISION_KINDS)
def test_missing_decision_rule_is_refused(document: dict[str, Any], kind: str) -> None:
    del document["governance"]["decisions"][kind]
    error = refused(document)
    assert error.code == "missing_decision_rule"
    assert error.params == {"kind": kind}


def test_unknown_decision_kind_is_refused(document: dict[str, Any]) -> None:
    document["governance"]["decisions"]["coup"] = {"method": "majority"}
    assert refused(document).code == "unknown_decision_kind"


def test_bad_languages_are_refused(document: dict[str, Any]) -> None:
    document["languages"] = ["ar", "fr"]
    assert refused(document).code == "bad_languages"
    document["languages"] = []
    assert refused(document).code == "bad_languages"


def test_more_instalments_than_minor_units_is_refused(document: dict[str, Any]) -> None:
    """Every instalment must be at least one minor unit: 0.03 ILS cannot be paid in 4."""
    document["membership"]["classes"][0].update(
        share_price="0.01", shares_required=3, instalments=4
    )
    error = refused(document)
    assert error.code == "instalments_too_small"
    assert error.params == {"key": "worker"}
    document["membership"]["classes"][0]["instalments"] = 3
    assert parse(document).share_total("worker") == Money.of("0.03", "ILS")


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("membership", "classes", 0, "share_price"), "0", "membership.classes.0.share_price"),
        (("membership", "classes", 0, "share_price"), "-5", "membership.classes.0.share_price"),
        (("membership", "classes", 0, "key"), "Worker!", "membership.classes.0.key"),
        (("membership", "classes", 0, "instalments"), 0, "membership.classes.0.instalments"),
        (("membership", "admission_by"), "lottery", "membership.admission_by"),
        (("membership", "exit_notice_days"), -1, "membership.exit_notice_days"),
        (("schema_version",), 2, "schema_version"),
        (("surprise",), 1, "surprise"),
    ],
)
def test_structural_errors_name_the_field(
    document: dict[str, Any], path: tuple[Any, ...], value: Any, field: str
) -> None:
    target: Any = document
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    error = refused(document)
    assert error.code == "invalid_policy"
    assert error.params == {"field": field}


def test_policies_are_immutable(document: dict[str, Any]) -> None:
    policy = parse(document)
    with pytest.raises(Exception, match="frozen"):
        policy.currency = "USD"  # type: ignore[misc]
    assert isinstance(policy, Policy)
