"""list_worktrees() and clean(): csup's own worktrees and branches, and nothing else."""

from __future__ import annotations

import pytest

from csup.errors import NotAGitRepository, WorktreeError
from csup.worktree import clean, finish, list_worktrees, merge, prepare
from tests.worktrees.conftest import git, porcelain


@pytest.fixture
def four(repo):
    """A running session, a kept one with uncommitted work, an unmerged branch, a merged one."""
    running = prepare(repo, run_id="r1", task="running")
    dirty = prepare(repo, run_id="r1", task="dirty")
    finish(dirty, task="dirty", keep=True)
    (dirty.path / "wip.txt").write_text("wip\n")
    unmerged = prepare(repo, run_id="r1", task="unmerged")
    (unmerged.path / "u.txt").write_text("u\n")
    finish(unmerged, task="unmerged", keep=False)
    merged = prepare(repo, run_id="r1", task="merged")
    (merged.path / "m.txt").write_text("m\n")
    assert merge(repo, [finish(merged, task="merged", keep=False)], into="main").ok
    return {"running": running, "dirty": dirty, "unmerged": unmerged, "merged": merged}


def states(repo):
    return {info.slug: info.state for info in list_worktrees(repo)}


def test_each_worktree_and_branch_is_listed_with_its_state(repo, four):
    assert states(repo) == {
        "running": "running",
        "dirty": "dirty",
        "unmerged": "unmerged",
        "merged": "merged",
    }
    by_slug = {info.slug: info for info in list_worktrees(repo)}
    assert by_slug["unmerged"].ahead == 1 and not by_slug["unmerged"].merged
    assert by_slug["dirty"].path == four["dirty"].path and by_slug["dirty"].kept


def test_the_users_and_claude_codes_worktrees_are_not_csups(repo, tmp_path):
    git(repo, "worktree", "add", "-q", "-b", "worktree-x", ".claude/worktrees/x")
    git(repo, "worktree", "add", "-q", "-b", "mine", str(tmp_path / "mine"))
    assert list_worktrees(repo) == []
    clean(repo, all=True)
    assert len(porcelain(repo)) == 3
    branches = git(repo, "branch", "--format=%(refname:short)", "--list", "worktree-x", "mine")
    assert branches.split() == ["mine", "worktree-x"]


def test_clean_by_default_removes_worktrees_with_nothing_uncommitted_and_keeps_branches(repo, four):
    kept = prepare(repo, run_id="r1", task="kept")
    finish(kept, task="kept", keep=True)
    report = clean(repo)
    assert report.removed == (kept.path,)
    assert report.deleted_branches == ()
    assert ("csup/r1/dirty", f"{four['dirty'].path} has uncommitted changes") in report.skipped
    assert states(repo)["kept"] == "merged"  # no commits: HEAD has all of it


def test_clean_merged_removes_only_merged_sessions(repo, four):
    report = clean(repo, merged_only=True)
    assert report.deleted_branches == ("csup/r1/merged",)
    assert set(states(repo)) == {"running", "dirty", "unmerged"}


def test_clean_all_removes_everything_but_running_sessions(repo, four):
    report = clean(repo, all=True)
    assert ("csup/r1/running", "its session is running") in report.skipped
    assert states(repo) == {"running": "running"}
    assert not four["dirty"].path.exists()
    finish(four["running"], task="running", keep=False)
    clean(repo, all=True)
    assert list_worktrees(repo) == []
    assert git(repo, "branch", "--list", "csup/*") == ""


def test_clean_refuses_both_modes(repo):
    with pytest.raises(WorktreeError, match="choose one"):
        clean(repo, merged_only=True, all=True)


def test_listing_outside_a_repository_is_a_clear_error(tmp_path):
    with pytest.raises(NotAGitRepository):
        list_worktrees(tmp_path)
