"""prepare(): a new worktree on a new branch, outside the user's checkout, which stays as it was."""

from __future__ import annotations

import subprocess

import pytest

from csup.errors import NotAGitRepository, WorktreeError
from csup.worktree import prepare
from tests.worktrees.conftest import git, porcelain, status
from tests.worktrees.test_worktree_names import ODD_TASKS


def test_the_worktree_lives_in_the_git_directory_on_a_new_csup_branch(repo):
    wt = prepare(repo, run_id="r1", task="Fix the login bug")
    assert wt.path == repo / ".git" / "csup-worktrees" / "r1" / "fix-the-login-bug"
    assert wt.branch == "csup/r1/fix-the-login-bug"
    assert wt.base == git(repo, "rev-parse", "HEAD").strip()
    assert wt.base_branch == "main"
    assert (wt.path / "src" / "app.py").read_text() == "print('app')\n"
    assert git(wt.path, "symbolic-ref", "--short", "HEAD").strip() == wt.branch
    assert wt.cwd == wt.path


def test_the_users_checkout_is_untouched(repo):
    head = git(repo, "rev-parse", "HEAD")
    prepare(repo, run_id="r1", task="a")
    assert status(repo) == ""
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "symbolic-ref", "--short", "HEAD").strip() == "main"


def test_a_worktree_being_used_is_locked_by_its_csup_process(repo):
    wt = prepare(repo, run_id="r1", task="a")
    (entry,) = [e for e in porcelain(repo) if e["worktree"] == str(wt.path)]
    assert entry["locked"].startswith("csup session pid=")
    assert "prunable" not in entry


@pytest.mark.parametrize("task", ODD_TASKS.values(), ids=ODD_TASKS.keys())
def test_odd_task_texts_make_worktrees_on_valid_branches(repo, task):
    wt = prepare(repo, run_id="r1", task=task)
    assert git(repo, "check-ref-format", "--branch", wt.branch).strip() == wt.branch
    assert wt.path.is_dir() and wt.path.parent == repo / ".git" / "csup-worktrees" / "r1"


def test_the_same_task_twice_in_a_run_gets_two_names(repo):
    first = prepare(repo, run_id="r1", task="same")
    second = prepare(repo, run_id="r1", task="same")
    other_run = prepare(repo, run_id="r2", task="same")
    assert (first.slug, second.slug, other_run.slug) == ("same", "same-2", "same")
    assert len({first.path, second.path, other_run.path}) == 3


def test_parallel_prepares_of_one_task_get_distinct_worktrees(repo):
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

    with ThreadPoolExecutor(4) as pool:
        made = list(pool.map(lambda _: prepare(repo, run_id="r1", task="same"), range(4)))
    assert sorted(wt.slug for wt in made) == ["same", "same-2", "same-3", "same-4"]


def test_a_base_picks_the_starting_point(repo):
    first = git(repo, "rev-parse", "HEAD").strip()
    (repo / "README").write_text("second\n")
    git(repo, "commit", "-qam", "second")
    git(repo, "branch", "old", first)
    wt = prepare(repo, run_id="r1", task="a", base="old")
    assert (wt.path / "README").read_text() == "hello\n"
    assert (wt.base, wt.base_branch) == (first, "old")
    tagged = prepare(repo, run_id="r1", task="b", base=first[:10])
    assert (tagged.base, tagged.base_branch) == (first, None)


@pytest.mark.parametrize("base", ["no-such-branch", "-x", "HEAD~5", "a\nb"])
def test_a_bad_base_is_a_clear_error_and_leaves_nothing(repo, base):
    with pytest.raises(WorktreeError, match="base"):
        prepare(repo, run_id="r1", task="a", base=base)
    assert len(porcelain(repo)) == 1
    assert git(repo, "branch", "--list", "csup/*") == ""


def test_a_dirty_checkout_is_fine_and_its_changes_stay_the_users(repo):
    (repo / "README").write_text("the user's edit\n")
    (repo / "notes.txt").write_text("untracked\n")
    wt = prepare(repo, run_id="r1", task="a")
    assert set(wt.user_dirty) == {"README", "notes.txt"}
    assert (wt.path / "README").read_text() == "hello\n"
    assert not (wt.path / "notes.txt").exists()
    assert (repo / "README").read_text() == "the user's edit\n"


def test_a_detached_head_starts_from_its_commit_with_no_base_branch(repo):
    git(repo, "checkout", "-q", "--detach")
    wt = prepare(repo, run_id="r1", task="a")
    assert wt.base == git(repo, "rev-parse", "HEAD").strip()
    assert wt.base_branch is None


def test_from_a_subdirectory_the_session_starts_in_the_same_subdirectory(repo):
    wt = prepare(repo / "src", run_id="r1", task="a")
    assert wt.repo == repo
    assert wt.cwd == wt.path / "src"


def test_outside_a_repository_is_a_clear_error(tmp_path):
    (tmp_path / "plain").mkdir()
    with pytest.raises(NotAGitRepository, match="not inside a git repository"):
        prepare(tmp_path / "plain", run_id="r1", task="a")
    with pytest.raises(NotAGitRepository, match="does not exist"):
        prepare(tmp_path / "missing", run_id="r1", task="a")


def test_a_bare_repository_is_a_clear_error(repo, tmp_path):
    git(tmp_path, "clone", "-q", "--bare", str(repo), "bare.git")
    with pytest.raises(NotAGitRepository, match="bare repository"):
        prepare(tmp_path / "bare.git", run_id="r1", task="a")


def test_a_repository_with_no_commit_is_a_clear_error(tmp_path):
    git(tmp_path, "init", "-q", "-b", "main")
    with pytest.raises(WorktreeError, match="no commit yet"):
        prepare(tmp_path, run_id="r1", task="a")


def test_a_bad_run_id_is_refused_before_anything_is_made(repo):
    with pytest.raises(WorktreeError, match="run id"):
        prepare(repo, run_id="../escape", task="a")
    assert not (repo / ".git" / "csup-worktrees").exists()


def test_from_a_linked_worktree_csup_uses_the_shared_git_directory(repo, tmp_path):
    git(repo, "worktree", "add", "-q", "-b", "feature", str(tmp_path / "feature"))
    wt = prepare(tmp_path / "feature", run_id="r1", task="a")
    assert wt.path.parent.parent == repo / ".git" / "csup-worktrees"
    assert wt.base_branch == "feature"


def test_a_git_dir_in_the_environment_does_not_mislead_csup(repo, tmp_path, monkeypatch):
    other = tmp_path / "other"
    git(tmp_path, "init", "-q", str(other))
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    wt = prepare(repo, run_id="r1", task="a")
    assert wt.repo == repo


class TestIncludedFiles:
    """``include=True`` copies ignored files listed in ``.worktreeinclude`` (Claude Code's rule)."""

    @pytest.fixture
    def configured(self, new_repo):
        repo = new_repo(
            "inc",
            {
                ".gitignore": ".env\n*.local\nbuild/\n",
                ".worktreeinclude": ".env\nconfig/*.local\nREADME\n",
                "README": "tracked\n",
            },
        )
        (repo / ".env").write_text("SECRET=1\n")
        (repo / "config").mkdir()
        (repo / "config" / "db.local").write_text("db\n")
        (repo / "other.local").write_text("not listed\n")
        (repo / "build").mkdir()
        (repo / "build" / "out.bin").write_text("big\n")
        (repo / "README").write_text("the user's edit\n")
        return repo

    def test_listed_ignored_files_are_copied(self, configured):
        wt = prepare(configured, run_id="r1", task="a", include=True)
        assert set(wt.copied) == {".env", "config/db.local"}
        assert (wt.path / ".env").read_text() == "SECRET=1\n"
        assert (wt.path / "config" / "db.local").read_text() == "db\n"

    def test_unlisted_ignored_files_and_tracked_files_are_not_copied(self, configured):
        wt = prepare(configured, run_id="r1", task="a", include=True)
        assert not (wt.path / "other.local").exists()
        assert not (wt.path / "build").exists()
        assert (wt.path / "README").read_text() == "tracked\n"

    def test_without_include_nothing_is_copied(self, configured):
        wt = prepare(configured, run_id="r1", task="a")
        assert wt.copied == ()
        assert not (wt.path / ".env").exists()

    def test_copied_files_stay_ignored_in_the_worktree(self, configured):
        wt = prepare(configured, run_id="r1", task="a", include=True)
        assert git(wt.path, "status", "--porcelain") == ""


def test_git_missing_from_path_is_a_clear_error(repo, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(WorktreeError, match="git could not be started"):
        prepare(repo, run_id="r1", task="a")


def test_claude_codes_own_worktree_folder_is_not_where_csup_works(repo):
    subprocess.run(
        ["git", "worktree", "add", "-q", "-b", "worktree-feat", ".claude/worktrees/feat"],
        cwd=repo,
        check=True,
    )
    wt = prepare(repo, run_id="r1", task="feat")
    assert ".claude" not in wt.path.parts
    assert wt.branch != "worktree-feat"
