"""Placeholder views: being written."""
from django.http import HttpResponse

def found(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    return HttpResponse(status=501)

def policy(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    return HttpResponse(status=501)
