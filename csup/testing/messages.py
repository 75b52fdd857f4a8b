"""Anthropic Messages API bodies: a Message as JSON, the same as Server-Sent Events, errors.

Only the shapes Claude Code reads (checked against claude 2.1.330): ``message_start``, per
block ``content_block_start`` / ``content_block_delta`` / ``content_block_stop``,
``message_delta`` with the stop reason and usage, ``message_stop``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

__all__ = ["error_body", "estimate_tokens", "message", "sse_events", "sse_stream"]

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


def estimate_tokens(data: Any) -> int:
    """A rough, deterministic token count (4 characters a token), at least 1."""
    size = len(data) if isinstance(data, str) else len(json.dumps(data, separators=(",", ":")))
    return max(1, size // 4)


def message(
    msg_id: str,
    model: str,
    content: Sequence[dict[str, Any]],
    stop_reason: str,
    input_tokens: int,
) -> dict[str, Any]:
    """A complete (non-streaming) Message."""
    return {
        "id": msg_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": list(content),
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {
            "input_tokens": input_tokens,
            "output_tokens": estimate_tokens(list(content)),
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        },
    }


def sse_events(msg: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The stream events of a Message, as (event name, data) pairs."""
    start = {**msg, "content": [], "stop_reason": None}
    start["usage"] = {**msg["usage"], "output_tokens": 1}
    yield "message_start", {"type": "message_start", "message": start}
    for index, block in enumerate(msg["content"]):
        if block["type"] == "tool_use":
            empty = {**block, "input": {}}
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
        else:
            empty = {**block, "text": ""}
            delta = {"type": "text_delta", "text": block["text"]}
        yield (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": index,
                "content_block": empty,
            },
        )
        yield "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
        yield "content_block_stop", {"type": "content_block_stop", "index": index}
    yield (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": msg["stop_reason"], "stop_sequence": None},
            "usage": {"output_tokens": msg["usage"]["output_tokens"]},
        },
    )
    yield "message_stop", {"type": "message_stop"}


def sse_stream(msg: dict[str, Any]) -> bytes:
    """The whole SSE body of a Message."""
    return b"".join(
        f"event: {name}\ndata: {json.dumps(data)}\n\n".encode() for name, data in sse_events(msg)
    )


def error_body(status: int, text: str) -> dict[str, Any]:
    """Anthropic's JSON error body for an HTTP status."""
    kind = ERROR_TYPES.get(status, "api_error")
    return {"type": "error", "error": {"type": kind, "message": text}}
