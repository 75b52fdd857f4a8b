"""A csup killed while preparing a worktree leaves nothing git reports as broken or prunable.

A child process runs ``prepare`` and is killed (with its whole process group, git included):
before each git command csup runs, in the middle of git's checkout (a smudge filter that
kills), and in git's post-checkout hook. Afterwards no entry of ``git worktree list`` is
prunable, any csup entry left is locked, and the next ``list_worktrees`` removes it, so the
same task can be prepared again under the same name.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from csup.worktree import list_worktrees, prepare
from tests.worktrees.conftest import git, make_repo, porcelain, status

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from csup.worktree import _git, prepare

    repo, kill_at = sys.argv[1], int(sys.argv[2])
    os.environ["KILL_PGID"] = str(os.getpgid(0))
    real_run, calls = _git.run, []

    def run(args, **kwargs):
        calls.append(args)
        if len(calls) == kill_at:
            os.killpg(0, signal.SIGKILL)
        return real_run(args, **kwargs)

    _git.run = run
    prepare(repo, run_id="r1", task="crash me")
    print(len(calls))
    """
)

KILLER = 'if [ -n "$KILL_PGID" ]; then kill -{signal} -"$KILL_PGID"; fi; cat'


def run_child(repo: Path, kill_at: int = 0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CHILD, str(repo), str(kill_at)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        start_new_session=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def repo(tmp_path):
    files = {f"dir{n % 5}/file{n}.txt": f"{n}\n" * 50 for n in range(60)}
    return make_repo(tmp_path / "repo", {**files, ".gitattributes": "*.txt filter=killer\n"})


def git_calls_of_a_prepare(repo: Path) -> int:
    done = run_child(repo)
    assert done.returncode == 0, done.stderr
    list_worktrees(repo)  # the child's worktree: its holder is gone, it is interrupted
    git(repo, "worktree", "unlock", str(repo / ".git/csup-worktrees/r1/crash-me"))
    git(repo, "worktree", "remove", "--force", str(repo / ".git/csup-worktrees/r1/crash-me"))
    git(repo, "branch", "-D", "csup/r1/crash-me")
    return int(done.stdout)


def assert_nothing_broken(repo: Path) -> None:
    entries = porcelain(repo)
    assert all("prunable" not in entry for entry in entries), entries
    for entry in entries[1:]:
        assert entry["locked"].startswith("csup preparing pid="), entry


def assert_repaired(repo: Path) -> None:
    assert list_worktrees(repo) == []
    assert [entry["worktree"] for entry in porcelain(repo)] == [str(repo)]
    assert git(repo, "branch", "--list", "csup/*") == ""
    assert status(repo) == ""
    assert list((repo / ".git" / "worktrees").glob("*")) == []
    assert prepare(repo, run_id="r1", task="crash me").slug == "crash-me"


def test_a_sigkill_before_any_git_command_of_prepare_leaves_nothing_broken(repo):
    calls = git_calls_of_a_prepare(repo)
    assert calls >= 6
    for kill_at in range(1, calls + 1):
        done = run_child(repo, kill_at)
        assert done.returncode == -signal.SIGKILL, (kill_at, done.stderr)
        assert_nothing_broken(repo)
        assert list_worktrees(repo) == [], kill_at
        assert [entry["worktree"] for entry in porcelain(repo)] == [str(repo)], kill_at
        assert git(repo, "branch", "--list", "csup/*") == "", kill_at
    assert_repaired(repo)


def test_a_sigkill_in_the_middle_of_gits_checkout_leaves_nothing_broken(repo):
    git(repo, "config", "filter.killer.smudge", KILLER.format(signal="KILL"))
    done = run_child(repo)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert_nothing_broken(repo)
    assert len(porcelain(repo)) == 2  # the half-made one, locked
    git(repo, "config", "--unset", "filter.killer.smudge")
    assert_repaired(repo)


def test_a_sigkill_in_gits_post_checkout_hook_leaves_nothing_broken(repo):
    hook = repo / ".git" / "hooks" / "post-checkout"
    hook.write_text("#!/bin/sh\n" + KILLER.format(signal="KILL") + " </dev/null\n")
    hook.chmod(0o755)
    done = run_child(repo)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert_nothing_broken(repo)
    hook.unlink()
    assert_repaired(repo)


def test_ctrl_c_in_the_middle_of_the_checkout_cleans_up_at_once(repo):
    git(repo, "config", "filter.killer.smudge", KILLER.format(signal="INT"))
    done = run_child(repo)
    assert done.returncode != 0
    assert "KeyboardInterrupt" in done.stderr
    assert [entry["worktree"] for entry in porcelain(repo)] == [str(repo)]
    assert git(repo, "branch", "--list", "csup/*") == ""
    git(repo, "config", "--unset", "filter.killer.smudge")
    assert_repaired(repo)


def test_a_csup_killed_during_the_session_keeps_the_sessions_work(repo):
    done = run_child(repo)
    assert done.returncode == 0, done.stderr
    path = repo / ".git" / "csup-worktrees" / "r1" / "crash-me"
    (path / "work.txt").write_text("the session's work\n")
    (info,) = list_worktrees(repo)
    assert (info.state, info.interrupted, info.path) == ("dirty", True, path)
    assert (path / "work.txt").exists()
    assert all("prunable" not in entry for entry in porcelain(repo))


def test_the_child_really_runs_in_its_own_process_group(repo):
    assert os.getpgid(0) != 0  # the kills above never reach the test runner
