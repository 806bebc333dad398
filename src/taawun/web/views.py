"""The co-op's front page; sends a fresh installation to its founding page."""

from __future__ import annotations

import sys

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.utils.translation import gettext

from taawun.coop.selectors import current_policy, get_coop
from taawun.members.selectors import current_memberships, membership_of
from taawun.transparency import signing

from .errors import is_outage


def home(request: HttpRequest) -> HttpResponse:
    coop = get_coop()
    if coop is None:
        return redirect("coop:found")
    policy = current_policy().policy
    return render(
        request,
        "web/home.html",
        {
            "classes": [
                (member_class, policy.share_total(member_class.key))
                for member_class in policy.membership.classes
            ],
            "member_count": current_memberships().count(),
            "membership": membership_of(request.user),  # type: ignore[arg-type]
            "log_key": signing.public_key(),
        },
    )


RETRY_AFTER_SECONDS = 10


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's last resort. A database that cannot be reached is an outage, not a fault in
    the request: it gets a 503 the client may retry, in the page or JSON shape it expects."""
    if is_outage(sys.exc_info()[1]):
        return unavailable(request)
    return HttpResponse(loader.get_template("500.html").render(), status=500)


def unavailable(request: HttpRequest) -> HttpResponse:
    response: HttpResponse
    if request.path.startswith("/api/"):
        message = gettext("The service is unavailable for a moment; try again shortly.")
        response = JsonResponse({"error": "unavailable", "message": message}, status=503)
    else:
        # rendered without the request: its context would ask the database for the co-op
        page = loader.get_template("500.html").render({"outage": True})
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
