"""Turning a refusal from the core into the words a person reads, in their language."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from taawun.domain.errors import DomainError


def explain(error: DomainError) -> str:
    message = gettext(error.message)
    return message % error.params if error.params else message


def explain_validation(error: ValidationError) -> str:
    return " ".join(str(message) for message in error.messages)
