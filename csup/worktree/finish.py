"""Ending a session's worktree: commit what the session left, report, remove or keep."""

from __future__ import annotations

import contextlib
import re
import shutil

from csup.errors import WorktreeError
from csup.worktree import _git, entries
from csup.worktree._git import Repo
from csup.worktree.model import Worktree, WorktreeReport
from csup.worktree.names import subject

__all__ = ["CSUP_IDENTITY", "branch_stats", "finish"]

CSUP_IDENTITY = {
    "GIT_AUTHOR_NAME": "csup",
    "GIT_AUTHOR_EMAIL": "csup@localhost",
    "GIT_COMMITTER_NAME": "csup",
    "GIT_COMMITTER_EMAIL": "csup@localhost",
}
"""Author and committer of the commits csup makes for a session."""

_SHORTSTAT = re.compile(r"(\d+) (file|insertion|deletion)")
_TASK_IN_MESSAGE = 4000


def _message(worktree: Worktree, task: str) -> str:
    body = task if len(task) <= _TASK_IN_MESSAGE else task[: _TASK_IN_MESSAGE - 1] + "…"
    return (
        f"csup: {subject(task)}\n\n"
        f"What the session of run {worktree.run_id} left uncommitted, committed by csup.\n\n"
        f"Task:\n{body}\n"
    )


def _in_progress(worktree: Worktree) -> str | None:
    """What the session left half-done in the worktree (a merge, a rebase, ...), or None."""
    path = worktree.path
    for ref, what in (
        ("MERGE_HEAD", "a merge"),
        ("CHERRY_PICK_HEAD", "a cherry-pick"),
        ("REVERT_HEAD", "a revert"),
        ("REBASE_HEAD", "a rebase"),
    ):
        if _git.run(["rev-parse", "-q", "--verify", ref], cwd=path, check=False).returncode == 0:
            return f"{what} in progress"
    unmerged = _git.run(["diff", "--name-only", "--diff-filter=U"], cwd=path).stdout.split()
    return f"unmerged files ({', '.join(unmerged[:5])})" if unmerged else None


def _commit_leftovers(worktree: Worktree, task: str) -> bool:
    """Commit everything uncommitted in the worktree (ignored files excepted); true if any."""
    path = worktree.path
    _git.run(["add", "--all"], cwd=path)
    staged = _git.run(["diff", "--cached", "--quiet"], cwd=path, check=False)
    if staged.returncode == 0:
        return False
    message = _message(worktree, task)
    _git.run(
        ["-c", "commit.gpgsign=false", "commit", "--no-verify", "--quiet", "-m", message],
        cwd=path,
        env=CSUP_IDENTITY,
    )
    return True


def branch_stats(
    repo: Repo | Worktree, base: str, branch: str
) -> tuple[str | None, int, int, int, int]:
    """``(head, commits, files, insertions, deletions)`` of ``branch`` since ``base``."""
    top = repo.top if isinstance(repo, Repo) else repo.repo
    head = _git.run(
        ["rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"], cwd=top, check=False
    ).stdout.strip()
    if not head:
        return None, 0, 0, 0, 0
    commits = int(_git.run(["rev-list", "--count", f"{base}..{head}"], cwd=top).stdout.strip())
    stat = _git.run(["diff", "--shortstat", base, head], cwd=top).stdout
    counts = {kind: int(n) for n, kind in _SHORTSTAT.findall(stat)}
    return (
        head,
        commits,
        counts.get("file", 0),
        counts.get("insertion", 0),
        counts.get("deletion", 0),
    )


def _settle(worktree: Worktree, task: str) -> tuple[bool, str | None]:
    """Commit the session's leftovers: ``(committed, None)``, or ``(False, why not)``."""
    on = _git.run(["symbolic-ref", "-q", "HEAD"], cwd=worktree.path, check=False).stdout.strip()
    if on != f"refs/heads/{worktree.branch}":
        return False, (
            f"the session left {on or 'a detached HEAD'} checked out, not {worktree.branch}; "
            f"nothing committed, worktree kept for review at {worktree.path}"
        )
    if busy := _in_progress(worktree):
        return (
            False,
            f"the session left {busy}; nothing committed, worktree kept at {worktree.path}",
        )
    return _commit_leftovers(worktree, task), None


def _unregister(repo: Repo, worktree: Worktree) -> tuple[bool, str | None]:
    """Forget a worktree whose ``.git`` is gone; ``(kept, note)``. Files left there stay."""
    note = None
    with _git.locked(repo):
        for entry in entries.scan(repo):
            if entry.path == worktree.path:
                shutil.rmtree(entry.admin, ignore_errors=True)
                note = "the worktree's directory had vanished: the branch holds its commits"
    with contextlib.suppress(OSError):
        worktree.path.rmdir()  # only when empty
    if worktree.path.exists():
        return True, (
            f"the worktree lost its .git file: nothing committed, its files are kept at "
            f"{worktree.path}"
        )
    return False, note


def _remove(worktree: Worktree) -> None:
    repo = Repo(top=worktree.repo, common_dir=worktree.common_dir, prefix="")
    with _git.locked(repo):
        _remove_locked(repo, worktree)


def _remove_locked(repo: Repo, worktree: Worktree) -> None:
    done = _git.run(
        ["worktree", "remove", "--force", str(worktree.path)], cwd=worktree.repo, check=False
    )
    if done.returncode != 0 or worktree.path.exists():
        for entry in entries.scan(repo):
            if entry.path == worktree.path:
                entries.drop(repo, entry)
        shutil.rmtree(worktree.path, ignore_errors=True)
    with contextlib.suppress(OSError):
        worktree.path.parent.rmdir()  # the run's directory, once its last worktree is gone


def finish(worktree: Worktree, *, task: str, keep: bool) -> WorktreeReport:
    """End the session's worktree and report what its branch holds.

    Whatever the session left uncommitted (ignored files excepted) is committed on its branch,
    author and committer ``csup <csup@localhost>``, the message naming the task; then the
    worktree is removed, unless ``keep``. Nothing is lost: the worktree is kept anyway, with
    nothing committed and the report's ``note`` saying why, when the commit fails, when the
    session checked out another branch, or left a merge, rebase or conflict half-done
    (conflict markers are never committed). Idempotent; a worktree whose directory vanished
    is unregistered and its branch reported. Raises :class:`WorktreeError` only when git
    cannot read the repository at all.
    """
    repo = Repo(top=worktree.repo, common_dir=worktree.common_dir, prefix="")
    note = None
    committed = False
    exists = (worktree.path / ".git").exists()
    if exists:
        with _git.locked(repo):
            _git.run(["worktree", "unlock", str(worktree.path)], cwd=worktree.repo, check=False)
        try:
            committed, note = _settle(worktree, task)
        except WorktreeError as error:
            note = f"could not commit what the session left ({error}); worktree kept"
        keep = keep or note is not None
    else:
        exists, note = _unregister(repo, worktree)
        keep = exists
    head, commits, files, insertions, deletions = branch_stats(repo, worktree.base, worktree.branch)
    if head is None:
        note = f"the branch {worktree.branch} no longer exists"
    if exists and not keep:
        _remove(worktree)
    return WorktreeReport(
        branch=worktree.branch,
        repo=worktree.repo,
        base=worktree.base,
        base_branch=worktree.base_branch,
        task=task,
        head=head,
        commits=commits,
        files=files,
        insertions=insertions,
        deletions=deletions,
        committed_leftovers=committed,
        kept=worktree.path if exists and keep else None,
        note=note,
    )
