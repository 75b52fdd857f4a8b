"""How a session ended, decided from what was seen: a plain function, no state of its own."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from csup.claude.events import Result
from csup.claude.result import SessionStatus

__all__ = ["Ending", "StopRequest", "classify", "describe_error", "hit_limit"]

_LIMIT_SUBTYPES = frozenset({"error_max_turns", "error_max_budget_usd"})
_API_ERRORS = {
    "connection_failed": "could not connect to the model API",
    "authentication_failed": "the model API refused its credentials",
    "rate_limit": "hit the model API's rate or usage limit",
    "rate_limited": "hit the model API's rate or usage limit",
    "overloaded": "found the model API overloaded",
}


@dataclass(frozen=True, slots=True)
class StopRequest:
    """Why a session is being stopped: by whom (its final status) and the reason."""

    status: SessionStatus
    reason: str


@dataclass(frozen=True, slots=True)
class Ending:
    status: SessionStatus
    error: str | None
    exited_early: bool = False


def describe_error(result: Result, retry: Mapping[str, Any] | None = None) -> str:
    """claude's error ``result`` in plain words (``retry``: its last ``api_retry`` event)."""
    raw = result.raw
    detail = "; ".join(result.errors) or result.result or result.terminal_reason or ""
    api_error = raw.get("api_error")
    if api_error is None and (
        raw.get("api_error_status") == 429 or raw.get("api_error_type") == "rate_limit_error"
    ):
        api_error = "rate_limit"
    if isinstance(api_error, str) or result.terminal_reason == "api_error":
        what = _API_ERRORS.get(str(api_error), f"got an error from the model API ({api_error})")
        if api_error is None:
            status = raw.get("api_error_status")
            what = "got an error from the model API" + (f" ({status})" if status else "")
        retries = ""
        if retry is not None and isinstance(retry.get("attempt"), int):
            retries = f" after {retry['attempt']} retries"
        return f"claude {what}{retries}" + (f": {detail}" if detail else "")
    kind = "" if result.subtype in (None, "success") else f" ({result.subtype})"
    return f"claude reported an error{kind}" + (f": {detail}" if detail else "")


def hit_limit(result: Result | None, rate_limit: Mapping[str, Any] | None) -> bool:
    """Whether the session stopped on an API usage or rate limit."""
    if rate_limit is not None and rate_limit.get("status") == "rejected":
        return True
    if result is None or not result.is_error:
        return False
    raw = result.raw
    return (
        raw.get("api_error") in ("rate_limit", "rate_limited")
        or raw.get("api_error_status") == 429
        or raw.get("api_error_type") == "rate_limit_error"
    )


def classify(
    *,
    stop: StopRequest | None,
    last_result: Result | None,
    exit_code: int | None,
    diagnostics: Sequence[str] = (),
    stderr: str = "",
    retry: Mapping[str, Any] | None = None,
) -> Ending:
    """The session's status and error, first match wins: a stop someone asked for; claude's
    last ``result`` (success, a limit it stopped at, an error); an exit before any result."""
    exited_early = False
    if stop is not None:
        status, error = stop.status, stop.reason
    elif last_result is not None and not last_result.is_error:
        return Ending(SessionStatus.COMPLETED, None)
    elif last_result is not None and last_result.subtype in _LIMIT_SUBTYPES:
        # claude stopped itself at a limit csup passed on (--max-turns): a kill, not a failure.
        reason = (
            "; ".join(last_result.errors) or f"claude stopped at a limit ({last_result.subtype})"
        )
        return Ending(SessionStatus.KILLED, reason)
    elif last_result is not None:
        status, error = SessionStatus.FAILED, describe_error(last_result, retry)
    else:
        status, exited_early = SessionStatus.FAILED, True
        error = f"claude exited with code {exit_code} before finishing its turn"
        if retry is not None:
            error += f" (it was retrying the model API: {retry.get('error') or 'unreachable'})"
    if status is SessionStatus.FAILED:
        if diagnostics:
            error = (
                f"{error}; it printed {len(diagnostics)} unreadable line(s), "
                f"first: {diagnostics[0]}"
            )
        tail = stderr.strip().splitlines()[-5:]
        if tail:
            error = f"{error}; stderr: {' | '.join(tail)}"
    return Ending(status, error, exited_early)
