"""Fixtures for supervisor tests: a supervisor on the real claude and the scripted model."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from csup.claude.options import SessionOptions
from csup.supervisor import MultiSessionSupervisor


@pytest.fixture
def supervisor_factory(
    claude_bin: Path, claude_env: Callable[..., dict[str, str]], workspace: Path
) -> Iterator[Callable[..., MultiSessionSupervisor]]:
    """``supervisor_factory(model, max_sessions=2, policy="moderate", budget_usd=None, **options)``.

    Every supervisor made is closed at teardown, whatever the test did.
    """
    made: list[MultiSessionSupervisor] = []

    def make(
        model: Any,
        max_sessions: int = 2,
        policy: Any = "moderate",
        budget_usd: float | None = None,
        escalate: Any = None,
        **options: Any,
    ) -> MultiSessionSupervisor:
        defaults = SessionOptions(
            cwd=workspace, env=claude_env(model), claude_bin=claude_bin, **options
        )
        sup = MultiSessionSupervisor(
            max_sessions, policy, options=defaults, budget_usd=budget_usd, escalate=escalate
        )
        made.append(sup)
        return sup

    yield make
    for sup in made:
        sup.close()


def descendants_running(needle: str, root: int | None = None) -> list[psutil.Process]:
    found = []
    for proc in psutil.Process(root or os.getpid()).children(recursive=True):
        try:
            if needle in " ".join(proc.cmdline()):
                found.append(proc)
        except psutil.Error:
            continue
    return found


def wait_for_descendant(
    needle: str, root: int | None = None, timeout: float = 90
) -> psutil.Process:
    """Await a descendant process whose command line contains ``needle``."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while time.monotonic() < deadline:
        found = descendants_running(needle, root)
        if found:
            return found[0]
        pause.wait(0.05)
    raise AssertionError(f"no process running {needle!r} appeared within {timeout}s")


def named(proc: psutil.Process, name: str) -> bool:
    """Whether ``proc`` is called ``name`` (a short-lived process may be gone already)."""
    try:
        return name in proc.name()
    except psutil.Error:
        return False


def gone(proc: psutil.Process) -> bool:
    try:
        return not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE
    except psutil.Error:
        return True
