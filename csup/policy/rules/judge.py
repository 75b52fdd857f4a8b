"""The dangerous-command rules run over an analysed command line, in the order it would run.

:func:`judge_bash` runs every family's checks (registered in :mod:`.base`) over each command,
following ``cd`` and the links the line makes, then the rules that look at the whole line:
downloads run, secrets shown, the catalog, the scripts the line runs, what was written then
run, the user's work, redirects.
"""

from __future__ import annotations

from csup._lazy_re import LazyRegex
from csup.policy.programs.paths import Where, expand, real
from csup.policy.rules.base import BY_NAME, EVERY_COMMAND, Context, Finding, alone, deny, path_of
from csup.policy.syntax.command import Command

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

    from csup.policy.rules.base import Memory
    from csup.policy.syntax.command import Analysis


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
    from csup.policy.programs.knowledge import analyse  # noqa: PLC0415 - loaded by then

    for path in _script_files(analysis, ctx):
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                text = handle.read(MAX_SCRIPT + 1)
        except OSError:
            continue
        if len(text) > MAX_SCRIPT:
            continue
        seen: set[str] = set()  # the first of each rule: an exception of one hides no other
        for finding in judge_bash(analyse(text), ctx, scripts=False):
            if finding.behavior != "deny" or finding.rule in _SOFT_IN_SCRIPTS | seen:
                continue
            seen.add(finding.rule)
            yield deny(finding.rule, f"In the script `{path}` the line runs: {finding.reason}")


def judge_bash(
    analysis: Analysis,
    ctx: Context,
    *,
    scripts: bool = True,
    memory: Memory | None = None,
) -> Iterator[Finding]:
    """Every finding on an analysed command line, in the order the line would run.

    ``memory``: the session's (the engine's ``SessionMemory``, see :class:`.base.Memory`).
    """
    import csup.policy.rules.fs  # noqa: PLC0415 - registers the rules
    import csup.policy.rules.git  # noqa: PLC0415
    import csup.policy.rules.infra  # noqa: F401, PLC0415

    # the catalog's rules come after the hand-written ones (their ids win where both fire)
    from csup.policy.rules.catalog import judge_catalog  # noqa: PLC0415
    from csup.policy.rules.exec import (  # noqa: PLC0415
        judge_download_and_run,
        judge_guard_variables,
        judge_printed_environment,
        judge_shown_secrets,
    )
    from csup.policy.rules.fs import judge_redirects  # noqa: PLC0415
    from csup.policy.rules.shipping import judge_shipped_files  # noqa: PLC0415

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
        # `env -C / rm -rf etc`: the command runs in the wrapper's directory
        here = ctx
        if command.chdir:
            unknown = frozenset({1}) if command.chdir == "$(...)" else frozenset()
            here = _track_cd(Command(("cd", command.chdir), unknown), ctx)
        # what a finding is about: this command, unless a pipe, a substitution or a change
        # of directory before it take part (then the whole line is)
        about = alone(command) if here is start else None
        checks = [*EVERY_COMMAND, *BY_NAME.get(command.name, ())]
        if command.name.startswith("mkfs"):
            checks.append(BY_NAME["mkfs"][0])
        for check in checks:
            for finding in check(command, here):
                yield finding.about(about)
        if command.name == "ln" and links:
            # what comes after the link is made goes through it
            ctx = _with_links(ctx, links)
    yield from judge_download_and_run(analysis)
    yield from judge_shown_secrets(analysis)
    yield from judge_shipped_files(analysis, start)
    yield from judge_catalog(analysis, start)
    if analysis.assigned:
        yield from judge_guard_variables(analysis)
    if any(c.name in ("source", ".") for c in analysis.commands):
        yield from judge_printed_environment(analysis)
    if scripts:
        yield from judge_script_files(analysis, start)
        if analysis.writes or memory is not None:
            from csup.policy.rules.session import (  # noqa: PLC0415 - only then
                judge_user_work,
                judge_written_then_run,
            )

            yield from judge_written_then_run(analysis, start, memory, _judge_alone)
            yield from judge_user_work(analysis, start, memory)
    # a redirect may run before or after a `cd` or an `ln -s`: judge it from both places
    yield from judge_redirects(analysis, start)
    if ctx.where.cwd != start.where.cwd or ctx.links:
        yield from judge_redirects(analysis, ctx)


def _with_links(ctx: Context, links: tuple[tuple[str, str], ...]) -> Context:
    return Context(ctx.where, ctx.protected_branches, ctx.control_files, links)


def _judge_alone(analysis: Analysis, ctx: Context) -> Iterator[Finding]:
    """The findings on a script's text: without the scripts it runs (they are not followed)."""
    return judge_bash(analysis, ctx, scripts=False)
