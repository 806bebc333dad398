"""The co-op's front page; sends a fresh installation to its founding page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from taawun.coop.selectors import current_policy, get_coop
from taawun.members.selectors import current_memberships, membership_of
from taawun.transparency import signing


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
