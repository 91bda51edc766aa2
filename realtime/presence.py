"""Who is connected, and who is viewing which lesson.

Storage is keyed by profile, so several tabs of one user count once:

* ``online:<role>:<profileId>`` — a sorted set of the user's socket channel names, scored by the time each
  socket's heartbeat expires. A socket refreshes its score every ``heartbeat`` seconds while its process
  lives; a crashed process stops refreshing and its sockets fall out after ``REALTIME_PRESENCE_TTL``, so it
  leaves no ghosts. The user is online while at least one unexpired member is left.
* ``viewing:<teacherId>`` — one sorted set per tutor's calendar: members are JSON ``{lessonId, role,
  profileId, name, channel}``, scored by expiry the same way.

With ``REDIS_URL`` set the sets live in Redis (shared by every daphne / gunicorn process); without it
(the embedded single-process default) they live in this process's memory. Adding and removing a socket
are atomic (MULTI/EXEC), so exactly one of two racing tabs sees itself as first / last.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from functools import lru_cache

from asgiref.sync import sync_to_async
from django.conf import settings

Key = tuple[str, str]  # (role, profileId)


def ttl() -> int:
    return max(5, int(settings.REALTIME_PRESENCE_TTL))


def heartbeat_seconds() -> int:
    """How often clients should ping and sockets refresh themselves (~25 s with the default 60 s TTL)."""
    return max(2, min(25, ttl() * 5 // 12))


class MemoryBackend:
    """In-process sets for the embedded default (one process, in-memory channel layer)."""

    def __init__(self) -> None:
        self._sets: dict[str, dict[str, float]] = {}
        self._lock = threading.Lock()

    def _live(self, name: str, now: float) -> dict[str, float]:
        members = self._sets.get(name)
        if members is None:
            return {}
        for member in [m for m, exp in members.items() if exp <= now]:
            del members[member]
        if not members:
            del self._sets[name]
            return {}
        return members

    def add(self, name: str, member: str, expires: float) -> int:
        with self._lock:
            self._live(name, time.time())
            self._sets.setdefault(name, {})[member] = expires
            return len(self._sets[name])

    def refresh(self, items: list[tuple[str, str]], expires: float) -> None:
        with self._lock:
            for name, member in items:
                self._sets.setdefault(name, {})[member] = expires

    def remove(self, name: str, member: str) -> int | None:
        """Remove `member`; the number of live members left, or None when it was not there (already gone)."""
        with self._lock:
            members = self._sets.get(name, {})
            removed = members.pop(member, None) is not None
            left = len(self._live(name, time.time()))
            return left if removed else None

    def counts(self, names: list[str]) -> list[int]:
        with self._lock:
            now = time.time()
            return [len(self._live(name, now)) for name in names]

    def members(self, name: str) -> list[str]:
        with self._lock:
            return list(self._live(name, time.time()))

    def clear(self) -> None:
        with self._lock:
            self._sets.clear()


class RedisBackend:
    """Sorted sets in Redis; the same commands work from daphne (in a thread) and from gunicorn."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        timeout = settings.REDIS_SOCKET_TIMEOUT
        self._redis = redis.Redis.from_url(
            url, health_check_interval=30, socket_connect_timeout=timeout, socket_timeout=timeout
        )
        self._prefix = prefix

    def _k(self, name: str) -> str:
        return f"{self._prefix}:rt:{name}"

    def add(self, name: str, member: str, expires: float) -> int:
        key = self._k(name)
        pipe = self._redis.pipeline(transaction=True)
        pipe.zremrangebyscore(key, "-inf", time.time())
        pipe.zadd(key, {member: expires})
        pipe.zcard(key)
        pipe.expireat(key, int(expires) + 1)
        return int(pipe.execute()[2])

    def refresh(self, items: list[tuple[str, str]], expires: float) -> None:
        if not items:
            return
        pipe = self._redis.pipeline(transaction=False)
        for name, member in items:
            key = self._k(name)
            pipe.zadd(key, {member: expires})
            pipe.expireat(key, int(expires) + 1)
        pipe.execute()

    def remove(self, name: str, member: str) -> int | None:
        key = self._k(name)
        pipe = self._redis.pipeline(transaction=True)
        pipe.zrem(key, member)
        pipe.zremrangebyscore(key, "-inf", time.time())
        pipe.zcard(key)
        removed, _, left = pipe.execute()
        return int(left) if removed else None

    def counts(self, names: list[str]) -> list[int]:
        if not names:
            return []
        now = time.time()
        pipe = self._redis.pipeline(transaction=False)
        for name in names:
            pipe.zcount(self._k(name), f"({now}", "+inf")
        return [int(n) for n in pipe.execute()]

    def members(self, name: str) -> list[str]:
        raw = self._redis.zrangebyscore(self._k(name), f"({time.time()}", "+inf")
        return [m.decode() if isinstance(m, bytes) else m for m in raw]

    def clear(self) -> None:
        keys = list(self._redis.scan_iter(match=self._k("*"), count=500))
        if keys:
            self._redis.delete(*keys)


@lru_cache(maxsize=4)
def _backend_for(url: str, prefix: str) -> MemoryBackend | RedisBackend:
    return RedisBackend(url, prefix) if url else MemoryBackend()


def backend() -> MemoryBackend | RedisBackend:
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "") or "tutorcal"
    return _backend_for(settings.REDIS_URL, prefix)


# ---- online -------------------------------------------------------------------------------------------


def _online_name(key: Key) -> str:
    return f"online:{key[0]}:{key[1]}"


def socket_connected(key: Key, channel: str) -> bool:
    """Register a socket; True when it is the user's first live socket (the user just came online)."""
    return backend().add(_online_name(key), channel, time.time() + ttl()) == 1


def socket_disconnected(key: Key, channel: str) -> bool:
    """Forget a socket; True when it was the user's last live socket (the user just went offline)."""
    return backend().remove(_online_name(key), channel) == 0


def sockets_refresh(items: Iterable[tuple[str, str]], channel_items: Iterable[tuple[str, str]] = ()) -> None:
    """Push the expiry of live sockets (and of what they view) forward. `items`: (setName, member)."""
    backend().refresh([*items, *channel_items], time.time() + ttl())


def online_keys(keys: Iterable[Key]) -> set[Key]:
    """Which of `keys` have at least one live socket (one round trip)."""
    keys = list(dict.fromkeys(keys))
    counts = backend().counts([_online_name(k) for k in keys])
    return {k for k, n in zip(keys, counts, strict=True) if n > 0}


# ---- viewing ------------------------------------------------------------------------------------------


def _viewing_name(teacher_id: str) -> str:
    return f"viewing:{teacher_id}"


def viewer_member(*, lesson_id: str, role: str, profile_id: str, name: str, channel: str) -> str:
    return json.dumps(
        {"lessonId": lesson_id, "role": role, "profileId": profile_id, "name": name, "channel": channel},
        separators=(",", ":"),
        sort_keys=True,
    )


def viewing_add(teacher_id: str, member: str) -> None:
    backend().add(_viewing_name(teacher_id), member, time.time() + ttl())


def viewing_remove(teacher_id: str, member: str) -> None:
    backend().remove(_viewing_name(teacher_id), member)


def viewing_name(teacher_id: str) -> str:
    return _viewing_name(teacher_id)


def viewers(teacher_id: str, lesson_ids: Iterable[str] | None = None) -> dict[str, list[dict]]:
    """lessonId -> viewers (one entry per profile, whatever its number of tabs), for one tutor's calendar."""
    wanted = {str(i) for i in lesson_ids} if lesson_ids is not None else None
    out: dict[str, dict[Key, dict]] = {}
    for raw in backend().members(_viewing_name(teacher_id)):
        try:
            item = json.loads(raw)
        except ValueError:
            continue
        if wanted is not None and item["lessonId"] not in wanted:
            continue
        person = {"role": item["role"], "profileId": item["profileId"], "name": item["name"]}
        out.setdefault(item["lessonId"], {})[(item["role"], item["profileId"])] = person
    return {
        lesson_id: sorted(people.values(), key=lambda p: (p["role"], p["name"], p["profileId"]))
        for lesson_id, people in out.items()
    }


# Async wrappers for consumers: Redis calls run in the default thread pool, never on the event loop.
asocket_connected = sync_to_async(socket_connected, thread_sensitive=False)
asocket_disconnected = sync_to_async(socket_disconnected, thread_sensitive=False)
asockets_refresh = sync_to_async(sockets_refresh, thread_sensitive=False)
aonline_keys = sync_to_async(online_keys, thread_sensitive=False)
aviewing_add = sync_to_async(viewing_add, thread_sensitive=False)
aviewing_remove = sync_to_async(viewing_remove, thread_sensitive=False)
aviewers = sync_to_async(viewers, thread_sensitive=False)
