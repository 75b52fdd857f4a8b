"""The record's tables, and the migrations that bring any older database up to date.

The schema has a version (table ``schema_version``, one row). :data:`MIGRATIONS` holds one
step per version: step ``n`` turns a version ``n`` database into version ``n + 1``; version
0 is an empty file. :func:`migrate` runs the missing steps in one transaction, so a database
is at one version or the next, never between. A database written by a newer csup (a version
above :data:`SCHEMA_VERSION`) is refused: an older csup cannot know what its rows mean.

Times are REAL seconds since the epoch (UTC); JSON columns are TEXT.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Sequence

from csup.errors import RecordError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "connect",
    "execute_all",
    "migrate",
    "schema_version",
]

_V1 = """
CREATE TABLE runs (
    run_id      TEXT PRIMARY KEY,
    started_at  REAL NOT NULL,
    ended_at    REAL,
    argv        TEXT NOT NULL DEFAULT '[]',   -- JSON list
    cwd         TEXT NOT NULL DEFAULT '',
    origin      TEXT NOT NULL DEFAULT 'csup'  -- 'csup' (run, multi) or 'hook'
);
CREATE INDEX runs_started ON runs (started_at);

CREATE TABLE sessions (
    session_id         TEXT PRIMARY KEY,
    run_id             TEXT NOT NULL REFERENCES runs (run_id),
    task               TEXT NOT NULL DEFAULT '',
    cwd                TEXT NOT NULL DEFAULT '',
    started_at         REAL NOT NULL,
    ended_at           REAL,
    status             TEXT,
    claude_session_id  TEXT,
    resumed_from       TEXT              -- the session this one continues (csup resume)
);
CREATE INDEX sessions_run ON sessions (run_id);
CREATE INDEX sessions_claude ON sessions (claude_session_id);

-- Every stream-json message of a session, as it came (secrets masked).
CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    session_id  TEXT NOT NULL,
    at          REAL NOT NULL,
    type        TEXT NOT NULL DEFAULT '',
    raw         TEXT NOT NULL
);
CREATE INDEX events_session ON events (session_id, at);

-- A tool call and the decision on it (one row per decision).
CREATE TABLE decisions (
    id           INTEGER PRIMARY KEY,
    session_id   TEXT NOT NULL,
    at           REAL NOT NULL,
    tool_name    TEXT NOT NULL,
    tool_input   TEXT NOT NULL,       -- JSON object, secrets masked
    tool_use_id  TEXT,
    agent_id     TEXT,
    kind         TEXT NOT NULL DEFAULT '',  -- hook, can_use_tool, check
    behavior     TEXT NOT NULL,       -- allow, deny, ask
    rule         TEXT NOT NULL DEFAULT '',
    reason       TEXT NOT NULL DEFAULT '',
    source       TEXT NOT NULL DEFAULT '',  -- policy, callable, reviewer, human, hook, csup
    requested    TEXT NOT NULL DEFAULT '',
    latency_ms   REAL
);
CREATE INDEX decisions_session ON decisions (session_id, at);
CREATE INDEX decisions_rule ON decisions (rule);
CREATE INDEX decisions_behavior ON decisions (behavior, session_id);

-- Why a session stopped.
CREATE TABLE stops (
    id          INTEGER PRIMARY KEY,
    session_id  TEXT NOT NULL,
    at          REAL NOT NULL,
    status      TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX stops_session ON stops (session_id);

-- What a session used and cost.
CREATE TABLE usage (
    session_id                   TEXT PRIMARY KEY,
    cost_usd                     REAL,
    input_tokens                 INTEGER,
    output_tokens                INTEGER,
    cache_read_input_tokens      INTEGER,
    cache_creation_input_tokens  INTEGER,
    tokens                       TEXT NOT NULL DEFAULT '{}',  -- JSON, as claude reported them
    turns                        INTEGER
);
"""

MIGRATIONS: tuple[str, ...] = (_V1,)
"""``MIGRATIONS[n]`` upgrades a version ``n`` database to ``n + 1`` (a SQL script)."""

SCHEMA_VERSION = len(MIGRATIONS)
"""The version this csup writes and reads."""

BUSY_TIMEOUT_MS = 5000


def connect(
    path: str, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS, create: bool = True
) -> sqlite3.Connection:
    """A connection to the record at ``path`` in WAL mode, with ``busy_timeout`` set.

    Autocommit mode (``isolation_level=None``): callers open their own transactions.
    ``synchronous=NORMAL``: in WAL mode a commit survives a crash of the process (not a power
    cut), which is the bound the record promises. ``create=False`` opens an existing file
    only (sqlite would create an empty one).
    """
    uri = f"file:{_quote(path)}?mode={'rwc' if create else 'rw'}"
    conn = sqlite3.connect(
        uri,
        uri=True,
        timeout=busy_timeout_ms / 1000,
        isolation_level=None,
        check_same_thread=False,
    )
    try:
        _wal(conn, busy_timeout_ms)
        conn.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        conn.close()
        raise
    return conn


def execute_all(
    conn: sqlite3.Connection, statements: Iterable[tuple[str, Sequence[object]]]
) -> None:
    """Run ``statements`` in one ``BEGIN IMMEDIATE`` transaction: all of them, or none."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        for sql, params in statements:
            conn.execute(sql, params)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _wal(conn: sqlite3.Connection, busy_timeout_ms: int) -> None:
    """Put the database in WAL mode (once: the mode stays in the file).

    Switching needs the database to itself and SQLite does not wait for that (no busy
    handler), so a new record opened by two processes at once is retried here, up to the
    busy timeout.
    """
    deadline = time.monotonic() + busy_timeout_ms / 1000
    while True:
        try:
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            if str(mode).lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.005)


def _quote(path: str) -> str:
    if not any(c in path for c in "?#%"):
        return path
    from urllib.parse import quote  # noqa: PLC0415 - only when a path needs it

    return quote(path)


def schema_version(conn: sqlite3.Connection) -> int:
    """The database's schema version: 0 for an empty database."""
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if found is None:
        if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            raise RecordError("this SQLite database is not a csup record (no schema_version table)")
        return 0
    row = conn.execute("SELECT version FROM schema_version").fetchone()
    return 0 if row is None else int(row[0])


def migrate(
    conn: sqlite3.Connection, path: str = "", migrations: Sequence[str] = MIGRATIONS
) -> int:
    """Bring the database up to ``len(migrations)``; return the version it was at.

    Raises :class:`RecordError` for a database of a newer csup or one that is not a record.
    The check and the steps run in one ``BEGIN IMMEDIATE`` transaction, so two processes
    opening a new database at once migrate it once.
    """
    target = len(migrations)
    where = f" {path}" if path else ""
    if _version_now(conn, target, where) == target:  # the common case: no write lock taken
        return target
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = _version_now(conn, target, where)
        for step in range(found, target):
            for statement in _statements(migrations[step]):
                conn.execute(statement)
        if found == 0:
            conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
            conn.execute("INSERT INTO schema_version VALUES (?)", (target,))
        elif found < target:
            conn.execute("UPDATE schema_version SET version = ?", (target,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return found


def _version_now(conn: sqlite3.Connection, target: int, where: str) -> int:
    found = schema_version(conn)
    if found > target:
        raise RecordError(
            f"the record{where} has schema version {found}, written by a newer csup; this csup "
            f"reads version {target} and older. Upgrade csup, or choose another database "
            "with --db or CSUP_DB"
        )
    return found


def _statements(script: str) -> list[str]:
    """The statements of a migration script (executescript would commit our transaction)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    leftover = [ln for ln in current.splitlines() if ln.strip() and not ln.strip().startswith("--")]
    if leftover:
        raise RecordError(f"a migration ends in an incomplete statement: {current.strip()!r}")
    return statements
