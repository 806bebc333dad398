"""The open data's disclosure rules: weeks, the cells' figures, the threshold, and that no hidden
cell can be worked out from the published ones (checked by exact linear algebra, not by the
rule the module itself uses)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taawun.domain.disclosure import (
    ALL,
    Cell,
    K,
    Key,
    Sale,
    parse_week,
    publish,
    tally,
    week_of,
)
from taawun.domain.errors import InvalidInput

SECTORS = ["service", "trip", "project", "product", "work"]


def sale(
    customer: int,
    worker: int,
    price: str = "10.00",
    *,
    sector: str = "trip",
    area: str = "Centre",
    week: str = "2030-W09",
    currency: str = "ILS",
    tip: str = "0",
    hours: str = "1",
) -> Sale:
    return Sale(
        week=week,
        currency=currency,
        sector=sector,
        area=area if sector == "trip" else ALL,
        customer=customer,
        worker=worker,
        price=Decimal(price),
        paid=Decimal(price) + Decimal(tip),
        hours=Decimal(hours),
        earned=Decimal(price) * Decimal("0.8") + Decimal(tip),
    )


def test_weeks_are_iso_weeks() -> None:
    assert week_of(dt.date(2030, 3, 1)) == "2030-W09"
    assert week_of(dt.date(2027, 1, 1)) == "2026-W53"
    assert parse_week("2030-W09") == dt.date(2030, 2, 25)
    assert parse_week("2026-W53") == dt.date(2026, 12, 28)


@pytest.mark.parametrize(
    "text",
    ["garbage", "", "2030-W00", "2030-W54", "2025-W53", "2030W09", "2030-w09", "2030-W9\x00"],
)
def test_a_week_that_is_not_one_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_week(text)
    assert refused.value.code == "bad_week"


def test_the_figures_of_a_published_cell() -> None:
    sales = [sale(n, n, f"{10 + n}.00", tip="1.00", hours="0.5") for n in range(K)]
    week_total, trips, centre = publish(sales)
    assert (week_total.sector, week_total.area) == (ALL, ALL)
    assert (trips.sector, trips.area) == ("trip", ALL)
    assert centre == Cell(
        week="2030-W09",
        currency="ILS",
        sector="trip",
        area="Centre",
        suppressed=False,
        orders=10,
        total_paid=Decimal("155.00"),  # 10 + ... + 19, and ten tips of 1
        median_price=Decimal("14.50"),
        hours=Decimal("5.00"),
        earnings_per_hour=Decimal("25.20"),  # (0.8 * 145 + 10) / 5
    )
    assert trips == Cell(**{**centre.__dict__, "area": ALL})


def test_a_cell_behind_too_few_customers_or_workers_is_suppressed() -> None:
    few_workers = [sale(n, n % (K - 1), sector="service") for n in range(K + 5)]
    cells = publish(few_workers)
    assert [(c.sector, c.suppressed) for c in cells] == [(ALL, True), ("service", True)]
    assert cells[1] == Cell("2030-W09", "ILS", "service", ALL, True, *[None] * 5)


def test_a_lone_hidden_area_takes_the_smallest_other_area_with_it() -> None:
    sales = [sale(n, n, area="Centre") for n in range(12)]
    sales += [sale(100 + n, 100 + n, area="Hills") for n in range(10)]
    sales += [sale(200, 200, area="Coast")]
    shown = {(c.sector, c.area): c.suppressed for c in publish(sales)}
    assert shown == {
        (ALL, ALL): False,
        ("trip", ALL): False,
        ("trip", "Centre"): False,
        ("trip", "Coast"): True,  # one person
        ("trip", "Hills"): True,  # ten people, but Coast = all trips - Centre - Hills otherwise
    }


def test_a_hidden_sector_hides_another_and_then_one_of_its_areas() -> None:
    sales = [sale(n, n, sector="service") for n in range(25)]
    sales += [sale(100 + n, 100 + n, area="Centre") for n in range(10)]
    sales += [sale(200 + n, 200 + n, area="Hills") for n in range(10)]
    sales += [sale(300 + n, 300 + n, sector="work") for n in range(3)]
    shown = {(c.sector, c.area): c.suppressed for c in publish(sales)}
    assert shown == {
        (ALL, ALL): False,
        ("service", ALL): False,
        ("trip", ALL): True,  # the smallest other sector, hiding "work" from the week's total
        ("trip", "Centre"): True,  # else all trips = Centre + Hills
        ("trip", "Hills"): False,
        ("work", ALL): True,
    }


def test_currencies_are_never_added_together() -> None:
    sales = [sale(n, n) for n in range(K)] + [sale(n, n, currency="USD") for n in range(K)]
    totals = [c for c in publish(sales) if c.sector == ALL]
    assert [(c.currency, c.orders, c.total_paid) for c in totals] == [
        ("ILS", 10, Decimal("100.00")),
        ("USD", 10, Decimal("100.00")),
    ]


def test_no_hours_means_no_earnings_per_hour() -> None:
    cell = publish([sale(n, n, sector="work", hours="0") for n in range(K)])[1]
    assert (cell.hours, cell.earnings_per_hour) == (Decimal("0.00"), None)


# --- Properties ------------------------------------------------------------------------------

sales_lists = st.lists(
    st.builds(
        sale,
        customer=st.integers(0, 25),
        worker=st.integers(0, 25),
        price=st.integers(0, 10_000).map(lambda cents: str(Decimal(cents) / 100)),
        sector=st.sampled_from(SECTORS),
        area=st.sampled_from(["Centre", "Hills", "Coast"]),
        week=st.sampled_from(["2030-W09", "2030-W10"]),
        currency=st.sampled_from(["ILS", "USD"]),
        hours=st.sampled_from(["0", "0.5", "2"]),
    ),
    max_size=150,
)


@settings(max_examples=300, deadline=None)
@given(sales=sales_lists, k=st.integers(1, 12))
def test_no_published_cell_is_behind_fewer_than_k_people(sales: list[Sale], k: int) -> None:
    tallies = tally(sales)
    for cell in publish(sales, k):
        people = tallies[(cell.week, cell.currency, cell.sector, cell.area)]
        if not cell.suppressed:
            assert len(people.customers) >= k and len(people.workers) >= k
        else:
            assert cell.orders is None and cell.total_paid is None and cell.hours is None


def _additions(cells: list[Cell]) -> list[tuple[Key, list[Key]]]:
    """What adds up to what, written out from the meaning of the cells: a week's total is the
    sum of its sectors, a sector's total the sum of its areas."""
    keys = [(c.week, c.currency, c.sector, c.area) for c in cells]
    parts: dict[Key, list[Key]] = defaultdict(list)
    for week, currency, sector, area in keys:
        if sector != ALL and area == ALL:
            parts[(week, currency, ALL, ALL)].append((week, currency, sector, area))
        elif sector != ALL:
            parts[(week, currency, sector, ALL)].append((week, currency, sector, area))
    return list(parts.items())


def _rank(rows: list[list[Fraction]]) -> int:
    """The rank of a matrix of rationals, by exact Gaussian elimination."""
    matrix = [row[:] for row in rows]
    rank, width = 0, len(matrix[0]) if matrix else 0
    for column in range(width):
        pivot = next((r for r in range(rank, len(matrix)) if matrix[r][column] != 0), None)
        if pivot is None:
            continue
        matrix[rank], matrix[pivot] = matrix[pivot], matrix[rank]
        for r in range(len(matrix)):
            if r != rank and matrix[r][column] != 0:
                factor = matrix[r][column] / matrix[rank][column]
                matrix[r] = [a - factor * b for a, b in zip(matrix[r], matrix[rank], strict=True)]
        rank += 1
    return rank


def _determined(hidden: list[Key], additions: list[tuple[Key, list[Key]]]) -> list[Key]:
    """The hidden cells whose additive figures the published ones pin down: a hidden cell is
    determined exactly when its unit vector lies in the row space of the additions' equations
    over the hidden cells (the published figures only move the right-hand side)."""
    index = {key: i for i, key in enumerate(hidden)}
    rows = []
    for total, parts in additions:
        row = [Fraction(0)] * len(hidden)
        for key, sign in [(total, 1), *[(part, -1) for part in parts]]:
            if key in index:
                row[index[key]] += sign
        if any(row):
            rows.append(row)
    rank = _rank(rows)
    determined = []
    for key, i in index.items():
        unit = [Fraction(int(j == i)) for j in range(len(hidden))]
        if _rank([*rows, unit]) == rank:
            determined.append(key)
    return determined


@settings(max_examples=300, deadline=None)
@given(sales=sales_lists, k=st.integers(1, 12))
def test_no_hidden_cell_can_be_worked_out_from_the_published_ones(
    sales: list[Sale], k: int
) -> None:
    cells = publish(sales, k)
    hidden = [(c.week, c.currency, c.sector, c.area) for c in cells if c.suppressed]
    additions = _additions(cells)
    assert _determined(hidden, additions) == []
    for total, parts in additions:  # in particular, no subtraction of published figures
        assert sum(key in hidden for key in [total, *parts]) != 1


def test_the_oracle_finds_a_cell_left_alone() -> None:
    additions: list[tuple[Key, list[Key]]] = [
        (("w", "ILS", ALL, ALL), [("w", "ILS", "trip", ALL), ("w", "ILS", "work", ALL)])
    ]
    assert _determined([("w", "ILS", "work", ALL)], additions) == [("w", "ILS", "work", ALL)]
    both = [("w", "ILS", "trip", ALL), ("w", "ILS", "work", ALL)]
    assert _determined(both, additions) == []
