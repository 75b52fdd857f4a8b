"""Printing text that csup does not control (the model's, a tool input's, a task's).

A tool input can carry escape sequences that move the cursor, rewrite the screen or set the
terminal's title, a NUL, or right-to-left marks that make a line read differently from what
it does. :func:`safe` shows every such character as a visible escape (``\\x1b``,
``\\u202e``) instead; :func:`one_line` also folds whitespace and cuts the text to a width.
Everything csup prints that came from claude, a tool or a task goes through one of them.
"""

from __future__ import annotations

import unicodedata

__all__ = ["one_line", "safe"]

# Characters that change how text is shown without being seen: bidi embeddings, overrides
# and isolates, marks, zero-width and invisible format characters.
_INVISIBLE = frozenset(
    "\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
)


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def safe(text: object, *, keep_newlines: bool = False) -> str:
    """``text`` with control, format and bidi characters shown as escapes."""
    out = []
    for char in str(text):
        if char == "\n" and keep_newlines:
            out.append(char)
        elif char in _INVISIBLE or unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(_escape(char))
        else:
            out.append(char)
    return "".join(out)


def one_line(text: object, width: int | None = None) -> str:
    """``text`` on one line (whitespace runs folded), made :func:`safe`, cut to ``width``."""
    folded = " ".join(str(text).split())
    shown = safe(folded)
    if width is not None and len(shown) > width:
        return shown[: max(0, width - 1)] + "…"
    return shown
