"""The messages actors tell each other: frozen dataclasses, matched in ``on_receive``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from csup.calls import Decision, ToolCall
from csup.claude.events import Diagnostic, Event
from csup.claude.options import SessionOptions
from csup.claude.result import SessionResult
from csup.claude.stats import StatsSnapshot


@dataclass(frozen=True, slots=True)
class SessionSpec:
    """A task to run: what the coordinator queues and a session actor runs."""

    session_id: str
    task: str
    options: SessionOptions


# -- to the coordinator ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Submit:
    """Queue a session; it starts when a slot is free."""

    spec: SessionSpec


@dataclass(frozen=True, slots=True)
class TryStart:
    """Start a session only if a slot is free now (asked; answers ``True`` or ``False``)."""

    spec: SessionSpec


@dataclass(frozen=True, slots=True)
class StopSession:
    """Stop one session (queued or running). Also told to a session actor."""

    session_id: str
    reason: str
    killed: bool = False
    force: bool = False


@dataclass(frozen=True, slots=True)
class StopAll:
    """Stop every session and drop the queue."""

    reason: str
    killed: bool = False
    force: bool = False


@dataclass(frozen=True, slots=True)
class SessionEnded:
    """A session actor's claude has ended: its slot is free."""

    result: SessionResult


@dataclass(frozen=True, slots=True)
class CostReported:
    """A session's cost so far (after each of claude's results), for the run's budget."""

    session_id: str
    cost_usd: float


# -- to a session actor ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventArrived:
    event: Event | Diagnostic


@dataclass(frozen=True, slots=True)
class ToolCalled:
    call: ToolCall


@dataclass(frozen=True, slots=True)
class DecisionApplied:
    call: ToolCall
    verdict: Decision


@dataclass(frozen=True, slots=True)
class ClaudeFinished:
    result: SessionResult


# -- to the policy actor --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Decide:
    """Decide on ``call`` and hand the decision to ``respond`` (thread-safe, exactly once)."""

    call: ToolCall
    respond: Callable[[Decision], None]


@dataclass(frozen=True, slots=True)
class Crash:
    """Make the receiving actor fail (used to test that csup fails closed)."""

    error: str = "crash requested"


# -- to the metrics actor -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Queued:
    session_id: str


@dataclass(frozen=True, slots=True)
class Started:
    session_id: str
    at: float


@dataclass(frozen=True, slots=True)
class EventCounted:
    session_id: str


@dataclass(frozen=True, slots=True)
class StatsChanged:
    session_id: str
    stats: StatsSnapshot


@dataclass(frozen=True, slots=True)
class Finished:
    result: SessionResult
    at: float


@dataclass(frozen=True, slots=True)
class GetTotals:
    """Asked: the current :class:`~csup.stats.AggregatedStats`."""


@dataclass(frozen=True, slots=True)
class Ping:
    """Asked: answers ``True`` once every message before it has been handled."""

    payload: Any = None
