"""The one exception hierarchy of csup.

Every error csup raises on purpose is a :class:`CsupError`; its message says what went wrong
and what to do about it::

    CsupError
    ├── ConfigError            a bad option, config or policy file
    │   └── PolicyFileError    a policy file that cannot be read or parsed (names file, line, key)
    ├── ClaudeError            the claude process could not do its job
    │   ├── ClaudeNotFoundError    no claude binary where csup looked
    │   ├── ClaudeStartError       the binary exists but could not be started
    │   └── ProtocolError          claude said something csup cannot understand
    ├── PolicyError            a decision could not be made (csup then denies: it fails closed)
    │   └── EscalationError        an escalated call could not be settled (csup denies it)
    │       ├── ReviewerError          the reviewer model gave no usable verdict
    │       │   └── SpendingLimitReached   the run's reviewer spending limit is used up
    │       └── NoTerminalError        a person was to be asked, but csup has no terminal
    ├── SessionError           a supervised session could not be started, found or run
    │   ├── SessionNotFound        no session with that id
    │   ├── MaxSessionsReached     every slot is taken and the caller would not wait
    │   ├── SupervisorStopped      the supervisor has been shut down
    │   └── RayBackendError        the Ray cluster cannot be reached or cannot run a session
    ├── RecordError            the record (csup's SQLite database) cannot be opened, read or written
    └── WorktreeError          a session's git worktree could not be made, finished or merged
        └── NotAGitRepository      the directory is not inside a git repository with a work tree
"""

from __future__ import annotations

__all__ = [
    "ClaudeError",
    "ClaudeNotFoundError",
    "ClaudeStartError",
    "ConfigError",
    "CsupError",
    "EscalationError",
    "MaxSessionsReached",
    "NoTerminalError",
    "NotAGitRepository",
    "PolicyError",
    "PolicyFileError",
    "ProtocolError",
    "RayBackendError",
    "RecordError",
    "ReviewerError",
    "SessionError",
    "SessionNotFound",
    "SpendingLimitReached",
    "SupervisorStopped",
    "WorktreeError",
]


class CsupError(Exception):
    """Base class of every error csup raises on purpose."""


class ConfigError(CsupError):
    """A bad option, environment variable, config or policy file."""


class PolicyFileError(ConfigError):
    """A policy file that cannot be read or parsed.

    The message names the file, and where known the line and the key.
    """

    def __init__(
        self, path: str, message: str, *, line: int | None = None, key: str | None = None
    ) -> None:
        where = path if line is None else f"{path}, line {line}"
        if key is not None:
            where = f"{where}, key {key!r}"
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line
        self.key = key


class ClaudeError(CsupError):
    """The claude process could not do its job."""


class ClaudeNotFoundError(ClaudeError):
    """No claude binary where csup looked (``--claude-bin``, ``CSUP_CLAUDE_BIN``, project, PATH)."""


class ClaudeStartError(ClaudeError):
    """The claude binary exists but could not be started."""


class ProtocolError(ClaudeError):
    """Claude wrote something csup cannot understand, or broke the control protocol."""


class PolicyError(CsupError):
    """A decision could not be made. csup answers such a tool call with a deny."""


class EscalationError(PolicyError):
    """An "ask" that neither the reviewer nor a person could settle; csup denies the call."""


class ReviewerError(EscalationError):
    """The reviewer model gave no usable verdict: no API key, an API error, a timeout, or
    an answer that is not a well-formed ``review_decision``."""


class SpendingLimitReached(ReviewerError):
    """The reviewer's spending limit for this run is used up; no more reviews are made."""


class NoTerminalError(EscalationError):
    """A person was to be asked, but csup runs without a terminal (CI, a pipe)."""


class SessionError(CsupError):
    """A supervised session could not be started, found or run."""


class SessionNotFound(SessionError):
    """No session with that id is queued, running or finished in this supervisor."""

    def __init__(self, session_id: str) -> None:
        super().__init__(f"No session with id {session_id!r} in this supervisor")
        self.session_id = session_id


class MaxSessionsReached(SessionError):
    """Every session slot is taken and the caller asked not to wait."""

    def __init__(self, max_sessions: int) -> None:
        super().__init__(f"Maximum sessions reached: {max_sessions}")
        self.max_sessions = max_sessions


class SupervisorStopped(SessionError):
    """The supervisor was shut down; it takes no more sessions."""


class RayBackendError(SessionError):
    """The Ray backend cannot connect to its cluster, or cannot ship a session to it."""


class RecordError(CsupError):
    """The record (csup's SQLite database of runs) cannot be opened, read or written.

    Raised when the record is required (``require=True``) and cannot be written, and by the
    read commands (``csup log``, ``show``, ``export``) for a missing or corrupt database or an
    unknown id.
    """


class WorktreeError(CsupError):
    """A session's git worktree could not be made, finished, merged, listed or cleaned.

    The message names the repository and what git said, and what to do about it.
    """


class NotAGitRepository(WorktreeError):
    """The directory is not inside a git repository, or the repository has no work tree."""
