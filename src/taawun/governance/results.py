"""Results as members read them: a proposal as it stands once the votes whose time is up are
counted, and a closed vote's stored result with labels instead of keys, the counts as a chart
and a table, the rounds of a ranked count, the ties the lot broke, and each ballot's choice in
words."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.safestring import SafeString
from django.utils.translation import get_language_bidi, gettext_lazy
from django.utils.translation import gettext as _

from taawun.accounts.models import User
from taawun.domain.decision import POSITIONS, RANKED
from taawun.web.charts import bar_chart

from . import actions, selectors
from .forms import POSITION_LABELS
from .models import Proposal

OUTCOMES = {
    "passed": (gettext_lazy("passed"), "ok"),
    "failed": (gettext_lazy("not passed"), "bad"),
    "blocked": (gettext_lazy("blocked"), "bad"),
    "no_quorum": (gettext_lazy("no quorum"), "warn"),
    "elected": (gettext_lazy("elected"), "ok"),
    "chosen": (gettext_lazy("chosen"), "ok"),
    "set": (gettext_lazy("set"), "ok"),
}
TIE_PURPOSES = {
    "exclude": gettext_lazy("The lot excluded %(chosen)s of %(tied)s, tied for fewest votes."),
    "elect": gettext_lazy("The lot chose %(chosen)s of %(tied)s, tied."),
    "surplus": gettext_lazy(
        "The lot chose whose surplus went first: %(chosen)s, of %(tied)s with equal surpluses."
    ),
}


def current_proposal(viewer: User, number: int) -> Proposal:
    """The proposal, after closing every vote whose time is up: the pages and the API never
    show a vote as open once its time is over, whether or not a scheduled job has run."""
    selectors.access_proposal_or_404(viewer, number)  # members and the board only
    actions.run_due()
    return selectors.access_proposal_or_404(viewer, number)


def outcome_badge(outcome: str) -> tuple[str, str]:
    """The outcome's name and the badge class it wears."""
    label, badge = OUTCOMES.get(outcome, (outcome, ""))
    return str(label), badge


def labels_of(proposal: Proposal) -> dict[str, str]:
    return {o["key"]: o["label"] for o in proposal.options}


def choice_text(proposal: Proposal, choice: Any) -> str:
    """A stored ballot in words: a position, a value, the options chosen, points or ranks."""
    method = proposal.method
    names = labels_of(proposal)
    if method in POSITIONS:
        return str(POSITION_LABELS.get(choice, choice))
    if method == "numeric":
        return str(choice)
    if method == "approval":
        return " · ".join(names.get(k, k) for k in choice)
    if method in RANKED:
        return " · ".join(f"{rank}. {names.get(k, k)}" for rank, k in enumerate(choice, 1))
    return " · ".join(f"{names.get(k, k)}: {points}" for k, points in choice.items())


@dataclass(frozen=True)
class CountRow:
    name: str
    votes: list[str]
    """Per round; "" once out of the count."""
    elected: bool


@dataclass(frozen=True)
class RoundsTable:
    """A ranked count with a row per candidate and a column per round: narrow enough for a
    phone, as the rounds are fewer than the candidates. What each round did is told by the
    explanation."""

    rounds: list[int]
    rows: list[CountRow]
    exhausted: list[str]


@dataclass(frozen=True)
class Result:
    outcome: str
    badge: str
    explanation: list[tuple[str, dict[str, str]]]
    counts: list[tuple[str, str]]
    chart: SafeString | None
    winners: list[str]
    value: str | None
    spread: tuple[str, str] | None
    """A rate's lowest and highest value given."""
    quota: str | None
    rounds: RoundsTable | None
    ties: list[str]
    not_applied: tuple[str, dict[str, str]] | None
    delegated: list[tuple[int, int]]
    """(member, delegate) by member number: who voted through whom, on an open ballot."""


def result_of(proposal: Proposal) -> Result:
    stored = proposal.result
    names = labels_of(proposal)
    label, badge = outcome_badge(proposal.outcome)
    totals = stored.get("counts") or {}
    counts = _counts(proposal, totals)
    not_applied = stored.get("not_applied")
    rounds = stored.get("rounds") or []
    chart_rows = counts
    if rounds:
        first = rounds[0]["tallies"]
        chart_rows = [(names.get(k, k), str(first[k])) for k in names if k in first]
    return Result(
        outcome=label,
        badge=badge,
        explanation=[(message, params) for message, params in stored.get("explanation", [])],
        counts=counts,
        chart=_chart(proposal, chart_rows) if chart_rows else None,
        winners=[names.get(k, k) for k in stored.get("winners", [])],
        value=stored.get("value"),
        spread=(totals["lowest"], totals["highest"]) if "lowest" in totals else None,
        quota=str(totals["quota"]) if "quota" in totals else None,
        rounds=_rounds(names, rounds, stored.get("winners", [])) if rounds else None,
        ties=[_tie(names, tie) for tie in stored.get("ties", [])],
        not_applied=(not_applied[0], not_applied[1]) if not_applied else None,
        delegated=[(giver, taker) for giver, taker in stored.get("delegated", [])],
    )


def _counts(proposal: Proposal, counts: dict[str, Any]) -> list[tuple[str, str]]:
    """The totals a chart can draw, in the ballot's order: positions, or options."""
    method = proposal.method
    if method in POSITIONS:
        return [(str(POSITION_LABELS[p]), str(counts.get(p, 0))) for p in POSITIONS[method]]
    if method in ("approval", "score", "dot"):
        return [(o["label"], str(counts.get(o["key"], 0))) for o in proposal.options]
    return []


def _chart(proposal: Proposal, rows: list[tuple[str, str]]) -> SafeString:
    title = _("First preferences") if proposal.method in RANKED else _("Votes")
    return bar_chart(
        title=title,
        labels=[label for label, _value in rows],
        series=[(title, [Decimal(value) for _label, value in rows])],
        rtl=get_language_bidi(),
    )


def _rounds(names: dict[str, str], rounds: list[dict[str, Any]], winners: list[str]) -> RoundsTable:
    return RoundsTable(
        rounds=[counted["number"] for counted in rounds],
        rows=[
            CountRow(
                name,
                [str(counted["tallies"].get(key, "")) for counted in rounds],
                key in winners,
            )
            for key, name in names.items()
        ],
        exhausted=[str(counted.get("exhausted", "")) for counted in rounds],
    )


def _tie(names: dict[str, str], tie: dict[str, Any]) -> str:
    def listed(keys: list[str]) -> str:
        return ", ".join(names.get(k, k) for k in keys)

    sentence = str(TIE_PURPOSES.get(tie["purpose"], TIE_PURPOSES["elect"])) % {
        "chosen": listed(tie["chosen"]),
        "tied": listed(tie["tied"]),
    }
    if tie["round"]:
        return _("Round %(round)s: %(what)s") % {"round": tie["round"], "what": sentence}
    return sentence
