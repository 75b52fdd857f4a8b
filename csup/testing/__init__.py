"""Test harness for csup: a scripted Messages API for the real claude binary, a fake claude.

Standard library only, so that tests, ``csup demo`` and users' own policy tests can import it
cheaply::

    from csup.testing import ScriptedModel, text, tool, claude_env
"""

from __future__ import annotations

from csup.testing.env import claude_env
from csup.testing.model_server import RecordedRequest, ScriptedModel, ToolResult
from csup.testing.script import (
    Block,
    Turn,
    load_scenarios,
    parse_scenarios,
    text,
    tool,
    turn,
)

__all__ = [
    "Block",
    "RecordedRequest",
    "ScriptedModel",
    "ToolResult",
    "Turn",
    "claude_env",
    "load_scenarios",
    "parse_scenarios",
    "text",
    "tool",
    "turn",
]
