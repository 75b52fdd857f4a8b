"""What a git repository on disk says, read without running git: the branch checked out.

A push without a refspec (``git push --force-with-lease``) pushes the current branch; the
policy judges it by that branch's name. Reading ``HEAD`` costs a few file reads; running
``git`` would cost milliseconds on every push.
"""

from __future__ import annotations

import os

__all__ = ["current_branch"]

_MAX_DEPTH = 64


def _git_dir(cwd: str) -> str | None:
    """The git directory of the repository holding ``cwd`` (a worktree's too), if any."""
    here = os.path.abspath(cwd)
    for _ in range(_MAX_DEPTH):
        dot_git = os.path.join(here, ".git")
        if os.path.isdir(dot_git):
            return dot_git
        if os.path.isfile(dot_git):  # a worktree or a submodule: "gitdir: PATH"
            try:
                with open(dot_git, encoding="utf-8") as handle:
                    first = handle.readline().strip()
            except OSError:
                return None
            if not first.startswith("gitdir:"):
                return None
            return os.path.join(here, first.removeprefix("gitdir:").strip())
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent
    return None


def current_branch(cwd: str | None) -> str | None:
    """The branch checked out in the repository holding ``cwd``; None when it cannot be
    known (no repository, a detached HEAD, an unreadable file)."""
    if not cwd:
        return None
    git_dir = _git_dir(cwd)
    if git_dir is None:
        return None
    try:
        with open(os.path.join(git_dir, "HEAD"), encoding="utf-8") as handle:
            head = handle.readline().strip()
    except OSError:
        return None
    if not head.startswith("ref: refs/heads/"):
        return None
    return head.removeprefix("ref: refs/heads/") or None
