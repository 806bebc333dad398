"""The administrators' page for the board and admin roles: who holds them, grant, revoke."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from taawun.coop.selectors import current_policy
from taawun.domain.errors import DomainError
from taawun.web.errors import explain, refusals

from . import actions, selectors
from .forms import GrantForm
from .models import Role, User


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@refusals
def roles(request: HttpRequest) -> HttpResponse:
    grants = selectors.live_grants(_user(request))
    form = GrantForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_bound:
        status = 400
        if form.is_valid():
            person: User = form.cleaned_data["email"]
            role = Role(form.cleaned_data["role"])
            try:
                actions.grant_role(
                    actor=_user(request),
                    user=person,
                    role=role,
                    policy_version=current_policy().number,
                )
            except DomainError as exc:
                form.add_error(None, explain(exc))
                status = exc.status
            else:
                messages.success(
                    request,
                    _("%(person)s now holds the role %(role)s.")
                    % {"person": person, "role": role.label},
                )
                return redirect("accounts:roles")
    return render(request, "accounts/roles.html", {"grants": grants, "form": form}, status=status)


@login_required
@require_POST
@refusals
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    grant = selectors.live_grant_or_404(_user(request), pk)
    actions.revoke_role(
        actor=_user(request),
        user=grant.user,
        role=Role(grant.role),
        policy_version=current_policy().number,
    )
    messages.success(
        request,
        _("%(person)s no longer holds the role %(role)s.")
        % {"person": grant.user, "role": grant.get_role_display()},
    )
    return redirect("accounts:roles")
