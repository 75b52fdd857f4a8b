"""The reviewer: a model asked, through the official ``anthropic`` SDK, to judge one call.

One request per review, no retries (a retry would break the per-call time limit), one
forced tool (``review_decision``), no streaming; the request runs on a small pool so that
the whole review, not only each of its reads, is bounded by the time limit. Every way it
can fail raises :class:`~csup.errors.ReviewerError` with a message that says which: the
chain turns it into a deny (or hands the call to a person). ``anthropic`` is imported on
the first review, so building a :class:`Reviewer` is cheap (``csup hook`` builds one only
when it escalates).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any

from csup.calls import Decision, ToolCall
from csup.errors import ReviewerError, SpendingLimitReached
from csup.escalation.prompt import (
    TOOL_NAME,
    ReviewContext,
    Verdict,
    build_request,
    parse_verdict,
    review_tool,
)
from csup.escalation.usage import Usage, UsageMeter

if TYPE_CHECKING:
    import anthropic

__all__ = ["DEFAULT_MODEL", "DEFAULT_TIMEOUT", "Reviewer"]

DEFAULT_MODEL = "claude-sonnet-5-5"
DEFAULT_TIMEOUT = 30.0
MAX_TOKENS = 1024
MAX_CONCURRENT = 16
"""Reviews sent at once by one reviewer; more wait their turn (within their time limit)."""


class Reviewer:
    """Reviews escalated calls with a model; thread-safe (one client shared by all callers).

    Args:
        model: the Messages API model name.
        timeout: seconds one review may take (connect, send, wait for the answer).
        spending_limit: US dollars the reviews of this run may cost; once spent, every
            review fails with :class:`~csup.errors.SpendingLimitReached`. None: no limit.
            Reviews already running when the limit is reached still finish.
        api_key, base_url: default ``ANTHROPIC_API_KEY`` and ``ANTHROPIC_BASE_URL`` of the
            environment (``ANTHROPIC_AUTH_TOKEN`` is taken when there is no key).
    """

    def __init__(
        self,
        *,
        model: str = DEFAULT_MODEL,
        timeout: float = DEFAULT_TIMEOUT,
        spending_limit: float | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        max_tokens: int = MAX_TOKENS,
    ) -> None:
        if not timeout > 0:
            raise ValueError(f"the reviewer's timeout must be positive, not {timeout!r}")
        if spending_limit is not None and spending_limit < 0:
            raise ValueError(f"the spending limit must be >= 0, not {spending_limit!r}")
        self.model = model
        self.timeout = timeout
        self.spending_limit = spending_limit
        self.max_tokens = max_tokens
        self._api_key = api_key
        self._base_url = base_url
        self._meter = UsageMeter(model)
        self._lock = threading.Lock()
        self._client: anthropic.Anthropic | None = None
        self._executor: ThreadPoolExecutor | None = None

    def __repr__(self) -> str:
        return f"Reviewer(model={self.model!r}, timeout={self.timeout!r})"

    def usage(self) -> Usage:
        """Requests, tokens and dollars of every review so far (for stats and the budget)."""
        return self._meter.snapshot()

    def close(self) -> None:
        """Close the client and its pool; reviews made later open them again."""
        with self._lock:
            client, executor = self._client, self._executor
            self._client = self._executor = None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
        if client is not None:
            client.close()

    def _credentials(self) -> tuple[str | None, str | None]:
        key = self._api_key or os.environ.get("ANTHROPIC_API_KEY") or None
        token = None if key else os.environ.get("ANTHROPIC_AUTH_TOKEN") or None
        return key, token

    def client(self) -> anthropic.Anthropic:
        """The SDK client, made on first use; :class:`ReviewerError` without a key."""
        with self._lock:
            if self._client is not None:
                return self._client
            key, token = self._credentials()
            if key is None and token is None:
                raise ReviewerError(
                    "no API key: set ANTHROPIC_API_KEY for the reviewer (or choose another "
                    "escalation mode)"
                )
            import anthropic  # noqa: PLC0415 - costs ~0.5 s; only when a review is made

            base_url = self._base_url or os.environ.get("ANTHROPIC_BASE_URL") or None
            self._client = anthropic.Anthropic(
                api_key=key,
                auth_token=token,
                base_url=base_url,
                timeout=self.timeout,
                max_retries=0,
            )
            return self._client

    def review(self, call: ToolCall, asked: Decision, context: ReviewContext) -> Verdict:
        """The model's verdict on ``call``; raises :class:`ReviewerError` saying what failed."""
        limit = self.spending_limit
        if limit is not None and self._meter.spent >= limit:
            raise SpendingLimitReached(
                f"spending limit reached: the reviews of this run cost "
                f"${self._meter.spent:.4f} of the ${limit:.4f} allowed"
            )
        client = self.client()
        system, user = build_request(call, asked, context)
        create: Any = client.messages.create  # plain dicts: the SDK's TypedDicts are overloads
        request = {
            "model": self.model,
            "max_tokens": self.max_tokens,
            "system": system,
            "messages": [{"role": "user", "content": user}],
            "tools": [review_tool()],
            "tool_choice": {"type": "tool", "name": TOOL_NAME},
            "timeout": self.timeout,
        }
        # The SDK's timeout bounds each phase (connect, each read); the future bounds the
        # whole review, so an answer that trickles in cannot hold a session past the limit.
        future = self._pool().submit(self._send, create, request)
        try:
            response = future.result(timeout=self.timeout)
        except FutureTimeout:
            raise ReviewerError(self._timed_out()) from None
        return parse_verdict(list(getattr(response, "content", None) or []))

    def _timed_out(self) -> str:
        return f"timeout: the reviewer gave no answer within {self.timeout:g} s"

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=MAX_CONCURRENT, thread_name_prefix="csup-reviewer"
                )
            return self._executor

    def _send(self, create: Any, request: dict[str, Any]) -> Any:
        """One request, on a pool thread; its usage is counted even when it comes too late."""
        import anthropic  # noqa: PLC0415 - already loaded by client()

        try:
            response = create(**request)
        except anthropic.APITimeoutError:
            self._meter.add(None)
            raise ReviewerError(self._timed_out()) from None
        except anthropic.APIStatusError as error:
            self._meter.add(None)
            raise ReviewerError(
                f"API error: the reviewer answered HTTP {error.status_code} ({_message(error)})"
            ) from None
        except anthropic.APIConnectionError as error:
            self._meter.add(None)
            raise ReviewerError(f"API error: cannot reach the reviewer ({error})") from None
        except anthropic.AnthropicError as error:
            self._meter.add(None)
            raise ReviewerError(f"API error: {type(error).__name__}: {error}") from None
        self._meter.add(getattr(response, "usage", None))
        return response


def _message(error: Any) -> str:
    body = getattr(error, "body", None)
    if isinstance(body, dict):
        inner = body.get("error")
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])
    return str(getattr(error, "message", "") or error)
