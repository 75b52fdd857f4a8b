"""One shared timer thread for every deadline csup keeps (decision timeouts, session limits).

A ``threading.Timer`` per tool call would start a thread per call; this keeps a heap and one
daemon thread. Callbacks run on that thread and must be quick; an exception in one is logged
and does not stop the others. The thread ends once nothing is pending for a short while, so
a finished run leaves no csup thread behind.
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

_PENDING, _FIRED, _CANCELLED = 0, 1, 2


class Deadline:
    """A scheduled callback; :meth:`cancel` keeps it from running if it has not yet."""

    __slots__ = ("_callback", "_scheduler", "_state", "when")

    def __init__(
        self, when: float, callback: Callable[[], object], scheduler: DeadlineScheduler
    ) -> None:
        self.when = when
        self._callback = callback
        self._scheduler = scheduler
        self._state = _PENDING

    def cancel(self) -> None:
        self._scheduler._cancel(self)

    @property
    def cancelled(self) -> bool:
        return self._state == _CANCELLED


class DeadlineScheduler:
    """Runs callbacks at monotonic deadlines on one daemon thread.

    The thread starts on first use and ends when nothing has been pending for ``linger``
    seconds.
    """

    def __init__(self, name: str = "csup-deadlines", linger: float = 0.2) -> None:
        self._name = name
        self._linger = linger
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Deadline]] = []
        self._pending = 0
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    @property
    def thread(self) -> threading.Thread | None:
        """The timer thread, while it runs."""
        return self._thread

    def schedule(self, delay: float, callback: Callable[[], object]) -> Deadline:
        """Run ``callback`` after ``delay`` seconds, unless the deadline is cancelled first."""
        deadline = Deadline(time.monotonic() + max(0.0, delay), callback, self)
        with self._cond:
            heapq.heappush(self._heap, (deadline.when, next(self._seq), deadline))
            self._pending += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            elif self._heap[0][2] is deadline:
                # Only a new earliest deadline changes how long the thread must sleep.
                self._cond.notify()
        return deadline

    def _cancel(self, deadline: Deadline) -> None:
        # No wake-up here: cancelling is on every decision's path, and a cancelled entry is
        # dropped when the thread next looks. wake() makes an idle thread look now.
        with self._cond:
            if deadline._state != _PENDING:
                return
            deadline._state = _CANCELLED
            self._pending -= 1
            if self._pending == 0:
                self._heap.clear()

    def wake(self) -> None:
        """Let the thread drop cancelled deadlines now (and end soon if nothing is pending)."""
        with self._cond:
            self._cond.notify()

    def _next_due(self) -> Deadline | None:
        """Wait for the next due deadline; ``None`` when idle long enough to end the thread."""
        with self._cond:
            while True:
                while self._heap and self._heap[0][2]._state != _PENDING:
                    heapq.heappop(self._heap)
                if not self._heap:
                    if not self._cond.wait(self._linger) and not self._heap:
                        self._thread = None
                        return None
                    continue
                delay = self._heap[0][0] - time.monotonic()
                if delay <= 0:
                    _, _, due = heapq.heappop(self._heap)
                    due._state = _FIRED
                    self._pending -= 1
                    return due
                self._cond.wait(delay)

    def _run(self) -> None:
        while (due := self._next_due()) is not None:
            try:
                due._callback()
            except Exception:
                log.exception("csup: a deadline callback failed")


_shared = DeadlineScheduler()


def schedule(delay: float, callback: Callable[[], object]) -> Deadline:
    """Run ``callback`` after ``delay`` seconds on the shared scheduler thread."""
    return _shared.schedule(delay, callback)
