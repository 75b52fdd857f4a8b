"""Statistics of one session, computed from its events (pure, no threads).

Claude's stream has traps (``shared/notes/peers.md`` §6): one API message arrives as several
``assistant`` lines repeating the same usage, so usage is counted once per message id;
``total_cost_usd`` accumulates over a multi-turn process, so the cost is the last one seen;
``result.usage`` is per turn and authoritative for the turns that finished; failure is
``is_error``, not ``subtype``; a denied call may show up only in ``permission_denials``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from csup.claude.events import AssistantMessage, Event, Result

__all__ = ["SessionStats", "StatsSnapshot", "Tokens"]

_TOKEN_KEYS = (
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
)


@dataclass(frozen=True, slots=True)
class Tokens:
    input: int = 0
    output: int = 0
    cache_creation: int = 0
    cache_read: int = 0

    @property
    def total(self) -> int:
        return self.input + self.output + self.cache_creation + self.cache_read

    def __add__(self, other: Tokens) -> Tokens:
        return Tokens(
            self.input + other.input,
            self.output + other.output,
            self.cache_creation + other.cache_creation,
            self.cache_read + other.cache_read,
        )

    def __sub__(self, other: Tokens) -> Tokens:
        return Tokens(
            self.input - other.input,
            self.output - other.output,
            self.cache_creation - other.cache_creation,
            self.cache_read - other.cache_read,
        )

    @classmethod
    def from_usage(cls, usage: Mapping[str, Any]) -> Tokens:
        values = []
        for key in _TOKEN_KEYS:
            value = usage.get(key)
            values.append(value if isinstance(value, int) and not isinstance(value, bool) else 0)
        return cls(*values)


@dataclass(frozen=True, slots=True)
class StatsSnapshot:
    """Immutable figures of one session at one moment."""

    turns: int = 0
    tool_calls: int = 0
    approvals: int = 0
    denials: int = 0
    cost_usd: float = 0.0
    tokens: Tokens = Tokens()
    results: int = 0
    events: int = 0


class SessionStats:
    """Accumulates one session's figures. Not thread-safe: feed it from one thread."""

    def __init__(self) -> None:
        self._events = 0
        self._tool_use_ids: set[str] = set()
        self._anonymous_tool_calls = 0
        self._approved: set[str] = set()
        self._denied: set[str] = set()
        self._anonymous_approvals = 0
        self._anonymous_denials = 0
        self._turn_messages: dict[str, Tokens] = {}
        # The sum of _turn_messages, kept up to date so a snapshot costs O(1).
        self._unfinished = Tokens()
        self._finished_tokens = Tokens()
        self._turns = 0
        self._cost = 0.0
        self._results = 0

    def observe(self, event: Event) -> None:
        """Count one event from claude."""
        self._events += 1
        if isinstance(event, AssistantMessage):
            for block in event.tool_uses:
                if block.id is None:
                    self._anonymous_tool_calls += 1
                else:
                    self._tool_use_ids.add(block.id)
            if event.message_id is not None and event.usage:
                tokens = Tokens.from_usage(event.usage)
                previous = self._turn_messages.get(event.message_id, Tokens())
                self._turn_messages[event.message_id] = tokens
                self._unfinished = self._unfinished - previous + tokens
        elif isinstance(event, Result):
            self._results += 1
            if event.usage:
                self._finished_tokens += Tokens.from_usage(event.usage)
            else:
                self._finished_tokens += self._unfinished
            self._turn_messages.clear()
            self._unfinished = Tokens()
            if event.num_turns is not None:
                self._turns += event.num_turns
            if event.total_cost_usd is not None:
                self._cost = event.total_cost_usd
            for denial in event.permission_denials:
                tool_use_id = denial.get("tool_use_id")
                if isinstance(tool_use_id, str):
                    self._denied.add(tool_use_id)
                    self._approved.discard(tool_use_id)

    def record_decision(self, tool_use_id: str | None, allowed: bool) -> None:
        """Count a decision csup gave (once per tool call)."""
        if tool_use_id is None:
            if allowed:
                self._anonymous_approvals += 1
            else:
                self._anonymous_denials += 1
            return
        if allowed:
            if tool_use_id not in self._denied:
                self._approved.add(tool_use_id)
        else:
            self._approved.discard(tool_use_id)
            self._denied.add(tool_use_id)

    def snapshot(self) -> StatsSnapshot:
        return StatsSnapshot(
            turns=self._turns,
            tool_calls=len(self._tool_use_ids) + self._anonymous_tool_calls,
            approvals=len(self._approved) + self._anonymous_approvals,
            denials=len(self._denied) + self._anonymous_denials,
            cost_usd=self._cost,
            tokens=self._finished_tokens + self._unfinished,
            results=self._results,
            events=self._events,
        )
