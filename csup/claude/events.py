"""Typed, lossless events from claude's stream-json output.

Every line claude prints becomes one :class:`Event`. Each keeps the raw dict it came from
(``event.raw``), so nothing claude says is lost even when csup does not model it; every field
but the type is optional, because Claude Code adds and drops fields between versions.
Lines that are not JSON objects become :class:`Diagnostic`, never an exception.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AssistantMessage",
    "Block",
    "ControlCancelRequest",
    "ControlRequest",
    "ControlResponse",
    "Diagnostic",
    "Event",
    "Result",
    "StreamEvent",
    "SystemEvent",
    "SystemInit",
    "TextBlock",
    "ThinkingBlock",
    "ToolResult",
    "ToolUseBlock",
    "UnknownBlock",
    "UnknownEvent",
    "UserMessage",
    "parse_event",
    "parse_line",
]

_EMPTY: Mapping[str, Any] = {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else _EMPTY


@dataclass(frozen=True, slots=True)
class Event:
    """One line of claude's output. ``raw`` is the line's JSON object, untouched."""

    raw: Mapping[str, Any] = field(repr=False)

    @property
    def type(self) -> str:
        """The line's ``type`` field (``""`` when missing)."""
        return _str(self.raw.get("type")) or ""

    @property
    def session_id(self) -> str | None:
        """Claude's session id, where the line carries one."""
        return _str(self.raw.get("session_id"))


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A line that is not a JSON object: kept as text, with why it could not be parsed."""

    line: str
    error: str


@dataclass(frozen=True, slots=True)
class UnknownEvent(Event):
    """A JSON line of a type csup does not model."""


@dataclass(frozen=True, slots=True)
class SystemInit(Event):
    """``system``/``init``: claude is ready, with its tools, model and permission mode."""

    cwd: str | None = None
    model: str | None = None
    tools: tuple[str, ...] = ()
    permission_mode: str | None = None


@dataclass(frozen=True, slots=True)
class SystemEvent(Event):
    """Any other ``system`` line (``task_started``, ``status``, ``hook_*`` ...)."""

    subtype: str | None = None


# -- content blocks -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Block:
    """One content block of an assistant or user message."""

    raw: Mapping[str, Any] = field(repr=False)


@dataclass(frozen=True, slots=True)
class TextBlock(Block):
    text: str = ""


@dataclass(frozen=True, slots=True)
class ThinkingBlock(Block):
    thinking: str = ""


@dataclass(frozen=True, slots=True)
class ToolUseBlock(Block):
    id: str | None = None
    name: str | None = None
    input: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ToolResult(Block):
    tool_use_id: str | None = None
    content: Any = None
    is_error: bool = False

    @property
    def text(self) -> str:
        """The result's content as text (string content, or text blocks joined)."""
        if isinstance(self.content, str):
            return self.content
        if isinstance(self.content, list):
            return "\n".join(
                str(part.get("text", "")) for part in self.content if isinstance(part, Mapping)
            )
        return ""


@dataclass(frozen=True, slots=True)
class UnknownBlock(Block):
    pass


def _block(raw: Any) -> Block:
    data = _map(raw)
    kind = data.get("type")
    if kind == "text":
        return TextBlock(data, text=_str(data.get("text")) or "")
    if kind == "thinking":
        return ThinkingBlock(data, thinking=_str(data.get("thinking")) or "")
    if kind == "tool_use":
        return ToolUseBlock(
            data,
            id=_str(data.get("id")),
            name=_str(data.get("name")),
            input=_map(data.get("input")),
        )
    if kind == "tool_result":
        return ToolResult(
            data,
            tool_use_id=_str(data.get("tool_use_id")),
            content=data.get("content"),
            is_error=data.get("is_error") is True,
        )
    return UnknownBlock(data)


def _blocks(message: Mapping[str, Any]) -> tuple[Block, ...]:
    content = message.get("content")
    if isinstance(content, str):
        return (TextBlock({"type": "text", "text": content}, text=content),)
    if isinstance(content, list):
        return tuple(_block(item) for item in content)
    return ()


# -- messages -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AssistantMessage(Event):
    """An ``assistant`` line: one or more content blocks of one model message.

    One API message may arrive as several lines with the same ``message_id`` and the same
    ``usage``: count usage once per message id.
    """

    message_id: str | None = None
    model: str | None = None
    blocks: tuple[Block, ...] = ()
    usage: Mapping[str, Any] = field(default_factory=dict)
    parent_tool_use_id: str | None = None
    error: str | None = None

    @property
    def tool_uses(self) -> tuple[ToolUseBlock, ...]:
        return tuple(b for b in self.blocks if isinstance(b, ToolUseBlock))

    @property
    def text(self) -> str:
        return "".join(b.text for b in self.blocks if isinstance(b, TextBlock))


@dataclass(frozen=True, slots=True)
class UserMessage(Event):
    """A ``user`` line: usually the results of tool calls."""

    blocks: tuple[Block, ...] = ()
    parent_tool_use_id: str | None = None

    @property
    def tool_results(self) -> tuple[ToolResult, ...]:
        return tuple(b for b in self.blocks if isinstance(b, ToolResult))


@dataclass(frozen=True, slots=True)
class Result(Event):
    """A ``result`` line: the end of one turn.

    Judge failure by ``is_error``, not ``subtype``: a failed run can say ``success``.
    ``total_cost_usd`` accumulates over a multi-turn process (take the last one);
    ``usage`` is per turn.
    """

    subtype: str | None = None
    is_error: bool = False
    num_turns: int | None = None
    total_cost_usd: float | None = None
    usage: Mapping[str, Any] = field(default_factory=dict)
    duration_ms: int | None = None
    duration_api_ms: int | None = None
    permission_denials: tuple[Mapping[str, Any], ...] = ()
    result: str | None = None
    terminal_reason: str | None = None
    errors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StreamEvent(Event):
    """A ``stream_event`` line (partial message streaming)."""

    event: Mapping[str, Any] = field(default_factory=dict)


# -- control protocol -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ControlRequest(Event):
    """A ``control_request`` from claude: a hook callback, a permission request, or other.

    Claude waits for the answer before it goes on (a tool does not run until its
    ``PreToolUse`` hook callback is answered).
    """

    request_id: str = ""
    subtype: str | None = None
    request: Mapping[str, Any] = field(default_factory=dict)

    @property
    def hook_input(self) -> Mapping[str, Any]:
        """The hook's input object (``hook_callback`` only)."""
        return _map(self.request.get("input"))

    @property
    def hook_event_name(self) -> str | None:
        """``PreToolUse``, ``Stop`` ... for a ``hook_callback``; ``None`` otherwise."""
        return _str(self.hook_input.get("hook_event_name"))

    @property
    def tool_name(self) -> str | None:
        if self.subtype == "can_use_tool":
            return _str(self.request.get("tool_name"))
        return _str(self.hook_input.get("tool_name"))

    @property
    def tool_input(self) -> Mapping[str, Any]:
        if self.subtype == "can_use_tool":
            return _map(self.request.get("input"))
        return _map(self.hook_input.get("tool_input"))

    @property
    def tool_use_id(self) -> str | None:
        return _str(self.request.get("tool_use_id")) or _str(self.hook_input.get("tool_use_id"))

    @property
    def is_tool_request(self) -> bool:
        """Whether this asks for a decision on a tool call (PreToolUse hook or can_use_tool)."""
        return self.subtype == "can_use_tool" or (
            self.subtype == "hook_callback" and self.hook_event_name == "PreToolUse"
        )


@dataclass(frozen=True, slots=True)
class ControlResponse(Event):
    """A ``control_response`` from claude to a request csup sent (initialize, interrupt)."""

    request_id: str | None = None
    subtype: str | None = None
    response: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ControlCancelRequest(Event):
    """Claude abandons a pending control request: it must not be answered any more."""

    request_id: str | None = None


def _result(raw: Mapping[str, Any]) -> Result:
    denials = raw.get("permission_denials")
    errors = raw.get("errors")
    return Result(
        raw,
        subtype=_str(raw.get("subtype")),
        is_error=raw.get("is_error") is True,
        num_turns=_int(raw.get("num_turns")),
        total_cost_usd=_float(raw.get("total_cost_usd")),
        usage=_map(raw.get("usage")),
        duration_ms=_int(raw.get("duration_ms")),
        duration_api_ms=_int(raw.get("duration_api_ms")),
        permission_denials=tuple(
            d for d in (denials if isinstance(denials, list) else []) if isinstance(d, Mapping)
        ),
        result=_str(raw.get("result")),
        terminal_reason=_str(raw.get("terminal_reason")),
        errors=tuple(str(e) for e in (errors if isinstance(errors, list) else [])),
    )


def parse_event(raw: Mapping[str, Any]) -> Event:
    """Turn one decoded JSON object from claude into its typed event."""
    kind = raw.get("type")
    if kind == "assistant":
        message = _map(raw.get("message"))
        return AssistantMessage(
            raw,
            message_id=_str(message.get("id")),
            model=_str(message.get("model")),
            blocks=_blocks(message),
            usage=_map(message.get("usage")),
            parent_tool_use_id=_str(raw.get("parent_tool_use_id")),
            error=_str(raw.get("error")),
        )
    if kind == "user":
        return UserMessage(
            raw,
            blocks=_blocks(_map(raw.get("message"))),
            parent_tool_use_id=_str(raw.get("parent_tool_use_id")),
        )
    if kind == "control_request":
        request = _map(raw.get("request"))
        return ControlRequest(
            raw,
            request_id=_str(raw.get("request_id")) or "",
            subtype=_str(request.get("subtype")),
            request=request,
        )
    if kind == "control_response":
        response = _map(raw.get("response"))
        return ControlResponse(
            raw,
            request_id=_str(response.get("request_id")),
            subtype=_str(response.get("subtype")),
            response=_map(response.get("response")),
            error=_str(response.get("error")),
        )
    if kind == "control_cancel_request":
        return ControlCancelRequest(raw, request_id=_str(raw.get("request_id")))
    if kind == "result":
        return _result(raw)
    if kind == "system":
        if raw.get("subtype") == "init":
            tools = raw.get("tools")
            names = tools if isinstance(tools, list) else []
            return SystemInit(
                raw,
                cwd=_str(raw.get("cwd")),
                model=_str(raw.get("model")),
                tools=tuple(t for t in names if isinstance(t, str)),
                permission_mode=_str(raw.get("permissionMode")),
            )
        return SystemEvent(raw, subtype=_str(raw.get("subtype")))
    if kind == "stream_event":
        return StreamEvent(raw, event=_map(raw.get("event")))
    return UnknownEvent(raw)


_DIAGNOSTIC_TEXT_LIMIT = 2000


def parse_line(line: bytes | str) -> Event | Diagnostic | None:
    """Parse one line of claude's stdout.

    Returns ``None`` for a blank line, a :class:`Diagnostic` for anything that is not a JSON
    object (the text is cut to a readable length), and the typed event otherwise.
    """
    if not line or line.isspace():
        return None
    try:
        # json.loads takes UTF-8 bytes as they are: no decoded copy of a large line.
        data = json.loads(line)
    except ValueError as exc:
        return _diagnostic(line, f"not JSON: {exc}")
    if not isinstance(data, dict):
        return _diagnostic(line, "JSON but not an object")
    return parse_event(data)


def _diagnostic(line: bytes | str, error: str) -> Diagnostic:
    text = line.decode("utf-8", errors="replace") if isinstance(line, bytes) else line
    return Diagnostic(text.strip()[:_DIAGNOSTIC_TEXT_LIMIT], error)
