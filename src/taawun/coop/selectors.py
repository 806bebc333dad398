"""Reading the co-op and its current policy."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.http import Http404
from django.utils import timezone

from taawun.domain import policy as policy_rules
from taawun.domain.canonical import canonical_bytes

from .models import Coop, PolicyVersion


@dataclass(frozen=True)
class CurrentPolicy:
    number: int
    policy: policy_rules.Policy


def get_coop() -> Coop | None:
    return Coop.objects.filter(pk=1).first()


def get_coop_or_404() -> Coop:
    coop = get_coop()
    if coop is None:
        raise Http404("This installation has no co-op yet.")
    return coop


@lru_cache(maxsize=64)
def _parsed(digest: str, text: bytes) -> policy_rules.Policy:
    import json

    document: dict[str, Any] = json.loads(text)
    return policy_rules.parse(document)


def current_policy() -> CurrentPolicy:
    """The policy version in force now (the newest whose effective date has come)."""
    version = (
        PolicyVersion.objects.filter(effective_from__lte=timezone.now())
        .only("number", "document", "digest")
        .order_by("-number")
        .first()
    )
    if version is None:
        raise Http404("This installation has no co-op yet.")
    return CurrentPolicy(version.number, _parsed(version.digest, canonical_bytes(version.document)))


def policy_versions() -> list[PolicyVersion]:
    return list(PolicyVersion.objects.order_by("-number"))
