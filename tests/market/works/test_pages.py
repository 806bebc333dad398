"""The creative works in the browser: the catalogue and a work's page, the upload form with its
refusals, buying a licence with a form sent twice, the order page's licence panel, and the two
files this app serves (the preview to all, the original only to the licence's parties)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image

from taawun.accounts.models import User
from taawun.ledger.models import JournalEntry
from taawun.market.models import Order
from taawun.market.works import actions
from taawun.market.works.models import LicenceGrant, Work
from taawun.members.models import Membership
from tests.core.helpers import unchanged
from tests.ledger.helpers import books_problems

from .conftest import MakeWork, image_bytes, stored_files, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("coop")]


def client_for(user: User | None = None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def url(name: str, *args: Any) -> str:
    return reverse(f"market:works:{name}", args=args)


def text(response: Any) -> str:
    return response.content.decode()


def test_the_catalogue_shows_previews_titles_and_creators_and_filters(
    make_work: MakeWork, make_member: Callable[..., Membership]
) -> None:
    olive = make_work(title="Olive harvest", tags="olives")
    poster = make_work(
        make_member(name="Khalil Hamdan"), title="Jaffa poster", kind="design", tags="posters"
    )
    page = client_for().get(url("catalogue"))
    assert page.status_code == 200
    body = text(page)
    assert f'src="{url("preview", olive.pk)}"' in body
    assert "Olive harvest" in body and "Jaffa poster" in body
    assert "Rana Odeh" in body and "Khalil Hamdan" in body
    designs = text(client_for().get(url("catalogue"), {"kind": "design"}))
    assert "Jaffa poster" in designs and "Olive harvest" not in designs
    tagged = text(client_for().get(url("catalogue"), {"tag": "Olives"}))
    assert "Olive harvest" in tagged and "Jaffa poster" not in tagged
    searched = text(client_for().get(url("catalogue"), {"q": "jaffa"}))
    assert "Jaffa poster" in searched and "Olive harvest" not in searched
    odd = client_for().get(url("catalogue"), {"page": "99999999999999999999", "kind": "\x00"})
    assert odd.status_code == 200
    assert poster.pk


def test_a_work_page_shows_the_licences_from_the_policy(make_work: MakeWork) -> None:
    work = make_work()
    page = client_for().get(url("work", work.pk))
    assert page.status_code == 200
    body = text(page)
    for name, price in [
        ("Personal use", "15.00 ILS"),
        ("Commercial use", "60.00 ILS"),
        ("Extended licence", "250.00 ILS"),
    ]:
        assert name in body and price in body
    assert "500,000 copies" in body  # what the commercial licence allows
    assert "Sign in to buy a licence" in body
    assert client_for().get(url("work", 2**63)).status_code == 404
    assert client_for().get(url("work", work.pk + 1)).status_code == 404


def test_the_preview_is_served_by_the_app_and_hidden_once_withdrawn(
    make_work: MakeWork, creator: Membership, customer: User
) -> None:
    work = make_work()
    response = client_for().get(url("preview", work.pk))
    assert (response.status_code, response["Content-Type"]) == (200, "image/jpeg")
    picture = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert (picture.format, max(picture.size)) == ("JPEG", 800)
    actions.withdraw_work(actor=creator.user, work_id=work.pk)
    assert client_for().get(url("preview", work.pk)).status_code == 404
    assert client_for(customer).get(url("preview", work.pk)).status_code == 404
    assert client_for(creator.user).get(url("preview", work.pk)).status_code == 200
    assert client_for().get(url("work", work.pk)).status_code == 404
    assert client_for(creator.user).get(url("work", work.pk)).status_code == 200


def test_a_working_member_uploads_through_the_form(creator: Membership, media: Path) -> None:
    client = client_for(creator.user)
    assert client.get(url("upload")).status_code == 200
    data = image_bytes((900, 600), fmt="JPEG")
    response = client.post(
        url("upload"),
        {
            "title": "Ramallah at dusk",
            "description": "From the roof of the old municipality.",
            "kind": "photo",
            "tags": "ramallah, dusk",
            "image": upload(data, "dusk.jpg", "image/jpeg"),
        },
    )
    work = Work.objects.get()
    assert response.status_code == 302 and response["Location"] == url("work", work.pk)
    assert (work.title, work.image_type, sorted(work.tag_names)) == (
        "Ramallah at dusk",
        "jpeg",
        ["dusk", "ramallah"],
    )
    assert len(stored_files(media)) == 2


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("photo.jpg", b"not an image at all", "This file is not a PNG, JPEG or WebP image."),
        ("index.html", b"<html><body>hi</body></html>", "This file is not a PNG, JPEG or WebP"),
        ("empty.png", b"", "The submitted file is empty."),
    ],
)
def test_the_upload_form_refuses_bad_files_with_a_clear_error(
    creator: Membership, media: Path, name: str, data: bytes, message: str
) -> None:
    client = client_for(creator.user)
    with unchanged():
        response = client.post(
            url("upload"),
            {"title": "Bad", "kind": "photo", "image": upload(data, name, "image/jpeg")},
        )
    assert response.status_code == 400
    assert message in text(response)
    assert stored_files(media) == []


def test_those_who_do_not_work_cannot_upload(customer: User, media: Path) -> None:
    client = client_for(customer)
    assert "Only working members can offer their works here." in text(client.get(url("upload")))
    with unchanged():
        response = client.post(
            url("upload"), {"title": "Mine", "kind": "photo", "image": upload(image_bytes())}
        )
    assert response.status_code == 403
    assert stored_files(media) == []
    assert client_for().get(url("upload")).status_code == 302  # to sign in


def test_buying_twice_with_one_form_makes_one_order_and_one_payment(
    make_work: MakeWork, creator: Membership, customer: User
) -> None:
    work = make_work()
    client = client_for(customer)
    form = {"key": "form-key-1", "licence": "commercial", "method": "wallet", "reference": "J-77"}
    first = client.post(url("buy", work.pk), form)
    order = Order.objects.get()
    assert first.status_code == 302 and first["Location"] == reverse(
        "market:order", args=[order.pk]
    )
    entries = JournalEntry.objects.count()
    second = client.post(url("buy", work.pk), form)
    assert second.status_code == 302 and second["Location"] == first["Location"]
    assert Order.objects.count() == 1 and LicenceGrant.objects.count() == 1
    assert JournalEntry.objects.count() == entries
    assert books_problems() == []

    page = client.get(first["Location"])
    body = text(page)
    assert page.status_code == 200
    assert "Commercial use" in body and "500,000 copies" in body
    assert url("download", order.pk) in body
    assert "30.00 ILS" in body and "28.80 ILS" in body and "1.20 ILS" in body
    creator_view = text(client_for(creator.user).get(first["Location"]))
    assert url("download", order.pk) in creator_view


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"licence": "lifetime", "method": "cash"}, "Select a valid choice."),
        (
            {"licence": "personal", "method": "bank"},
            "A bank or wallet payment needs its reference.",
        ),
        ({"licence": "personal", "method": "cash", "key": ""}, "This field is required."),
    ],
)
def test_a_bad_purchase_shows_the_form_again(
    make_work: MakeWork, customer: User, form: dict[str, str], message: str
) -> None:
    work = make_work()
    client = client_for(customer)
    with unchanged():
        response = client.post(url("buy", work.pk), {"key": "k", **form})
    assert response.status_code == 400
    assert message in text(response)


def test_a_withdrawn_work_is_not_sold_through_the_form(
    make_work: MakeWork, creator: Membership, customer: User
) -> None:
    work = make_work()
    client_for(creator.user).post(url("withdraw", work.pk))
    assert Work.objects.get().active is False
    client = client_for(customer)
    with unchanged():
        response = client.post(
            url("buy", work.pk), {"key": "k", "licence": "personal", "method": "cash"}
        )
    assert response.status_code == 404


def test_only_the_licence_parties_download_the_original(
    make_work: MakeWork,
    creator: Membership,
    customer: User,
    founder: User,
    make_account: Callable[..., User],
) -> None:
    data = image_bytes((700, 500))
    work = make_work(image=upload(data))
    grant = actions.buy_licence(
        actor=customer, work_id=work.pk, licence_key="personal", method="cash"
    )
    link = url("download", grant.order_id)
    for person in (customer, creator.user, founder):
        response = client_for(person).get(link)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"] == (
            f'attachment; filename="olive-harvest-in-birzeit-{work.pk}-personal.png"'
        )
        assert b"".join(response.streaming_content) == data
    assert client_for(make_account()).get(link).status_code == 404
    assert client_for().get(link).status_code == 302  # to sign in
    assert client_for(customer).get(url("download", 2**63)).status_code == 404
    grant.refresh_from_db()
    assert grant.downloads == 3


def test_the_creator_sees_works_sales_and_royalties(
    make_work: MakeWork, creator: Membership, customer: User, make_account: Callable[..., User]
) -> None:
    work = make_work()
    actions.buy_licence(actor=customer, work_id=work.pk, licence_key="extended", method="cash")
    body = text(client_for(creator.user).get(url("mine")))
    assert "Olive harvest in Birzeit" in body
    assert "187.50 ILS" in body
    response = client_for(creator.user).post(url("withdraw", work.pk))
    assert response.status_code == 302
    assert "withdrawn" in text(client_for(creator.user).get(url("mine")))
    stranger = client_for(make_account())
    with unchanged():
        assert stranger.post(url("withdraw", work.pk)).status_code == 404


def test_the_pages_render_in_arabic(make_work: MakeWork, customer: User) -> None:
    work = make_work(title="غروب فوق رام الله")
    grant = actions.buy_licence(
        actor=customer, work_id=work.pk, licence_key="commercial", method="cash"
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="ar")
    client.force_login(customer)
    assert "استخدام تجاري" in text(client.get(url("work", work.pk)))
    order_page = text(client.get(reverse("market:order", args=[grant.order_id])))
    assert "استخدام تجاري" in order_page and 'dir="rtl"' in order_page
    assert "غروب فوق رام الله" in text(client.get(url("catalogue")))
