"""What each record call writes: the SQL statements of one operation, masked and serialised.

Pure functions: the writer thread (:mod:`csup.record._writer`) and the hook's synchronous
write (:mod:`csup.record._direct`) both turn an operation into statements here, so neither
the masking nor the JSON encoding ever runs on a caller's path.
"""

from __future__ import annotations

import json
import time

from csup.record._mask import mask_json, mask_text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from csup.calls import Decision, ToolCall

    Statement = tuple[str, tuple[Any, ...]]

__all__ = [
    "TOKEN_KEYS",
    "decision_rows",
    "event_rows",
    "run_ended_rows",
    "run_started_rows",
    "seconds",
    "session_ended_rows",
    "session_started_rows",
]

TOKEN_KEYS = (
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
)


def seconds(at: object) -> float:
    """A time as epoch seconds: a float or int as it is, a datetime's timestamp, None = now."""
    if at is None:
        return time.time()
    if isinstance(at, int | float):
        return float(at)
    stamp = getattr(at, "timestamp", None)
    if callable(stamp):
        return float(stamp())
    raise TypeError(f"a time must be epoch seconds or a datetime, got {type(at).__name__}")


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=repr)


def run_started_rows(
    run_id: str, argv: object, cwd: object, started_at: object, origin: str = "csup"
) -> list[Statement]:
    args = [mask_text(str(a)) for a in argv] if isinstance(argv, list | tuple) else []
    return [
        (
            "INSERT OR IGNORE INTO runs (run_id, started_at, argv, cwd, origin) "
            "VALUES (?, ?, ?, ?, ?)",
            (str(run_id), seconds(started_at), _json(args), str(cwd or ""), origin),
        )
    ]


def session_started_rows(  # noqa: PLR0917 - the writer queues positional rows
    run_id: str,
    session_id: str,
    task: object,
    cwd: object,
    started_at: object,
    resumed_from: object = None,
) -> list[Statement]:
    return [
        (
            "INSERT OR IGNORE INTO sessions "
            "(session_id, run_id, task, cwd, started_at, resumed_from) VALUES (?, ?, ?, ?, ?, ?)",
            (
                str(session_id),
                str(run_id),
                mask_text(str(task or "")),
                str(cwd or ""),
                seconds(started_at),
                None if resumed_from is None else str(resumed_from),
            ),
        )
    ]


def event_rows(session_id: str, raw: Mapping[str, Any], at: object) -> list[Statement]:
    kind = str(raw.get("type", "")) if hasattr(raw, "get") else ""
    subtype = raw.get("subtype") if hasattr(raw, "get") else None
    if isinstance(subtype, str) and subtype:
        kind = f"{kind}/{subtype}"
    return [
        (
            "INSERT INTO events (session_id, at, type, raw) VALUES (?, ?, ?, ?)",
            (str(session_id), seconds(at), kind, _json(mask_json(dict(raw)))),
        )
    ]


def decision_rows(
    session_id: str,
    call: ToolCall,
    decision: Decision,
    latency_s: float | None,
    at: object,
    *,
    kind: str | None = None,
) -> list[Statement]:
    """``kind`` overrides ``call.kind`` (the hook records which hook event decided)."""
    latency_ms = None if latency_s is None else round(float(latency_s) * 1000.0, 3)
    return [
        (
            "INSERT INTO decisions (session_id, at, tool_name, tool_input, tool_use_id, "
            "agent_id, kind, behavior, rule, reason, source, requested, latency_ms) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                str(session_id),
                seconds(at),
                str(call.tool_name),
                _json(mask_json(dict(call.tool_input))),
                call.tool_use_id,
                call.agent_id,
                kind or call.kind,
                str(decision.behavior),
                decision.rule,
                mask_text(decision.reason),
                decision.source,
                decision.requested,
                latency_ms,
            ),
        )
    ]


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def session_ended_rows(
    session_id: str,
    *,
    status: object,
    error: object,
    cost_usd: object,
    tokens: Mapping[str, Any] | None,
    turns: object,
    ended_at: object,
    claude_session_id: object,
) -> list[Statement]:
    at = seconds(ended_at)
    tokens = dict(tokens or {})
    status_text = str(status or "unknown")
    reason = mask_text(str(error)) if error else ""
    cost = float(cost_usd) if isinstance(cost_usd, int | float) else None
    claude_id = str(claude_session_id) if claude_session_id else None
    return [
        (
            "UPDATE sessions SET ended_at = ?, status = ?, "
            "claude_session_id = coalesce(?, claude_session_id) WHERE session_id = ?",
            (at, status_text, claude_id, str(session_id)),
        ),
        (
            "INSERT INTO stops (session_id, at, status, reason) VALUES (?, ?, ?, ?)",
            (str(session_id), at, status_text, reason),
        ),
        (
            "INSERT OR REPLACE INTO usage (session_id, cost_usd, input_tokens, output_tokens, "
            "cache_read_input_tokens, cache_creation_input_tokens, tokens, turns) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                str(session_id),
                cost,
                *(_int(tokens.get(k)) for k in TOKEN_KEYS),
                _json(tokens),
                _int(turns),
            ),
        ),
    ]


def run_ended_rows(run_id: str, ended_at: object) -> list[Statement]:
    return [("UPDATE runs SET ended_at = ? WHERE run_id = ?", (seconds(ended_at), str(run_id)))]
