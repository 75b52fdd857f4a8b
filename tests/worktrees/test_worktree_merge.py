"""merge(): branches brought back in order; the first conflict stops it, the repository clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from csup.errors import WorktreeError
from csup.worktree import WorktreeReport, finish, merge, prepare
from tests.worktrees.conftest import git, status


def session(repo: Path, task: str, files: dict[str, str]) -> WorktreeReport:
    """A session's worktree that writes ``files``, finished."""
    wt = prepare(repo, run_id="r1", task=task)
    for name, content in files.items():
        (wt.path / name).write_text(content)
    return finish(wt, task=task, keep=False)


def test_branches_without_conflict_are_all_merged_in_order(repo):
    first = session(repo, "add docs", {"docs.txt": "docs\n"})
    second = session(repo, "add tests", {"tests.txt": "tests\n"})
    result = merge(repo, [first, second], into="main")
    assert result.ok and result.merged == (first.branch, second.branch)
    assert (repo / "docs.txt").read_text() == "docs\n"
    assert (repo / "tests.txt").read_text() == "tests\n"
    assert status(repo) == ""
    subjects = git(repo, "log", "--first-parent", "--format=%s", "-2").splitlines()
    assert subjects == [f"csup: merge {second.branch}", f"csup: merge {first.branch}"]


def test_the_first_conflict_stops_the_merge_and_names_branch_and_files(repo):
    first = session(repo, "one", {"README": "one\n", "a.txt": "a\n"})
    second = session(repo, "two", {"README": "two\n"})
    third = session(repo, "three", {"c.txt": "c\n"})
    result = merge(repo, [first, second, third], into="main")
    assert not result.ok
    assert result.merged == (first.branch,)
    assert (result.conflict, result.conflict_files) == (second.branch, ("README",))
    assert result.not_tried == (third.branch,)
    assert "README" in result.describe() and second.branch in result.describe()
    assert status(repo) == ""
    assert git(repo, "rev-parse", "-q", "--verify", "MERGE_HEAD", check=False) == ""
    assert (repo / "README").read_text() == "one\n"
    assert not (repo / "c.txt").exists()


def test_a_branch_with_nothing_new_is_up_to_date(repo):
    empty = session(repo, "nothing", {})
    result = merge(repo, [empty], into="main")
    assert result.ok and result.up_to_date == (empty.branch,) and result.merged == ()


def test_a_dirty_checkout_refuses_the_merge_and_is_left_as_it_was(repo):
    report = session(repo, "one", {"a.txt": "a\n"})
    (repo / "README").write_text("the user's edit\n")
    head = git(repo, "rev-parse", "HEAD")
    with pytest.raises(WorktreeError, match=r"uncommitted changes \(README\)"):
        merge(repo, [report], into="main")
    assert git(repo, "rev-parse", "HEAD") == head
    assert (repo / "README").read_text() == "the user's edit\n"


def test_untracked_files_of_the_user_do_not_block_the_merge(repo):
    report = session(repo, "one", {"a.txt": "a\n"})
    (repo / "scratch.txt").write_text("mine\n")
    assert merge(repo, [report], into="main").ok


def test_an_untracked_file_in_the_way_stops_the_merge_with_gits_reason(repo):
    report = session(repo, "one", {"a.txt": "a\n"})
    (repo / "a.txt").write_text("the user's untracked a\n")
    result = merge(repo, [report], into="main")
    assert not result.ok and result.conflict is None
    assert "untracked" in (result.error or "")
    assert (repo / "a.txt").read_text() == "the user's untracked a\n"


def test_merging_into_a_branch_that_is_not_checked_out_is_refused(repo):
    report = session(repo, "one", {"a.txt": "a\n"})
    with pytest.raises(WorktreeError, match="has main checked out, not release"):
        merge(repo, [report], into="release")
    git(repo, "checkout", "-q", "--detach")
    with pytest.raises(WorktreeError, match="detached HEAD"):
        merge(repo, [report], into="main")


def test_a_deleted_branch_is_reported_not_raised(repo):
    report = session(repo, "one", {"a.txt": "a\n"})
    git(repo, "branch", "-D", report.branch)
    result = merge(repo, [report], into="main")
    assert "does not exist" in (result.error or "")


def test_a_user_without_a_git_identity_still_gets_the_merge(repo):
    report = session(repo, "one", {"a.txt": "a\n"})
    git(repo, "config", "--unset", "user.email")
    git(repo, "config", "--unset", "user.name")
    assert merge(repo, [report], into="main").ok
    assert git(repo, "log", "-1", "--format=%an").strip() == "csup"
