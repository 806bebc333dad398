"""Display helpers for the books: account and entry names in the reader's language."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.translation import get_language

from taawun.domain import ledger as books

from ..forms import REASON_NAMES
from ..models import Account, EntryKind, Posting

register = template.Library()


@register.filter
def chart_name(spec: books.AccountSpec) -> str:
    return spec.ar if (get_language() or "ar").startswith("ar") else spec.en


@register.filter
def account_name(purpose: str) -> str:
    return chart_name(books.spec(purpose))


@register.filter
def entry_kind(kind: str) -> str:
    return str(EntryKind(kind).label) if kind in EntryKind.values else kind


@register.filter
def debit(posting: Posting) -> Decimal | None:
    return posting.amount if posting.amount > 0 else None


@register.filter
def credit(posting: Posting) -> Decimal | None:
    return -posting.amount if posting.amount < 0 else None


@register.filter
def natural_after(posting: Posting) -> Decimal:
    """The account's balance after this posting, as people read it."""
    return books.natural(books.Kind(posting.account.kind), posting.balance_after)


@register.filter
def held(account: Account) -> Decimal:
    """An account's balance as people read it (what is owed to a member is positive)."""
    return books.natural(books.Kind(account.kind), account.balance)


@register.filter
def reason_name(reason: str) -> str:
    return str(REASON_NAMES.get(reason, reason))
