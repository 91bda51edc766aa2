"""Telegram's global send limit, shared by every worker process.

Telegram allows a bot about 30 messages per second in total. Each worker reserves send slots for a batch
from one shared schedule: "the next free slot" is a single timestamp that every reservation moves forward
by count × (1 / rate). Slots are therefore evenly spaced across all workers, however many there are.

* Redis (production): one Lua script reads the Redis server's clock (one clock for every machine) and
  moves the timestamp atomically, one round trip per batch.
* Any other cache (the embedded default: locmem, one process): the same arithmetic under a process lock.
  That is only shared within the process, which is all there is without Redis.
"""

from __future__ import annotations

import threading
import time

from django.core.cache import cache

KEY = "botapp:send-slots"

# KEYS[1] = the next free slot in microseconds of the Redis clock; ARGV[1] = slot length (µs); ARGV[2] = count.
# Returns how many µs from now the first reserved slot starts. Numbers are formatted with %.0f: Lua's default
# number formatting would turn a 16-digit timestamp into 1.7e+15 and lose it.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
local first = math.max(now, nxt)
local after = first + tonumber(ARGV[1]) * tonumber(ARGV[2])
local ttl = math.ceil((after - now) / 1000) + 60000
redis.call('SET', KEYS[1], string.format('%.0f', after), 'PX', string.format('%.0f', ttl))
return string.format('%.0f', first - now)
"""

_local_lock = threading.Lock()


class SendSlots:
    """`reserve(n)` → seconds until the first of `n` consecutive slots, each `interval` long; the caller
    starts send i no earlier than first + i × interval."""

    def __init__(self, rate: float, *, key: str = KEY):
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.key = key
        self._script = None
        client = _redis_client()
        if client is not None:
            self._script = client.register_script(_RESERVE)

    @property
    def shared_across_processes(self) -> bool:
        return self._script is not None

    def reserve(self, count: int) -> float:
        if count <= 0 or self.interval <= 0:
            return 0.0
        if self._script is not None:
            micros = self._script(keys=[cache.make_key(self.key)], args=[round(self.interval * 1_000_000), count])
            return int(micros) / 1_000_000
        with _local_lock:
            now = time.time()
            first = max(now, cache.get(self.key) or 0.0)
            after = first + self.interval * count
            cache.set(self.key, after, timeout=int(after - now) + 60)
            return first - now


def _redis_client():
    """The redis-py client behind Django's RedisCache, or None for any other cache backend."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    return backend._cache.get_client(write=True)
