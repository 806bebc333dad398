"""Turning a refusal from the core into the words a person reads, in their language."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from taawun.domain.errors import DomainError, Term


def explain(error: DomainError) -> str:
    message = gettext(error.message)
    if not error.params:
        return message
    params = {
        name: gettext(value) if isinstance(value, Term) else value
        for name, value in error.params.items()
    }
    return message % params


def explain_validation(error: ValidationError) -> str:
    return " ".join(str(message) for message in error.messages)
