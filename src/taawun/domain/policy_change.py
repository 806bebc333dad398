"""A policy change: a typed diff of the co-op's Policy, checked before anyone votes on it.

A change names rules by their path in the policy document: ``fees.coop_fee_percent``,
``pricing.trips.per_km``, ``governance.decisions.ordinary.quorum_percent``. Items of a keyed list
are named by their key: ``membership.classes.worker.share_price``,
``pricing.works.licences.personal.price``. Only single rules (numbers, words, yes/no, lists of
words) change; the result must pass the whole Policy validation, floors included, so a change
that could never take effect is refused when it is proposed, not after the vote.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from .decision import number_text
from .errors import InvalidInput, gettext_noop
from .policy import Policy, parse

KEYED_LISTS = frozenset({"membership.classes", "pricing.works.licences"})
MAX_CHANGES = 50
# Decimal digits, Arabic-Indic too; not "³", which str.isdigit() takes and int() refuses.
WHOLE_NUMBER = re.compile(r"-?\d+")


@dataclass(frozen=True, slots=True)
class RuleChange:
    """One rule before and after, as stored in the policy document."""

    path: str
    before: Any
    after: Any


def rules(policy: Policy) -> dict[str, Any]:
    """Every single rule of ``policy`` by its path, in document order."""
    found: dict[str, Any] = {}
    _flatten(policy.to_document(), "", found)
    return found


def differences(old: Policy, new: Policy) -> tuple[RuleChange, ...]:
    """What changed from ``old`` to ``new``, rule by rule (added or removed items included)."""
    before, after = rules(old), rules(new)
    paths = list(before) + [path for path in after if path not in before]
    return tuple(
        RuleChange(path, before.get(path), after.get(path))
        for path in paths
        if not _same(before.get(path), after.get(path))
    )


def apply_changes(policy: Policy, changes: Mapping[str, Any]) -> Policy:
    """The policy with ``changes`` (path → new value) made, validated as a whole.

    Refuses an empty change, an unknown rule, a value of the wrong shape and a change that
    leaves the rule as it was; every refusal names the rule."""
    if not changes:
        raise InvalidInput("no_change", gettext_noop("A policy change must change a rule."))
    if len(changes) > MAX_CHANGES:
        raise InvalidInput(
            "too_many_changes",
            gettext_noop("One proposal may change at most %(most)s rules."),
            most=MAX_CHANGES,
        )
    current = rules(policy)
    document = copy.deepcopy(policy.to_document())
    for path, value in changes.items():
        if path not in current:
            raise InvalidInput(
                "unknown_rule", gettext_noop("There is no rule %(path)s."), path=str(path)[:120]
            )
        _set(document, path, _checked_value(path, current[path], value))
    changed = parse(document)
    kept = set(changes) - {change.path for change in differences(policy, changed)}
    if kept:
        raise InvalidInput(
            "rule_unchanged",
            gettext_noop("The rule %(path)s already has this value."),
            path=sorted(kept)[0],
        )
    return changed


def protected_changes(policy: Policy, paths: list[str]) -> list[str]:
    """The paths among ``paths`` that are bylaw-level under ``policy``'s protected rules."""
    prefixes = policy.governance.protected_rules
    return [
        path
        for path in paths
        if any(path == prefix or path.startswith(prefix + ".") for prefix in prefixes)
    ]


def decision_kind(policy: Policy, paths: list[str]) -> str:
    """The kind of decision a change of ``paths`` needs: a bylaw change if any is protected."""
    return "bylaw_change" if protected_changes(policy, paths) else "policy_change"


def _same(one: Any, other: Any) -> bool:
    """Equal rules; numbers stored as text are compared as numbers ("10" is "10.00")."""
    if isinstance(one, str) and isinstance(other, str):
        try:
            return Decimal(one) == Decimal(other)
        except InvalidOperation:
            pass
    return bool(one == other)


def _flatten(value: Any, path: str, found: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(inner, f"{path}.{key}" if path else key, found)
    elif path in KEYED_LISTS:
        for item in value:
            _flatten(item, f"{path}.{item['key']}", found)
    else:
        found[path] = value


def _checked_value(path: str, current: Any, value: Any) -> Any:
    """``value`` in the document's form for the rule at ``path``: text for numbers (as stored),
    whole numbers, yes/no, words, or a list of words."""
    if isinstance(current, bool):
        if isinstance(value, bool):
            return value
    elif isinstance(current, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and WHOLE_NUMBER.fullmatch(value.strip()):
            return int(value.strip())
    elif isinstance(current, list):
        if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            return [v.strip() for v in value]
    elif isinstance(current, str) and isinstance(value, str | int) and not isinstance(value, bool):
        return str(value).strip()
    raise InvalidInput(
        "bad_rule_value",
        gettext_noop("The value given for %(path)s is not of the right kind."),
        path=path,
    )


def _set(document: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node: Any = document
    walked = ""
    for part in parts[:-1]:
        if walked in KEYED_LISTS:
            node = next(item for item in node if item["key"] == part)
        else:
            node = node[part]
        walked = f"{walked}.{part}" if walked else part
    node[parts[-1]] = value


def set_rate(policy: Policy, path: str, value: str) -> Policy:
    """``policy`` with the numeric rule at ``path`` set to ``value`` (the form a rate vote
    stores); the same policy when the rule already has that value, as a rate vote may keep it."""
    if number_text(rules(policy)[path]) == number_text(value):
        return policy
    return apply_changes(policy, {path: number_text(value)})
