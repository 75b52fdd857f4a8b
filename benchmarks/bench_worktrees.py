"""Cost of a worktree per session: ``prepare`` and ``finish`` on a repository of 10k files.

Makes a scratch repository of ``--files`` files (100 directories, about 200 bytes each, one
commit) and times, ``--rounds`` times each, in one process:

* the baseline: a bare ``git worktree add -b`` and ``git worktree remove`` (what git itself
  costs on this machine; csup's overhead is the difference);
* ``prepare``: a new worktree and branch (checkout of every file, locks, verification);
* ``finish`` of a session that changed nothing (remove the worktree);
* ``finish`` of a session that changed 10 files (``git add -A``, a commit, the diff stat,
  remove the worktree);
* ``finish(keep=True)`` of a session that changed 10 files (commit, keep);
* ``prepare`` of 4 sessions at once from 4 threads, per session (csup serialises git's
  worktree commands, so this shows what parallel sessions wait for).

and prints the median, fastest and slowest wall time of each, with the machine's load
average before and after (the figures move with the load; the machine may be shared).

    .venv/bin/python benchmarks/bench_worktrees.py [--files 10000] [--rounds 5] [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from tabulate import tabulate

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from csup.worktree import Worktree, clean, finish, prepare

T = TypeVar("T")


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, timeout=600)


def make_repo(path: Path, files: int) -> Path:
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", "Bench")
    git(path, "config", "user.email", "bench@example.com")
    for n in range(files):
        target = path / f"pkg{n % 100:02d}" / f"module_{n}.py"
        target.parent.mkdir(exist_ok=True)
        target.write_text(f"# module {n}\n" + "def f():\n    return 42\n" * 8)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "many files")
    return path


def edit(worktree: Worktree, count: int = 10) -> None:
    for n in range(count):
        (worktree.path / f"pkg{n:02d}" / f"module_{n}.py").write_text(f"# edited {n}\n")


class Stopwatch:
    """Wall times of named steps."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = {}

    def __call__(self, name: str, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        started = time.perf_counter()
        result = function(*args, **kwargs)
        self.add(name, time.perf_counter() - started)
        return result

    def add(self, name: str, seconds: float) -> None:
        self.times.setdefault(name, []).append(seconds)


def one_round(repo: Path, n: int, clock: Stopwatch) -> None:
    bare = repo.parent / f"baseline-{n}"
    clock(
        "baseline: git worktree add", git, repo, "worktree", "add", "-q", "-b", f"b{n}", str(bare)
    )
    clock("baseline: git worktree remove", git, repo, "worktree", "remove", str(bare))
    nothing, commit, keep = (
        clock("prepare", prepare, repo, run_id=f"r{n}", task=kind)
        for kind in ("nothing", "commit", "keep")
    )
    clock("finish, no change (remove)", finish, nothing, task="x", keep=False)
    edit(commit)
    clock("finish, 10 files (commit, remove)", finish, commit, task="x", keep=False)
    edit(keep)
    clock("finish, 10 files (commit, keep)", finish, keep, task="x", keep=True)
    clean(repo, all=True)
    with ThreadPoolExecutor(4) as pool:
        started = time.perf_counter()
        parallel = list(pool.map(lambda i: prepare(repo, run_id=f"p{n}", task=f"t{i}"), range(4)))
        clock.add("prepare, 4 at once (per session)", (time.perf_counter() - started) / 4)
    for worktree in parallel:
        finish(worktree, task="x", keep=False)
    clean(repo, all=True)


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="1000 files, 3 rounds (smoke run)")
    args = parser.parse_args()
    if args.quick:
        args.files, args.rounds = 1000, 3
    before = load()
    clock = Stopwatch()
    with tempfile.TemporaryDirectory(prefix="csup-bench-wt-") as scratch:
        repo = make_repo(Path(scratch) / "repo", args.files)
        for n in range(args.rounds):
            one_round(repo, n, clock)
    rows = [
        [name, *(f"{f(values) * 1000:.0f}" for f in (statistics.median, min, max)), len(values)]
        for name, values in clock.times.items()
    ]
    print(f"csup worktrees: repository of {args.files} files, {args.rounds} rounds")
    print(f"load average before: {before}, after: {load()} ({os.cpu_count()} cpus)")
    print(tabulate(rows, headers=["step", "median ms", "min ms", "max ms", "n"], tablefmt="github"))


if __name__ == "__main__":
    main()
