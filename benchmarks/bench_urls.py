"""The platform's URLs plus the baseline: a Django view that returns a small JSON document."""

from django.http import HttpRequest, JsonResponse
from django.urls import path

from taawun.urls import urlpatterns as platform_urls


def bare(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True, "members": []})


urlpatterns = [path("bench/bare/", bare), *platform_urls]
