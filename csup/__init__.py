"""csup: run many Claude Code sessions in parallel under one policy.

The package imports nothing heavy at import time: ``csup hook`` runs once per tool call
inside interactive Claude Code and must start fast. Public names are loaded on first use.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (csup hook starts fast)

__version__ = "0.1.0"

if TYPE_CHECKING:  # what type checkers see; at run time __getattr__ loads on first use
    from csup.board import SessionInfo
    from csup.calls import Decision, ToolCall
    from csup.claude.options import SessionOptions
    from csup.claude.result import SessionResult, SessionStatus
    from csup.claude.runner import run_session
    from csup.errors import CsupError, MaxSessionsReached, SessionNotFound
    from csup.stats import AggregatedStats
    from csup.supervisor import MultiSessionSupervisor

__all__ = [
    "AggregatedStats",
    "CsupError",
    "Decision",
    "MaxSessionsReached",
    "MultiSessionSupervisor",
    "SessionInfo",
    "SessionNotFound",
    "SessionOptions",
    "SessionResult",
    "SessionStatus",
    "ToolCall",
    "__version__",
    "run_session",
]

_LAZY = {
    "AggregatedStats": "csup.stats",
    "CsupError": "csup.errors",
    "MaxSessionsReached": "csup.errors",
    "MultiSessionSupervisor": "csup.supervisor",
    "SessionInfo": "csup.board",
    "SessionNotFound": "csup.errors",
    "SessionOptions": "csup.claude.options",
    "SessionResult": "csup.claude.result",
    "SessionStatus": "csup.claude.result",
    "ToolCall": "csup.calls",
    "Decision": "csup.calls",
    "run_session": "csup.claude.runner",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'csup' has no attribute {name!r}")
    import importlib  # noqa: PLC0415 - lazy on purpose

    return getattr(importlib.import_module(module), name)
