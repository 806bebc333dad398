"""The platform's settings plus one bare JSON view to measure against, on the same server."""

from taawun.settings import *  # noqa: F403

ROOT_URLCONF = "bench_urls"
DEBUG = False
LOGGING = {"version": 1, "disable_existing_loggers": False}
# The API's per-person rate limit would otherwise answer most of the load with 429.
TAAWUN_API_RATES = {"anon": "10000000/min", "user": "10000000/min"}
# One host, as deploy/taawun.env.example sets it: the data version is shared through memory.
DATA_VERSION_ON_HOST = True
