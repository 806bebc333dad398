"""The audit trail, page by page, for the members who own the co-op; and the public log's page,
with its signed head, its key, the verifier to download and a check of a head someone kept."""

from __future__ import annotations

import base64
from pathlib import Path

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

import taawun.verifier
from taawun.domain.errors import NotAllowed
from taawun.web.errors import explain, refusals
from taawun.web.flow import posted, run_action

from . import actions, selectors, signing
from .forms import KeptHeadForm


@require_http_methods(["GET", "HEAD"])
def audit_trail(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    try:
        page = selectors.audit_page(request.user, page=request.GET.get("page", 1))
    except NotAllowed as error:
        raise PermissionDenied(explain(error)) from None
    return render(
        request, "transparency/audit.html", {"page": page, "head": selectors.latest_head()}
    )


@require_http_methods(["GET", "HEAD", "POST"])
@refusals
def public_log(request: HttpRequest) -> HttpResponse:
    """Anyone may read it and check a head they kept; a fork shows here for all to see."""
    form = KeptHeadForm(posted(request))
    checked, status = None, 200
    if form.is_valid():
        checked, status = run_action(form, actions.check_kept_head, note=form.cleaned_data["note"])
    elif form.is_bound:
        status = 400
    head = actions.fresh_tree_head()
    context = {
        "head": head,
        "root_b64": base64.b64encode(bytes(head.root)).decode(),
        "key": signing.public_key(),
        "site": request.build_absolute_uri("/").rstrip("/"),
        "alarms": selectors.alarms(),
        "form": form,
        "kept": checked[1] if checked else None,
        "proof_hashes": len(checked[2]) if checked else 0,
    }
    return render(request, "transparency/log.html", context, status=status)


@require_POST
@refusals
def sign_now(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login("/log/")
    actions.sign_on_request(actor=request.user)
    return redirect("transparency:log")


@require_http_methods(["GET", "HEAD"])
def head_file(request: HttpRequest) -> HttpResponse:
    """The newest signed head as a file to keep: a witness's evidence."""
    head = actions.fresh_tree_head()
    response = HttpResponse(head.note, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="log-head-{head.size}.txt"'
    return response


@require_http_methods(["GET", "HEAD"])
def verifier_source(request: HttpRequest) -> HttpResponse:
    """The standalone verifier, exactly the code the co-op runs."""
    source = Path(taawun.verifier.__file__).read_bytes()
    response = HttpResponse(source, content_type="text/x-python; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="verifier.py"'
    return response
