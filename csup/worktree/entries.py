"""csup's entries among git's linked worktrees, the locks that mark them, and their repair.

A worktree csup is making is locked (``git worktree add --lock``) with the reason
``csup preparing pid=P started=T host=H`` from the moment git creates it until csup has
checked it out, verified it and copied its included files. Then the reason becomes
``csup session ...`` in one atomic step (:func:`relock`), until
:func:`~csup.worktree.finish` unlocks it. A locked worktree is never pruned by git
(``git worktree prune``, ``git gc``) nor listed as prunable, so a csup killed at any point
leaves either nothing, or a locked entry whose holder is dead. :func:`repair` (run by every
``prepare``, ``list_worktrees`` and ``clean``) removes such half-made entries, and csup's
entries whose directory is gone. A ``csup session`` entry whose holder died keeps its
directory (it may hold the session's work) and shows as interrupted.

Entries are read from git's administrative directory (``<common-dir>/worktrees/<id>/``:
``gitdir``, ``HEAD``, ``locked``) rather than ``git worktree list``, because a half-made entry
may lack the files that listing needs.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

import psutil

from csup.errors import WorktreeError
from csup.worktree import _git
from csup.worktree._git import Repo
from csup.worktree.names import BRANCH_PREFIX

__all__ = [
    "Entry",
    "delete_branch",
    "drop",
    "holder_alive",
    "lock_reason",
    "relock",
    "repair",
    "scan",
]

_REASON = re.compile(r"csup (preparing|session) pid=(\d+) started=([\d.]+) host=(\S*)")


def lock_reason(kind: str) -> str:
    """The lock reason of this process for a worktree it is ``preparing`` or in ``session``."""
    started = psutil.Process().create_time()
    return f"csup {kind} pid={os.getpid()} started={started:.2f} host={socket.gethostname()}"


def holder_alive(reason: str) -> bool:
    """Whether the csup process named by lock ``reason`` still runs (other hosts: assumed)."""
    match = _REASON.search(reason)
    if match is None:
        return False
    pid, started, host = int(match[2]), float(match[3]), match[4]
    if host != socket.gethostname():
        return True
    try:
        return abs(psutil.Process(pid).create_time() - started) < 1.0
    except psutil.Error:
        return False


@dataclass(frozen=True, slots=True)
class Entry:
    """One linked worktree csup made: its admin dir, directory, branch and lock reason."""

    admin: Path
    path: Path | None
    branch: str | None
    locked: str | None

    @property
    def csup_lock(self) -> str | None:
        """``"preparing"`` or ``"session"`` when locked by csup, else ``None``."""
        match = _REASON.search(self.locked or "")
        return match[1] if match else None

    @property
    def exists(self) -> bool:
        """The worktree's directory is there and is a worktree (has its ``.git`` file)."""
        return self.path is not None and (self.path / ".git").exists()


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="surrogateescape").strip()
    except OSError:
        return None


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def scan(repo: Repo) -> list[Entry]:
    """csup's entries: those whose directory is under csup's root or that csup locked."""
    entries = []
    try:
        admins = sorted(repo.admin_dir.iterdir())
    except OSError:
        return []
    for admin in admins:
        gitdir = _read(admin / "gitdir")
        path = None
        if gitdir:
            dotgit = Path(gitdir)
            if not dotgit.is_absolute():
                dotgit = (admin / dotgit).resolve()
            path = dotgit.parent
        head = _read(admin / "HEAD") or ""
        branch = head[len("ref: refs/heads/") :] if head.startswith("ref: refs/heads/") else None
        locked = _read(admin / "locked")
        entry = Entry(admin=admin, path=path, branch=branch, locked=locked)
        if (path is not None and _inside(path, repo.root)) or entry.csup_lock:
            entries.append(entry)
    return entries


def drop(repo: Repo, entry: Entry) -> None:
    """Remove ``entry`` entirely: its directory (only under csup's root) and its admin dir.

    What ``rm -rf DIR && git worktree prune`` does, for this one entry only.
    """
    if entry.path is not None and _inside(entry.path, repo.root) and entry.path != repo.root:
        shutil.rmtree(entry.path, ignore_errors=True)
    shutil.rmtree(entry.admin, ignore_errors=True)


def relock(path: Path, reason: str) -> None:
    """Change the lock reason of the worktree at ``path`` in one atomic step.

    ``git worktree unlock`` then ``lock`` would leave a moment with no lock; this replaces
    the ``locked`` file (gitrepository-layout: its content is the reason) instead.
    """
    try:
        pointer = (path / ".git").read_text(encoding="utf-8").strip()
        if not pointer.startswith("gitdir: "):
            raise OSError(f"{path / '.git'} does not point to a git directory")
        admin = Path(pointer.removeprefix("gitdir: "))
        temporary = admin / "locked.csup-new"
        temporary.write_text(reason, encoding="utf-8")
        os.replace(temporary, admin / "locked")
    except OSError as error:
        raise WorktreeError(f"cannot lock the worktree {path}: {error}") from None


def delete_branch(repo: Repo, branch: str | None) -> bool:
    """Delete csup's ``branch`` (never another); false when git would not (checked out)."""
    if not branch or not branch.startswith(BRANCH_PREFIX):
        return False
    with _git.locked(repo):  # git branch reads every worktree's HEAD
        done = _git.run(["branch", "-D", "--", branch], cwd=repo.top, check=False)
    return done.returncode == 0


def repair(repo: Repo) -> list[Entry]:
    """Remove csup's half-made entries (their preparer died) and entries whose directory is
    gone; return what was removed. Entries held by a live csup process are left alone."""
    with _git.locked(repo):
        return _repair(repo)


def _repair(repo: Repo) -> list[Entry]:
    removed = []
    for entry in scan(repo):
        held = entry.locked is not None and holder_alive(entry.locked)
        if held:
            continue
        if entry.csup_lock == "preparing":
            drop(repo, entry)
            delete_branch(repo, entry.branch)
            removed.append(entry)
        elif not entry.exists and (entry.locked is None or entry.csup_lock):
            # git would call it prunable: unregister it; a directory with files in it but no
            # .git stays (it may be a session's work) for `clean --all` to remove
            shutil.rmtree(entry.admin, ignore_errors=True)
            if entry.path is not None:
                with contextlib.suppress(OSError):
                    entry.path.rmdir()
            removed.append(entry)
    registered = {entry.path for entry in scan(repo)}
    for run_dir in _children(repo.root):
        for path in _children(run_dir):
            if path not in registered:
                with contextlib.suppress(OSError):
                    path.rmdir()  # only when empty: a name claimed by a csup that died
        with contextlib.suppress(OSError):
            run_dir.rmdir()
    return removed


def orphans(repo: Repo) -> list[Path]:
    """Directories under csup's root that no worktree entry owns (left by a killed csup)."""
    registered = {entry.path for entry in scan(repo)}
    return [
        path
        for run_dir in _children(repo.root)
        for path in _children(run_dir)
        if path not in registered
    ]


def _children(path: Path) -> list[Path]:
    try:
        return sorted(child for child in path.iterdir() if child.is_dir())
    except OSError:
        return []
