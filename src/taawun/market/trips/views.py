from django.http import Http404, HttpRequest, HttpResponse


def request(request: HttpRequest) -> HttpResponse:
    raise Http404
