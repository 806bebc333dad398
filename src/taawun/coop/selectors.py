"""Reading the co-op and its current policy."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.http import Http404
from django.utils import timezone

from taawun.domain import policy as policy_rules
from taawun.domain.canonical import canonical_bytes
from taawun.transparency.versioning import cached

from .models import Coop, PolicyVersion


@dataclass(frozen=True)
class CurrentPolicy:
    number: int
    policy: policy_rules.Policy


def get_coop() -> Coop | None:
    return cached("coop", lambda: Coop.objects.filter(pk=1).first(), rules_only=True)


def get_coop_or_404() -> Coop:
    coop = get_coop()
    if coop is None:
        raise Http404("This installation has no co-op yet.")
    return coop


@lru_cache(maxsize=64)
def _parsed(digest: str, text: bytes) -> policy_rules.Policy:
    document: dict[str, Any] = json.loads(text)
    return policy_rules.parse(document)


def _versions() -> list[tuple[int, dt.datetime, str, bytes]]:
    return [
        (number, effective_from, digest, canonical_bytes(document))
        for number, effective_from, digest, document in PolicyVersion.objects.order_by(
            "-number"
        ).values_list("number", "effective_from", "digest", "document")
    ]


def _policy_versions() -> list[tuple[int, dt.datetime, str, bytes]]:
    return cached("policy_versions", _versions, rules_only=True)


def current_policy() -> CurrentPolicy:
    """The policy version in force now (the newest whose effective date has come)."""
    now = timezone.now()
    for number, effective_from, digest, text in _policy_versions():
        if effective_from <= now:
            return CurrentPolicy(number, _parsed(digest, text))
    raise Http404("This installation has no co-op yet.")


def latest_policy() -> CurrentPolicy:
    """The newest version adopted, whether in force or waiting for its effective date: a new
    change must build on it, or it would undo a change already decided."""
    for number, _effective_from, digest, text in _policy_versions():
        return CurrentPolicy(number, _parsed(digest, text))
    raise Http404("This installation has no co-op yet.")


def policy_number(number: int) -> policy_rules.Policy:
    """The policy as it stood in version ``number`` (to explain what an operation ran under)."""
    for found, _effective_from, digest, text in _policy_versions():
        if found == number:
            return _parsed(digest, text)
    raise Http404("No such policy version.")


def current_policy_number() -> int | None:
    """The version in force, or None before the co-op is founded (for records made then)."""
    try:
        return current_policy().number
    except Http404:
        return None


def policy_versions() -> list[PolicyVersion]:
    return list(PolicyVersion.objects.order_by("-number"))
