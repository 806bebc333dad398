"""The shared cache of scale-out deployments, made to degrade instead of fail.

Everything kept in the cache can be rebuilt or done without: sessions are also in the database
(the ``cached_db`` engine), cached pages are recomputed, rate limits start over. So when Redis
cannot be reached the site keeps serving: reads miss, writes are dropped, ``add`` reports
success (allauth's rate limiter waits in a loop until ``add`` succeeds) and the failure is
logged once a minute instead of on every call."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
LOG_EVERY_SECONDS = 60.0


class ForgivingRedisCache(RedisCache):
    _last_logged = 0.0

    def _forgive(self, method: Callable[..., Any], fallback: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except RedisError as error:
            now = time.monotonic()
            if now - ForgivingRedisCache._last_logged > LOG_EVERY_SECONDS:
                ForgivingRedisCache._last_logged = now
                logger.warning("the cache is unreachable, serving without it: %s", error)
            return fallback

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._forgive(super().get, default, key, default, version)

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        return self._forgive(super().get_many, {}, keys, version)

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._forgive(super().has_key, False, key, version)

    def add(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> bool:
        return self._forgive(super().add, True, key, value, timeout, version)

    def set(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> None:
        self._forgive(super().set, None, key, value, timeout, version)

    def set_many(
        self, data: dict[Any, Any], timeout: Any = None, version: int | None = None
    ) -> list[Any]:
        return self._forgive(super().set_many, [], data, timeout, version)

    def touch(self, key: Any, timeout: Any = None, version: int | None = None) -> bool:
        return self._forgive(super().touch, False, key, timeout, version)

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._forgive(super().delete, False, key, version)

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        self._forgive(super().delete_many, None, keys, version)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        return self._forgive(super().incr, delta, key, delta, version)

    def clear(self) -> None:
        self._forgive(super().clear, None)
