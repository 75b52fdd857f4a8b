"""Test harness for csup: a scripted Messages API for the real claude binary, a fake claude.

Standard library only, so that tests, ``csup demo`` and users' own policy tests can import it
cheaply::

    from csup.testing import ScriptedModel, text, tool, claude_env

Names are loaded on first use, so that ``python -m csup.testing.model_server`` does not import
its own module twice.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from csup.testing.env import claude_env
    from csup.testing.model_server import RecordedRequest, ScriptedModel, ToolResult
    from csup.testing.script import (
        Block,
        Review,
        ReviewScript,
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
    "Review",
    "ReviewScript",
    "ScriptedModel",
    "ToolResult",
    "Turn",
    "claude_env",
    "fake_claude_path",
    "load_scenarios",
    "parse_scenarios",
    "text",
    "tool",
    "turn",
]

_HOMES = {
    "claude_env": "env",
    "RecordedRequest": "model_server",
    "ScriptedModel": "model_server",
    "ToolResult": "model_server",
    "Block": "script",
    "Review": "script",
    "ReviewScript": "script",
    "Turn": "script",
    "load_scenarios": "script",
    "parse_scenarios": "script",
    "text": "script",
    "tool": "script",
    "turn": "script",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'csup.testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"csup.testing.{home}"), name)
    globals()[name] = value
    return value


def fake_claude_path() -> Path:
    """The fake claude as an executable file (usable as csup's ``--claude-bin``).

    See :mod:`csup.testing.fake_claude`; ``python -m csup.testing.fake_claude`` is the same.
    """
    return Path(__file__).with_name("fake-claude")
