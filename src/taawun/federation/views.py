"""The members' pages on sister co-ops: whom we follow and trade with, their offers, the work
passed between us and the mutual credit that settles it.

Every read goes through the federation's selectors (which check who may see it) and every
write through one action; a refusal shows on the page it came from, at its status, with the
form as it was sent. Writes are plain POST forms that redirect, so the pages need no script."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language_bidi
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from taawun.coop.selectors import current_policy
from taawun.domain.errors import NotAllowed
from taawun.domain.money import quantum
from taawun.market.models import Order, Sector, Status
from taawun.members.templatetags.membership import money
from taawun.web.errors import refusals
from taawun.web.flow import board_desk, person, run_action

from . import actions, learning, selectors
from . import vocabulary as vocab
from .forms import (
    ConsentForm,
    CreditLineForm,
    DeliveredForm,
    DirectoryFilter,
    FollowForm,
    PassOnForm,
    RefuseForm,
    ReverseForm,
    TransferForm,
)
from .models import CreditLine, CreditTransfer, Peer, Referral

# How each state reads at a glance: done, waiting on someone, or ended without it.
TONES = {
    "ok": ["accepted", "delivered", "completed"],
    "warn": ["requested", "awaiting_consent", "offered", "proposed"],
    "bad": ["rejected", "declined_by_customer", "expired"],
}
TRANSFERS_PER_PAGE = 50
LIVE_REFERRAL = [Referral.Status.AWAITING_CONSENT, Referral.Status.OFFERED]


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int
) -> HttpResponse:
    return render(request, f"federation/{template}", {"tones": TONES, **context}, status=status)


# --- Sister co-ops -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PeerRow:
    peer: Peer
    sectors: list[str]
    area: str
    line: CreditLine | None
    line_form: CreditLineForm | None


def _sector_names(codes: Any) -> list[str]:
    """A sister co-op's sectors as its profile lists them, in our words where we share them."""
    if not isinstance(codes, list):
        return []
    return [
        str(Sector(code).label) if code in Sector.values else code
        for code in codes
        if isinstance(code, str)
    ]


def _peers_page(
    request: HttpRequest,
    status: int = 200,
    follow_form: FollowForm | None = None,
    line_forms: dict[int, CreditLineForm] | None = None,
) -> HttpResponse:
    viewer = person(request)
    found = selectors.peers(viewer)
    board = selectors.is_board(viewer)
    rows = []
    for peer in found:
        line: CreditLine | None = getattr(peer, "credit_line", None)
        area = peer.profile.get("area", "")
        line_form = None
        if board and peer.taawun:
            line_form = (line_forms or {}).get(peer.pk) or CreditLineForm(
                prefix=f"line{peer.pk}",
                initial={
                    "limit": line.our_limit.quantize(quantum(line.currency)) if line else None
                },
            )
        rows.append(
            PeerRow(
                peer=peer,
                sectors=_sector_names(peer.profile.get("sectors")),
                area=area if isinstance(area, str) else "",
                line=line,
                line_form=line_form,
            )
        )
    context = {
        "rows": rows,
        "board": board,
        "follow_form": follow_form or FollowForm(),
        "pending": selectors.deliveries_pending(),
        "address": selectors.our_address(),
        "actor": vocab.actor_id(),
    }
    return _page(request, "peers.html", context, status)


@login_required
@require_http_methods(["GET", "HEAD"])
@refusals
def peers(request: HttpRequest) -> HttpResponse:
    return _peers_page(request)


@board_desk
@require_POST
def follow(request: HttpRequest) -> HttpResponse:
    form = FollowForm(request.POST)
    if not form.is_valid():
        return _peers_page(request, 400, follow_form=form)
    peer, status = run_action(
        form, actions.follow, actor=person(request), address=form.cleaned_data["address"]
    )
    if peer is None:
        return _peers_page(request, status, follow_form=form)
    messages.success(
        request,
        _("%(co_op)s: %(state)s.") % {"co_op": peer, "state": peer.get_following_display()},
    )
    return redirect("federation_pages:peers")


@board_desk
@require_POST
def unfollow(request: HttpRequest, peer_id: int) -> HttpResponse:
    peer = actions.unfollow(actor=person(request), peer_id=peer_id)
    messages.success(request, _("We no longer follow %(co_op)s.") % {"co_op": peer})
    return redirect("federation_pages:peers")


@board_desk
@require_POST
def credit_line(request: HttpRequest, peer_id: int) -> HttpResponse:
    form = CreditLineForm(request.POST, prefix=f"line{peer_id}")
    line = None
    status = 400
    if form.is_valid():
        line, status = run_action(
            form,
            actions.open_credit_line,
            actor=person(request),
            peer_id=peer_id,
            limit=form.cleaned_data["limit"],
        )
    if line is None:
        return _peers_page(request, status, line_forms={peer_id: form})
    messages.success(
        request,
        _("%(co_op)s may now owe us up to %(limit)s.")
        % {"co_op": line.peer, "limit": money(line.our_limit, line.currency)},
    )
    return redirect("federation_pages:peers")


# --- Offers ------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
@refusals
def offers(request: HttpRequest) -> HttpResponse:
    viewer = person(request)
    form = DirectoryFilter(request.GET or None)
    valid = form.is_valid()
    sector = form.cleaned_data["sector"] if valid else ""
    context = {
        "offers": selectors.directory(viewer, sector=sector),
        "filter": form,
        "sector": sector,
        "sector_name": Sector(sector).label if sector else "",
        "board": selectors.is_board(viewer),
    }
    return _page(request, "offers.html", context, 200 if valid or not form.is_bound else 400)


@board_desk
@require_POST
def publish(request: HttpRequest) -> HttpResponse:
    actor = person(request)
    if actions.publish_offers(actor=actor) + learning.publish_learning(actor=actor):
        messages.success(
            request,
            _("Our offers and shared lessons and pages were sent to the co-ops that follow us."),
        )
    else:
        messages.info(
            request,
            _(
                "Nothing was sent: no offer, shared lesson or page changed, or no co-op "
                "follows us yet."
            ),
        )
    return redirect("federation_pages:offers")


# --- Referrals ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferralRow:
    referral: Referral
    refuse_form: forms.Form | None = None
    delivered_form: forms.Form | None = None


def _referable_orders() -> QuerySet[Order]:
    """Orders still waiting for a worker, unpaid, and not already being passed on."""
    return (
        Order.objects.filter(status=Status.REQUESTED, payment__isnull=True)
        .exclude(referrals__status__in=LIVE_REFERRAL)
        .order_by("-id")
    )


def _referrals_page(
    request: HttpRequest,
    status: int = 200,
    pass_form: PassOnForm | None = None,
    row_forms: dict[str, forms.Form] | None = None,
) -> HttpResponse:
    """Members see the work passed both ways, the board answers it; anyone signed in sees the
    consents asked of them, so a customer who is not a member finds them here too."""
    viewer = person(request)
    context: dict[str, Any] = {"waiting": list(selectors.consents_waiting(viewer))}
    try:
        found = list(selectors.referrals(viewer))
    except NotAllowed:
        if not context["waiting"]:
            raise
        return _page(request, "referrals.html", {**context, "member": False}, status)
    board = selectors.is_board(viewer)
    row_forms = row_forms or {}
    incoming, outgoing = [], []
    for referral in found:
        if referral.direction == Referral.Direction.OUT:
            outgoing.append(ReferralRow(referral))
            continue
        key = str(referral.pk)
        refuse: forms.Form | None = None
        delivered: forms.Form | None = None
        if board and referral.status == Referral.Status.OFFERED:
            refuse = row_forms.get(f"refuse-{key}") or RefuseForm(prefix=f"refuse-{key}")
        if board and referral.status == Referral.Status.ACCEPTED:
            delivered = row_forms.get(f"delivered-{key}") or DeliveredForm(
                prefix=f"delivered-{key}"
            )
        incoming.append(ReferralRow(referral, refuse, delivered))
    context.update(
        member=True,
        board=board,
        incoming=incoming,
        outgoing=outgoing,
        pass_form=pass_form
        or (
            PassOnForm(orders=_referable_orders(), peers=Peer.objects.filter(taawun=True))
            if board
            else None
        ),
    )
    return _page(request, "referrals.html", context, status)


@login_required
@require_http_methods(["GET", "HEAD"])
@refusals
def referrals(request: HttpRequest) -> HttpResponse:
    return _referrals_page(request)


@board_desk
@require_POST
def pass_on(request: HttpRequest) -> HttpResponse:
    viewer = person(request)
    form = PassOnForm(
        request.POST, orders=_referable_orders(), peers=Peer.objects.filter(taawun=True)
    )
    referral, status = None, 400
    if form.is_valid():
        referral, status = run_action(
            form,
            actions.propose_referral,
            actor=viewer,
            order_id=form.cleaned_data["order"].pk,
            peer_id=form.cleaned_data["peer"].pk,
            reason=form.cleaned_data["reason"],
        )
    if referral is None:
        return _referrals_page(request, status, pass_form=form)
    messages.success(
        request,
        _("The customer is asked to agree before the order goes to %(co_op)s.")
        % {"co_op": referral.peer},
    )
    return redirect("federation_pages:referrals")


@board_desk
@require_POST
def accept(request: HttpRequest, referral_id: uuid.UUID) -> HttpResponse:
    referral = actions.answer_referral(actor=person(request), referral_id=referral_id, accept=True)
    messages.success(
        request, _("Accepted: %(co_op)s is told, and the work is ours.") % {"co_op": referral.peer}
    )
    return redirect("federation_pages:referrals")


@board_desk
@require_POST
def refuse(request: HttpRequest, referral_id: uuid.UUID) -> HttpResponse:
    prefix = f"refuse-{referral_id}"
    form = RefuseForm(request.POST, prefix=prefix)
    referral, status = None, 400
    if form.is_valid():
        referral, status = run_action(
            form,
            actions.answer_referral,
            actor=person(request),
            referral_id=referral_id,
            accept=False,
            reason=form.cleaned_data["reason"],
        )
    if referral is None:
        return _referrals_page(request, status, row_forms={prefix: form})
    messages.success(request, _("Refused: %(co_op)s is told.") % {"co_op": referral.peer})
    return redirect("federation_pages:referrals")


@board_desk
@require_POST
def delivered(request: HttpRequest, referral_id: uuid.UUID) -> HttpResponse:
    prefix = f"delivered-{referral_id}"
    form = DeliveredForm(request.POST, prefix=prefix)
    referral, status = None, 400
    if form.is_valid():
        referral, status = run_action(
            form,
            actions.report_delivered,
            actor=person(request),
            referral_id=referral_id,
            charged=form.cleaned_data["charged"],
        )
    if referral is None:
        return _referrals_page(request, status, row_forms={prefix: form})
    messages.success(
        request,
        _("Delivery reported to %(co_op)s; its referral fee is %(fee)s.")
        % {"co_op": referral.peer, "fee": money(referral.fee, referral.currency)},
    )
    return redirect("federation_pages:referrals")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@refusals
def consent(request: HttpRequest, referral_id: uuid.UUID) -> HttpResponse:
    """The customer's own decision: nothing of theirs leaves before they say yes here."""
    viewer = person(request)
    referral = selectors.referral_for_customer(viewer, referral_id)
    decision = request.POST.get("decision") if request.method == "POST" else None
    form = ConsentForm(request.POST if decision == "consent" else None)
    status = 200
    if decision == "refuse":
        actions.answer_consent(actor=viewer, referral_id=referral.pk, consent=False)
        messages.success(request, _("Your order stays with us; nothing was shared."))
        return redirect("market:order", order_id=referral.order_id)
    if decision == "consent":
        status = 400
        if form.is_valid():
            done, status = run_action(
                form,
                actions.answer_consent,
                actor=viewer,
                referral_id=referral.pk,
                consent=True,
                share=form.cleaned_data["share"],
            )
            if done is not None:
                messages.success(
                    request,
                    _(
                        "Thank you. Your order was offered to %(co_op)s; if they take it on, "
                        "they will get in touch."
                    )
                    % {"co_op": referral.peer},
                )
                return redirect("market:order", order_id=referral.order_id)
    elif request.method == "POST":
        status = 400
    context = {
        "referral": referral,
        "form": form,
        "name": viewer.get_full_name() or viewer.get_short_name(),
        "email": viewer.email,
        "hours": current_policy().policy.federation.referral_timeout_hours,
    }
    return _page(request, "consent.html", context, status)


# --- Mutual credit -----------------------------------------------------------------------------

CHART_W, CHART_H, CHART_SIDE = 640, 64, 64


def _n(value: float) -> str:
    return f"{value:.1f}"


def balance_bar(line: CreditLine, *, label_id: str, rtl: bool) -> SafeString:
    """The balance as a bar from zero on a scale from the most we may owe them to the most they
    may owe us; in a right-to-left page what we owe lies on the right, where reading starts.
    The figure's caption (``label_id``) says the same in words."""
    low = min(-line.their_limit, line.balance, Decimal(0))
    high = max(line.our_limit, line.balance, Decimal(0))
    if low == high:
        low, high = Decimal(-1), Decimal(1)
    width = CHART_W - 2 * CHART_SIDE

    def x(value: Decimal) -> float:
        at = CHART_SIDE + float((value - low) / (high - low)) * width
        return CHART_W - at if rtl else at

    zero, end = x(Decimal(0)), x(line.balance)
    parts = [
        format_html(
            '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}">',
            CHART_W,
            CHART_H,
            label_id,
        ),
        format_html(
            '<line class="axis" x1="{}" y1="26" x2="{}" y2="26"/>', _n(x(low)), _n(x(high))
        ),
        format_html(
            '<rect class="series-{}" x="{}" y="16" width="{}" height="20"/>',
            0 if line.balance >= 0 else 1,
            _n(min(zero, end)),
            _n(max(abs(end - zero), 2.0)),
        ),
    ]
    for value in sorted({-line.their_limit, Decimal(0), line.our_limit}):
        parts.append(
            format_html(
                '<line class="axis" x1="{}" y1="10" x2="{}" y2="42"/>'
                '<text class="label" x="{}" y="58" text-anchor="middle" direction="ltr">{}</text>',
                _n(x(value)),
                _n(x(value)),
                _n(x(value)),
                format(value.quantize(quantum(line.currency)), "f"),
            )
        )
    parts.append(mark_safe("</svg>"))  # a constant  # nosec B308
    return mark_safe("".join(str(part) for part in parts))  # noqa: S308 - every part escaped  # nosec B308, B703


@dataclass(frozen=True)
class Disagreement:
    one: str
    other: str
    one_says: Decimal | None
    other_says: Decimal | None
    heads_match: bool


@dataclass(frozen=True)
class CheckResult:
    consistent: bool
    total: Decimal
    disagreements: list[Disagreement]
    unreachable: list[str]


def _named(check: selectors.NetworkCheck, known: QuerySet[Peer]) -> CheckResult:
    """The network check with co-ops named as members know them rather than by actor URL."""
    names = {peer.actor_id: str(peer) for peer in known}
    names[vocab.actor_id()] = _("our co-op")
    return CheckResult(
        consistent=check.consistent,
        total=check.total,
        disagreements=[
            Disagreement(
                names.get(found.one, found.one),
                names.get(found.other, found.other),
                found.one_says,
                found.other_says,
                found.heads_match,
            )
            for found in check.disagreements
        ],
        unreachable=[names.get(actor, actor) for actor in check.unreachable],
    )


@dataclass(frozen=True)
class LineRow:
    peer: Peer
    line: CreditLine
    owed: Decimal  # the balance without its sign: who owes whom is said in words
    chart: SafeString


@dataclass(frozen=True)
class TransferRow:
    transfer: CreditTransfer
    reversal: CreditTransfer | None
    reverse_form: ReverseForm | None


def _credit_page(
    request: HttpRequest,
    status: int = 200,
    transfer_form: TransferForm | None = None,
    reverse_forms: dict[int, ReverseForm] | None = None,
    check: selectors.NetworkCheck | None = None,
) -> HttpResponse:
    viewer = person(request)
    with_lines = selectors.peers(viewer).filter(credit_line__isnull=False)
    board = selectors.is_board(viewer)
    rtl = get_language_bidi()
    lines = [
        LineRow(
            peer,
            peer.credit_line,
            abs(peer.credit_line.balance),
            balance_bar(peer.credit_line, label_id=f"line-{peer.pk}-caption", rtl=rtl),
        )
        for peer in with_lines
    ]
    page = Paginator(
        selectors.transfers(viewer).select_related("reverses").prefetch_related("reversals"),
        TRANSFERS_PER_PAGE,
    ).get_page(request.GET.get("page"))
    rows = []
    for transfer in page.object_list:
        reversal = next(iter(transfer.reversals.all()), None)
        reverse_form = None
        reversible = transfer.state == CreditTransfer.State.COMPLETED and not transfer.we_pay
        if board and reversible and reversal is None:
            reverse_form = (reverse_forms or {}).get(transfer.pk) or ReverseForm(
                prefix=f"reverse{transfer.pk}"
            )
        rows.append(TransferRow(transfer, reversal, reverse_form))
    context = {
        "lines": lines,
        "rows": rows,
        "page": page,
        "board": board,
        "transfer_form": transfer_form or (TransferForm(peers=with_lines) if board else None),
        "check": check and _named(check, with_lines),
        "currency": current_policy().policy.currency,
    }
    return _page(request, "credit.html", context, status)


@login_required
@require_http_methods(["GET", "HEAD"])
@refusals
def credit(request: HttpRequest) -> HttpResponse:
    return _credit_page(request)


@board_desk
@require_POST
def propose_transfer(request: HttpRequest) -> HttpResponse:
    viewer = person(request)
    form = TransferForm(
        request.POST, peers=selectors.peers(viewer).filter(credit_line__isnull=False)
    )
    result, status = None, 400
    if form.is_valid():
        data = form.cleaned_data
        result, status = run_action(
            form,
            actions.propose_transfer,
            actor=viewer,
            peer_id=data["peer"].pk,
            transfer_id=data["transfer_id"],
            amount=data["amount"],
            purpose=data["purpose"],
            memo=data["memo"],
        )
    if result is None:
        return _credit_page(request, status, transfer_form=form)
    transfer, created = result
    text = (
        _("Transfer of %(amount)s proposed to %(co_op)s.")
        if created
        else _(
            "This transfer of %(amount)s to %(co_op)s was proposed already; nothing more was sent."
        )
    )
    messages.success(
        request,
        text % {"amount": money(transfer.amount, transfer.currency), "co_op": transfer.peer},
    )
    return redirect("federation_pages:credit")


@board_desk
@require_POST
def reverse_transfer(request: HttpRequest, transfer_pk: int) -> HttpResponse:
    form = ReverseForm(request.POST, prefix=f"reverse{transfer_pk}")
    transfer, status = None, 400
    if form.is_valid():
        transfer, status = run_action(
            form,
            actions.reverse_transfer,
            actor=person(request),
            transfer_pk=transfer_pk,
            reason=form.cleaned_data["reason"],
        )
    if transfer is None:
        return _credit_page(request, status, reverse_forms={transfer_pk: form})
    messages.success(
        request,
        _("Giving back %(amount)s to %(co_op)s was proposed.")
        % {"amount": money(transfer.amount, transfer.currency), "co_op": transfer.peer},
    )
    return redirect("federation_pages:credit")


@login_required
@require_POST
@refusals
def check_network(request: HttpRequest) -> HttpResponse:
    """Asks every credit partner for its records, so it is a POST: it reaches other servers."""
    selectors.require_member(person(request))
    return _credit_page(request, check=selectors.network_check())
