"""What the worktree functions return: plain frozen records, with a JSON-ready ``as_dict``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["CleanReport", "MergeReport", "Worktree", "WorktreeInfo", "WorktreeReport"]


@dataclass(frozen=True, slots=True)
class Worktree:
    """A worktree made by :func:`~csup.worktree.prepare` for one session.

    ``path`` is the worktree's top level and ``cwd`` the directory to start the session in
    (the same subdirectory of it as the directory ``prepare`` was given, when it exists).
    ``base`` is the commit the branch starts from; ``base_branch`` the branch ``base`` named
    (the branch checked out for ``"HEAD"``), ``None`` for a detached HEAD or a bare commit: it
    is the natural ``into`` of :func:`~csup.worktree.merge`. ``user_dirty`` lists the files
    the user's checkout had changed: the worktree does not have those changes.
    """

    repo: Path
    common_dir: Path
    path: Path
    cwd: Path
    branch: str
    run_id: str
    slug: str
    base: str
    base_ref: str
    base_branch: str | None
    copied: tuple[str, ...] = ()
    user_dirty: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WorktreeReport:
    """How a session's worktree ended: see :func:`~csup.worktree.finish`.

    ``commits`` counts the branch's commits since ``base``; ``files``, ``insertions`` and
    ``deletions`` are ``git diff --shortstat`` of base against the branch. ``kept`` is the
    worktree's path when it was kept, else ``None``. ``note`` says what went unusually (the
    worktree's directory had vanished, the session left another branch checked out, ...).
    """

    branch: str
    repo: Path
    base: str
    base_branch: str | None
    task: str
    head: str | None
    commits: int
    files: int
    insertions: int
    deletions: int
    committed_leftovers: bool
    kept: Path | None
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values (for the run summary's ``--json``)."""
        return {
            "branch": self.branch,
            "base": self.base,
            "base_branch": self.base_branch,
            "head": self.head,
            "commits": self.commits,
            "files": self.files,
            "insertions": self.insertions,
            "deletions": self.deletions,
            "committed_leftovers": self.committed_leftovers,
            "kept": str(self.kept) if self.kept else None,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class MergeReport:
    """What :func:`~csup.worktree.merge` did, in order.

    ``merged``: branches merged; ``up_to_date``: branches with nothing ``into`` lacked;
    ``conflict``: the branch that conflicted (then ``conflict_files`` names the files and the
    merge was aborted); ``not_tried``: branches after the one that stopped the merge;
    ``error``: why a merge failed other than by a conflict. The repository is left clean.
    """

    into: str
    merged: tuple[str, ...] = ()
    up_to_date: tuple[str, ...] = ()
    conflict: str | None = None
    conflict_files: tuple[str, ...] = ()
    not_tried: tuple[str, ...] = ()
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Every branch was merged or had nothing to merge."""
        return self.conflict is None and self.error is None

    def describe(self) -> str:
        """One line for a person."""
        parts = []
        if self.merged:
            parts.append(f"merged into {self.into}: {', '.join(self.merged)}")
        if self.up_to_date:
            parts.append(f"nothing to merge: {', '.join(self.up_to_date)}")
        if self.conflict:
            files = ", ".join(self.conflict_files)
            parts.append(f"{self.conflict} conflicts with {self.into} in {files} (merge aborted)")
        if self.error:
            parts.append(self.error)
        if self.not_tried:
            parts.append(f"not merged: {', '.join(self.not_tried)}")
        return "; ".join(parts) or f"nothing to merge into {self.into}"

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values."""
        return {
            "into": self.into,
            "merged": list(self.merged),
            "up_to_date": list(self.up_to_date),
            "conflict": self.conflict,
            "conflict_files": list(self.conflict_files),
            "not_tried": list(self.not_tried),
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class WorktreeInfo:
    """One of csup's worktrees or branches, as :func:`~csup.worktree.list_worktrees` sees it.

    ``state`` is one of: ``running`` (a live csup process is preparing it or running its
    session), ``dirty`` (the directory holds uncommitted changes), ``kept`` (the directory
    is there, nothing uncommitted), ``unmerged`` (no directory; the branch has commits HEAD
    lacks), ``merged`` (no directory; HEAD has everything of the branch).
    ``interrupted`` is true for a worktree whose csup process died before finishing it.
    """

    branch: str | None
    run_id: str | None
    slug: str | None
    path: Path | None
    exists: bool
    dirty: bool
    merged: bool
    ahead: int
    running: bool
    interrupted: bool

    @property
    def kept(self) -> bool:
        """The worktree's directory is there."""
        return self.exists

    @property
    def state(self) -> str:
        """``running``, ``dirty``, ``kept``, ``unmerged`` or ``merged``."""
        if self.running:
            return "running"
        if self.exists:
            return "dirty" if self.dirty else "kept"
        return "merged" if self.merged else "unmerged"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready values (``csup worktrees --json``)."""
        return {
            "branch": self.branch,
            "run_id": self.run_id,
            "slug": self.slug,
            "path": str(self.path) if self.path else None,
            "exists": self.exists,
            "dirty": self.dirty,
            "merged": self.merged,
            "ahead": self.ahead,
            "state": self.state,
            "interrupted": self.interrupted,
        }


@dataclass(frozen=True, slots=True)
class CleanReport:
    """What :func:`~csup.worktree.clean` removed, and what it left and why."""

    removed: tuple[Path, ...] = ()
    deleted_branches: tuple[str, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "removed": [str(path) for path in self.removed],
            "deleted_branches": list(self.deleted_branches),
            "skipped": [{"what": what, "why": why} for what, why in self.skipped],
        }
