"""The two values every policy front end exchanges: a tool request and the decision on it."""

from __future__ import annotations

from csup.policy._record import Frozen

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, Literal

    Behavior = Literal["allow", "deny", "ask"]

_set = object.__setattr__


class ToolRequest(Frozen):
    """One tool call Claude wants to make, exactly as Claude sent it.

    ``cwd`` is the session's working directory: the root of the workspace the call is judged
    against.
    """

    __slots__ = ("tool_name", "tool_input", "cwd", "session_id")  # noqa: RUF023 - constructor order

    tool_name: str
    tool_input: Mapping[str, Any]
    cwd: str
    session_id: str | None

    def __init__(
        self,
        tool_name: str,
        tool_input: Mapping[str, Any],
        cwd: str,
        session_id: str | None = None,
    ) -> None:
        _set(self, "tool_name", tool_name)
        _set(self, "tool_input", tool_input)
        _set(self, "cwd", cwd)
        _set(self, "session_id", session_id)


class Decision(Frozen):
    """What to do with a tool call, why, and which rule said so.

    ``reason`` is read by a person (in logs and ``csup check``) and by Claude (as the tool
    result of a denied call), so it says what was blocked, why, and what to do instead.
    ``ask`` means escalate; a caller without an escalation route treats it as ``deny``.
    """

    __slots__ = ("behavior", "reason", "rule")

    behavior: Behavior
    reason: str
    rule: str

    def __init__(self, behavior: Behavior, reason: str, rule: str) -> None:
        _set(self, "behavior", behavior)
        _set(self, "reason", reason)
        _set(self, "rule", rule)


def allow(rule: str, reason: str) -> Decision:
    """An allow decision."""
    return Decision("allow", reason, rule)


def deny(rule: str, reason: str) -> Decision:
    """A deny decision."""
    return Decision("deny", reason, rule)


def ask(rule: str, reason: str) -> Decision:
    """An ask (escalate) decision."""
    return Decision("ask", reason, rule)
