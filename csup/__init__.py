"""csup: run many Claude Code sessions in parallel under one policy.

The package imports nothing heavy at import time: ``csup hook`` runs once per tool call
inside interactive Claude Code and must start fast. Public names are loaded on first use.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = [
    "AggregatedStats",
    "CsupError",
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
    "ToolCall": "csup.claude.result",
    "run_session": "csup.claude.runner",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'csup' has no attribute {name!r}")
    import importlib  # noqa: PLC0415 - lazy on purpose

    return getattr(importlib.import_module(module), name)
