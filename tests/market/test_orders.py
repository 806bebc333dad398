"""The order life every sector shares: placed at a quote, moved by conditional updates, paid
into the books once, refunded by a reversing entry, rated once by its customer."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import translation

from taawun.accounts.models import User
from taawun.coop.selectors import current_policy
from taawun.domain.errors import DomainError, InvalidInput, NotAllowed, NotFound
from taawun.domain.pricing import Quote, quote_agreed, quote_service
from taawun.ledger.models import EntryKind, JournalEntry
from taawun.market import actions, selectors
from taawun.market.models import Order, OrderEvent, Rating, Sector, Status
from taawun.members.models import Membership
from taawun.transparency.models import AuditEntry
from tests.ledger.helpers import balance, books_problems, ils, owed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("coop")]


def two_hours() -> Quote:
    current = current_policy()
    return quote_service(policy=current.policy, policy_version=current.number, hours=Decimal(2))


@transaction.atomic
def placed(customer: User, worker: Membership | None = None, **kwargs: object) -> Order:
    return actions.place(
        customer=customer,
        sector=Sector.SERVICE,
        title="Deep clean, 2 rooms",
        quote=two_hours(),
        hours=Decimal(2),
        worker=worker,
        **kwargs,  # type: ignore[arg-type]
    )


@transaction.atomic
def confirm(order: Order, actor: User | None) -> Order:
    return actions.advance(
        order=order,
        actor=actor,
        to=Status.CONFIRMED,
        allowed_from=[Status.REQUESTED],
        event=OrderEvent.Kind.CONFIRMED,
    )


@transaction.atomic
def pay(order: Order, actor: User, **kwargs: object) -> JournalEntry:
    return actions.take_payment(order=order, actor=actor, method="cash", **kwargs)  # type: ignore[arg-type]


def test_an_order_stores_the_quote_breakdown_and_its_event(
    make_account: Callable[..., User], make_member: Callable[..., Membership]
) -> None:
    customer, worker = make_account(), make_member()
    audits = AuditEntry.objects.count()
    order = placed(customer, worker)
    # 2 hours at 45.00: fee 10% = 9.00, solidarity 2% = 1.80, worker 79.20, no tax
    assert (order.price, order.coop_fee, order.solidarity, order.worker_share, order.tax) == (
        Decimal("90.000"),
        Decimal("9.000"),
        Decimal("1.800"),
        Decimal("79.200"),
        Decimal("0.000"),
    )
    assert order.quote[-2][0] == "%(hours)s hours at %(rate)s per hour"
    assert order.quote[-2][1] == {"hours": "2", "rate": "45.00 ILS"}
    assert [e.kind for e in order.events.all()] == ["placed"]
    assert AuditEntry.objects.count() == audits + 1
    assert AuditEntry.objects.latest("seq").action == "order.placed"


def test_a_retry_with_the_same_key_returns_the_first_order(
    make_account: Callable[..., User],
) -> None:
    customer = make_account()
    first = placed(customer, idempotency_key="abc")
    again = placed(customer, idempotency_key="abc")
    assert again.pk == first.pk
    assert Order.objects.count() == 1
    other = make_account()
    assert placed(other, idempotency_key="abc").pk != first.pk  # keys are per customer


def test_the_same_key_for_something_else_is_refused(make_account: Callable[..., User]) -> None:
    customer = make_account()
    placed(customer, idempotency_key="abc")
    with pytest.raises(DomainError) as refused, transaction.atomic():
        actions.place(
            customer=customer,
            sector=Sector.SERVICE,
            title="Something else",
            quote=two_hours(),
            idempotency_key="abc",
        )
    assert refused.value.code == "idempotency_conflict"
    assert Order.objects.count() == 1


def test_only_working_members_take_work(
    make_account: Callable[..., User], make_member: Callable[..., Membership]
) -> None:
    supporter = make_member("supporter")
    with pytest.raises(InvalidInput):
        placed(make_account(), supporter)
    assert not Order.objects.exists()


def test_advance_moves_once_and_says_what_happened_meanwhile(
    make_account: Callable[..., User],
) -> None:
    customer = make_account()
    order = placed(customer)
    stale = Order.objects.get(pk=order.pk)
    assert confirm(order, customer).status == Status.CONFIRMED
    with pytest.raises(DomainError) as refused:
        confirm(stale, customer)
    assert refused.value.code == "order_changed"
    with translation.override("en"):
        assert str(refused.value.params["status"]) == "confirmed"
    assert [e.kind for e in order.events.all()] == ["placed", "confirmed"]


def test_payment_posts_the_same_breakdown_once(
    make_account: Callable[..., User], make_member: Callable[..., Membership]
) -> None:
    customer, worker = make_account(), make_member()
    order = placed(customer, worker)
    entry = pay(order, customer, tip=ils("5.00"))
    assert entry.kind == EntryKind.SALE
    assert entry.policy_version == order.policy_version
    assert owed(worker) == Decimal("84.200")  # 79.20 share + 5.00 tip
    assert balance("cash") == Decimal("95.000")
    assert -balance("fees_members") == Decimal("9.000")
    assert -balance("solidarity_fund") == Decimal("1.800")
    assert pay(order, customer).pk == entry.pk  # paid once
    assert JournalEntry.objects.filter(kind=EntryKind.SALE).count() == 1
    order.refresh_from_db()
    assert (order.payment_id, order.tip) == (entry.pk, Decimal("5.000"))
    assert books_problems() == []


def test_work_without_a_worker_cannot_be_paid(make_account: Callable[..., User]) -> None:
    customer = make_account()
    order = placed(customer)
    with pytest.raises(DomainError) as refused:
        pay(order, customer)
    assert refused.value.code == "no_worker_yet"
    assert not JournalEntry.objects.filter(kind=EntryKind.SALE).exists()


def test_a_refund_reverses_the_payment(
    make_account: Callable[..., User], make_member: Callable[..., Membership]
) -> None:
    customer, worker = make_account(), make_member()
    order = placed(customer, worker)
    pay(order, customer)
    with transaction.atomic():
        refund = actions.refund(order=order, actor=customer, reason="Cancelled by the co-op")
        assert actions.refund(order=order, actor=customer, reason="again") is None
    assert refund is not None and refund.kind == EntryKind.REVERSAL
    assert owed(worker) == 0
    assert balance("cash") == 0
    assert books_problems() == []


def test_only_the_customer_rates_completed_work_once(
    make_account: Callable[..., User], make_member: Callable[..., Membership]
) -> None:
    customer, worker = make_account(), make_member()
    order = placed(customer, worker)
    with pytest.raises(DomainError):
        actions.rate(actor=customer, order_id=order.pk, stars=5)
    Order.objects.filter(pk=order.pk).update(status=Status.COMPLETED)
    with pytest.raises(NotFound):
        actions.rate(actor=worker.user, order_id=order.pk, stars=5)
    with pytest.raises(InvalidInput):
        actions.rate(actor=customer, order_id=order.pk, stars=6)
    rating = actions.rate(actor=customer, order_id=order.pk, stars=4, comment=" Tidy work ")
    assert (rating.stars, rating.comment) == (4, "Tidy work")
    with pytest.raises(DomainError) as refused:
        actions.rate(actor=customer, order_id=order.pk, stars=1)
    assert refused.value.code == "already_rated"
    assert Rating.objects.get().stars == 4


def test_an_order_is_seen_only_by_its_parties_and_the_board(
    make_account: Callable[..., User], make_member: Callable[..., Membership], founder: User
) -> None:
    customer, worker, stranger = make_account(), make_member(), make_account()
    order = placed(customer, worker)
    for viewer in (customer, worker.user, founder):
        assert selectors.access_order_or_404(viewer, order.pk).pk == order.pk
    for bad in (stranger,):
        with pytest.raises(NotFound):
            selectors.access_order_or_404(bad, order.pk)
    with pytest.raises(NotFound):
        selectors.access_order_or_404(customer, 2**70)
    with pytest.raises(NotAllowed):
        actions.require_party(stranger, order, customer=True, worker=True, board=True)
    actions.require_party(worker.user, order, worker=True)


@pytest.mark.parametrize("price", ["12.05", "0.01", "999999.99", "33.33"])
def test_any_price_in_minor_units_can_be_ordered(
    make_account: Callable[..., User], price: str
) -> None:
    """The parts add up to the price exactly; the database check allows for SQLite's floats."""
    current = current_policy()
    quote = quote_agreed(policy=current.policy, policy_version=current.number, price=ils(price))
    with transaction.atomic():
        order = actions.place(
            customer=make_account(), sector=Sector.PRODUCT, title="Jam", quote=quote
        )
    order.refresh_from_db()
    assert order.price == Decimal(price)
    assert order.tax + order.coop_fee + order.solidarity + order.worker_share == Decimal(price)
