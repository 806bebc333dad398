"""HTTP to other servers, refusing to be turned against our own network (SSRF).

A remote actor chooses the URLs we fetch (its key, its inbox, its outbox), so every URL is
checked before we connect: http(s) only, and every address its host resolves to must be a
public one. We then connect to the address we checked, not to a fresh lookup, so a DNS answer
that changes between check and connect (rebinding) cannot slip through. Loopback is allowed
only where ``FEDERATION_ALLOW_LOOPBACK`` says so: tests of several instances on one machine.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import socket
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

TIMEOUT_SECONDS = 10
MAX_BODY = 1_000_000
ACTIVITY_JSON = "application/activity+json"
ACCEPT_ACTIVITY = (
    f'{ACTIVITY_JSON}, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
)


class FetchRefused(Exception):
    """A URL we will not reach, or an answer we cannot use; ``str()`` says which."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes
    content_type: str

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            raise FetchRefused("the answer is not JSON") from None


def _allowed(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return bool(settings.FEDERATION_ALLOW_LOOPBACK)
    return ip.is_global and not ip.is_multicast


def checked_address(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, address) for ``url``, or FetchRefused when it may not be reached."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchRefused("only http and https addresses can be fetched")
    if parts.username or parts.password:
        raise FetchRefused("addresses with credentials are refused")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise FetchRefused("the port is not valid") from None
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise FetchRefused(f"{parts.hostname} cannot be resolved") from None
    addresses = [str(info[4][0]) for info in found]
    if not addresses or not all(_allowed(address) for address in addresses):
        raise FetchRefused(f"{parts.hostname} resolves to a private or local address")
    return parts.scheme, parts.hostname, port, addresses[0]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str) -> None:
        super().__init__(host, port, timeout=TIMEOUT_SECONDS)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str) -> None:
        super().__init__(host, port, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def request(method: str, url: str, *, headers: dict[str, str], body: bytes = b"") -> Answer:
    """One request to ``url`` (no redirects followed: a moved actor must say so itself)."""
    scheme, host, port, address = checked_address(url)
    connection_class = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
    connection = connection_class(host, port, address)
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    try:
        connection.request(method, target, body=body or None, headers=headers)
        response = connection.getresponse()
        data = response.read(MAX_BODY + 1)
    except (OSError, http.client.HTTPException) as error:
        raise FetchRefused(f"{host} could not be reached: {error.__class__.__name__}") from None
    finally:
        connection.close()
    if len(data) > MAX_BODY:
        raise FetchRefused("the answer is too large")
    return Answer(response.status, data, response.getheader("Content-Type", ""))
