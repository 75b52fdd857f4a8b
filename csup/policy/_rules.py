"""The dangerous-command rules: how they are registered and run over an analysed command line.

A rule looks at one :class:`~csup.policy._shell.Command` (or at the whole line, for
redirects and fork bombs) and returns findings. A finding is a ``deny`` (dangerous at every
level) or an ``ask`` (leaves the workspace: asked at ``moderate``, allowed at
``permissive``). Rule ids are ``category.name``; the categories are ``fs``, ``disk``, ``git``,
``exec``, ``system``, ``secrets``, ``csup``, ``net``, ``workspace`` and ``shell``.
"""

from __future__ import annotations

from csup._record import Frozen
from csup.policy._command import Analysis, Command
from csup.policy._lazy_re import LazyRegex
from csup.policy._paths import Where, expand, real

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from typing import Literal

    from csup.policy._memory import SessionMemory

    Check = Callable[[Command, "Context"], Iterable["Finding"]]

_set = object.__setattr__


class Finding(Frozen):
    """What a rule found: deny or ask, the rule id, and the reason for people and Claude.

    ``subject``: the simple command it is about, set by :func:`judge_bash` (None: the whole
    line); an ``[[exception]]`` with a pattern is matched against it.
    """

    __slots__ = ("behavior", "rule", "reason", "subject")  # noqa: RUF023 - constructor order

    behavior: Literal["deny", "ask"]
    rule: str
    reason: str
    subject: Command | None

    def __init__(
        self,
        behavior: Literal["deny", "ask"],
        rule: str,
        reason: str,
        subject: Command | None = None,
    ) -> None:
        _set(self, "behavior", behavior)
        _set(self, "rule", rule)
        _set(self, "reason", reason)
        _set(self, "subject", subject)

    def about(self, command: Command | None) -> Finding:
        """This finding about ``command`` (kept if it has a subject already)."""
        if command is None or self.subject is not None:
            return self
        return Finding(self.behavior, self.rule, self.reason, command)


class Context(Frozen):
    """What the rules know about the session.

    ``protected_branches``: branches a force push may not touch; None = every branch.
    ``control_files``: further files (resolved) that would switch csup off, e.g. the policy
    file in use.
    """

    # in constructor order
    __slots__ = ("where", "protected_branches", "control_files", "links")  # noqa: RUF023

    where: Where
    protected_branches: tuple[str, ...] | None
    control_files: tuple[str, ...]
    links: tuple[tuple[str, str], ...]
    """Symbolic links the line itself makes (``ln -s / x && rm -rf x/*``): (link, target)."""

    def __init__(
        self,
        where: Where,
        protected_branches: tuple[str, ...] | None = None,
        control_files: tuple[str, ...] = (),
        links: tuple[tuple[str, str], ...] = (),
    ) -> None:
        _set(self, "where", where)
        _set(self, "protected_branches", protected_branches)
        _set(self, "control_files", control_files)
        _set(self, "links", links)


BY_NAME: dict[str, list[Check]] = {}
EVERY_COMMAND: list[Check] = []


def rule(*names: str) -> Callable[[Check], Check]:
    """Register a check for commands with these names (none: for every command)."""

    def register(check: Check) -> Check:
        if not names:
            EVERY_COMMAND.append(check)
        for name in names:
            BY_NAME.setdefault(name, []).append(check)
        return check

    return register


def shown(command: Command) -> str:
    """How a command is quoted in a reason: its text, and how it was reached."""
    text = command.text if len(command.text) <= 120 else command.text[:117] + "..."
    via = f" (run via {', '.join(dict.fromkeys(command.via))})" if command.via else ""
    return f"`{text}`{via}"


def alone(command: Command) -> Command | None:
    """``command`` if a finding on it is about it alone (no pipe or substitution feeds it)."""
    return None if command.upstream or command.feeds else command


def deny(rule_id: str, reason: str) -> Finding:
    """A deny finding."""
    return Finding("deny", rule_id, reason)


def ask(rule_id: str, reason: str) -> Finding:
    """An ask finding."""
    return Finding("ask", rule_id, reason)


def path_of(word: str, ctx: Context) -> str | None:
    """The resolved path a word names (symlinks followed), or None if unknown."""
    path = expand(word, ctx.where.cwd, ctx.where.home)
    return None if path is None else relink(real(path), ctx)


def relink(path: str, ctx: Context) -> str:
    """``path`` through the links the line makes before it runs (see :attr:`Context.links`)."""
    for link, target in ctx.links:
        if path == link or path.startswith(link + "/"):
            return real(target + path[len(link) :])
    return path


def _links_made(analysis: Analysis, ctx: Context) -> tuple[tuple[str, str], ...]:
    """(link, target) for each ``ln -s TARGET LINK`` of the line, both resolved."""
    import os  # noqa: PLC0415 - only lines that make links

    links: list[tuple[str, str]] = []
    for command in analysis.commands:
        if command.name != "ln" or command.dynamic:
            continue
        args = command.argv[1:]
        symbolic = any(
            a == "--symbolic" or (a.startswith("-") and not a.startswith("--") and "s" in a)
            for a in args
        )
        operands = [a for a in args if not a.startswith("-")]
        if not symbolic or len(operands) != 2:
            continue
        link = expand(operands[1], ctx.where.cwd, ctx.where.home)
        if link is None:
            continue
        parent, name = os.path.split(link.rstrip("/"))
        link = os.path.join(real(parent), name)
        if os.path.isdir(link) and not os.path.islink(link):
            link = os.path.join(link, os.path.basename(operands[0].rstrip("/")))
        target = expand(operands[0], os.path.dirname(link), ctx.where.home)
        if target is not None:
            links.append((link, real(target)))
    return tuple(links)


def _track_cd(command: Command, ctx: Context) -> Context:
    """Follow ``cd``/``pushd`` so later relative paths resolve where they will run."""
    operands = [a for a in command.argv[1:] if not a.startswith("-") or a == "-"]
    if command.name == "popd":
        target: str | None = None
    elif not operands:
        target = ctx.where.home
    elif any(i > 0 for i in command.dynamic) or operands[0] == "-":
        target = None
    else:
        target = expand(operands[0], ctx.where.cwd, ctx.where.home)
    where = ctx.where
    return Context(
        Where(target, where.home, where.workspace, where.temp),
        ctx.protected_branches,
        ctx.control_files,
        ctx.links,
    )


_DANGEROUS_WORD = LazyRegex(
    r"(?<![\w-])(?:rm|dd|mkfs[\w.]*|shred|wipefs|fdisk|parted|chmod|chown|shutdown|reboot|"
    r"halt|poweroff|kill|killall|pkill|sudo|doas|eval|base64|curl|wget|git|mv|truncate|"
    r"find|xargs|sh|bash|zsh|python3?|perl|ruby|node)(?![\w-])"
    r"|\.ssh|\.aws|\.env|\.csup|\.claude|/dev/|:\(\)|>"
    r"|(?<![\w-])-[a-zA-Z]*(?:rf|fr|Rf|fR)[a-zA-Z]*(?![\w-])|--(?:force|recursive|hard|delete)\b"
    r"|--no-preserve-root|\$HOME\b|\$\{HOME\}|(?<![\w~])~(?=/|\s|$)|(?<!\S)/(?:\*|\s|$)",
)


def dangerous_word(text: str) -> str | None:
    """The first word of ``text`` that could make a line dangerous, if any."""
    match = _DANGEROUS_WORD.search(text)
    return match.group(0) if match else None


_SOFT_IN_SCRIPTS = frozenset({"fs.rm-unknown-target", "shell.unanalysable"})
"""Findings that rest on values only known at run time: too common in scripts to deny."""
MAX_SCRIPT = 64 * 1024
_SCRIPT_RUNNERS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "source", "."})


def _script_files(analysis: Analysis, ctx: Context) -> list[str]:
    """Existing files the line runs as shell scripts: ``bash x.sh``, ``source x.sh``, ``./x.sh``."""
    import os  # noqa: PLC0415 - only lines that run scripts

    paths: list[str] = []
    for command in analysis.commands:
        if command.name in _SCRIPT_RUNNERS:
            args = command.argv[1:]
            if any(
                a.startswith("-") and not a.startswith("--") and {"c", "n"} & set(a) for a in args
            ):
                continue  # `bash -c` is analysed as a script already; `bash -n` runs nothing
            operand = next((i for i, a in enumerate(args, 1) if not a.startswith("-")), None)
            if operand is None or operand in command.dynamic:
                continue
            word = command.argv[operand]
        elif command.name.endswith(".sh") and 0 not in command.dynamic:
            word = command.name
        else:
            continue
        path = path_of(word, ctx)
        if path is not None and path not in paths and os.path.isfile(path):
            paths.append(path)
    return paths[:4]


def judge_script_files(analysis: Analysis, ctx: Context) -> Iterator[Finding]:
    """What the shell scripts a line runs would do: the line is as dangerous as they are.

    Only what is certain counts: a script's deletes of variables (``rm -rf "$1"``) and the
    parts csup cannot analyse are left to the person who wrote it. Scripts run by scripts
    are not followed.
    """
    from csup.policy._shell import analyse  # noqa: PLC0415 - loaded by then

    for path in _script_files(analysis, ctx):
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                text = handle.read(MAX_SCRIPT + 1)
        except OSError:
            continue
        if len(text) > MAX_SCRIPT:
            continue
        for finding in judge_bash(analyse(text), ctx, scripts=False):
            if finding.behavior == "deny" and finding.rule not in _SOFT_IN_SCRIPTS:
                yield deny(finding.rule, f"In the script `{path}` the line runs: {finding.reason}")
                return


def judge_bash(
    analysis: Analysis,
    ctx: Context,
    *,
    scripts: bool = True,
    memory: SessionMemory | None = None,
) -> Iterator[Finding]:
    """Every finding on an analysed command line, in the order the line would run.

    ``memory``: the session's (see :class:`~csup.policy._memory.SessionMemory`).
    """
    import csup.policy._rules_fs  # noqa: PLC0415 - registers the rules
    import csup.policy._rules_infra  # noqa: F401, PLC0415

    # the catalog's rules come after the hand-written ones (their ids win where both fire)
    from csup.policy._rules_catalog import judge_catalog  # noqa: PLC0415
    from csup.policy._rules_exec import (  # noqa: PLC0415
        judge_download_and_run,
        judge_guard_variables,
        judge_printed_environment,
        judge_shown_secrets,
    )
    from csup.policy._rules_fs import judge_redirects  # noqa: PLC0415

    if analysis.fork_bomb:
        yield deny(
            "system.fork-bomb",
            "Blocked a fork bomb: a function that starts copies of itself in the background "
            "until the machine runs out of processes.",
        )
    links = _links_made(analysis, ctx) if any(c.name == "ln" for c in analysis.commands) else ()
    start = ctx
    for command in analysis.commands:
        if command.name in ("cd", "pushd", "popd"):
            ctx = _track_cd(command, ctx)
            continue
        # what a finding is about: this command, unless a pipe, a substitution or a `cd`
        # before it take part (then the whole line is)
        about = alone(command) if ctx is start else None
        checks = [*EVERY_COMMAND, *BY_NAME.get(command.name, ())]
        if command.name.startswith("mkfs"):
            checks.append(BY_NAME["mkfs"][0])
        for check in checks:
            for finding in check(command, ctx):
                yield finding.about(about)
        if command.name == "ln" and links:
            # what comes after the link is made goes through it
            ctx = _with_links(ctx, links)
    yield from judge_download_and_run(analysis)
    yield from judge_shown_secrets(analysis)
    yield from judge_catalog(analysis)
    if analysis.assigned:
        yield from judge_guard_variables(analysis)
    if any(c.name in ("source", ".") for c in analysis.commands):
        yield from judge_printed_environment(analysis)
    if scripts:
        yield from judge_script_files(analysis, start)
        if analysis.writes or memory is not None:
            from csup.policy._rules_session import (  # noqa: PLC0415 - only then
                judge_user_work,
                judge_written_then_run,
            )

            yield from judge_written_then_run(analysis, start, memory)
            yield from judge_user_work(analysis, start, memory)
    # a redirect may run before or after a `cd` or an `ln -s`: judge it from both places
    yield from judge_redirects(analysis, start)
    if ctx.where.cwd != start.where.cwd or ctx.links:
        yield from judge_redirects(analysis, ctx)


def _with_links(ctx: Context, links: tuple[tuple[str, str], ...]) -> Context:
    return Context(ctx.where, ctx.protected_branches, ctx.control_files, links)
