"""Fixtures for the freelance projects: a customer, two working members, and helpers that build
briefs, proposals and agreements through the real actions."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from taawun.accounts.models import User
from taawun.domain.money import Money
from taawun.market.models import Order
from taawun.market.projects import actions
from taawun.market.projects.models import Brief, Proposal
from taawun.members.models import Membership
from tests.core.conftest import clock, fast_password_hashing  # noqa: F401

STEPS = [("First designs", "200.00"), ("Final files", "300.00")]


def ils(amount: str) -> Money:
    return Money(Decimal(amount), "ILS")


def steps(*pairs: tuple[str, str]) -> list[actions.Step]:
    return [actions.Step(title=title, amount=ils(amount)) for title, amount in pairs]


def post(customer: User, title: str = "A logo for our bakery", **kwargs: object) -> Brief:
    return actions.post_brief(
        actor=customer,
        title=title,
        description="A round logo in Arabic and English, for the sign and the bags.",
        **kwargs,  # type: ignore[arg-type]
    )


def propose(
    worker: Membership,
    brief: Brief,
    price: str = "500.00",
    pairs: list[tuple[str, str]] | None = None,
    days: int = 10,
) -> Proposal:
    return actions.propose(
        actor=worker.user,
        brief_id=brief.pk,
        price=ils(price),
        days=days,
        plan="Three sketches, then the chosen one in colour.",
        milestones=steps(*(pairs or STEPS)),
    )


def agree(customer: User, proposal: Proposal, method: str = "cash") -> list[Order]:
    """The customer chooses ``proposal``; its milestones' orders in order."""
    brief = actions.choose_proposal(actor=customer, proposal_id=proposal.pk, method=method)
    return [m.order for m in brief.milestones.select_related("order").order_by("number")]


@pytest.fixture
def customer(coop: object, make_account: Callable[..., User]) -> User:
    return make_account(name="ليلى الخوري", email="customer@example.org")


@pytest.fixture
def worker(make_member: Callable[..., Membership]) -> Membership:
    return make_member("worker", name="رامي سعادة", email="rami@example.org")


@pytest.fixture
def other_worker(make_member: Callable[..., Membership]) -> Membership:
    return make_member("worker", name="Nadia Haddad", email="nadia@example.org")
