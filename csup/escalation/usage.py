"""What the reviewer costs: tokens from each response's usage, priced per model.

Prices are US dollars per million tokens (input, output), as Anthropic lists them; cache
writes cost 1.25 times the input price and cache reads 0.1 times. A model not in the table
is priced as the dearest one, so that a spending limit still holds.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from csup._record import Frozen

__all__ = ["PRICES", "Usage", "UsageMeter", "price_of"]

PRICES: Mapping[str, tuple[float, float]] = {
    "claude-fable-5": (8.0, 40.0),
    "claude-opus-5": (4.0, 20.0),
    "claude-sonnet-5": (2.0, 10.0),
    "claude-haiku-5": (0.10, 0.50),
    "claude-opus-4": (15.0, 75.0),
    "claude-sonnet-4": (3.0, 15.0),
    "claude-haiku-4": (1.0, 5.0),
}
"""Model name prefix → (input, output) dollars per million tokens; the longest prefix wins."""

CACHE_WRITE = 1.25
CACHE_READ = 0.1

_set = object.__setattr__


def price_of(model: str) -> tuple[float, float]:
    """The (input, output) price of ``model`` per million tokens (dearest if unknown)."""
    matches = [prefix for prefix in PRICES if model.startswith(prefix)]
    if matches:
        return PRICES[max(matches, key=len)]
    return max(PRICES.values())


class Usage(Frozen):
    """Tokens and cost of the reviews so far (a snapshot)."""

    __slots__ = (  # noqa: RUF023 - constructor order
        "requests",
        "input_tokens",
        "output_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
        "cost_usd",
    )

    requests: int
    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int
    cost_usd: float

    def __init__(  # noqa: PLR0917 - one argument per counter
        self,
        requests: int = 0,
        input_tokens: int = 0,
        output_tokens: int = 0,
        cache_creation_input_tokens: int = 0,
        cache_read_input_tokens: int = 0,
        cost_usd: float = 0.0,
    ) -> None:
        _set(self, "requests", requests)
        _set(self, "input_tokens", input_tokens)
        _set(self, "output_tokens", output_tokens)
        _set(self, "cache_creation_input_tokens", cache_creation_input_tokens)
        _set(self, "cache_read_input_tokens", cache_read_input_tokens)
        _set(self, "cost_usd", cost_usd)

    def as_dict(self) -> dict[str, Any]:
        """For the JSON summary and the stats."""
        return {name: getattr(self, name) for name in self.__slots__}


def _tokens(usage: Any, key: str) -> int:
    value = usage.get(key) if isinstance(usage, Mapping) else getattr(usage, key, None)
    return value if isinstance(value, int) and value > 0 else 0


class UsageMeter:
    """Adds up the usage of every response; thread-safe."""

    def __init__(self, model: str) -> None:
        self.model = model
        self._input_price, self._output_price = price_of(model)
        self._lock = threading.Lock()
        self._counts = [0, 0, 0, 0, 0]
        self._cost = 0.0

    def cost(self, usage: Any) -> float:
        """Dollars of one response's ``usage`` (an SDK object or its dict)."""
        cin, cout = self._input_price / 1e6, self._output_price / 1e6
        return (
            _tokens(usage, "input_tokens") * cin
            + _tokens(usage, "output_tokens") * cout
            + _tokens(usage, "cache_creation_input_tokens") * cin * CACHE_WRITE
            + _tokens(usage, "cache_read_input_tokens") * cin * CACHE_READ
        )

    def add(self, usage: Any) -> None:
        """Count one response (``usage`` None: a request that got no usage, e.g. an error)."""
        keys = (
            "input_tokens",
            "output_tokens",
            "cache_creation_input_tokens",
            "cache_read_input_tokens",
        )
        tokens = [_tokens(usage, key) for key in keys] if usage is not None else [0] * 4
        cost = self.cost(usage) if usage is not None else 0.0
        with self._lock:
            self._counts[0] += 1
            for index, count in enumerate(tokens, start=1):
                self._counts[index] += count
            self._cost += cost

    @property
    def spent(self) -> float:
        with self._lock:
            return self._cost

    def snapshot(self) -> Usage:
        with self._lock:
            requests, tokens_in, tokens_out, cache_write, cache_read = self._counts
            return Usage(requests, tokens_in, tokens_out, cache_write, cache_read, self._cost)
