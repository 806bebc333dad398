"""When the database cannot be reached, pages and the API answer a clean 503 with Retry-After
(in the shape each expects), and serve again by themselves once it is back; when the shared
cache cannot be reached, the site works without it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.test import Client
from redis.exceptions import ConnectionError as RedisConnectionError

from taawun.accounts.models import User
from taawun.coop.models import Coop
from taawun.web.cache import ForgivingRedisCache
from tests.conftest import PASSWORD

NOWHERE = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@contextmanager
def database_down() -> Iterator[None]:
    """Until the block ends, the default connection must be opened anew, and its settings name
    a database that is not there. The open connection is set aside, not closed (closing would
    destroy SQLite's in-memory test database), and comes back afterwards."""
    saved_settings = dict(connection.settings_dict)
    saved_connection = connection.connection
    connection.connection = None
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent/directory/taawun.sqlite3"
    else:
        connection.settings_dict.update(HOST="127.0.0.1", PORT="1")
    try:
        yield
    finally:
        connection.settings_dict.clear()
        connection.settings_dict.update(saved_settings)
        connection.connection = saved_connection


@pytest.mark.django_db(transaction=True)
def test_pages_and_api_answer_503_while_the_database_is_down(coop: Coop, founder: User) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(founder)
    with database_down():
        page = client.get("/books/", HTTP_ACCEPT_LANGUAGE="en")
        api = client.get("/api/policy", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 503
    assert page["Retry-After"] == "10"
    assert b"Back in a moment" in page.content
    assert api.status_code == 503
    assert api["Retry-After"] == "10"
    assert api.json() == {
        "error": "unavailable",
        "message": "The service is unavailable for a moment; try again shortly.",
    }


@pytest.mark.django_db(transaction=True)
def test_the_site_serves_again_once_the_database_is_back(coop: Coop, founder: User) -> None:
    client = Client(raise_request_exception=False)
    with database_down():
        assert client.get("/").status_code == 503
    signed_in = client.post("/accounts/login/", {"login": founder.email, "password": PASSWORD})
    assert signed_in.status_code == 302
    assert client.get("/books/").status_code == 200


def test_a_cache_that_cannot_be_reached_reads_as_empty_and_drops_writes() -> None:
    cache = ForgivingRedisCache(NOWHERE, {"OPTIONS": {"socket_connect_timeout": 0.5}})
    assert cache.get("k", "default") == "default"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.add("k", 1) is True  # allauth's limiter loops until add succeeds
    cache.set("k", 1)
    assert cache.incr("k") == 1
    assert cache.has_key("k") is False
    assert cache.delete("k") is False
    cache.clear()
    with pytest.raises(RedisConnectionError):  # the stock backend, for contrast: every call fails
        RedisCache(NOWHERE, {"OPTIONS": {"socket_connect_timeout": 0.5}}).get("k")


def test_signing_in_works_with_the_cache_down(coop: Coop, founder: User, settings: Any) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "taawun.web.cache.ForgivingRedisCache",
            "LOCATION": NOWHERE,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    client = Client()
    signed_in = client.post("/accounts/login/", {"login": founder.email, "password": PASSWORD})
    assert signed_in.status_code == 302
    assert client.get("/books/").status_code == 200  # the session is read from the database
