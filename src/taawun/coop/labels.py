"""Names people read for the Policy's kinds of decision and voting methods."""

from django.utils.translation import gettext_lazy

DECISION_KINDS = {
    "ordinary": gettext_lazy("Ordinary decisions"),
    "admission": gettext_lazy("Admitting members"),
    "election": gettext_lazy("Elections"),
    "policy_change": gettext_lazy("Changing these rules"),
    "bylaw_change": gettext_lazy("Changing the bylaws"),
    "rate": gettext_lazy("Setting a rate"),
    "poll": gettext_lazy("Polls (bind nothing)"),
}
METHODS = {
    "consent": gettext_lazy("consent (no reasoned objection)"),
    "majority": gettext_lazy("majority vote"),
    "supermajority": gettext_lazy("supermajority vote"),
    "numeric": gettext_lazy("each picks a value; the median is chosen"),
    "approval": gettext_lazy("approval (choose all you accept)"),
    "score": gettext_lazy("score (0 to 5 for each option)"),
    "dot": gettext_lazy("dot vote (8 dots to place)"),
    "ranked": gettext_lazy("ranked choice (instant runoff)"),
    "stv": gettext_lazy("single transferable vote"),
}
