"""Real processes on one record: a SIGKILL mid-write, and several csup processes at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from csup.record.queries import list_runs, open_record

from .conftest import rows

ROOT = str(Path(__file__).resolve().parents[2])

_PRELUDE = """
import sys, time
from csup.calls import Decision, ToolCall
from csup.record import RecordWriter
ALLOW = Decision("allow", "ok", "level.moderate")
def call(tag):
    return ToolCall("Bash", {"command": "ls " + tag}, "/w", tool_use_id=tag)
"""

# Batches of 10, each flushed and then announced; then rows without a flush, until killed.
KILLED_WRITER = (
    _PRELUDE
    + """
writer = RecordWriter(sys.argv[1], batch_rows=10, batch_seconds=3600)
writer.run_started("r", argv=["csup"], cwd="/w")
for i in range(50):
    writer.decision("s", call(f"t{i}"), ALLOW, 0.001)
    if i % 10 == 9:
        writer.flush()
        print(f"committed {i + 1}", flush=True)
i = 50
while True:
    writer.decision("s", call(f"t{i}"), ALLOW, 0.001)
    i += 1
"""
)


def python(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env={**os.environ, "PYTHONPATH": ROOT},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_sigkill_mid_write_leaves_a_sound_record_with_every_committed_batch(
    db: Path,
) -> None:
    child = python(KILLED_WRITER, str(db))
    assert child.stdout is not None
    try:
        for expected in range(10, 51, 10):
            assert child.stdout.readline().strip() == f"committed {expected}", child.stderr
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    tags = {tag for (tag,) in rows(db, "SELECT tool_use_id FROM decisions")}
    assert {f"t{i}" for i in range(50)} <= tags  # everything up to the last batch
    assert [r["run_id"] for r in list_runs(open_record(str(db)))] == ["r"]


# A supervised run: one writer thread, batches of 25. Waits for "go" on stdin.
MULTI = (
    _PRELUDE
    + """
sys.stdin.readline()
with RecordWriter(sys.argv[1], batch_rows=25) as writer:
    writer.run_started(sys.argv[2], argv=["csup", "multi"], cwd="/w")
    writer.session_started(sys.argv[2], sys.argv[2] + "-s", task="t", cwd="/w")
    for i in range(300):
        writer.decision(sys.argv[2] + "-s", call(f"{sys.argv[2]}-{i}"), ALLOW, 0.001)
        if i % 50 == 0:
            writer.event(sys.argv[2] + "-s", {"type": "assistant", "n": i})
    writer.session_ended(sys.argv[2] + "-s", status="done", cost_usd=0.5)
    writer.run_ended(sys.argv[2])
print("ok", writer.problem)
"""
)

# A `csup hook` process, as Claude Code runs one per tool call: synchronous writes.
HOOK = (
    _PRELUDE
    + """
from csup.hooks.record import record_decision
sys.stdin.readline()
written = 0
for i in range(40):
    data = {"hook_event_name": "PreToolUse", "session_id": sys.argv[2]}
    c = ToolCall("Bash", {"command": "ls"}, "/w", session_id=sys.argv[2], tool_use_id=f"h{i}")
    written += record_decision(data, c, ALLOW, 0.002, {"CSUP_DB": sys.argv[1]})
print("ok", written)
"""
)


def test_a_multi_and_two_hooks_write_one_record_at_once_without_losing_a_row(db: Path) -> None:
    children = [
        python(MULTI, str(db), "multi-1"),
        python(MULTI, str(db), "multi-2"),
        python(HOOK, str(db), "claude-a"),
        python(HOOK, str(db), "claude-b"),
    ]
    for child in children:  # all of them start on a database nobody has created yet
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    outputs = [child.communicate(timeout=120) for child in children]
    for child, (_out, err) in zip(children, outputs, strict=True):
        assert child.returncode == 0, err
        assert err == ""  # no "not recorded" line from a hook, no warning from a writer
    assert [out.split() for out, _ in outputs] == [
        ["ok", "None"],
        ["ok", "None"],
        ["ok", "40"],
        ["ok", "40"],
    ]
    assert rows(db, "SELECT session_id, count(*) FROM decisions GROUP BY 1 ORDER BY 1") == [
        ("claude-a", 40),
        ("claude-b", 40),
        ("multi-1-s", 300),
        ("multi-2-s", 300),
    ]
    assert rows(db, "SELECT count(*) FROM events") == [(12,)]
    assert rows(db, "SELECT run_id FROM runs ORDER BY 1") == [
        ("hook-claude-a",),
        ("hook-claude-b",),
        ("multi-1",),
        ("multi-2",),
    ]
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]


def test_an_ordinary_exit_without_close_still_commits_what_was_queued(db: Path) -> None:
    code = (
        _PRELUDE
        + """
writer = RecordWriter(sys.argv[1], batch_seconds=3600)
for i in range(30):
    writer.decision("s", call(f"t{i}"), ALLOW, 0.001)
"""
    )
    child = python(code, str(db))
    _out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    assert rows(db, "SELECT count(*) FROM decisions") == [(30,)]
