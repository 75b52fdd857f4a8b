"""Calls made off the threads that decide and stop: subscribers' callbacks and signals.

A :class:`Dispatcher` runs the calls it is given in order on a daemon thread of its own,
so a slow or failing subscriber costs only its own time, never a decision or a stop. A
callback that raises is logged and skipped.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["Dispatcher"]

log = logging.getLogger(__name__)

_STOP = object()


class Dispatcher:
    """A queue of calls and the thread that makes them (started on first use)."""

    def __init__(self, name: str = "csup-dispatch") -> None:
        self._name = name
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    def call(self, fn: Callable[..., object], *args: Any, **kwargs: Any) -> None:
        """Make ``fn(*args, **kwargs)`` on the dispatcher's thread, after the calls before it."""
        with self._lock:
            if self._closed:
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
        self._queue.put((fn, args, kwargs))

    def close(self, timeout: float = 5.0) -> bool:
        """Make the calls queued so far, then end the thread; ``False`` if it did not end in
        time (a subscriber that hangs: it is a daemon and holds nothing else up)."""
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is None:
            return True
        self._queue.put(_STOP)
        thread.join(timeout)
        return not thread.is_alive()

    def _run(self) -> None:
        while (item := self._queue.get()) is not _STOP:
            fn, args, kwargs = item
            try:
                fn(*args, **kwargs)
            except Exception:
                log.exception("csup: a subscriber's callback raised; ignored")
