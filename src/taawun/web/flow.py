"""What every page that acts shares: who is signed in, the board-only gate, and calling one
action so that a refusal becomes the form's error rather than an error page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from taawun.accounts.models import Role, User
from taawun.accounts.selectors import require_role
from taawun.domain.errors import DomainError, NotAllowed, NotFound

from .errors import explain, refusals

View = Callable[..., HttpResponse]


def person(request: HttpRequest) -> User:
    """The signed-in person (the views that call this are behind ``login_required``)."""
    return cast(User, request.user)


def board_desk(view: View) -> View:
    """Signed in, and on the board (403 otherwise)."""

    @wraps(view)
    def check(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        require_role(person(request), Role.BOARD)
        return view(request, *args, **kwargs)

    return login_required(refusals(check))


def run_action(form: forms.BaseForm, action: Callable[..., Any], **kwargs: Any) -> tuple[Any, int]:
    """Call one action; a refusal (other than a missing role) becomes the form's error."""
    try:
        return action(**kwargs), 200
    except NotAllowed:
        raise
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        form.add_error(None, explain(exc))
        return None, exc.status


def posted(request: HttpRequest) -> Any:
    """The form data of a POST, or None for a GET (an unbound form)."""
    return request.POST if request.method == "POST" else None
