"""A session's task and recent steps, for the reviewer, from what claude has written.

``csup hook`` has no session of its own to ask: it reads Claude Code's transcript (the JSONL
file named by the hook input's ``transcript_path``). The supervised session can feed the
same :func:`step_line` from claude's stream events. Never raises: a transcript that cannot
be read gives an empty context, and the reviewer judges the call without it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from typing import Any

from csup.calls import ToolCall
from csup.escalation.prompt import ReviewContext

__all__ = ["MAX_STEPS", "context_from_transcript", "step_line", "steps_of"]

MAX_STEPS = 12
HEAD = TAIL = 256 * 1024  # bytes read at each end of a long transcript
LINE = 160  # characters of one step


def _short(text: str, width: int = LINE) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def step_line(block: Mapping[str, Any]) -> str | None:
    """One step as a line: ``"Bash: npm test"``, ``"said: ..."``, ``"result: ..."``."""
    kind = block.get("type")
    if kind == "tool_use" and isinstance(block.get("name"), str):
        data = block.get("input")
        call = ToolCall(block["name"], data if isinstance(data, dict) else {}, "")
        return _short(f"{call.tool_name}: {call.summary(LINE)}")
    if kind == "text" and isinstance(block.get("text"), str) and block["text"].strip():
        if block["text"].lstrip().startswith("<system-reminder>"):
            return None
        return _short(f"said: {block['text']}")
    if kind == "tool_result":
        content = block.get("content")
        if isinstance(content, list):
            content = " ".join(
                b.get("text", "") for b in content if isinstance(b, dict) and "text" in b
            )
        prefix = "error" if block.get("is_error") else "result"
        return _short(f"{prefix}: {content if isinstance(content, str) else ''}")
    return None


def _messages(lines: Iterable[str]) -> Iterable[tuple[str, Any]]:
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line cut by the head/tail split, or one being written
        if isinstance(entry, dict) and entry.get("type") in ("user", "assistant"):
            message = entry.get("message")
            if isinstance(message, dict):
                yield str(entry["type"]), message.get("content")


def _task(lines: Iterable[str]) -> str:
    for kind, content in _messages(lines):
        if kind != "user":
            continue
        if isinstance(content, str) and content.strip():
            return content.strip()
        for block in content if isinstance(content, list) else []:
            text = block.get("text") if isinstance(block, dict) else None
            if isinstance(text, str) and text.strip() and not text.startswith("<system-"):
                return text.strip()
    return ""


def steps_of(lines: Iterable[str], limit: int = MAX_STEPS) -> tuple[str, ...]:
    """The last ``limit`` steps of the transcript lines (oldest first)."""
    steps: list[str] = []
    for _kind, content in _messages(lines):
        for block in content if isinstance(content, list) else []:
            line = step_line(block) if isinstance(block, dict) else None
            if line:
                steps.append(line)
    return tuple(steps[-limit:])


def context_from_transcript(
    path: str | None,
    *,
    cwd: str,
    session_id: str = "",
    current: ToolCall | None = None,
    limit: int = MAX_STEPS,
) -> ReviewContext:
    """The task (first user message) and last steps of a Claude Code transcript; the
    ``current`` call (already in the transcript when its hook runs) is not a step."""
    if not path:
        return ReviewContext(cwd=cwd, session_id=session_id)
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            head = handle.read(HEAD)
            if size > HEAD + TAIL:
                handle.seek(size - TAIL)
                tail = handle.read(TAIL)
            else:
                tail = head + handle.read()
    except OSError:
        return ReviewContext(cwd=cwd, session_id=session_id)
    head_lines = head.decode("utf-8", "replace").splitlines()
    tail_lines = tail.decode("utf-8", "replace").splitlines()
    steps = steps_of(tail_lines, limit + 1)
    if current is not None and steps:
        this = step_line(
            {"type": "tool_use", "name": current.tool_name, "input": current.tool_input}
        )
        if steps[-1] == this:
            steps = steps[:-1]
    return ReviewContext(_task(head_lines), cwd, session_id, steps[-limit:])
