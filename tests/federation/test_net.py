"""Remote fetches never reach our own network: private, loopback, link-local and odd schemes
are refused before any connection; loopback only where a test allows it."""

from __future__ import annotations

from typing import Any

import pytest

from taawun.federation import net


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/ap/actor", "private or local"),
        ("http://localhost:8000/", "private or local"),
        ("http://[::1]/", "private or local"),
        ("http://[::ffff:127.0.0.1]/", "private or local"),
        ("http://10.0.0.8/", "private or local"),
        ("http://192.168.1.1/", "private or local"),
        ("http://172.16.5.4/", "private or local"),
        ("http://169.254.169.254/latest/meta-data/", "private or local"),
        ("http://100.64.0.1/", "private or local"),
        ("http://0.0.0.0/", "private or local"),
        ("http://224.0.0.1/", "private or local"),
        ("file:///etc/passwd", "only http and https"),
        ("gopher://example.org/", "only http and https"),
        ("http://user:secret@93.184.216.34/", "credentials"),
        ("http://93.184.216.34:99999/", "port"),
        ("http:///no-host", "only http and https"),
    ],
)
def test_private_and_odd_addresses_are_refused(url: str, reason: str) -> None:
    with pytest.raises(net.FetchRefused, match=reason):
        net.checked_address(url)


def test_a_public_address_passes_the_check_without_a_connection() -> None:
    assert net.checked_address("https://93.184.216.34/ap/actor") == (
        "https",
        "93.184.216.34",
        443,
        "93.184.216.34",
    )


def test_loopback_only_where_a_test_allows_it(settings: Any) -> None:
    settings.FEDERATION_ALLOW_LOOPBACK = True

    assert net.checked_address("http://127.0.0.1:8001/")[3] == "127.0.0.1"
    with pytest.raises(net.FetchRefused, match="private or local"):
        net.checked_address("http://10.1.2.3/")


def test_a_refused_address_is_never_connected_to(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_connection(*args: object, **kwargs: object) -> None:
        raise AssertionError("connected")

    monkeypatch.setattr(net.socket, "create_connection", no_connection)
    with pytest.raises(net.FetchRefused):
        net.request("GET", "http://169.254.169.254/", headers={})
