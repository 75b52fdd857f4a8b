"""One short synchronous write: how ``csup hook`` records its decision.

A hook process lives for one tool call, so a writer thread and its batches make no sense
there: the hook opens the record, writes its rows in one ``BEGIN IMMEDIATE`` transaction
and closes it, with a small ``busy_timeout`` so a busy database costs it at most that long.
Imports only :mod:`sqlite3` and the record's pure modules (no :mod:`logging`, no threads).

``synchronous=OFF`` for this one connection: the last connection to close a WAL database
checkpoints it, and with ``NORMAL`` that checkpoint syncs the disk, which cost each hook
call 3 to 5 ms (``benchmarks/bench_hook.py``). A committed row still survives any crash of
the process (the operating system has it); what ``OFF`` gives up is the guarantee against
a power cut or a kernel crash in the middle of a checkpoint.
"""

from __future__ import annotations

import os

from csup.record._schema import connect, execute_all, migrate

TYPE_CHECKING = False
if TYPE_CHECKING:
    from csup.record._rows import Statement

__all__ = ["HOOK_BUSY_TIMEOUT_MS", "write_now"]

HOOK_BUSY_TIMEOUT_MS = 50


def write_now(
    path: str, statements: list[Statement], *, busy_timeout_ms: int = HOOK_BUSY_TIMEOUT_MS
) -> None:
    """Write ``statements`` to the record at ``path`` in one transaction, or raise."""
    directory = os.path.dirname(path)
    if directory and not os.path.isdir(directory):
        os.makedirs(directory, exist_ok=True)
    conn = connect(path, busy_timeout_ms=busy_timeout_ms)
    try:
        conn.execute("PRAGMA synchronous = OFF")
        migrate(conn, path)
        execute_all(conn, statements)
    finally:
        conn.close()
