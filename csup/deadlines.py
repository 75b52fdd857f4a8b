"""One shared timer thread for every deadline csup keeps (decision timeouts, session limits).

A ``threading.Timer`` per tool call would start a thread per call; this keeps a heap and one
daemon thread. Callbacks run on that thread and must be quick; an exception in one is logged
and does not stop the others.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

__all__ = ["Deadline", "DeadlineScheduler", "schedule"]

log = logging.getLogger(__name__)


class Deadline:
    """A scheduled callback; :meth:`cancel` keeps it from running."""

    __slots__ = ("_callback", "_cancelled", "when")

    def __init__(self, when: float, callback: Callable[[], object]) -> None:
        self.when = when
        self._callback = callback
        self._cancelled = False

    def cancel(self) -> None:
        self._cancelled = True

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def _fire(self) -> None:
        if not self._cancelled:
            self._callback()


class DeadlineScheduler:
    """Runs callbacks at monotonic deadlines on one daemon thread (started on first use)."""

    def __init__(self, name: str = "csup-deadlines") -> None:
        self._name = name
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Deadline]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    def schedule(self, delay: float, callback: Callable[[], object]) -> Deadline:
        deadline = Deadline(time.monotonic() + max(0.0, delay), callback)
        with self._cond:
            heapq.heappush(self._heap, (deadline.when, next(self._seq), deadline))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._cond.notify()
        return deadline

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    while self._heap and self._heap[0][2].cancelled:
                        heapq.heappop(self._heap)
                    if not self._heap:
                        self._cond.wait()
                        continue
                    delay = self._heap[0][0] - time.monotonic()
                    if delay <= 0:
                        _, _, due = heapq.heappop(self._heap)
                        break
                    self._cond.wait(delay)
            try:
                due._fire()
            except Exception:
                log.exception("csup: a deadline callback failed")


_shared = DeadlineScheduler()


def schedule(delay: float, callback: Callable[[], object]) -> Deadline:
    """Run ``callback`` after ``delay`` seconds on the shared scheduler thread."""
    return _shared.schedule(delay, callback)
