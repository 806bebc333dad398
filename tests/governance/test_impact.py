"""The impact preview of a proposal: the weeks' real paid orders replayed under the proposed
rules, with the viewer's own change picked out."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.http import Http404

from taawun.accounts.models import User
from taawun.domain.money import Money
from taawun.governance import actions, selectors
from taawun.market.products import actions as shop
from taawun.members.models import Membership


def ils(amount: str) -> Money:
    return Money(Decimal(amount), "ILS")


@pytest.fixture
def producer(voters: list[User], make_member: Callable[..., Membership]) -> Membership:
    """A producer who sold two jars of honey (90.00) this week, for pickup."""
    member = make_member()
    product = shop.list_product(
        actor=member.user,
        name_ar="عسل",
        name_en="Honey",
        description="",
        unit_price=ils("45.00"),
        unit="jar",
        stock=10,
        pickup=True,
        delivery=False,
        place_label="Al-Bireh",
        place=("31.9100", "35.2150"),
    )
    shop.add_to_cart(actor=voters[1], product_id=product.pk, quantity=2)
    (order,) = shop.checkout(
        actor=voters[1], fulfilment="pickup", method="cash", idempotency_key="impact"
    )
    shop.confirm(actor=member.user, order_id=order.pk)
    shop.hand_over(actor=member.user, order_id=order.pk)
    return member


def test_a_fee_change_shows_each_side_and_the_viewers_own_change(
    voters: list[User], producer: Membership
) -> None:
    proposal = actions.propose(
        actor=voters[0], kind="policy_change", title="x", changes={"fees.coop_fee_percent": "8"}
    )
    view = selectors.impact_of(producer.user, proposal)
    assert view is not None and view.weeks == 8
    now, then = view.preview.current.totals, view.preview.proposed.totals
    assert (now.price, then.price) == (ils("90.00"), ils("90.00"))
    assert (now.coop_fee, then.coop_fee) == (ils("9.00"), ils("7.20"))
    assert (now.worker_share, then.worker_share) == (ils("79.20"), ils("81.00"))
    assert view.mine is not None and view.mine.member == producer.pk
    assert view.mine.earnings_change == ils("1.80")
    others = selectors.impact_of(voters[2], proposal)
    assert others is not None and others.mine is None  # they sold nothing


def test_a_rate_is_previewed_at_the_value_asked_for(
    voters: list[User], producer: Membership
) -> None:
    proposal = actions.propose(
        actor=voters[0], kind="rate", title="Fee", rate_rule="fees.coop_fee_percent"
    )
    assert selectors.impact_of(voters[0], proposal) is None  # no value to preview yet
    view = selectors.impact_of(voters[0], proposal, value="5", weeks=200)
    assert view is not None and view.weeks == 52
    assert view.preview.proposed.totals.coop_fee == ils("4.50")
    assert selectors.impact_of(voters[0], proposal, value="ninety") is None


def test_only_members_see_a_preview(voters: list[User], make_account: Callable[..., User]) -> None:
    proposal = actions.propose(
        actor=voters[0], kind="policy_change", title="x", changes={"fees.coop_fee_percent": "8"}
    )
    with pytest.raises(Http404):
        selectors.impact_of(make_account(), proposal)
    assert (
        selectors.impact_of(voters[0], actions.propose(actor=voters[0], kind="ordinary", title="y"))
        is None
    )
