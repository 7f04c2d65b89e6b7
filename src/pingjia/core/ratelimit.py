"""Fixed-window counters in the shared cache (Redis in production): enough to stop floods of
public form posts without a queue of their own."""

from __future__ import annotations

from django.core.cache import cache


def within_limit(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one more event for `key`; False once more than `limit` fall in the window."""
    cache_key = f"ratelimit:{key}"
    if cache.add(cache_key, 1, timeout=window_seconds):
        return limit >= 1
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window_seconds)
        count = 1
    return count <= limit
