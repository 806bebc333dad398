"""Placeholder views: being written."""
from django.http import HttpResponse

def directory(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    return HttpResponse(status=501)

def apply(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    return HttpResponse(status=501)

def mine(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    return HttpResponse(status=501)

def profile(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    return HttpResponse(status=501)

def notice(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    return HttpResponse(status=501)

def withdraw(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    return HttpResponse(status=501)

def board(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    return HttpResponse(status=501)

def application_decide(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    return HttpResponse(status=501)

def member_detail(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    return HttpResponse(status=501)

def pay_instalment(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    return HttpResponse(status=501)

def sell_back(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    return HttpResponse(status=501)

def repay(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    return HttpResponse(status=501)

def transfer(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    return HttpResponse(status=501)

def registers(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    return HttpResponse(status=501)

def member_register(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    return HttpResponse(status=501)

def share_register(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    return HttpResponse(status=501)
