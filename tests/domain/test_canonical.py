"""Canonical JSON: one byte string per value, so audit digests are reproducible."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from enum import Enum
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taawun.domain.canonical import canonical_bytes, plain


class Colour(Enum):
    RED = "red"
    ONE = 1


def test_exact_bytes_sorted_keys_no_whitespace_utf8() -> None:
    value = {"b": 1, "a": [True, None, "عربي"], "c": {"z": "x", "y": False}}
    assert canonical_bytes(value) == (
        '{"a":[true,null,"عربي"],"b":1,"c":{"y":false,"z":"x"}}'.encode()
    )


def test_same_bytes_regardless_of_dict_insertion_order() -> None:
    one = {"x": 1, "y": {"p": 1, "q": 2}, "z": [1, 2]}
    two = {"z": [1, 2], "y": {"q": 2, "p": 1}, "x": 1}
    assert canonical_bytes(one) == canonical_bytes(two)


def test_list_order_is_significant() -> None:
    assert canonical_bytes([1, 2]) != canonical_bytes([2, 1])


def test_decimals_are_fixed_point_strings() -> None:
    assert canonical_bytes(Decimal("12.50")) == b'"12.50"'
    assert canonical_bytes(Decimal("1E+3")) == b'"1000"'
    assert canonical_bytes(Decimal("-0.001")) == b'"-0.001"'
    assert canonical_bytes({"a": Decimal("0.1")}) == b'{"a":"0.1"}'


def test_aware_datetimes_become_utc_with_microseconds() -> None:
    hebron = dt.datetime(2030, 3, 1, 12, 0, 5, tzinfo=ZoneInfo("Asia/Hebron"))
    assert canonical_bytes(hebron) == b'"2030-03-01T10:00:05.000000Z"'
    utc = dt.datetime(2030, 3, 1, 10, 0, 5, tzinfo=dt.UTC)
    assert canonical_bytes(hebron) == canonical_bytes(utc)
    offset = dt.datetime(2030, 3, 1, 10, 0, 5, 123, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert canonical_bytes(offset) == b'"2030-03-01T15:00:05.000123Z"'


def test_dates_uuids_enums_and_tuples() -> None:
    assert canonical_bytes(dt.date(2030, 1, 2)) == b'"2030-01-02"'
    uid = UUID("12345678-1234-5678-1234-567812345678")
    assert canonical_bytes(uid) == b'"12345678-1234-5678-1234-567812345678"'
    assert canonical_bytes([Colour.RED, Colour.ONE]) == b'["red",1]'
    assert canonical_bytes((1, "a")) == canonical_bytes([1, "a"])


def test_plain_is_what_gets_hashed() -> None:
    value = {"when": dt.date(2030, 1, 2), "amount": Decimal("5.00"), "n": 3}
    assert plain(value) == {"when": "2030-01-02", "amount": "5.00", "n": 3}
    assert canonical_bytes(plain(value)) == canonical_bytes(value)


@pytest.mark.parametrize("value", [1.5, {"a": 0.0}, [1, 2.5], float("nan")])
def test_floats_are_refused(value: object) -> None:
    with pytest.raises(TypeError, match="floats"):
        canonical_bytes(value)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(TypeError, match="naive"):
        canonical_bytes({"at": dt.datetime(2030, 1, 1, 12, 0)})


@pytest.mark.parametrize("value", [object(), {1, 2}, b"bytes", dt.time(12, 0)])
def test_other_types_are_refused(value: object) -> None:
    with pytest.raises(TypeError, match="has no canonical form"):
        canonical_bytes(value)


# JSON-like values (the stored form) plus the richer types actions hand in.
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.text()
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.dates()
    | st.datetimes(timezones=st.just(dt.UTC) | st.timezones())
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5)
    ),
    max_leaves=25,
)


@given(values)
def test_canonical_form_is_a_fixed_point_of_json_round_trip(value: object) -> None:
    data = canonical_bytes(value)
    assert canonical_bytes(json.loads(data)) == data
    assert json.loads(data) == plain(value)


@given(st.dictionaries(st.text(), st.integers() | st.text(), max_size=8), st.randoms())
def test_dict_order_never_changes_the_bytes(value: dict[str, object], rnd) -> None:  # type: ignore[no-untyped-def]
    items = list(value.items())
    rnd.shuffle(items)
    assert canonical_bytes(dict(items)) == canonical_bytes(value)


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), "\ud800"])
def test_values_without_a_canonical_form_are_refused(value) -> None:
    with pytest.raises((TypeError, UnicodeEncodeError)):
        canonical_bytes({"v": value})
