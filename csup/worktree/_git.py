"""Running git: one bounded subprocess per command, every failure a :class:`WorktreeError`.

All of csup's worktree code goes through :func:`run`, so every git command it runs has a time
limit, a clean environment (no ``GIT_DIR`` inherited from a hook, no prompt for a password,
messages in English so they can be matched) and a message a user can act on when it fails.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from csup.errors import NotAGitRepository, WorktreeError

__all__ = ["GIT_TIMEOUT", "Repo", "find_repo", "git_env", "locked", "run"]

GIT_TIMEOUT = 120.0
"""Seconds any one git command may take (a checkout of a large repository included)."""

# Variables that would point git at another repository than the one csup means.
_REPO_ENV = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
)


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a git child: csup's own, minus repository overrides, plus ``extra``."""
    env = {key: value for key, value in os.environ.items() if key not in _REPO_ENV}
    env.update(LC_ALL="C", LANGUAGE="C", GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0")
    if extra:
        env.update(extra)
    return env


def tail(text: str, lines: int = 4) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()][-lines:]
    return " / ".join(kept) or "no message"


def run(
    args: Sequence[str],
    *,
    cwd: str | os.PathLike[str],
    check: bool = True,
    env: Mapping[str, str] | None = None,
    timeout: float = GIT_TIMEOUT,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``git ARGS`` in ``cwd`` and return it; raise :class:`WorktreeError` if it fails.

    ``check=False`` returns a failed command too (the caller reads its status); a git that
    cannot be started or runs over ``timeout`` raises either way. ``stdin`` is git's input
    (default: none, so git never waits on csup's terminal).
    """
    argv = ["git", "-c", "core.quotePath=false", *args]
    what = f"git {' '.join(args[:3])}"
    try:
        done = subprocess.run(
            argv,
            cwd=cwd,
            env=git_env(env),
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="surrogateescape",
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as error:
        if not Path(cwd).is_dir():
            raise WorktreeError(f"{cwd} does not exist or is not a directory") from None
        raise WorktreeError(
            f"git could not be started ({error.strerror}): csup's worktrees need git on PATH"
        ) from None
    except subprocess.TimeoutExpired:
        raise WorktreeError(
            f"{what} did not finish within {timeout:g}s in {cwd}; "
            "is another git process holding a lock there?"
        ) from None
    except OSError as error:
        raise WorktreeError(f"{what} could not be started in {cwd}: {error}") from None
    if check and done.returncode != 0:
        raise WorktreeError(f"{what} failed in {cwd}: {tail(done.stderr or done.stdout)}")
    return done


@dataclass(frozen=True, slots=True)
class Repo:
    """A git repository with a work tree, as csup's worktree functions see it.

    ``top`` is the top level of the checkout that was named (the user's main checkout, or a
    linked worktree the user works in), ``common_dir`` the git directory all its worktrees
    share, and ``prefix`` the path of the named directory below ``top`` (``""`` at the top).
    """

    top: Path
    common_dir: Path
    prefix: str

    @property
    def root(self) -> Path:
        """Where csup keeps its worktrees: ``<git-common-dir>/csup-worktrees``."""
        return self.common_dir / "csup-worktrees"

    @property
    def admin_dir(self) -> Path:
        """Where git keeps the administrative files of linked worktrees."""
        return self.common_dir / "worktrees"


def find_repo(repo_dir: str | os.PathLike[str]) -> Repo:
    """The repository ``repo_dir`` is in; :class:`NotAGitRepository` if none or bare."""
    path = Path(repo_dir).expanduser()
    if not path.is_dir():
        raise NotAGitRepository(f"{path} does not exist or is not a directory")
    path = path.resolve()
    probe = run(
        [
            "rev-parse",
            "--path-format=absolute",
            "--is-bare-repository",
            "--is-inside-work-tree",
            "--git-common-dir",
        ],
        cwd=path,
        check=False,
    )
    if probe.returncode != 0:
        if "not a git repository" in probe.stderr:
            raise NotAGitRepository(
                f"{path} is not inside a git repository: a worktree per session needs one "
                "(run `git init` and make a first commit, or run csup from your repository)"
            )
        raise WorktreeError(f"git cannot read the repository at {path}: {tail(probe.stderr)}")
    bare, inside, common = probe.stdout.splitlines()[:3]
    if bare == "true":
        raise NotAGitRepository(
            f"{path} is a bare repository: csup makes its worktrees from a checkout, so run it "
            "in a checkout of this repository (e.g. one made by `git worktree add`)"
        )
    if inside != "true":
        raise NotAGitRepository(
            f"{path} is inside a git directory, not a work tree: run csup from the checkout"
        )
    top = run(["rev-parse", "--show-toplevel", "--show-prefix"], cwd=path).stdout.splitlines()
    prefix = top[1] if len(top) > 1 else ""
    return Repo(top=Path(top[0]).resolve(), common_dir=Path(common).resolve(), prefix=prefix)


_held = threading.local()


@contextlib.contextmanager
def locked(repo: Repo) -> Iterator[None]:
    """Hold csup's lock of ``repo``'s worktrees (re-entrant in a thread; across processes).

    git is not safe against itself here: a ``git worktree add`` that reads the administrative
    files of a worktree another ``add`` is still writing fails ("failed to read
    .git/worktrees/x/commondir"). So every command of csup's that adds, locks, removes or
    scans worktrees holds this ``flock`` on ``<root>/.lock``; the kernel drops it if csup dies.
    """
    held: dict[str, int] = _held.__dict__.setdefault("held", {})
    key = str(repo.common_dir)
    if held.get(key):
        held[key] += 1
        try:
            yield
        finally:
            held[key] -= 1
        return
    try:
        repo.root.mkdir(parents=True, exist_ok=True)
        handle = open(repo.root / ".lock", "a+b")  # noqa: SIM115 - held across the yield
    except OSError as error:
        raise WorktreeError(f"cannot open csup's lock in {repo.root}: {error}") from None
    with handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        held[key] = 1
        try:
            yield
        finally:
            held[key] = 0
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
