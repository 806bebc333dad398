"""JSON endpoints of the creative works: the public catalogue and a work with its licence prices,
a working member's upload (multipart) and withdrawal, buying a licence (idempotent: it moves
money) and downloading the original by the licence's secret link."""

from __future__ import annotations

from typing import Literal

from django.http import FileResponse, HttpRequest
from django.urls import reverse
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status
from pydantic import Field

from taawun.apikeys.auth import ANYONE, PUBLIC, PUBLIC_SECURITY
from taawun.apikeys.idempotency import HEADER, idempotent
from taawun.apikeys.schemas import ERRORS, Input, MoneyText, PaymentMethodName, SafeText, money_text
from taawun.market.api import OrderOut, actor, order_out

from . import actions, selectors
from .models import MEDIA_TYPES, LicenceGrant, Work
from .views import original_response

router = Router(tags=["works"])
DOWNLOAD_URL_NAME = "works_download"
KindName = Literal["photo", "illustration", "design"]
ORIGINAL_FILE = {
    "description": "The original image, as an attachment.",
    "content": {
        media_type: {"schema": {"type": "string", "format": "binary"}}
        for media_type in MEDIA_TYPES.values()
    },
}


class LicenceOfferOut(Schema):
    key: str
    name: str
    price: MoneyText
    currency: str
    royalty_percent: str = Field(description="The creator's share of the price before tax.")
    terms: str = Field(description="What the licence allows.")


class WorkOut(Schema):
    id: int
    title: str
    description: str
    kind: str
    tags: list[str]
    creator: str
    creator_number: int
    active: bool
    image_type: str
    width: int
    height: int
    preview_url: str = Field(description="The watermarked preview, at most 800 pixels a side.")
    licences: list[LicenceOfferOut]


class CatalogueFilter(Schema):
    kind: KindName | None = None
    tag: str = Field(default="", max_length=actions.MAX_TAG)
    q: str = Field(default="", max_length=selectors.MAX_SEARCH, description="Part of the title")
    page: int = Field(default=1, ge=1, le=100_000)


class WorkIn(Input):
    title: SafeText = Field(min_length=1, max_length=actions.MAX_TITLE)
    description: SafeText = Field(default="", max_length=actions.MAX_DESCRIPTION)
    kind: KindName
    tags: SafeText = Field(default="", max_length=500, description="Separated by commas")


class LicenceIn(Input):
    licence: str = Field(pattern=r"^[a-z][a-z0-9_]{1,30}$", examples=["commercial"])
    method: PaymentMethodName
    reference: SafeText = Field(
        default="", max_length=actions.MAX_REFERENCE, description="Needed for bank or wallet"
    )


class LicenceOut(Schema):
    work: int
    licence: str
    licence_name: str
    terms: str
    downloads: int
    download_url: str = Field(
        description="The original, for whoever holds this link: keep it private."
    )
    order: OrderOut


def _licence_offers_out() -> list[LicenceOfferOut]:
    return [
        LicenceOfferOut(
            key=offer.key,
            name=offer.name,
            price=money_text(offer.price.amount, offer.price.currency),
            currency=offer.price.currency,
            royalty_percent=f"{offer.royalty_percent.normalize():f}",
            terms=offer.terms,
        )
        for offer in selectors.offers()
    ]


def work_out(
    request: HttpRequest, work: Work, offers: list[LicenceOfferOut] | None = None
) -> WorkOut:
    return WorkOut(
        id=work.pk,
        title=work.title,
        description=work.description,
        kind=work.kind,
        tags=work.tag_names,
        creator=work.creator.user.get_full_name(),
        creator_number=work.creator.number,
        active=work.active,
        image_type=work.image_type,
        width=work.width,
        height=work.height,
        preview_url=request.build_absolute_uri(reverse("market:works:preview", args=[work.pk])),
        licences=offers if offers is not None else _licence_offers_out(),
    )


def licence_out(request: HttpRequest, grant: LicenceGrant) -> LicenceOut:
    path = reverse(f"api-1.0.0:{DOWNLOAD_URL_NAME}", kwargs={"token": grant.download_token})
    return LicenceOut(
        work=grant.work_id,
        licence=grant.licence_key,
        licence_name=grant.licence_name,
        terms=selectors.licence_terms(grant.licence_key, grant.licence_name),
        downloads=grant.downloads,
        download_url=request.build_absolute_uri(path),
        order=order_out(grant.order),
    )


@router.get("/", response={200: list[WorkOut], **ERRORS}, summary="Works on sale", **PUBLIC)
def list_works(request: HttpRequest, filters: Query[CatalogueFilter]) -> list[WorkOut]:
    page = selectors.catalogue(
        kind=filters.kind or "", tag=filters.tag, search=filters.q, page=filters.page
    )
    if filters.page > page.paginator.num_pages:
        return []
    offers = _licence_offers_out()
    return [work_out(request, work, offers) for work in page.object_list]


@router.get("/{work_id}", response={200: WorkOut, **ERRORS}, summary="One work", **PUBLIC)
def get_work(request: HttpRequest, work_id: int) -> WorkOut:
    return work_out(request, selectors.work_or_404(request.auth, work_id))  # type: ignore[attr-defined]


@router.post(
    "/",
    response={201: WorkOut, **ERRORS},
    summary="Upload a work (a working member; multipart: the fields and the image file)",
)
def upload_work(
    request: HttpRequest,
    payload: Form[WorkIn],
    image: File[UploadedFile | None] = None,  # a missing or empty file is refused as such
) -> Status[WorkOut]:
    work = actions.upload_work(
        actor=actor(request),
        title=payload.title,
        description=payload.description,
        kind=payload.kind,
        tags=payload.tags,
        image=image,
    )
    return Status(201, work_out(request, selectors.work_or_404(actor(request), work.pk)))


@router.post(
    "/{work_id}/withdraw",
    response={200: WorkOut, **ERRORS},
    summary="Take a work off sale (its creator or the board); licences sold stay valid",
)
def withdraw_work(request: HttpRequest, work_id: int) -> WorkOut:
    work = actions.withdraw_work(actor=actor(request), work_id=work_id)
    return work_out(request, selectors.work_or_404(actor(request), work.pk))


@router.post(
    "/{work_id}/licences",
    response={201: LicenceOut, **ERRORS},
    summary="Buy a licence: paid at once, with a link to the original (idempotent)",
)
@idempotent
def buy_licence(request: HttpRequest, work_id: int, payload: LicenceIn) -> Status[LicenceOut]:
    grant = actions.buy_licence(
        actor=actor(request),
        work_id=work_id,
        licence_key=payload.licence,
        method=payload.method,
        reference=payload.reference,
        idempotency_key=request.headers.get(HEADER, ""),
    )
    return Status(201, licence_out(request, grant))


@router.get(
    "/licences/{token}/download",
    response={200: None, **ERRORS},
    summary="Download a licensed original by its secret link",
    url_name=DOWNLOAD_URL_NAME,
    auth=ANYONE,
    openapi_extra={**PUBLIC_SECURITY, "responses": {"200": ORIGINAL_FILE}},
)
def download_licensed_work(request: HttpRequest, token: str) -> FileResponse:
    grant, original = actions.download_original(actor=None, token=token)
    return original_response(grant, original)
