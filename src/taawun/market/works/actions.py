"""Every write of the creative works: a working member uploads a work or withdraws it from sale,
a customer buys a licence to it, and each download of the original is counted.

A purchase is one transaction: the work's row is locked (so a withdrawal and a purchase cannot
cross), the order is placed at the Policy's licence price with the creator as the worker, paid
into the books at once and completed, and the licence is granted. A retry with the same key
returns the first licence; any refusal leaves nothing behind.
"""

from __future__ import annotations

import re
import secrets
from typing import IO, Any, TypeGuard

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from taawun.accounts.models import Role, User
from taawun.accounts.selectors import has_role
from taawun.coop.selectors import current_policy, get_coop
from taawun.domain.errors import DomainError, InvalidInput, NotAllowed, NotFound, gettext_noop
from taawun.domain.pricing import quote_licence
from taawun.domain.text import checked_text
from taawun.market import actions as market
from taawun.market.actions import MAX_ID
from taawun.market.models import OrderEvent, Sector, Status
from taawun.members.models import Membership, PaymentMethod
from taawun.members.selectors import membership_of
from taawun.transparency.audit import record

from . import images
from .models import Kind, LicenceGrant, Tag, Work

MAX_TITLE = 150
MAX_DESCRIPTION = 2000
MAX_TAGS = 10
MAX_TAG = 40
MAX_REFERENCE = 80
TOKEN_BYTES = 32
MAX_TOKEN = 64


def creator_of(actor: User) -> Membership:
    """The actor's membership, if it is of a class that works: only they sell works here."""
    member = membership_of(actor)
    if member is None or not current_policy().policy.member_class(member.member_class).works:
        raise NotAllowed(
            "not_a_creator", gettext_noop("Only working members can offer their works here.")
        )
    return member


def clean_tags(text: str) -> list[str]:
    """Comma-separated words, each trimmed, in lower case with single spaces, without repeats."""
    tags: list[str] = []
    for part in text.split(","):
        tag = re.sub(r"\s+", " ", part).strip().lower()
        if tag and tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS or any(len(tag) > MAX_TAG for tag in tags):
        raise InvalidInput(
            "bad_tags",
            gettext_noop("Give at most %(most)s tags of at most %(length)s characters each."),
            most=MAX_TAGS,
            length=MAX_TAG,
        )
    return tags


def _audit(actor: User, action: str, work: Work, **after: Any) -> None:
    record(
        actor_id=actor.pk,
        action=f"works.{action}",
        subject_type="work",
        subject_id=work.pk,
        policy_version=current_policy().number,
        after={"creator": work.creator.number, "active": work.active, **after},
    )


def upload_work(
    *,
    actor: User,
    title: str,
    description: str,
    kind: str,
    tags: str,
    image: IO[bytes] | None,
) -> Work:
    """A working member offers a new work. The image is checked before anything is written, and
    its files are removed again if the rows cannot be saved."""
    creator = creator_of(actor)
    title = checked_text(
        title,
        MAX_TITLE,
        required=True,
        code="bad_title",
        message=gettext_noop("Give the work a title of at most %(limit)s characters."),
    )
    description = checked_text(
        description,
        MAX_DESCRIPTION,
        required=False,
        code="bad_description",
        message=gettext_noop("The description is at most %(limit)s characters."),
    )
    if kind not in Kind.values:
        raise InvalidInput(
            "bad_kind", gettext_noop("Choose whether it is a photo, an illustration or a design.")
        )
    tag_names = clean_tags(tags if isinstance(tags, str) else "")
    coop = get_coop()
    checked = images.check_image(
        images.read_upload(image), watermark=coop.name_en if coop else "Taawun"
    )
    extension = images.EXTENSIONS[checked.image_type]
    original = images.store("originals", extension, checked.data)
    try:
        preview = images.store("previews", "jpg", checked.preview)
    except BaseException:
        images.discard(original)
        raise
    try:
        return _save_work(
            actor=actor,
            creator=creator,
            title=title,
            description=description,
            kind=kind,
            tag_names=tag_names,
            checked=checked,
            original=original,
            preview=preview,
        )
    except BaseException:
        images.discard(original, preview)
        raise


@transaction.atomic
def _save_work(
    *,
    actor: User,
    creator: Membership,
    tag_names: list[str],
    checked: images.CheckedImage,
    **fields: Any,
) -> Work:
    work = Work.objects.create(
        creator=creator,
        image_type=checked.image_type,
        width=checked.width,
        height=checked.height,
        size=len(checked.data),
        **fields,
    )
    Tag.objects.bulk_create([Tag(work=work, name=name) for name in tag_names])
    _audit(actor, "uploaded", work, kind=work.kind, image_type=work.image_type, size=work.size)
    return work


def _valid_id(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def _locked_work(work_id: int) -> Work | None:
    if not _valid_id(work_id):
        return None
    return Work.objects.select_for_update().select_related("creator").filter(pk=work_id).first()


@transaction.atomic
def withdraw_work(*, actor: User, work_id: int) -> Work:
    """Take a work off sale (its creator, or the board). Licences already sold stay valid."""
    work = _locked_work(work_id)
    if work is None or not (work.creator.user_id == actor.pk or has_role(actor, Role.BOARD)):
        raise NotFound("not_found", gettext_noop("No such work."))
    if not work.active:
        return work
    work.active = False
    work.withdrawn_at = timezone.now()
    work.save(update_fields=["active", "withdrawn_at"])
    _audit(actor, "withdrawn", work)
    return work


@transaction.atomic
def buy_licence(
    *,
    actor: User,
    work_id: int,
    licence_key: str,
    method: str,
    reference: str = "",
    idempotency_key: str | None = None,
) -> LicenceGrant:
    """A signed-in customer buys a licence: placed, paid and completed at once, and granted."""
    if not actor.is_authenticated:
        raise NotAllowed("sign_in", gettext_noop("Sign in to buy a licence."))
    if method not in PaymentMethod.values:
        raise InvalidInput("bad_method", gettext_noop("Choose cash, bank transfer or wallet."))
    reference = reference.strip() if isinstance(reference, str) else ""
    if method != PaymentMethod.CASH and not reference:
        raise InvalidInput(
            "reference_required",
            gettext_noop("A bank or wallet payment needs its reference."),
        )
    if len(reference) > MAX_REFERENCE or "\x00" in reference:
        raise InvalidInput(
            "bad_reference",
            gettext_noop("The payment reference is at most %(most)s characters."),
            most=MAX_REFERENCE,
        )
    work = _locked_work(work_id)
    if work is None:
        raise NotFound("not_found", gettext_noop("No such work."))
    current = current_policy()
    quote = quote_licence(policy=current.policy, policy_version=current.number, key=licence_key)
    order = market.place(
        customer=actor,
        sector=Sector.WORK,
        title=work.title,
        quote=quote,
        worker=work.creator,
        idempotency_key=idempotency_key,
        work=work.pk,
        licence=licence_key,
    )
    earlier = LicenceGrant.objects.filter(order=order).first()
    if earlier is not None:
        if earlier.work_id != work.pk or earlier.licence_key != licence_key:
            raise DomainError(
                "idempotency_conflict",
                gettext_noop("This key was already used for a different request."),
            )
        return earlier
    if not work.active:
        raise DomainError("work_withdrawn", gettext_noop("This work is no longer on sale."))
    if work.creator.user_id == actor.pk:
        raise DomainError("own_work", gettext_noop("You cannot buy a licence to your own work."))
    market.take_payment(order=order, actor=actor, method=method, note=reference)
    market.advance(
        order=order,
        actor=actor,
        to=Status.COMPLETED,
        allowed_from=[Status.REQUESTED],
        event=OrderEvent.Kind.COMPLETED,
        data={"licence": licence_key},
    )
    licence = current.policy.licence(licence_key)
    return LicenceGrant.objects.create(
        order=order,
        work=work,
        buyer=actor,
        licence_key=licence.key,
        licence_name_ar=licence.name.ar,
        licence_name_en=licence.name.en,
        download_token=secrets.token_urlsafe(TOKEN_BYTES),
    )


@transaction.atomic
def download_original(
    *, actor: User | None, order_id: int | None = None, token: str | None = None
) -> tuple[LicenceGrant, IO[bytes]]:
    """The licensed original, opened, and the download counted. By order: for its buyer, the
    work's creator and the board, signed in. By token: for whoever holds the licence's link
    (an API client of the buyer's). Anyone else learns nothing exists."""
    grants = LicenceGrant.objects.select_related("work__creator", "order")
    grant: LicenceGrant | None = None
    if token is not None:
        if isinstance(token, str) and 0 < len(token) <= MAX_TOKEN:
            grant = grants.filter(download_token=token).first()
    elif actor is not None and actor.is_authenticated and _valid_id(order_id):
        grant = grants.filter(order_id=order_id).first()
        if grant is not None and not (
            grant.buyer_id == actor.pk
            or grant.work.creator.user_id == actor.pk
            or has_role(actor, Role.BOARD)
        ):
            grant = None
    if grant is None:
        raise NotFound("not_found", gettext_noop("No such licence."))
    original = images.open_stored(grant.work.original)
    if original is None:
        raise NotFound("file_missing", gettext_noop("The original file cannot be found."))
    LicenceGrant.objects.filter(pk=grant.pk).update(downloads=F("downloads") + 1)
    grant.downloads += 1
    return grant, original
