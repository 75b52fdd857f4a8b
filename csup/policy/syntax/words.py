"""Words as bash makes them: the name a command word runs, and brace expansion."""

from __future__ import annotations

import re


def command_name(word: str) -> str:
    """The name a shell would run: ``/usr/bin/rm`` -> ``rm``, ``rm.exe`` stays."""
    word = word.strip()
    if "/" in word and not word.endswith("/"):
        word = word.rsplit("/", 1)[1]
    return word


def expand_braces(word: str, limit: int = 64) -> list[str]:
    """Brace expansion (``/{etc,usr}`` -> ``/etc``, ``/usr``), at most ``limit`` results."""
    match = re.search(r"\{([^{}]*,[^{}]*)\}", word)
    if match is None:
        return [word]
    out: list[str] = []
    for part in match.group(1).split(","):
        out.extend(expand_braces(word[: match.start()] + part + word[match.end() :], limit))
        if len(out) >= limit:
            break
    return out[:limit]
