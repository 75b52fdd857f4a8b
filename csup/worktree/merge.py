"""Bringing sessions' branches back: :func:`merge`, in order, stopping at the first conflict."""

from __future__ import annotations

import os
from collections.abc import Sequence

from csup.errors import WorktreeError
from csup.worktree import _git
from csup.worktree._git import find_repo
from csup.worktree.finish import CSUP_IDENTITY
from csup.worktree.model import MergeReport, WorktreeReport
from csup.worktree.names import subject

__all__ = ["merge"]


def _split(text: str) -> tuple[str, ...]:
    return tuple(name for name in text.split("\0") if name)


def merge(
    repo_dir: str | os.PathLike[str], reports: Sequence[WorktreeReport], *, into: str
) -> MergeReport:
    """Merge the reports' branches into branch ``into``, in the order given.

    The user's checkout at ``repo_dir`` must have ``into`` checked out and no uncommitted
    changes to tracked files (else :class:`WorktreeError`, nothing touched): the merges are made
    there, each a merge commit (``--no-ff``) naming the task. A branch with nothing ``into``
    lacks is skipped as up to date. At the first conflict the merge is aborted and csup stops:
    the report names the branch, the conflicting files and the branches not tried. The
    repository is left clean in every case.

    Which sessions to merge is the caller's choice (``csup run --merge`` passes only those that
    succeeded, ``--merge-all`` every one).
    """
    repo = find_repo(repo_dir)
    top = repo.top
    current = _git.run(["symbolic-ref", "-q", "--short", "HEAD"], cwd=top, check=False)
    on = current.stdout.strip()
    if not on:
        raise WorktreeError(
            f"{top} is on a detached HEAD: check out {into} there to merge the csup branches"
        )
    if on != into:
        raise WorktreeError(
            f"{top} has {on} checked out, not {into}: check out {into} to merge into it"
        )
    in_merge = _git.run(["rev-parse", "-q", "--verify", "MERGE_HEAD"], cwd=top, check=False)
    if in_merge.returncode == 0:
        raise WorktreeError(f"{top} is in the middle of a merge: finish or abort it first")
    dirty = _split(_git.run(["diff", "HEAD", "--name-only", "-z"], cwd=top).stdout)
    if dirty:
        shown = ", ".join(dirty[:5]) + (", ..." if len(dirty) > 5 else "")
        raise WorktreeError(
            f"{top} has uncommitted changes ({shown}): commit or stash them, then merge the "
            "csup branches (`git merge BRANCH`, see `csup worktrees`)"
        )
    has_identity = _git.run(["config", "user.email"], cwd=top, check=False).returncode == 0
    identity = {} if has_identity else CSUP_IDENTITY
    merged: list[str] = []
    up_to_date: list[str] = []
    branches = [report.branch for report in reports]
    for index, report in enumerate(reports):
        rest = tuple(branches[index + 1 :])
        branch = report.branch
        known = _git.run(
            ["rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"], cwd=top, check=False
        )
        if known.returncode != 0:
            return MergeReport(
                into,
                tuple(merged),
                tuple(up_to_date),
                not_tried=rest,
                error=f"the branch {branch} does not exist (deleted since the run?)",
            )
        contained = _git.run(["merge-base", "--is-ancestor", branch, "HEAD"], cwd=top, check=False)
        if contained.returncode == 0:
            up_to_date.append(branch)
            continue
        message = f"csup: merge {branch}\n\n{subject(report.task, 200)}\n"
        done = _git.run(
            ["merge", "--no-ff", "--no-edit", "-m", message, branch],
            cwd=top,
            check=False,
            env=identity,
        )
        if done.returncode == 0:
            merged.append(branch)
            continue
        conflicted = _split(
            _git.run(["diff", "--name-only", "--diff-filter=U", "-z"], cwd=top, check=False).stdout
        )
        if (
            _git.run(["rev-parse", "-q", "--verify", "MERGE_HEAD"], cwd=top, check=False).returncode
            == 0
        ):
            _git.run(["merge", "--abort"], cwd=top)
        if conflicted:
            return MergeReport(
                into,
                tuple(merged),
                tuple(up_to_date),
                conflict=branch,
                conflict_files=conflicted,
                not_tried=rest,
            )
        return MergeReport(
            into,
            tuple(merged),
            tuple(up_to_date),
            not_tried=(branch, *rest),
            error=f"git could not merge {branch}: {_git.tail(done.stderr or done.stdout, 8)}",
        )
    return MergeReport(into, tuple(merged), tuple(up_to_date))
