"""The schema version and its migrations: an older record is upgraded, a newer one refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from csup.errors import RecordError
from csup.record import SCHEMA_VERSION, RecordWriter
from csup.record._schema import MIGRATIONS, connect, migrate, schema_version
from csup.record.queries import list_runs, open_record

from .conftest import fill, rows

# A synthetic version 2 on top of this release's version 1: what a later csup will ship.
V2 = """
ALTER TABLE sessions ADD COLUMN worktree TEXT;
-- a comment between statements
CREATE INDEX sessions_worktree ON sessions (worktree);
"""


def test_a_new_database_gets_the_current_schema_in_wal_mode(db: Path) -> None:
    RecordWriter(db).close()
    assert rows(db, "SELECT version FROM schema_version") == [(SCHEMA_VERSION,)]
    assert rows(db, "PRAGMA journal_mode") == [("wal",)]
    tables = {name for (name,) in rows(db, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"runs", "sessions", "events", "decisions", "stops", "usage"} <= tables
    indexes = {name for (name,) in rows(db, "SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"decisions_rule", "decisions_session", "events_session", "sessions_run"} <= indexes


def test_an_older_record_is_migrated_and_keeps_its_rows(db: Path) -> None:
    with RecordWriter(db) as writer:  # a version 1 record, with rows
        fill(writer)
    conn = connect(str(db))
    assert migrate(conn, str(db), (*MIGRATIONS, V2)) == 1  # it was at version 1
    assert schema_version(conn) == 2
    conn.execute("UPDATE sessions SET worktree = '/wt' WHERE session_id = 's1'")
    conn.close()
    assert rows(db, "SELECT session_id, worktree FROM sessions ORDER BY session_id") == [
        ("s1", "/wt"),
        ("s2", None),
        ("s3", None),
    ]
    assert rows(db, "SELECT count(*) FROM decisions") == [(3,)]


def test_a_migration_that_fails_leaves_the_record_at_its_version(db: Path) -> None:
    RecordWriter(db).close()
    conn = connect(str(db))
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, str(db), (*MIGRATIONS, "ALTER TABLE sessions ADD COLUMN x;\nBROKEN SQL;"))
    assert schema_version(conn) == SCHEMA_VERSION
    assert "x" not in {row[1] for row in conn.execute("PRAGMA table_info(sessions)")}
    conn.close()


def test_a_record_of_a_newer_csup_is_a_clear_error(db: Path) -> None:
    RecordWriter(db).close()
    conn = connect(str(db))
    conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    conn.close()
    with pytest.raises(RecordError, match=r"written by a newer csup.*Upgrade csup"):
        RecordWriter(db, require=True)
    with pytest.raises(RecordError, match="newer csup"):
        open_record(str(db))


def test_an_sqlite_file_that_is_not_a_record_is_refused(db: Path) -> None:
    db.parent.mkdir()
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE notes (x)")
    conn.commit()
    conn.close()
    with pytest.raises(RecordError, match="not a csup record"):
        RecordWriter(db, require=True)


def test_reading_a_version_0_file_creates_the_schema(db: Path) -> None:
    db.parent.mkdir()
    sqlite3.connect(db).close()  # an empty database file
    assert list_runs(open_record(str(db))) == []
    assert rows(db, "SELECT version FROM schema_version") == [(SCHEMA_VERSION,)]
