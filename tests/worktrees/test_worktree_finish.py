"""finish(): what the session left is committed on its branch, then the worktree goes or stays."""

from __future__ import annotations

import shutil

from csup.worktree import finish, prepare
from tests.worktrees.conftest import git, porcelain, status

TASK = "Write the changelog\nwith details"


def test_leftovers_are_committed_by_csup_with_a_message_naming_the_task(repo):
    wt = prepare(repo, run_id="r1", task=TASK)
    (wt.path / "README").write_text("hello\nmore\n")
    (wt.path / "CHANGELOG").write_text("new\n")
    report = finish(wt, task=TASK, keep=False)
    author = git(repo, "log", "-1", "--format=%an <%ae>|%cn <%ce>", wt.branch).strip()
    assert author == "csup <csup@localhost>|csup <csup@localhost>"
    message = git(repo, "log", "-1", "--format=%B", wt.branch)
    assert message.startswith("csup: Write the changelog with details")
    assert "Task:\nWrite the changelog\nwith details" in message
    assert git(repo, "show", f"{wt.branch}:CHANGELOG") == "new\n"
    assert report.committed_leftovers
    assert (report.commits, report.files, report.insertions, report.deletions) == (1, 2, 2, 0)


def test_a_finished_worktree_is_removed_and_its_branch_stays(repo):
    wt = prepare(repo, run_id="r1", task="a")
    (wt.path / "new.txt").write_text("x\n")
    report = finish(wt, task="a", keep=False)
    assert report.kept is None
    assert not wt.path.exists()
    assert [e["worktree"] for e in porcelain(repo)] == [str(repo)]
    assert git(repo, "branch", "--list", wt.branch).strip() == wt.branch
    assert status(repo) == ""


def test_keep_keeps_the_worktree_unlocked_for_the_user(repo):
    wt = prepare(repo, run_id="r1", task="a")
    report = finish(wt, task="a", keep=True)
    assert report.kept == wt.path and wt.path.is_dir()
    (entry,) = [e for e in porcelain(repo) if e["worktree"] == str(wt.path)]
    assert "locked" not in entry


def test_the_sessions_own_commits_are_counted_and_nothing_extra_is_made(repo):
    wt = prepare(repo, run_id="r1", task="a")
    for n in range(3):
        (wt.path / f"f{n}").write_text(f"{n}\n")
        git(wt.path, "add", ".")
        git(wt.path, "commit", "-qm", f"commit {n}")
    report = finish(wt, task="a", keep=False)
    assert not report.committed_leftovers
    assert (report.commits, report.files, report.insertions) == (3, 3, 3)


def test_a_session_that_changed_nothing_reports_zero(repo):
    wt = prepare(repo, run_id="r1", task="a")
    report = finish(wt, task="a", keep=False)
    assert (report.commits, report.files, report.insertions, report.deletions) == (0, 0, 0, 0)
    assert report.head == wt.base


def test_ignored_files_are_not_committed(new_repo):
    repo = new_repo("ign", {".gitignore": "*.log\n", "README": "x\n"})
    wt = prepare(repo, run_id="r1", task="a")
    (wt.path / "debug.log").write_text("noise\n")
    report = finish(wt, task="a", keep=False)
    assert report.commits == 0


def test_finish_twice_is_harmless(repo):
    wt = prepare(repo, run_id="r1", task="a")
    (wt.path / "x").write_text("x\n")
    first = finish(wt, task="a", keep=False)
    second = finish(wt, task="a", keep=False)
    assert (second.commits, second.head, second.kept) == (first.commits, first.head, None)
    kept = prepare(repo, run_id="r1", task="b")
    assert finish(kept, task="b", keep=True).kept == finish(kept, task="b", keep=True).kept


def test_a_vanished_directory_is_unregistered_and_the_branch_reported(repo):
    wt = prepare(repo, run_id="r1", task="a")
    (wt.path / "x").write_text("x\n")
    git(wt.path, "add", ".")
    git(wt.path, "commit", "-qm", "work")
    shutil.rmtree(wt.path)
    report = finish(wt, task="a", keep=False)
    assert report.commits == 1 and report.kept is None
    assert "vanished" in (report.note or "")
    assert all("prunable" not in e for e in porcelain(repo))
    assert [e["worktree"] for e in porcelain(repo)] == [str(repo)]


def test_a_session_that_checked_out_another_branch_keeps_its_worktree(repo):
    wt = prepare(repo, run_id="r1", task="a")
    git(wt.path, "checkout", "-q", "-b", "elsewhere")
    (wt.path / "x").write_text("x\n")
    report = finish(wt, task="a", keep=False)
    assert report.kept == wt.path
    assert "elsewhere" in (report.note or "")
    assert (wt.path / "x").exists()


def test_a_session_stuck_in_a_conflict_keeps_its_worktree_and_says_why(repo):
    wt = prepare(repo, run_id="r1", task="a")
    git(wt.path, "checkout", "-q", "-b", "side")
    (wt.path / "README").write_text("side\n")
    git(wt.path, "commit", "-qam", "side")
    git(wt.path, "checkout", "-q", wt.branch)
    (wt.path / "README").write_text("mine\n")
    git(wt.path, "commit", "-qam", "mine")
    git(wt.path, "merge", "side", check=False)  # leaves a conflict
    report = finish(wt, task="a", keep=False)
    assert report.kept == wt.path
    assert not report.committed_leftovers
    assert "merge in progress" in (report.note or "")
    assert git(repo, "show", f"{wt.branch}:README") == "mine\n"


def test_the_report_is_json_ready(repo):
    wt = prepare(repo, run_id="r1", task="a")
    data = finish(wt, task="a", keep=True).as_dict()
    assert data["branch"] == wt.branch and data["kept"] == str(wt.path)
    assert set(data) >= {"commits", "files", "insertions", "deletions"}


def test_a_worktree_that_lost_its_git_file_keeps_the_files_left_there(repo):
    wt = prepare(repo, run_id="r1", task="a")
    (wt.path / "work.txt").write_text("work\n")
    (wt.path / ".git").unlink()
    report = finish(wt, task="a", keep=False)
    assert report.kept == wt.path and (wt.path / "work.txt").exists()
    assert ".git file" in (report.note or "")
    assert [e["worktree"] for e in porcelain(repo)] == [str(repo)]
