"""The one vocabulary every part of csup speaks: a tool call, and the decision on it.

A :class:`ToolCall` is what claude asks to run, exactly as it sent it; a :class:`Decision`
is what csup answers. The session core, the policy engine, the escalation chain, the record
and ``csup hook`` all pass these two values, and nothing else::

    from csup.calls import Decision, ToolCall

    call = ToolCall("Bash", {"command": "rm -rf ~"}, cwd="/work/project")
    decision = Decision("deny", "Blocked `rm -rf ~`: ...", "fs.rm-root-or-home")

Cheap to import (no :mod:`dataclasses`, no :mod:`typing` at run time): ``csup hook`` loads
it once per tool call.
"""

from __future__ import annotations

from csup._record import Frozen

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, Literal

    Behavior = Literal["allow", "deny", "ask"]

__all__ = ["SOURCES", "Decision", "ToolCall", "allow", "ask", "deny", "settle"]

_set = object.__setattr__

SOURCES = ("policy", "callable", "reviewer", "human", "hook", "csup")
"""Who can make a decision: csup's policy engine, a user's callable, the reviewer model, a
person, Claude Code's hook path, or csup itself (a timeout, a stop, a failure)."""


class ToolCall(Frozen):
    """One tool call claude wants to make, waiting for a decision.

    ``cwd`` is the session's working directory: the root of the workspace the call is judged
    against. ``kind`` says how claude asked: ``"hook"`` (a PreToolUse hook callback, for every
    tool), ``"can_use_tool"`` (claude's own permission prompt), or ``"check"`` (``csup check``).
    ``agent_id`` is set for a subagent's call.
    """

    __slots__ = (  # noqa: RUF023 - constructor order
        "tool_name",
        "tool_input",
        "cwd",
        "session_id",
        "tool_use_id",
        "agent_id",
        "kind",
    )

    tool_name: str
    tool_input: Mapping[str, Any]
    cwd: str
    session_id: str | None
    tool_use_id: str | None
    agent_id: str | None
    kind: str

    def __init__(
        self,
        tool_name: str,
        tool_input: Mapping[str, Any],
        cwd: str,
        session_id: str | None = None,
        *,
        tool_use_id: str | None = None,
        agent_id: str | None = None,
        kind: str = "hook",
    ) -> None:
        _set(self, "tool_name", tool_name)
        _set(self, "tool_input", tool_input)
        _set(self, "cwd", cwd)
        _set(self, "session_id", session_id)
        _set(self, "tool_use_id", tool_use_id)
        _set(self, "agent_id", agent_id)
        _set(self, "kind", kind)

    def summary(self, width: int = 120) -> str:
        """The call in one line: its command, path or URL (raw text: escape it to print it)."""
        data = self.tool_input
        for key in ("command", "file_path", "notebook_path", "path", "url", "pattern", "query"):
            value = data.get(key)
            if isinstance(value, str) and value:
                text = value
                break
        else:
            text = ""
            for key, value in data.items():
                text = f"{key}={value!r}"
                break
        return text if len(text) <= width else text[: width - 1] + "…"


class Decision(Frozen):
    """What to do with a tool call, why, which rule said so, and who decided.

    ``behavior`` is ``allow``, ``deny`` or ``ask`` (escalate: a reviewer or a person
    decides, and where nobody can be asked it is a deny). ``reason`` is read by a person and
    by claude (as the tool result of a denied call): what was blocked, why, and what to do
    instead. ``source`` is one of :data:`SOURCES`. ``requested`` keeps the behaviour the
    first decider gave when the final decision differs (an ``ask`` that became a deny).
    """

    __slots__ = ("behavior", "reason", "rule", "source", "requested")  # noqa: RUF023

    behavior: Behavior
    reason: str
    rule: str
    source: str
    requested: str

    def __init__(
        self,
        behavior: Behavior,
        reason: str,
        rule: str = "",
        source: str = "policy",
        requested: str = "",
    ) -> None:
        _set(self, "behavior", behavior)
        _set(self, "reason", reason)
        _set(self, "rule", rule)
        _set(self, "source", source)
        _set(self, "requested", requested)

    @property
    def allowed(self) -> bool:
        return self.behavior == "allow"

    @classmethod
    def coerce(cls, value: object, source: str = "callable") -> Decision:
        """Read whatever a decider returned: a :class:`Decision` as it is; any object with
        ``behavior`` ("allow", "deny" or "ask"), ``reason`` and optionally ``rule`` as one;
        anything else is a deny (csup fails closed)."""
        if isinstance(value, Decision):
            return value
        behavior = getattr(value, "behavior", None)
        if behavior in ("allow", "deny", "ask"):
            reason = str(getattr(value, "reason", "") or "")
            rule = str(getattr(value, "rule", "") or "")
            fallback = {"allow": "allowed", "deny": "denied", "ask": "needs approval"}
            return cls(behavior, reason or f"{fallback[behavior]} by csup policy", rule, source)
        return cls(
            "deny",
            f"csup could not read the decision {value!r}; denied",
            "csup.bad-decision",
            "csup",
        )


def allow(rule: str, reason: str) -> Decision:
    """An allow decision of csup's policy."""
    return Decision("allow", reason, rule)


def deny(rule: str, reason: str, source: str = "policy") -> Decision:
    """A deny decision (``source="csup"`` for csup's own: a timeout, a stop, a failure)."""
    return Decision("deny", reason, rule, source)


def ask(rule: str, reason: str) -> Decision:
    """An ask (escalate) decision of csup's policy."""
    return Decision("ask", reason, rule)


def settle(decision: Decision, why_no_route: str = "no approver is configured") -> Decision:
    """The decision to write to claude when nobody can be asked: an ``ask`` becomes a deny
    that says so; allow and deny stand."""
    if decision.behavior != "ask":
        return decision
    reason = decision.reason or "this tool call needs approval"
    return Decision(
        "deny", f"{reason} (needs approval, and {why_no_route})", decision.rule, "csup", "ask"
    )
