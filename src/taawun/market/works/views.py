"""The creative works' pages: the catalogue, a work with its licences, buying one, the creator's
upload form and desk, and the two files this app serves itself (the public preview and the
licensed original). Each writing view parses a form, calls one action and redirects with a
message, or shows the form again with the refusal explained."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from taawun.coop.selectors import current_policy
from taawun.web.errors import refusals
from taawun.web.flow import person, posted, run_action

from . import actions, images, selectors
from .forms import LicenceForm, UploadForm
from .models import ImageType, Kind, LicenceGrant, Work

PREVIEW_SECONDS = 24 * 60 * 60


@require_http_methods(["GET", "HEAD"])
def catalogue(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    tag = request.GET.get("tag", "")
    search = request.GET.get("q", "")
    page = selectors.catalogue(kind=kind, tag=tag, search=search, page=request.GET.get("page", 1))
    return render(
        request,
        "market_works/catalogue.html",
        {
            "page": page,
            "kinds": Kind.choices,
            "kind": kind if kind in Kind.values else "",
            "tag": tag[: actions.MAX_TAG],
            "search": search[: selectors.MAX_SEARCH],
        },
    )


def _licence_form(data: Any = None) -> LicenceForm:
    return LicenceForm(
        data,
        licences=[(offer.key, f"{offer.name} · {offer.price}") for offer in selectors.offers()],
    )


def _work_page(
    request: HttpRequest, work: Work, form: LicenceForm | None = None, status: int = 200
) -> HttpResponse:
    viewer = person(request)
    return render(
        request,
        "market_works/work.html",
        {
            "work": work,
            "offers": selectors.offers(),
            "form": form or _licence_form(),
            "is_creator": viewer.is_authenticated and work.creator.user_id == viewer.pk,
        },
        status=status,
    )


@require_http_methods(["GET", "HEAD"])
@refusals
def work(request: HttpRequest, work_id: int) -> HttpResponse:
    return _work_page(request, selectors.work_or_404(person(request), work_id))


@login_required
@require_POST
@refusals
def buy(request: HttpRequest, work_id: int) -> HttpResponse:
    viewer = person(request)
    found = selectors.work_or_404(viewer, work_id)
    form = _licence_form(request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        grant, status = run_action(
            form,
            actions.buy_licence,
            actor=viewer,
            work_id=found.pk,
            licence_key=data["licence"],
            method=data["method"],
            reference=data["reference"],
            idempotency_key=data["key"],
        )
        if grant is not None:
            messages.success(
                request, _("Your licence is ready: download the original from this page.")
            )
            return redirect("market:order", order_id=grant.order_id)
    return _work_page(request, found, form, status)


@require_http_methods(["GET", "HEAD"])
@refusals
def preview(request: HttpRequest, work_id: int) -> FileResponse:
    found = selectors.preview_or_404(person(request), work_id)
    picture = images.open_stored(found.preview)
    if picture is None:
        raise Http404
    response = FileResponse(picture, content_type="image/jpeg")
    if found.active:
        patch_cache_control(response, public=True, max_age=PREVIEW_SECONDS)
    else:
        patch_cache_control(response, private=True, max_age=0)
    return response


def download_name(grant: LicenceGrant) -> str:
    """A file name safe on every system: the title in plain letters, the work and the licence."""
    title = slugify(grant.work.title)[:60] or "work"
    extension = images.EXTENSIONS[ImageType(grant.work.image_type)]
    return f"{title}-{grant.work_id}-{grant.licence_key}.{extension}"


def original_response(grant: LicenceGrant, original: Any) -> FileResponse:
    response = FileResponse(
        original,
        as_attachment=True,
        filename=download_name(grant),
        content_type=grant.work.media_type,
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


@login_required
@require_http_methods(["GET", "HEAD"])
@refusals
def download(request: HttpRequest, order_id: int) -> FileResponse:
    grant, original = actions.download_original(actor=person(request), order_id=order_id)
    return original_response(grant, original)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@refusals
def upload(request: HttpRequest) -> HttpResponse:
    viewer = person(request)
    form = UploadForm(posted(request), request.FILES if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            created, status = run_action(
                form,
                actions.upload_work,
                actor=viewer,
                title=data["title"],
                description=data["description"],
                kind=data["kind"],
                tags=data["tags"],
                image=data["image"],
            )
            if created is not None:
                messages.success(request, _("Your work is on sale."))
                return redirect("market:works:work", work_id=created.pk)
    return render(
        request,
        "market_works/upload.html",
        {"form": form, "may_upload": selectors.may_upload(viewer)},
        status=status,
    )


@login_required
@require_POST
@refusals
def withdraw(request: HttpRequest, work_id: int) -> HttpResponse:
    actions.withdraw_work(actor=person(request), work_id=work_id)
    messages.success(request, _("The work is no longer on sale. Licences already sold stay valid."))
    return redirect("market:works:mine")


@login_required
@require_http_methods(["GET", "HEAD"])
@refusals
def mine(request: HttpRequest) -> HttpResponse:
    viewer = person(request)
    return render(
        request,
        "market_works/mine.html",
        {
            "desk": selectors.creator_desk(viewer),
            "may_upload": selectors.may_upload(viewer),
            "currency": current_policy().policy.currency,
        },
    )
