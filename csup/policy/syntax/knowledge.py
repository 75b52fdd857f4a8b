"""What the shell walker must be told about programs, and the shape of the answers.

The walker knows bash, not programs: which commands are wrappers (``sudo``, ``env``,
``xargs``), which run a script (``bash -c``, ``eval``, ``python -c``), which write files
(``tee``, ``cp``). It asks a :class:`Programs`; csup's is
:class:`csup.policy.programs.knowledge.ProgramKnowledge`. :class:`Unwrapped` and :class:`Sub`
are what :meth:`Programs.unwrap` returns.
"""

from __future__ import annotations

from csup._record import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Protocol

    from csup.policy.syntax.command import Command

    class Programs(Protocol):
        """Program knowledge, as the walker asks for it (see :func:`.walker.walk`)."""

        def unwrap(self, argv: tuple[str, ...], dynamic: frozenset[int]) -> Unwrapped:
            """The command that really runs once wrappers are stripped (``sudo rm`` -> ``rm``),
            and the commands it starts (``find -exec``)."""

        def scripts_of(self, command: Command) -> list[tuple[str | None, str]]:
            """Scripts ``command`` hands to a shell, each (text or None when only known at
            run time, how it was reached): ``sh -c S``, ``eval S``, ``python3 -c CODE``."""

        def written_files(self, command: Command) -> list[tuple[str, str | None]]:
            """Files ``command`` writes by its arguments, each (path as written, content or
            None): ``tee F``, ``cp A F``, ``curl -o F``."""

        def printed_text(self, command: Command) -> str | None:
            """What ``command`` prints when it is certain (``echo``, ``printf``, ``cat`` of a
            here-document), else None."""

        def reads_script(self, name: str) -> bool:
            """Whether the program ``name`` runs what its standard input gives it as code."""

        def runs_value_of(self, variable: str) -> bool:
            """Whether some program runs the value of ``variable`` as a shell command
            (``GIT_SSH_COMMAND``, ``PAGER``)."""

        def made_path(self, command: Command) -> str | None:
            """A path standing for the fresh file a substitution makes (``$(mktemp)``), or
            None."""


class Sub(Record):
    """A command started by another one (``find -exec``)."""

    __slots__ = ("argv", "dynamic", "via")

    def __init__(self, argv: tuple[str, ...], dynamic: frozenset[int], via: str) -> None:
        self.argv = argv
        self.dynamic = dynamic
        self.via = via


class Unwrapped(Record):
    """What :meth:`Programs.unwrap` returns: the command that runs, the wrappers it was
    reached through, the commands it starts, and what could not be seen."""

    # in constructor order
    __slots__ = ("argv", "dynamic", "wrappers", "subcommands", "problem")  # noqa: RUF023

    def __init__(
        self,
        argv: tuple[str, ...],
        dynamic: frozenset[int],
        wrappers: tuple[str, ...] = (),
        subcommands: list[Sub] | None = None,
        problem: str | None = None,
    ) -> None:
        self.argv = argv
        self.dynamic = dynamic
        self.wrappers = wrappers
        self.subcommands: list[Sub] = [] if subcommands is None else subcommands
        self.problem = problem
