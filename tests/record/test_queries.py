"""What the read commands get from a record the writer made: the right runs and fields."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from csup.errors import RecordError
from csup.record.queries import (
    CSV_FIELDS,
    csv_rows,
    export_records,
    find,
    list_runs,
    open_record,
    parse_since,
    run_detail,
    session_detail,
)

from .conftest import T0


@pytest.fixture
def conn(filled: Path) -> sqlite3.Connection:
    return open_record(str(filled))


def test_runs_are_listed_newest_first_with_their_tasks_sessions_denials_and_cost(
    conn: sqlite3.Connection,
) -> None:
    runs = list_runs(conn)
    assert [r["run_id"] for r in runs] == ["run-b", "run-a"]
    a = runs[1]
    assert a["started_at"] == T0
    assert a["ended_at"] == T0 + 8
    assert a["tasks"] == ["write the docs", "clean up"]
    assert a["argv"] == ["csup", "multi", "--task", "x"]
    assert (a["sessions"], a["decisions"], a["denials"]) == (2, 2, 1)
    assert a["cost_usd"] == pytest.approx(0.015)
    assert a["origin"] == "csup"


def test_filters_since_denied_and_rule(conn: sqlite3.Connection) -> None:
    assert [r["run_id"] for r in list_runs(conn, since=T0 + 60)] == ["run-b"]
    assert [r["run_id"] for r in list_runs(conn, denied=True)] == ["run-a"]
    assert [r["run_id"] for r in list_runs(conn, rule="fs.*")] == ["run-a"]
    assert [r["run_id"] for r in list_runs(conn, rule="level.moderate")] == ["run-b", "run-a"]
    assert list_runs(conn, rule="git.push-force") == []
    assert [r["run_id"] for r in list_runs(conn, limit=1)] == ["run-b"]


def test_since_takes_a_duration_or_an_iso_time() -> None:
    assert parse_since("2h", 10_000.0) == 10_000.0 - 7200
    assert parse_since("7d", 1e6) == 1e6 - 7 * 86400
    assert parse_since("2026-12-01T00:00:00+00:00", 0) == 1_796_083_200.0
    with pytest.raises(ValueError, match="a duration"):
        parse_since("last tuesday", 0)


def test_an_id_is_a_run_a_session_claudes_session_or_a_unique_start_of_one(
    conn: sqlite3.Connection,
) -> None:
    assert find(conn, "run-a") == ("run", "run-a")
    assert find(conn, "s2") == ("session", "s2")
    assert find(conn, "c-1") == ("session", "s1")
    assert find(conn, "run-b"[:5]) == ("run", "run-b")
    with pytest.raises(RecordError, match="more than one"):
        find(conn, "run-")
    with pytest.raises(RecordError, match="no run or session 'nope'"):
        find(conn, "nope")


def test_a_run_shows_every_decision_and_stop_with_its_fields(conn: sqlite3.Connection) -> None:
    detail = run_detail(conn, "run-a")
    assert [s["session_id"] for s in detail["sessions"]] == ["s1", "s2"]
    s1, s2 = detail["sessions"]
    assert (s1["status"], s1["turns"], s1["cost_usd"], s1["claude_session_id"]) == (
        "done",
        3,
        0.012,
        "c-1",
    )
    assert (s1["input_tokens"], s1["output_tokens"], s1["cache_read_input_tokens"]) == (100, 20, 5)
    assert (s2["status"], s2["stop_reason"]) == ("error", "claude exited with status 1")
    allowed, denied = detail["decisions"]
    assert allowed["tool_input"] == {"file_path": "/w/a.md", "content": "# docs"}
    assert denied == {
        "id": 2,
        "session_id": "s2",
        "at": T0 + 5,
        "tool_name": "Bash",
        "tool_input": {"command": "rm -rf ~"},
        "tool_use_id": "t2",
        "agent_id": None,
        "kind": "hook",
        "behavior": "deny",
        "rule": "fs.rm-root-or-home",
        "reason": "Blocked `rm -rf ~`.",
        "source": "policy",
        "requested": "",
        "latency_ms": 2.1,
    }


def test_the_timeline_is_in_time_order(conn: sqlite3.Connection) -> None:
    timeline = run_detail(conn, "run-a")["timeline"]
    assert [(e["at"] - T0, e["session_id"], e["what"]) for e in timeline] == [
        (1, "s1", "start"),
        (1.5, "s1", "event"),
        (2, "s2", "start"),
        (3, "s1", "event"),
        (4, "s1", "decision"),
        (5, "s2", "decision"),
        (6, "s1", "stop"),
        (7, "s2", "stop"),
    ]
    assert timeline[1]["type"] == "system/init"
    assert timeline[1]["raw"] == {"type": "system", "subtype": "init", "session_id": "c-1"}


def test_a_session_shows_only_its_own(conn: sqlite3.Connection) -> None:
    detail = session_detail(conn, "s2")
    assert detail["run"]["run_id"] == "run-a"
    assert [d["tool_use_id"] for d in detail["decisions"]] == ["t2"]
    assert {e["session_id"] for e in detail["timeline"]} == {"s2"}
    with pytest.raises(RecordError, match="no session"):
        session_detail(conn, "s9")


def test_an_export_holds_the_run_its_sessions_and_its_timeline(conn: sqlite3.Connection) -> None:
    records = list(export_records(conn, "run-a"))
    assert [r["record"] for r in records] == [
        "run",
        "session",
        "session",
        "event",
        "event",
        "decision",
        "decision",
        "stop",
        "stop",
    ]
    csv = list(csv_rows(conn, "run-a"))
    assert all(set(row) == set(CSV_FIELDS) for row in csv)
    assert [row["record"] for row in csv] == [r["record"] for r in records[1:]]
    denied = csv[5]
    assert (denied["behavior"], denied["rule"], denied["tool_input"]) == (
        "deny",
        "fs.rm-root-or-home",
        '{"command":"rm -rf ~"}',
    )


def test_a_missing_or_corrupt_record_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RecordError, match=r"no record at .*has not recorded a run there yet"):
        open_record(str(tmp_path / "none.db"))
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"SQLite format 3\x00" + b"\xff" * 3000)
    with pytest.raises(RecordError, match="not a readable csup record"):
        open_record(str(corrupt))
    with pytest.raises(RecordError, match="is a directory"):
        open_record(str(tmp_path))
