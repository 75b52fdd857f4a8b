"""Flag normalisation: ``-rf``, ``-r -f``, ``-fr``, ``-R --force`` and ``--recursive`` alike.

Also where git's subcommand is, past its global options.
"""

from __future__ import annotations

from csup._record import Frozen


class Args(Frozen):
    """A command's arguments split into flags (normalised names) and operands.

    ``operands``: (text, dynamic) of each operand, in order.
    """

    __slots__ = ("flags", "operands")

    flags: frozenset[str]
    operands: tuple[tuple[str, bool], ...]

    def __init__(self, flags: frozenset[str], operands: tuple[tuple[str, bool], ...]) -> None:
        object.__setattr__(self, "flags", flags)
        object.__setattr__(self, "operands", operands)

    def has(self, *names: str) -> bool:
        """Whether any of the named (normalised) flags is present."""
        return any(name in self.flags for name in names)


def parse_args(
    argv: tuple[str, ...],
    dynamic: frozenset[int] = frozenset(),
    *,
    aliases: dict[str, str] | None = None,
    takes_value: frozenset[str] = frozenset(),
    start: int = 1,
) -> Args:
    """Split ``argv[start:]`` into flags and operands.

    Short flags are split letter by letter (``-rf`` -> ``r``, ``f``), long ones keep their
    name without the value (``--force=x`` -> ``force``); ``aliases`` maps either form to one
    name (``{"R": "r", "recursive": "r"}``). Options in ``takes_value`` consume the next word.
    ``--`` ends the options. A dynamic word is an operand: its value is unknown.
    """
    aliases = aliases or {}
    flags: set[str] = set()
    operands: list[tuple[str, bool]] = []
    i = start
    only_operands = False
    while i < len(argv):
        text, dyn = argv[i], i in dynamic
        i += 1
        if only_operands or dyn or not text.startswith("-") or text == "-":
            operands.append((text, dyn))
            continue
        if text == "--":
            only_operands = True
            continue
        if text.startswith("--"):
            name = text[2:].split("=", 1)[0]
            flags.add(aliases.get(name, name))
            if name in takes_value and "=" not in text:
                i += 1
            continue
        for pos, letter in enumerate(text[1:]):
            flags.add(aliases.get(letter, letter))
            if letter in takes_value:
                if pos == len(text) - 2:
                    i += 1
                break
    return Args(frozenset(flags), tuple(operands))


def git_subcommand(argv: tuple[str, ...]) -> int | None:
    """Index of git's subcommand in ``argv``, skipping global options (``-C dir``, ``-c k=v``)."""
    i = 1
    while i < len(argv):
        word = argv[i]
        if word in ("-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path"):
            i += 2
        elif word.startswith("-"):
            i += 1
        else:
            return i
    return None
