"""Real git repositories for the worktree tests, and a hermetic git configuration."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest


def git(cwd: Path, *args: str, check: bool = True) -> str:
    """``git ARGS`` in ``cwd``; its standard output."""
    done = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=60
    )
    if check and done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {done.stderr}")
    return done.stdout


def status(repo: Path) -> str:
    """``git status --porcelain`` of the checkout (untracked files included)."""
    return git(repo, "status", "--porcelain", "--untracked-files=all")


def porcelain(repo: Path) -> list[dict[str, str]]:
    """``git worktree list --porcelain`` as one dict per worktree."""
    found = []
    for block in git(repo, "worktree", "list", "--porcelain").strip().split("\n\n"):
        entry = {}
        for line in block.splitlines():
            key, _, value = line.partition(" ")
            entry[key] = value
        found.append(entry)
    return found


@pytest.fixture(autouse=True)
def hermetic_git(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """No global or system git configuration: the developer's must not change the outcome."""
    empty = tmp_path_factory.getbasetemp() / "gitconfig-empty"
    empty.touch()
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def make_repo(path: Path, files: dict[str, str] | None = None) -> Path:
    """A repository at ``path`` on branch ``main`` with one commit of ``files``."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", "User")
    git(path, "config", "user.email", "user@example.com")
    for name, content in (files or {"README": "hello\n", "src/app.py": "print('app')\n"}).items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(content)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "first")
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with ``README`` and ``src/app.py`` committed on ``main``, and clean."""
    return make_repo(tmp_path / "repo")


@pytest.fixture
def new_repo(tmp_path: Path) -> Callable[..., Path]:
    """``new_repo(name, files)``: another repository in the test's directory."""
    return lambda name, files=None: make_repo(tmp_path / name, files)


def csup_branches(repo: Path) -> list[str]:
    """The names of the branches under ``csup/``."""
    return git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/csup/").split()
