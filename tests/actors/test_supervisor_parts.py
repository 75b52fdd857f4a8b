"""The pure parts under the actors: the board, the stats book, the report, guarded signals."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import pytest
from freezegun import freeze_time

from csup import signals
from csup.board import SessionBoard
from csup.claude.result import (
    Cancelled,
    Completed,
    Failed,
    Killed,
    ProcessExited,
    SessionResult,
    SessionStatus,
)
from csup.claude.stats import StatsSnapshot, Tokens
from csup.clock import ManualClock, SystemClock
from csup.errors import SessionNotFound
from csup.report import summary_json, summary_table
from csup.stats import StatsBook

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def result(session_id="s1", status=SessionStatus.COMPLETED, **kwargs) -> SessionResult:
    return SessionResult(session_id=session_id, task=f"task {session_id}", status=status, **kwargs)


def test_the_board_tracks_a_session_from_queued_to_finished():
    board = SessionBoard()
    board.add("s1", "do it", NOW)
    assert board.get("s1").state == "queued"
    board.started("s1", pid=42, at=NOW)
    assert board.get("s1").active and board.get("s1").pid == 42
    board.finished(result("s1"))
    info = board.get("s1")
    assert info.state == "completed" and info.finished and not info.active


def test_the_first_result_recorded_for_a_session_wins():
    board = SessionBoard()
    board.add("s1", "t", NOW)
    board.finished(result("s1", SessionStatus.CANCELLED))
    board.finished(result("s1", SessionStatus.FAILED))
    assert board.get("s1").state == "cancelled"


def test_asking_the_board_for_an_unknown_session_names_the_id():
    with pytest.raises(SessionNotFound, match="'nope'"):
        SessionBoard().get("nope")


def test_wait_next_hands_out_each_result_once_in_finishing_order():
    board = SessionBoard()
    for sid in ("s1", "s2"):
        board.add(sid, "t", NOW)
    board.finished(result("s2"))
    board.finished(result("s1"))
    assert board.wait_next(1).session_id == "s2"
    assert board.wait_next(1).session_id == "s1"
    assert board.wait_next(0.01) is None


def test_wait_all_wakes_when_the_last_session_finishes():
    board = SessionBoard()
    board.add("s1", "t", NOW)
    waiter = threading.Thread(target=lambda: board.finished(result("s1")))
    waiter.start()
    assert board.wait_all(10)
    waiter.join()


def test_a_session_that_never_started_waits_no_more_once_finished():
    board = SessionBoard()
    board.add("s1", "t", NOW)
    board.finished(result("s1", SessionStatus.CANCELLED))
    assert board.wait_started("s1", 0.01)


def test_totals_add_live_and_finished_sessions_and_count_statuses():
    book = StatsBook()
    book.queued("s3")
    book.started("s1", at=10.0)
    book.update("s1", StatsSnapshot(tool_calls=2, approvals=1, denials=1, cost_usd=0.5))
    book.started("s2", at=11.0)
    book.finished(
        result(
            "s2",
            SessionStatus.KILLED,
            stats=StatsSnapshot(tool_calls=1, cost_usd=0.25, tokens=Tokens(input=10)),
        ),
        at=15.0,
    )
    totals = book.totals(now=20.0)
    assert (totals.sessions, totals.queued, totals.running, totals.killed) == (3, 1, 1, 1)
    assert totals.tool_calls == 3 and totals.denials == 1 and totals.cost_usd == 0.75
    assert totals.tokens.input == 10
    assert totals.wall_time_s == 10.0


def test_outcomes_carry_what_the_original_api_reported():
    assert result(claude_session_id="c", stats=StatsSnapshot(cost_usd=1.0)).outcome == Completed(
        "c", 1.0
    )
    assert result(status=SessionStatus.KILLED, error="too slow").outcome == Killed("too slow")
    assert result(status=SessionStatus.CANCELLED, error="user").outcome == Cancelled("user")
    crashed = result(status=SessionStatus.FAILED, exit_code=-11, exited_early=True)
    assert crashed.outcome == ProcessExited(-11, "")
    assert result(status=SessionStatus.FAILED, error="bad").outcome == Failed("bad")


def test_the_json_summary_has_the_documented_keys():
    board = SessionBoard()
    board.add("s1", "t", NOW)
    board.finished(result("s1", SessionStatus.FAILED, error="boom", duration_s=1.5))
    doc = summary_json(board.all(), StatsBook().totals())
    json.dumps(doc)
    (entry,) = doc["sessions"]
    assert set(entry) >= {
        "id",
        "task",
        "status",
        "turns",
        "tool_calls",
        "approvals",
        "denials",
        "cost_usd",
        "duration_s",
        "error",
    }
    assert entry["error"] == "boom" and entry["status"] == "failed"
    assert "completed" in doc["totals"] and "cost_usd" in doc["totals"]


def test_the_table_has_a_totals_row_and_says_why_sessions_failed():
    board = SessionBoard()
    board.add("007", "a task with a long description " * 4, NOW)
    board.finished(result("007", SessionStatus.FAILED, error="claude exited with code 3"))
    table = summary_table(board.all(), StatsBook().totals())
    assert table.splitlines()[2].startswith("007 "), "ids are not parsed as numbers"
    assert "total" in table
    assert "007 failed: claude exited with code 3" in table
    assert "…" in table


def test_a_receiver_that_raises_disturbs_neither_the_sender_nor_other_receivers(caplog):
    sender = object()
    seen = []

    def bad(sender, **kwargs):
        raise RuntimeError("subscriber bug")

    def good(sender, **kwargs):
        seen.append(kwargs)

    with (
        signals.session_queued.connected_to(bad, sender),
        signals.session_queued.connected_to(good, sender),
    ):
        signals.send(signals.session_queued, sender, session_id="s1", task="t")
    assert seen == [{"session_id": "s1", "task": "t"}]
    assert "subscriber bug" in caplog.text


def test_the_manual_clock_moves_only_when_told():
    clock = ManualClock(NOW)
    start = clock.monotonic()
    clock.advance(2.5)
    assert clock.monotonic() - start == 2.5
    assert (clock.now() - NOW).total_seconds() == 2.5


def test_wall_clock_stamps_come_from_the_system_clock():
    with freeze_time("2026-05-04 03:02:01"):
        assert SystemClock().now() == datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)
