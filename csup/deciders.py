"""Deciders that may block, run on worker threads, so a slow decision costs only its own call.

A user's callable (``(ToolCall) -> decision``), a reviewer or a person can take seconds or
hang. :class:`DeciderPool` runs such calls on daemon worker threads, as many at once as there
are calls waiting (up to ``max_workers``); a worker ends when it has been idle a while. A
hung call holds one worker; the session denies it at its own decision deadline, and every
other call goes on. :meth:`DeciderPool.close` denies what still waits and raises
:class:`DeciderAbandoned` into the workers still busy, so a decider stuck in Python code ends
there; one stuck inside a C call (``time.sleep``, a lock) cannot be ended by any Python code,
and is left as a daemon thread that keeps nothing else alive and whose answer is ignored.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable

from csup.calls import Decision, ToolCall

__all__ = [
    "AsyncCallableDecider",
    "CallableDecider",
    "DeciderAbandoned",
    "DeciderPool",
    "NoDecider",
]

log = logging.getLogger(__name__)

Reply = Callable[[Decision], None]
_SHUT = "csup shut down before deciding; denied"
Job = tuple[Callable[[ToolCall], object], ToolCall, Reply, str]


class DeciderAbandoned(BaseException):
    """Raised into a decider thread still busy when its pool closes."""


def decide_safely(fn: Callable[[ToolCall], object], call: ToolCall, source: str) -> Decision:
    """Run a decider and read its answer; whatever it raises is a deny."""
    try:
        return Decision.coerce(fn(call), source)
    except Exception as exc:
        log.exception("csup: the decider raised for %s", call.tool_name)
        return Decision("deny", f"csup policy error, denied: {exc}", "csup.policy-error", "csup")


class DeciderPool:
    """Worker threads for deciders that may block. Thread-safe."""

    def __init__(self, name: str = "csup-decider", *, max_workers: int = 64, linger: float = 2.0):
        self._name = name
        self._max = max_workers
        self._linger = linger
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._idle = 0
        self._workers: dict[int, threading.Thread] = {}
        self._busy: set[int] = set()
        self._count = 0
        self._closed = False

    @property
    def threads(self) -> list[threading.Thread]:
        with self._lock:
            return list(self._workers.values())

    def submit(
        self,
        fn: Callable[[ToolCall], object],
        call: ToolCall,
        reply: Reply,
        source: str = "callable",
    ) -> None:
        """Decide ``call`` with ``fn`` on a worker; ``reply`` gets the decision."""
        with self._lock:
            if self._closed:
                closed = True
            else:
                closed = False
                self._queue.put((fn, call, reply, source))
                if self._idle == 0 and len(self._workers) < self._max:
                    self._spawn()
        if closed:
            reply(Decision("deny", _SHUT, "csup.shutdown", "csup"))

    def _spawn(self) -> None:
        self._count += 1
        thread = threading.Thread(
            target=self._work, name=f"{self._name}-{self._count}", daemon=True
        )
        thread.start()
        assert thread.ident is not None
        self._workers[thread.ident] = thread

    def _work(self) -> None:
        me = threading.get_ident()
        try:
            while True:
                with self._lock:
                    self._idle += 1
                try:
                    job = self._queue.get(timeout=self._linger)
                    if job is None:  # close(): an idle worker ends at once
                        with self._lock:
                            self._idle -= 1
                        return
                except queue.Empty:
                    with self._lock:
                        self._idle -= 1
                        if self._queue.empty() or self._closed:
                            return
                    continue
                fn, call, reply, source = job
                with self._lock:
                    self._idle -= 1
                    closed = self._closed
                    if not closed:
                        self._busy.add(me)
                if closed:
                    reply(Decision("deny", _SHUT, "csup.shutdown", "csup"))
                    return
                decision = decide_safely(fn, call, source)
                with self._lock:
                    self._busy.discard(me)
                try:
                    reply(decision)
                except Exception:
                    log.exception("csup: handing a decision to its session failed")
        except DeciderAbandoned:
            log.info("csup: a decider still running at shutdown was abandoned")
        finally:
            with self._lock:
                self._workers.pop(me, None)
                self._busy.discard(me)

    def close(self, wait: float = 0.5) -> None:
        """Take no more calls; deny those waiting; end the busy workers (module docstring)."""
        with self._lock:
            self._closed = True
            busy = [self._workers[i] for i in self._busy if i in self._workers]
            idle = len(self._workers) - len(busy)
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                with contextlib.suppress(Exception):
                    job[2](Decision("deny", _SHUT, "csup.shutdown", "csup"))
        for _ in range(idle):
            self._queue.put(None)
        for thread in busy:
            _raise_in(thread, DeciderAbandoned)
        deadline = time.monotonic() + wait
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))


def _raise_in(thread: threading.Thread, exc: type[BaseException]) -> None:
    import ctypes  # noqa: PLC0415 - only at shutdown, only with a decider still busy

    if thread.ident is None or not thread.is_alive():
        return
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(exc))


class CallableDecider:
    """A blocking callable ``(ToolCall) -> decision``, run on a :class:`DeciderPool`."""

    def __init__(self, fn: Callable[[ToolCall], object], pool: DeciderPool) -> None:
        self._fn = fn
        self._pool = pool

    def ask(self, call: ToolCall, reply: Reply) -> None:
        self._pool.submit(self._fn, call, reply)


class AsyncCallableDecider:
    """A callable ``(ToolCall, respond) -> None`` that answers through ``respond`` (once,
    from any thread, maybe later); what it passes to ``respond`` is read as a decision."""

    def __init__(self, fn: Callable[[ToolCall, Callable[[object], None]], None]) -> None:
        self._fn = fn

    def ask(self, call: ToolCall, reply: Reply) -> None:
        self._fn(call, lambda value: reply(Decision.coerce(value)))


class NoDecider:
    """No policy at all: every tool call is denied."""

    def ask(self, call: ToolCall, reply: Reply) -> None:
        reply(Decision("deny", "no policy is configured", "csup.no-policy", "csup"))
