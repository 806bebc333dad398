"""The words of each kind of notification, written from its payload in the active language:
the same stored notification reads in Arabic for one person and in English for another."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Kind

Words = tuple[str, str]  # (subject, body)


def when(value: Any) -> str:
    """A stored ISO time on the co-op's clock, as the governance emails write it."""
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if timezone.is_naive(moment):
        return moment.strftime("%Y-%m-%d %H:%M")
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _booking_requested(p: Mapping[str, Any]) -> Words:
    return (
        _("New booking #%(order)s") % {"order": p["order"]},
        _("You have a new booking #%(order)s for %(when)s. Confirm or decline it.")
        % {"order": p["order"], "when": when(p["starts"])},
    )


def _booking_confirmed(p: Mapping[str, Any]) -> Words:
    return (
        _("Booking #%(order)s confirmed") % {"order": p["order"]},
        _("Booking #%(order)s for %(when)s is confirmed.")
        % {"order": p["order"], "when": when(p["starts"])},
    )


def _booking_rescheduled(p: Mapping[str, Any]) -> Words:
    return (
        _("Booking #%(order)s moved") % {"order": p["order"]},
        _("Booking #%(order)s was moved to %(when)s; it waits for the worker's confirmation.")
        % {"order": p["order"], "when": when(p["starts"])},
    )


def _booking_cancelled(p: Mapping[str, Any]) -> Words:
    return (
        _("Booking #%(order)s cancelled") % {"order": p["order"]},
        _("Booking #%(order)s for %(when)s was cancelled.")
        % {"order": p["order"], "when": when(p["starts"])},
    )


def _trip_offered(p: Mapping[str, Any]) -> Words:
    return (
        _("Trip #%(order)s offered to you") % {"order": p["order"]},
        _("Trip #%(order)s is offered to you. Answer soon: the offer expires.")
        % {"order": p["order"]},
    )


def _product_ordered(p: Mapping[str, Any]) -> Words:
    return (
        _("New order #%(order)s for your products") % {"order": p["order"]},
        _("Order #%(order)s asks for your products (items: %(items)s). Confirm or refuse it.")
        % {"order": p["order"], "items": p["items"]},
    )


def _proposal_accepted(p: Mapping[str, Any]) -> Words:
    return (
        _("Your proposal for project #%(brief)s was accepted") % {"brief": p["brief"]},
        _("The customer chose your proposal for project #%(brief)s; its milestones are yours.")
        % {"brief": p["brief"]},
    )


def _vote_opened(p: Mapping[str, Any]) -> Words:
    values = {"number": p["proposal"], "title": p["title"], "closes": when(p["closes"])}
    return (
        _("A vote opened: %(title)s") % values,
        _("Proposal #%(number)s, %(title)s, is open for your vote until %(closes)s.") % values,
    )


def _vote_closing(p: Mapping[str, Any]) -> Words:
    values = {"number": p["proposal"], "title": p["title"], "closes": when(p["closes"])}
    return (
        _("A vote closes soon: %(title)s") % values,
        _("You have not voted yet on proposal #%(number)s, %(title)s. Voting closes at %(closes)s.")
        % values,
    )


def _vote_result(p: Mapping[str, Any]) -> Words:
    from taawun.governance.results import outcome_badge  # governance itself notifies

    outcome = outcome_badge(p["outcome"])[0]
    values = {"number": p["proposal"], "title": p["title"], "outcome": outcome}
    return (
        _("The vote has closed: %(title)s") % values,
        _("The vote on proposal #%(number)s, %(title)s, has closed: %(outcome)s.") % values,
    )


def _payout_paid(p: Mapping[str, Any]) -> Words:
    values = {"amount": p["amount"], "currency": p["currency"], "run": p["run"]}
    return (
        _("A payout of %(amount)s %(currency)s") % values,
        _("The co-op paid you %(amount)s %(currency)s (payout run #%(run)s).") % values,
    )


WRITERS: dict[str, Callable[[Mapping[str, Any]], Words]] = {
    Kind.BOOKING_REQUESTED: _booking_requested,
    Kind.BOOKING_CONFIRMED: _booking_confirmed,
    Kind.BOOKING_RESCHEDULED: _booking_rescheduled,
    Kind.BOOKING_CANCELLED: _booking_cancelled,
    Kind.TRIP_OFFERED: _trip_offered,
    Kind.PRODUCT_ORDERED: _product_ordered,
    Kind.PROPOSAL_ACCEPTED: _proposal_accepted,
    Kind.VOTE_OPENED: _vote_opened,
    Kind.VOTE_CLOSING: _vote_closing,
    Kind.VOTE_RESULT: _vote_result,
    Kind.PAYOUT_PAID: _payout_paid,
}


def words(kind: str, payload: Mapping[str, Any]) -> Words:
    """The subject and text, in the active language; a payload missing a value (an older
    notification) still reads, as its kind's name."""
    try:
        return WRITERS[kind](payload)
    except (KeyError, TypeError, ValueError):
        label = str(Kind(kind).label) if kind in Kind.values else kind
        return label, label
