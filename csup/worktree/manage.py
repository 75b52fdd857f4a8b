"""csup's worktrees and branches in a repository: :func:`list_worktrees` and :func:`clean`.

Only csup's own are touched: branches under ``csup/`` and worktrees under csup's root, never
the user's other worktrees nor Claude Code's (``.claude/worktrees/``, branches ``worktree-*``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from csup.errors import WorktreeError
from csup.worktree import _git, entries
from csup.worktree._git import Repo, find_repo
from csup.worktree.model import CleanReport, WorktreeInfo
from csup.worktree.names import BRANCH_PREFIX

__all__ = ["clean", "list_worktrees"]


def _branches(repo: Repo, *extra: str) -> list[str]:
    done = _git.run(
        ["for-each-ref", "--format=%(refname:lstrip=2)", *extra, f"refs/heads/{BRANCH_PREFIX}"],
        cwd=repo.top,
    )
    return [line for line in done.stdout.splitlines() if line]


def _names(branch: str | None) -> tuple[str | None, str | None]:
    if branch is None or not branch.startswith(BRANCH_PREFIX):
        return None, None
    parts = branch[len(BRANCH_PREFIX) :].split("/", 1)
    return (parts[0], parts[1]) if len(parts) == 2 else (None, None)


def _infos(repo: Repo) -> list[tuple[WorktreeInfo, entries.Entry | None]]:
    merged = set(_branches(repo, "--merged=HEAD"))
    found: list[tuple[WorktreeInfo, entries.Entry | None]] = []
    seen = set()
    for entry in entries.scan(repo):
        branch = entry.branch
        seen.add(branch)
        exists = entry.exists
        dirty = False
        if exists and entry.path is not None:
            status = _git.run(["status", "--porcelain"], cwd=entry.path, check=False)
            dirty = bool(status.stdout.strip())
        running = entry.locked is not None and entries.holder_alive(entry.locked)
        run_id, slug = _names(branch)
        found.append(
            (
                WorktreeInfo(
                    branch=branch,
                    run_id=run_id,
                    slug=slug,
                    path=entry.path,
                    exists=exists,
                    dirty=dirty,
                    merged=branch in merged,
                    ahead=_ahead(repo, branch),
                    running=running,
                    interrupted=bool(entry.csup_lock) and not running,
                ),
                entry,
            )
        )
    for branch in _branches(repo):
        if branch in seen:
            continue
        run_id, slug = _names(branch)
        found.append(
            (
                WorktreeInfo(
                    branch=branch,
                    run_id=run_id,
                    slug=slug,
                    path=None,
                    exists=False,
                    dirty=False,
                    merged=branch in merged,
                    ahead=_ahead(repo, branch),
                    running=False,
                    interrupted=False,
                ),
                None,
            )
        )
    found.sort(key=lambda pair: (pair[0].branch or "", str(pair[0].path)))
    return found


def _ahead(repo: Repo, branch: str | None) -> int:
    if branch is None:
        return 0
    done = _git.run(
        ["rev-list", "--count", f"HEAD..refs/heads/{branch}"], cwd=repo.top, check=False
    )
    return int(done.stdout.strip()) if done.returncode == 0 else 0


def list_worktrees(repo_dir: str | os.PathLike[str]) -> list[WorktreeInfo]:
    """csup's worktrees and branches in the repository of ``repo_dir``, sorted by branch.

    Repairs first (see :func:`csup.worktree.entries.repair`): half-made entries of a csup that
    died are removed, so they are never listed.
    """
    repo = find_repo(repo_dir)
    with _git.locked(repo):
        entries.repair(repo)
        return [info for info, _ in _infos(repo)]


def clean(
    repo_dir: str | os.PathLike[str], *, merged_only: bool = False, all: bool = False
) -> CleanReport:
    """Remove csup's worktrees and branches; never those of a running session.

    * default: remove every worktree whose directory holds nothing uncommitted (its branch
      has all of it); keep every branch. Nothing is lost.
    * ``merged_only``: remove the worktrees and branches of sessions merged into HEAD (a
      worktree with uncommitted changes is kept).
    * ``all``: remove every csup worktree and branch, uncommitted and unmerged work included,
      and directories under csup's root that no worktree owns any more.
    """
    if merged_only and all:
        raise WorktreeError("clean: choose one of merged_only (--merged) and all (--all)")
    repo = find_repo(repo_dir)
    with _git.locked(repo):
        return _clean(repo, merged_only=merged_only, all=all)


def _clean(repo: Repo, *, merged_only: bool, all: bool) -> CleanReport:
    entries.repair(repo)
    removed: list[Path] = []
    deleted: list[str] = []
    skipped: list[tuple[str, str]] = []
    for info, entry in _infos(repo):
        name = info.branch or str(info.path)
        if info.running:
            skipped.append((name, "its session is running"))
            continue
        if merged_only and not info.merged:
            continue
        if entry is not None and info.exists:
            if info.dirty and not all:
                skipped.append((name, f"{info.path} has uncommitted changes"))
                continue
            _git.run(["worktree", "unlock", str(info.path)], cwd=repo.top, check=False)
            entries.drop(repo, entry)
            removed.append(info.path or Path())
        elif entry is not None:
            entries.drop(repo, entry)
        if (all or merged_only) and entries.delete_branch(repo, info.branch):
            deleted.append(name)
    if all:
        for orphan in entries.orphans(repo):
            shutil.rmtree(orphan, ignore_errors=True)
            removed.append(orphan)
    entries.repair(repo)  # empty run directories
    return CleanReport(tuple(removed), tuple(deleted), tuple(skipped))
