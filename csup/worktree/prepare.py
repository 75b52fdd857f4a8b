"""Making a session's worktree: :func:`prepare`, and the opt-in copy of included files."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from csup.errors import WorktreeError
from csup.worktree import _git, entries
from csup.worktree._git import Repo, find_repo
from csup.worktree.model import Worktree
from csup.worktree.names import branch_name, check_run_id, slugify

__all__ = ["INCLUDE_FILE", "copy_included", "prepare"]

INCLUDE_FILE = ".worktreeinclude"
"""Claude Code's convention: gitignore-style patterns of ignored files to copy into a worktree."""

_MAX_TRIES = 1000


def _resolve_base(repo: Repo, base: str) -> tuple[str, str | None]:
    """The commit ``base`` names, and the branch it names (``None``: detached or not a branch)."""
    if not base or base.startswith("-") or any(ch in base for ch in "\0\n\r"):
        raise WorktreeError(f"--base {base!r} is not a git revision")
    done = _git.run(
        ["rev-parse", "--verify", "--quiet", f"{base}^{{commit}}"], cwd=repo.top, check=False
    )
    if done.returncode != 0:
        if base == "HEAD":
            raise WorktreeError(
                f"{repo.top} has no commit yet: make a first commit, then csup can start "
                "worktrees from it"
            )
        raise WorktreeError(
            f"--base {base!r} is not a commit in {repo.top} (a branch, tag or commit is needed; "
            "see `git branch -a` and `git log`)"
        )
    sha = done.stdout.strip()
    if base == "HEAD":
        head = _git.run(["symbolic-ref", "-q", "--short", "HEAD"], cwd=repo.top, check=False)
        return sha, head.stdout.strip() or None
    named = _git.run(
        ["rev-parse", "--verify", "--quiet", f"refs/heads/{base}"], cwd=repo.top, check=False
    )
    return sha, base if named.returncode == 0 else None


def _dirty(top: Path) -> tuple[str, ...]:
    """The files the checkout at ``top`` has changed or added (untracked ones included)."""
    done = _git.run(["status", "--porcelain", "-z"], cwd=top)
    names = []
    fields = iter(done.stdout.split("\0"))
    for field in fields:
        if len(field) < 4:
            continue
        names.append(field[3:])
        if field[0] in "RC":  # a rename or copy: the next field is the old name
            next(fields, None)
    return tuple(names)


def copy_included(source: Path, target: Path) -> tuple[str, ...]:
    """Copy into ``target`` the files of ``source`` that ``source/.worktreeinclude`` lists and
    git ignores (Claude Code's rule: both, so tracked files are never copied over); return
    their paths. No include file: nothing is copied."""
    if not (source / INCLUDE_FILE).is_file():
        return ()
    listed = _git.run(
        ["ls-files", "--others", "--ignored", f"--exclude-from={INCLUDE_FILE}", "-z"], cwd=source
    ).stdout.split("\0")
    listed = [name for name in listed if name]
    if not listed:
        return ()
    ignored = _git.run(
        ["check-ignore", "--no-index", "--stdin", "-z"],
        cwd=source,
        check=False,
        stdin="\0".join(listed) + "\0",
    ).stdout.split("\0")
    copied = []
    for name in sorted({name for name in ignored if name}):
        src, dst = source / name, target / name
        if not (src.is_file() or src.is_symlink()):
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copy2(src, dst, follow_symlinks=False)
        except OSError as error:
            raise WorktreeError(f"cannot copy {name} into the worktree {target}: {error}") from None
        copied.append(name)
    return tuple(copied)


def _claim(repo: Repo, run_id: str, slug0: str, base_sha: str) -> tuple[str, Path, str]:
    """Make the worktree on the first free ``slug``, ``slug-2``, ...; locked as preparing.

    Under csup's lock of the repository, so no other csup is claiming a name meanwhile (and
    :func:`~csup.worktree.entries.repair` may remove empty directories nobody registered).
    """
    with _git.locked(repo):
        for n in range(1, _MAX_TRIES + 1):
            slug = slug0 if n == 1 else f"{slug0}-{n}"
            path, branch = repo.root / run_id / slug, branch_name(run_id, slug)
            if path.exists() or _branch_exists(repo, branch):
                continue
            try:
                add = _git.run(
                    [
                        "worktree",
                        "add",
                        "--lock",
                        "--reason",
                        entries.lock_reason("preparing"),
                        "-b",
                        branch,
                        str(path),
                        base_sha,
                    ],
                    cwd=repo.top,
                    check=False,
                )
            except BaseException:
                _undo(repo, path, branch)
                raise
            if add.returncode == 0:
                return slug, path, branch
            _undo(repo, path, branch)
            raise WorktreeError(f"git could not make the worktree {path}: {_git.tail(add.stderr)}")
    raise WorktreeError(f"no free worktree name for {slug0!r} in run {run_id} after {_MAX_TRIES}")


def _branch_exists(repo: Repo, branch: str) -> bool:
    ref = f"refs/heads/{branch}"
    done = _git.run(["rev-parse", "--verify", "--quiet", ref], cwd=repo.top, check=False)
    return done.returncode == 0


def _undo(repo: Repo, path: Path, branch: str) -> None:
    """Remove a worktree being prepared, and its new branch (best effort, never raises)."""
    with contextlib.suppress(Exception), _git.locked(repo):
        for entry in entries.scan(repo):
            if entry.path == path:
                entries.drop(repo, entry)
        shutil.rmtree(path, ignore_errors=True)
        entries.delete_branch(repo, branch)


def prepare(
    repo_dir: str | os.PathLike[str],
    *,
    run_id: str,
    task: str,
    base: str = "HEAD",
    include: bool = False,
) -> Worktree:
    """Make a new worktree for one session of ``task`` in run ``run_id``.

    The worktree is ``<git-common-dir>/csup-worktrees/<run-id>/<slug>`` on the new branch
    ``csup/<run-id>/<slug>``, starting at ``base``; the slug is made from the task and is
    unique in the run (``-2``, ``-3``, ... when taken). With ``include``, ignored files listed
    in ``.worktreeinclude`` are copied from the user's checkout. The user's checkout is only
    read: a dirty one is fine (its changes are *not* in the worktree; they are listed in
    ``user_dirty``), so is a detached HEAD (then ``base_branch`` is ``None``).

    Raises :class:`~csup.errors.NotAGitRepository` outside a repository with a work tree, and
    :class:`~csup.errors.WorktreeError` for a repository with no commit, a bad ``base`` or a
    git failure; on any failure or interruption nothing is left behind.
    """
    check_run_id(run_id)
    repo = find_repo(repo_dir)
    entries.repair(repo)
    base_sha, base_branch = _resolve_base(repo, base)
    user_dirty = _dirty(repo.top)
    slug, path, branch = _claim(repo, run_id, slugify(task), base_sha)
    try:
        head = _git.run(["rev-parse", "HEAD", "--symbolic-full-name", "HEAD"], cwd=path)
        if head.stdout.split() != [base_sha, f"refs/heads/{branch}"]:
            raise WorktreeError(
                f"the new worktree {path} is not on {branch} at {base_sha[:12]}: {head.stdout!r}"
            )
        copied = copy_included(repo.top, path) if include else ()
        entries.relock(path, entries.lock_reason("session"))
    except BaseException:
        _undo(repo, path, branch)
        raise
    cwd = path / repo.prefix if repo.prefix and (path / repo.prefix).is_dir() else path
    return Worktree(
        repo=repo.top,
        common_dir=repo.common_dir,
        path=path,
        cwd=cwd,
        branch=branch,
        run_id=run_id,
        slug=slug,
        base=base_sha,
        base_ref=base,
        base_branch=base_branch,
        copied=copied,
        user_dirty=user_dirty,
    )
