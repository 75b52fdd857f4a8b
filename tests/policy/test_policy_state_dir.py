"""csup's state directory (the hook's memory of each session) is off limits to the session.

A session that could delete or rewrite its memory could make csup forget the script it wrote
before running it. The directory is protected where the platform puts it by default
(``~/.local/state/csup``) and wherever the environment moves it (``$CSUP_STATE_DIR``,
``$XDG_STATE_HOME``), even in a temporary directory, where deleting is otherwise allowed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from csup.policy import Decision, ToolCall, load_policy

DESTRUCTIVE = [
    "rm -rf {state}",
    "rm -rf {state}/",
    "rm {state}/hook-sessions/s-1.json",
    "rm -f {state}/hook-sessions/*.json",
    "echo '{{}}' > {state}/hook-sessions/s-1.json",
    ": > {state}/hook-sessions/s-1.json",
    "truncate -s 0 {state}/hook-sessions/s-1.json",
    "cp /dev/null {state}/hook-sessions/s-1.json",
    "mv {state} {state}.old",
    "find {state} -delete",
    "sed -i d {state}/hook-sessions/s-1.json",
]


def bash(command: str, cwd: Path, level: str = "moderate") -> Decision:
    return load_policy(level).decide(ToolCall("Bash", {"command": command}, cwd=str(cwd)))


def tool(name: str, cwd: Path, **tool_input: object) -> Decision:
    return load_policy("moderate").decide(ToolCall(name, tool_input, cwd=str(cwd)))


@pytest.fixture
def default_location(monkeypatch: pytest.MonkeyPatch, home: str) -> str:
    """No override: the state dir is ``~/.local/state/csup``."""
    monkeypatch.delenv("CSUP_STATE_DIR", raising=False)
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    return "~/.local/state/csup"


@pytest.fixture
def temp_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, home: str) -> str:
    """``$CSUP_STATE_DIR`` in a temporary directory, where a session may usually delete."""
    path = tmp_path / "state"
    (path / "hook-sessions").mkdir(parents=True)
    (path / "hook-sessions" / "s-1.json").write_text("{}")
    monkeypatch.setenv("CSUP_STATE_DIR", str(path))
    return str(path)


@pytest.mark.parametrize("command", DESTRUCTIVE)
@pytest.mark.parametrize("level", ["permissive", "moderate"])
def test_the_default_state_dir_cannot_be_deleted_or_rewritten(
    default_location: str, workspace: Path, command: str, level: str
) -> None:
    decision = bash(command.format(state=default_location), workspace, level)
    assert (decision.behavior, decision.rule) == ("deny", "csup.self-protect")


@pytest.mark.parametrize("command", DESTRUCTIVE)
def test_a_state_dir_moved_by_the_environment_is_protected_even_in_a_temp_dir(
    temp_location: str, workspace: Path, command: str
) -> None:
    decision = bash(command.format(state=temp_location), workspace, "permissive")
    assert (decision.behavior, decision.rule) == ("deny", "csup.self-protect")


def test_a_temp_dir_beside_the_state_dir_is_still_free(temp_location: str, workspace: Path) -> None:
    assert bash(f"rm -rf {temp_location}-other", workspace).behavior == "allow"


def test_xdg_state_home_moves_the_protected_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, workspace: Path
) -> None:
    monkeypatch.delenv("CSUP_STATE_DIR", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    decision = bash(f"rm -rf {tmp_path}/xdg/csup/hook-sessions", workspace, "permissive")
    assert (decision.behavior, decision.rule) == ("deny", "csup.self-protect")


@pytest.mark.parametrize("name", ["Write", "Edit", "MultiEdit"])
def test_the_file_tools_cannot_write_a_memory(
    temp_location: str, workspace: Path, name: str
) -> None:
    decision = tool(name, workspace, file_path=f"{temp_location}/hook-sessions/s-1.json")
    assert (decision.behavior, decision.rule) == ("deny", "csup.self-protect")


@pytest.mark.parametrize("name", ["Write", "Edit", "MultiEdit"])
def test_the_file_tools_cannot_write_in_the_default_state_dir(
    default_location: str, workspace: Path, name: str
) -> None:
    decision = tool(name, workspace, file_path=f"{default_location}/hook-sessions/s-1.json")
    assert (decision.behavior, decision.rule) == ("deny", "csup.self-protect")


def test_a_symlink_into_the_state_dir_is_judged_where_it_points(
    temp_location: str, workspace: Path
) -> None:
    (workspace / "notes").symlink_to(temp_location)
    assert bash("rm -rf notes/", workspace).rule == "csup.self-protect"
    decision = tool("Write", workspace, file_path="notes/hook-sessions/s-1.json", content="{}")
    assert decision.rule == "csup.self-protect"


def test_reading_the_state_dir_is_not_self_protection(temp_location: str, workspace: Path) -> None:
    decision = bash(f"cat {temp_location}/hook-sessions/s-1.json", workspace)
    assert decision.rule != "csup.self-protect"
