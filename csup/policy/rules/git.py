"""git's rules: force pushes (leased ones judged by the branch they overwrite), hard resets,
forced cleans, history rewrites, branch deletes, discarded work trees; plain pushes and other
uploads (registries, releases, pull requests) publish and are asked.
"""

from __future__ import annotations

from collections.abc import Iterator
from fnmatch import fnmatchcase

from csup.policy.programs.flags import Args, git_subcommand, parse_args
from csup.policy.rules.base import Context, Finding, ask, deny, rule, shown
from csup.policy.rules.delete import judge_delete
from csup.policy.syntax.command import Command

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


_GIT_FORCE = {"f": "force", "force-with-lease": "force", "force-if-includes": "force"}


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
