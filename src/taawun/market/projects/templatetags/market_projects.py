"""The milestone forms the shared order page shows, drawn fresh for the project panel."""

from __future__ import annotations

from django import forms, template

from ..forms import AcceptForm, CancelForm, DeliverForm, DisputeForm, ResolveForm

register = template.Library()


@register.simple_tag
def milestone_forms() -> dict[str, forms.Form]:
    """Each with its own ids, since several may share the page."""
    return {
        "deliver": DeliverForm(auto_id="deliver_%s"),
        "accept": AcceptForm(auto_id="accept_%s"),
        "dispute": DisputeForm(auto_id="dispute_%s"),
        "resolve": ResolveForm(auto_id="resolve_%s"),
        "cancel": CancelForm(auto_id="cancel_%s"),
    }
