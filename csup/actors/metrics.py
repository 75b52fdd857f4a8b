"""The metrics actor: per-session and total statistics, and the ``stats_updated`` signal."""

from __future__ import annotations

from typing import Any

import pykka

from csup import signals
from csup.actors.messages import (
    EventCounted,
    Finished,
    GetTotals,
    Queued,
    Started,
    StatsChanged,
)
from csup.clock import Clock
from csup.dispatch import Dispatcher
from csup.stats import StatsBook

__all__ = ["MetricsActor"]


class MetricsActor(pykka.ThreadingActor):
    """Keeps a :class:`~csup.stats.StatsBook` fed by the other actors' messages."""

    def __init__(self, *, sender: Any, clock: Clock, dispatch: Dispatcher) -> None:
        super().__init__()
        self._dispatch = dispatch
        self._book = StatsBook()
        self._sender = sender
        self._clock = clock

    def on_receive(self, message: Any) -> Any:
        match message:
            case EventCounted(session_id=session_id, count=count):
                self._book.event(session_id, count)
            case StatsChanged(session_id=session_id, stats=stats):
                self._book.update(session_id, stats)
                self._publish()
            case Queued(session_id=session_id):
                self._book.queued(session_id)
            case Started(session_id=session_id, at=at):
                self._book.started(session_id, at)
            case Finished(result=result, at=at):
                self._book.finished(result, at)
                self._publish()
            case GetTotals():
                return self._book.totals(self._clock.monotonic())
            case _:
                return super().on_receive(message)
        return None

    def _publish(self) -> None:
        if signals.stats_updated.receivers:
            totals = self._book.totals(self._clock.monotonic())
            self._dispatch.call(signals.send, signals.stats_updated, self._sender, stats=totals)
