"""Every write to orders, shared by the five sectors.

A sector's action checks who may act and what its own details allow, then calls these: place an
order at a quoted price, move it from one status to the next (a conditional update, so of two
people acting at once exactly one wins), take the customer's payment into the books, refund it,
and record the customer's rating. Each writes one fulfilment event and one audit entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import ForeignKey, Model, Q
from django.utils import timezone

from taawun.accounts.models import Role, User
from taawun.accounts.selectors import has_role
from taawun.coop.selectors import current_policy
from taawun.domain.errors import DomainError, InvalidInput, NotAllowed, NotFound, gettext_noop
from taawun.domain.money import Money
from taawun.domain.pricing import Quote
from taawun.ledger import actions as ledger
from taawun.ledger.models import JournalEntry
from taawun.members.models import Membership
from taawun.statements import Prepared, updated_one
from taawun.transparency.audit import record

from .models import Order, OrderEvent, Rating, Sector, Status

MAX_NOTE = 500
MAX_ID = 2**63 - 1
MAX_TITLE = 200


def _audit(actor: User | None, action: str, order: Order, **after: Any) -> None:
    record(
        actor_id=actor.pk if actor else None,
        action=f"order.{action}",
        subject_type="order",
        subject_id=order.pk,
        policy_version=order.policy_version,
        after={"sector": order.sector, "status": order.status, **after},
    )


def _event(
    order: Order, kind: OrderEvent.Kind, actor: User | None, note: str = "", **data: Any
) -> OrderEvent:
    return OrderEvent.objects.create(
        order=order, kind=kind, actor=actor, note=note[:MAX_NOTE], data=data
    )


def working_member(member: Membership | None) -> Membership:
    """A current member of a class that works; anyone else cannot be given work."""
    if (
        member is None
        or member.status == Membership.Status.LEFT
        or not current_policy().policy.member_class(member.member_class).works
    ):
        raise InvalidInput("not_a_worker", gettext_noop("Only working members can take work."))
    return member


def scoped_key(customer: User, key: str | None) -> str | None:
    """A customer's idempotency key as stored: keys are the customer's own, so two customers
    may use the same one."""
    key = (key or "").strip()
    return f"{customer.pk}:{key}" if key else None


def place(
    *,
    customer: User,
    sector: Sector,
    title: str,
    quote: Quote,
    hours: Decimal = Decimal(0),
    worker: Membership | None = None,
    status: Status = Status.REQUESTED,
    starts_at: dt.datetime | None = None,
    idempotency_key: str | None = None,
    **event_data: Any,
) -> Order:
    """A new order at the quoted price, inside the sector's action.

    With an idempotency key, a retry of the same order (same sector, what and price) returns the
    first one; the same key for something else is refused.
    """
    title = title.strip()
    if not title or len(title) > MAX_TITLE:
        raise InvalidInput("bad_title", gettext_noop("Say what is ordered, in 200 characters."))
    if worker is not None:
        working_member(worker)
    key = scoped_key(customer, idempotency_key)
    if key:
        earlier = Order.objects.filter(idempotency_key=key).first()
        if earlier is not None:
            return _same_order(earlier, sector, title, quote)
    parts = quote.breakdown
    fields = {
        "sector": sector,
        "status": status,
        "customer": customer,
        "worker": worker,
        "title": title,
        "currency": parts.price.currency,
        "price": parts.price.amount,
        "tax": parts.tax.amount,
        "coop_fee": parts.coop_fee.amount,
        "solidarity": parts.solidarity.amount,
        "worker_share": parts.worker_share.amount,
        "tip": parts.tip.amount,
        "hours": hours,
        "policy_version": quote.policy_version,
        "quote": [[line.message, dict(line.params)] for line in quote.lines],
        "starts_at": starts_at,
        "idempotency_key": key,
    }
    if key:
        try:
            with transaction.atomic():  # a savepoint: a concurrent retry may win the key
                order = Order.objects.create(**fields)
        except IntegrityError:
            earlier = Order.objects.filter(idempotency_key=key).first()
            if earlier is None:
                raise
            return _same_order(earlier, sector, title, quote)
    else:
        order = Order.objects.create(**fields)
    _event(order, OrderEvent.Kind.PLACED, customer, **event_data)
    _audit(customer, "placed", order, price=str(parts.price), worker=worker and worker.number)
    return order


def _same_order(order: Order, sector: Sector, title: str, quote: Quote) -> Order:
    if (
        order.sector != sector
        or order.title != title
        or Money(order.price, order.currency) != quote.price
    ):
        raise DomainError(
            "idempotency_conflict",
            gettext_noop("This key was already used for a different request."),
        )
    return order


def _take_row(order: Order, row: Order) -> None:
    """Give ``order`` the values of ``row`` (the same order, just read back), keeping the
    related rows it holds unless the key to them changed."""
    for field in Order._meta.concrete_fields:
        value = getattr(row, field.attname)
        changed = getattr(order, field.attname) != value
        if isinstance(field, ForeignKey) and changed and field.is_cached(order):
            field.delete_cached_value(order)
        setattr(order, field.attname, value)


def advance(
    *,
    order: Order,
    actor: User | None,
    to: Status,
    allowed_from: Iterable[Status],
    event: OrderEvent.Kind,
    note: str = "",
    where: Q | None = None,
    data: dict[str, Any] | None = None,
    **changes: Any,
) -> Order:
    """Move ``order`` to ``to`` if it is still in one of ``allowed_from`` (and matches ``where``):
    one conditional UPDATE, so when two people act at once exactly one succeeds and the other is
    told what happened meanwhile. Returns the order as it now is (the same statement reads it
    back)."""
    allowed = [status.value for status in allowed_from]
    matching = Order.objects.filter(pk=order.pk, status__in=allowed)
    if where is not None:
        matching = matching.filter(where)
    moved = updated_one(matching, status=to, updated_at=timezone.now(), **changes)
    if moved is None:
        now = Order.objects.filter(pk=order.pk).values_list("status", flat=True).first()
        raise DomainError(
            "order_changed",
            gettext_noop("This order cannot do that now: it is %(status)s."),
            status=Status(now).label if now else "-",
        )
    _take_row(order, moved)
    for name, value in changes.items():  # the related rows the caller gave, as they are
        if isinstance(value, Model):
            setattr(order, name, value)
    _event(order, event, actor, note, **(data or {}))
    _audit(actor, event.value, order, **(data or {}))
    return order


_LOCKED_WITH_WORKER = Prepared(
    lambda order_id: (
        Order.objects.select_for_update(of=("self",)).select_related("worker").filter(pk=order_id)
    )
)


def take_payment(
    *, order: Order, actor: User, method: str, tip: Money | None = None, note: str = ""
) -> JournalEntry:
    """The customer's payment for ``order`` into the books (the worker's share and any tip owed
    to the worker, the fee to the co-op, the solidarity share to the fund). An order is paid at
    most once: a second call returns the first payment."""
    locked = _LOCKED_WITH_WORKER.first(order.pk)
    if locked is None:
        raise NotFound("not_found", gettext_noop("No such order."))
    if locked.payment_id is not None:
        return JournalEntry.objects.get(pk=locked.payment_id)
    if locked.status == Status.CANCELLED:
        raise DomainError("order_cancelled", gettext_noop("A cancelled order cannot be paid."))
    if locked.worker is None:
        raise DomainError("no_worker_yet", gettext_noop("No worker has taken this order yet."))
    if tip is not None and not tip.is_zero:
        if tip.currency != locked.currency or tip.amount < 0:
            raise InvalidInput("bad_tip", gettext_noop("A tip is a positive amount."))
        locked.tip = tip.amount
    entry = ledger.post_sale(
        actor=actor,
        worker=locked.worker,
        parts=locked.breakdown,
        method=method,
        hours=locked.hours,
        memo=f"#{locked.pk} {locked.title}"[: ledger.MAX_MEMO],
        idempotency_key=f"order-payment:{locked.pk}",
    )
    locked.payment = entry
    locked.save(update_fields=["payment", "tip", "updated_at"])
    order.payment, order.tip = entry, locked.tip
    _event(locked, OrderEvent.Kind.PAID, actor, note, entry=entry.number, method=method)
    _audit(actor, "paid", locked, entry=entry.number, tip=str(locked.tip))
    return entry


def refund(*, order: Order, actor: User, reason: str) -> JournalEntry | None:
    """Give back a payment taken for ``order`` (a reversing entry); nothing when none was."""
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if locked.payment_id is None or locked.refund_id is not None:
        return None
    paid = JournalEntry.objects.select_for_update().get(pk=locked.payment_id)
    entry = ledger.reverse(actor=actor, original=paid, reason=reason)
    locked.refund = entry
    locked.save(update_fields=["refund", "updated_at"])
    order.refund = entry
    _event(locked, OrderEvent.Kind.REFUNDED, actor, reason, entry=entry.number)
    _audit(actor, "refunded", locked, entry=entry.number)
    return entry


@transaction.atomic
def rate(*, actor: User, order_id: int, stars: int, comment: str = "") -> Rating:
    """The customer rates completed work, once."""
    order = (
        Order.objects.select_for_update().filter(pk=order_id).first()
        if 0 < order_id <= MAX_ID
        else None
    )
    if order is None or order.customer_id != actor.pk:
        raise NotFound("not_found", gettext_noop("No such order."))
    if order.status != Status.COMPLETED:
        raise DomainError("not_completed", gettext_noop("Only completed work can be rated."))
    if not 1 <= stars <= 5:
        raise InvalidInput("bad_stars", gettext_noop("Give from 1 to 5 stars."))
    comment = comment.strip()
    if len(comment) > 1000:
        raise InvalidInput("comment_too_long", gettext_noop("The comment is too long."))
    if Rating.objects.filter(order=order).exists():
        raise DomainError("already_rated", gettext_noop("You have already rated this."))
    rating = Rating.objects.create(order=order, stars=stars, comment=comment)
    _event(order, OrderEvent.Kind.RATED, actor, stars=stars)
    _audit(actor, "rated", order, stars=stars)
    return rating


def require_party(
    actor: User, order: Order, *, customer: bool = False, worker: bool = False, board: bool = False
) -> None:
    """Refuse anyone but the named parties of ``order``."""
    if customer and order.customer_id == actor.pk:
        return
    if worker and order.worker is not None and order.worker.user_id == actor.pk:
        return
    if board and has_role(actor, Role.BOARD):
        return
    raise NotAllowed("not_a_party", gettext_noop("This is not yours to do."))
