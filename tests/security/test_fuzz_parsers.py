"""Every parser that reads outside input, fed what hypothesis makes of it: the federation inbox
(signed and unsigned, any JSON, any headers), the HTTP signature headers, the WebFinger and
actor documents we fetch, the works upload, the query strings of list pages, and the policy
changes of a governance proposal. None may answer with a 5xx or raise anything but its own
refusal, and a refused input stores nothing."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image

from taawun.accounts.models import User
from taawun.coop.models import Coop
from taawun.domain.errors import InvalidInput
from taawun.federation import discovery
from taawun.federation.models import Outbound, Peer, Received
from taawun.federation.protocol import MAX_ACTIVITY_BYTES
from taawun.federation.signatures import (
    SignatureRefused,
    generate_actor_key,
    public_key_pem,
    sign_cavage,
    sign_rfc9421,
    verify_request,
)
from taawun.market.works.images import check_image, read_upload
from taawun.transparency.models import AuditEntry

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SITE = "http://testserver"
THEM = "https://sister.example/ap/actor"
KEY = generate_actor_key()

json_leaf = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=20,
)
TYPES = ["Follow", "Accept", "Reject", "Undo", "Create", "Update", "Delete", "Offer", "Announce"]


@pytest.fixture(autouse=True)
def site(settings: Any) -> None:
    settings.SITE_URL = SITE


@pytest.fixture
def sister(coop: Coop) -> Peer:
    return Peer.objects.create(
        actor_id=THEM,
        handle="sister@sister.example",
        name="Sister Co-op",
        inbox="https://sister.example/ap/inbox",
        key_id=f"{THEM}#main-key",
        public_key_pem=public_key_pem(KEY.public_key()),
        profile={"sectors": ["trip"]},
        taawun=True,
        fetched_at=timezone.now(),
    )


def rolled_back() -> Any:
    """Each example in a savepoint undone afterwards: the next meets the same database."""

    class Block:
        def __enter__(self) -> None:
            self.atomic = transaction.atomic()
            self.atomic.__enter__()

        def __exit__(self, *exc: Any) -> None:
            transaction.set_rollback(True)
            self.atomic.__exit__(*exc)

    return Block()


def stored() -> tuple[int, int, int | None]:
    last = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
    return Received.objects.count(), Outbound.objects.count(), last


def post_inbox(body: bytes, headers: dict[str, str]) -> Any:
    sent = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    sent.pop("HTTP_CONTENT_TYPE", None)
    return Client().post("/ap/inbox", body, content_type="application/activity+json", **sent)


activities = st.fixed_dictionaries(
    {"type": st.sampled_from(TYPES) | st.text(max_size=12), "actor": st.just(THEM)},
    optional={
        "id": st.text(max_size=40) | st.just("https://sister.example/ap/activities/1"),
        "object": json_values,
        "to": json_values,
        "taawun:amount": json_values,
    },
)


@FUZZ
@given(activity=activities, scheme=st.sampled_from([sign_cavage, sign_rfc9421]))
def test_signed_activities_of_any_shape_get_a_4xx_or_202(
    sister: Peer, activity: dict[str, Any], scheme: Any
) -> None:
    with rolled_back():
        before = stored()
        body = json.dumps(activity).encode()
        headers = scheme(
            method="POST",
            url=f"{SITE}/ap/inbox",
            body=body,
            key_id=f"{THEM}#main-key",
            private_key=KEY,
            now=timezone.now(),
            headers={"Content-Type": "application/activity+json"},
        )
        response = post_inbox(body, headers)
        assert response.status_code in {202, 400, 401, 403, 404, 409, 413, 422}, response.content
        if response.status_code != 202:
            assert stored() == before
            assert set(json.loads(response.content)) == {"error", "message"}


@pytest.mark.parametrize(
    "body",
    [
        b'{"type": "Follow", "actor": "%s", "object": %s}' % (THEM.encode(), nested_value)
        for nested_value in (b"[" * 100 + b"]" * 100, b"[" * 100_000 + b"]" * 100_000)
    ]
    + [
        b'{"type": "Follow", "actor": "%s", "object": NaN}' % THEM.encode(),
        b'{"type": "Follow", "actor": "%s", "id": "x\\u0000"}' % THEM.encode(),
    ],
    ids=["deep", "deeper", "nan", "nul"],
)
def test_signed_bodies_that_cannot_be_kept_are_refused(sister: Peer, body: bytes) -> None:
    """JSON nested past any real activity, NaN (not JSON), and NUL (which PostgreSQL's JSON
    cannot hold): 400, nothing stored."""
    before = stored()
    headers = sign_cavage(
        method="POST",
        url=f"{SITE}/ap/inbox",
        body=body,
        key_id=f"{THEM}#main-key",
        private_key=KEY,
        now=timezone.now(),
        headers={"Content-Type": "application/activity+json"},
    )
    response = post_inbox(body, headers)
    assert response.status_code == 400
    assert json.loads(response.content)["error"] == "bad_json"
    assert stored() == before


def nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


@FUZZ
@given(
    body=st.binary(max_size=300)
    | st.builds(lambda v: json.dumps(v).encode(), json_values)
    | st.builds(nested, st.integers(1, 100_000)),
    headers=st.dictionaries(
        st.sampled_from(["Signature", "Signature-Input", "Digest", "Content-Digest", "Date"]),
        st.text(max_size=80).map(lambda t: t.encode("latin-1", "replace").decode("latin-1")),
        max_size=4,
    ),
)
def test_unsigned_or_badly_signed_bodies_are_refused_and_stored_nowhere(
    sister: Peer, body: bytes, headers: dict[str, str]
) -> None:
    with rolled_back():
        before = stored()
        response = post_inbox(body, headers)
        assert response.status_code in {400, 401, 413}
        assert stored() == before


@pytest.mark.parametrize("length", ["\u0663", "+2", " 2", "2_0", "-1", "x"])
def test_a_content_length_of_anything_but_ascii_digits_is_refused(coop: Coop, length: str) -> None:
    """Python's int() reads all of these; HTTP allows none of them."""
    response = Client().post(
        "/ap/inbox", b"{}", content_type="application/activity+json", CONTENT_LENGTH=length
    )
    assert response.status_code == 400
    assert response.json()["error"] == "bad_length"


@FUZZ
@given(length=st.text(max_size=12))
@example(length="3")
def test_any_content_length_header_is_answered_without_a_5xx(coop: Coop, length: str) -> None:
    """The body sent is as long as a readable claim, as a real client's is: a server waits
    for bytes a client promised, while Django's test client refuses to pretend they came."""
    claimed = int(length) if length.isascii() and length.isdigit() else 0
    body = b"{}".ljust(claimed if claimed <= MAX_ACTIVITY_BYTES else 2)
    response = Client().post(
        "/ap/inbox", body, content_type="application/activity+json", CONTENT_LENGTH=length
    )
    assert response.status_code < 500


header_text = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=120
) | st.sampled_from(
    [
        'keyId="k",algorithm="rsa-sha256",headers="(request-target) host date",signature="AA=="',
        'sig1=("@method" "@target-uri");created=1;keyid="k"',
        "sig1=:AAAA:",
        'keyId="k",headers="(request-target) host date digest",signature="',
        "SHA-256=abc",
        "sha-256=:AAAA:",
    ]
)


@FUZZ
@given(
    headers=st.dictionaries(
        st.sampled_from(
            [
                "Signature",
                "Signature-Input",
                "Authorization",
                "Digest",
                "Content-Digest",
                "Date",
                "Host",
            ]
        ),
        header_text,
        max_size=6,
    ),
    body=st.binary(max_size=40),
)
def test_signature_headers_of_any_form_raise_only_a_refusal(
    headers: dict[str, str], body: bytes
) -> None:
    def no_key(key_id: str) -> None:
        return None

    try:
        verify_request(
            method="POST",
            url=f"{SITE}/ap/inbox",
            headers=headers,
            body=body,
            public_key_for=no_key,
            now=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
        )
    except SignatureRefused:
        pass
    else:
        raise AssertionError("a request nobody could have signed was accepted")


webfinger_documents = json_values | st.fixed_dictionaries(
    {
        "links": st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "rel": st.sampled_from(["self", "other"]) | json_values,
                    "type": st.sampled_from(["application/activity+json"]) | json_values,
                    "href": st.sampled_from([THEM]) | json_values,
                },
            )
            | json_values,
            max_size=3,
        )
    }
)


@FUZZ
@given(document=webfinger_documents)
def test_webfinger_answers_of_any_shape_give_an_address_or_a_refusal(document: Any) -> None:
    with mock.patch.object(discovery, "fetch_json", return_value=document):
        try:
            found = discovery.webfinger("sister", "sister.example")
        except InvalidInput as refusal:
            assert refusal.code == "peer_unreachable"
        else:
            assert found == THEM


actor_documents = st.fixed_dictionaries(
    {"id": st.just(THEM) | st.text(max_size=20)},
    optional={
        "type": st.just("Organization") | json_values,
        "inbox": st.just("https://sister.example/ap/inbox") | json_values,
        "outbox": json_values,
        "publicKey": json_values
        | st.fixed_dictionaries(
            {
                "id": st.just(f"{THEM}#main-key") | json_values,
                "publicKeyPem": st.just(public_key_pem(KEY.public_key())) | json_values,
            }
        ),
        "preferredUsername": json_values,
        "name": json_values,
        "nameMap": json_values,
        "summary": json_values,
        "taawun:profile": json_values,
    },
)


VALID_ACTOR = {
    "id": THEM,
    "type": "Organization",
    "inbox": "https://sister.example/ap/inbox",
    "publicKey": {"id": f"{THEM}#main-key", "publicKeyPem": public_key_pem(KEY.public_key())},
    "preferredUsername": "sister",
    "name": "Sister Co-op",
}


@FUZZ
@given(document=actor_documents)
@example(document={**VALID_ACTOR, "taawun:profile": {"area": "Bethlehem\x00"}})
@example(document={**VALID_ACTOR, "taawun:profile": {"size": float("nan")}})
@example(document={**VALID_ACTOR, "name": "Sister\x00"})
def test_actor_documents_of_any_shape_are_remembered_or_refused(
    coop: Coop, document: dict[str, Any]
) -> None:
    with rolled_back():
        peers = Peer.objects.count()
        try:
            with transaction.atomic():
                peer = discovery.remember(document)
        except InvalidInput:
            assert Peer.objects.count() == peers
        else:
            assert peer.actor_id == THEM
        with (
            mock.patch.object(discovery, "fetch_json", return_value=document),
            contextlib.suppress(InvalidInput),
        ):
            assert discovery.look_up(THEM)["id"] == THEM


def picture(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "navy").save(out, fmt)
    return out.getvalue()


PICTURES = [picture("PNG"), picture("JPEG"), picture("WEBP"), picture("GIF"), picture("BMP")]


@FUZZ
@given(
    data=st.binary(min_size=1, max_size=2000)
    | st.builds(lambda p, cut: p[:cut], st.sampled_from(PICTURES), st.integers(1, 2000))
    | st.builds(
        lambda p, at, junk: p[:at] + junk + p[at + len(junk) :],
        st.sampled_from(PICTURES),
        st.integers(0, 400),
        st.binary(min_size=1, max_size=16),
    )
)
def test_uploaded_images_are_checked_by_their_content(data: bytes) -> None:
    """Random bytes, truncated and corrupted pictures, GIF and BMP (not accepted) by any name."""
    upload = SimpleUploadedFile("work.png", data, content_type="image/png")
    try:
        checked = check_image(read_upload(upload), watermark="Taawun")
    except InvalidInput as refusal:
        assert refusal.code in {"not_an_image", "damaged_image", "too_many_pixels"}
    else:
        assert checked.image_type in {"png", "jpeg", "webp"}
        assert Image.open(io.BytesIO(checked.preview)).format == "JPEG"


@pytest.fixture
def worker_client(make_member: Any) -> Iterator[Client]:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_member("worker", paid=4).user)
    yield client


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    data=st.binary(max_size=500),
    # any name a browser can send; Django's test client itself refuses "", "." and ".."
    name=st.text(min_size=1, max_size=20).filter(
        lambda n: os.path.basename(n) not in {"", ".", ".."}
    ),
)
def test_the_upload_page_refuses_what_is_not_an_image(
    worker_client: Client, data: bytes, name: str
) -> None:
    with rolled_back():
        works = stored()
        response = worker_client.post(
            "/market/works/upload/",
            {
                "title": "Olive harvest",
                "description": "",
                "kind": "photo",
                "tags": "",
                "image": SimpleUploadedFile(name, data, content_type="image/png"),
            },
        )
        assert response.status_code == 400
        assert stored() == works


LIST_PAGES = [
    ("/members/", ["page", "q", "city", "member_class", "skill"]),
    ("/books/", ["period"]),
    ("/books/journal/", ["page"]),
    ("/market/works/", ["kind", "tag", "q", "page"]),
    ("/market/shop/", ["q", "page"]),
    ("/market/services/", ["date"]),
    ("/market/fairness/", ["period"]),
    ("/governance/", ["status", "kind", "page"]),
    ("/governance/receipt/", ["r"]),
    ("/audit/", ["page"]),
    ("/open-data/", ["week"]),
    ("/open-data/open-data.csv", ["week"]),
    ("/members/registers/members/", ["number"]),
    ("/federation/offers/", ["sector", "area", "page"]),
    ("/federation/credit/", ["page"]),
    ("/governance/assemblies/call/", ["request"]),
    ("/.well-known/webfinger", ["resource"]),
    ("/api/governance/proposals", ["status"]),
    ("/api/log/entries", ["start", "end"]),
    ("/api/log/proof/inclusion", ["seq", "size"]),
    ("/api/log/proof/consistency", ["first", "second"]),
    ("/api/open-data/", ["week"]),
]
query_values = st.text(max_size=20) | st.sampled_from(
    ["-1", "0", "99999999999999999999", "1e309", "2026-13-45", "NaN", "1.5", "", "%", "\x00"]
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(page=st.sampled_from(LIST_PAGES), data=st.data())
def test_list_pages_take_any_query_string(
    founder: User, page: tuple[str, list[str]], data: st.DataObject
) -> None:
    path, names = page
    params = data.draw(st.dictionaries(st.sampled_from(names), query_values, max_size=3))
    client = Client()
    client.force_login(founder)
    response = client.get(path, params)
    assert response.status_code < 500, (path, params)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    kind=st.sampled_from(["policy_change", "rate", "bylaw_change"]),
    changes=st.dictionaries(
        st.sampled_from(["fees.coop_fee_percent", "surplus.reserve_percent", "x", "fees"])
        | st.text(max_size=30),
        json_values,
        max_size=4,
    ),
    rate_rule=st.text(max_size=30),
)
def test_proposed_policy_changes_of_any_shape_are_checked(
    founder: User, kind: str, changes: dict[str, Any], rate_rule: str
) -> None:
    client = Client()
    client.force_login(founder)
    with rolled_back():
        before = stored()
        response = client.post(
            "/api/governance/proposals",
            {"kind": kind, "title": "Change", "changes": changes, "rate_rule": rate_rule},
            content_type="application/json",
        )
        assert response.status_code in {201, 400, 409, 422}, response.content
        if response.status_code != 201:
            assert stored() == before
            assert set(json.loads(response.content)) == {"error", "message"}
