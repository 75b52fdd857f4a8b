"""The pieces the walker builds commands from: words as bash expands them, where the walker
is (:class:`Scope`), and the shapes of tree-sitter-bash nodes it has to recognise
(here-strings it misparses, redirects that replace the standard input).

Split from :mod:`.walker` so that the walker holds the statements and this module the
words; both know bash and no program.
"""

from __future__ import annotations

import re

from csup._lazy_re import LazyRegex
from csup._record import Frozen, Record
from csup.policy.syntax.command import Command
from csup.policy.syntax.text import expand_braces

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tree_sitter import Node

__all__ = [
    "VARIABLE_WORD",
    "Scope",
    "Word",
    "brace_expanded",
    "misparsed_herestrings",
    "only_misparsed_herestrings",
    "reads_input",
    "split_words",
]


def brace_expanded(words: list[Word]) -> list[Word]:
    """Unquoted words with ``{a,b}`` become several words, as bash makes them."""
    out: list[Word] = []
    for word in words:
        if word.quoted or word.dynamic or "{" not in word.text or "," not in word.text:
            out.append(word)
            continue
        for text in expand_braces(word.text):
            new = Word()
            new.text, new.feeds = text, word.feeds
            out.append(new)
    return out


def split_words(words: list[Word]) -> list[Word]:
    """Words an unquoted ``$cmd`` gave spaces become several (``cmd="rm -rf /"; $cmd``)."""
    out: list[Word] = []
    for word in words:
        if not word.split:
            out.append(word)
            continue
        for text in word.text.split():
            new = Word()
            new.text, new.feeds, new.quoted = text, word.feeds, True
            out.append(new)
    return out


VARIABLE_WORD = LazyRegex(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", re.DOTALL)


class Scope(Frozen):
    """Where the walker is: how many shells deep, and through which wrappers."""

    __slots__ = ("depth", "via")

    depth: int
    via: tuple[str, ...]

    def __init__(self, depth: int, via: tuple[str, ...]) -> None:
        object.__setattr__(self, "depth", depth)
        object.__setattr__(self, "via", via)


class Word(Record):
    # in constructor order
    __slots__ = ("text", "dynamic", "feeds", "temp", "quoted", "split")  # noqa: RUF023

    def __init__(self) -> None:
        self.text = ""
        self.dynamic = False
        self.feeds: list[Command] = []
        self.quoted = False
        """Whether some of the word is quoted (brace expansion is then not applied)."""
        self.split = False
        """Whether an unquoted variable gave it spaces: the shell splits it into words."""
        self.temp: str | None = None
        """When the word is just ``$(mktemp ...)``: a path standing for what it makes."""


def reads_input(red: Node) -> bool:
    """Whether a file redirect replaces the standard input (``< f``, ``<> f``, ``<&3``)."""
    if red.type != "file_redirect":
        return False
    op = next((c.type for c in red.children if not c.is_named), "")
    return op.startswith("<")


def misparsed_herestrings(node: Node) -> set[int]:
    """Ids of ``<`` redirects that are really here-strings in a redirected statement.

    tree-sitter-bash 0.25 reads ``cmd > file <<< text`` (a here-string after another
    redirect) as an ERROR node ``<<`` followed by a ``< text`` file redirect.
    """
    out: set[int] = set()
    children = node.children
    for i, child in enumerate(children[:-1]):
        after = children[i + 1]
        if (
            child.type == "ERROR"
            and child.text is not None
            and child.text.strip() == b"<<"
            and after.type == "file_redirect"
            and after.child_count == 2
            and after.children[0].type == "<"
        ):
            out.add(after.id)
    return out


def only_misparsed_herestrings(root: Node) -> bool:
    """Whether every syntax error under ``root`` is a misparsed here-string."""
    stack = [root]
    errors = 0
    explained = 0
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            errors += 1
        if node.type == "redirected_statement":
            explained += len(misparsed_herestrings(node))
        if node.has_error:
            stack.extend(node.children)
    return errors > 0 and errors == explained
