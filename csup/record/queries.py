"""Reading the record: what ``csup log``, ``csup show`` and ``csup export`` print.

Plain functions over a :class:`sqlite3.Connection` from :func:`open_record`, returning plain
dicts and lists (JSON-ready: times stay epoch seconds, JSON columns are parsed), so the CLI
only formats and the functions are tested on databases the writer made.
"""

from __future__ import annotations

import json
import os
import sqlite3

from csup.errors import RecordError
from csup.record._schema import SCHEMA_VERSION, connect, migrate, schema_version

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    Row = dict[str, Any]

__all__ = [
    "CSV_FIELDS",
    "csv_rows",
    "export_records",
    "find",
    "list_runs",
    "open_record",
    "parse_since",
    "run_detail",
    "session_detail",
    "timeline",
]


def open_record(path: str) -> sqlite3.Connection:
    """The record at ``path``, to read; :class:`RecordError` if it is missing or unreadable.

    A record of an older schema is migrated first (that needs write access once).
    """
    if not os.path.exists(path):
        raise RecordError(
            f"no record at {path}: csup has not recorded a run there yet "
            "(choose another database with --db PATH or CSUP_DB)"
        )
    if os.path.isdir(path):
        raise RecordError(f"{path} is a directory, not a csup record")
    try:
        conn = connect(path, create=False, busy_timeout_ms=2000)
    except sqlite3.Error:
        conn = None
    try:
        if conn is None:  # a read-only file or directory: read it as it is
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
        version = schema_version(conn)
        if version < SCHEMA_VERSION:
            migrate(conn, path)
        elif version > SCHEMA_VERSION:
            migrate(conn, path)  # raises, saying a newer csup wrote it
        conn.execute("SELECT count(*) FROM runs").fetchone()
    except sqlite3.DatabaseError as exc:
        if conn is not None:
            conn.close()
        raise RecordError(
            f"{path} is not a readable csup record ({exc}); if it is damaged, move it away "
            "and csup starts a new one"
        ) from exc
    except BaseException:
        if conn is not None:
            conn.close()
        raise
    conn.row_factory = sqlite3.Row
    return conn


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_since(text: str, now: float) -> float:
    """``--since``: a duration back from ``now`` (``90s``, ``30m``, ``2h``, ``7d``, ``1w``) or
    an ISO date or time (``2026-12-01``, ``2026-12-01T08:00``, local time unless it names
    its zone); epoch seconds. Raises :class:`ValueError` with what is accepted."""
    value = text.strip()
    unit = value[-1:].lower()
    if unit in _UNITS and value[:-1].replace(".", "", 1).isdigit():
        return now - float(value[:-1]) * _UNITS[unit]
    from datetime import datetime  # noqa: PLC0415

    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        raise ValueError(
            f"--since wants a duration (30m, 2h, 7d, 1w) or an ISO date or time "
            f"(2026-12-01, 2026-12-01T08:00), got {text!r}"
        ) from None


def _dicts(cursor: sqlite3.Cursor) -> list[Row]:
    return [dict(row) for row in cursor.fetchall()]


def _loads(text: str | None, default: object) -> object:
    if not text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return text


_RUNS = """
SELECT r.run_id, r.started_at, r.ended_at, r.cwd, r.origin, r.argv,
       (SELECT count(*) FROM sessions s WHERE s.run_id = r.run_id) AS sessions,
       (SELECT count(*) FROM decisions d JOIN sessions s USING (session_id)
         WHERE s.run_id = r.run_id) AS decisions,
       (SELECT count(*) FROM decisions d JOIN sessions s USING (session_id)
         WHERE s.run_id = r.run_id AND d.behavior = 'deny') AS denials,
       (SELECT sum(u.cost_usd) FROM usage u JOIN sessions s USING (session_id)
         WHERE s.run_id = r.run_id) AS cost_usd
FROM runs r
"""


def list_runs(
    conn: sqlite3.Connection,
    *,
    since: float | None = None,
    denied: bool = False,
    rule: str | None = None,
    limit: int | None = None,
) -> list[Row]:
    """Runs, newest first: when, its tasks, sessions, decisions, denials and cost.

    ``since`` keeps runs started at or after that time (epoch seconds); ``denied`` those with
    at least one denied call; ``rule`` those with a decision by that rule (a glob:
    ``git.*``).
    """
    where: list[str] = []
    params: list[object] = []
    if since is not None:
        where.append("r.started_at >= ?")
        params.append(since)
    if denied or rule:
        test = ["s.run_id = r.run_id"]
        if denied:
            test.append("d.behavior = 'deny'")
        if rule:
            test.append("d.rule GLOB ?")
            params.append(rule)
        where.append(
            "EXISTS (SELECT 1 FROM decisions d JOIN sessions s USING (session_id) WHERE "  # noqa: S608
            + " AND ".join(test)
            + ")"
        )
    sql = _RUNS + (" WHERE " + " AND ".join(where) if where else "")
    sql += " ORDER BY r.started_at DESC, r.rowid DESC"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    runs = _dicts(conn.execute(sql, params))
    for run in runs:
        run["argv"] = _loads(run["argv"], [])
        run["tasks"] = [
            row[0]
            for row in conn.execute(
                "SELECT task FROM sessions WHERE run_id = ? ORDER BY started_at, rowid",
                (run["run_id"],),
            )
        ]
    return runs


def find(conn: sqlite3.Connection, ident: str) -> tuple[str, str]:
    """``("run", run_id)`` or ``("session", session_id)`` for an id: a run id, a session id
    or claude's session id, in that order; a unique prefix of a run or session id also does.
    """
    if conn.execute("SELECT 1 FROM runs WHERE run_id = ?", (ident,)).fetchone():
        return "run", ident
    for column in ("session_id", "claude_session_id"):
        row = conn.execute(
            f"SELECT session_id FROM sessions WHERE {column} = ? LIMIT 1",  # noqa: S608
            (ident,),
        ).fetchone()
        if row:
            return "session", str(row[0])
    if ident:
        pattern = ident.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        found = [
            ("run", str(r[0]))
            for r in conn.execute(
                "SELECT run_id FROM runs WHERE run_id LIKE ? ESCAPE '\\' LIMIT 2", (pattern,)
            )
        ] + [
            ("session", str(r[0]))
            for r in conn.execute(
                "SELECT session_id FROM sessions WHERE session_id LIKE ? ESCAPE '\\' LIMIT 2",
                (pattern,),
            )
        ]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise RecordError(f"{ident!r} is the start of more than one id: give more of it")
    raise RecordError(f"no run or session {ident!r} in the record (`csup log` lists the runs)")


def _decisions(conn: sqlite3.Connection, session_ids: list[str]) -> list[Row]:
    marks = ",".join("?" * len(session_ids))
    rows = _dicts(
        conn.execute(
            f"SELECT * FROM decisions WHERE session_id IN ({marks}) ORDER BY at, id",  # noqa: S608
            session_ids,
        )
    )
    for row in rows:
        row["tool_input"] = _loads(row["tool_input"], {})
    return rows


def _sessions(conn: sqlite3.Connection, where: str, param: str) -> list[Row]:
    rows = _dicts(
        conn.execute(
            "SELECT s.*, u.cost_usd, u.input_tokens, u.output_tokens, "  # noqa: S608
            "u.cache_read_input_tokens, u.cache_creation_input_tokens, u.tokens, u.turns, "
            "(SELECT reason FROM stops t WHERE t.session_id = s.session_id "
            " ORDER BY t.at DESC, t.id DESC LIMIT 1) AS stop_reason "
            f"FROM sessions s LEFT JOIN usage u USING (session_id) WHERE {where} "
            "ORDER BY s.started_at, s.rowid",
            (param,),
        )
    )
    for row in rows:
        row["tokens"] = _loads(row["tokens"], {})
    return rows


def timeline(conn: sqlite3.Connection, session_ids: list[str]) -> list[Row]:
    """Everything that happened in these sessions, in time order: each session's start,
    its stream-json events, its decisions and its stop."""
    if not session_ids:
        return []
    marks = ",".join("?" * len(session_ids))
    entries: list[Row] = []
    for row in conn.execute(
        f"SELECT session_id, started_at, task FROM sessions WHERE session_id IN ({marks})",  # noqa: S608
        session_ids,
    ):
        entries.append(
            {"at": row[1], "session_id": row[0], "what": "start", "task": row[2], "order": 0}
        )
    for row in conn.execute(
        f"SELECT id, session_id, at, type, raw FROM events WHERE session_id IN ({marks})",  # noqa: S608
        session_ids,
    ):
        entries.append(
            {
                "at": row[2],
                "session_id": row[1],
                "what": "event",
                "type": row[3],
                "raw": _loads(row[4], {}),
                "order": 1,
                "id": row[0],
            }
        )
    for decision in _decisions(conn, session_ids):
        entries.append({**decision, "what": "decision", "order": 2})
    for row in conn.execute(
        f"SELECT id, session_id, at, status, reason FROM stops WHERE session_id IN ({marks})",  # noqa: S608
        session_ids,
    ):
        entries.append(
            {
                "at": row[2],
                "session_id": row[1],
                "what": "stop",
                "status": row[3],
                "reason": row[4],
                "order": 3,
                "id": row[0],
            }
        )
    entries.sort(key=lambda e: (e["at"], e["order"], e.get("id", 0)))
    for entry in entries:
        del entry["order"]
    return entries


def run_detail(conn: sqlite3.Connection, run_id: str) -> Row:
    """A run, its sessions (with usage and stop), its decisions and its timeline."""
    row = conn.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
    if row is None:
        raise RecordError(f"no run {run_id!r} in the record (`csup log` lists the runs)")
    run = dict(row)
    run["argv"] = _loads(run["argv"], [])
    sessions = _sessions(conn, "s.run_id = ?", run_id)
    ids = [s["session_id"] for s in sessions]
    return {
        "run": run,
        "sessions": sessions,
        "decisions": _decisions(conn, ids) if ids else [],
        "timeline": timeline(conn, ids),
    }


def session_detail(conn: sqlite3.Connection, session_id: str) -> Row:
    """One session (with its run), its decisions and its timeline."""
    sessions = _sessions(conn, "s.session_id = ?", session_id)
    if not sessions:
        raise RecordError(f"no session {session_id!r} in the record (`csup log` lists the runs)")
    row = conn.execute("SELECT * FROM runs WHERE run_id = ?", (sessions[0]["run_id"],)).fetchone()
    run = dict(row) if row is not None else {"run_id": sessions[0]["run_id"]}
    if "argv" in run:
        run["argv"] = _loads(run["argv"], [])
    return {
        "run": run,
        "sessions": sessions,
        "decisions": _decisions(conn, [session_id]),
        "timeline": timeline(conn, [session_id]),
    }


def export_records(conn: sqlite3.Connection, run_id: str) -> Iterator[Row]:
    """Every record of a run, one dict each with a ``record`` key: the run, then each
    session, then the timeline (events, decisions, stops) in time order, then usage."""
    detail = run_detail(conn, run_id)
    yield {"record": "run", **detail["run"]}
    for session in detail["sessions"]:
        yield {"record": "session", **session}
    for entry in detail["timeline"]:
        if entry["what"] != "start":
            what = entry.pop("what")
            yield {"record": what, **entry}


CSV_FIELDS = (
    "record",
    "at",
    "run_id",
    "session_id",
    "task",
    "type",
    "tool_name",
    "tool_input",
    "tool_use_id",
    "behavior",
    "rule",
    "source",
    "reason",
    "latency_ms",
    "status",
    "cost_usd",
    "turns",
    "raw",
)
"""The columns of ``csup export --format csv``: one row per session, event, decision and stop."""


def csv_rows(conn: sqlite3.Connection, run_id: str) -> Iterator[Row]:
    """The rows of ``csup export --format csv`` (JSON cells are JSON text)."""
    for record in export_records(conn, run_id):
        if record["record"] == "run":
            continue
        row = {field: record.get(field) for field in CSV_FIELDS}
        if record["record"] == "session":
            row["at"] = record.get("started_at")
            row["reason"] = record.get("stop_reason")
        row["run_id"] = run_id
        for field in ("tool_input", "raw"):
            if row[field] is not None and not isinstance(row[field], str):
                row[field] = json.dumps(row[field], ensure_ascii=False, separators=(",", ":"))
        yield row
