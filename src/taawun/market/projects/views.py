from django.http import Http404, HttpRequest, HttpResponse


def list(request: HttpRequest) -> HttpResponse:
    raise Http404
