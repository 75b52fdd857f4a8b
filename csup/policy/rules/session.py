"""Rules that need what was written before: write a file, then run it; the user's own work.

Class 2 of issue 10: a file written by the same line (``echo 'rm -rf ~' > f; bash f``) or by
an earlier call of the session (the engine's ``SessionMemory``, read through
:class:`.base.Memory`) and then run
(``bash f``, ``./f``, ``python f.py``, ``make``, ``npm run``/``npm install``, ``pip install
.``, git hooks, ``direnv allow``) is judged as if its content ran. A file written with content
the line does not show (``curl -o f URL; sh f``) is asked.

Class 7: files modified or untracked when the session started belong to the user; discarding
them (``git checkout -- f``, ``git restore``, ``git clean``, ``git stash drop``, ``rm``,
``> f``, ``cp x f``, the Write tool) is asked, with a rule id starting ``user-work.``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from csup.policy.programs.wrappers import SHELLS
from csup.policy.rules.base import Context, Finding, ask, deny, path_of, shown
from csup.policy.syntax.command import Analysis, Command

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from csup.policy.rules.base import Memory

    Judge = Callable[[Analysis, Context], Iterable[Finding]]

MAX_FILE = 256 * 1024
_SOFT = frozenset({"fs.rm-unknown-target", "shell.unanalysable"})
_CODE_RUNNERS = {"python": "py", "python3": "py", "node": "js", "perl": "pl", "ruby": "rb",
                 "php": "php", "bun": "js", "deno": "js"}  # fmt: skip
_NPM = frozenset({"npm", "pnpm", "yarn", "bun"})
_NPM_INSTALL = frozenset({"install", "i", "ci", "add", "rebuild"})
_INSTALL_SCRIPTS = ("preinstall", "install", "postinstall", "prepare", "prepublish")
_HOOKS_RUN_BY = {
    "commit": ("pre-commit", "prepare-commit-msg", "commit-msg", "post-commit"),
    "merge": ("pre-merge-commit", "post-merge"),
    "pull": ("post-merge",),
    "push": ("pre-push",),
    "checkout": ("post-checkout",),
    "switch": ("post-checkout",),
    "rebase": ("pre-rebase", "post-rewrite"),
    "am": ("applypatch-msg", "pre-applypatch", "post-applypatch"),
}


def _operand(command: Command) -> str | None:
    """The first operand of a shell or interpreter: the file it runs."""
    for i, arg in enumerate(command.argv[1:], start=1):
        if arg == "--":
            continue
        if arg.startswith("-"):
            if command.name in SHELLS and "c" in arg.lstrip("-") and not arg.startswith("--"):
                return None  # `bash -c`: no file
            if arg in ("-m", "-e", "-c", "-r", "--eval"):
                return None
            continue
        return None if i in command.dynamic else arg
    return None


def _runs(command: Command, ctx: Context, written: dict[str, str | None]) -> list[tuple[str, str]]:
    """(path, kind) of each file ``command`` runs; kind: shell, code, make, npm:S, python."""
    name, argv = command.name, command.argv
    cwd = ctx.where.cwd or ""
    out: list[tuple[str, str]] = []
    if name in SHELLS or name in ("source", "."):
        operand = _operand(command)
        path = None if operand is None else path_of(operand, ctx)
        if path is not None:
            out.append((path, "shell"))
    elif name in _CODE_RUNNERS or name.startswith("python3."):
        operand = _operand(command)
        path = None if operand is None else path_of(operand, ctx)
        if path is not None:
            out.append((path, "setup" if path.endswith("setup.py") else "code"))
    elif not cwd:
        pass  # after a `cd` to an unknown place: which Makefile or package.json is unknown
    elif name == "make":
        for file in ("GNUmakefile", "makefile", "Makefile"):
            out.append((os.path.join(cwd, file), "make"))
    elif name in _NPM and len(argv) > 1:
        sub = argv[1]
        scripts: tuple[str, ...]
        if sub in ("run", "run-script") and len(argv) > 2:
            scripts = (f"pre{argv[2]}", argv[2], f"post{argv[2]}")
        elif sub in ("test", "start", "stop", "restart"):
            scripts = (f"pre{sub}", sub, f"post{sub}")
        elif sub in _NPM_INSTALL or (name == "yarn" and len(argv) == 1):
            scripts = _INSTALL_SCRIPTS
        elif name in ("yarn", "pnpm", "bun") and not sub.startswith("-"):
            scripts = (sub,)
        else:
            scripts = ()
        out += [(os.path.join(cwd, "package.json"), f"npm:{s}") for s in scripts]
    elif name in ("pip", "pip3", "uv") and "install" in argv:
        if any(a in (".", "./", "-e.") or a.endswith("/.") for a in argv):
            out.append((os.path.join(cwd, "setup.py"), "setup"))
    elif name == "git" and len(argv) > 1:
        sub = next((a for a in argv[1:] if not a.startswith("-")), "")
        for hook in _HOOKS_RUN_BY.get(sub, ()):
            out.append((os.path.join(cwd, ".git", "hooks", hook), "shell"))
            # a hook written elsewhere runs too if core.hooksPath points there (set by this
            # line, an earlier call or the repository's config): any written file of its name
            out += [(p, "shell") for p in written if os.path.basename(p) == hook]
    elif name == "direnv" and len(argv) > 1 and argv[1] in ("allow", "reload", "exec"):
        out.append((os.path.join(cwd, ".envrc"), "shell"))
    if not out and 0 not in command.dynamic:
        # `./f` or `f` after the line or the session wrote `f` (argv[0] is the basename)
        out += [(p, "shell") for p in written if os.path.basename(p) == name]
    return out


def _copies(analysis: Analysis, ctx: Context) -> Iterator[tuple[str, str]]:
    """(source, target) of each ``cp``/``install`` of one file onto a file path."""
    for command in analysis.commands:
        if command.name not in ("cp", "install") or command.dynamic:
            continue
        operands = [a for a in command.argv[1:] if not a.startswith("-")]
        if len(operands) != 2:
            continue
        source, target = (path_of(w, ctx) for w in operands)
        if source is not None and target is not None and not os.path.isdir(target):
            yield source, target


def _content(path: str, written: dict[str, str | None]) -> str | None:
    """The file as it is on disk, else as written (None: unknown)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read(MAX_FILE)
    except OSError:
        return written.get(path)


def _scripts_in(kind: str, text: str) -> list[str]:
    """The shell scripts a file of this kind runs."""
    if kind == "shell":
        return [text]
    if kind in ("code", "setup"):
        from csup.policy.programs.inline import hidden_commands  # noqa: PLC0415 - rare

        return hidden_commands(text)
    if kind == "make":
        recipes = [ln[1:].lstrip("@-+ ") for ln in text.splitlines() if ln.startswith("\t")]
        return ["\n".join(recipes)] if recipes else []
    if kind.startswith("npm:"):
        import json  # noqa: PLC0415 - rare

        try:
            scripts = json.loads(text).get("scripts") or {}
        except (ValueError, AttributeError):
            return []
        script = scripts.get(kind[4:]) if isinstance(scripts, dict) else None
        return [script] if isinstance(script, str) else []
    return []


def judge_written_then_run(
    analysis: Analysis, ctx: Context, memory: Memory | None, judge: Judge
) -> Iterator[Finding]:
    """A file the line or the session wrote, then run: as dangerous as what it holds.

    ``judge`` gives the findings on the script a file holds (the scripts that one runs are
    not followed).
    """
    from csup.policy.programs.knowledge import analyse  # noqa: PLC0415

    line: dict[str, str | None] = {}
    for target, content in analysis.writes:
        path = path_of(target, ctx)
        if path is not None:
            line[path] = content
    session = memory.written if memory is not None else {}
    if not line and not session:
        return
    for source, target in _copies(analysis, ctx):
        if target in line and line[target] is None:
            line[target] = _content(source, {})  # `cp evil.sh build.sh`: what was copied
    known = {**session, **line}
    downloaded = set()
    for command in analysis.commands:
        if command.name in ("curl", "wget"):
            from csup.policy.programs.runs import written_files  # noqa: PLC0415

            for target, _ in written_files(command):
                path = path_of(target, ctx)
                if path is not None:
                    downloaded.add(path)
    for command in analysis.commands:
        for path, kind in _runs(command, ctx, known):
            if path not in known:
                continue
            text = line[path] if line.get(path) is not None else _content(path, known)
            who = "the line" if path in line else "this session"
            if path in downloaded:
                yield deny(
                    "exec.remote-code",
                    f"Blocked {shown(command)}: it runs `{path}`, which the line downloads: "
                    "code straight from the network. Download it, read it, and run it only if "
                    "it is what you expect.",
                )
                return
            if text is None:
                if path in line:
                    yield ask(
                        "exec.written-then-run",
                        f"{shown(command)} runs `{path}`, which the line writes with content "
                        "only known when it runs.",
                    )
                continue
            for script in _scripts_in(kind, text):
                for finding in judge(analyse(script), ctx):
                    if finding.behavior == "deny" and finding.rule not in _SOFT:
                        yield deny(
                            finding.rule,
                            f"{shown(command)} runs `{path}`, which {who} wrote: {finding.reason}",
                        )
                        return


# -- the user's own work -------------------------------------------------------------------


def _discarded(command: Command, memory: Memory, ctx: Context) -> list[tuple[str, bool]]:
    """(word, dynamic) of the paths a command discards the work in; ``*`` is everything."""
    argv, name = command.argv, command.name
    words = [(a, i in command.dynamic) for i, a in enumerate(argv[1:], 1)]
    operands = [(a, d) for a, d in words if not a.startswith("-")]
    if name in ("rm", "unlink", "shred", "truncate"):
        return operands
    if name in ("cp", "install") and len(operands) >= 2:
        return operands[-1:]
    if name == "mv" and len(operands) >= 2:
        return operands  # the sources leave, the target is replaced
    if name != "git":
        return []
    from csup.policy.programs.flags import git_subcommand  # noqa: PLC0415 - loaded by then

    at = git_subcommand(argv)
    if at is None:
        return []
    sub, rest = argv[at], argv[at + 1 :]
    flags = {a for a in rest if a.startswith("-")}
    paths = [
        (a, (at + 1 + k) in command.dynamic) for k, a in enumerate(rest) if not a.startswith("-")
    ]
    if "--" in rest:
        start = rest.index("--") + 1
        paths = [(a, (at + 1 + start + k) in command.dynamic) for k, a in enumerate(rest[start:])]
    if sub == "checkout":
        if flags & {"-f", "--force"}:
            return [("*", False)]
        # `git checkout main` switches branches; `git checkout f` (an existing path) discards
        exists = any((p := path_of(a, ctx)) is not None and os.path.exists(p) for a, _ in paths)
        return paths if "--" in rest or exists else []
    if sub == "restore" and not (flags & {"--staged", "-S"} and not flags & {"--worktree", "-W"}):
        return paths
    if sub == "switch" and flags & {"-f", "--force", "--discard-changes"}:
        return [("*", False)]
    if sub == "clean" and any(f.startswith("-") and "f" in f for f in flags):
        return paths or [(".", False)]
    if sub == "stash" and rest[:1] in (("drop",), ("clear",)) and memory.had_stash:
        return [("*", False)]
    if sub == "reset" and "--hard" in flags:
        return [("*", False)]
    return []


def _user_files_at(path: str, memory: Memory) -> list[str]:
    prefix = path.rstrip("/") + "/"
    return [f for f in memory.user_files if f == path or f.startswith(prefix)]


def _user_work(what: str, files: list[str]) -> Finding:
    more = f" and {len(files) - 1} more" if len(files) > 1 else ""
    return ask(
        "user-work.discard",
        f"{what} discards the user's uncommitted work in `{sorted(files)[0]}`{more} "
        "(modified or untracked when the session started).",
    )


def judge_user_work(analysis: Analysis, ctx: Context, memory: Memory | None) -> Iterator[Finding]:
    """Discarding files that were modified or untracked when the session started: asked."""
    if memory is None or not memory.user_files:
        return
    for command in analysis.commands:
        for word, dynamic in _discarded(command, memory, ctx):
            if word == "*":
                yield _user_work(shown(command), sorted(memory.user_files))
                return
            path = None if dynamic else path_of(word, ctx)
            files = _user_files_at(path, memory) if path is not None else []
            if files:
                yield _user_work(shown(command), files)
                return
    for redirect in analysis.redirects:
        if redirect.op in (">", ">|", "&>") and not redirect.dynamic:
            path = path_of(redirect.target, ctx)
            files = _user_files_at(path, memory) if path is not None else []
            if files:
                yield _user_work(f"`> {redirect.target}`", files)
                return


def judge_tool_user_work(
    tool: str, data: object, ctx: Context, memory: Memory | None
) -> Iterator[Finding]:
    """The Write tool replacing a file the user had modified or not yet committed."""
    if memory is None or tool != "Write" or not isinstance(data, dict):
        return
    target = data.get("file_path")
    if isinstance(target, str):
        path = path_of(target, ctx)
        files = _user_files_at(path, memory) if path is not None else []
        if path is not None and path in files:
            yield _user_work(f"Write of `{target}`", files)
