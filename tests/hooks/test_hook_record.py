"""``csup hook`` writes its decisions to the record, and the record never changes an answer."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from csup.cli import main
from csup.record import MASK
from csup.testing import tool
from tests.hooks import test_hooks_e2e as e2e
from tests.hooks.test_hooks_e2e import Play, calls

play = e2e.play  # the end-to-end fixtures: a scratch repository with the hooks installed
repo = e2e.repo

ROOT = str(Path(__file__).resolve().parents[2])
WAIT = 30


def hook(event: str, data: dict[str, Any], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """This checkout's ``csup hook EVENT`` as Claude Code runs it."""
    return subprocess.run(
        [sys.executable, "-m", "csup", "hook", event],
        input=json.dumps(data),
        capture_output=True,
        text=True,
        env=env,
        timeout=WAIT,
        check=False,
    )


@pytest.fixture
def env(claude_home: Path, tmp_path: Path) -> dict[str, str]:
    values = {k: v for k, v in os.environ.items() if not k.startswith("CSUP_")}
    values.update(HOME=str(claude_home), PYTHONPATH=ROOT, CSUP_DB=str(tmp_path / "csup.db"))
    return values


def hook_input(
    workspace: Path, command: str, *, event: str = "PreToolUse", tool_use_id: str = "toolu_1"
) -> dict[str, Any]:
    return {
        "session_id": "claude-1",
        "transcript_path": str(workspace / "t.jsonl"),
        "cwd": str(workspace),
        "permission_mode": "default",
        "hook_event_name": event,
        "tool_name": "Bash",
        "tool_input": {"command": command},
        "tool_use_id": tool_use_id,
    }


def table(db: str, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_each_decision_is_recorded_in_one_run_and_session_per_claude_session(
    env: dict[str, str], workspace: Path
) -> None:
    allowed = hook("pre-tool-use", hook_input(workspace, "ls", tool_use_id="t1"), env)
    denied = hook("pre-tool-use", hook_input(workspace, "rm -rf ~", tool_use_id="t2"), env)
    assert (allowed.returncode, allowed.stderr, denied.returncode) == (0, "", 0)
    db = env["CSUP_DB"]
    assert table(db, "SELECT run_id, origin, cwd FROM runs") == [
        ("hook-claude-1", "hook", str(workspace))
    ]
    assert table(db, "SELECT session_id, run_id, claude_session_id FROM sessions") == [
        ("claude-1", "hook-claude-1", "claude-1")
    ]
    decisions = table(
        db,
        "SELECT tool_use_id, kind, behavior, rule, source, tool_input, latency_ms > 0 "
        "FROM decisions ORDER BY id",
    )
    assert decisions == [
        ("t1", "pre-tool-use", "allow", "level.moderate", "policy", '{"command":"ls"}', 1),
        ("t2", "pre-tool-use", "deny", "fs.rm-root-or-home", "policy", '{"command":"rm -rf ~"}', 1),
    ]


def test_a_permission_request_is_recorded_as_such(env: dict[str, str], workspace: Path) -> None:
    data = hook_input(workspace, "ls", event="PermissionRequest")
    assert hook("permission-request", data, env).returncode == 0
    assert table(env["CSUP_DB"], "SELECT kind, behavior FROM decisions") == [
        ("permission-request", "allow")
    ]


def test_secrets_in_a_hooked_call_are_masked(env: dict[str, str], workspace: Path) -> None:
    secret = "ghp_" + "R4nd0mL00k1ngT0k3n" * 2
    data = hook_input(workspace, f"GH_TOKEN={secret} gh api user")
    assert hook("pre-tool-use", data, env).returncode == 0
    ((stored,),) = table(env["CSUP_DB"], "SELECT tool_input FROM decisions")
    assert secret not in stored
    assert json.loads(stored) == {"command": f"GH_TOKEN={MASK} gh api user"}


@pytest.mark.parametrize("command", ["ls -la", "rm -rf ~", "git push origin main"])
def test_the_answer_is_the_same_recorded_not_recorded_or_with_a_broken_record(
    env: dict[str, str], workspace: Path, tmp_path: Path, command: str
) -> None:
    data = hook_input(workspace, command)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database " * 200)
    answers = {
        name: hook("pre-tool-use", data, {**env, **extra})
        for name, extra in {
            "recorded": {},
            "off": {"CSUP_NO_RECORD": "1"},
            "a directory": {"CSUP_DB": str(tmp_path)},
            "not a database": {"CSUP_DB": str(garbage)},
        }.items()
    }
    expected = (answers["off"].returncode, answers["off"].stdout)
    assert answers["off"].returncode == 0
    for name, answer in answers.items():
        assert (answer.returncode, answer.stdout) == expected, name
    assert answers["recorded"].stderr == ""
    for name in ("a directory", "not a database"):
        assert answers[name].stderr.startswith("csup hook: the decision was not recorded: ")
        assert answers[name].stderr.count("\n") == 1


def test_a_locked_record_costs_the_hook_its_busy_timeout_and_not_its_answer(
    env: dict[str, str], workspace: Path
) -> None:
    assert hook("pre-tool-use", hook_input(workspace, "ls"), env).returncode == 0
    holder = sqlite3.connect(env["CSUP_DB"], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another csup in the middle of a long write
    try:
        answer = hook("pre-tool-use", hook_input(workspace, "rm -rf ~"), env)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert answer.returncode == 0
    assert json.loads(answer.stdout)["hookSpecificOutput"]["permissionDecision"] == "deny"
    assert "not recorded: database is locked" in answer.stderr


def test_recording_imports_no_logging_threads_or_heavy_modules(
    env: dict[str, str], workspace: Path
) -> None:
    # the session's first call runs `git status` (subprocess imports threading): not this one
    hook("pre-tool-use", hook_input(workspace, "ls"), env)
    answer = hook(
        "pre-tool-use", hook_input(workspace, "ls"), {**env, "PYTHONPROFILEIMPORTTIME": "1"}
    )
    imported = {
        line.split("|")[2].strip()
        for line in answer.stderr.splitlines()
        if line.startswith("import time:") and "[us]" not in line
    }
    assert {"sqlite3", "csup.record._direct"} <= imported  # it did record
    heavy = {"logging", "threading", "queue", "dataclasses", "typing", "pathlib", "platformdirs"}
    assert sorted(imported & heavy) == []


# -- end to end: the real claude binary with csup's hooks installed -----------------------


@pytest.mark.claude
def test_a_claude_session_under_the_hooks_leaves_its_audit_trail(
    play: Play, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, repo: Path
) -> None:
    db = tmp_path / "record.db"
    monkeypatch.setenv("CSUP_DB", str(db))  # claude hands its environment to the hooks
    monkeypatch.setenv("PYTHONPATH", ROOT)  # ... which run this checkout's csup
    run = play(
        calls(
            tool("Bash", command="echo hello > hello.txt", description="x"),
            tool("Bash", command="rm -rf ~", description="x"),
        )
    )
    assert run.denied_tools == ["Bash"]
    claude_session = run.result["session_id"]
    result = CliRunner().invoke(main, ["show", claude_session, "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    detail = json.loads(result.output)
    assert detail["run"]["run_id"] == f"hook-{claude_session}"
    assert detail["run"]["cwd"] == str(repo)
    assert [
        (d["tool_input"]["command"], d["behavior"], d["rule"], d["kind"])
        for d in detail["decisions"]
    ] == [
        ("echo hello > hello.txt", "allow", "level.moderate", "pre-tool-use"),
        ("rm -rf ~", "deny", "fs.rm-root-or-home", "pre-tool-use"),
    ]
    assert all(d["tool_use_id"] for d in detail["decisions"])
    listed = CliRunner().invoke(main, ["log", "--db", str(db), "--denied", "--json"])
    assert [r["run_id"] for r in json.loads(listed.output)] == [f"hook-{claude_session}"]
