"""Fixtures of the record's tests: a scratch database, and one filled by the real writer."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from csup.calls import Decision, ToolCall
from csup.record import RecordWriter

T0 = 1_796_000_000.0  # a fixed start time: 2026-12-01


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "csup.db"


def rows(path: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def fill(writer: RecordWriter) -> None:
    """Two runs as a session's owner would record them: a multi of two sessions (one call
    allowed, one denied, one stop on an error) and a single run with one allowed call."""
    writer.run_started("run-a", argv=["csup", "multi", "--task", "x"], cwd="/w", started_at=T0)
    writer.session_started("run-a", "s1", task="write the docs", cwd="/w", started_at=T0 + 1)
    writer.session_started("run-a", "s2", task="clean up", cwd="/w", started_at=T0 + 2)
    writer.event("s1", {"type": "system", "subtype": "init", "session_id": "c-1"}, T0 + 1.5)
    writer.event(
        "s1", {"type": "assistant", "message": {"content": [{"type": "text", "text": "On it"}]}},
        T0 + 3,
    )  # fmt: skip
    writer.decision(
        "s1",
        ToolCall("Write", {"file_path": "/w/a.md", "content": "# docs"}, "/w", tool_use_id="t1"),
        Decision("allow", "Nothing dangerous found.", "level.moderate"),
        0.0015,
        T0 + 4,
    )
    writer.decision(
        "s2",
        ToolCall("Bash", {"command": "rm -rf ~"}, "/w", tool_use_id="t2"),
        Decision("deny", "Blocked `rm -rf ~`.", "fs.rm-root-or-home"),
        0.0021,
        T0 + 5,
    )
    writer.session_ended(
        "s1",
        status="done",
        cost_usd=0.012,
        tokens={"input_tokens": 100, "output_tokens": 20, "cache_read_input_tokens": 5},
        turns=3,
        ended_at=T0 + 6,
        claude_session_id="c-1",
    )
    writer.session_ended(
        "s2", status="error", error="claude exited with status 1", cost_usd=0.003, turns=1,
        ended_at=T0 + 7, claude_session_id="c-2",
    )  # fmt: skip
    writer.run_ended("run-a", ended_at=T0 + 8)
    writer.run_started("run-b", argv=["csup", "run", "y"], cwd="/v", started_at=T0 + 3600)
    writer.session_started("run-b", "s3", task="tidy", cwd="/v", started_at=T0 + 3601)
    writer.decision(
        "s3",
        ToolCall("Read", {"file_path": "/v/x"}, "/v"),
        Decision("allow", "ok", "level.moderate"),
        0.001,
        T0 + 3602,
    )
    writer.session_ended("s3", status="done", cost_usd=0.001, turns=1, ended_at=T0 + 3603)
    writer.run_ended("run-b", ended_at=T0 + 3604)


@pytest.fixture
def filled(db: Path) -> Iterator[Path]:
    """A record the writer made with :func:`fill`."""
    with RecordWriter(db) as writer:
        fill(writer)
    yield db
