"""The platform's URLs plus the baselines: a Django view that returns a small JSON document, and
an unsigned POST that reads its body and acknowledges it as the inbox does, doing nothing else."""

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from taawun.federation.protocol import MAX_ACTIVITY_BYTES
from taawun.urls import handler500  # noqa: F401 - the platform's 503 for a database outage
from taawun.urls import urlpatterns as platform_urls


def bare(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True, "members": []})


@csrf_exempt
@require_POST
def noop(request: HttpRequest) -> JsonResponse:
    if int(request.headers.get("Content-Length") or 0) > MAX_ACTIVITY_BYTES:
        return JsonResponse({"error": "too_large"}, status=413)
    request.body  # noqa: B018 - read the body, as the inbox does
    return JsonResponse({"outcome": "noop", "new": False}, status=202)


urlpatterns = [path("bench/bare/", bare), path("bench/noop/", noop), *platform_urls]
