"""The Ray backend's seam, without claude: handles, failed starts, unshippable policies."""

from __future__ import annotations

import threading

import pykka
import pytest

from csup.actors.messages import SessionSpec, StopSession
from csup.claude.options import SessionOptions
from csup.claude.result import SessionResult, SessionStatus
from csup.ray import RayBackend
from csup.supervisor import Supervisor


class Ends:
    """An observer that waits for the session's end."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.result: SessionResult | None = None
        self.done = threading.Event()

    def __getattr__(self, name):
        return lambda *args: self.seen.append(name)

    def finished(self, result: SessionResult) -> None:
        self.result = result
        self.done.set()


class Unpicklable:
    """A policy object holding a lock: it cannot be shipped to a node."""

    def __init__(self) -> None:
        self.lock = threading.Lock()

    def decide(self, call):
        return "allow"


def test_a_session_that_cannot_start_on_its_node_fails_there_and_its_handle_is_then_dead(
    cluster, tmp_path
):
    backend = RayBackend(resources={"claude": 1})
    options = SessionOptions(cwd=tmp_path / "missing", claude_bin="/bin/true")
    observer = Ends()
    try:
        handle = backend.start(SessionSpec("s1", "task", options), observer=observer, decider=None)
        assert observer.done.wait(60)
        assert observer.result is not None
        assert observer.result.status is SessionStatus.FAILED
        assert "does not exist" in (observer.result.error or "")
        assert observer.result.node  # it ran on a node, which says so
        with pytest.raises(pykka.ActorDeadError):
            handle.tell(StopSession("s1", "too late"))
    finally:
        backend.close()


def test_a_policy_that_cannot_be_shipped_fails_its_session_with_a_clear_reason(cluster, workspace):
    with Supervisor(
        1,
        Unpicklable(),
        options=SessionOptions(cwd=workspace, claude_bin="/bin/true"),
        backend="ray",
    ) as sup:
        (result,) = sup.spawn_and_wait_all(["task"])
    assert result.status is SessionStatus.FAILED
    assert "cannot be shipped to Ray" in (result.error or "")
    assert "picklable" in (result.error or "")
