"""Request bodies: one cap for every address, applied before the body is read, with the error
in the caller's language; the federation inbox keeps its own smaller cap. (What an uploaded
image must be, by its content, is tested with the creative works in tests/market/works.)"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.test.client import FakePayload
from django.utils import translation
from django.utils.translation import gettext

from taawun.federation.protocol import MAX_ACTIVITY_BYTES
from taawun.market.works import images
from taawun.transparency.models import AuditEntry

pytestmark = pytest.mark.django_db


class Unreadable(io.RawIOBase):
    """A body that fails the test if anyone reads it."""

    def read(self, *args: Any) -> bytes:
        raise AssertionError("the body was read")

    readline = read


def declared(path: str, length: str, **extra: Any) -> Any:
    """POST to ``path`` claiming ``length`` bytes, with a body that must never be read."""
    client = Client(**extra)
    return client.generic(
        "POST",
        path,
        content_type="application/json",
        CONTENT_LENGTH=length,
        **{"wsgi.input": Unreadable()},
    )


def last_seq() -> int | None:
    return AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()


def test_the_global_cap_is_25_mb_and_above_every_own_cap() -> None:
    assert settings.MAX_UPLOAD_BYTES == 25 * 1024 * 1024
    assert images.MAX_UPLOAD_BYTES < settings.MAX_UPLOAD_BYTES
    assert MAX_ACTIVITY_BYTES < settings.MAX_UPLOAD_BYTES
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2 * 1024 * 1024
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE == 2 * 1024 * 1024


@pytest.mark.parametrize("path", ["/api/governance/proposals", "/ap/inbox"])
def test_an_api_request_over_the_cap_is_413_unread(coop: object, path: str) -> None:
    seq = last_seq()
    response = declared(path, str(settings.MAX_UPLOAD_BYTES + 1), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 413
    assert json.loads(response.content) == {
        "error": "too_large",
        "message": "The request is larger than 25 MB.",
    }
    assert last_seq() == seq


def test_a_page_over_the_cap_gets_the_refusal_page_in_arabic(coop: object) -> None:
    response = declared("/market/works/upload/", str(30 * 1024 * 1024), HTTP_ACCEPT_LANGUAGE="ar")
    assert response.status_code == 413
    page = response.content.decode()
    assert 'lang="ar"' in page and 'dir="rtl"' in page
    with translation.override("ar"):  # the Arabic of /tmp/ar_security.json once merged
        message = gettext("The request is larger than %(most)s MB.") % {"most": "25"}
    assert message in page


@pytest.mark.parametrize("length", ["lots", "-1", "1e9", "0x10"])
def test_a_content_length_that_is_not_a_number_is_400_unread(coop: object, length: str) -> None:
    response = declared("/api/governance/proposals", length, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert json.loads(response.content) == {
        "error": "bad_length",
        "message": "The request is malformed.",
    }


def test_the_cap_is_a_setting(coop: object, settings: Any) -> None:
    settings.MAX_UPLOAD_BYTES = 1000
    assert declared("/ap/inbox", "1001").status_code == 413
    body = b"{}"
    ok = Client().generic(
        "POST", "/api/coop", content_type="application/json", **{"wsgi.input": FakePayload(body)}
    )
    assert ok.status_code == 405  # read as usual: GET only, not refused for its size


def test_the_inbox_keeps_its_own_smaller_cap(coop: object) -> None:
    response = declared("/ap/inbox", str(MAX_ACTIVITY_BYTES + 1), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 413
    assert json.loads(response.content)["error"] == "too_large"
    assert json.loads(response.content)["message"] == "The activity is too large."
