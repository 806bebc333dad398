"""Distances on the map (pure): points, great-circle distance, trip estimates, a local plane.

A trip's estimate is what the customer is quoted before anyone drives:

    km      = haversine_km(pickup, drop-off) * ROAD_FACTOR, rounded half-up to 0.1 km
    minutes = km / AVERAGE_SPEED_KMH * 60, rounded half-up to a whole minute

``ROAD_FACTOR`` (1.3) is the usual ratio of road distance to straight-line distance in a town of
winding streets; ``AVERAGE_SPEED_KMH`` (25) is a town speed with traffic lights and stops. Both
are estimates for an upfront price, never the measure of the work: the worker records the actual
distance and time when the trip is done.

The dispatcher works in km on a flat plane: :func:`local_plane` projects points equirectangularly
around a centre (x east, y north). Over a town (a few tens of km) the error is far below a
rounding of the pickup distances.

Positions are ``Decimal`` degrees (they are stored and compared exactly); the trigonometry is in
floats, which is fine for distances: no money is ever computed from a float here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .errors import InvalidInput, gettext_noop

EARTH_RADIUS_KM = 6371.0088
"""The mean Earth radius (IUGG): the sphere haversine distances are measured on."""

ROAD_FACTOR = Decimal("1.3")
"""Road km per straight-line km, for the upfront estimate."""

AVERAGE_SPEED_KMH = Decimal(25)
"""Town speed for the upfront estimate of the minutes."""

AREA_RADIUS_KM = 100.0
"""How far from the centre of the co-op's places a typed position may be."""

COORDINATE_PLACES = 6
"""Decimal places kept of a latitude or longitude (about 0.1 m)."""

KM_STEP = Decimal("0.1")
MINUTE_STEP = Decimal(1)


@dataclass(frozen=True, slots=True)
class Point:
    """A position in decimal degrees; built through :func:`point`, which checks it."""

    latitude: Decimal
    longitude: Decimal

    def __str__(self) -> str:
        return f"{self.latitude}, {self.longitude}"


@dataclass(frozen=True, slots=True)
class Estimate:
    """The road distance and the time a trip is quoted at."""

    km: Decimal
    minutes: Decimal


_BAD = gettext_noop("Give a position as latitude, longitude in degrees, e.g. 31.9038, 35.2034.")
_RANGE = gettext_noop(
    "A latitude is from -90 to 90 and a longitude from -180 to 180, not %(value)s."
)


def _degrees(value: object) -> Decimal:
    if isinstance(value, bool):
        raise InvalidInput("bad_position", _BAD)
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput("bad_position", _BAD) from None
    if not number.is_finite():
        raise InvalidInput("bad_position", _BAD)
    return number


def point(latitude: object, longitude: object) -> Point:
    """A checked position: finite, latitude within ±90, longitude within ±180; kept to
    ``COORDINATE_PLACES`` decimals."""
    lat, lon = _degrees(latitude), _degrees(longitude)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidInput("position_out_of_range", _RANGE, value=f"{lat}, {lon}"[:60])
    step = Decimal(1).scaleb(-COORDINATE_PLACES)
    return Point(
        lat.quantize(step, rounding=ROUND_HALF_UP), lon.quantize(step, rounding=ROUND_HALF_UP)
    )


def parse_point(text: str) -> Point:
    """A position typed as ``"latitude, longitude"``."""
    parts = str(text).split(",")
    if len(parts) != 2 or len(text) > 60:
        raise InvalidInput("bad_position", _BAD)
    return point(parts[0], parts[1])


def haversine_km(a: Point, b: Point) -> float:
    """The great-circle distance between two points, in km."""
    lat1, lat2 = math.radians(float(a.latitude)), math.radians(float(b.latitude))
    dlat = lat2 - lat1
    dlon = math.radians(float(b.longitude) - float(a.longitude))
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def estimate(pickup: Point, dropoff: Point) -> Estimate:
    """The road km and minutes a trip is quoted at (see the module docstring)."""
    straight = Decimal(repr(round(haversine_km(pickup, dropoff), 6)))
    km = (straight * ROAD_FACTOR).quantize(KM_STEP, rounding=ROUND_HALF_UP)
    minutes = (km / AVERAGE_SPEED_KMH * 60).quantize(MINUTE_STEP, rounding=ROUND_HALF_UP)
    return Estimate(km=km, minutes=minutes)


def centre(points: Sequence[Point]) -> Point | None:
    """The mean position of points in one town (None for none); not meant across the
    antimeridian."""
    if not points:
        return None
    count = len(points)
    return point(
        sum((p.latitude for p in points), Decimal(0)) / count,
        sum((p.longitude for p in points), Decimal(0)) / count,
    )


def within_area(position: Point, area_centre: Point | None) -> bool:
    """True when ``position`` is within ``AREA_RADIUS_KM`` of the area's centre (or no area is
    set yet)."""
    return area_centre is None or haversine_km(position, area_centre) <= AREA_RADIUS_KM


def local_plane(points: Sequence[Point], origin: Point) -> list[tuple[float, float]]:
    """Each point as (x, y) km east and north of ``origin`` (equirectangular projection)."""
    scale = math.radians(1) * EARTH_RADIUS_KM
    shrink = math.cos(math.radians(float(origin.latitude)))
    return [
        (
            float(p.longitude - origin.longitude) * scale * shrink,
            float(p.latitude - origin.latitude) * scale,
        )
        for p in points
    ]
