from django.http import Http404, HttpRequest, HttpResponse


def audit(request: HttpRequest) -> HttpResponse:
    raise Http404
