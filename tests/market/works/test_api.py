"""The creative works over the JSON API: the public catalogue and a work with its licence prices,
a multipart upload (and its refusals), withdrawal, buying a licence with an Idempotency-Key, and
downloading the original by the licence's secret link."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from taawun.accounts.models import User
from taawun.apikeys import actions as apikeys
from taawun.ledger.models import JournalEntry
from taawun.market.models import Order
from taawun.market.works.models import LicenceGrant, Work
from taawun.members.models import Membership
from tests.core.helpers import unchanged
from tests.ledger.helpers import books_problems

from .conftest import MakeWork, image_bytes, stored_files, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("coop")]

BASE = "/api/market/works"
OFFERS = [
    {
        "key": "personal",
        "name": "Personal use",
        "price": "15.00",
        "currency": "ILS",
        "royalty_percent": "50",
    },
    {
        "key": "commercial",
        "name": "Commercial use",
        "price": "60.00",
        "currency": "ILS",
        "royalty_percent": "50",
    },
    {
        "key": "extended",
        "name": "Extended licence",
        "price": "250.00",
        "currency": "ILS",
        "royalty_percent": "75",
    },
]


def session(user: User | None = None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def token_client(user: User) -> tuple[Client, dict[str, str]]:
    _token, raw = apikeys.create_token(actor=user, name="tests")
    return Client(HTTP_ACCEPT_LANGUAGE="en"), {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def buy(client: Client, work_id: int, key: str | None, **body: Any) -> Any:
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    payload = {"licence": "commercial", "method": "cash", **body}
    return client.post(
        f"{BASE}/{work_id}/licences", payload, content_type="application/json", **headers
    )


def without_terms(offers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in offer.items() if k != "terms"} for offer in offers]


def test_the_catalogue_is_public_with_previews_and_prices(make_work: MakeWork) -> None:
    olive = make_work(title="Olive harvest", tags="olives")
    make_work(title="Old city poster", kind="design", tags="posters")
    response = session().get(f"{BASE}/")
    assert response.status_code == 200
    works = response.json()
    assert [w["title"] for w in works] == ["Old city poster", "Olive harvest"]
    first = works[1]
    assert first["id"] == olive.pk
    assert first["preview_url"] == f"http://testserver/market/works/{olive.pk}/preview.jpg"
    assert (first["kind"], first["tags"], first["creator"], first["active"]) == (
        "photo",
        ["olives"],
        "Rana Odeh",
        True,
    )
    assert without_terms(first["licences"]) == OFFERS
    assert "500,000 copies" in first["licences"][1]["terms"]
    assert [w["title"] for w in session().get(f"{BASE}/?kind=design").json()] == ["Old city poster"]
    assert [w["title"] for w in session().get(f"{BASE}/?tag=OLIVES").json()] == ["Olive harvest"]
    assert [w["title"] for w in session().get(f"{BASE}/?q=poster").json()] == ["Old city poster"]
    assert session().get(f"{BASE}/?page=5").json() == []
    assert session().get(f"{BASE}/?kind=video").status_code == 422
    assert session().get(f"{BASE}/?page=0").status_code == 422
    one = session().get(f"{BASE}/{olive.pk}")
    assert one.status_code == 200 and one.json()["title"] == "Olive harvest"
    for missing in (0, 2**63, olive.pk + 100):
        assert session().get(f"{BASE}/{missing}").json()["error"] == "not_found"


def test_a_working_member_uploads_by_multipart(creator: Membership, media: Path) -> None:
    client, auth = token_client(creator.user)
    data = image_bytes((1024, 768), fmt="WEBP")
    response = client.post(
        f"{BASE}/",
        {
            "title": "Sabastiya ruins",
            "kind": "photo",
            "tags": "ruins, history",
            "image": upload(data, "ruins.webp", "image/webp"),
        },
        **auth,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    work = Work.objects.get()
    assert (body["id"], body["image_type"], body["width"], body["height"]) == (
        work.pk,
        "webp",
        1024,
        768,
    )
    assert sorted(body["tags"]) == ["history", "ruins"]
    assert len(stored_files(media)) == 2


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("photo.jpg", b"plain text pretending to be a photo", "not_an_image"),
        ("page.html", b"<html><script>alert(1)</script></html>", "not_an_image"),
        ("photo.png", image_bytes((600, 400))[:300], "damaged_image"),
        ("empty.png", b"", "empty_file"),
    ],
)
def test_bad_uploads_are_refused_with_a_code_and_nothing_stored(
    creator: Membership, media: Path, name: str, data: bytes, code: str
) -> None:
    client = session(creator.user)
    with unchanged():
        response = client.post(
            f"{BASE}/",
            {"title": "Bad", "kind": "photo", "image": upload(data, name, "image/jpeg")},
        )
    assert response.status_code == 400
    assert response.json()["error"] == code
    assert stored_files(media) == []


def test_upload_refusals_for_missing_fields_and_outsiders(
    creator: Membership, customer: User, media: Path
) -> None:
    client, auth = token_client(creator.user)
    missing = client.post(f"{BASE}/", {"title": "No file", "kind": "photo"}, **auth)
    assert missing.status_code == 400
    assert missing.json() == {"error": "empty_file", "message": "Choose an image file to upload."}
    no_title = client.post(f"{BASE}/", {"kind": "photo", "image": upload(image_bytes())}, **auth)
    assert (no_title.status_code, no_title.json()["error"]) == (422, "invalid_input")
    outsider, outsider_auth = token_client(customer)
    refused = outsider.post(
        f"{BASE}/",
        {"title": "Mine", "kind": "photo", "image": upload(image_bytes())},
        **outsider_auth,
    )
    assert (refused.status_code, refused.json()["error"]) == (403, "not_a_creator")
    anonymous = session().post(f"{BASE}/", {"title": "x", "kind": "photo"})
    assert anonymous.status_code == 401
    assert stored_files(media) == []


def test_buying_with_one_key_twice_makes_one_order_and_one_payment(
    make_work: MakeWork, customer: User
) -> None:
    work = make_work()
    client = session(customer)
    first = buy(client, work.pk, "api-key-1", method="bank", reference="TX-9")
    assert first.status_code == 201, first.content
    body = first.json()
    grant = LicenceGrant.objects.get()
    assert body["download_url"] == (
        f"http://testserver{BASE}/licences/{grant.download_token}/download"
    )
    assert (body["licence"], body["licence_name"], body["work"]) == (
        "commercial",
        "Commercial use",
        work.pk,
    )
    receipt = body["order"]["receipt"]
    assert (receipt["price"], receipt["worker_share"], receipt["solidarity"]) == (
        "60.00",
        "30.00",
        "1.20",
    )
    assert (receipt["coop_fee"], body["order"]["status"], body["order"]["sector"]) == (
        "28.80",
        "completed",
        "work",
    )
    entries = JournalEntry.objects.count()
    again = buy(client, work.pk, "api-key-1", method="bank", reference="TX-9")
    assert again.status_code == 201
    assert again.json() == body
    assert again["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1 and LicenceGrant.objects.count() == 1
    assert JournalEntry.objects.count() == entries
    other = buy(client, work.pk, "api-key-1", licence="personal")
    assert (other.status_code, other.json()["error"]) == (409, "idempotency_conflict")
    assert books_problems() == []


def test_buying_refusals(make_work: MakeWork, creator: Membership, customer: User) -> None:
    work = make_work()
    client = session(customer)
    with unchanged():
        assert buy(client, work.pk, None).json()["error"] == "idempotency_key_required"
        unknown = buy(client, work.pk, "a", licence="lifetime")
        assert (unknown.status_code, unknown.json()["error"]) == (400, "unknown_licence")
        no_ref = buy(client, work.pk, "b", method="wallet")
        assert (no_ref.status_code, no_ref.json()["error"]) == (400, "reference_required")
        bad = buy(client, work.pk, "c", method="cheque")
        assert (bad.status_code, bad.json()["error"]) == (422, "invalid_input")
        assert buy(client, 2**63, "d").status_code == 404
        assert buy(session(), work.pk, "e").status_code == 401
    withdrawn = session(creator.user).post(f"{BASE}/{work.pk}/withdraw")
    assert (withdrawn.status_code, withdrawn.json()["active"]) == (200, False)
    with unchanged():
        late = buy(client, work.pk, "f")
    assert (late.status_code, late.json()["error"]) == (409, "work_withdrawn")
    assert session().get(f"{BASE}/{work.pk}").status_code == 404


def test_the_download_link_gives_the_original_and_counts(
    make_work: MakeWork, customer: User, make_account: Callable[..., User]
) -> None:
    data = image_bytes((640, 480), fmt="JPEG")
    work = make_work(image=upload(data, "x.jpg", "image/jpeg"))
    client, auth = token_client(customer)
    link = buy(session(customer), work.pk, "k").json()["download_url"]
    response = client.get(link, **auth)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert b"".join(response.streaming_content) == data
    assert LicenceGrant.objects.get().downloads == 1
    link_only = session().get(link)  # the link itself is the credential, e.g. for a script
    assert link_only.status_code == 200
    assert b"".join(link_only.streaming_content) == data
    stranger, stranger_auth = token_client(make_account())
    wrong = stranger.get(f"{BASE}/licences/not-the-token/download", **stranger_auth)
    assert (wrong.status_code, wrong.json()["error"]) == (404, "not_found")
    long = stranger.get(f"{BASE}/licences/{'x' * 500}/download", **stranger_auth)
    assert long.status_code == 404
    assert LicenceGrant.objects.get().downloads == 2


def test_only_the_creator_or_board_withdraws(
    make_work: MakeWork, customer: User, founder: User
) -> None:
    work = make_work()
    client = session(customer)
    with unchanged():
        refused = client.post(f"{BASE}/{work.pk}/withdraw")
    assert (refused.status_code, refused.json()["error"]) == (404, "not_found")
    board, board_auth = token_client(founder)
    assert board.post(f"{BASE}/{work.pk}/withdraw", **board_auth).json()["active"] is False
