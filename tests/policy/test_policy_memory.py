"""SessionMemory: what the session wrote, then runs, and the user's uncommitted work.

Real git repositories and real files; the memory is driven directly (no session needed), as
the session core will drive it: ``for_workspace`` at start, ``observe`` after each decision.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from csup.calls import Decision
from csup.policy import SessionMemory, ToolCall, load_policy


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True)


@pytest.fixture
def repo(workspace: Path) -> Path:
    git(workspace, "init", "-q")
    git(workspace, "config", "user.email", "t@example.com")
    git(workspace, "config", "user.name", "t")
    (workspace / "committed.txt").write_text("v1\n")
    (workspace / "mine.txt").write_text("v1\n")
    (workspace / "src").mkdir()
    (workspace / "src" / "app.py").write_text("print(1)\n")
    git(workspace, "add", ".")
    git(workspace, "commit", "-qm", "init")
    (workspace / "mine.txt").write_text("the user's edit\n")
    (workspace / "src" / "draft.py").write_text("# not yet added\n")
    return workspace


def run(memory: SessionMemory, cwd: Path, level: str, tool: str, **data: str) -> Decision:
    call = ToolCall(tool, data, cwd=str(cwd))
    decision = load_policy(level).decide(call, memory)
    memory.observe(call, decision)
    return decision


def test_the_users_modified_and_untracked_files_are_noted_at_start(repo: Path) -> None:
    memory = SessionMemory.for_workspace(str(repo))
    assert memory.user_files == {str(repo / "mine.txt"), str(repo / "src" / "draft.py")}
    assert not memory.had_stash


def test_outside_a_repository_there_is_no_user_work(workspace: Path) -> None:
    assert SessionMemory.for_workspace(str(workspace)).user_files == frozenset()


@pytest.mark.parametrize(
    "command",
    ["git checkout -- mine.txt", "git checkout mine.txt", "git restore mine.txt",
     "git restore --worktree src", "git clean -fd", "git clean -f src", "rm mine.txt", "rm -rf src",
     "echo x > mine.txt", "cp committed.txt mine.txt", "mv src/draft.py old.py",
     "git checkout -f main", "git switch --discard-changes main"],
)  # fmt: skip
def test_discarding_the_users_work_is_asked_at_moderate(repo: Path, command: str) -> None:
    memory = SessionMemory.for_workspace(str(repo))
    decision = run(memory, repo, "moderate", "Bash", command=command)
    assert decision.behavior in ("ask", "deny"), decision
    if decision.behavior == "ask":
        assert decision.rule == "user-work.discard"


@pytest.mark.parametrize("command", ["git checkout -- mine.txt", "rm src/draft.py"])
def test_at_permissive_it_is_allowed_and_marked_for_the_summary(repo: Path, command: str) -> None:
    memory = SessionMemory.for_workspace(str(repo))
    decision = run(memory, repo, "permissive", "Bash", command=command)
    assert (decision.behavior, decision.rule) == ("allow", "user-work.discard")
    assert "mine.txt" in decision.reason or "draft.py" in decision.reason


@pytest.mark.parametrize(
    "command",
    ["git checkout -- committed.txt", "rm src/app.py", "echo x > new.txt", "git checkout -b x",
     "git checkout src/app.py",
     "git restore --staged mine.txt", "git status", "cat mine.txt"],
)  # fmt: skip
def test_the_sessions_own_and_committed_files_are_not_user_work(repo: Path, command: str) -> None:
    memory = SessionMemory.for_workspace(str(repo))
    assert run(memory, repo, "moderate", "Bash", command=command).behavior == "allow"


def test_the_write_tool_over_a_users_file_is_asked_and_an_edit_is_not(repo: Path) -> None:
    memory = SessionMemory.for_workspace(str(repo))
    target = str(repo / "mine.txt")
    assert run(memory, repo, "moderate", "Write", file_path=target, content="x").rule == (
        "user-work.discard"
    )
    edit = run(memory, repo, "moderate", "Edit", file_path=target, old_string="a", new_string="b")
    assert edit.behavior == "allow"


def test_dropping_a_stash_the_user_had_is_asked(repo: Path) -> None:
    git(repo, "stash", "push", "-q", "-m", "user stash")
    memory = SessionMemory.for_workspace(str(repo))
    assert memory.had_stash
    assert run(memory, repo, "moderate", "Bash", command="git stash drop").behavior != "allow"


def written_then_run(
    tmp: Path, name: str, content: str, runner: str, memory: SessionMemory
) -> Decision:
    """The session writes ``name`` (the Write tool), the file lands on disk, then it runs."""
    run(memory, tmp, "permissive", "Write", file_path=str(tmp / name), content=content)
    (tmp / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp / name).write_text(content)
    return run(memory, tmp, "permissive", "Bash", command=runner)


@pytest.mark.parametrize(
    ("name", "content", "runner"),
    [
        ("cleanup", "#!/bin/sh\nrm -rf ~\n", "./cleanup"),
        ("tool.sh", "echo start\nrm -rf $HOME\n", "./tool.sh --fast"),
        ("Makefile", "clean:\n\trm -rf ~\n", "make clean"),
        ("makefile", "all:\n\t@rm -rf /\n", "make"),
        ("package.json", json.dumps({"scripts": {"build": "rm -rf ~"}}), "npm run build"),
        ("package.json", json.dumps({"scripts": {"postinstall": "rm -rf ~"}}), "npm install"),
        ("package.json", json.dumps({"scripts": {"pretest": "rm -rf /"}}), "npm test"),
        ("setup.py", "import shutil\nshutil.rmtree('/etc')\n", "pip install ."),
        (".git/hooks/pre-commit", "#!/bin/sh\nrm -rf ~\n", "git commit -qm x"),
    ],
)
def test_a_file_the_session_wrote_is_judged_as_if_run(
    workspace: Path, name: str, content: str, runner: str
) -> None:
    memory = SessionMemory.for_workspace(str(workspace))
    assert written_then_run(workspace, name, content, runner, memory).behavior == "deny"


@pytest.mark.parametrize(
    ("name", "content", "runner"),
    [
        ("cleanup", "#!/bin/sh\nrm -rf ./build\n", "./cleanup"),
        ("Makefile", "test:\n\tpytest -q\n", "make test"),
        ("package.json", json.dumps({"scripts": {"build": "tsc -p ."}}), "npm run build"),
    ],
)
def test_a_harmless_file_the_session_wrote_runs(
    workspace: Path, name: str, content: str, runner: str
) -> None:
    memory = SessionMemory.for_workspace(str(workspace))
    assert written_then_run(workspace, name, content, runner, memory).behavior == "allow"


def test_a_makefile_the_session_did_not_write_is_the_users_business(workspace: Path) -> None:
    (workspace / "Makefile").write_text("clean:\n\trm -rf ~\n")
    memory = SessionMemory.for_workspace(str(workspace))
    assert run(memory, workspace, "permissive", "Bash", command="make clean").behavior == "allow"


def test_what_a_bash_call_wrote_is_remembered_too(workspace: Path) -> None:
    memory = SessionMemory.for_workspace(str(workspace))
    run(memory, workspace, "permissive", "Bash", command="printf 'x:\\n\\trm -rf ~\\n' > Makefile")
    (workspace / "Makefile").write_text("x:\n\trm -rf ~\n")
    assert memory.wrote(str(workspace / "Makefile"))
    assert run(memory, workspace, "permissive", "Bash", command="make x").behavior == "deny"


def test_a_denied_write_is_not_remembered(workspace: Path) -> None:
    memory = SessionMemory.for_workspace(str(workspace))
    call = ToolCall(
        "Write", {"file_path": str(workspace / "f"), "content": "x"}, cwd=str(workspace)
    )
    memory.observe(call, Decision("deny", "no", "x.y"))
    assert not memory.wrote(str(workspace / "f"))


# -- written then run, within one line: copies, other hook paths, redirects after a list ------


def _line(workspace: Path, command: str) -> Decision:
    return load_policy("permissive").decide(
        ToolCall("Bash", {"command": command}, cwd=str(workspace))
    )


def test_a_copied_script_is_judged_by_what_was_copied(workspace: Path, tmp_path: Path) -> None:
    (tmp_path / "wipe.sh").write_text("rm -rf ~\n")
    (tmp_path / "hello.sh").write_text("echo hello\n")
    assert _line(workspace, f"cp {tmp_path}/wipe.sh ./ci.sh && sh ci.sh").behavior == "deny"
    assert _line(workspace, f"cp {tmp_path}/hello.sh ./ci.sh && sh ci.sh").behavior == "allow"


@pytest.mark.parametrize("hooks", [".githooks", "tools/hooks", ".husky"])
def test_a_hook_written_where_core_hooks_path_may_point_runs_with_git(
    workspace: Path, hooks: str
) -> None:
    line = (
        f"git config core.hooksPath {hooks} && mkdir -p {hooks} && "
        f"printf 'rm -rf ~\\n' > {hooks}/pre-commit && git commit -qm wip"
    )
    assert _line(workspace, line).behavior == "deny"
    assert _line(workspace, line.replace("rm -rf ~", "make lint")).behavior == "allow"


@pytest.mark.parametrize("before", ["mkdir -p out", "true", "cd . || exit 1"])
def test_a_redirect_after_a_list_writes_what_its_last_command_prints(
    workspace: Path, before: str
) -> None:
    # tree-sitter-bash hangs the redirect on the whole `a && b`; bash on `b`
    line = f"{before} && echo 'rm -rf ~' > out/run.sh && bash out/run.sh"
    assert _line(workspace, line).behavior == "deny"
