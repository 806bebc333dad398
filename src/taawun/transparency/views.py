"""Placeholder views: being written."""
from django.http import HttpResponse

def audit_trail(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    return HttpResponse(status=501)
