"""A git worktree per session, and the work brought back (issue #12).

Every session of a run gets its own worktree on its own branch ``csup/<run-id>/<slug>``, so
parallel sessions never overwrite each other's files nor the user's::

    wt = prepare(repo_dir, run_id="r1", task="Fix the login bug")   # before claude starts
    ...  # the session runs with cwd (and policy workspace) wt.cwd
    report = finish(wt, task="Fix the login bug", keep=not succeeded)  # after, on every path
    merge(repo_dir, [report, ...], into=wt.base_branch)              # --merge, at the end

**Where worktrees live:** ``<git-common-dir>/csup-worktrees/<run-id>/<slug>`` (for a usual
checkout ``.git/csup-worktrees/...``). Inside the git directory, because there

* they are outside the user's working tree: ``git status``, editors, file watchers, search
  tools and test runners of the user's checkout never see them, and a session's cwd is not
  inside the user's checkout's files (so the user's files are "outside the workspace");
* they go with the repository: one place per repository, found again by ``csup worktrees``
  from any of its checkouts, and deleted with it (no data dir full of orphans of repositories
  long gone, the scattered-locations complaint about ``claude --worktree``);
* they never collide with Claude Code's own ``claude --worktree`` folders
  (``<repo>/.claude/worktrees/<name>``, branches ``worktree-<name>``): csup's are elsewhere and
  its branches are all under ``csup/``; ``csup worktrees`` and ``clean`` touch only csup's.

**What survives a crash:** a worktree is locked from the moment git creates it, and csup's
lock reason names its process (see :mod:`csup.worktree.entries`). A csup interrupted or
SIGKILLed while preparing leaves nothing git lists as broken or prunable, and the next
``prepare``, ``list_worktrees`` or ``clean`` removes the half-made entry. A csup killed during
a session leaves the worktree with the session's work, listed as interrupted and kept.

Edge cases, by design: outside a repository, or in a bare one, :class:`NotAGitRepository`; a
repository with no commit or a bad ``base``, :class:`WorktreeError`; a detached HEAD works
(``base_branch`` is then ``None`` and there is no branch to merge into unless one is named);
a dirty checkout works, and its uncommitted changes are not in the worktrees (they start from
the commit), listed in ``Worktree.user_dirty`` so the caller can warn.
"""

from __future__ import annotations

from csup.errors import NotAGitRepository, WorktreeError
from csup.worktree.finish import finish
from csup.worktree.manage import clean, list_worktrees
from csup.worktree.merge import merge
from csup.worktree.model import CleanReport, MergeReport, Worktree, WorktreeInfo, WorktreeReport
from csup.worktree.prepare import prepare

__all__ = [
    "CleanReport",
    "MergeReport",
    "NotAGitRepository",
    "Worktree",
    "WorktreeError",
    "WorktreeInfo",
    "WorktreeReport",
    "clean",
    "finish",
    "list_worktrees",
    "merge",
    "prepare",
]
