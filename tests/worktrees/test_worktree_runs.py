"""csup multi --worktree on the real claude binary: a worktree per session, the work on its
branch, the user's checkout untouched, and --merge bringing it back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from csup.cli import main
from csup.testing import text, tool
from tests.worktrees.conftest import csup_branches, git, status

pytestmark = pytest.mark.claude


def edit(name: str, content: str) -> list:
    return [[tool("Write", file_path=name, content=content)], [text("done")]]


def multi(repo, env, claude_bin, *tasks, extra=()):
    args = ["multi", "--cwd", str(repo), "--claude-bin", str(claude_bin), "--worktree", "--json"]
    for task in tasks:
        args += ["--task", task]
    return CliRunner().invoke(main, [*args, *extra], env=env)


def test_sessions_edit_their_own_worktrees_and_merge_brings_the_work_back(
    repo, scripted_model, claude_env, claude_bin
):
    model = scripted_model({"a": edit("a.txt", "from a\n"), "b": edit("b.txt", "from b\n")})
    before = status(repo)
    result = multi(
        repo,
        claude_env(model),
        claude_bin,
        "[scenario:a] add a",
        "[scenario:b] add b",
        extra=["--merge"],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    branches = [s["worktree"]["branch"] for s in doc["sessions"]]
    assert all(b.startswith(f"csup/{doc['run_id']}/") for b in branches)
    assert [s["worktree"]["commits"] for s in doc["sessions"]] == [1, 1]
    assert doc["merge"]["ok"] is True
    assert (repo / "a.txt").read_text() == "from a\n" and (repo / "b.txt").read_text() == "from b\n"
    assert status(repo) == before, "the user's checkout is clean after the merge"
    assert not [s for s in doc["sessions"] if s["worktree"]["kept"]], "completed: removed"


def test_two_sessions_editing_one_file_conflict_and_merge_stops_cleanly(
    repo, scripted_model, claude_env, claude_bin
):
    (repo / "shared.txt").write_text("base\n")
    git(repo, "add", "shared.txt")
    git(repo, "commit", "-qm", "shared")
    model = scripted_model({"a": edit("shared.txt", "a\n"), "b": edit("shared.txt", "b\n")})
    result = multi(
        repo,
        claude_env(model),
        claude_bin,
        "[scenario:a] one",
        "[scenario:b] two",
        extra=["--merge"],
    )
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert doc["merge"]["ok"] is False
    assert "shared.txt" in json.dumps(doc["merge"])
    assert (repo / "shared.txt").read_text() in ("a\n", "b\n"), "the first branch merged"
    assert status(repo) == "", "the repository is left clean"
    assert len(csup_branches(repo)) == 2, "both branches still hold their work"


def test_a_session_that_fails_keeps_its_worktree_with_its_work(
    repo, scripted_model, claude_env, claude_bin
):
    model = scripted_model(
        {
            "long": [
                [tool("Write", file_path="x.txt", content="x\n")],
                [tool("Write", file_path="y.txt", content="y\n")],
                [text("done")],
            ]
        }
    )
    result = multi(
        repo, claude_env(model), claude_bin, "[scenario:long] two files", extra=["--max-turns", "1"]
    )
    assert result.exit_code == 1, result.output
    (session,) = json.loads(result.stdout)["sessions"]
    assert session["status"] == "killed"
    kept = session["worktree"]["kept"]
    assert kept and (Path(kept) / "x.txt").exists()
    assert not (repo / "x.txt").exists(), "the user's checkout never saw the work"


def test_worktree_outside_a_git_repository_is_a_usage_error(tmp_path, claude_bin):
    result = CliRunner().invoke(
        main, ["run", "hi", "--cwd", str(tmp_path), "--claude-bin", str(claude_bin), "--worktree"]
    )
    assert result.exit_code == 2
    assert "--worktree" in result.output and "git" in result.output
