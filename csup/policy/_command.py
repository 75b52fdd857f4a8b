"""What the shell analysis produces: the commands a line runs and its redirects."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Redirect:
    """A redirection: its operator (``>``, ``>>``, ``<``, ``&>`` ...) and its target word."""

    op: str
    target: str
    dynamic: bool


@dataclass(frozen=True, slots=True)
class Command:
    """One simple command as it would run, wrappers stripped.

    ``argv[0]`` is the command name normalised (basename, quotes and backslashes gone).
    ``dynamic`` holds the indices of words whose value is unknown before running
    (variables other than :data:`KNOWN_VARIABLES`, substitutions). ``upstream`` are the
    commands whose output reaches this one's standard input through a pipe; ``feeds``
    those whose output becomes part of its words. ``via`` says how it was reached
    (``"sudo"``, ``"bash -c"``, ``"xargs"``) for the reasons shown to people.
    """

    argv: tuple[str, ...]
    dynamic: frozenset[int] = frozenset()
    upstream: tuple[Command, ...] = ()
    feeds: tuple[Command, ...] = ()
    stdin: str | None = None
    via: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The normalised command name."""
        return self.argv[0] if self.argv else ""

    @property
    def text(self) -> str:
        """The command as one line, words separated by single spaces."""
        return " ".join(self.argv)


@dataclass(slots=True)
class Analysis:
    """Everything one command line would run, and what could not be analysed."""

    commands: list[Command] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    fork_bomb: bool = False
