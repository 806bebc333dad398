"""Public JSON reads about the co-op: its profile, member classes and its policy versions."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import get_language
from ninja import Field, Router, Schema

from taawun.apikeys.auth import ANYONE, PUBLIC_SECURITY
from taawun.apikeys.schemas import ERRORS, CurrencyCode, MoneyText, money_text
from taawun.domain.canonical import canonical_bytes
from taawun.domain.policy import MemberClass, Policy
from taawun.transparency import signing

from . import selectors
from .models import PolicyVersion

router = Router(tags=["co-op"], auth=ANYONE)


def _language() -> str:
    return get_language() or "ar"


class MemberClassOut(Schema):
    key: str
    name: str
    name_ar: str
    name_en: str
    share_price: MoneyText
    shares_required: int
    share_total: MoneyText
    currency: CurrencyCode
    instalments: int
    instalment_interval_days: int
    votes: bool
    works: bool

    @classmethod
    def of(cls, policy: Policy, member_class: MemberClass) -> MemberClassOut:
        return cls(
            key=member_class.key,
            name=member_class.name.get(_language()),
            name_ar=member_class.name.ar,
            name_en=member_class.name.en,
            share_price=money_text(member_class.share_price, policy.currency),
            shares_required=member_class.shares_required,
            share_total=money_text(policy.share_total(member_class.key).amount, policy.currency),
            currency=policy.currency,
            instalments=member_class.instalments,
            instalment_interval_days=member_class.instalment_interval_days,
            votes=member_class.votes,
            works=member_class.works,
        )


class MembershipTermsOut(Schema):
    admission_by: Literal["board", "vote"]
    voting_rights: Literal["on_admission", "when_paid"]
    exit_notice_days: int
    repayment_days: int
    transfers_allowed: bool


class CoopOut(Schema):
    name: str
    name_ar: str
    name_en: str
    handle: str
    city: str
    about: str
    founded_at: dt.datetime
    currency: CurrencyCode
    languages: list[str]
    policy_version: int
    membership: MembershipTermsOut
    member_classes: list[MemberClassOut]
    log_key: str = Field(description="The verifier key its transparency log's heads are signed by.")


class PolicyOut(Schema):
    version: int
    digest: str
    document: dict[str, Any]


class PolicyVersionOut(Schema):
    version: int
    digest: str
    reason: str
    created_at: dt.datetime
    effective_from: dt.datetime

    @staticmethod
    def resolve_version(obj: PolicyVersion) -> int:
        return obj.number


PUBLIC: dict[str, Any] = {"auth": ANYONE, "openapi_extra": PUBLIC_SECURITY}


@router.get(
    "/coop", response={200: CoopOut, **ERRORS}, summary="The co-op's public profile", **PUBLIC
)
def coop(request: HttpRequest) -> CoopOut:
    profile = selectors.get_coop_or_404()
    current = selectors.current_policy()
    policy = current.policy
    rules = policy.membership
    return CoopOut(
        name=profile.name,
        name_ar=profile.name_ar,
        name_en=profile.name_en,
        handle=profile.handle,
        city=profile.city,
        about=profile.about,
        founded_at=profile.founded_at,
        currency=policy.currency,
        languages=list(policy.languages),
        policy_version=current.number,
        membership=MembershipTermsOut(
            admission_by=rules.admission_by,
            voting_rights=rules.voting_rights,
            exit_notice_days=rules.exit_notice_days,
            repayment_days=rules.repayment_days,
            transfers_allowed=rules.transfers_allowed,
        ),
        member_classes=[MemberClassOut.of(policy, c) for c in rules.classes],
        log_key=str(signing.public_key()),
    )


@router.get("/policy", response={200: PolicyOut, **ERRORS}, summary="The policy in force", **PUBLIC)
def policy(request: HttpRequest) -> PolicyOut:
    """The rules in force now; ``digest`` is the SHA-256 of the document's canonical JSON."""
    current = selectors.current_policy()
    document = current.policy.to_document()
    return PolicyOut(
        version=current.number,
        digest=hashlib.sha256(canonical_bytes(document)).hexdigest(),
        document=document,
    )


@router.get(
    "/policy/versions",
    response={200: list[PolicyVersionOut], **ERRORS},
    summary="Every policy version, newest first",
    **PUBLIC,
)
def policy_versions(request: HttpRequest) -> list[PolicyVersion]:
    return selectors.policy_versions()
