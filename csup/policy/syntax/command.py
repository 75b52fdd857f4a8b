"""What the shell analysis produces: the commands a line runs and its redirects."""

from __future__ import annotations

from csup._record import Frozen, Record

_set = object.__setattr__

WRITE_OPS = frozenset({">", ">>", ">|", "&>", "&>>"})
"""Redirect operators that write their target."""


class Redirect(Frozen):
    """A redirection: its operator (``>``, ``>>``, ``<``, ``&>`` ...) and its target word."""

    __slots__ = ("op", "target", "dynamic")  # noqa: RUF023 - constructor order

    op: str
    target: str
    dynamic: bool

    def __init__(self, op: str, target: str, dynamic: bool) -> None:
        _set(self, "op", op)
        _set(self, "target", target)
        _set(self, "dynamic", dynamic)


_NO_INDICES: frozenset[int] = frozenset()


class Command(Frozen):
    """One simple command as it would run, wrappers stripped.

    ``argv[0]`` is the command name normalised (basename, quotes and backslashes gone).
    ``dynamic`` holds the indices of words whose value is unknown before running
    (variables other than :data:`.walker.KNOWN_VARIABLES`, substitutions). ``upstream`` are the
    commands whose output reaches this one's standard input through a pipe; ``feeds``
    those whose output becomes part of its words. ``via`` says how it was reached
    (``"sudo"``, ``"bash -c"``, ``"xargs"``) for the reasons shown to people.
    """

    # in constructor order
    __slots__ = ("argv", "dynamic", "upstream", "feeds", "stdin", "via", "chdir")  # noqa: RUF023

    argv: tuple[str, ...]
    dynamic: frozenset[int]
    upstream: tuple[Command, ...]
    feeds: tuple[Command, ...]
    stdin: str | None
    via: tuple[str, ...]
    chdir: str | None
    """The directory a wrapper runs the command in (``env -C DIR``, ``sudo -D DIR``);
    ``"$(...)"`` when it is only known at run time."""

    def __init__(  # noqa: PLR0917 - positional, as the dataclass it was
        self,
        argv: tuple[str, ...],
        dynamic: frozenset[int] = _NO_INDICES,
        upstream: tuple[Command, ...] = (),
        feeds: tuple[Command, ...] = (),
        stdin: str | None = None,
        via: tuple[str, ...] = (),
        *,
        chdir: str | None = None,
    ) -> None:
        _set(self, "argv", argv)
        _set(self, "dynamic", dynamic)
        _set(self, "upstream", upstream)
        _set(self, "feeds", feeds)
        _set(self, "stdin", stdin)
        _set(self, "via", via)
        _set(self, "chdir", chdir)

    @property
    def name(self) -> str:
        """The normalised command name."""
        return self.argv[0] if self.argv else ""

    @property
    def text(self) -> str:
        """The command as one line, words separated by single spaces."""
        return " ".join(self.argv)


class Analysis(Record):
    """Everything one command line would run, and what could not be analysed."""

    # in constructor order
    __slots__ = ("commands", "redirects", "problems", "fork_bomb", "assigned", "writes")  # noqa: RUF023

    commands: list[Command]
    redirects: list[Redirect]
    problems: list[str]
    fork_bomb: bool
    writes: list[tuple[str, str | None]]
    """(path as written, content) of the files the line writes (``>``, ``tee``, ``cp``,
    ``curl -o`` ...); the content when the line gives it (``echo``/``printf``/here-document),
    else None."""
    assigned: list[tuple[str, str]]
    """(name, value) of the variables the line sets (``NAME=v cmd``, ``export NAME=v``,
    ``env NAME=v``); the value as written when it is only known at run time."""

    def __init__(
        self,
        commands: list[Command] | None = None,
        redirects: list[Redirect] | None = None,
        problems: list[str] | None = None,
        fork_bomb: bool = False,
    ) -> None:
        self.commands = [] if commands is None else commands
        self.redirects = [] if redirects is None else redirects
        self.problems = [] if problems is None else problems
        self.fork_bomb = fork_bomb
        self.assigned: list[tuple[str, str]] = []
        self.writes: list[tuple[str, str | None]] = []
