"""Regular expressions compiled on first use, not when their module is imported.

``csup hook`` starts a new interpreter for every tool call, and a decision uses only some of
the policy's patterns: compiling all of them at import cost milliseconds every time.
"""

from __future__ import annotations

import re
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["LazyRegex"]


class LazyRegex:
    """A :class:`re.Pattern` made on first use, with the methods the policy calls.

    Thread-safe: two threads compiling at once both get an equal pattern (``re`` caches).
    """

    __slots__ = ("_compiled", "flags", "pattern")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self.flags = flags
        self._compiled: re.Pattern[str] | None = None

    def __repr__(self) -> str:
        return f"LazyRegex({self.pattern!r}, {self.flags!r})"

    @property
    def compiled(self) -> re.Pattern[str]:
        """The compiled pattern."""
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(self.pattern, self.flags)
        return compiled

    def search(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        """:meth:`re.Pattern.search`."""
        return self.compiled.search(string, pos, endpos)

    def match(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        """:meth:`re.Pattern.match`."""
        return self.compiled.match(string, pos, endpos)

    def fullmatch(
        self, string: str, pos: int = 0, endpos: int = sys.maxsize
    ) -> re.Match[str] | None:
        """:meth:`re.Pattern.fullmatch`."""
        return self.compiled.fullmatch(string, pos, endpos)

    def findall(self, string: str) -> list[str]:
        """:meth:`re.Pattern.findall` (patterns with at most one group)."""
        return self.compiled.findall(string)

    def finditer(self, string: str) -> Iterator[re.Match[str]]:
        """:meth:`re.Pattern.finditer`."""
        return self.compiled.finditer(string)

    def sub(self, repl: str | Callable[[re.Match[str]], str], string: str) -> str:
        """:meth:`re.Pattern.sub`."""
        return self.compiled.sub(repl, string)
