"""Cold-start cost of ``csup hook pre-tool-use``, beside the bare interpreter.

Claude Code starts the hook once per tool call, so its start-up time is paid on every call.
This runs, interleaved in the same process and the same run:

* ``python -c pass`` with the same interpreter csup runs on (the floor);
* ``csup hook pre-tool-use`` with a Bash input (loads the shell parser);
* ``csup hook pre-tool-use`` with a Write input (no shell parsing);
* the same two with ``CSUP_NO_RECORD=1``: the difference is what writing the decision to the
  record (a scratch ``CSUP_DB``) costs each call;
* the session memory (``csup.hooks.memory``): the calls above are later calls of one session
  (the memory is only read); a Write of a new file each call saves it; the first call of a
  new session each time runs ``git status`` in the workspace (a git repository);

and prints the median wall time of each, and its ratio to the bare interpreter (aim: 1.5x).
With ``--imports`` it also times a staircase of ``python -c "import ..."`` steps (each adding
the hook's next step: json, csup's hook modules, the policy package, the rule modules,
tree-sitter, one decision), so the differences of the medians say what costs what, and
prints ``python -X importtime`` of one hook call, summed by top-level package, and the
slowest single modules.

    .venv/bin/python benchmarks/bench_hook.py [--rounds 40] [--imports]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from tabulate import tabulate

PYTHON = sys.executable
CSUP = str(Path(sys.executable).parent / "csup")
ROOT = str(Path(__file__).resolve().parents[1])  # the checkout this script is in
NOT_RECORDED = {"CSUP_NO_RECORD": "1"}


def hook_input(
    workspace: str, tool: str, tool_input: dict[str, object], session: str = "bench"
) -> bytes:
    return json.dumps(
        {
            "session_id": session,
            "transcript_path": os.path.join(workspace, "t.jsonl"),
            "cwd": workspace,
            "permission_mode": "default",
            "hook_event_name": "PreToolUse",
            "tool_name": tool,
            "tool_input": tool_input,
            "tool_use_id": "toolu_bench",
        }
    ).encode()


def numbered(make: Callable[[int], bytes]) -> Callable[[], bytes]:
    """A hook input that differs on each call (``make(1)``, ``make(2)``, ...)."""
    count = itertools.count(1)
    return lambda: make(next(count))


def timed(
    argv: list[str], stdin: bytes | Callable[[], bytes], env: dict[str, str], cwd: str
) -> float:
    if callable(stdin):
        stdin = stdin()
    started = time.perf_counter()
    done = subprocess.run(
        argv, input=stdin, capture_output=True, env=env, cwd=cwd, timeout=60, check=False
    )
    elapsed = time.perf_counter() - started
    if argv[1:3] == ["hook", "pre-tool-use"] and done.returncode != 0:
        raise SystemExit(f"the hook failed: {done.stderr.decode()}")
    return elapsed


def import_breakdown(argv: list[str], stdin: bytes, env: dict[str, str], cwd: str) -> str:
    """``-X importtime`` of one hook call, summed by top-level package, plus the top modules."""
    done = subprocess.run(
        argv,
        check=False,
        input=stdin,
        capture_output=True,
        env={**env, "PYTHONPROFILEIMPORTTIME": "1"},
        cwd=cwd,
        timeout=60,
    )
    by_package: dict[str, int] = defaultdict(int)
    modules: list[tuple[int, int, str]] = []
    for line in done.stderr.decode().splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        parts = line.removeprefix("import time:").split("|")
        self_us, cumulative_us, name = int(parts[0]), int(parts[1]), parts[2]
        module = name.strip()
        by_package[module.split(".")[0]] += self_us
        modules.append((cumulative_us, self_us, name.rstrip()))
    total = sum(by_package.values())
    packages = sorted(by_package.items(), key=lambda item: -item[1])
    rows = [(name, f"{us / 1000:.1f}", f"{100 * us / total:.0f}%") for name, us in packages[:15]]
    top = sorted(modules, reverse=True)[:25]
    lines = [
        f"Import time of one hook call: {total / 1000:.1f} ms in all (self time by package)",
        tabulate(rows, headers=["package", "ms", "share"], tablefmt="github"),
        "",
        "Slowest imports (cumulative, i.e. with what they import):",
        tabulate(
            [(name, f"{c / 1000:.1f}", f"{s / 1000:.1f}") for c, s, name in top],
            headers=["module", "cumulative ms", "self ms"],
            tablefmt="github",
        ),
    ]
    return "\n".join(lines)


_HOOK_IMPORTS = "import json, csup._entry, csup.hooks.command, csup.hooks.stdin"
_RULES = (
    "csup.policy._claude_rules, csup.policy.programs.knowledge, csup.policy.rules.exec, "
    "csup.policy.rules.tools"
)
STAIRCASE = (
    # Each step adds to the one before; the differences of the medians say what costs what,
    # without the profiler's overhead. The steps follow a Bash call through `csup hook`.
    ("+ import json (stdlib: re, enum)", "import json"),
    ("+ csup.hooks.command, .stdin", _HOOK_IMPORTS),
    ("+ import csup.policy", f"{_HOOK_IMPORTS}, csup.policy"),
    ("+ the rule modules", f"{_HOOK_IMPORTS}, csup.policy, {_RULES}"),
    (
        "+ tree-sitter loaded as csup does",
        f"{_HOOK_IMPORTS}, csup.policy, {_RULES}; csup.policy.syntax.binding.parser()",
    ),
    (
        "+ one Bash decision",
        f"{_HOOK_IMPORTS}, csup.policy, {_RULES}; csup.policy.syntax.binding.parser(); "
        "csup.policy.load_policy('moderate').decide(csup.policy.ToolCall("
        "'Bash', {'command': 'git status && ls -la src | wc -l'}, '/tmp'))",
    ),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40, help="calls of each kind (default 40)")
    parser.add_argument("--imports", action="store_true", help="print the import breakdown")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="csup-bench-") as scratch:
        home = os.path.join(scratch, "home")
        workspace = os.path.join(scratch, "work")
        os.mkdir(home)
        os.mkdir(workspace)
        subprocess.run(["git", "init", "-q", workspace], check=True, timeout=60)
        for name in ("README", "setup.py", "notes.txt"):
            with open(os.path.join(workspace, name), "w") as handle:
                handle.write("untracked\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CSUP_", "PYTHON"))}
        env["HOME"] = home
        env["PYTHONPATH"] = ROOT  # measure this checkout's csup, not the installed one
        env["CSUP_DB"] = os.path.join(scratch, "record", "csup.db")
        bash = hook_input(workspace, "Bash", {"command": "git status && ls -la src | wc -l"})
        write = hook_input(
            workspace, "Write", {"file_path": f"{workspace}/a.py", "content": "x = 1\n" * 200}
        )
        new_file = numbered(
            lambda n: hook_input(
                workspace, "Write", {"file_path": f"{workspace}/f{n}.py", "content": "x = 1\n"}
            )
        )
        new_session = numbered(
            lambda n: hook_input(workspace, "Bash", {"command": "ls"}, session=f"bench-{n}")
        )
        hook = [CSUP, "hook", "pre-tool-use"]
        cases: dict[str, tuple[list[str], bytes | Callable[[], bytes], dict[str, str]]] = {
            "python -c pass": ([PYTHON, "-c", "pass"], b"", {}),
            "csup hook pre-tool-use (Bash)": (hook, bash, {}),
            "csup hook pre-tool-use (Write)": (hook, write, {}),
            "  the same, not recorded (Bash)": (hook, bash, NOT_RECORDED),
            "  the same, not recorded (Write)": (hook, write, NOT_RECORDED),
            "  a new file each call (Write): memory saved": (hook, new_file, NOT_RECORDED),
            "  a new session each call (Bash): git status": (hook, new_session, NOT_RECORDED),
        }
        if args.imports:
            for label, code in STAIRCASE:
                cases[label] = ([PYTHON, "-c", code], b"", {})
        samples: dict[str, list[float]] = {name: [] for name in cases}
        for argv, stdin, extra in cases.values():  # warm the OS caches once
            timed(argv, stdin, {**env, **extra}, workspace)
        for _ in range(args.rounds):
            for name, (argv, stdin, extra) in cases.items():
                samples[name].append(timed(argv, stdin, {**env, **extra}, workspace))
        bare = statistics.median(samples["python -c pass"])
        rows = []
        previous = bare
        for name, values in samples.items():
            median = statistics.median(values)
            step = f"{(median - previous) * 1000:+.1f}" if name.startswith("+") else ""
            previous = median if name.startswith("+") else previous
            rows.append(
                (
                    name,
                    f"{median * 1000:.1f}",
                    f"{min(values) * 1000:.1f}",
                    f"{median / bare:.2f}x",
                    step,
                )
            )
        print(f"{PYTHON} ({sys.version.split()[0]}), {args.rounds} rounds, interleaved")
        print(
            tabulate(
                rows,
                headers=["command", "median ms", "min ms", "vs bare", "step ms"],
                tablefmt="github",
            )
        )
        if args.imports:
            for label, stdin in (("Bash", bash), ("Write", write)):
                print(f"\n## {label} input")
                argv = [CSUP, "hook", "pre-tool-use"]
                print(import_breakdown(argv, stdin, env, workspace))
    return 0


if __name__ == "__main__":
    sys.exit(main())
