"""Benchmark the record: what the writer holds, what it costs the caller, how big it grows.

Run: ``.venv/bin/python benchmarks/bench_record.py [--quick]``. Prints one table:

* rows per second the writer holds: a burst of decisions (and of stream-json events) put as
  fast as one thread can, timed from the first put until the last row is committed;
* database size per 1000 tool calls: decisions only, and with the two events each call
  brings (claude's ``tool_use`` message and the ``tool_result``), after a checkpoint;
* the time one ``RecordWriter.decision()`` call costs the caller (µs: median and p99), and
  a policy decision with and without recording it (the decision latency a session sees).

Nothing is asserted: the figures move with the machine's load.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tabulate import tabulate

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from csup.calls import Decision, ToolCall
from csup.policy import load_policy
from csup.record import RecordWriter

CALL = ToolCall(
    "Bash",
    {"command": "git status && ls -la src | wc -l", "description": "Look at the tree"},
    "/work/project",
    session_id="s",
    tool_use_id="toolu_01ABCDEF",
)
ALLOW = Decision("allow", "Nothing dangerous found, and it stays in the workspace.", "level.x")


def tool_use_event(i: int) -> dict[str, object]:
    return {
        "type": "assistant",
        "session_id": "c0ffee00-0000-4000-8000-000000000000",
        "message": {
            "id": f"msg_{i:08d}",
            "role": "assistant",
            "model": "claude-sonnet-4",
            "content": [
                {"type": "text", "text": "Let me look at the state of the repository first."},
                {"type": "tool_use", "id": f"toolu_{i:08d}", "name": "Bash",
                 "input": CALL.tool_input},
            ],
            "usage": {"input_tokens": 1200, "output_tokens": 80, "cache_read_input_tokens": 9000},
        },
    }  # fmt: skip


def tool_result_event(i: int) -> dict[str, object]:
    listing = "\n".join(f"-rw-r--r-- 1 dev dev {n * 37} Dec  1 10:00 file{n}.py" for n in range(8))
    return {
        "type": "user",
        "message": {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": f"toolu_{i:08d}", "content": listing}
            ],
        },
    }  # fmt: skip


def throughput(path: str, n: int, events: bool) -> float:
    writer = RecordWriter(path)
    started = time.perf_counter()
    for i in range(n):
        if events:
            writer.event("s", tool_use_event(i))
        else:
            writer.decision("s", CALL, ALLOW, 0.0001)
    writer.close(timeout=None)
    elapsed = time.perf_counter() - started
    assert writer.rows_written == n, writer.problem
    return n / elapsed


def size_per_thousand(path: str, with_events: bool) -> float:
    with RecordWriter(path) as writer:
        writer.run_started("r", argv=["csup", "multi"], cwd="/work/project")
        writer.session_started("r", "s", task="a task", cwd="/work/project")
        for i in range(1000):
            if with_events:
                writer.event("s", tool_use_event(i))
            writer.decision("s", CALL, ALLOW, 0.0001)
            if with_events:
                writer.event("s", tool_result_event(i))
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return os.path.getsize(path) / 1024


def caller_cost(path: str, n: int) -> tuple[float, float]:
    samples = []
    with RecordWriter(path) as writer:
        for _ in range(n):
            started = time.perf_counter_ns()
            writer.decision("s", CALL, ALLOW, 0.0001)
            samples.append(time.perf_counter_ns() - started)
    samples.sort()
    return statistics.median(samples) / 1000, samples[int(len(samples) * 0.99)] / 1000


def decision_latency(path: str, n: int) -> tuple[float, float, float, float]:
    """Median µs of a policy decision: not recorded; recorded back to back (the writer thread
    works during the next decisions); recorded with each row committed before the next call
    (as in a session, where tool calls come seconds apart)."""
    policy = load_policy("moderate")
    policy.decide(CALL)  # the shell parser loaded

    def timed(writer: RecordWriter | None, count: int, paced: bool = False) -> float:
        samples = []
        for _ in range(count):
            started = time.perf_counter_ns()
            decision = policy.decide(CALL)
            if writer is not None:
                writer.decision("s", CALL, decision, 0.0001)
            samples.append(time.perf_counter_ns() - started)
            if paced:  # what happens between two tool calls: the row written, then a pause
                if writer is not None:
                    writer.flush()
                time.sleep(0.002)
        return statistics.median(samples) / 1000

    without = timed(None, n)
    with RecordWriter(path) as writer:
        back_to_back = timed(writer, n)
    paced_count = max(100, n // 10)
    paced_without = timed(None, paced_count, paced=True)
    with RecordWriter(path) as writer:
        paced = timed(writer, paced_count, paced=True)
    return without, back_to_back, paced_without, paced


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run (fewer rows)")
    args = parser.parse_args()
    n = 5_000 if args.quick else 50_000
    with tempfile.TemporaryDirectory(prefix="csup-bench-record-") as scratch:

        def fresh(name: str) -> str:
            return os.path.join(scratch, f"{name}.db")

        decisions_per_s = throughput(fresh("t1"), n, events=False)
        events_per_s = throughput(fresh("t2"), n, events=True)
        size_decisions = size_per_thousand(fresh("s1"), with_events=False)
        size_events = size_per_thousand(fresh("s2"), with_events=True)
        put_median, put_p99 = caller_cost(fresh("c"), n)
        without, with_record, paced_without, paced = decision_latency(fresh("d"), n // 10)
    rows = [
        ("writer throughput, decisions", f"{decisions_per_s:,.0f} rows/s", f"{n:,} in a burst"),
        ("writer throughput, stream-json events", f"{events_per_s:,.0f} rows/s", "~1 KB each"),
        ("size per 1000 tool calls, decisions only", f"{size_decisions:,.0f} KiB", ""),
        ("size per 1000 tool calls, with 2 events each", f"{size_events:,.0f} KiB", ""),
        ("RecordWriter.decision() cost to the caller", f"{put_median:.1f} µs",
         f"p99 {put_p99:.1f} µs"),
        ("policy decision, not recorded (median)", f"{without:.1f} µs", "a Bash call"),
        ("policy decision + RecordWriter.decision()", f"{with_record:.1f} µs",
         f"{with_record - without:+.1f} µs back to back (the writer shares the GIL)"),
        ("paced (2 ms apart), not recorded", f"{paced_without:.1f} µs", "a session's pace"),
        ("paced, recorded (each row written before the next)", f"{paced:.1f} µs",
         f"{paced - paced_without:+.1f} µs"),
    ]  # fmt: skip
    print(f"{sys.executable} ({sys.version.split()[0]}), sqlite {sqlite3.sqlite_version}")
    print(tabulate(rows, headers=["measure", "value", "note"], tablefmt="github"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
