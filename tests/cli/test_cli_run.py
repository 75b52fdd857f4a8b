"""``csup run``, ``csup multi`` and ``csup demo``: summaries, exit codes, Ctrl-C."""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
import threading
from pathlib import Path

import psutil
import pytest
from click.testing import CliRunner

from csup.cli import main
from csup.testing import text, tool
from tests.actors.conftest import descendants_running, gone, named, wait_for_descendant

CSUP = str(Path(sys.executable).with_name("csup"))
SLOW = "python3 -c 'import time; time.sleep(30)' && touch marker"
STUBBORN = (
    "python3 -c 'import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "signal.signal(signal.SIGINT, signal.SIG_IGN); time.sleep(30)' && touch marker"
)
"""A tool that ignores the polite signals: stopping its session lasts until it is killed."""


def invoke(args, env=None):
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


def start_multi(tasks, *, env, workspace, claude_bin, stderr=subprocess.PIPE, extra=()):
    """The real ``csup multi`` console script as a child process, one --task per task."""
    argv = [CSUP, "multi"]
    for task in tasks:
        argv += ["--task", task]
    argv += ["--cwd", str(workspace), "--claude-bin", str(claude_bin), *extra]
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True)


@pytest.mark.claude
def test_run_prints_a_summary_table_and_exits_0(scripted_model, claude_env, workspace, claude_bin):
    model = scripted_model({"w": [[tool("Write", file_path="a.txt", content="x")], [text("ok")]]})
    result = invoke(
        ["run", "[scenario:w] write", "--cwd", str(workspace), "--claude-bin", str(claude_bin)],
        env=claude_env(model),
    )
    assert result.exit_code == 0, result.output
    assert "completed" in result.stdout and "total" in result.stdout
    assert (workspace / "a.txt").exists()


@pytest.mark.claude
def test_multi_json_reports_every_session_and_exit_1_when_one_fails(
    scripted_model, claude_env, workspace, claude_bin, tmp_path
):
    model = scripted_model(
        {
            "ok": [[tool("Bash", command="ls", description="l")], [text("ok")]],
            "evil": [[tool("Bash", command="rm -rf /", description="x")], [text("ok")]],
        }
    )
    tasks = tmp_path / "tasks.txt"
    tasks.write_text(
        "# a comment\n[scenario:ok] list\n\n"
        + json.dumps({"task": "[scenario:ok] elsewhere", "max_turns": 1})
        + "\n"
    )
    result = invoke(
        [
            "multi",
            "--task",
            "[scenario:evil] wipe",
            "--tasks-file",
            str(tasks),
            "--max-parallel",
            "2",
            "--cwd",
            str(workspace),
            "--claude-bin",
            str(claude_bin),
            "--json",
        ],
        env=claude_env(model),
    )
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    by_task = {s["task"]: s for s in doc["sessions"]}
    assert by_task["[scenario:evil] wipe"]["denials"] == 1
    assert by_task["[scenario:evil] wipe"]["status"] == "completed"
    (denied,) = by_task["[scenario:evil] wipe"]["denied_calls"]
    assert denied["tool"] == "Bash" and denied["input"] == "rm -rf /"
    assert denied["rule"] and denied["reason"]
    assert by_task["[scenario:ok] list"]["status"] == "completed"
    assert by_task["[scenario:ok] list"]["denied_calls"] == []
    limited = by_task["[scenario:ok] elsewhere"]
    assert limited["status"] == "killed" and limited["error"]
    assert doc["totals"]["completed"] == 2 and doc["totals"]["killed"] == 1


def test_a_missing_tasks_file_is_a_usage_error():
    result = invoke(["multi", "--tasks-file", "/nonexistent/tasks.txt"])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_multi_without_tasks_is_a_usage_error():
    result = invoke(["multi"])
    assert result.exit_code == 2
    assert "at least one --task" in result.output


def test_a_bad_json_line_in_the_tasks_file_names_file_and_line(tmp_path, claude_bin):
    tasks = tmp_path / "tasks.txt"
    tasks.write_text("fine\n{not json\n")
    result = invoke(["multi", "--tasks-file", str(tasks), "--claude-bin", str(claude_bin)])
    assert result.exit_code == 2
    assert f"{tasks}, line 2: not valid JSON" in result.output


def test_a_bad_policy_file_is_one_line_and_exit_2(tmp_path, claude_bin):
    policy = tmp_path / "policy.toml"
    policy.write_text("level = \n")
    result = invoke(["run", "x", "--policy", str(policy), "--claude-bin", str(claude_bin)])
    assert result.exit_code == 2
    assert str(policy) in result.output
    assert "Traceback" not in result.output


def test_a_missing_claude_says_how_to_point_at_one(tmp_path):
    result = invoke(["run", "x", "--claude-bin", str(tmp_path / "no-claude")])
    assert result.exit_code == 2
    assert "--claude-bin" in result.output and "CSUP_CLAUDE_BIN" in result.output


@pytest.mark.claude
def test_demo_supervises_four_sessions_denies_the_dangerous_one_and_escalates_one(claude_bin):
    result = invoke(["demo", "--claude-bin", str(claude_bin), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [s["status"] for s in doc["sessions"]] == ["completed"] * 4
    assert doc["totals"]["denials"] == 2
    reviewed = next(s for s in doc["sessions"] if "demo-review" in s["task"])
    (guided,) = reviewed["denied_calls"]
    assert "Work offline" in guided["reason"]
    assert doc["escalation"]["reviews"] == 1


@pytest.mark.claude
def test_sigint_stops_every_session_prints_the_summary_and_exits_130(
    scripted_model, claude_env, workspace, claude_bin
):
    model = scripted_model({"slow": [[tool("Bash", command=SLOW, description="slow")]]})
    env = claude_env(model)
    proc = start_multi(
        ["[scenario:slow] a", "[scenario:slow] b", "[scenario:slow] c"],
        env=env,
        workspace=workspace,
        claude_bin=claude_bin,
        extra=["--max-parallel", "2"],
    )
    try:
        wait_for_descendant("time.sleep(30)", root=proc.pid)
        tree = psutil.Process(proc.pid).children(recursive=True)
        assert any(named(p, "claude") for p in tree)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert "total" in out and "cancelled" in out
    assert "stopping every session" in err
    assert all(gone(p) for p in tree), [p for p in tree if not gone(p)]
    assert descendants_running("time.sleep(30)") == []
    assert not (workspace / "marker").exists()
    assert os.listdir(workspace) == []


@pytest.mark.claude
def test_a_second_sigint_kills_every_session_at_once_and_still_prints_the_summary(
    scripted_model, claude_env, workspace, claude_bin
):
    # the tools ignore SIGTERM, so the second SIGINT surely comes while they are stopping
    model = scripted_model({"slow": [[tool("Bash", command=STUBBORN, description="slow")]]})
    proc = start_multi(
        ["[scenario:slow] a", "[scenario:slow] b"],
        env=claude_env(model),
        workspace=workspace,
        claude_bin=claude_bin,
    )
    stderr_lines: list[str] = []
    stopping = threading.Event()

    def read_stderr():
        for line in proc.stderr:
            stderr_lines.append(line)
            if "stopping every session" in line:
                stopping.set()

    with proc:
        reader = threading.Thread(target=read_stderr, daemon=True)
        reader.start()
        try:
            wait_for_descendant("time.sleep(30)", root=proc.pid)
            tree = psutil.Process(proc.pid).children(recursive=True)
            proc.send_signal(signal.SIGINT)
            assert stopping.wait(30)
            proc.send_signal(signal.SIGINT)
            out = proc.stdout.read()
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        reader.join(10)
    err = "".join(stderr_lines)
    assert proc.returncode == 130, err
    assert "killing every session now" in err
    assert "total" in out
    assert all(gone(p) for p in tree)
    assert not (workspace / "marker").exists()


@pytest.mark.claude
def test_on_a_terminal_multi_draws_a_live_line_per_session_and_an_audit_line_per_denial(
    scripted_model, claude_env, workspace, claude_bin
):
    model = scripted_model(
        {"s": [[tool("Bash", command="rm -rf /", description="x")], [text("done")]]}
    )
    controller, terminal = pty.openpty()
    with start_multi(
        ["[scenario:s] one", "[scenario:s] two"],
        env=claude_env(model),
        workspace=workspace,
        claude_bin=claude_bin,
        stderr=terminal,
    ) as proc:
        os.close(terminal)
        screen = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal closed: csup exited
                break
            if not chunk:
                break
            screen += chunk
        out = proc.stdout.read()
        proc.wait(timeout=60)
    os.close(controller)
    text_on_screen = screen.decode(errors="replace")
    assert proc.returncode == 0
    assert "s1    " in text_on_screen and "s2    " in text_on_screen
    assert "\x1b[" in text_on_screen, "the live block is redrawn in place"
    assert "csup: denied s1 Bash 'rm -rf /'" in text_on_screen
    assert "total" in out and "\x1b[" not in out
