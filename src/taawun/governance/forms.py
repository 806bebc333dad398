"""Forms of governance. They only shape input; the rules live in the actions.

Every form works without JavaScript: a policy change lists every rule, grouped by section of
the policy, for the member to fill in the new values of those to change; a ranked ballot is a
rank select beside each candidate; each kind of proposal has its own group of fields, and the
action uses those of the kind chosen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from taawun.coop.labels import DECISION_KINDS, METHODS
from taawun.domain.decision import POSITIONS, RANKED, number_text
from taawun.domain.errors import InvalidInput
from taawun.domain.policy import DecisionRule
from taawun.domain.voting.choices import DEFAULT_DOTS, DEFAULT_MAX_SCORE

from .actions import MAX_OPTIONS, VOTING_KINDS
from .models import Mandate, Proposal
from .selectors import MAX_PREVIEW_WEEKS, PREVIEW_WEEKS

Kind = Proposal.Kind
KINDS_TO_PROPOSE = (
    Kind.DISCUSSION,
    Kind.ORDINARY,
    Kind.POLICY_CHANGE,
    Kind.RATE,
    Kind.POLL,
    Kind.ELECTION,
)
RULE_PREFIX = "new_"
SECTIONS = {
    "membership": gettext_lazy("Membership"),
    "governance": gettext_lazy("How we decide"),
    "fees": gettext_lazy("Fees"),
    "pricing": gettext_lazy("Prices"),
    "dispatch": gettext_lazy("How work is assigned"),
    "accounting": gettext_lazy("Accounts and the surplus"),
    "federation": gettext_lazy("Sister co-ops"),
    "school": gettext_lazy("The co-op school"),
}
GENERAL = gettext_lazy("General")
POSITION_LABELS = {
    "yes": gettext_lazy("Yes"),
    "no": gettext_lazy("No"),
    "abstain": gettext_lazy("I abstain"),
    "agree": gettext_lazy("I agree"),
    "disagree": gettext_lazy("I disagree, but do not block"),
    "block": gettext_lazy("I block it: I have a reasoned objection"),
}
COMMITTEE = "committee"
YES_WORDS = frozenset({"yes", "true", "on", "1"})
NO_WORDS = frozenset({"no", "false", "off", "0"})


def shown_value(value: Any) -> str:
    """A rule's value as a member types it: words for yes/no, a list separated by commas."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _typed(current: Any, text: str) -> Any:
    """The text typed for a rule in the shape the rule has now (yes/no, a list of words); the
    action checks the result and names the rule when it is not right."""
    if isinstance(current, bool):
        word = text.strip().lower()
        if word in YES_WORDS | {_("yes").lower()}:
            return True
        if word in NO_WORDS | {_("no").lower()}:
            return False
        return text
    if isinstance(current, list):
        return [part.strip() for part in text.replace("،", ",").split(",") if part.strip()]
    return text


def _is_number(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        number_text(value)
    except InvalidInput:
        return False
    return True


def rate_choices(rules: Mapping[str, Any]) -> list[Any]:
    """The numeric rules (those a vote can set) as a select's option groups, one per section of
    the policy, each shown with its value now."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for path, value in rules.items():
        if _is_number(value):
            label = _("%(rule)s (now %(value)s)") % {"rule": path, "value": value}
            groups.setdefault(section_of(path), []).append((path, label))
    return [("", _("Choose a rule"))] + [
        (str(SECTIONS.get(section, GENERAL)), choices) for section, choices in groups.items()
    ]


def section_of(path: str) -> str:
    return path.split(".", 1)[0] if "." in path else ""


def changeable(path: str) -> bool:
    """Rules, not the names the document keys them by (a class's or a licence's key)."""
    return path != "schema_version" and not path.endswith(".key")


def kind_choices(decisions: Mapping[str, DecisionRule]) -> list[tuple[str, str]]:
    """The kinds a member may propose, each with the method that would decide it."""
    choices = []
    for kind in KINDS_TO_PROPOSE:
        rule = decisions.get(kind)
        if kind == Kind.DISCUSSION:
            choices.append((kind.value, _("A discussion, without a vote")))
        elif rule is not None:
            label = _("%(kind)s — %(method)s") % {
                "kind": DECISION_KINDS[kind],
                "method": METHODS[rule.method],
            }
            choices.append((kind.value, label))
    return choices


@dataclass(frozen=True)
class RuleRow:
    field: forms.BoundField
    now: str


@dataclass(frozen=True)
class RuleSection:
    name: str
    rows: list[RuleRow]
    touched: bool
    """A value was typed or refused in it: the page shows it open."""


class ProposalForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What do you propose?"), widget=forms.RadioSelect)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    body = forms.CharField(
        label=gettext_lazy("Text"),
        max_length=20000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("What you propose and why. Members discuss it under the proposal."),
    )
    effective_from = forms.DateTimeField(
        label=gettext_lazy("Takes effect (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=gettext_lazy(
            "When the vote closes, or later within a year. Blank: at the close."
        ),
    )
    rate_rule = forms.ChoiceField(label=gettext_lazy("The rate members set"), required=False)
    options = forms.CharField(
        label=gettext_lazy("Options"),
        required=False,
        max_length=MAX_OPTIONS * 121,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("One option a line."),
    )
    candidates = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Candidates"),
        coerce=int,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=gettext_lazy("Current members; hold Ctrl (or Cmd) to choose several."),
    )
    seats = forms.IntegerField(
        label=gettext_lazy("Seats to fill"), min_value=1, max_value=MAX_OPTIONS, required=False
    )
    office = forms.ChoiceField(
        label=gettext_lazy("Office to fill"),
        choices=[
            (Mandate.BOARD, gettext_lazy("The board")),
            (COMMITTEE, gettext_lazy("A committee")),
        ],
        initial=Mandate.BOARD,
        required=False,
        widget=forms.RadioSelect,
    )
    committee = forms.CharField(
        label=gettext_lazy("Name of the committee"),
        max_length=60,
        required=False,
        help_text=gettext_lazy("For a committee: its name, as members know it."),
    )
    rollback_of = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    recall_of = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        rules: Mapping[str, Any],
        decisions: Mapping[str, DecisionRule],
        members: Sequence[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.rules = {path: value for path, value in rules.items() if changeable(path)}
        self.fields["kind"].choices = kind_choices(decisions)  # type: ignore[attr-defined]
        self.fields["rate_rule"].choices = rate_choices(self.rules)  # type: ignore[attr-defined]
        self.fields["candidates"].choices = [  # type: ignore[attr-defined]
            (number, _("%(name)s (member %(number)s)") % {"name": name, "number": number})
            for number, name in members
        ]
        for path in self.rules:
            self.fields[RULE_PREFIX + path] = forms.CharField(
                label=path, max_length=500, required=False
            )

    def rule_sections(self) -> list[RuleSection]:
        """The rules' fields with their values now, grouped by section of the policy."""
        sections: dict[str, list[RuleRow]] = {}
        for path, value in self.rules.items():
            row = RuleRow(self[RULE_PREFIX + path], shown_value(value))
            sections.setdefault(section_of(path), []).append(row)
        return [
            RuleSection(
                str(SECTIONS.get(section, GENERAL)),
                rows,
                any(row.field.value() or row.field.errors for row in rows),
            )
            for section, rows in sections.items()
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["changes"] = {
            path: _typed(current, cleaned[RULE_PREFIX + path])
            for path, current in self.rules.items()
            if cleaned.get(RULE_PREFIX + path)
        }
        cleaned["option_lines"] = [
            line.strip() for line in cleaned.get("options", "").splitlines() if line.strip()
        ]
        electing_a_committee = (
            cleaned.get("kind") == Kind.ELECTION and cleaned.get("office") == COMMITTEE
        )
        if electing_a_committee and not cleaned.get("committee"):
            self.add_error("committee", _("Name the committee to elect."))
        return cleaned

    def proposal(self) -> dict[str, Any]:
        """The action's keyword arguments; the action uses those of the kind chosen (and a
        rollback proposes the rules the version replaced, whatever was typed)."""
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "title": data["title"],
            "body": data["body"],
            "changes": data["changes"],
            "rate_rule": data["rate_rule"],
            "options": data["option_lines"],
            "candidates": data["candidates"],
            "seats": data["seats"] or 1,
            "effective_from": data["effective_from"],
            "rollback_of": data["rollback_of"],
            "office": data["committee"] if data["office"] == COMMITTEE else Mandate.BOARD,
            "recall_of": data["recall_of"],
        }


class VoteForm(forms.Form):
    """The ballot of one proposal, shaped by its method; ``choice()`` is what the action takes."""

    def __init__(self, *args: Any, proposal: Proposal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.method = proposal.method
        self.options = [(o["key"], o["label"]) for o in proposal.options]
        if self.method in POSITIONS:
            self.fields["position"] = forms.ChoiceField(
                label=_("Your vote"),
                widget=forms.RadioSelect,
                choices=[(p, POSITION_LABELS[p]) for p in POSITIONS[self.method]],
            )
        elif self.method == "numeric":
            self.fields["value"] = forms.CharField(
                label=_("Your value"),
                max_length=30,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
                help_text=_("The median of the values members give is chosen."),
            )
        elif self.method == "approval":
            self.fields["chosen"] = forms.MultipleChoiceField(
                label=_("Choose every option you accept"),
                widget=forms.CheckboxSelectMultiple,
                choices=self.options,
                required=False,
            )
        else:
            for key, label in self.options:
                self.fields[f"option_{key}"] = self._per_option(label)

    def _per_option(self, label: str) -> forms.Field:
        if self.method == "score":
            return forms.TypedChoiceField(
                label=label,
                coerce=int,
                choices=[(n, str(n)) for n in range(DEFAULT_MAX_SCORE + 1)],
                initial=0,
            )
        if self.method == "dot":
            return forms.IntegerField(
                label=label, min_value=0, max_value=DEFAULT_DOTS, required=False, initial=0
            )
        ranks = [("", _("not ranked"))] + [(n, str(n)) for n in range(1, len(self.options) + 1)]
        return forms.TypedChoiceField(
            label=label, coerce=int, choices=ranks, required=False, empty_value=None
        )

    @property
    def per_option(self) -> bool:
        """Whether the ballot is a field per option (score, dots, ranks) in one fieldset."""
        return any(name.startswith("option_") for name in self.fields)

    @property
    def legend(self) -> str:
        return {
            "score": _("Give each option from 0 to %(most)s points") % {"most": DEFAULT_MAX_SCORE},
            "dot": _("Place up to %(dots)s dots over the options") % {"dots": DEFAULT_DOTS},
        }.get(self.method, _("Rank the candidates: 1 for your first choice"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.method in RANKED:
            ranks = [cleaned.get(f"option_{key}") for key, _label in self.options]
            given = [r for r in ranks if r is not None]
            if len(set(given)) != len(given):
                raise forms.ValidationError(_("Give each rank to one candidate only."))
        return cleaned

    def choice(self) -> Any:
        data = self.cleaned_data
        if self.method in POSITIONS:
            return data["position"]
        if self.method == "numeric":
            return data["value"]
        if self.method == "approval":
            return list(data["chosen"])
        points = {key: data.get(f"option_{key}") for key, _label in self.options}
        if self.method in ("score", "dot"):
            return {key: value or 0 for key, value in points.items()}
        ranked = sorted((rank, key) for key, rank in points.items() if rank is not None)
        return [key for _rank, key in ranked]


class CommentForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Your comment"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    parent = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class StatementForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("A short statement for members to agree or disagree with"),
        max_length=280,
    )


class SayForm(forms.Form):
    vote = forms.TypedChoiceField(coerce=int, choices=[(1, "1"), (0, "0"), (-1, "-1")])


class ReceiptForm(forms.Form):
    r = forms.CharField(
        label=gettext_lazy("Your receipt"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class ImpactForm(forms.Form):
    """What to replay: how many weeks back and, for a rate, the value to preview (sent by GET,
    so a preview has an address members can share)."""

    weeks = forms.IntegerField(
        label=gettext_lazy("Weeks to replay"),
        min_value=1,
        max_value=MAX_PREVIEW_WEEKS,
        initial=PREVIEW_WEEKS,
    )
    value = forms.CharField(
        label=gettext_lazy("The rate to preview"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, rate: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not rate:
            del self.fields["value"]


def delegation_kinds() -> list[tuple[str, str]]:
    """All decisions, or one kind of them, with the names the rules page gives the kinds."""
    return [("", _("All decisions"))] + [(kind, str(DECISION_KINDS[kind])) for kind in VOTING_KINDS]


class DelegationForm(forms.Form):
    to_member = forms.TypedChoiceField(label=gettext_lazy("Your vote goes to"), coerce=int)
    kind = forms.ChoiceField(label=gettext_lazy("On which decisions"), required=False)

    def __init__(self, *args: Any, members: Sequence[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_member"].choices = [  # type: ignore[attr-defined]
            ("", _("Choose a member")),
            *(
                (number, _("%(name)s (member %(number)s)") % {"name": name, "number": number})
                for number, name in members
            ),
        ]
        self.fields["kind"].choices = delegation_kinds()  # type: ignore[attr-defined]


class OutcomeForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("What was decided, and what happens next"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
