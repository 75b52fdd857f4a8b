"""What a session asks (:class:`ToolCall`) and how it ended (:class:`SessionResult`)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from csup.claude.stats import StatsSnapshot, Tokens

__all__ = [
    "Cancelled",
    "Completed",
    "DeniedCall",
    "Failed",
    "Killed",
    "Outcome",
    "ProcessExited",
    "SessionResult",
    "SessionStatus",
]


class SessionStatus(enum.StrEnum):
    """How a session ended.

    ``completed``: claude finished its turn without error. ``failed``: claude reported an
    error, crashed, exited early or could not be started. ``cancelled``: someone asked it to
    stop. ``killed``: csup stopped it because it went over a limit (time, idle, cost).
    ``lost``: the machine it ran on went away (a Ray node died): how it ended is unknown.
    """

    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    KILLED = "killed"
    LOST = "lost"


@dataclass(frozen=True, slots=True)
class DeniedCall:
    """A tool call of the session that was not allowed, as the summary and ``--json`` show it."""

    tool: str
    input: str  # a one-line summary of the call (its command, path or URL)
    rule: str
    reason: str
    requested: str = ""  # "ask" when the policy asked and nobody could approve


@dataclass(frozen=True, slots=True)
class Completed:
    """claude finished its task."""

    claude_session_id: str | None
    cost_usd: float


@dataclass(frozen=True, slots=True)
class Killed:
    """csup stopped the session because it broke a limit."""

    reason: str


@dataclass(frozen=True, slots=True)
class ProcessExited:
    """claude exited (or crashed) before it finished its turn."""

    exit_code: int | None
    stderr_tail: str


@dataclass(frozen=True, slots=True)
class Cancelled:
    """Someone stopped the session."""

    reason: str


@dataclass(frozen=True, slots=True)
class Failed:
    """The session failed for another reason (start-up, claude's own error ...)."""

    error: str


Outcome = Completed | Killed | ProcessExited | Cancelled | Failed


@dataclass(frozen=True, slots=True)
class SessionResult:
    """The end of one session: its status, figures, and why it failed if it did."""

    session_id: str
    task: str
    status: SessionStatus
    claude_session_id: str | None = None
    error: str | None = None
    exit_code: int | None = None
    stderr_tail: str = ""
    result_text: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_s: float = 0.0
    stats: StatsSnapshot = field(default_factory=StatsSnapshot)
    diagnostics: tuple[str, ...] = ()
    # True when claude exited on its own before finishing a turn (a crash, an early exit).
    exited_early: bool = False
    # The tool calls that were not allowed (the first 100), with their rules and reasons.
    denied: tuple[DeniedCall, ...] = ()
    # Calls allowed that the summary names all the same (they touched the user's own work).
    noted: tuple[DeniedCall, ...] = ()
    # How many times the --until check ran (0: no check).
    rounds: int = 0
    # It stopped on an API usage or rate limit; when that limit resets (epoch s), if claude said.
    limited: bool = False
    limit_resets_at: float | None = None
    # Its git worktree, once finished (a csup.worktree.WorktreeReport), with --worktree.
    worktree: Any = None
    # Where it ran, with a backend that runs sessions elsewhere (the Ray node); None locally.
    node: str | None = None

    @property
    def outcome(self) -> Outcome:
        """The end of the session as one of the outcome kinds, with its details."""
        if self.status is SessionStatus.COMPLETED:
            return Completed(self.claude_session_id, self.stats.cost_usd)
        if self.status is SessionStatus.KILLED:
            return Killed(self.error or "killed")
        if self.status is SessionStatus.CANCELLED:
            return Cancelled(self.error or "cancelled")
        if self.exited_early:
            return ProcessExited(self.exit_code, self.stderr_tail)
        return Failed(self.error or "failed")

    @property
    def ok(self) -> bool:
        return self.status is SessionStatus.COMPLETED

    @property
    def cost_usd(self) -> float:
        return self.stats.cost_usd

    @property
    def turns(self) -> int:
        return self.stats.turns

    @property
    def tokens(self) -> Tokens:
        return self.stats.tokens

    @property
    def tool_calls(self) -> int:
        return self.stats.tool_calls

    @property
    def approvals(self) -> int:
        return self.stats.approvals

    @property
    def denials(self) -> int:
        return self.stats.denials
