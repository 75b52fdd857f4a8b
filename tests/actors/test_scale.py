"""Scale: 200 fake claude sessions at once through the supervisor, nothing lost (#4).

Left out of the default run (``slow``); run it with ``pytest -m slow tests/actors/test_scale.py``.
The pure-Python fake claude (``csup/testing/fake-claude``) replays a recorded conversation,
so 200 sessions fit on a small machine. No timing is asserted here: the figures are in
``benchmarks/bench_actors.py``; this proves that every session completes, every tool call
is decided once, and every event claude wrote reaches the metrics actor.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import psutil
import pytest

from csup import signals
from csup.calls import Decision
from csup.claude.events import Diagnostic, Event
from csup.claude.options import SessionOptions
from csup.claude.result import SessionStatus
from csup.claude.runner import run_session
from csup.supervisor import MultiSessionSupervisor

FAKE = Path(__file__).resolve().parents[2] / "csup" / "testing" / "fake-claude"
SESSIONS = 200
TOOLS = 5


def fake_options(workspace: Path) -> SessionOptions:
    return SessionOptions(claude_bin=FAKE, cwd=workspace, env={"CSUP_FAKE_TOOLS": str(TOOLS)})


def events_of_one_session(options: SessionOptions) -> int:
    """How many events one fake session writes, counted without the actors."""
    seen: list[Event | Diagnostic] = []
    result = run_session(
        "count my events",
        options,
        decide=lambda call: Decision("allow", "allowed by the scale test", "test.allow"),
        on_event=seen.append,
        timeout=60,
    )
    assert result.status is SessionStatus.COMPLETED, result.error
    assert not any(isinstance(item, Diagnostic) for item in seen)
    return len(seen)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_200_fake_sessions_complete_and_lose_no_event(workspace: Path) -> None:
    options = fake_options(workspace)
    per_session = events_of_one_session(options)

    received = 0
    lock = threading.Lock()

    def on_event(sender: Any, **extra: Any) -> None:
        nonlocal received
        with lock:
            received += 1

    with MultiSessionSupervisor(SESSIONS, "moderate", options=options) as sup:
        signals.event_received.connect(on_event, sender=sup, weak=False)
        try:
            for i in range(SESSIONS):
                sup.submit(f"scale task {i}")
            results = sup.wait_all(timeout=600)
            stats = sup.stats
        finally:
            signals.event_received.disconnect(on_event, sender=sup)

    assert len(results) == SESSIONS
    not_completed = [(r.session_id, r.status, r.error) for r in results if not r.ok]
    assert not_completed == []
    assert stats.completed == SESSIONS
    assert stats.tool_calls == SESSIONS * TOOLS
    assert stats.approvals + stats.denials == SESSIONS * TOOLS
    # Every event every fake wrote reached the subscribers and the metrics actor.
    assert received == SESSIONS * per_session
    assert stats.events == SESSIONS * per_session
    leftovers = [
        p
        for p in psutil.Process().children(recursive=True)
        if "fake-claude" in " ".join(p.cmdline())
    ]
    assert leftovers == []
