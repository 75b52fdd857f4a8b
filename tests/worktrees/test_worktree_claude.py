"""Two real claude sessions in parallel, each in its own worktree, editing the same file."""

from __future__ import annotations

import threading

import pytest

from csup.calls import Decision, ToolCall
from csup.claude.options import SessionOptions
from csup.claude.result import SessionResult, SessionStatus
from csup.claude.runner import run_session
from csup.testing import text, tool
from csup.worktree import finish, merge, prepare
from tests.worktrees.conftest import git, status

pytestmark = pytest.mark.claude

NAMES = ("a", "b")


def edit_then_read(name: str) -> list:
    return [
        [tool("Bash", command=f"echo from-{name} >> shared.txt", description="edit")],
        [tool("Bash", command="cat shared.txt", description="read")],
        [text("Done.")],
    ]


def test_parallel_sessions_each_see_only_their_own_change_and_their_branches_hold_it(
    new_repo, claude_bin, scripted_model, claude_env
):
    repo = new_repo("repo", {"shared.txt": "base\n"})
    model = scripted_model({name: edit_then_read(name) for name in NAMES})
    tasks = {name: f"[scenario:{name}] append to shared.txt" for name in NAMES}
    worktrees = {name: prepare(repo, run_id="r1", task=tasks[name]) for name in NAMES}
    both_edited = threading.Barrier(2, timeout=60)
    users_file_meanwhile: list[str] = []

    def decide(call: ToolCall) -> Decision:
        if call.tool_input.get("command") == "cat shared.txt":
            both_edited.wait()  # each reads only after both sessions have edited
            users_file_meanwhile.append((repo / "shared.txt").read_text())
        return Decision("allow", "fine")

    results: dict[str, SessionResult] = {}

    def session(name: str) -> None:
        options = SessionOptions(
            cwd=worktrees[name].cwd, env=claude_env(model), claude_bin=claude_bin
        )
        results[name] = run_session(tasks[name], options, decide=decide, timeout=90)

    threads = [threading.Thread(target=session, args=(name,)) for name in NAMES]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    for name in NAMES:
        assert results[name].status is SessionStatus.COMPLETED, results[name].error
        read = next(r for r in model.tool_results(name) if r.input["command"] == "cat shared.txt")
        assert read.content.strip() == f"base\nfrom-{name}"
    assert users_file_meanwhile == ["base\n", "base\n"]

    reports = {name: finish(worktrees[name], task=tasks[name], keep=False) for name in NAMES}
    for name in NAMES:
        report = reports[name]
        assert git(repo, "show", f"{report.branch}:shared.txt") == f"base\nfrom-{name}\n"
        assert (report.commits, report.files, report.insertions) == (1, 1, 1)
        assert report.committed_leftovers and report.kept is None
    assert status(repo) == "" and (repo / "shared.txt").read_text() == "base\n"

    merged = merge(repo, [reports["a"], reports["b"]], into="main")
    assert merged.merged == (reports["a"].branch,)
    assert (merged.conflict, merged.conflict_files) == (reports["b"].branch, ("shared.txt",))
    assert status(repo) == ""
    assert (repo / "shared.txt").read_text() == "base\nfrom-a\n"


def test_a_session_stopped_mid_way_keeps_its_worktree_and_its_work_is_committed(
    repo, claude_bin, scripted_model, claude_env
):
    steps = [[tool("Bash", command=f"echo {n} > step{n}.txt", description="s")] for n in range(5)]
    model = scripted_model({"long": steps})
    task = "[scenario:long] many steps"
    wt = prepare(repo, run_id="r1", task=task)
    options = SessionOptions(cwd=wt.cwd, env=claude_env(model), claude_bin=claude_bin, max_turns=2)
    result = run_session(task, options, decide=lambda call: Decision("allow", "fine"), timeout=90)
    assert result.status is SessionStatus.KILLED, result.error

    report = finish(wt, task=task, keep=result.status is not SessionStatus.COMPLETED)
    assert report.kept == wt.path and wt.path.is_dir()
    assert report.committed_leftovers and report.commits == 1
    assert git(repo, "show", f"{wt.branch}:step0.txt") == "0\n"
    assert status(repo) == "" and not (repo / "step0.txt").exists()
