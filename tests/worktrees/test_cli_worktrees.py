"""``csup worktrees`` and ``csup worktrees clean`` on real repositories, through click."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from csup.cli import main
from csup.worktree import finish, prepare
from tests.worktrees.conftest import csup_branches, git


@pytest.fixture
def cli():
    runner = CliRunner()
    return lambda *args, **kwargs: runner.invoke(main, list(args), **kwargs)


@pytest.fixture
def sessions(repo):
    kept = prepare(repo, run_id="r1", task="Keep me")
    (kept.path / "k.txt").write_text("k\n")
    finish(kept, task="Keep me", keep=True)
    done = prepare(repo, run_id="r1", task="Done")
    (done.path / "d.txt").write_text("d\n")
    finish(done, task="Done", keep=False)
    return kept, done


def test_the_table_lists_branches_states_and_paths(cli, repo, sessions):
    kept, _ = sessions
    result = cli("worktrees", "--repo", str(repo))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["branch", "state", "ahead", "merged", "path"]
    assert lines[2].split() == ["csup/r1/done", "unmerged", "1", "no", "-"]
    assert lines[3].split() == ["csup/r1/keep-me", "kept", "1", "no", str(kept.path)]


def test_json_gives_every_field(cli, repo, sessions):
    result = cli("worktrees", "--repo", str(repo), "--json")
    assert result.exit_code == 0, result.output
    (done, kept) = json.loads(result.output)["worktrees"]
    assert (done["branch"], done["state"], done["path"]) == ("csup/r1/done", "unmerged", None)
    assert kept["exists"] and kept["ahead"] == 1 and not kept["dirty"]


def test_an_empty_repository_says_so(cli, repo):
    result = cli("worktrees", "--repo", str(repo))
    assert (result.exit_code, result.output) == (
        0,
        "No csup worktrees or branches in this repository.\n",
    )


def test_outside_a_repository_it_exits_2_with_a_clear_message(cli, tmp_path):
    result = cli("worktrees", "--repo", str(tmp_path))
    assert result.exit_code == 2
    assert "is not inside a git repository" in result.stderr
    assert "Traceback" not in result.output


def test_clean_removes_the_kept_worktree_and_keeps_branches(cli, repo, sessions):
    kept, _ = sessions
    result = cli("worktrees", "clean", "--repo", str(repo))
    assert result.exit_code == 0, result.output
    assert result.output == f"removed worktree {kept.path}\n"
    assert len(csup_branches(repo)) == 2


def test_clean_merged_deletes_merged_branches(cli, repo, sessions):
    git(repo, "merge", "-q", "--no-edit", "csup/r1/done")
    result = cli("worktrees", "--repo", str(repo), "clean", "--merged")
    assert result.exit_code == 0, result.output
    assert result.output == "deleted branch csup/r1/done\n"


def test_clean_all_asks_first_and_yes_skips_the_question(cli, repo, sessions):
    refused = cli("worktrees", "clean", "--repo", str(repo), "--all", input="n\n")
    assert refused.exit_code == 1 and "Aborted" in refused.output
    assert len(csup_branches(repo)) == 2
    result = cli("worktrees", "clean", "--repo", str(repo), "--all", "--yes", "--json")
    assert result.exit_code == 0, result.output
    assert sorted(json.loads(result.output)["deleted_branches"]) == [
        "csup/r1/done",
        "csup/r1/keep-me",
    ]
    assert git(repo, "branch", "--list", "csup/*") == ""


def test_clean_with_both_modes_is_a_usage_error(cli, repo):
    result = cli("worktrees", "clean", "--repo", str(repo), "--merged", "--all")
    assert result.exit_code == 2 and "choose one" in result.stderr


def test_csup_help_lists_the_command(cli):
    assert "worktrees" in cli("--help").output
