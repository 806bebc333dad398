"""The impact preview as members read it: the totals now and as proposed side by side, the
viewer's own change, and every member's change as an anonymous bar, lowest first, so a loss
that falls on a few is seen before the vote and not after it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.safestring import SafeString
from django.utils.translation import get_language_bidi
from django.utils.translation import gettext as _

from taawun.domain.impact import ImpactPreview, Outcome
from taawun.domain.money import Money
from taawun.web.charts import change_bars

from .selectors import ImpactView


def signed(value: Decimal) -> str:
    """A change as members read it: a plus for a gain, the minus a loss has anyway."""
    return f"+{value}" if value > 0 else str(value)


@dataclass(frozen=True)
class ImpactRow:
    label: str
    current: str
    proposed: str
    change: str


@dataclass(frozen=True)
class MemberChange:
    rank: int
    change: str
    yours: bool


@dataclass(frozen=True)
class ImpactPicture:
    preview: ImpactPreview
    weeks: int
    rows: list[ImpactRow]
    mine: str | None
    """The viewer's own change in earnings, with the currency ("+1.80 ILS")."""
    chart: SafeString | None
    changes: list[MemberChange]
    """Every member's change in earnings, lowest first, without names."""


def _money_row(label: str, current: Money, proposed: Money) -> ImpactRow:
    return ImpactRow(
        label, str(current.amount), str(proposed.amount), signed((proposed - current).amount)
    )


def _ratio_row(label: str, current: Decimal | None, proposed: Decimal | None) -> ImpactRow:
    if current is None or proposed is None:
        return ImpactRow(label, "—", "—", "—")
    return ImpactRow(label, str(current), str(proposed), signed(proposed - current))


def _rows(now: Outcome, then: Outcome) -> list[ImpactRow]:
    rows = [
        _money_row(_("Customers pay, tips included"), now.totals.paid, then.totals.paid),
        _money_row(_("Workers earn, tips included"), now.totals.earned, then.totals.earned),
        _money_row(_("The co-op's fees"), now.totals.coop_fee, then.totals.coop_fee),
        _money_row(_("Net into the solidarity fund"), now.solidarity_fund, then.solidarity_fund),
    ]
    if now.allocation is not None or then.allocation is not None:
        zero = Money.zero(now.totals.price.currency)
        for label, part in (
            (_("Surplus to the reserve"), "reserve"),
            (_("Surplus to the education fund"), "education"),
            (_("Surplus to the solidarity fund"), "solidarity"),
            (_("Surplus to members as patronage dividends"), "pool"),
        ):
            rows.append(
                _money_row(
                    label,
                    getattr(now.allocation, part) if now.allocation else zero,
                    getattr(then.allocation, part) if then.allocation else zero,
                )
            )
    rows.append(_money_row(_("Top-ups to the earnings floor"), now.top_ups, then.top_ups))
    spreads = (now.spread, then.spread)
    summaries = [s.summary if s else None for s in spreads]
    rows += [
        _ratio_row(
            _("Gini coefficient of earnings per hour"),
            *(s.gini if s else None for s in summaries),
        ),
        _ratio_row(
            _("The lowest tenth's earnings per hour, over the mean"),
            *(s.p10_over_mean if s else None for s in summaries),
        ),
    ]
    return rows


def picture(view: ImpactView) -> ImpactPicture:
    preview = view.preview
    ordered = sorted(
        (m.earnings_change.amount, view.mine is not None and m.member == view.mine.member)
        for m in preview.members
    )
    changes = [
        MemberChange(rank, signed(amount), yours) for rank, (amount, yours) in enumerate(ordered, 1)
    ]
    marked = next((c.rank - 1 for c in changes if c.yours), None)
    chart = None
    if changes:
        chart = change_bars(
            title=_("Each member's change in earnings, lowest first"),
            items=[
                (
                    _("You: %(change)s") % {"change": c.change} if c.yours else c.change,
                    amount,
                )
                for c, (amount, _yours) in zip(changes, ordered, strict=True)
            ],
            marked=marked,
            rtl=get_language_bidi(),
        )
    return ImpactPicture(
        preview=preview,
        weeks=view.weeks,
        rows=_rows(preview.current, preview.proposed),
        mine=f"{signed(view.mine.earnings_change.amount)} {preview.currency}"
        if view.mine
        else None,
        chart=chart,
        changes=changes,
    )
