"""A recorded claude conversation, cut into the pieces the fake claude replays.

A recording (``recordings/*.jsonl``, one ``{"dir": "in"|"out"|..., "msg": ...}`` a line, made
with the real claude 2.1.330) is read once. Its ``out`` lines become:

- ``init_response``: claude's answer to ``initialize`` (commands, models, account...);
- ``system_init``: the ``system/init`` event that starts every turn;
- ``prefix``: what comes before the first tool call (e.g. the assistant's opening text);
- ``segments``: one per tool call, from the assistant ``tool_use`` line to its ``tool_result``
  (the ``control_request`` asking for a decision is in between);
- ``suffix``: the rest before the ``result`` (the last assistant text, the Stop hook);
- ``result``: the final ``result`` event, rewritten per turn by the fake claude.

The recorded session id and cwd are replaced by the fake's own on load, so the lines can be
written out as they are, with only ids substituted per use.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["RECORDINGS", "Line", "Recording", "find_recording", "load_recording"]

RECORDINGS = Path(__file__).with_name("recordings")
"""The recordings shipped with csup (copied from the project's reference recordings)."""

DEFAULT_RECORDING = "hook-allow"


def find_recording(spec: str | None) -> Path:
    """A recording path from a name (``hook-deny``) or a path; None means the default."""
    if not spec:
        return RECORDINGS / f"{DEFAULT_RECORDING}.jsonl"
    shipped = RECORDINGS / f"{spec}.jsonl"
    return shipped if shipped.is_file() else Path(spec)


@dataclass(slots=True)
class Line:
    """One recorded ``out`` line.

    ``kind`` is ``control`` (a control_request asking for a decision), ``task`` (a
    ``system/task_*`` line of a running tool), ``tool_result`` (the user line carrying a
    tool_result), ``assistant`` or ``other``. ``msg`` is the parsed line.
    """

    kind: str
    msg: dict[str, Any]


@dataclass(slots=True)
class Recording:
    """A recording cut into the pieces described in the module docstring."""

    session_id: str
    init_response: dict[str, Any]
    system_init: dict[str, Any]
    prefix: list[Line] = field(default_factory=list)
    segments: list[list[Line]] = field(default_factory=list)
    suffix: list[Line] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)


def _kind(msg: dict[str, Any]) -> str:
    kind = msg.get("type")
    if kind == "control_request":
        return "control"
    if kind == "system" and str(msg.get("subtype", "")).startswith("task_"):
        return "task"
    if kind == "assistant":
        return "assistant"
    if kind == "user":
        content = msg.get("message", {}).get("content")
        if isinstance(content, list) and any(
            isinstance(b, dict) and b.get("type") == "tool_result" for b in content
        ):
            return "tool_result"
    return "other"


def _tool_use_id(msg: dict[str, Any]) -> str | None:
    for block in msg.get("message", {}).get("content") or []:
        if isinstance(block, dict) and block.get("type") == "tool_use":
            return str(block.get("id"))
    return None


def _substitute(text: str, old: str, new: str) -> str:
    return text.replace(old, new) if old else text


def load_recording(path: str | Path, *, session_id: str, cwd: str) -> Recording:
    """Read and cut a recording; its session id and cwd become ``session_id`` and ``cwd``.

    Raises ValueError if the recording has no ``initialize`` answer, ``system/init`` or result.
    """
    with open(path, encoding="utf-8") as f:
        raw_lines = [json.loads(line) for line in f if line.strip()]
    outs = [r["msg"] for r in raw_lines if r.get("dir") == "out" and isinstance(r.get("msg"), dict)]
    init = next((m for m in outs if m.get("type") == "system" and m.get("subtype") == "init"), None)
    if init is None:
        raise ValueError(f"{path}: no system/init line")
    old_session, old_cwd = str(init.get("session_id", "")), str(init.get("cwd", ""))
    text = json.dumps(outs)
    text = _substitute(text, json.dumps(old_session)[1:-1], session_id)
    text = _substitute(text, json.dumps(old_cwd)[1:-1], json.dumps(cwd)[1:-1])
    outs = json.loads(text)
    init_response: dict[str, Any] = next(
        (m for m in outs if m.get("type") == "control_response"),
        {"response": {"response": {}}},
    )
    results = [m for m in outs if m.get("type") == "result"]
    if not results:
        raise ValueError(f"{path}: no result line")
    body = [m for m in outs if m.get("type") not in ("control_response", "result")]
    body = [m for m in body if not (m.get("type") == "system" and m.get("subtype") == "init")]
    recording = Recording(
        session_id=session_id,
        init_response=dict(init_response["response"].get("response") or {}),
        system_init=next(
            m for m in outs if m.get("type") == "system" and m.get("subtype") == "init"
        ),
        result=results[0],
    )
    current: list[Line] | None = None
    for msg in body:
        line = Line(_kind(msg), msg)
        if line.kind == "assistant" and _tool_use_id(msg) is not None:
            current = [line]
            recording.segments.append(current)
        elif current is not None:
            current.append(line)
            if line.kind == "tool_result":
                current = None
        elif recording.segments:
            recording.suffix.append(line)
        else:
            recording.prefix.append(line)
    return recording
