"""After the booking benchmark: every completed booking is paid by exactly one sale in the
books, and the books are sound. Prints one line; exits non-zero if anything is wrong."""

from __future__ import annotations

import sys
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
django.setup()

from tests.ledger.helpers import books_problems  # noqa: E402

from taawun.ledger.models import EntryKind, JournalEntry  # noqa: E402
from taawun.market.models import Order  # noqa: E402

completed = Order.objects.filter(sector="trip", status="completed")
unpaid = completed.filter(payment__isnull=True).count()
sales = JournalEntry.objects.filter(kind=EntryKind.SALE).count()
problems = books_problems()
print(
    f"afterwards: {completed.count()} completed bookings, {sales} sales in the books, {unpaid}"
    f" unpaid, books {'sound' if not problems else problems[:3]}"
)
if unpaid or sales != completed.count() or problems:
    sys.exit(1)
