"""Issue #2's figures: decision latency of one session, and the reader's line throughput.

Both use the pure-Python fake claude (``csup/testing/fake_claude.py``), which replays the
recorded ``hook-allow`` conversation; ``CSUP_FAKE_TOOLS=N`` makes it ask N tool calls in one
turn, so one session gives N decisions.

1. **Decision latency** (``hook_callback`` line arriving at csup → its answer written), median
   and p99 over at least 1000 calls, for a trivial allow decider given both ways:

   * ``decide`` (sync): the decider runs on the session's worker thread, so each call crosses
     two threads (reader → worker → write);
   * ``decide_async`` (inline): the decider answers at once in the reader thread.

   Measured inside csup's process with the public callbacks only: ``on_event`` stamps the
   ``ControlRequest`` (it runs in the reader thread right after the line was framed and
   parsed, before the request is handled) and ``on_decision`` stamps the answer (it runs
   right after the answer was written to claude's stdin); both keyed by tool_use_id. The time
   to frame and JSON-parse the line itself is not in it (the reader rows below show it).
   The round trip *the fake sees* (request written → answer read, which adds two pipe hops
   and the fake's own JSON parsing) is measured too, by running the fake with a subclass
   that times :meth:`FakeClaude.ask` (written to a temporary executable at run time; the
   fake's own file is not changed) and writes its figures to a JSON file at exit.

2. **Reader throughput**: a :class:`~csup.claude.process.ClaudeProcess` reading a ``python``
   child that writes pre-built lines as fast as it can; lines delivered to ``on_line``
   (framed, JSON-parsed and typed) per second and MB/s, timed from the first line delivered
   to the last, for the recording's ``out`` lines repeated to >= 200k lines, one
   ``hook_callback`` line repeated, and 1 MiB and 16 MiB lines. A last row parses the
   recorded lines in-process (no pipe, no thread) to show how much of the cost is parsing.

Timing assertions do not belong in tests; this prints figures (and the load average, since
other work on the machine moves them). ``--quick`` is a smoke run (< 30 s).

    .venv/bin/python benchmarks/bench_protocol.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tabulate import tabulate

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import csup.claude.process as process_module  # noqa: E402
from csup.calls import Decision, ToolCall  # noqa: E402
from csup.claude.events import ControlRequest, Diagnostic, Event, parse_line  # noqa: E402
from csup.claude.options import SessionOptions  # noqa: E402
from csup.claude.process import ClaudeProcess, claude_transport  # noqa: E402
from csup.claude.result import SessionStatus  # noqa: E402
from csup.claude.runner import ClaudeSession  # noqa: E402
from csup.claude.transport import Exited, Output  # noqa: E402
from csup.testing.replay import find_recording  # noqa: E402

REPORT_ENV = "CSUP_BENCH_FAKE_REPORT"
"""Directory where the timed fake writes ``<pid>.json`` (lines written, ask round trips)."""
PAUSE_ENV = "CSUP_BENCH_FAKE_PAUSE"
"""Seconds the timed fake waits before each tool call (a model's think time); default 0."""

TIMED_FAKE = '''\
"""csup's fake claude, timing each tool-call round trip it sees (bench_protocol.py)."""
import json, os, sys, time
sys.path.insert(0, {root!r})
from csup.testing import fake_claude

class TimedFake(fake_claude.FakeClaude):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = 0
        self.round_trips = []
        MADE.append(self)

    def emit(self, data):
        self.lines += data.count(b"\\n")
        super().emit(data)

    def tool_call(self, steps, denials):
        if PAUSE:  # the model's "thinking" before each tool call
            time.sleep(PAUSE)
        super().tool_call(steps, denials)

    def ask(self, data, tool_id):
        started = time.perf_counter()
        answer = super().ask(data, tool_id)
        if tool_id:  # a tool call's decision (the Stop hook has no tool id)
            self.round_trips.append(time.perf_counter() - started)
        return answer

MADE = []
PAUSE = float(os.environ.get({pause!r}) or 0)
fake_claude.FakeClaude = TimedFake
try:
    code = fake_claude.main()
finally:
    folder = os.environ.get({env!r})
    if folder and MADE:
        report = {{"lines": MADE[0].lines, "round_trips": MADE[0].round_trips}}
        with open(os.path.join(folder, f"{{os.getpid()}}.json"), "w") as out:
            json.dump(report, out)
sys.exit(code)
'''

ALLOW = Decision("allow", "allowed by the benchmark", "bench.allow")


def make_timed_fake(folder: Path) -> Path:
    """Write the timing fake claude as an executable in ``folder``; its path."""
    path = folder / "fake-claude-timed"
    source = TIMED_FAKE.format(root=str(ROOT), env=REPORT_ENV, pause=PAUSE_ENV)
    path.write_text(f"#!{sys.executable}\n{source}")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


@dataclass
class FakeReport:
    """What the timed fakes wrote: lines emitted, and tool-call round trips (seconds)."""

    fakes: int
    lines: int
    round_trips: list[float]


def read_fake_reports(folder: Path) -> FakeReport:
    lines, fakes = 0, 0
    trips: list[float] = []
    for path in folder.glob("*.json"):
        data = json.loads(path.read_text())
        fakes += 1
        lines += int(data["lines"])
        trips.extend(float(t) for t in data["round_trips"])
    return FakeReport(fakes, lines, trips)


def pct(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by nearest rank; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def load_text() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


# -- 1. decision latency ----------------------------------------------------------------------


class TimedClaudeProcess(ClaudeProcess):
    """A :class:`ClaudeProcess` that stamps each tool request's arrival and its answer.

    A request is stamped when the reader thread has parsed its line, its answer when the
    session's owner writes it to claude's stdin: the time covers the reader → owner →
    policy actor → owner hops and the decision itself. Every instance made is kept in
    :attr:`made` (the benchmark reads them after a run).
    """

    made: list[TimedClaudeProcess] = []  # noqa: RUF012 - the benchmark's registry
    made_lock = threading.Lock()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.arrived: dict[str, float] = {}
        self.answered: dict[str, float] = {}
        self.emitted = 0
        self.first_line: float | None = None
        self.last_line = 0.0
        super().__init__(*args, **kwargs)
        with self.made_lock:
            self.made.append(self)

    def _emit(self, item: Any) -> None:
        now = time.perf_counter()
        if self.first_line is None:
            self.first_line = now
        self.last_line = now
        if isinstance(item, bytes):
            parsed = parse_line(item)
            if parsed is not None:
                self.emitted += 1
                if isinstance(parsed, ControlRequest) and parsed.is_tool_request:
                    self.arrived.setdefault(parsed.request_id, now)
                self._deliver(Output(parsed))
            return
        self.emitted += 1
        super()._emit(item)

    def send(self, message: Mapping[str, Any]) -> bool:
        ok = super().send(message)
        response = message.get("response")
        if isinstance(response, Mapping):
            rid = response.get("request_id")
            if isinstance(rid, str) and rid in self.arrived:
                self.answered.setdefault(rid, time.perf_counter())
        return ok


def decision_latency(fake: Path, tools: int, variant: str, work: Path) -> list[Any]:
    """One session of ``tools`` tool calls with an allow decider given as ``variant``."""
    clock = time.perf_counter

    def allow(call: ToolCall) -> Decision:
        return ALLOW

    def allow_inline(call: ToolCall, respond: Callable[[object], None]) -> None:
        respond(ALLOW)

    reports = Path(tempfile.mkdtemp(prefix="reports-", dir=work))
    options = SessionOptions(
        claude_bin=fake,
        cwd=work,
        env={"CSUP_FAKE_TOOLS": str(tools), REPORT_ENV: str(reports)},
    )
    made: list[TimedClaudeProcess] = []
    factory = claude_transport(options, cwd=str(work), token=uuid.uuid4().hex)

    def timed(deliver: Any) -> TimedClaudeProcess:
        process_module.ClaudeProcess = TimedClaudeProcess  # type: ignore[misc]
        try:
            proc = factory(deliver)
        finally:
            process_module.ClaudeProcess = ClaudeProcess  # type: ignore[misc]
        assert isinstance(proc, TimedClaudeProcess)
        made.append(proc)
        return proc

    session = ClaudeSession(
        "benchmark",
        options,
        decide=allow if variant == "sync" else None,
        decide_async=allow_inline if variant == "async" else None,
        transport=timed,
    )
    started = clock()
    session.start()
    result = session.wait(600)
    wall = clock() - started
    if result is None or result.status is not SessionStatus.COMPLETED:
        raise SystemExit(f"the {variant} session did not complete: {result}")
    (proc,) = made
    latencies = [proc.answered[k] - proc.arrived[k] for k in proc.arrived if k in proc.answered]
    if len(latencies) != tools:
        raise SystemExit(f"{variant}: {len(latencies)} decisions timed, expected {tools}")
    fake_side = read_fake_reports(reports)
    us = 1e6
    return [
        f"{variant} ({'worker thread' if variant == 'sync' else 'inline'})",
        len(latencies),
        pct(latencies, 50) * us,
        pct(latencies, 99) * us,
        max(latencies) * us,
        pct(fake_side.round_trips, 50) * us,
        pct(fake_side.round_trips, 99) * us,
        len(latencies) / wall,
        wall,
    ]


# -- 2. reader throughput ---------------------------------------------------------------------

CHILD = (
    "import sys\n"
    "data = open(sys.argv[1], 'rb').read()\n"
    "out = sys.stdout.buffer\n"
    "for _ in range(int(sys.argv[2])):\n"
    "    out.write(data)\n"
    "out.flush()\n"
)


def recorded_lines() -> list[bytes]:
    """The recording's ``out`` lines (claude's side), as claude wrote them."""
    out = []
    for raw in find_recording(None).read_text().splitlines():
        entry = json.loads(raw)
        if entry.get("dir") == "out":
            out.append(json.dumps(entry["msg"], separators=(",", ":")).encode() + b"\n")
    return out


def big_line(size: int) -> bytes:
    """An assistant event whose text makes the line ``size`` bytes long."""
    head = b'{"type":"assistant","message":{"id":"msg_big","role":"assistant","content":'
    head += b'[{"type":"text","text":"'
    tail = b'"}]},"session_id":"bench"}\n'
    return head + b"x" * (size - len(head) - len(tail)) + tail


def reader_throughput(name: str, block: bytes, repeats: int, work: Path) -> list[Any]:
    """Lines/s and MB/s of ClaudeProcess's reader for ``block`` written ``repeats`` times."""
    source = work / "block.jsonl"
    source.write_bytes(block)
    expected = block.count(b"\n") * repeats
    count = 0
    first = last = 0.0
    bad = 0
    done = threading.Event()

    def on_line(item: Event | Diagnostic) -> None:
        nonlocal count, first, last, bad
        now = time.perf_counter()
        if count == 0:
            first = now
        count += 1
        last = now
        if isinstance(item, Diagnostic):
            bad += 1
        if count == expected:
            done.set()

    spawned = time.perf_counter()

    def deliver(message: Output | Exited) -> None:
        if isinstance(message, Output):
            on_line(message.item)

    process = ClaudeProcess(
        [sys.executable, "-c", CHILD, str(source), str(repeats)],
        cwd=work,
        env=dict(os.environ),
        token="bench",
        deliver=deliver,
    )
    process.close_input()
    done.wait(600)
    process.wait(30)
    process.release()
    if count != expected or bad:
        raise SystemExit(f"{name}: {count} lines delivered ({bad} unreadable), expected {expected}")
    span = last - first
    size = len(block) * repeats
    per_line = size // expected
    return [
        name,
        expected,
        per_line,
        (expected - 1) / span,
        (expected - 1) * per_line / span / 1e6,
        (first - spawned) * 1e3,
        span,
    ]


def parse_only(lines: list[bytes], total: int) -> list[Any]:
    """In-process ``parse_line`` of ``total`` recorded lines: the parsing part of the cost."""
    stripped = [line.rstrip(b"\n") for line in lines]
    rounds = max(1, total // len(stripped))
    started = time.perf_counter()
    for _ in range(rounds):
        for line in stripped:
            parse_line(line)
    span = time.perf_counter() - started
    n = rounds * len(stripped)
    size = sum(len(line) for line in lines) * rounds
    return ["recorded mix, parse_line only", n, size // n, n / span, size / span / 1e6, 0.0, span]


# -- main -------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run, under 30 s")
    parser.add_argument("--calls", type=int, help="decisions per variant (default 5000 / 1000)")
    args = parser.parse_args(argv)
    calls = args.calls or (1000 if args.quick else 5000)
    min_lines = 200_000
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, load {load_text()}")

    with tempfile.TemporaryDirectory(prefix="csup-bench-") as tmp:
        work = Path(tmp)
        fake = make_timed_fake(work)

        rows = [decision_latency(fake, calls, variant, work) for variant in ("sync", "async")]
        print(f"\nDecision latency, fake claude, {calls} tool calls per row (load {load_text()})")
        print(
            tabulate(
                rows,
                headers=[
                    "decider",
                    "calls",
                    "median µs",
                    "p99 µs",
                    "max µs",
                    "fake RT median µs",
                    "fake RT p99 µs",
                    "calls/s",
                    "wall s",
                ],
                floatfmt=".1f",
                intfmt=",",
            )
        )
        print(
            "csup side: the request line parsed (reader thread) -> its answer written "
            "(session owner). "
            "fake RT: the fake's request write -> answer read."
        )

        lines = recorded_lines()
        mix = b"".join(lines)
        hook = next(line for line in lines if b'"hook_callback"' in line)
        big_repeats = 50 if args.quick else 200
        huge_repeats = 3 if args.quick else 12
        cases: list[tuple[str, bytes, int]] = [
            ("recorded mix", mix, -(-min_lines // len(lines))),
            ("hook_callback line", hook, min_lines),
            ("1 MiB lines", big_line(1 << 20), big_repeats),
            ("16 MiB lines", big_line(16 << 20), huge_repeats),
        ]
        rows = [reader_throughput(name, block, n, work) for name, block, n in cases]
        rows.append(parse_only(lines, min_lines))
        print(f"\nReader throughput, ClaudeProcess from a python child (load {load_text()})")
        print(
            tabulate(
                rows,
                headers=[
                    "lines",
                    "count",
                    "bytes/line",
                    "lines/s",
                    "MB/s",
                    "first line ms",
                    "span s",
                ],
                floatfmt=",.1f",
                intfmt=",",
            )
        )
        print("Timed from the first line delivered to on_line to the last (typed events).")
    print(f"\nload at the end {load_text()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
