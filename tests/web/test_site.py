"""The site shell: security headers, languages and direction, error pages, account pages."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from taawun.web.middleware import POLICY

from .helpers import html_attrs, text


@pytest.mark.parametrize("path", ["/", "/rules/", "/accounts/login/", "/no-such-page/"])
def test_pages_carry_the_content_security_policy(client, coop, path):
    response = client.get(path)
    assert response["Content-Security-Policy"] == POLICY
    assert "script-src 'self'" in POLICY and "unsafe-inline" not in POLICY


def test_arabic_is_the_default_and_right_to_left(client, coop):
    attrs = html_attrs(client.get("/"))
    assert (attrs["lang"], attrs["dir"]) == ("ar", "rtl")


def test_language_switch_changes_language_and_direction(client, coop):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/rules/"})
    assert response.status_code == 302
    assert response["Location"] == "/rules/"
    page = client.get("/rules/")
    assert (html_attrs(page)["lang"], html_attrs(page)["dir"]) == ("en", "ltr")
    assert "Our rules" in text(page)

    client.post("/i18n/setlang/", {"language": "ar", "next": "/rules/"})
    page = client.get("/rules/")
    assert (html_attrs(page)["lang"], html_attrs(page)["dir"]) == ("ar", "rtl")
    # the switch offers the other language, labelled in that language
    assert 'value="en" lang="en">English</button>' in page.content.decode()


def test_language_switch_refuses_an_offsite_next(client, coop):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_unknown_address_gets_the_site_404_page(client, coop):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "Page not found" in text(response)
    assert 'class="site-header"' in response.content.decode()
    assert html_attrs(response)["dir"] == "ltr"


def test_500_page_renders_without_a_request_or_database(db, django_assert_num_queries):
    with translation.override("ar"), django_assert_num_queries(0):
        content = render_to_string("500.html")
    assert 'dir="rtl"' in content
    assert 'href="/static/taawun/site.css"' in content


@pytest.mark.parametrize(
    "path",
    ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"],
)
def test_account_pages_wear_the_site_layout(client, coop, path):
    response = client.get(path)
    assert response.status_code == 200
    content = response.content.decode()
    assert 'class="site-header"' in content
    assert 'href="/static/taawun/site.css"' in content
    assert "<script>" not in content  # no inline scripts: the CSP would block them


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/email/",
        "/accounts/2fa/",
        "/accounts/2fa/totp/activate/",
        "/accounts/2fa/webauthn/add/",
        "/accounts/password/change/",
    ],
)
def test_signed_in_account_pages_wear_the_site_layout(client, founder, path):
    client.force_login(founder)
    response = client.get(path, follow=True)
    assert response.status_code == 200
    content = response.content.decode()
    assert 'class="site-header"' in content
    assert "<script>" not in content
