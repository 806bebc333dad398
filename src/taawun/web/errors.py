"""Turning a refusal from the core into the words a person reads, in their language."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext

from taawun.domain.errors import DomainError, NotAllowed, NotFound, Term

ResponseT = TypeVar("ResponseT", bound=HttpResponseBase)


CONTENTION_STATES = frozenset({"40P01", "40001"})  # deadlock detected, serialization failure


def is_contention(error: BaseException) -> bool:
    """A write that lost a race for a lock and was rolled back whole: trying again is safe."""
    cause = error.__cause__
    if getattr(cause, "sqlstate", None) in CONTENTION_STATES:
        return True
    return "database is locked" in str(error)  # SQLite's busy timeout ran out


def is_outage(error: BaseException | None) -> bool:
    """The database could not be reached (down, restarting, connection lost): nothing was
    written, and the same request will work once it is back."""
    return isinstance(error, OperationalError | InterfaceError) and not is_contention(error)


def explain(error: DomainError) -> str:
    message = gettext(error.message)
    if not error.params:
        return message
    params = {
        name: gettext(value) if isinstance(value, Term) else value
        for name, value in error.params.items()
    }
    return message % params


def explain_validation(error: ValidationError) -> str:
    return " ".join(str(message) for message in error.messages)


def refusals(view: Callable[..., ResponseT]) -> Callable[..., ResponseT | HttpResponse]:
    """A refusal that escapes a view becomes a page, never a 500: 403 for a missing role, 404 for
    a missing object, the explained refusal otherwise."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> ResponseT | HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotAllowed as exc:
            return render(request, "403.html", {"exception": explain(exc)}, status=403)
        except NotFound as exc:
            raise Http404 from exc
        except DomainError as exc:
            return render(request, "web/refused.html", {"reason": explain(exc)}, status=exc.status)

    return wrapper
