"""Issue #14's figures: many fake claude sessions on the Ray backend over two local nodes,
beside the same sessions on the local backend.

Each row runs ``--sessions`` tasks, at most ``--parallel`` at once, each a timed fake claude
(``bench_protocol.py``'s, which counts the lines it writes and times each tool call's round
trip: request written -> answer read) asking ``--tools`` tool calls, decided by the
``moderate`` policy. The Ray row starts a local cluster: a head node that runs no session
and two nodes with the custom resource ``claude`` (each session takes one), so every session
runs in a Ray actor on a worker node, decides there, and reports back to this process.

It prints, per backend:

* **events lost**: the lines the fakes wrote minus the events the driver's metrics counted
  (every event crossed from its node to the driver and was replayed); must be 0;
* **decision round trip** seen by the fake (median, p99): for Ray, decided on the worker
  node in the session's actor; for local, through the driver's policy actor;
* **start latency**: the coordinator hands the session to its backend (it leaves the queue)
  -> its ``started`` heard on the driver (for Ray: the actor placed, its worker process
  started, claude started there, the report back);
* **driver CPU per session**: this process's CPU time (user+sys, every thread) over the row,
  divided by the sessions; with Ray it is the pump, the replay, the board and the metrics;
  with local, everything (readers, owners, decisions) is here;
* **node RSS per session** (Ray only): the peak resident memory of the session actors'
  worker processes (sampled), divided by how many were alive then.

Exit 1 if any event was lost or any session did not complete. ``--quick``: 20 sessions.

    .venv/bin/python benchmarks/bench_ray.py [--quick] [--sessions 200] [--parallel 20]
        [--tools 10] [--pause 0.0]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
from tabulate import tabulate

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_protocol import PAUSE_ENV, REPORT_ENV, load_text, make_timed_fake, pct, read_fake_reports

from csup import signals
from csup.actors.messages import SessionSpec
from csup.backends import Backend, make_backend
from csup.claude.options import SessionOptions
from csup.claude.result import SessionStatus
from csup.clock import SYSTEM_CLOCK
from csup.session.owner import Decider, SessionObserver
from csup.supervisor import Supervisor


@dataclass
class Row:
    backend: str
    sessions: int
    completed: int = 0
    lines: int = 0
    events: int = 0
    trips: list[float] = field(default_factory=list)
    starts: list[float] = field(default_factory=list)
    wall_s: float = 0.0
    driver_cpu_s: float = 0.0
    node_rss_mib: float = float("nan")
    nodes: int = 0


class TimedBackend:
    """A backend that notes when each session leaves the queue (is handed to ``inner``)."""

    def __init__(self, inner: Backend, handed: dict[str, float], lock: threading.Lock) -> None:
        self._inner = inner
        self._handed = handed
        self._lock = lock

    def start(self, spec: SessionSpec, *, observer: SessionObserver, decider: Decider) -> Any:
        with self._lock:
            self._handed[spec.session_id] = time.monotonic()
        return self._inner.start(spec, observer=observer, decider=decider)

    def close(self) -> None:
        self._inner.close()


def cpu_now() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class ActorSampler:
    """The peak RSS per session actor process (``ray::SessionRunner...``), sampled."""

    def __init__(self) -> None:
        self.per_process_mib = float("nan")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        best: list[float] = []
        while not self._stop.wait(0.5):
            sizes = []
            for proc in psutil.process_iter(["cmdline", "memory_info"]):
                cmd = proc.info["cmdline"] or []
                if cmd and cmd[0].startswith("ray::SessionRunner"):
                    sizes.append(proc.info["memory_info"].rss / 2**20)
            if sizes:
                best.append(sum(sizes) / len(sizes))
        if best:
            self.per_process_mib = max(best)

    def __enter__(self) -> ActorSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_row(backend: str, args: argparse.Namespace, work: Path, fake: Path) -> Row:
    reports = Path(tempfile.mkdtemp(prefix=f"csup-bench-ray-{backend}-"))
    env = {"CSUP_FAKE_TOOLS": str(args.tools), REPORT_ENV: str(reports)}
    if args.pause:
        env[PAUSE_ENV] = str(args.pause)
    options = SessionOptions(cwd=work, claude_bin=fake, env=env)
    backend_options: dict[str, Any] = {}
    if backend == "ray":
        backend_options = {"resources": {"claude": 1}}
    row = Row(backend, args.sessions)
    handed: dict[str, float] = {}
    lock = threading.Lock()

    def on_started(sender: Any, *, session_id: str, **extra: Any) -> None:
        with lock:
            row.starts.append(time.monotonic() - handed[session_id])

    inner = make_backend(backend, clock=SYSTEM_CLOCK, **backend_options)
    timed = TimedBackend(inner, handed, lock)
    sup = Supervisor(args.parallel, "moderate", options=options, backend=timed)
    sampler = ActorSampler() if backend == "ray" else None
    cpu0, t0 = cpu_now(), time.monotonic()
    try:
        with signals.session_started.connected_to(on_started, sup):
            if sampler is not None:
                sampler.__enter__()
            for i in range(args.sessions):
                sup.submit(f"task {i}")
            results = sup.wait_all(timeout=args.timeout)
        row.wall_s = time.monotonic() - t0
        row.events = sup.stats.events
    finally:
        if sampler is not None:
            sampler.__exit__()
        sup.close()
    row.driver_cpu_s = cpu_now() - cpu0
    row.completed = sum(r.status is SessionStatus.COMPLETED for r in results)
    row.nodes = len({r.node for r in results if r.node})
    fakes = read_fake_reports(reports)
    row.lines, row.trips = fakes.lines, fakes.round_trips
    if sampler is not None:
        row.node_rss_mib = sampler.per_process_mib
    return row


def start_cluster(parallel: int) -> Any:
    import ray  # noqa: PLC0415 - the optional extra, only for its row
    from ray.cluster_utils import Cluster  # noqa: PLC0415

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    per_node = max(1, (parallel + 1) // 2)
    for _ in range(2):
        cluster.add_node(num_cpus=1, resources={"claude": per_node})
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, include_dashboard=False, log_to_driver=False)
    return cluster


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--parallel", type=int, default=20)
    parser.add_argument("--tools", type=int, default=10)
    parser.add_argument("--pause", type=float, default=0.0)
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--quick", action="store_true", help="20 sessions, 10 at once")
    args = parser.parse_args()
    if args.quick:
        args.sessions, args.parallel = 20, 10
    work = Path(tempfile.mkdtemp(prefix="csup-bench-ray-"))
    fake = make_timed_fake(work)
    print(f"load before: {load_text()} ({psutil.cpu_count()} cores)", flush=True)
    rows = [run_row("local", args, work, fake)]
    print(f"local done ({rows[0].wall_s:.1f}s); starting a two-node Ray cluster", flush=True)
    slot = "slot s/session = wall x parallel / sessions (what one session holds a slot)"
    cluster = start_cluster(args.parallel)
    try:
        rows.append(run_row("ray", args, work, fake))
    finally:
        import ray  # noqa: PLC0415

        ray.shutdown()
        cluster.shutdown()
    table = [
        [
            r.backend,
            f"{r.completed}/{r.sessions}",
            r.nodes or "-",
            r.lines - r.events,
            f"{pct(r.trips, 50) * 1000:.2f}",
            f"{pct(r.trips, 99) * 1000:.2f}",
            f"{pct(r.starts, 50):.2f}",
            f"{pct(r.starts, 99):.2f}",
            f"{r.driver_cpu_s / r.sessions * 1000:.1f}",
            "-" if r.node_rss_mib != r.node_rss_mib else f"{r.node_rss_mib:.0f}",
            f"{r.wall_s * args.parallel / r.sessions:.2f}",
            f"{r.wall_s:.1f}",
        ]
        for r in rows
    ]
    headers = [
        "backend",
        "completed",
        "nodes",
        "events lost",
        "decision p50 ms",
        "p99 ms",
        "start p50 s",
        "p99 s",
        "driver CPU ms/session",
        "actor RSS MiB",
        "slot s/session",
        "wall s",
    ]
    print(
        f"\n{args.sessions} sessions, {args.parallel} at once, {args.tools} tool calls each, "
        f"pause {args.pause}s; load after: {load_text()}"
    )
    print(tabulate(table, headers=headers, disable_numparse=True))
    print(slot)
    ok = all(r.lines == r.events and r.completed == r.sessions for r in rows)
    print("events lost 0 and every session completed:", "yes" if ok else "NO")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
