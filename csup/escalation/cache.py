"""The reviews of one run, remembered: the same call in the same context is reviewed once.

The context of a call is the rule that asked, the call's normalised input and the cwd. A
second identical call waiting while the first is still under review waits for that verdict
instead of asking the model again. Only verdicts are kept: a failed review (a timeout, an
API error) is tried again next time. Thread-safe.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Any

from csup.calls import Decision, ToolCall
from csup.escalation.prompt import Verdict

__all__ = ["IGNORED_KEYS", "ReviewCache", "cache_key"]

IGNORED_KEYS = frozenset({"description"})
"""Input keys that do not change what a call does (claude's own note on a Bash command)."""


def _normal(value: Any) -> Any:
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, Mapping):
        return {str(k): _normal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normal(v) for v in value]
    return value


def cache_key(call: ToolCall, asked: Decision) -> str:
    """The key of a review: rule, tool, input (keys sorted, runs of whitespace as one space,
    :data:`IGNORED_KEYS` left out) and cwd."""
    data = {k: v for k, v in call.tool_input.items() if k not in IGNORED_KEYS}
    return json.dumps(
        [asked.rule, call.tool_name, _normal(data), call.cwd],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )


class ReviewCache:
    """Verdicts by :func:`cache_key`, with the counters of the summary."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, Future[Verdict]] = {}
        self.reviews = 0
        self.hits = 0
        self.failures = 0
        self.verdicts: Counter[str] = Counter()

    def review(
        self, call: ToolCall, asked: Decision, run: Callable[[], Verdict]
    ) -> tuple[Verdict, bool]:
        """The verdict for ``call`` and whether it came from the cache; ``run`` makes the
        review when there is none. Exceptions of ``run`` propagate (to every waiter)."""
        key = cache_key(call, asked)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                entry = self._entries[key] = Future()
                owner = True
                self.reviews += 1
            else:
                owner = False
                self.hits += 1
        if not owner:
            return entry.result(), True
        try:
            verdict = run()
        except BaseException as error:
            with self._lock:
                del self._entries[key]  # not remembered: the next call is reviewed again
                self.failures += 1
            entry.set_exception(error)
            raise
        with self._lock:
            self.verdicts[verdict.decision] += 1
        entry.set_result(verdict)
        return verdict, False

    def stats(self) -> dict[str, Any]:
        """``reviews``, ``cache_hits``, ``failures`` and ``verdicts`` (by kind)."""
        with self._lock:
            return {
                "reviews": self.reviews,
                "cache_hits": self.hits,
                "failures": self.failures,
                "verdicts": {kind: self.verdicts[kind] for kind in ("allow", "deny", "guide")},
            }
