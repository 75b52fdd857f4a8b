"""Issue #4's figures: many fake claude sessions through :class:`MultiSessionSupervisor`.

For 1, 10, 50 and 200 concurrent sessions (``max_sessions`` = that number, that many tasks,
each a fake claude asking ``--tools`` (20) tool calls in one turn), once with the real csup
policy engine (``"moderate"``) and once with a trivial allow callable as the policy (to
separate the engine's cost from the actor system's), it prints:

* **decision latency through the actor system**: ``hook_callback`` line arriving at csup →
  its answer written to claude's stdin (median, p99, max). The path measured is the real
  one: reader thread → session actor's ``decide_async`` → a ``Decide`` message to the one
  policy actor → the engine → ``respond`` writes the answer from the policy actor's thread.
  It is timed inside csup's process by a subclass of :class:`ClaudeSession` that the
  session actors of *this benchmark process* use (``csup.actors.session.ClaudeSession`` is
  pointed at it; nothing else changes): it stamps a tool request in ``_on_line`` (the
  reader thread, right after the line was framed and parsed) and the answer when
  ``_answer`` has written it, keyed by request id. Signals cannot give this: they are sent
  later, from actor threads. The same figures are given for the decisions made while every
  session of the row was running ("all running": after the last one's first line, before
  the first one's last line), which leaves out the storms of 200 interpreters starting and
  exiting at once. The round trip the fake itself sees (request written → answer read)
  comes from the timing fake of ``bench_protocol.py``;
* **events per second** overall (events the metrics actor counted / wall time), and the
  total wall time (first submit → ``wait_all`` returned);
* **threads and resident memory per session**, sampled every 0.2 s with psutil during the
  run: the peak of this process's thread count and RSS above what it was before, divided
  by the sessions; and the fakes' RSS (one Python interpreter each) at the peak;
* **where csup's CPU goes**: the CPU time of each thread as it ends (``Thread.run`` is
  wrapped in this process only), summed by role (readers, session actors, policy actor,
  waiters, which run each session's end and its process sweep ...), beside the fakes' CPU;
* **no event lost**: the lines the fakes wrote (each fake reports its count at exit) ==
  the events csup's sessions emitted (``on_event``) == ``sup.stats.events`` (what the
  metrics actor counted); printed as "events lost".

Without a pause every fake asks its next tool call the moment the last is answered: that
measures csup saturated (a closed loop, where latency ≈ sessions / throughput). Paced rows
(``--pause``, default 0.2 s, for 10 sessions and more, ``moderate``) make each fake wait
before each tool call, like a (fast) model thinking, which is the load csup meets in use.

The issue's aims: p99 decision latency < 5 ms at 50 sessions; 200 sessions complete with
nothing lost. The script says whether they are met, and exits 1 if any event was lost or
any session did not complete. ``--quick`` is a smoke run (< 30 s).

    .venv/bin/python benchmarks/bench_actors.py [--quick] [--sessions 1,10,50,200]
        [--tools 20] [--pause 0.2]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
from tabulate import tabulate

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_protocol import (
    ALLOW,
    PAUSE_ENV,
    REPORT_ENV,
    TimedClaudeProcess,
    load_text,
    make_timed_fake,
    pct,
    read_fake_reports,
)

import csup.claude.process as process_module
from csup.calls import Decision, ToolCall
from csup.claude.options import SessionOptions
from csup.claude.result import SessionStatus
from csup.supervisor import MultiSessionSupervisor

P99_AIM_MS = 2.0
AIM_SESSIONS = 50


def allow_everything(call: ToolCall) -> Decision:
    """The trivial policy: allow, at no cost."""
    return ALLOW


@dataclass
class Peak:
    """The highest figures a :class:`Sampler` saw."""

    threads: int = 0
    rss: int = 0
    children: int = 0
    children_rss: int = 0


ROLES = (
    ("claude-", "", "readers"),
    ("csup-decider", "", "deciders"),
    ("csup-signals", "", "signals"),
    ("SessionActor-", "", "session actors"),
    ("PolicyActor-", "", "policy actor"),
    ("MetricsActor-", "", "metrics actor"),
    ("CoordinatorActor-", "", "coordinator"),
    ("csup-", "", "other csup"),
    ("MainThread", "", "main"),
)


def role(name: str) -> str:
    """The part a thread plays, from its name."""
    for prefix, suffix, label in ROLES:
        if name.startswith(prefix) and name.endswith(suffix):
            return label
    return "other"


class ThreadCpu:
    """The CPU time of every thread that ends, by name: the benchmark's own accounting.

    :meth:`install` wraps :meth:`threading.Thread.run` in this process only, so each
    thread records ``time.thread_time()`` (its own CPU, user + system) as it ends. Every
    csup thread of a run ends with it (readers and waiters with their session, actors when
    the supervisor closes), so the figures are exact, not sampled.
    """

    ended: list[tuple[str, float]] = []  # noqa: RUF012 - the benchmark's registry
    lock = threading.Lock()

    @classmethod
    def install(cls) -> None:
        original = threading.Thread.run

        def run(self: threading.Thread) -> None:
            try:
                original(self)
            finally:
                spent = time.thread_time()
                with cls.lock:
                    cls.ended.append((self.name, spent))

        threading.Thread.run = run  # type: ignore[method-assign]

    @classmethod
    def take(cls) -> dict[str, float]:
        """CPU seconds of the threads that ended since the last call, by role."""
        with cls.lock:
            ended, cls.ended = cls.ended, []
        out: dict[str, float] = {}
        for name, spent in ended:
            out[role(name)] = out.get(role(name), 0.0) + spent
        return out


@dataclass
class Sampler:
    """Samples this process's threads and RSS, and its children's RSS, on a thread."""

    interval: float = 0.2
    peak: Peak = field(default_factory=Peak)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def sample(self) -> None:
        me = psutil.Process()
        peak = self.peak
        peak.threads = max(peak.threads, me.num_threads())
        peak.rss = max(peak.rss, me.memory_info().rss)
        rss = count = 0
        for child in me.children(recursive=True):
            try:
                rss += child.memory_info().rss
                count += 1
            except psutil.Error:
                continue
        if count > peak.children or (count == peak.children and rss > peak.children_rss):
            peak.children, peak.children_rss = count, rss

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> Sampler:
        self.sample()
        self._thread = threading.Thread(target=self._run, name="bench-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.sample()


@dataclass
class Run:
    """The outcome of one configuration."""

    sessions: int
    policy: str
    completed: int
    statuses: dict[str, int]
    latencies: list[float]
    steady: list[float]
    fake_round_trips: list[float]
    fake_lines: int
    fake_reports: int
    emitted: int
    counted: int
    approvals: int
    denials: int
    wall: float
    threads_before: int
    rss_before: int
    peak: Peak
    threads_after: int
    load: str
    pause: float
    cpu_roles: dict[str, float]
    cpu_self: float
    cpu_fakes: float

    @property
    def lost(self) -> int:
        return self.fake_lines - self.counted

    @property
    def ok(self) -> bool:
        return (
            self.completed == self.sessions
            and self.fake_reports == self.sessions
            and self.fake_lines == self.emitted == self.counted
        )


def run_config(
    sessions: int,
    policy_name: str,
    fake: Path,
    tools: int,
    work: Path,
    timeout: float,
    pause: float = 0.0,
) -> Run:
    """Run ``sessions`` fake sessions at once through a supervisor; the figures.

    ``pause``: seconds each fake waits before each tool call (0: as fast as it can).
    """
    TimedClaudeProcess.made.clear()
    fakes_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    reports = Path(tempfile.mkdtemp(prefix="reports-", dir=work))
    options = SessionOptions(
        claude_bin=fake,
        cwd=work,
        env={
            "CSUP_FAKE_TOOLS": str(tools),
            REPORT_ENV: str(reports),
            PAUSE_ENV: str(pause),
        },
    )
    policy: Any = allow_everything if policy_name == "allow callable" else policy_name
    me = psutil.Process()
    threads_before, rss_before = me.num_threads(), me.memory_info().rss
    ThreadCpu.take()
    main_before = time.thread_time()
    self_before = resource.getrusage(resource.RUSAGE_SELF)
    with Sampler() as sampler:
        started = time.perf_counter()
        with MultiSessionSupervisor(sessions, policy, options=options) as sup:
            for i in range(sessions):
                sup.submit(f"benchmark task {i}")
            results = sup.wait_all(timeout=timeout)
            wall = time.perf_counter() - started
            stats = sup.stats
    self_after = resource.getrusage(resource.RUSAGE_SELF)
    main_after = time.thread_time()
    time.sleep(0.5)  # let the deadline thread and pykka threads wind down
    threads_after = me.num_threads()
    # The fakes have all been reaped by now: their CPU is in RUSAGE_CHILDREN.
    fakes_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    latencies: list[float] = []
    steady: list[float] = []
    emitted = 0
    made = TimedClaudeProcess.made
    # The window when every session was running: from the last one's first line to the
    # first one's last line (empty when the first sessions ended before the last started).
    all_started = max((s.first_line or 0.0 for s in made), default=0.0)
    first_ended = min((s.last_line for s in made), default=0.0)
    for session in made:
        emitted += session.emitted
        for rid, arrived in session.arrived.items():
            if rid in session.answered:
                latencies.append(session.answered[rid] - arrived)
                if all_started <= arrived <= first_ended:
                    steady.append(session.answered[rid] - arrived)
    fake_side = read_fake_reports(reports)
    cpu_roles = ThreadCpu.take()
    cpu_roles.pop("other", None)  # the benchmark's sampler
    cpu_roles["main"] = main_after - main_before
    statuses: dict[str, int] = {}
    for result in results:
        statuses[result.status.value] = statuses.get(result.status.value, 0) + 1
    return Run(
        sessions=sessions,
        policy=policy_name,
        completed=sum(1 for r in results if r.status is SessionStatus.COMPLETED),
        statuses=statuses,
        latencies=latencies,
        steady=steady,
        fake_round_trips=fake_side.round_trips,
        fake_lines=fake_side.lines,
        fake_reports=fake_side.fakes,
        emitted=emitted,
        counted=stats.events,
        approvals=stats.approvals,
        denials=stats.denials,
        wall=wall,
        threads_before=threads_before,
        rss_before=rss_before,
        peak=sampler.peak,
        threads_after=threads_after,
        load=load_text(),
        pause=pause,
        cpu_roles=cpu_roles,
        cpu_self=cpu_seconds(self_after) - cpu_seconds(self_before),
        cpu_fakes=cpu_seconds(fakes_after) - cpu_seconds(fakes_before),
    )


def cpu_seconds(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def row(run: Run) -> list[Any]:
    ms = 1e3
    peak = run.peak
    per_child = peak.children_rss / peak.children / 2**20 if peak.children else float("nan")
    return [
        run.sessions,
        run.policy,
        f"{run.completed}/{run.sessions}",
        len(run.latencies),
        pct(run.latencies, 50) * ms,
        pct(run.latencies, 99) * ms,
        max(run.latencies, default=float("nan")) * ms,
        len(run.steady),
        pct(run.steady, 50) * ms,
        pct(run.steady, 99) * ms,
        pct(run.fake_round_trips, 99) * ms,
        run.counted,
        run.counted / run.wall,
        run.wall,
        (peak.threads - run.threads_before) / run.sessions,
        (peak.rss - run.rss_before) / run.sessions / 2**20,
        f"{peak.children} x {per_child:.1f}",
        run.lost,
        run.load,
    ]


HEADERS = [
    "sessions",
    "policy",
    "completed",
    "decisions",
    "median ms",
    "p99 ms",
    "max ms",
    "all running: n",
    "median ms",
    "p99 ms",
    "fake RT p99 ms",
    "events",
    "events/s",
    "wall s",
    "threads/session",
    "csup MiB/session",
    "fakes x MiB",
    "lost",
    "load 1/5/15",
]

CPU_ROLES = [
    "readers",
    "session actors",
    "policy actor",
    "metrics actor",
    "coordinator",
    "deciders",
    "signals",
    "other csup",
    "main",
]


def cpu_row(run: Run) -> list[Any]:
    roles = run.cpu_roles
    known = [roles.get(name, 0.0) for name in CPU_ROLES]
    return [
        run.sessions,
        run.policy,
        run.pause * 1e3,
        run.wall,
        run.cpu_self,
        *known,
        run.cpu_self - sum(known),
        run.cpu_self / run.wall,
        run.cpu_fakes,
        run.cpu_self / max(1, len(run.latencies)) * 1e6,
    ]


def print_runs(title: str, runs: list[Run]) -> None:
    print(f"\n{title}")
    print(tabulate([row(r) for r in runs], headers=HEADERS, floatfmt=".2f", intfmt=","))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run, under 30 s")
    parser.add_argument("--sessions", help="comma-separated session counts (default 1,10,50,200)")
    parser.add_argument("--tools", type=int, default=20, help="tool calls per session")
    parser.add_argument(
        "--pause",
        type=float,
        default=0.2,
        help="think time (s) before each tool call in the paced rows; 0 leaves them out",
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="limit per configuration")
    args = parser.parse_args(argv)
    default = "1,10,50" if args.quick else "1,10,50,200"
    counts = [int(n) for n in (args.sessions or default).split(",")]
    tools = 10 if args.quick and args.tools == 20 else args.tools
    policies = ["moderate", "allow callable"]
    paced_counts = [50] if args.quick else [n for n in counts if n >= 10]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, load {load_text()}")
    print(f"{tools} tool calls per session; fake claude: csup/testing/fake_claude.py (hook-allow)")

    process_module.ClaudeProcess = TimedClaudeProcess  # type: ignore[misc]
    ThreadCpu.install()
    runs: list[Run] = []
    paced: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="csup-bench-") as tmp:
        work = Path(tmp)
        fake = make_timed_fake(work)
        # Warm-up: the policy's shell parser loads on its first Bash decision.
        run_config(1, "moderate", fake, 3, work, args.timeout)
        plan = [(n, policy, 0.0, runs) for n in counts for policy in policies]
        if args.pause > 0:
            plan += [(n, "moderate", args.pause, paced) for n in paced_counts]
        for sessions, policy, pause, into in plan:
            run = run_config(sessions, policy, fake, tools, work, args.timeout, pause)
            into.append(run)
            print(
                f"  {sessions:>4} sessions, {policy:<14} pause {pause * 1e3:3.0f} ms: "
                f"{run.wall:6.2f} s, p99 {pct(run.latencies, 99) * 1e3:7.2f} ms, "
                f"lost {run.lost}, load {run.load}",
                flush=True,
            )

    print_runs(
        "Saturating: every fake asks its next tool call as soon as the last is answered", runs
    )
    if paced:
        print_runs(
            f"Paced: each fake waits {args.pause * 1e3:g} ms (a fast model's think time) "
            "before each tool call",
            paced,
        )
    print(
        "latency: hook_callback parsed in csup's reader -> answer written (csup's process); "
        "all running: only the decisions made while every session of the row was running "
        "(after the start-up storm, before the first exit); "
        "fake RT: the fake's request write -> answer read.\n"
        "threads and MiB per session: the peak above the start, over the sessions; "
        "fakes x MiB: fake processes alive at the peak x RSS each."
    )

    print("\nWhere csup's CPU goes (seconds, by thread role), and the fakes' CPU")
    print(
        tabulate(
            [cpu_row(r) for r in runs + paced],
            headers=[
                "sessions",
                "policy",
                "pause ms",
                "wall s",
                "csup CPU s",
                *CPU_ROLES,
                "unaccounted",
                "csup cores",
                "fakes CPU s",
                "csup CPU µs/decision",
            ],
            floatfmt=".2f",
        )
    )

    failures = []
    checks = []
    for r in runs + paced:
        checks.append(
            [
                r.sessions,
                r.policy,
                r.pause * 1e3,
                r.fake_lines,
                r.emitted,
                r.counted,
                r.lost,
                ", ".join(f"{k} {v}" for k, v in sorted(r.statuses.items())),
                f"{r.approvals}/{r.denials}",
                r.threads_after - r.threads_before,
            ]
        )
        if not r.ok:
            failures.append(
                f"{r.sessions} sessions / {r.policy}: {r.completed} completed, "
                f"{r.fake_reports} fake reports, lines {r.fake_lines}, emitted {r.emitted}, "
                f"counted {r.counted}"
            )
    print("\nNo event lost: lines the fakes wrote = events csup emitted = metrics actor's count")
    print(
        tabulate(
            checks,
            headers=[
                "sessions",
                "policy",
                "pause ms",
                "fake lines",
                "on_event",
                "metrics events",
                "events lost",
                "statuses",
                "allow/deny",
                "threads left",
            ],
            intfmt=",",
            floatfmt=".0f",
        )
    )
    lost = sum(abs(r.lost) for r in runs + paced)
    print(f"\nevents lost: {lost}")

    for r in [r for r in runs + paced if r.sessions == AIM_SESSIONS]:
        p99 = pct(r.latencies, 99) * 1e3
        steady = pct(r.steady, 99) * 1e3
        overall = "met" if p99 < P99_AIM_MS else "NOT met"
        while_all = "met" if steady < P99_AIM_MS else "NOT met" if r.steady else "no such window"
        print(
            f"aim p99 < {P99_AIM_MS:g} ms at {AIM_SESSIONS} sessions "
            f"({r.policy}, pause {r.pause * 1e3:g} ms): over the run {overall} "
            f"(p99 {p99:.2f} ms); while all {r.sessions} ran {while_all} "
            f"(p99 {steady:.2f} ms over {len(r.steady)} decisions)"
        )
    for r in [r for r in runs + paced if r.sessions == 200]:
        verdict = "met" if r.ok else "NOT met"
        print(
            f"aim 200 sessions complete, nothing lost ({r.policy}, pause {r.pause * 1e3:g} ms): "
            f"{verdict}"
        )
    print(f"load at the end {load_text()}")
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
