"""What the shell walker must be told about programs, and the shape of the answers.

The walker knows bash, not programs: which commands are wrappers (``sudo``, ``env``,
``xargs``), which run a script (``bash -c``, ``eval``, ``python -c``), which write files
(``tee``, ``cp``). It asks a :class:`Programs`; csup's is
:class:`csup.policy.programs.knowledge.ProgramKnowledge`.

Types only: nothing here runs, so this module is never imported at run time.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Protocol

    from csup.policy.syntax.command import Command

    class Sub(Protocol):
        """A command started by another one (``find -exec``)."""

        @property
        def argv(self) -> tuple[str, ...]:
            """Its words, the command name first."""

        @property
        def dynamic(self) -> frozenset[int]:
            """Indices of the words only known at run time."""

        @property
        def via(self) -> str:
            """How it was started, for reasons (``find -exec``)."""

    class Unwrapped(Protocol):
        """What :meth:`Programs.unwrap` returns."""

        @property
        def argv(self) -> tuple[str, ...]:
            """The command that runs, wrappers stripped (empty: nothing runs)."""

        @property
        def dynamic(self) -> frozenset[int]:
            """Indices of its words only known at run time."""

        @property
        def wrappers(self) -> tuple[str, ...]:
            """The wrappers it was reached through (``sudo``, ``timeout``)."""

        @property
        def subcommands(self) -> Sequence[Sub]:
            """Commands it starts (``find -exec``, ``find -delete``)."""

        @property
        def problem(self) -> str | None:
            """What could not be seen, if anything."""

        @property
        def chdir(self) -> tuple[str, bool] | None:
            """The directory a wrapper runs the command in (``env -C DIR``), and whether it
            is only known at run time; None: the current one."""

    class Programs(Protocol):
        """Program knowledge, as the walker asks for it (see :func:`.walker.walk`)."""

        def unwrap(
            self, argv: tuple[str, ...], dynamic: frozenset[int], stdin: str | None = None
        ) -> Unwrapped:
            """The command that really runs once wrappers are stripped (``sudo rm`` -> ``rm``),
            and the commands it starts (``find -exec``, ``xargs``); ``stdin`` is the text the
            command reads when the line makes it certain (``echo .env | xargs cat``)."""

        def scripts_of(self, command: Command) -> list[tuple[str | None, str]]:
            """Scripts ``command`` hands to a shell, each (text or None when only known at
            run time, how it was reached): ``sh -c S``, ``eval S``, ``python3 -c CODE``."""

        def written_files(self, command: Command) -> list[tuple[str, str | None]]:
            """Files ``command`` writes by its arguments, each (path as written, content or
            None): ``tee F``, ``cp A F``, ``curl -o F``."""

        def printed_text(self, command: Command) -> str | None:
            """What ``command`` prints when it is certain (``echo``, ``printf``, ``cat`` of a
            here-document), else None."""

        def certain_output(self, command: Command) -> str | None:
            """What ``command`` prints, exactly, when the line makes it certain (``echo`` and
            ``printf`` of literal words, ``cat`` of a here-document), else None."""

        def reads_script(self, name: str) -> bool:
            """Whether the program ``name`` runs what its standard input gives it as code."""

        def runs_value_of(self, variable: str) -> bool:
            """Whether some program runs the value of ``variable`` as a shell command
            (``GIT_SSH_COMMAND``, ``PAGER``)."""

        def made_path(self, command: Command) -> str | None:
            """A path standing for the fresh file a substitution makes (``$(mktemp)``), or
            None."""
