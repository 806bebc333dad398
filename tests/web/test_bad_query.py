"""A NUL character in a query string is refused as bad input, on pages and in the API, never a
500 (PostgreSQL cannot compare text with it)."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("coop")]


def test_the_api_refuses_a_nul_in_the_query() -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get("/api/market/works/?tag=a%00b")
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_input",
        "message": "The address contains a character that is not allowed.",
    }


def test_a_page_refuses_a_nul_in_the_query() -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get("/market/shop/?q=%00")
    assert response.status_code == 400
    assert "The address contains a character that is not allowed." in response.content.decode()


def test_ordinary_queries_pass() -> None:
    assert Client().get("/market/works/?tag=sunset").status_code == 200
