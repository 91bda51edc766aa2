"""Pushes leave the request without waiting on the network.

A receiver of a domain event runs inside the announcing transaction (tutorcal.events.announce). It calls
`after_commit(push, **kwargs)`: nothing happens if the transaction rolls back; after the commit the push
(payload queries, the presence round trip and the `group_send`s) runs on one background thread per process,
so the request returns as soon as its transaction has committed. One thread keeps a process's pushes in
commit order. Pushes are best effort, as sockets are: a client that reconnects refetches what it shows.

With the in-memory channel layer (the embedded default and SQLite tests: one process, no Redis) there is no
network to wait on and the sockets live on this process's event loop, so the push runs at once after commit.
"""

from __future__ import annotations

import atexit
import functools
import logging
import os
import queue
import threading
from collections.abc import Callable

from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import close_old_connections, connections, transaction

logger = logging.getLogger(__name__)


def after_commit(push: Callable[..., object], /, **kwargs) -> None:
    """Run `push(**kwargs)` once the surrounding transaction commits (at once when there is none)."""
    transaction.on_commit(functools.partial(_dispatch, push, kwargs), robust=True)


def _dispatch(push: Callable[..., object], kwargs: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    if isinstance(layer, InMemoryChannelLayer):
        _run(push, kwargs)
    else:
        _pusher().submit(push, kwargs)


def _run(push: Callable[..., object], kwargs: dict) -> None:
    try:
        push(**kwargs)
    except Exception:
        logger.exception("realtime push %s failed", getattr(push, "__name__", push))


class _Pusher:
    """One daemon thread draining a queue of pushes. Its database connection is kept while work keeps coming
    and closed when the queue runs dry (an idle process holds no extra connection)."""

    def __init__(self) -> None:
        self.queue: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._loop, name="realtime-pusher", daemon=True)
        self.thread.start()

    def submit(self, push: Callable[..., object], kwargs: dict) -> None:
        self.queue.put((push, kwargs))

    def _loop(self) -> None:
        while True:
            push, kwargs = self.queue.get()
            try:
                close_old_connections()
                _run(push, kwargs)
                if self.queue.empty():
                    connections.close_all()
            except Exception:  # the thread must outlive any one push: pushes are best effort
                logger.exception("realtime pusher: could not run or tidy up after a push")
            finally:
                self.queue.task_done()

    def wait_idle(self, timeout: float) -> bool:
        """Block until every submitted push has run (tests, process exit); False on timeout."""
        done = threading.Event()

        def waiter():
            self.queue.join()
            done.set()

        threading.Thread(target=waiter, daemon=True).start()
        return done.wait(timeout)


_instance: _Pusher | None = None
_instance_pid = 0
_lock = threading.Lock()


def _pusher() -> _Pusher:
    global _instance, _instance_pid
    with _lock:
        if _instance is None or _instance_pid != os.getpid():  # a forked worker starts its own thread
            _instance, _instance_pid = _Pusher(), os.getpid()
        return _instance


def wait_idle(timeout: float = 5.0) -> bool:
    """Wait for this process's queued pushes to finish (True when none are left)."""
    return _instance is None or _instance_pid != os.getpid() or _instance.wait_idle(timeout)


atexit.register(wait_idle, 5.0)  # a graceful shutdown delivers what was committed
