"""How the catalog's forms match a command (see :mod:`.catalog` for the data).

A form is a line of space-separated tokens, all of which must hold:

``word`` (or ``a|b``, globs allowed: ``db:drop*``)
    a word of the command's operands, in order; the first among the first three operands.
``-x``
    a short flag, alone or in a cluster (``-fx``); ``-auto-approve`` (one dash, long) and
    ``--force`` are matched whole, with or without ``=value``. ``-f|--force``: either.
``--flag=v1|v2`` / ``-o=yaml|json``
    the flag with one of these values (``--flag=v``, ``--flag v``, ``-ov``); globs allowed.
``!token``
    the flag or word must not be there.

Package runners in front of a tool (``npx prisma``, ``bundle exec rails``, ``uv run alembic``)
are looked through: the entry for the tool matches.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from csup._record import Frozen

_set = object.__setattr__

RUNNERS: dict[str, tuple[str, ...]] = {
    "npx": (),
    "pnpx": (),
    "bunx": (),
    "pnpm": ("exec", "dlx"),
    "yarn": ("exec", "dlx"),
    "bun": ("x", "run"),
    "npm": ("exec",),
    "uv": ("run",),
    "uvx": (),
    "poetry": ("run",),
    "pipenv": ("run",),
    "pdm": ("run",),
    "hatch": ("run",),
    "bundle": ("exec",),
    "dotenv": (),
    "pipx": ("run",),
}
"""Commands that run a tool given as their next word (after one of these subcommands)."""


def through_runners(argv: tuple[str, ...]) -> tuple[str, ...]:
    """``argv`` with package runners in front stripped: ``npx -y prisma x`` -> ``prisma x``."""
    for _ in range(4):
        if not argv or argv[0] not in RUNNERS:
            return argv
        sub = RUNNERS[argv[0]]
        rest = list(argv[1:])
        if sub:
            if not rest or rest[0] not in sub:
                # `yarn prisma ...` and `pnpm prisma ...` run a package's binary too
                if argv[0] in ("yarn", "pnpm") and rest and not rest[0].startswith("-"):
                    argv = tuple(rest)
                    continue
                return argv
            rest = rest[1:]
        while rest and rest[0].startswith("-"):
            rest = rest[1:]
            if argv[0] == "dotenv" and rest and not rest[0].startswith("-"):
                rest = rest[1:]  # `dotenv -e .env.test -- cmd`
        argv = tuple(rest)
    return argv


class Form(Frozen):
    """One form of a catalog entry, parsed."""

    __slots__ = ("text", "words", "flags", "absent")  # noqa: RUF023 - constructor order

    text: str
    words: tuple[tuple[str, ...], ...]
    flags: tuple[tuple[str, ...], ...]
    absent: tuple[tuple[str, ...], ...]

    def __init__(self, text: str) -> None:
        words: list[tuple[str, ...]] = []
        flags: list[tuple[str, ...]] = []
        absent: list[tuple[str, ...]] = []
        for written in text.split():
            token = written.removeprefix("!")
            options = tuple(token.split("|")) if not token.startswith("-") else _flag_options(token)
            if written.startswith("!"):
                absent.append(options)
            elif token.startswith("-"):
                flags.append(options)
            else:
                words.append(options)
        _set(self, "text", text)
        _set(self, "words", tuple(words))
        _set(self, "flags", tuple(flags))
        _set(self, "absent", tuple(absent))

    def matches(self, argv: tuple[str, ...]) -> bool:
        """Whether ``argv`` (the tool's name first) has this form."""
        args = argv[1:]
        operands = [a for a in args if not a.startswith("-")]
        at = 0
        for k, options in enumerate(self.words):
            found = next(
                (i for i in range(at, len(operands)) if _any_glob(operands[i], options)), None
            )
            if found is None or (k == 0 and found > 2):
                return False
            at = found + 1
        if not all(_has_flag(args, options) for options in self.flags):
            return False
        for options in self.absent:
            if options[0].startswith("-"):
                if _has_flag(args, options):
                    return False
            elif any(_any_glob(o, options) for o in operands):
                return False
        return True


def _flag_options(token: str) -> tuple[str, ...]:
    """``--force|-f`` -> each flag; ``-o=yaml|json`` -> ``-o=yaml``, ``-o=json``."""
    if "=" in token:
        flag, values = token.split("=", 1)
        return tuple(f"{flag}={v}" for v in values.split("|"))
    return tuple(token.split("|"))


def _any_glob(word: str, options: tuple[str, ...]) -> bool:
    return any(word == o or fnmatchcase(word, o) for o in options)


def _has_flag(args: tuple[str, ...], options: tuple[str, ...]) -> bool:
    return any(_has_one_flag(args, option) for option in options)


def _has_one_flag(args: tuple[str, ...], option: str) -> bool:
    flag, _, value = option.partition("=")
    short = len(flag) == 2 and flag[1] != "-"
    for i, arg in enumerate(args):
        if arg == "--":
            return False
        following = args[i + 1] if i + 1 < len(args) else ""
        if not value:
            if arg == flag or arg.startswith(flag + "="):
                return True
            cluster = arg.startswith("-") and not arg.startswith("--") and len(arg) <= 5
            if short and cluster and arg[1:].isalpha() and flag[1] in arg[1:]:
                return True
            continue
        if arg == flag and fnmatchcase(following, value):
            return True
        if arg.startswith(flag + "=") and fnmatchcase(arg[len(flag) + 1 :], value):
            return True
        if short and arg.startswith(flag) and fnmatchcase(arg[2:], value):
            return True
    return False
