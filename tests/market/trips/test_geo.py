"""Distances on the map (taawun.domain.geo, pure): known distances, the estimate's constants,
the local plane, and the properties a distance must have."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taawun.domain import geo
from taawun.domain.errors import InvalidInput

latitudes = st.decimals(min_value=-89, max_value=89, places=4, allow_nan=False)
longitudes = st.decimals(min_value=-179, max_value=179, places=4, allow_nan=False)
points = st.builds(geo.point, latitudes, longitudes)


def test_a_degree_of_latitude_is_about_111_km() -> None:
    assert geo.haversine_km(geo.point(0, 0), geo.point(1, 0)) == pytest.approx(111.195, abs=0.001)
    assert geo.haversine_km(geo.point(0, 0), geo.point(0, 180)) == pytest.approx(
        math.pi * geo.EARTH_RADIUS_KM
    )


def test_the_estimate_uses_the_road_factor_and_the_town_speed() -> None:
    assert Decimal("1.3") == geo.ROAD_FACTOR
    assert Decimal(25) == geo.AVERAGE_SPEED_KMH
    # 0.045 degrees north: 5.004 km straight, 6.5 km by road, 15.6 -> 16 minutes
    estimate = geo.estimate(geo.point("31.9", "35.2"), geo.point("31.945", "35.2"))
    assert (estimate.km, estimate.minutes) == (Decimal("6.5"), Decimal("16"))
    assert geo.estimate(geo.point(1, 1), geo.point(1, 1)) == geo.Estimate(
        Decimal("0.0"), Decimal(0)
    )


def test_typed_positions_are_parsed_and_rounded() -> None:
    assert geo.parse_point(" 31.9038 , 35.2034 ") == geo.Point(
        Decimal("31.903800"), Decimal("35.203400")
    )
    assert geo.point("31.12345678", 35).latitude == Decimal("31.123457")
    for text in ("31.9", "a, b", "1, 2, 3", "31.9;35.2", "1e999, 2", "x" * 100):
        with pytest.raises(InvalidInput):
            geo.parse_point(text)


def test_the_local_plane_is_km_east_and_north() -> None:
    origin = geo.point("31.9", "35.2")
    (x, y), (east, north) = geo.local_plane(
        [geo.point("31.9", "35.2"), geo.point("31.91", "35.21")], origin
    )
    assert (x, y) == (0.0, 0.0)
    assert north == pytest.approx(1.11195, abs=1e-4)
    assert east == pytest.approx(1.11195 * math.cos(math.radians(31.9)), abs=1e-4)
    assert math.hypot(east, north) == pytest.approx(
        geo.haversine_km(origin, geo.point("31.91", "35.21")), rel=1e-3
    )


def test_the_area_is_100_km_around_the_centre() -> None:
    centre = geo.centre([geo.point("31.9", "35.2"), geo.point("31.92", "35.22")])
    assert centre == geo.point("31.91", "35.21")
    assert geo.within_area(geo.point("32.5", "35.21"), centre)  # 65 km
    assert not geo.within_area(geo.point("33.0", "35.21"), centre)  # 121 km
    assert geo.within_area(geo.point("-30", "100"), None)
    assert geo.centre([]) is None


@given(points, points)
def test_distance_is_symmetric(a: geo.Point, b: geo.Point) -> None:
    assert geo.haversine_km(a, b) == pytest.approx(geo.haversine_km(b, a), abs=1e-9)


@given(points)
def test_distance_to_itself_is_zero(a: geo.Point) -> None:
    assert geo.haversine_km(a, a) == 0.0


@given(points, points, points)
def test_the_triangle_inequality_holds_within_rounding(
    a: geo.Point, b: geo.Point, c: geo.Point
) -> None:
    assert geo.haversine_km(a, c) <= geo.haversine_km(a, b) + geo.haversine_km(b, c) + 1e-6


@given(points, points)
def test_distances_are_bounded_by_half_the_circumference(a: geo.Point, b: geo.Point) -> None:
    assert 0 <= geo.haversine_km(a, b) <= math.pi * geo.EARTH_RADIUS_KM + 1e-6
