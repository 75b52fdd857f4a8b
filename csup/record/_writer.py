"""The record's writer: one thread per process that writes queued rows in batches.

Every method of :class:`RecordWriter` is a non-blocking put on a queue and never raises
into its caller (the session's one owner, on its decision path). The writer thread masks,
encodes and writes; it commits a batch when it holds :data:`BATCH_ROWS` operations or when
the oldest of them has waited :data:`BATCH_SECONDS`, whichever comes first.

**What a crash loses.** Each batch is one transaction in WAL mode, so a SIGKILL of the
process loses the operations not yet committed: the batch being gathered, at most
:data:`BATCH_ROWS` operations or 200 ms of them, as long as the writer keeps up (it holds
tens of thousands of rows a second, see ``benchmarks/bench_record.py``; a database locked
by another process for long can make it fall behind). The database itself is never left
corrupt (SQLite's WAL); :meth:`RecordWriter.flush` commits everything queued so far, and an
ordinary exit of the interpreter closes the writer (:mod:`atexit`), which commits the rest.

**When the record cannot be written** (disk full, a read-only file or directory, a file that
is not a database): the writer says so once (a :mod:`logging` warning and the ``on_problem``
callback) and goes on without the record, dropping what comes after. With
``require=True`` a database that cannot be opened and written raises :class:`RecordError`
from the constructor; a later failure is reported through ``on_problem``, so the caller can
stop. A busy database (another csup writing) is waited for (``busy_timeout``) and retried.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import queue
import sqlite3
import threading
import time

from csup.errors import RecordError
from csup.record import _rows
from csup.record._schema import connect, execute_all, migrate

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    from csup.calls import Decision, ToolCall

    _Op = tuple[str, tuple[object, ...], dict[str, object]]

__all__ = ["BATCH_ROWS", "BATCH_SECONDS", "RecordWriter", "open_writer"]

log = logging.getLogger("csup.record")

BATCH_ROWS = 100
"""Operations in one batch at most (one transaction)."""
BATCH_SECONDS = 0.2
"""How long the first operation of a batch waits for others before the batch is written."""
BUSY_RETRIES = 5

_STOP = object()


class _Flush:
    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = threading.Event()


_BUILDERS: dict[str, Callable[..., list[_rows.Statement]]] = {
    "run_started": _rows.run_started_rows,
    "session_started": _rows.session_started_rows,
    "event": _rows.event_rows,
    "decision": _rows.decision_rows,
    "session_ended": _rows.session_ended_rows,
    "run_ended": _rows.run_ended_rows,
}


def open_for_writing(path: str, busy_timeout_ms: int) -> sqlite3.Connection:
    """Open (create) the record at ``path``, migrate it, and check that it takes a write.

    Raises :class:`RecordError` saying what is wrong and where.
    """
    try:
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        conn = connect(path, busy_timeout_ms=busy_timeout_ms)
    except (OSError, sqlite3.Error) as exc:
        raise RecordError(f"cannot open the record {path}: {exc}") from exc
    try:
        migrate(conn, path)
        conn.execute("BEGIN IMMEDIATE")  # a read-only file fails here, not at the first batch
        conn.execute("UPDATE schema_version SET version = version")
        conn.execute("ROLLBACK")
    except sqlite3.Error as exc:
        conn.close()
        raise RecordError(f"cannot write the record {path}: {exc}") from exc
    except BaseException:
        conn.close()
        raise
    return conn


class RecordWriter:
    """Writes runs, sessions, events, decisions and stops to the record, off the caller's path.

    One per process; thread-safe. ``path`` is the database (see
    :func:`csup.record.resolve_db_path`). ``on_problem(error)`` is called once, from the
    writer thread (or the constructor), when the record cannot be written. Use it as a
    context manager, or call :meth:`close` at the end: queued rows are written then.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        require: bool = False,
        on_problem: Callable[[RecordError], object] | None = None,
        batch_rows: int = BATCH_ROWS,
        batch_seconds: float = BATCH_SECONDS,
        busy_timeout_ms: int = 5000,
        origin: str = "csup",
    ) -> None:
        self.path = os.fspath(path)
        self.require = require
        self.on_problem = on_problem
        self.batch_rows = batch_rows
        self.batch_seconds = batch_seconds
        self.origin = origin
        self.problem: RecordError | None = None
        self.rows_written = 0
        """Operations committed so far (read it after :meth:`flush`)."""
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._closed = False
        self._conn: sqlite3.Connection | None = None
        try:
            self._conn = open_for_writing(self.path, busy_timeout_ms)
        except RecordError as exc:
            if require:
                raise
            self._report(RecordError(f"{exc}; csup goes on without the record"))
        self._thread = threading.Thread(target=self._run, name="csup-record", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    # -- the API the session's owner calls: each one a put -------------------------------

    def run_started(
        self, run_id: str, *, argv: list[str], cwd: str, started_at: object = None
    ) -> None:
        """A run (one ``csup run``/``multi`` command) began."""
        self._put("run_started", run_id, argv, cwd, started_at, self.origin)

    def session_started(
        self,
        run_id: str,
        session_id: str,
        *,
        task: str,
        cwd: str,
        started_at: object = None,
        resumed_from: str | None = None,
    ) -> None:
        """A session of ``run_id`` began on ``task`` in ``cwd`` (continuing ``resumed_from``)."""
        self._put("session_started", run_id, session_id, task, cwd, started_at, resumed_from)

    def event(self, session_id: str, raw: Mapping[str, Any], at: object = None) -> None:
        """A stream-json message of the session, as it came (do not change it afterwards)."""
        self._put("event", session_id, raw, at)

    def decision(
        self,
        session_id: str,
        call: ToolCall,
        decision: Decision,
        latency_s: float | None = None,
        at: object = None,
    ) -> None:
        """The decision on a tool call, and how long it took (seconds)."""
        self._put("decision", session_id, call, decision, latency_s, at)

    def session_ended(
        self,
        session_id: str,
        *,
        status: str,
        error: object = None,
        cost_usd: float | None = None,
        tokens: Mapping[str, Any] | None = None,
        turns: int | None = None,
        ended_at: object = None,
        claude_session_id: str | None = None,
    ) -> None:
        """The session stopped: with which status, why (``error``), what it used and cost."""
        self._put(
            "session_ended",
            session_id,
            status=status,
            error=error,
            cost_usd=cost_usd,
            tokens=tokens,
            turns=turns,
            ended_at=ended_at,
            claude_session_id=claude_session_id,
        )

    def run_ended(self, run_id: str, *, ended_at: object = None) -> None:
        """The run is over."""
        self._put("run_ended", run_id, ended_at)

    def flush(self, timeout: float | None = 10.0) -> bool:
        """Wait until everything queued so far is committed; False on a timeout."""
        if (
            self._closed
            or not self._thread.is_alive()
            or threading.current_thread() is self._thread
        ):
            return False  # (from the writer thread, e.g. in on_problem, it would wait forever)
        marker = _Flush()
        self._queue.put(marker)
        return marker.done.wait(timeout)

    def close(self, timeout: float | None = 10.0) -> None:
        """Write what is queued, stop the thread and close the database. Idempotent."""
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self.close)
        self._queue.put(_STOP)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def __enter__(self) -> RecordWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def active(self) -> bool:
        """True while rows are being recorded (not closed, no problem so far)."""
        return not self._closed and self._conn is not None

    # -- the writer thread ----------------------------------------------------------------

    def _put(self, kind: str, *args: object, **kwargs: object) -> None:
        if self._closed or self._conn is None:
            return
        with contextlib.suppress(BaseException):  # never into the caller
            self._queue.put((kind, args, kwargs))

    def _run(self) -> None:
        pending: list[_Op] = []
        deadline = 0.0
        try:
            while True:
                timeout = max(0.0, deadline - time.monotonic()) if pending else None
                try:
                    item = self._queue.get(timeout=timeout)
                except queue.Empty:
                    self._write(pending)
                    continue
                if item is _STOP:
                    break
                if isinstance(item, _Flush):
                    self._write(pending)
                    item.done.set()
                    continue
                if not pending:
                    deadline = time.monotonic() + self.batch_seconds
                pending.append(item)  # type: ignore[arg-type]
                if len(pending) >= self.batch_rows:
                    self._write(pending)
        finally:
            self._write(pending)
            self._drain_flushes()
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _drain_flushes(self) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, _Flush):
                item.done.set()

    def _write(self, pending: list[_Op]) -> None:
        if not pending:
            return
        batch = list(pending)
        pending.clear()
        conn = self._conn
        if conn is None:
            return
        statements: list[_rows.Statement] = []
        for kind, args, kwargs in batch:
            try:
                statements.extend(_BUILDERS[kind](*args, **kwargs))
            except Exception:
                log.exception("csup record: dropped a %s it could not encode", kind)
        for attempt in range(BUSY_RETRIES + 1):
            try:
                execute_all(conn, statements)
            except sqlite3.OperationalError as exc:
                if _busy(exc) and attempt < BUSY_RETRIES:
                    time.sleep(0.05 * (attempt + 1))
                    continue
                self._fail(exc)
                return
            except sqlite3.Error as exc:
                self._fail(exc)
                return
            self.rows_written += len(batch)
            return

    def _fail(self, exc: sqlite3.Error) -> None:
        going_on = "" if self.require else "; csup goes on without the record"
        self._report(RecordError(f"cannot write the record {self.path}: {exc}{going_on}"))
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def _report(self, problem: RecordError) -> None:
        if self.problem is not None:
            return
        self.problem = problem
        log.warning("%s", problem)
        if self.on_problem is not None:
            try:
                self.on_problem(problem)
            except Exception:
                log.exception("csup record: the on_problem callback failed")


def _busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def open_writer(
    db: str | os.PathLike[str] | None = None,
    *,
    no_record: bool = False,
    require: bool = False,
    on_problem: Callable[[RecordError], object] | None = None,
    env: Mapping[str, str] | None = None,
) -> RecordWriter | None:
    """The writer a ``run`` or ``multi`` feeds, from its options: ``--db``, ``--no-record``,
    ``--require-record`` (and ``CSUP_DB`` / ``CSUP_NO_RECORD`` in ``env``); None when the
    record is off. Raises :class:`RecordError` only when ``require`` is set."""
    from csup.record._where import resolve_db_path  # noqa: PLC0415

    path = resolve_db_path(db, env, no_record=no_record)
    if path is None:
        return None
    return RecordWriter(path, require=require, on_problem=on_problem)
