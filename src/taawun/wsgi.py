"""WSGI entry point for gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "taawun.settings")
application = get_wsgi_application()

from taawun.federation.delivery import kick  # noqa: E402  (needs the settings loaded above)

kick()  # deliver what an earlier process left waiting, without waiting for a new action
