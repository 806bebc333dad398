"""The audit trail, page by page, for the members who own the co-op."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from taawun.domain.errors import NotAllowed
from taawun.web.errors import explain

from .selectors import audit_page


@require_http_methods(["GET", "HEAD"])
def audit_trail(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    try:
        page = audit_page(request.user, page=request.GET.get("page", 1))
    except NotAllowed as error:
        raise PermissionDenied(explain(error)) from None
    return render(request, "transparency/audit.html", {"page": page})
