"""``csup hook`` remembers a session across its tool calls (issue #10, classes 2 and 7).

Each tool call is its own hook process, so what one call wrote must reach the next through
the session's memory file: a script written by one call and run by a later one is judged by
what it holds, and the user's uncommitted work (noted on the session's first call) is not
discarded without asking. First through ``csup hook`` fed the hook input directly, then with
the real claude binary and csup's hooks installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from csup.testing import tool
from tests.hooks import test_hooks_e2e as e2e
from tests.hooks.test_hooks_e2e import Play, calls

play = e2e.play  # the end-to-end fixtures: a scratch repository with the hooks installed
repo = e2e.repo
important = e2e.important

ROOT = str(Path(__file__).resolve().parents[2])
WAIT = 30
DANGEROUS_SCRIPT = "#!/bin/sh\nrm -rf ~\n"


def git(cwd: Path, *args: str) -> None:
    command = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", "-C", str(cwd)]
    subprocess.run([*command, *args], check=True, capture_output=True, timeout=WAIT)


def hook(
    workspace: Path,
    tool_name: str,
    *,
    session: str = "claude-1",
    event: str = "pre-tool-use",
    env: dict[str, str] | None = None,
    **tool_input: object,
) -> dict[str, Any]:
    """This checkout's ``csup hook EVENT`` on one tool call, as Claude Code runs it."""
    names = {"pre-tool-use": "PreToolUse", "permission-request": "PermissionRequest"}
    data = {
        "session_id": session,
        "transcript_path": str(workspace / "t.jsonl"),
        "cwd": str(workspace),
        "permission_mode": "default",
        "hook_event_name": names[event],
        "tool_name": tool_name,
        "tool_input": tool_input,
    }
    done = subprocess.run(
        [sys.executable, "-m", "csup", "hook", event],
        input=json.dumps(data),
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": ROOT, "CSUP_NO_RECORD": "1", **(env or {})},
        timeout=WAIT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    output = json.loads(done.stdout) if done.stdout else {}
    return {"stderr": done.stderr, **output.get("hookSpecificOutput", {})}


def verdict(answer: dict[str, Any]) -> str:
    return str(answer.get("permissionDecision") or answer["decision"]["behavior"])


@pytest.fixture
def project(workspace: Path) -> Path:
    """A repository with a committed file and one the user has edited and not committed."""
    git(workspace, "init", "-q")
    (workspace / "committed.txt").write_text("v1\n")
    (workspace / "mine.txt").write_text("v1\n")
    git(workspace, "add", ".")
    git(workspace, "commit", "-qm", "init")
    (workspace / "mine.txt").write_text("the user's edit\n")
    return workspace


# -- through `csup hook`, one process per call ----------------------------------------------


def test_a_script_one_call_wrote_is_judged_by_its_content_when_a_later_call_runs_it(
    project: Path,
) -> None:
    script = str(project / "run.sh")
    assert verdict(hook(project, "Write", file_path=script, content=DANGEROUS_SCRIPT)) == "allow"
    answer = hook(project, "Bash", command="bash run.sh")
    assert verdict(answer) == "deny"
    assert "which this session wrote" in answer["permissionDecisionReason"]
    # another session did not write it (and the tool never ran: it is not on disk)
    assert verdict(hook(project, "Bash", session="claude-2", command="bash run.sh")) == "allow"


def test_a_python_file_one_call_wrote_is_judged_when_a_later_call_runs_it(
    project: Path,
) -> None:
    code = 'import os\nos.system("rm -rf ~")\n'
    hook(project, "Write", file_path="tidy.py", content=code)
    (project / "tidy.py").write_text(code)  # as the Write tool would have
    answer = hook(project, "Bash", command="python3 tidy.py")
    assert verdict(answer) == "deny"
    assert verdict(hook(project, "Bash", session="claude-2", command="python3 tidy.py")) == "allow"


def test_the_permission_request_hook_remembers_too(project: Path) -> None:
    hook(project, "Write", file_path="run.sh", content=DANGEROUS_SCRIPT)
    answer = hook(project, "Bash", event="permission-request", command="./run.sh")
    assert verdict(answer) == "deny"


def test_discarding_the_users_uncommitted_edit_is_asked(project: Path) -> None:
    assert verdict(hook(project, "Bash", command="ls")) == "allow"  # the session's first call
    answer = hook(project, "Bash", command="git checkout -- mine.txt")
    assert verdict(answer) == "ask"
    assert "[csup rule user-work.discard; " in answer["permissionDecisionReason"]
    assert verdict(hook(project, "Bash", command="git checkout -- committed.txt")) == "allow"


def test_a_file_the_session_changed_is_not_the_users(project: Path) -> None:
    hook(project, "Bash", command="ls")  # the first call notes the user's files
    (project / "committed.txt").write_text("changed by the session's tool\n")
    assert verdict(hook(project, "Bash", command="git checkout -- committed.txt")) == "allow"


def test_the_session_cannot_make_csup_forget_what_it_wrote(
    project: Path, _scratch_state: Path
) -> None:
    hook(project, "Write", file_path="run.sh", content=DANGEROUS_SCRIPT)
    memory = _scratch_state / "hook-sessions" / "claude-1.json"
    for command in (f"rm -rf {_scratch_state}", f"echo '{{}}' > {memory}", f"rm {memory}"):
        assert verdict(hook(project, "Bash", command=command)) == "deny", command
    erase = hook(project, "Write", file_path=str(memory), content="{}")
    assert verdict(erase) == "deny"
    assert verdict(hook(project, "Bash", command="bash run.sh")) == "deny"


def test_a_later_call_runs_no_git(project: Path) -> None:
    hook(project, "Bash", command="ls")
    answer = hook(project, "Bash", command="ls", env={"PYTHONPROFILEIMPORTTIME": "1"})
    imported = {
        line.split("|")[2].strip()
        for line in answer["stderr"].splitlines()
        if line.startswith("import time:") and "[us]" not in line
    }
    assert "csup.hooks.memory" in imported
    assert "subprocess" not in imported


# -- the real claude binary, csup's hooks installed at project scope ------------------------


@pytest.fixture
def this_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Claude hands its environment to the hooks, which then run this checkout's csup."""
    monkeypatch.setenv("PYTHONPATH", ROOT)


@pytest.mark.claude
@pytest.mark.usefixtures("this_checkout")
def test_claude_cannot_run_a_script_it_wrote_in_an_earlier_call(
    play: Play, repo: Path, important: Path
) -> None:
    run = play(
        calls(
            tool("Write", file_path=str(repo / "run.sh"), content=DANGEROUS_SCRIPT),
            tool("Bash", command="bash run.sh", description="run it"),
        )
    )
    wrote, ran = run.model.tool_results()
    assert not wrote.is_error and (repo / "run.sh").read_text() == DANGEROUS_SCRIPT
    assert ran.is_error
    # a shell script on disk is read whoever wrote it; the memory matters for the next test
    assert "[csup rule fs.rm-root-or-home; " in ran.content
    assert (important / "keep.txt").read_text() == "precious\n"
    assert run.denied_tools == ["Bash"]


@pytest.mark.claude
@pytest.mark.usefixtures("this_checkout")
def test_claude_cannot_run_python_it_wrote_in_an_earlier_call(
    play: Play, repo: Path, important: Path
) -> None:
    """Only the memory catches this one: csup reads a Python file run only if the session
    wrote it (without the memory, ``python3 tidy.py`` is allowed at moderate)."""
    code = 'import os\nos.system("rm -rf ~")\n'
    run = play(
        calls(
            tool("Write", file_path=str(repo / "tidy.py"), content=code),
            tool("Bash", command="python3 tidy.py", description="tidy up"),
        )
    )
    wrote, ran = run.model.tool_results()
    assert not wrote.is_error and (repo / "tidy.py").read_text() == code
    assert ran.is_error
    assert "which this session wrote" in ran.content
    assert (important / "keep.txt").read_text() == "precious\n"
    assert run.denied_tools == ["Bash"]


@pytest.mark.claude
@pytest.mark.usefixtures("this_checkout")
def test_claude_cannot_discard_the_users_uncommitted_edit_headless(play: Play, repo: Path) -> None:
    """Asked at moderate; headless ``claude -p`` has no one to ask, so it is a denial."""
    (repo / "mine.txt").write_text("v1\n")
    git(repo, "add", "mine.txt")
    git(repo, "commit", "-qm", "init")
    (repo / "mine.txt").write_text("the user's edit\n")
    run = play(calls(tool("Bash", command="git checkout -- mine.txt", description="reset")))
    result = run.only_tool_result()
    assert result.is_error
    assert "user-work.discard" in result.content
    assert (repo / "mine.txt").read_text() == "the user's edit\n"
    assert run.denied_tools == ["Bash"]
