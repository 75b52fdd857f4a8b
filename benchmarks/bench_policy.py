"""Benchmark the policy engine: decision time over the corpus, import and cold-start cost.

Run: ``.venv/bin/python benchmarks/bench_policy.py``. Prints a table of the corpus counts,
the median and p99 time of one Bash decision over the corpus and the classes of ways around
the guard (aims: median < 200 µs, p99 < 2 ms), the import time of ``csup.policy`` and the
first (cold) decision, each measured in a fresh interpreter; then, per class of
tests/policy/corpus/classes.txt, the lines caught at ``permissive`` and the false positives.
Nothing is asserted: this is for people and for the closing notes.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tabulate import tabulate

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "policy" / "corpus"
ROUNDS = 5

_COLD = """
import time
t0 = time.perf_counter()
import csup.policy
t1 = time.perf_counter()
policy = csup.policy.load_policy("moderate")
policy.decide(csup.policy.ToolCall("Bash", {"command": "ls -la"}, cwd=%r))
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def corpus(name: str) -> list[str]:
    lines = (CORPUS / name).read_text(encoding="utf-8").splitlines()
    return [x.partition(" ## ")[0] for x in lines if x.strip() and not x.startswith("#")]


def cold(workspace: str, runs: int = 15) -> tuple[float, float, float]:
    """Median import time, first-decision time, and bare interpreter start, in a fresh process."""
    # as installed: bytecode cached (the first run writes it)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT)
    subprocess.run([sys.executable, "-c", "import csup.policy"], env=env, check=True)
    imports, firsts, bare = [], [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", _COLD % workspace], env=env, check=True,
                             capture_output=True, text=True).stdout.split()  # fmt: skip
        imports.append(float(out[0]))
        firsts.append(float(out[1]))
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
        bare.append(time.perf_counter() - start)
    return statistics.median(imports), statistics.median(firsts), statistics.median(bare)


def classes() -> list[tuple[str, str, str]]:
    """(class, command, expected) of tests/policy/corpus/classes.txt (see its header)."""
    out, current = [], ""
    for line in (CORPUS / "classes.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("# == "):
            current = line[5:].split(":", 1)[0]
        elif line.strip() and not line.startswith("#"):
            command, _, expected = line.partition(" ## ")
            out.append((current, command, expected.strip()))
    return out


def class_table(workspace: str) -> list[tuple[str, str, str, str]]:
    """Per class of ways around the guard: caught at permissive / lines, and false positives.

    A dangerous line is caught when it is not allowed at ``permissive`` (denied, or asked
    because it cannot be known); a near miss (expected ``allow``) not allowed is a false
    positive.
    """
    from csup.policy import ToolCall, load_policy  # noqa: PLC0415 - after sys.path is set

    permissive = load_policy("permissive")
    counts: dict[str, list[int]] = {}
    for klass, command, expected in classes():
        got = permissive.decide(ToolCall("Bash", {"command": command}, cwd=workspace))
        row = counts.setdefault(klass, [0, 0, 0, 0])  # caught, dangerous, fp, near misses
        if expected in ("allow", "gap-fp"):  # gap-fp: a near miss known to be blocked
            row[3] += 1
            row[2] += got.behavior != "allow"
        else:
            row[1] += 1
            row[0] += got.behavior != "allow"
    rows = []
    for klass, (caught, total, fp, near) in sorted(counts.items()):
        rate = f"{caught / total:.0%}" if total else "-"
        rows.append((klass, f"{caught} / {total}" if total else "-", rate, f"{fp} / {near}"))
    return rows


def batch_throughput(lines: list[str], workspace: str) -> tuple[float, float]:
    """Lines per second of ``csup check --batch`` over ``lines`` (one process), and its
    wall time in seconds, start-up included. Multi-line commands are left out (one a line)."""
    one_line = [c for c in lines if "\n" not in c]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        f.write("\n".join(one_line) + "\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT)
    command = [sys.executable, "-m", "csup", "check", "--policy", "moderate", "--cwd", workspace]
    start = time.perf_counter()
    subprocess.run([*command, "--batch", f.name], env=env, capture_output=True, check=False)
    wall = time.perf_counter() - start
    os.unlink(f.name)
    return len(one_line) / wall, wall


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from csup.policy import ToolCall, load_policy  # noqa: PLC0415 - after sys.path is set

    dangerous, benign = corpus("dangerous.txt"), corpus("benign.txt")
    dangerous += [c for _, c, e in classes() if e not in ("allow", "gap-fp")]
    benign += [c for _, c, e in classes() if e in ("allow", "gap-fp")]
    workspace = tempfile.mkdtemp(prefix="csup-bench-")
    policy = load_policy("moderate")
    requests = [ToolCall("Bash", {"command": c}, cwd=workspace) for c in dangerous + benign]
    policy.decide(requests[0])  # load the parser
    times: list[float] = []
    for _ in range(ROUNDS):
        for request in requests:
            start = time.perf_counter()
            policy.decide(request)
            times.append(time.perf_counter() - start)
    times.sort()
    p99 = times[int(len(times) * 0.99)]
    import_s, first_s, bare_s = cold(workspace)
    per_second, wall = batch_throughput(dangerous + benign, workspace)
    rows = [
        ("corpus: dangerous lines", len(dangerous), ""),
        ("corpus: benign near misses", len(benign), ""),
        ("decision, median (µs)", f"{statistics.median(times) * 1e6:.0f}", "< 200"),
        ("decision, p99 (µs)", f"{p99 * 1e6:.0f}", "< 2000"),
        ("decision, max (µs)", f"{times[-1] * 1e6:.0f}", ""),
        ("import csup.policy (ms)", f"{import_s * 1e3:.1f}", ""),
        ("first Bash decision, cold (ms)", f"{first_s * 1e3:.1f}", ""),
        ("bare `python -c pass` (ms)", f"{bare_s * 1e3:.1f}", ""),
        ("`csup check --batch`, lines/s", f"{per_second:.0f}", ""),
        ("`csup check --batch`, whole corpus (s)", f"{wall:.2f}", ""),
    ]
    print(tabulate(rows, headers=["measure", "value", "aim"], tablefmt="github"))
    print()
    headers = ["class (classes.txt)", "caught at permissive", "rate", "false positives"]
    print(tabulate(class_table(workspace), headers=headers, tablefmt="github"))
    print(json.dumps({"decisions": len(times), "rounds": ROUNDS}))


if __name__ == "__main__":
    main()
