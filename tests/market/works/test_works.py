"""The creative works through their actions: an upload is trusted only once Pillow has opened it
whole, and makes a small watermarked preview without metadata; a licence is placed, paid and
completed at once with the creator's royalty in the books; a retry returns the first licence; a
withdrawn work sells no more; only the buyer, the creator and the board get the original."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import transaction
from PIL import ExifTags, Image

from taawun.accounts.models import User
from taawun.domain.errors import DomainError, InvalidInput, NotAllowed, NotFound
from taawun.ledger.models import EntryKind, JournalEntry
from taawun.market.models import Order, OrderEvent, Sector, Status
from taawun.market.works import actions, images, selectors
from taawun.market.works.models import LicenceGrant, Work
from taawun.members.models import Membership
from taawun.transparency.models import AuditEntry
from tests.core.helpers import unchanged
from tests.ledger.helpers import balance, books_problems, lines, owed

from .conftest import MakeWork, image_bytes, stored_files, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("coop")]

D = Decimal


def buy(customer: User, work: Work, licence: str = "commercial", **kwargs: object) -> LicenceGrant:
    values: dict[str, object] = {"method": "cash"}
    values.update(kwargs)
    return actions.buy_licence(
        actor=customer,
        work_id=work.pk,
        licence_key=licence,
        **values,  # type: ignore[arg-type]
    )


def preview_of(work: Work) -> Image.Image:
    with images.private_storage().open(work.preview, "rb") as handle:
        return Image.open(io.BytesIO(handle.read()))


# --- Uploading ------------------------------------------------------------------------------


def test_an_upload_keeps_the_original_privately_and_makes_a_small_preview(
    make_work: MakeWork, creator: Membership, media: Path
) -> None:
    data = image_bytes((1600, 1000))
    work = make_work(image=upload(data), tags=" Olives ,harvest,  olives, Old  City ")
    assert (work.creator, work.kind, work.image_type, work.width, work.height, work.size) == (
        creator,
        "photo",
        "png",
        1600,
        1000,
        len(data),
    )
    assert work.active and work.withdrawn_at is None
    assert sorted(work.tag_names) == ["harvest", "old city", "olives"]
    private = media / "private" / "market_works"
    assert stored_files(media) == sorted([private / work.original, private / work.preview])
    assert (private / work.original).read_bytes() == data
    assert work.original.startswith("originals/") and work.original.endswith(".png")
    assert len(Path(work.original).stem) == 32  # random, nothing of the uploaded name
    preview = preview_of(work)
    assert (preview.format, preview.size) == ("JPEG", (800, 500))
    assert AuditEntry.objects.latest("seq").action == "works.uploaded"


def test_the_preview_carries_a_watermark_and_no_metadata(make_work: MakeWork) -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Camera"
    exif[ExifTags.Base.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (31.0, 54.0, 13.0),
    }
    out = io.BytesIO()
    Image.new("RGB", (640, 480), "white").save(out, "JPEG", exif=exif.tobytes())
    photo = out.getvalue()
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    work = make_work(image=upload(photo, "photo.jpg", "image/jpeg"))
    assert work.image_type == "jpeg"
    preview = preview_of(work)
    assert preview.size == (640, 480)  # never enlarged
    assert len(preview.getexif()) == 0
    assert "exif" not in preview.info and "icc_profile" not in preview.info
    with images.private_storage().open(work.preview, "rb") as handle:
        assert b"Exif" not in handle.read()
    # The plain white picture now holds watermark text (light letters with a dark edge).
    darkest, _lightest = preview.convert("L").getextrema()
    assert darkest < 200


def test_a_transparent_webp_is_accepted_and_flattened_on_white(make_work: MakeWork) -> None:
    work = make_work(image=upload(image_bytes((300, 200), fmt="WEBP", mode="RGBA"), "a.webp"))
    assert (work.image_type, work.width, work.height) == ("webp", 300, 200)
    assert preview_of(work).mode == "RGB"


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` by ``height`` pixels: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
        + chunk(b"IEND", b"")
    )


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("photo.jpg", b"just some text, not a picture\n" * 20, "not_an_image"),
        ("page.png", b"<!DOCTYPE html><html><script>alert(1)</script></html>", "not_an_image"),
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "not_an_image"),
        ("anim.gif", image_bytes((50, 50), fmt="GIF"), "not_an_image"),
        ("photo.jpg", truncated(image_bytes((900, 700), fmt="JPEG")), "damaged_image"),
        ("photo.png", truncated(image_bytes((900, 700))), "damaged_image"),
        ("empty.png", b"", "empty_file"),
        ("bomb.png", png_claiming(30_000, 30_000), "too_many_pixels"),
    ],
)
def test_anything_but_a_whole_png_jpeg_or_webp_is_refused_and_nothing_stored(
    make_work: MakeWork, media: Path, name: str, data: bytes, code: str
) -> None:
    with unchanged(), pytest.raises(InvalidInput) as refused:
        make_work(image=upload(data, name, "image/jpeg"))
    assert refused.value.code == code
    assert stored_files(media) == []


def test_an_image_just_over_pillows_pixel_limit_is_refused(
    make_work: MakeWork, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over the limit but under twice it, Pillow only warns; the warning refuses it too."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100_000)
    with unchanged(), pytest.raises(InvalidInput) as refused:
        make_work(image=upload(image_bytes((400, 300))))
    assert refused.value.code == "too_many_pixels"
    assert stored_files(media) == []


def test_a_file_over_the_size_limit_is_refused(
    make_work: MakeWork, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(images, "MAX_UPLOAD_BYTES", 5_000)
    big = image_bytes((1000, 1000), fmt="JPEG", quality=95)
    assert len(big) > 5_000
    with unchanged(), pytest.raises(InvalidInput) as refused:
        make_work(image=upload(big, "big.jpg"))
    assert refused.value.code == "file_too_large"
    assert refused.value.params == {"most": "0.00476837"}
    assert stored_files(media) == []


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"title": "  "}, "bad_title"),
        ({"title": "x" * 151}, "bad_title"),
        ({"kind": "video"}, "bad_kind"),
        ({"tags": ",".join(f"t{n}" for n in range(11))}, "bad_tags"),
        ({"tags": "x" * 41}, "bad_tags"),
        ({"description": "d" * 2001}, "bad_description"),
    ],
)
def test_bad_details_are_refused_before_anything_is_stored(
    make_work: MakeWork, media: Path, values: dict[str, str], code: str
) -> None:
    with unchanged(), pytest.raises(InvalidInput) as refused:
        make_work(**values)
    assert refused.value.code == code
    assert stored_files(media) == []


def test_only_working_members_upload(
    make_member: Callable[..., Membership], make_work: MakeWork, media: Path
) -> None:
    supporter = make_member("supporter")
    with unchanged(), pytest.raises(NotAllowed):
        make_work(supporter)
    assert stored_files(media) == []


def test_files_are_removed_when_the_rows_cannot_be_saved(
    make_work: MakeWork, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: object) -> None:
        raise RuntimeError("database gone")

    monkeypatch.setattr(actions, "_save_work", broken)
    with pytest.raises(RuntimeError):
        make_work()
    assert stored_files(media) == []
    assert not Work.objects.exists()


# --- Buying a licence -----------------------------------------------------------------------


def test_a_commercial_licence_pays_the_creator_half_into_the_books(
    make_work: MakeWork, creator: Membership, customer: User
) -> None:
    work = make_work()
    cash_before = balance("cash")
    grant = buy(customer, work, "commercial")
    order = grant.order
    assert (order.sector, order.status, order.customer, order.worker, order.title) == (
        Sector.WORK,
        Status.COMPLETED,
        customer,
        creator,
        "Olive harvest in Birzeit",
    )
    assert (order.price, order.worker_share, order.solidarity, order.coop_fee, order.tax) == (
        D("60.00"),
        D("30.00"),
        D("1.20"),
        D("28.80"),
        D("0.00"),
    )
    assert order.hours == 0
    assert [e.kind for e in order.events.all()] == [
        OrderEvent.Kind.PLACED,
        OrderEvent.Kind.PAID,
        OrderEvent.Kind.COMPLETED,
    ]
    assert (grant.work, grant.buyer, grant.licence_key, grant.downloads) == (
        work,
        customer,
        "commercial",
        0,
    )
    assert (grant.licence_name_en, grant.licence_name_ar) == ("Commercial use", "استخدام تجاري")
    assert len(grant.download_token) >= 40
    entry = JournalEntry.objects.get(pk=order.payment_id)
    assert entry.kind == EntryKind.SALE
    assert lines(entry) == [
        ("cash", None, D("60.00")),
        ("fees_members", None, D("-28.80")),
        ("owed_to_member", creator.number, D("-30.00")),
        ("solidarity_fund", None, D("-1.20")),
    ]
    assert balance("cash") - cash_before == D("60.00")
    assert owed(creator) == D("30.00")
    assert books_problems() == []


@pytest.mark.parametrize(
    ("licence", "price", "creator_share", "solidarity", "coop_fee"),
    [
        ("personal", "15.00", "7.50", "0.30", "7.20"),
        ("extended", "250.00", "187.50", "5.00", "57.50"),
    ],
)
def test_each_licence_is_priced_by_the_policy(
    make_work: MakeWork,
    customer: User,
    licence: str,
    price: str,
    creator_share: str,
    solidarity: str,
    coop_fee: str,
) -> None:
    order = buy(customer, make_work(), licence).order
    assert (order.price, order.worker_share, order.solidarity, order.coop_fee) == (
        D(price),
        D(creator_share),
        D(solidarity),
        D(coop_fee),
    )
    assert books_problems() == []


def test_a_bank_payment_keeps_its_reference(make_work: MakeWork, customer: User) -> None:
    order = buy(customer, make_work(), method="bank", reference="  PAL-2030-118  ").order
    paid = order.events.get(kind=OrderEvent.Kind.PAID)
    assert (paid.note, paid.data["method"]) == ("PAL-2030-118", "bank")
    assert balance("bank") == D("60.00")


def test_buying_twice_with_one_key_makes_one_order_and_one_payment(
    make_work: MakeWork, customer: User
) -> None:
    work = make_work()
    first = buy(customer, work, idempotency_key="k-1")
    entries = JournalEntry.objects.count()
    again = buy(customer, work, idempotency_key="k-1")
    assert again.pk == first.pk
    assert Order.objects.count() == 1 and LicenceGrant.objects.count() == 1
    assert JournalEntry.objects.count() == entries
    with transaction.atomic(), pytest.raises(DomainError) as refused:
        buy(customer, work, "personal", idempotency_key="k-1")
    assert refused.value.code == "idempotency_conflict"
    assert buy(customer, work, idempotency_key="k-2").pk != first.pk
    assert books_problems() == []


def test_a_retry_after_a_withdrawal_still_returns_the_licence(
    make_work: MakeWork, creator: Membership, customer: User
) -> None:
    work = make_work()
    first = buy(customer, work, idempotency_key="k-1")
    actions.withdraw_work(actor=creator.user, work_id=work.pk)
    assert buy(customer, work, idempotency_key="k-1").pk == first.pk


def test_a_withdrawn_work_cannot_be_licensed_but_its_licences_stay_valid(
    make_work: MakeWork, creator: Membership, customer: User, make_account: Callable[..., User]
) -> None:
    work = make_work()
    sold = buy(customer, work)
    withdrawn = actions.withdraw_work(actor=creator.user, work_id=work.pk)
    assert (withdrawn.active, withdrawn.withdrawn_at is not None) == (False, True)
    assert AuditEntry.objects.latest("seq").action == "works.withdrawn"
    late = make_account()
    with unchanged(), pytest.raises(DomainError) as refused:
        buy(late, work, idempotency_key="late")
    assert refused.value.code == "work_withdrawn"
    grant, original = actions.download_original(actor=customer, order_id=sold.order_id)
    original.close()
    assert grant.downloads == 1
    assert list(selectors.catalogue().object_list) == []


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"licence": "lifetime"}, "unknown_licence"),
        ({"method": "cheque"}, "bad_method"),
        ({"method": "wallet"}, "reference_required"),
        ({"method": "bank", "reference": "r" * 81}, "bad_reference"),
    ],
)
def test_bad_purchases_are_refused_and_change_nothing(
    make_work: MakeWork, customer: User, kwargs: dict[str, str], code: str
) -> None:
    work = make_work()
    with unchanged(), pytest.raises(InvalidInput) as refused:
        buy(customer, work, **kwargs)
    assert refused.value.code == code


def test_no_such_work_and_no_own_work(
    make_work: MakeWork, creator: Membership, customer: User
) -> None:
    work = make_work()
    for work_id in (0, -1, 2**63, work.pk + 1):
        with unchanged(), pytest.raises(NotFound):
            actions.buy_licence(
                actor=customer, work_id=work_id, licence_key="personal", method="cash"
            )
    with unchanged(), pytest.raises(DomainError) as refused:
        buy(creator.user, work)
    assert refused.value.code == "own_work"


# --- Withdrawing and downloading ------------------------------------------------------------


def test_only_the_creator_or_the_board_withdraws(
    make_work: MakeWork, customer: User, founder: User
) -> None:
    work = make_work()
    with unchanged(), pytest.raises(NotFound):
        actions.withdraw_work(actor=customer, work_id=work.pk)
    assert actions.withdraw_work(actor=founder, work_id=work.pk).active is False
    again = actions.withdraw_work(actor=founder, work_id=work.pk)  # already off sale: no change
    assert again.active is False


def test_the_buyer_the_creator_and_the_board_download_and_each_is_counted(
    make_work: MakeWork,
    creator: Membership,
    customer: User,
    founder: User,
    make_account: Callable[..., User],
) -> None:
    data = image_bytes((1000, 800))
    grant = buy(customer, make_work(image=upload(data)))
    for number, person in enumerate([customer, creator.user, founder], start=1):
        found, original = actions.download_original(actor=person, order_id=grant.order_id)
        with original:
            assert original.read() == data
        assert found.downloads == number
    found, original = actions.download_original(actor=None, token=grant.download_token)
    original.close()
    assert found.downloads == 4
    stranger = make_account()
    for kwargs in (
        {"actor": stranger, "order_id": grant.order_id},
        {"actor": None, "order_id": grant.order_id},
        {"actor": stranger, "token": grant.download_token[:-1]},
        {"actor": stranger, "token": ""},
        {"actor": stranger, "token": "x" * 10_000},
        {"actor": customer, "order_id": 2**63},
    ):
        with unchanged(), pytest.raises(NotFound):
            actions.download_original(**kwargs)  # type: ignore[arg-type]
    grant.refresh_from_db()
    assert grant.downloads == 4


def test_a_missing_original_is_not_found_and_not_counted(
    make_work: MakeWork, customer: User, media: Path
) -> None:
    grant = buy(customer, make_work())
    images.discard(grant.work.original)
    with pytest.raises(NotFound):
        actions.download_original(actor=customer, order_id=grant.order_id)
    grant.refresh_from_db()
    assert grant.downloads == 0


# --- Reading --------------------------------------------------------------------------------


def test_the_catalogue_filters_by_kind_tag_and_title(
    make_work: MakeWork, make_member: Callable[..., Membership]
) -> None:
    olive = make_work(title="Olive harvest", tags="olives, autumn")
    poster = make_work(make_member(), title="Jaffa oranges poster", kind="design", tags="Autumn")
    hidden = make_work(title="Olive press")
    actions.withdraw_work(actor=hidden.creator.user, work_id=hidden.pk)

    def titles(**filters: str) -> list[str]:
        return [w.title for w in selectors.catalogue(**filters).object_list]

    assert titles() == [poster.title, olive.title]
    assert titles(kind="design") == [poster.title]
    assert titles(kind="nonsense") == [poster.title, olive.title]
    assert titles(tag=" AUTUMN ") == [poster.title, olive.title]
    assert titles(tag="olives") == [olive.title]
    assert titles(search="olive") == [olive.title]
    assert titles(search="olive", kind="design") == []


def test_the_creator_desk_sums_the_royalties_of_paid_licences(
    make_work: MakeWork, creator: Membership, make_account: Callable[..., User]
) -> None:
    first, second = make_work(), make_work(title="Nablus soap")
    buy(make_account(), first, "commercial")
    buy(make_account(), first, "personal")
    buy(make_account(), second, "extended")
    desk = selectors.creator_desk(creator.user)
    assert (desk.sales, str(desk.royalties)) == (3, "225.00 ILS")
    assert {w.title: (w.sales, w.royalties) for w in desk.works} == {
        "Olive harvest in Birzeit": (2, D("37.50")),
        "Nablus soap": (1, D("187.50")),
    }
    assert selectors.creator_desk(make_account()).works == []


def test_offers_follow_the_policy_and_explain_each_standard_licence() -> None:
    offers = selectors.offers()
    assert [(o.key, o.name, str(o.price), o.royalty_percent) for o in offers] == [
        ("personal", "Personal use", "15.00 ILS", D(50)),
        ("commercial", "Commercial use", "60.00 ILS", D(50)),
        ("extended", "Extended licence", "250.00 ILS", D(75)),
    ]
    assert all(o.terms and o.terms != o.name for o in offers)
    assert selectors.licence_terms("lifetime", "Lifetime use") == "Lifetime use"
