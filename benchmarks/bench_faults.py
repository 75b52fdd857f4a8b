"""Instant exits, hundreds of times: a claude that dies at once must never make csup hang.

For each way of dying (``/bin/false``; a stand-in that segfaults at once; one that exits
right after ``initialize``; one that exits in the middle of a decision) the script runs
``run_session`` N times, each bounded by a 30 s wait, and ``csup run --claude-bin
/bin/false`` as a process M times, each killed at 20 s. It prints, per case, how many runs
ended, how many hung (0 is the only acceptable figure), and the median and worst time a run
took to end. Exit status 1 if anything hung.

    .venv/bin/python benchmarks/bench_faults.py [--runs 300] [--cli-runs 50]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tabulate import tabulate

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from csup.claude.options import SessionOptions  # noqa: E402
from csup.claude.result import SessionStatus  # noqa: E402
from csup.claude.runner import run_session  # noqa: E402
from csup.testing.standins import INSTANT_EXITS  # noqa: E402

STANDINS = {
    "segfault at once": INSTANT_EXITS["segfault at once"],
    "exit after initialize": INSTANT_EXITS["after initialize"],
    "exit mid-decision": INSTANT_EXITS["mid-decision"],
}


def load_text() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def in_process(binary: Path, runs: int, cwd: Path) -> list[object]:
    times, hung = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        result = run_session("hi", SessionOptions(cwd=cwd, claude_bin=binary), timeout=30)
        times.append(time.perf_counter() - started)
        if result.status is not SessionStatus.FAILED or times[-1] >= 30:
            hung += 1
    return [len(times) - hung, hung, statistics.median(times) * 1e3, max(times) * 1e3]


def as_process(runs: int) -> list[object]:
    csup = str(Path(sys.executable).with_name("csup"))
    times, hung = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        try:
            subprocess.run(
                [csup, "run", "hello", "--claude-bin", "/bin/false"],
                capture_output=True,
                timeout=20,
                check=False,
            )
        except subprocess.TimeoutExpired:
            hung += 1
        times.append(time.perf_counter() - started)
    return [len(times) - hung, hung, statistics.median(times) * 1e3, max(times) * 1e3]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=300, help="in-process runs per case")
    parser.add_argument("--cli-runs", type=int, default=50, help="csup run processes")
    parser.add_argument("--quick", action="store_true", help="30 and 10 runs")
    args = parser.parse_args()
    runs, cli_runs = (30, 10) if args.quick else (args.runs, args.cli_runs)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, load {load_text()}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="csup-bench-faults-") as tmp:
        work = Path(tmp)
        rows.append(["/bin/false (run_session)", *in_process(Path("/bin/false"), runs, work)])
        for name, source in STANDINS.items():
            binary = work / name.replace(" ", "-")
            binary.write_text(f"#!{sys.executable}\n{source}")
            binary.chmod(0o755)
            rows.append([f"{name} (run_session)", *in_process(binary, runs, work)])
        rows.append(["csup run --claude-bin /bin/false", *as_process(cli_runs)])
    print(
        tabulate(
            rows,
            headers=["case", "ended", "hung", "median ms", "worst ms"],
            floatfmt=".1f",
        )
    )
    print(f"load at the end {load_text()}")
    return 1 if any(row[2] for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
