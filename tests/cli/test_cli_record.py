"""``csup log``, ``csup show`` and ``csup export`` on records the real writer made."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from csup.cli import main
from csup.cli.record import record_options
from csup.record import RecordWriter
from tests.record.conftest import fill


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "csup.db"
    with RecordWriter(path) as writer:
        fill(writer)
    return str(path)


def csup(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_log_lists_runs_newest_first_with_tasks_sessions_denials_and_cost(db: str) -> None:
    result = csup("log", "--db", db)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["started", "run", "tasks", "sessions", "calls", "denied", "cost"]
    assert "run-b" in lines[2] and "tidy" in lines[2]
    assert "run-a" in lines[3]
    assert "write the docs (+1)" in lines[3]
    assert lines[3].split()[-4:] == ["2", "2", "1", "$0.0150"]


def test_log_reads_csup_db_from_the_environment(db: str) -> None:
    result = csup("log", "--json", env={"CSUP_DB": db})
    assert [r["run_id"] for r in json.loads(result.output)] == ["run-b", "run-a"]


def test_log_filters(db: str) -> None:
    denied = csup("log", "--db", db, "--denied", "--json")
    assert [r["run_id"] for r in json.loads(denied.output)] == ["run-a"]
    by_rule = csup("log", "--db", db, "--rule", "fs.rm-*", "--json")
    assert [r["run_id"] for r in json.loads(by_rule.output)] == ["run-a"]
    none = csup("log", "--db", db, "--rule", "git.*")
    assert none.output == "No runs recorded that match.\n"
    recent = csup("log", "--db", db, "--since", "1h", "--json")
    assert json.loads(recent.output) == []  # the fixture's runs are from 2026-12-01


def test_log_rejects_a_bad_since(db: str) -> None:
    result = CliRunner().invoke(main, ["log", "--db", db, "--since", "soon"])
    assert result.exit_code == 2
    assert "--since wants a duration" in result.output


def test_show_a_run_prints_its_sessions_decisions_and_timeline(db: str) -> None:
    result = csup("show", "run-a", "--db", db)
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("run run-a  started ")
    assert "decisions (2):" in out
    assert "rm -rf ~" in out and "fs.rm-root-or-home" in out
    assert "claude exited with status 1" in out
    timeline = out.split("timeline:\n")[1].splitlines()
    assert [line.split()[1:3] for line in timeline] == [
        ["s1", "start:"],
        ["s1", "event"],
        ["s2", "start:"],
        ["s1", "event"],
        ["s1", "allow"],
        ["s2", "deny"],
        ["s1", "stop"],
        ["s2", "stop"],
    ]


def test_show_json_of_a_session_by_claudes_session_id(db: str) -> None:
    detail = json.loads(csup("show", "c-1", "--db", db, "--json").output)
    assert detail["kind"] == "session"
    assert [s["session_id"] for s in detail["sessions"]] == ["s1"]
    assert [d["behavior"] for d in detail["decisions"]] == ["allow"]


def test_export_jsonl_gives_every_record_of_the_run(db: str) -> None:
    result = csup("export", "run-a", "--db", db)
    records = [json.loads(line) for line in result.output.splitlines()]
    assert [r["record"] for r in records].count("decision") == 2
    assert [r["record"] for r in records].count("stop") == 2
    assert records[0] == {
        "record": "run",
        "run_id": "run-a",
        "started_at": records[0]["started_at"],
        "ended_at": records[0]["ended_at"],
        "argv": ["csup", "multi", "--task", "x"],
        "cwd": "/w",
        "origin": "csup",
    }


def test_export_csv_has_a_header_and_one_row_per_record(db: str) -> None:
    result = csup("export", "run-a", "--db", db, "--format", "csv")
    table = list(csv.DictReader(io.StringIO(result.output)))
    assert [row["record"] for row in table] == [
        *("session", "session", "event", "event", "decision", "decision", "stop", "stop")
    ]
    assert table[5]["rule"] == "fs.rm-root-or-home"
    assert table[5]["latency_ms"] == "2.1"


@pytest.mark.parametrize("command", [["log"], ["show", "run-a"], ["export", "run-a"]])
def test_a_missing_record_is_a_clear_error(command: list[str], tmp_path: Path) -> None:
    result = CliRunner().invoke(main, [*command, "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1
    assert "no record at" in result.output and "none.db" in result.output
    assert not (tmp_path / "none.db").exists()  # reading never creates one


def test_a_corrupt_record_is_a_clear_error(tmp_path: Path) -> None:
    corrupt = tmp_path / "csup.db"
    corrupt.write_bytes(b"not a database at all " * 100)
    result = CliRunner().invoke(main, ["log", "--db", str(corrupt)])
    assert result.exit_code == 1
    assert "is not a readable csup record" in result.output


def test_an_unknown_id_is_a_clear_error(db: str) -> None:
    result = CliRunner().invoke(main, ["show", "nope", "--db", db])
    assert result.exit_code == 1
    assert "no run or session 'nope' in the record (`csup log` lists the runs)" in result.output


def test_export_of_a_session_says_to_show_it(db: str) -> None:
    result = CliRunner().invoke(main, ["export", "s1", "--db", db])
    assert result.exit_code == 1
    assert "is a session, not a run" in result.output


def test_record_options_give_a_command_db_no_record_and_require_record() -> None:
    seen = {}

    @click.command()
    @record_options
    def command(**options: object) -> None:
        seen.update(options)

    CliRunner().invoke(command, ["--db", "x.db", "--require-record"], catch_exceptions=False)
    assert seen == {"db": "x.db", "no_record": False, "require_record": True}
