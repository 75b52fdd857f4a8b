"""The check command of ``csup hook stop --check COMMAND``.

Kept out of :mod:`csup.hooks.command` because ``subprocess`` is only wanted when Claude is
about to stop, not on every tool call.
"""

from __future__ import annotations

import os
import signal
import subprocess

__all__ = ["run_check"]

_TAIL = 4000


def _tail(output: bytes) -> str:
    text = output.decode("utf-8", "replace").strip()
    return text if len(text) <= _TAIL else "..." + text[-_TAIL:]


def run_check(command: str, *, cwd: str | None, timeout: float) -> str | None:
    """Run ``command`` with the shell in ``cwd``; None when it passes, else the block reason.

    The reason tells Claude what failed and the end of its output, so it can go on and fix
    it. A check that cannot start or outlives ``timeout`` counts as failed; its whole
    process group is killed on timeout, so no leftover runs on after Claude has gone on.
    """
    try:
        process = subprocess.Popen(
            command,
            shell=True,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except OSError as exc:
        return f"The check `{command}` could not be started ({exc}); fix it before you finish."
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        return (
            f"The check `{command}` did not finish within {timeout:g} s; make it pass "
            f"(and finish in time) before you finish.\n{_tail(output)}"
        ).rstrip()
    if process.returncode == 0:
        return None
    return (
        f"The check `{command}` failed (exit status {process.returncode}); fix what it "
        f"reports before you finish.\n{_tail(output)}"
    ).rstrip()
