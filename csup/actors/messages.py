"""The messages actors tell each other: frozen dataclasses, matched in ``on_receive``.

A session actor's own inbox takes the owner's messages (:mod:`csup.session.owner`: claude's
output and exit, decisions, stops, ticks); the ones here are for the other actors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from csup.calls import Decision, ToolCall
from csup.claude.options import SessionOptions
from csup.claude.result import SessionResult
from csup.claude.stats import StatsSnapshot


@dataclass(frozen=True, slots=True)
class SessionSpec:
    """A task to run: what the coordinator queues and a session actor runs.

    ``policy`` is what decides its tool calls: a :class:`csup.policy.Policy` (decided on the
    policy actor's thread) or any callable ``(ToolCall) -> decision`` (run on a worker).
    """

    session_id: str
    task: str
    options: SessionOptions
    policy: Any = None
    resumed_from: str | None = None  # the recorded session this one continues
    run_id: str = ""  # the run it belongs to (names its worktree branch)


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
    """Stop one session (queued or running)."""

    session_id: str
    reason: str
    killed: bool = False
    force: bool = False


@dataclass(frozen=True, slots=True)
class Forward:
    """Asked: hand ``message`` (a prompt, an end of input) to a running session; ``True``
    if it was running."""

    session_id: str
    message: Any


@dataclass(frozen=True, slots=True)
class StopAll:
    """Stop every session and drop the queue."""

    reason: str
    killed: bool = False
    force: bool = False


@dataclass(frozen=True, slots=True)
class SlotFree:
    """A session has ended: its slot is free."""

    session_id: str


@dataclass(frozen=True, slots=True)
class CostReported:
    """A session's cost so far (after each of claude's results), for the run's budget."""

    session_id: str
    cost_usd: float


# -- to the policy actor --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Decide:
    """Decide on ``call`` with ``policy`` and hand the decision to ``reply`` (exactly once)."""

    call: ToolCall
    policy: Any
    reply: Callable[[Decision], None]
    context: Any = None  # a csup.escalation.ReviewContext, for an "ask" to escalate
    memory: Any = None  # the session's csup.policy.SessionMemory (policy actor's thread only)


@dataclass(frozen=True, slots=True)
class Observe:
    """An escalated decision was made: let the session's memory learn from it."""

    memory: Any
    call: ToolCall
    decision: Decision


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
    """``count`` more events of a session (sent at the end of each turn and at its end, not
    per event: the metrics actor is not woken for every line)."""

    session_id: str
    count: int = 1


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
