"""The writer: batches off the caller's path, every row kept, problems said once and survived."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from csup.calls import Decision, ToolCall
from csup.errors import RecordError
from csup.record import RecordWriter, open_writer

from .conftest import rows

CALL = ToolCall("Bash", {"command": "ls"}, "/w", tool_use_id="t")
ALLOW = Decision("allow", "ok", "level.moderate")


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll an effect another thread or process has on the database."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def count(db: Path, table: str = "decisions") -> int:
    return int(rows(db, f"SELECT count(*) FROM {table}")[0][0])


def test_every_call_is_written_once_closed(db: Path) -> None:
    with RecordWriter(db) as writer:
        for i in range(250):
            writer.decision("s", CALL, ALLOW, 0.001, 1000.0 + i)
    assert count(db) == 250
    assert rows(db, "SELECT min(at), max(at) FROM decisions") == [(1000.0, 1249.0)]


def test_a_full_batch_is_written_without_waiting_for_the_clock(db: Path) -> None:
    writer = RecordWriter(db, batch_rows=3, batch_seconds=3600)
    try:
        for _ in range(3):
            writer.decision("s", CALL, ALLOW)
        assert wait_until(lambda: count(db) == 3)
        writer.decision("s", CALL, ALLOW)  # a batch of one, waiting for the hour
        assert count(db) == 3
        assert writer.flush()
        assert count(db) == 4
    finally:
        writer.close()


def test_a_lone_row_is_written_when_its_batch_time_is_up(db: Path) -> None:
    with RecordWriter(db, batch_rows=1000, batch_seconds=0.05) as writer:
        writer.decision("s", CALL, ALLOW)
        assert wait_until(lambda: count(db) == 1)


def test_flush_returns_once_everything_queued_is_committed(db: Path) -> None:
    with RecordWriter(db, batch_seconds=3600) as writer:
        writer.event("s", {"type": "system"})
        assert writer.flush()
        assert count(db, "events") == 1
        assert writer.rows_written == 1


def test_a_row_that_cannot_be_encoded_is_dropped_and_the_others_are_kept(
    db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with RecordWriter(db) as writer:
        writer.decision("s", CALL, ALLOW, 0.001, at="yesterday")  # not a time
        writer.event("s", {"type": "x", "odd": object()})  # not JSON: kept as its repr
        writer.decision("s", CALL, ALLOW, 0.001)
    assert count(db) == 1
    assert count(db, "events") == 1
    assert "dropped a decision" in caplog.text


def test_calls_after_close_are_ignored_and_never_raise(db: Path) -> None:
    writer = RecordWriter(db)
    writer.close()
    writer.decision("s", CALL, ALLOW)
    writer.close()
    assert not writer.flush()
    assert count(db) == 0


def test_session_ended_records_the_stop_and_the_usage(db: Path) -> None:
    with RecordWriter(db) as writer:
        writer.session_started("r", "s", task="t", cwd="/w", started_at=10.0)
        writer.session_ended(
            "s",
            status="error",
            error=RuntimeError("claude exited with status 1"),
            cost_usd=0.25,
            tokens={"input_tokens": 7, "output_tokens": 3, "cache_creation_input_tokens": 2},
            turns=4,
            ended_at=20.0,
            claude_session_id="c-9",
        )
    assert rows(db, "SELECT status, ended_at, claude_session_id FROM sessions") == [
        ("error", 20.0, "c-9")
    ]
    assert rows(db, "SELECT status, reason FROM stops") == [
        ("error", "claude exited with status 1")
    ]
    assert rows(
        db,
        "SELECT cost_usd, input_tokens, output_tokens, cache_read_input_tokens, "
        "cache_creation_input_tokens, turns FROM usage",
    ) == [(0.25, 7, 3, None, 2, 4)]


# -- a record that cannot be written -------------------------------------------------------


@pytest.fixture
def read_only(db: Path) -> Iterator[Path]:
    """An existing record the process cannot write: immutable (root ignores file modes)."""
    RecordWriter(db).close()
    if os.geteuid() != 0:
        db.chmod(0o444)
        db.parent.chmod(0o555)
        yield db
        db.parent.chmod(0o755)
        return
    if shutil.which("chattr") is None:
        pytest.skip("needs chattr to make a file read-only for root")
    done = subprocess.run(["chattr", "+i", str(db)], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"chattr +i does not work here: {done.stderr.decode().strip()}")
    try:
        yield db
    finally:
        subprocess.run(["chattr", "-i", str(db)], check=True)


def test_a_read_only_record_is_said_once_and_csup_goes_on(
    read_only: Path, caplog: pytest.LogCaptureFixture
) -> None:
    problems: list[RecordError] = []
    with caplog.at_level(logging.WARNING, "csup.record"):
        writer = RecordWriter(read_only, on_problem=problems.append)
        for _ in range(3):
            writer.decision("s", CALL, ALLOW)  # never raises
        writer.close()
    assert len(problems) == 1
    assert str(read_only) in str(problems[0])
    assert "goes on without the record" in str(problems[0])
    assert [r.levelname for r in caplog.records if r.name == "csup.record"] == ["WARNING"]
    assert not writer.active


def test_a_required_record_that_is_read_only_raises_at_open(read_only: Path) -> None:
    with pytest.raises(RecordError, match="cannot write the record"):
        RecordWriter(read_only, require=True)


def test_a_record_that_cannot_be_created_is_an_error_when_required(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(RecordError, match="cannot open the record"):
        RecordWriter(tmp_path / "file" / "csup.db", require=True)


def test_a_file_that_is_not_sqlite_is_an_error_when_required(db: Path) -> None:
    db.parent.mkdir()
    db.write_bytes(b"this is not a database, it is a text file of some length" * 20)
    with pytest.raises(RecordError, match=r"cannot .* the record"):
        RecordWriter(db, require=True)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs: a disk that fills up (needs root, as the machines here have)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def test_a_full_disk_is_said_once_and_csup_goes_on(tiny_disk: Path) -> None:
    problems: list[RecordError] = []
    writer = RecordWriter(tiny_disk / "csup.db", on_problem=problems.append, batch_rows=10)
    big = {"type": "assistant", "text": "x" * 4000}
    for _ in range(200):  # 800 KB of events into 256 KiB
        writer.event("s", big)
    writer.flush()
    writer.event("s", big)  # after the problem: dropped, no error
    writer.close()
    assert len(problems) == 1
    assert "full" in str(problems[0])
    assert 0 < writer.rows_written < 200


def test_a_required_record_reports_a_full_disk_through_the_callback(tiny_disk: Path) -> None:
    problems: list[RecordError] = []
    writer = RecordWriter(tiny_disk / "csup.db", require=True, on_problem=problems.append)
    for _ in range(200):
        writer.event("s", {"type": "assistant", "text": "x" * 4000})
    writer.close()
    assert len(problems) == 1
    assert "goes on" not in str(problems[0])  # the caller decides: it may stop


def test_open_writer_follows_the_options_and_the_environment(tmp_path: Path) -> None:
    assert open_writer(tmp_path / "a.db", no_record=True) is None
    assert open_writer(env={"CSUP_NO_RECORD": "1"}) is None
    writer = open_writer(env={"CSUP_DB": str(tmp_path / "b.db")})
    assert writer is not None
    writer.close()
    assert writer.path == str(tmp_path / "b.db")
    (tmp_path / "a-file").touch()
    with pytest.raises(RecordError, match="cannot open the record"):
        open_writer(tmp_path / "a-file" / "c.db", require=True)
