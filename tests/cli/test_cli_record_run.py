"""A real csup multi run is recorded: csup log, show and export return every decision and stop."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from csup.cli import main
from csup.record import RecordWriter
from csup.testing import text, tool

pytestmark = pytest.mark.claude


def invoke(args, env=None):
    return CliRunner().invoke(main, args, env=env)


def test_a_multi_run_is_recorded_with_every_decision_and_stop(
    scripted_model, claude_env, workspace, claude_bin, tmp_path
):
    db = tmp_path / "record.db"
    model = scripted_model(
        {
            "ok": [[tool("Bash", command="ls", description="l")], [text("ok")]],
            "evil": [[tool("Bash", command="rm -rf /", description="x")], [text("ok")]],
        }
    )
    result = invoke(
        [
            "multi",
            "--task",
            "[scenario:ok] list",
            "--task",
            "[scenario:evil] wipe",
            "--cwd",
            str(workspace),
            "--claude-bin",
            str(claude_bin),
            "--db",
            str(db),
            "--json",
        ],
        env=claude_env(model),
    )
    assert result.exit_code == 0, result.output
    run_id = json.loads(result.stdout)["run_id"]

    log = invoke(["log", "--db", str(db), "--json"])
    assert log.exit_code == 0, log.output
    assert run_id in log.output

    shown = invoke(["show", run_id, "--db", str(db), "--json"])
    assert shown.exit_code == 0, shown.output
    detail = json.loads(shown.stdout)
    by_session = {d["session_id"]: d for d in detail["decisions"]}
    assert len(detail["decisions"]) == 2
    behaviors = sorted(d["behavior"] for d in detail["decisions"])
    assert behaviors == ["allow", "deny"]
    denied = next(d for d in detail["decisions"] if d["behavior"] == "deny")
    assert denied["tool_name"] == "Bash" and denied["rule"] and denied["source"] == "policy"
    assert denied["latency_ms"] is not None
    assert {s["status"] for s in detail["sessions"]} == {"completed"}
    assert all(sid.startswith(run_id + ".") for sid in by_session)

    exported = invoke(["export", run_id, "--db", str(db), "--format", "jsonl"])
    assert exported.exit_code == 0, exported.output
    kinds = [json.loads(line)["record"] for line in exported.stdout.splitlines()]
    assert kinds.count("session") == 2 and "decision" in kinds


def test_no_record_writes_nothing(scripted_model, claude_env, workspace, claude_bin, tmp_path):
    db = tmp_path / "none.db"
    model = scripted_model({"ok": [[text("ok")]]})
    result = invoke(
        [
            "run",
            "[scenario:ok] hi",
            "--cwd",
            str(workspace),
            "--claude-bin",
            str(claude_bin),
            "--db",
            str(db),
            "--no-record",
        ],
        env=claude_env(model),
    )
    assert result.exit_code == 0, result.output
    assert not db.exists()


def test_resume_continues_a_session_stopped_by_its_turn_limit_as_a_linked_session(
    scripted_model, claude_env, workspace, claude_bin, tmp_path
):
    db = tmp_path / "record.db"
    model = scripted_model(
        {
            "long": [
                [tool("Write", file_path="one.txt", content="1")],
                [tool("Write", file_path="two.txt", content="2")],
                [text("All done.")],
            ]
        }
    )
    env = claude_env(model)
    first = invoke(
        [
            "run",
            "[scenario:long] write two files",
            "--cwd",
            str(workspace),
            "--claude-bin",
            str(claude_bin),
            "--db",
            str(db),
            "--max-turns",
            "1",
            "--json",
        ],
        env=env,
    )
    assert first.exit_code == 1, first.output
    doc = json.loads(first.stdout)
    (stopped,) = doc["sessions"]
    assert stopped["status"] == "killed"
    old = f"{doc['run_id']}.{stopped['id']}"

    again = invoke(
        [
            "resume",
            old,
            "please finish",
            "--claude-bin",
            str(claude_bin),
            "--db",
            str(db),
            "--json",
        ],
        env=env,
    )
    assert again.exit_code == 0, again.output
    resumed = json.loads(again.stdout)
    assert resumed["sessions"][0]["status"] == "completed"
    assert (workspace / "two.txt").exists(), "the resumed session ran in the old one's directory"
    shown = json.loads(invoke(["show", resumed["run_id"], "--db", str(db), "--json"]).stdout)
    assert shown["sessions"][0]["resumed_from"] == old


def test_resume_of_an_unknown_session_or_without_a_record_is_a_usage_error(tmp_path):
    db = tmp_path / "record.db"
    result = invoke(["resume", "nope", "--db", str(db)])
    assert result.exit_code == 2 and "no record at" in result.output
    RecordWriter(str(db)).close()
    result = invoke(["resume", "nope", "--db", str(db)])
    assert result.exit_code == 2 and "nope" in result.output
