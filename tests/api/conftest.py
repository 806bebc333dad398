"""Helpers for the JSON API tests: clients signed in as someone, tokens, JSON requests."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from taawun.accounts.models import User
from taawun.apikeys import actions as apikeys


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    """Argon2 costs ~0.3 s per account; these tests do not exercise password hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    """Rate-limit histories live in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


class Api:
    """A test client speaking JSON, as one caller (session, token or anonymous)."""

    def __init__(self, client: Client, **headers: str) -> None:
        self.client = client
        self.headers = headers

    def _call(self, method: str, path: str, data: Any = None, **extra: str) -> Any:
        kwargs: dict[str, Any] = {**self.headers, **extra}
        if data is not None:
            kwargs["data"] = data if isinstance(data, str | bytes) else json.dumps(data)
            kwargs["content_type"] = "application/json"
        return getattr(self.client, method)(path, **kwargs)

    def get(self, path: str, **extra: str) -> Any:
        return self._call("get", path, **extra)

    def post(self, path: str, data: Any = None, **extra: str) -> Any:
        return self._call("post", path, data if data is not None else {}, **extra)

    def put(self, path: str, data: Any = None, **extra: str) -> Any:
        return self._call("put", path, data if data is not None else {}, **extra)

    def patch(self, path: str, data: Any = None, **extra: str) -> Any:
        return self._call("patch", path, data if data is not None else {}, **extra)

    def delete(self, path: str, **extra: str) -> Any:
        return self._call("delete", path, **extra)


@pytest.fixture
def as_user() -> Callable[[User | None], Api]:
    """``as_user(user)``: a JSON client signed in by session; ``as_user(None)``: anonymous."""

    def make(user: User | None) -> Api:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        if user is not None:
            client.force_login(user)
        return Api(client)

    return make


@pytest.fixture
def as_token() -> Callable[[User], Api]:
    """``as_token(user)``: a JSON client sending a fresh personal token, no session."""

    def make(user: User) -> Api:
        _token, raw = apikeys.create_token(actor=user, name="tests")
        return Api(Client(HTTP_ACCEPT_LANGUAGE="en"), HTTP_AUTHORIZATION=f"Bearer {raw}")

    return make


@pytest.fixture
def board(founder: User, as_user: Callable[[User | None], Api]) -> Api:
    return as_user(founder)


@pytest.fixture
def anonymous(coop: Any, as_user: Callable[[User | None], Api]) -> Api:
    return as_user(None)


def iso(value: Any) -> Any:
    """A date or datetime as the API writes it (DjangoJSONEncoder: ISO 8601, ms, ``Z``)."""
    from django.core.serializers.json import DjangoJSONEncoder

    return None if value is None else DjangoJSONEncoder().default(value)
