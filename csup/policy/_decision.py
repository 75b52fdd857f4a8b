"""The two values every policy front end exchanges: a tool request and the decision on it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Behavior = Literal["allow", "deny", "ask"]


@dataclass(frozen=True, slots=True)
class ToolRequest:
    """One tool call Claude wants to make, exactly as Claude sent it.

    ``cwd`` is the session's working directory: the root of the workspace the call is judged
    against.
    """

    tool_name: str
    tool_input: Mapping[str, Any]
    cwd: str
    session_id: str | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with a tool call, why, and which rule said so.

    ``reason`` is read by a person (in logs and ``csup check``) and by Claude (as the tool
    result of a denied call), so it says what was blocked, why, and what to do instead.
    ``ask`` means escalate; a caller without an escalation route treats it as ``deny``.
    """

    behavior: Behavior
    reason: str
    rule: str


def allow(rule: str, reason: str) -> Decision:
    """An allow decision."""
    return Decision("allow", reason, rule)


def deny(rule: str, reason: str) -> Decision:
    """A deny decision."""
    return Decision("deny", reason, rule)


def ask(rule: str, reason: str) -> Decision:
    """An ask (escalate) decision."""
    return Decision("ask", reason, rule)
