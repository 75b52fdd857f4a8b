"""What a remote session reports, recorded on its node and replayed on the driver (no Ray)."""

from __future__ import annotations

import pickle
import threading

from csup.calls import Decision, ToolCall
from csup.claude.events import Diagnostic
from csup.claude.result import SessionResult, SessionStatus
from csup.claude.stats import StatsSnapshot
from csup.policy import resolve_policy
from csup.ray.reports import Recorder, Replayed, lost_result, replay
from csup.ray.runner import node_decider


class Calls:
    """An observer that writes down what it is told."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def __getattr__(self, name):
        return lambda *args: self.calls.append((name, *args))


def call(command: str = "ls") -> ToolCall:
    return ToolCall("Bash", {"command": command}, "/tmp", "s1")


def result(**extra) -> SessionResult:
    return SessionResult("s1", "task", SessionStatus.COMPLETED, **extra)


def test_every_report_is_replayed_in_order_and_the_result_gains_its_node():
    recorder = Recorder()
    deny = Decision("deny", "no", "rule", "policy")
    recorder.started("s1", 42)
    recorder.output("s1", Diagnostic("hello", "not JSON"))
    recorder.tool_requested("s1", call())
    recorder.decided("s1", call(), deny, 0.001)
    recorder.finished(result())
    batch = pickle.loads(pickle.dumps(recorder.drain(0)))  # as it crosses to the driver
    seen = Calls()
    state = Replayed()
    replay(seen, "s1", batch, state, node="10.0.0.7/ab12cd34")
    assert [c[0] for c in seen.calls] == [
        "started",
        "output",
        "tool_requested",
        "decided",
        "finished",
    ]
    assert seen.calls[3][3] == deny and seen.calls[3][4] == 0.001
    assert seen.calls[-1][1].node == "10.0.0.7/ab12cd34"
    assert state.finished and state.events == 1


def test_a_session_run_again_is_started_once_and_nothing_is_replayed_after_its_end():
    seen = Calls()
    state = Replayed()
    replay(seen, "s1", [("started", 1)], state, node=None)
    replay(seen, "s1", [("started", 2), ("finished", result()), ("started", 3)], state, node="n")
    assert [c[0] for c in seen.calls] == ["started", "finished"]
    assert seen.calls[0][2] == 1


def test_a_drain_waits_for_the_next_report_and_returns_at_once_after_the_end():
    recorder = Recorder()
    threading.Timer(0.05, recorder.started, ("s1", 7)).start()
    assert recorder.drain(30) == [("started", 7)]
    recorder.finished(result())
    assert recorder.drain(30) == [("finished", result())]
    assert recorder.drain(30) == []  # ended: no wait


def test_a_lost_session_keeps_what_the_driver_knew_and_says_why():
    stats = StatsSnapshot(turns=2)
    lost = lost_result(
        "s1", "task", reason="lost with its Ray node n1", node="n1", stats=stats, started_at=None
    )
    assert (lost.status, lost.node, lost.stats.turns) == (SessionStatus.LOST, "n1", 2)
    assert lost.error == "lost with its Ray node n1" and not lost.ok


def test_a_shipped_policy_decides_on_the_node_and_no_policy_denies():
    policy = pickle.loads(pickle.dumps(resolve_policy("moderate", cwd="/tmp")))
    answers: list[Decision] = []
    node_decider(policy).ask(call("rm -rf ~/"), answers.append)
    node_decider(None).ask(call(), answers.append)
    assert [a.behavior for a in answers] == ["deny", "deny"]
    assert answers[0].rule and answers[1].rule == "csup.no-policy"


def test_a_callable_policy_decides_on_a_worker_thread_of_the_node():
    done = threading.Event()
    answers: list[Decision] = []

    def reply(decision: Decision) -> None:
        answers.append(decision)
        done.set()

    node_decider(lambda c: Decision("allow", "fine", "test")).ask(call(), reply)
    assert done.wait(10)
    assert answers[0].behavior == "allow"
