"""Shell text the parser leaves to us: quotes and escapes, characters it cannot take, and
words as bash makes them (the name a command word runs, brace expansion)."""

from __future__ import annotations

import re

from csup._lazy_re import LazyRegex

ESCAPE = LazyRegex(r"\\(.)", re.DOTALL)
"""A backslash escape outside quotes: the backslash goes, the character stays."""
DQ_ESCAPE = LazyRegex(r"\\([\\$`\"\n])")
"""The escapes that mean something inside double quotes."""
_ANSI_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "a": "\a",
    "b": "\b",
    "e": "\x1b",
    "E": "\x1b",
    "f": "\f",
    "v": "\v",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "?": "?",
}
_ANSI = LazyRegex(r"\\(x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{1,8}|[0-7]{1,3}|.)")


def ansi_c(body: str) -> str:
    """The value of ``$'...'`` (``$'\\x72\\x6d'`` is ``rm``)."""

    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] in "xuU" and len(code) > 1:
            return chr(min(int(code[1:], 16), 0x10FFFF))
        if code[0].isdigit():
            return chr(int(code, 8))
        return _ANSI_ESCAPES.get(code, "\\" + code)

    return _ANSI.sub(one, body)


_ASTRAL = LazyRegex("[\U00010000-\U0010ffff]")
_PRIVATE_USE = range(0xE000, 0xF900)


def shield(text: str) -> tuple[str | None, dict[int, str]]:
    """Swap characters outside the BMP for private-use ones before parsing.

    tree-sitter-bash 0.25 can crash the process (SIGSEGV) on ``{`` followed by a 4-byte
    UTF-8 character (tree-sitter/tree-sitter-bash#337). Such characters never carry shell
    syntax, so each is swapped for an unused private-use character and put back in the words.
    Returns ``(None, {})`` when there are not enough unused private-use characters.
    """
    if text.isascii():
        return text, {}
    astral = sorted(set(_ASTRAL.findall(text)))
    if not astral:
        return text, {}
    free = (chr(c) for c in _PRIVATE_USE if chr(c) not in text)
    swap = dict(zip(astral, free, strict=False))
    if len(swap) < len(astral):
        return None, {}
    return text.translate({ord(a): b for a, b in swap.items()}), {
        ord(b): a for a, b in swap.items()
    }


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
