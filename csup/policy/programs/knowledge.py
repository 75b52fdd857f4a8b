"""csup's program knowledge as the shell walker asks for it, and ``analyse``: what a line runs.

The walker (:mod:`csup.policy.syntax.walker`) knows bash and no program; :class:`ProgramKnowledge`
answers its questions (see :class:`~csup.policy.syntax.knowledge.Programs`) from the knowledge
of this layer: wrappers, interpreters, the programs that hand a script to a shell and the files
programs write. :func:`analyse` wires the two: it is the one way the rules and the engine turn
a Bash line into its commands.
"""

from __future__ import annotations

import itertools

from csup.policy.programs.inline import INTERPRETERS
from csup.policy.programs.printing import certain_output
from csup.policy.programs.runs import (
    COMMAND_VARIABLES,
    EMBEDDED_SHELL,
    FILE_WRITERS,
    embedded_commands,
    git_shell_values,
    local_commands,
    made_path,
    piped_scripts,
    printed_text,
    program_of,
    reads_program_from_stdin,
    remote_command,
    sets_up_the_shell,
    written_files,
)
from csup.policy.programs.wrappers import SHELLS, Unwrapped, unwrap
from csup.policy.syntax.walker import walk

TYPE_CHECKING = False
if TYPE_CHECKING:
    from csup.policy.syntax.command import Analysis, Command


def analyse(script: str) -> Analysis:
    """Analyse one Bash command line: the commands it runs, its redirects and the files it
    writes. Never raises; what could not be seen is listed in ``problems``."""
    return walk(script, KNOWLEDGE)


class ProgramKnowledge:
    """What csup knows of programs, in the shape the walker asks for it."""

    __slots__ = ()

    def unwrap(
        self, argv: tuple[str, ...], dynamic: frozenset[int], stdin: str | None = None
    ) -> Unwrapped:
        """See :func:`csup.policy.programs.wrappers.unwrap`."""
        return unwrap(argv, dynamic, stdin)

    def scripts_of(self, command: Command) -> list[tuple[str | None, str]]:
        """See :func:`scripts_of`."""
        return scripts_of(command)

    def written_files(self, command: Command) -> list[tuple[str, str | None]]:
        """See :func:`csup.policy.programs.runs.written_files`."""
        return written_files(command) if command.name in FILE_WRITERS else []

    def printed_text(self, command: Command) -> str | None:
        """See :func:`csup.policy.programs.runs.printed_text`."""
        return printed_text(command)

    def certain_output(self, command: Command) -> str | None:
        """See :func:`csup.policy.programs.printing.certain_output`."""
        return certain_output(command)

    def reads_script(self, name: str) -> bool:
        """Shells and interpreters run what their standard input gives them."""
        return name in SHELLS or name in INTERPRETERS

    def runs_value_of(self, variable: str) -> bool:
        """See :data:`csup.policy.programs.runs.COMMAND_VARIABLES`."""
        return COMMAND_VARIABLES.fullmatch(variable) is not None

    def made_path(self, command: Command) -> str | None:
        """See :func:`csup.policy.programs.runs.made_path`."""
        return made_path(command)


KNOWLEDGE = ProgramKnowledge()


def scripts_of(command: Command) -> list[tuple[str | None, str]]:
    """Scripts a command hands to a shell: ``sh -c S``, ``eval S``, ``sh <<< S``."""
    argv, name = command.argv, command.name
    if name == "eval":
        known = not any(i > 0 for i in command.dynamic)
        if not known and sets_up_the_shell(command):
            return []  # `eval "$(pyenv init -)"`: the tool's own shell set-up
        return [(" ".join(argv[1:]) if known else None, "eval")]
    if name == "trap" and len(argv) > 2 and not argv[1].startswith("-"):
        # `trap 'rm -rf ~' EXIT`: the handler runs when the shell exits or is signalled
        return [(None if 1 in command.dynamic else argv[1], "trap")]
    if name in ("source", ".") and len(argv) > 1:
        return _fed_script(command, 1, name)
    if name == "alias":
        return [(a.split("=", 1)[1], "alias") for a in argv[1:] if "=" in a]
    if name in INTERPRETERS or name.startswith(("python3.", "python2.")):
        from csup.policy.programs.inline import hidden_commands  # noqa: PLC0415 - rare

        code = program_of(command)
        if code is None and command.upstream and reads_program_from_stdin(command):
            # `echo 'import os; os.system("rm -rf ~")' | python3`
            code = next(iter(piped_scripts(command.upstream[-1], name)))[0]
        if code is None or any(i > 1 for i in command.dynamic):
            return []
        return [(script, f"{name} code") for script in hidden_commands(code)]
    if name == "git":
        return git_shell_values(command)
    if name in ("ssh", "mosh", "scp", "sftp", "rsync"):
        local = local_commands(command)
        return local if name in ("scp", "sftp", "rsync") else local + remote_command(command)
    if name in EMBEDDED_SHELL:
        return embedded_commands(command)
    if name in ("at", "batch") and not any(a in ("-l", "-r", "-d", "-c") for a in argv):
        if command.stdin is not None:
            return [(command.stdin, f"{name} <<<")]
        if command.upstream:
            return piped_scripts(command.upstream[-1], name)
        return []
    if name in ("su", "runuser", "script"):
        for i, arg in enumerate(argv[1:-1], start=1):
            short = arg.startswith("-") and not arg.startswith("--") and arg.endswith("c")
            if arg in ("-c", "--command") or (name == "script" and short):
                return [(None if i + 1 in command.dynamic else argv[i + 1], f"{name} -c")]
            if name == "script" and arg.startswith("--command="):
                return [(arg.split("=", 1)[1], f"{name} -c")]
        if name != "script" and command.stdin is not None:
            return [(command.stdin, f"{name} <<<")]  # `su <<< 'rm -rf /'`
        return []
    if name not in SHELLS:
        return []
    options = list(itertools.takewhile(lambda a: a.startswith("-"), argv[1:]))
    if any(a == "--noexec" or (a[1:2] != "-" and "n" in a) for a in options):
        return []  # `bash -n -c S`: a syntax check, S never runs
    for i, arg in enumerate(argv[1:], start=1):
        if arg == "--" or not arg.startswith("-"):
            break
        if "c" in arg.lstrip("-") and not arg.startswith("--"):
            at = i + 2 if argv[i + 1 : i + 2] == ("--",) else i + 1
            if at >= len(argv):
                return []
            return [(None if at in command.dynamic else argv[at], f"{name} -c")]
    operand = next((i for i, a in enumerate(argv[1:], 1) if not a.startswith("-")), None)
    if operand is not None:
        return _fed_script(command, operand, name)  # runs a script file
    if command.stdin is not None:
        return [(command.stdin, f"{name} <<<")]
    if command.upstream:
        return piped_scripts(command.upstream[-1], name)
    return []


def _fed_script(command: Command, at: int, name: str) -> list[tuple[str | None, str]]:
    """The script a shell or ``source`` reads from the file ``argv[at]``, when the line makes
    it: ``bash <(echo 'rm -rf ~')``, ``echo 'rm -rf ~' | source /dev/stdin``.

    A file on disk is judged by the rules (see ``judge_script_files``); a process
    substitution from a tool (``source <(kubectl completion bash)``) is left alone.
    """
    word = command.argv[at]
    if word in ("/dev/stdin", "/dev/fd/0", "-", "/proc/self/fd/0"):
        if command.stdin is not None:
            return [(command.stdin, f"{name} <<<")]
        return piped_scripts(command.upstream[-1], name) if command.upstream else []
    if word == "$(...)" and at in command.dynamic and command.feeds:
        source = command.feeds[-1]
        if source.name in ("echo", "printf", "cat"):
            scripts = piped_scripts(source, f"{name} <(...)")
            return [(t, how) for t, how in scripts if t is not None]
    return []
