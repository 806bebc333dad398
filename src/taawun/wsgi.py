"""WSGI entry point for gunicorn."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "taawun.settings")
application = get_wsgi_application()

# Every URL, view and API schema loaded now rather than at the first request; then everything
# the process holds so far, which lives as long as it does, is set aside from the garbage
# collector. A full collection otherwise walks those quarter of a million objects: a pause of
# about 80 ms in the middle of some request (docs/benchmarks.md, "Booking API end to end").
get_resolver().url_patterns  # noqa: B018  # loads the URL configuration
gc.freeze()
