"""Rules on what commands do rather than which files they touch.

Git history and work-tree destruction, remote code execution (``curl | sh``, decoded payloads
run by a shell), shutting the machine down, killing every process (or csup and Claude
themselves), network fetches and publishing.
"""

from __future__ import annotations

from collections.abc import Iterator
from fnmatch import fnmatchcase

from csup.policy._command import Command
from csup.policy._flags import parse_args
from csup.policy._rules import Context, Finding, ask, deny, rule, shown
from csup.policy._rules_fs import git_subcommand
from csup.policy._wrappers import SHELLS

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
}
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
    """Whether an interpreter takes its program from standard input."""
    args = command.argv[1:]
    if any(a in ("-c", "-e", "-m", "-E", "--eval", "--command") for a in args):
        return False
    operands = [a for a in args if not a.startswith("-") or a == "-"]
    return not operands or operands[0] == "-" or operands[0].startswith("/dev/stdin")


@rule(*_INTERPRETERS)
def runs_remote_code(command: Command, ctx: Context) -> Iterator[Finding]:
    """A shell or interpreter running what a download or a decoder produced."""
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


@rule("git")
def git(command: Command, ctx: Context) -> Iterator[Finding]:
    """Force pushes, hard resets, forced cleans, history rewrites; plain pushes publish."""
    index = git_subcommand(command.argv)
    if index is None:
        return
    sub, argv = command.argv[index], command.argv[index:]
    args = parse_args(argv, aliases=_GIT_FORCE)
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
    elif sub == "branch" and (args.has("D") or (args.has("delete") and args.has("force"))):
        yield deny(
            "git.branch-force-delete",
            f"Blocked {shown(command)}: it deletes a branch "
            "even if its commits are not merged anywhere. Use "
            "`git branch -d`.",
        )
    elif sub == "stash" and words & {"clear"}:
        yield deny("git.stash-clear", f"Blocked {shown(command)}: it drops every stash for good.")
    elif _discards_work_tree(sub, args.has("f", "force"), [o for o, _ in args.operands], words):
        yield deny(
            "git.discard-changes",
            f"Blocked {shown(command)}: it throws away every uncommitted change in the work "
            "tree. Restore the specific files you changed instead.",
        )


def _discards_work_tree(sub: str, force: bool, operands: list[str], words: set[str]) -> bool:
    """``git checkout -- .``, ``git checkout -f``, ``git restore .`` (not ``--staged``)."""
    everything = {".", ":/", "*", "./"} & set(operands)
    if sub == "checkout":
        return force or bool(everything)
    if sub == "restore":
        return bool(everything) and (
            "--worktree" in words or "-W" in words or not ({"--staged", "-S"} & words)
        )
    return False


def _git_push(
    command: Command, force: bool, operands: list[str], words: set[str], ctx: Context
) -> Iterator[Finding]:
    refspecs = operands[1:]
    force = force or "--mirror" in words or any(r.startswith("+") for r in refspecs)
    if force:
        protected = ctx.protected_branches
        targets = [r.lstrip("+").rsplit(":", 1)[-1].removeprefix("refs/heads/") for r in refspecs]
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
            return
    yield ask("net.publish", f"{shown(command)} publishes to a remote repository.")


@rule()
def publishes(command: Command, ctx: Context) -> Iterator[Finding]:
    """Uploads to registries, releases, pull requests (git push is judged by :func:`git`)."""
    if command.name == "git":
        return
    operands = [a for a in command.argv[1:] if not a.startswith("-")]
    sub = operands[0] if operands else None
    if (command.name, sub) in _PUBLISH and not (command.name == "gh" and _gh_read_only(operands)):
        yield ask("net.publish", f"{shown(command)} publishes outside the workspace.")


def _gh_read_only(operands: list[str]) -> bool:
    return len(operands) > 1 and operands[1] in ("list", "view", "status", "diff", "checks")


@rule(*_NETWORK)
def fetches(command: Command, ctx: Context) -> Iterator[Finding]:
    """Network clients: ask (at ``moderate``); ``rsync`` only with a remote side."""
    args = command.argv[1:]
    if all(a in ("--version", "-V", "--help", "-h") for a in args) and args:
        return
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
    everything = (
        command.name == "killall5"
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
    elif any("claude" in o or "csup" in o for o in operands):
        yield deny(
            "csup.self-protect",
            f"Blocked {shown(command)}: it would kill csup or "
            "Claude Code, switching supervision off.",
        )


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
