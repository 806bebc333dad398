"""Template filters of the creative works: what a licence bought allows."""

from __future__ import annotations

from django import template

from ..models import LicenceGrant
from ..selectors import licence_terms

register = template.Library()


@register.filter
def terms(grant: LicenceGrant) -> str:
    """``{{ grant|terms }}``: what the licence allows, or its name for a kind without a text."""
    return licence_terms(grant.licence_key, grant.licence_name)
