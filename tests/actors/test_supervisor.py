"""Many sessions under one policy, on the real claude binary and the scripted model."""

from __future__ import annotations

import threading
import time

import psutil
import pytest

from csup import signals
from csup.actors.messages import Crash
from csup.actors.policy import PolicyActor, PolicyClient
from csup.calls import Decision, ToolCall
from csup.claude.result import SessionStatus
from csup.deciders import DeciderPool
from csup.errors import MaxSessionsReached, SessionError, SessionNotFound, SupervisorStopped
from csup.testing import text, tool
from tests.actors.conftest import descendants_running, gone, wait_for_descendant

pytestmark = pytest.mark.claude

SLOW = "python3 -c 'import time; time.sleep(30)' && touch marker"


def touch(name: str) -> list:
    return [tool("Bash", command=f"touch {name}", description="touch")]


def test_three_tasks_with_two_slots_never_run_three_at_once_and_all_complete(
    scripted_model, supervisor_factory, workspace
):
    model = scripted_model({f"t{i}": [touch(f"f{i}.txt"), [text("done")]] for i in range(3)})
    sup = supervisor_factory(model, max_sessions=2)
    lock = threading.Lock()
    running: set[str] = set()
    peak = []
    queued = []

    def on_started(sender, *, session_id, **extra):
        with lock:
            running.add(session_id)
            peak.append(len(running))

    def on_finished(sender, *, session_id, **extra):
        with lock:
            running.discard(session_id)

    with (
        signals.session_started.connected_to(on_started, sup),
        signals.session_finished.connected_to(on_finished, sup),
        signals.session_queued.connected_to(lambda s, **kw: queued.append(kw["session_id"]), sup),
    ):
        results = sup.spawn_and_wait_all([f"[scenario:t{i}] go" for i in range(3)])
    assert [r.status for r in results] == [SessionStatus.COMPLETED] * 3, results
    assert max(peak) == 2
    assert sorted(queued) == ["s1", "s2", "s3"]
    assert all((workspace / f"f{i}.txt").exists() for i in range(3))
    totals = sup.stats
    assert (totals.completed, totals.tool_calls, totals.approvals) == (3, 3, 3)


def test_a_dangerous_command_is_denied_while_the_other_sessions_finish_their_work(
    scripted_model, supervisor_factory, workspace, claude_home
):
    precious = claude_home / "precious"
    precious.mkdir()
    (precious / "keep.txt").write_text("mine")
    model = scripted_model(
        {
            "evil": [[tool("Bash", command="bash -c 'rm -rf ~/'", description="x")], [text(".")]],
            "good": [touch("good.txt"), [text("done")]],
        }
    )
    decisions: list[tuple[str, Decision]] = []
    sup = supervisor_factory(model, max_sessions=2)
    with signals.decision_made.connected_to(
        lambda s, *, session_id, decision, **kw: decisions.append((session_id, decision)), sup
    ):
        evil = sup.submit("[scenario:evil] clean up")
        good = sup.submit("[scenario:good] work")
        results = {r.session_id: r for r in sup.wait_all(timeout=120)}
    assert (precious / "keep.txt").read_text() == "mine"
    assert (workspace / "good.txt").exists()
    assert results[good].status is SessionStatus.COMPLETED
    assert results[evil].denials == 1
    denied = [d for sid, d in decisions if sid == evil]
    assert denied and denied[0].behavior == "deny" and denied[0].rule
    assert "rm -rf" in model.tool_results("evil")[0].content


def test_stop_session_in_the_middle_of_a_tool_cancels_it_and_leaves_no_process(
    scripted_model, supervisor_factory, workspace
):
    model = scripted_model({"slow": [[tool("Bash", command=SLOW, description="slow")]]})
    sup = supervisor_factory(model)
    session_id = sup.spawn_session("[scenario:slow] go")
    sleeper = wait_for_descendant("time.sleep(30)")
    claude_pid = sup.get_session(session_id).pid
    assert sup.get_session(session_id).active
    result = sup.stop_session(session_id)
    assert result is not None and result.status is SessionStatus.CANCELLED
    assert gone(sleeper)
    assert gone(psutil.Process(claude_pid)) if psutil.pid_exists(claude_pid) else True
    assert descendants_running("time.sleep(30)") == []
    assert not (workspace / "marker").exists()
    assert sup.get_session(session_id).cancelled


def test_a_queued_session_can_be_stopped_before_it_starts(scripted_model, supervisor_factory):
    model = scripted_model({"slow": [[tool("Bash", command=SLOW, description="slow")]]})
    sup = supervisor_factory(model, max_sessions=1)
    first = sup.spawn_session("[scenario:slow] one")
    second = sup.submit("[scenario:slow] two")
    assert sup.get_session(second).state == "queued"
    result = sup.stop_session(second)
    assert result is not None and result.status is SessionStatus.CANCELLED
    assert result.started_at is None
    sup.stop_session(first)
    assert not sup.has_pending()


def test_try_spawn_refuses_when_every_slot_is_taken_and_unknown_ids_are_named(
    scripted_model, supervisor_factory
):
    model = scripted_model({"slow": [[tool("Bash", command=SLOW, description="slow")]]})
    sup = supervisor_factory(model, max_sessions=1)
    sup.try_spawn_session("[scenario:slow] one")
    with pytest.raises(MaxSessionsReached, match="Maximum sessions reached: 1"):
        sup.try_spawn_session("[scenario:slow] two")
    with pytest.raises(SessionNotFound, match="'s99'"):
        sup.stop_session("s99")
    assert sup.active_count() == 1
    assert [info.id for info in sup.active_sessions()] == ["s1"]
    sup.stop_all()
    assert sup.active_count() == 0


def test_when_the_policy_actor_dies_the_decision_in_hand_stands_and_every_later_one_is_a_deny(
    scripted_model, supervisor_factory, workspace
):
    model = scripted_model(
        {
            "a": [touch("a1.txt"), touch("a2.txt"), [text("done")]],
            "b": [touch("b1.txt"), [text("done")]],
        }
    )
    entered, release = threading.Event(), threading.Event()

    def engine(call: ToolCall) -> Decision:
        if "a1.txt" in call.tool_input.get("command", ""):
            entered.set()
            release.wait(30)
        return Decision("allow", "test engine allows")

    sup = supervisor_factory(model, policy=engine)
    policy = sup.policy_actor
    a = sup.submit("[scenario:a] go")
    assert entered.wait(60), "the first decision never reached the policy"
    policy.tell(Crash("the policy actor died"))
    deadline = time.monotonic() + 30
    while policy.is_alive() and time.monotonic() < deadline:
        threading.Event().wait(0.02)
    b = sup.submit("[scenario:b] go")
    release.set()
    results = {r.session_id: r for r in sup.wait_all(timeout=120)}
    assert (workspace / "a1.txt").exists(), "the decision made before the crash stands"
    assert not (workspace / "b1.txt").exists(), "a decision asked after the crash is denied"
    assert not (workspace / "a2.txt").exists(), "the later decision was denied"
    assert results[a].denials == 1 and results[b].denials == 1
    assert {r.status for r in results.values()} == {SessionStatus.COMPLETED}
    assert "policy actor" in model.tool_results("b")[0].content


def test_decisions_queued_behind_a_crash_of_the_policy_actor_are_denied_at_once():
    pool = DeciderPool("test-decider")
    actor = PolicyActor.start(pool=pool)
    client = PolicyClient(actor, lambda call: Decision("allow", "fine"))
    answers: list[Decision] = []
    got = threading.Event()

    def reply(decision: Decision) -> None:
        answers.append(decision)
        got.set()

    actor.tell(Crash("the policy actor died"))
    client.ask(ToolCall("Bash", {"command": "ls"}, "/tmp"), reply)
    assert got.wait(10)
    pool.close()
    (answer,) = answers
    assert answer.behavior == "deny" and "policy actor" in answer.reason


def test_a_closed_supervisor_leaves_no_csup_thread_and_takes_no_more_work(
    scripted_model, supervisor_factory, tmp_path
):
    model = scripted_model({"t": [touch("x.txt"), [text("done")]]})
    before = {t.ident for t in threading.enumerate()}
    sup = supervisor_factory(model)
    sup.submit("[scenario:t] go")
    sup.submit("[scenario:t] cannot start", cwd=tmp_path / "missing")
    sup.wait_all(timeout=120)
    started = time.monotonic()
    sup.close()
    assert time.monotonic() - started < 5, "close() waited on something"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        extra = [t for t in threading.enumerate() if t.ident not in before]
        if not extra:
            break
        threading.Event().wait(0.05)
    assert [t.name for t in threading.enumerate() if t.ident not in before] == []
    assert descendants_running("claude") == []
    with pytest.raises(SupervisorStopped):
        sup.submit("more")


def test_a_session_over_its_cost_limit_is_killed(scripted_model, supervisor_factory):
    model = scripted_model({"t": [touch("x.txt"), [text("done")]]})
    sup = supervisor_factory(model)
    (result,) = sup.spawn_and_wait_all(["[scenario:t] go"], max_cost_usd=0.000001)
    assert result.status is SessionStatus.KILLED
    assert "went over the limit" in (result.error or "")


def test_a_session_whose_directory_is_missing_fails_and_the_others_carry_on(
    scripted_model, supervisor_factory, tmp_path
):
    model = scripted_model({"t": [touch("x.txt"), [text("done")]]})
    sup = supervisor_factory(model)
    bad = sup.submit("[scenario:t] go", cwd=tmp_path / "missing")
    good = sup.submit("[scenario:t] go")
    results = {r.session_id: r for r in sup.wait_all(timeout=120)}
    assert results[bad].status is SessionStatus.FAILED
    assert "does not exist" in (results[bad].error or "")
    assert results[good].status is SessionStatus.COMPLETED


def test_a_stop_takes_effect_while_the_sessions_decision_is_still_pending(
    scripted_model, supervisor_factory, workspace
):
    model = scripted_model({"p": [touch("pending.txt"), [text("done")]]})
    entered, release = threading.Event(), threading.Event()

    def stuck_engine(call: ToolCall) -> Decision:
        entered.set()
        release.wait(60)
        return Decision("allow", "far too late")

    sup = supervisor_factory(model, policy=stuck_engine)
    try:
        session_id = sup.submit("[scenario:p] go")
        assert entered.wait(90), "the decision never reached the policy"
        result = sup.stop_session(session_id, timeout=30)
        assert not release.is_set(), "the stop did not wait for the decision"
        assert result is not None and result.status is SessionStatus.CANCELLED
        assert result.denials == 1
    finally:
        release.set()
    assert not (workspace / "pending.txt").exists()


def test_ctrl_c_inside_the_with_block_stops_every_session_and_its_tools(
    scripted_model, supervisor_factory, workspace
):
    model = scripted_model({"slow": [[tool("Bash", command=SLOW, description="slow")]]})
    sup = supervisor_factory(model)
    with pytest.raises(KeyboardInterrupt), sup:
        sup.submit("[scenario:slow] a")
        sup.submit("[scenario:slow] b")
        wait_for_descendant("time.sleep(30)")
        raise KeyboardInterrupt  # what Ctrl-C raises in the main thread
    assert descendants_running("time.sleep(30)") == []
    assert descendants_running("claude") == []
    assert {r.status for r in sup.wait_all(timeout=1)} == {SessionStatus.CANCELLED}
    assert not (workspace / "marker").exists()


def test_the_runs_budget_stops_every_session_and_drops_the_queue(
    scripted_model, supervisor_factory
):
    model = scripted_model(
        {
            "cheap": [touch("c.txt"), [text("done")]],
            "slow": [[tool("Bash", command=SLOW, description="slow")]],
        }
    )
    sup = supervisor_factory(model, max_sessions=2, budget_usd=0.000001)
    slow = sup.submit("[scenario:slow] runs until the budget is gone")
    cheap = sup.submit("[scenario:cheap] spends the budget")
    queued = sup.submit("[scenario:cheap] never starts")
    results = {r.session_id: r for r in sup.wait_all(timeout=120)}
    assert results[slow].status is SessionStatus.KILLED
    assert "budget" in (results[slow].error or "")
    assert results[queued].status is SessionStatus.KILLED
    assert results[queued].started_at is None
    assert results[cheap].status in (SessionStatus.COMPLETED, SessionStatus.KILLED)


def test_a_spawn_that_times_out_waiting_for_a_slot_never_starts_later(
    scripted_model, supervisor_factory
):
    model = scripted_model({"slow": [[tool("Bash", command=SLOW, description="slow")]]})
    sup = supervisor_factory(model, max_sessions=1)
    first = sup.spawn_session("[scenario:slow] holds the only slot")
    with pytest.raises(TimeoutError, match="no free slot"):
        sup.spawn_session("[scenario:slow] waits", timeout=0.5)
    second = next(info for info in sup.sessions() if info.id != first)
    result = sup.stop_session(first)
    assert result is not None and result.status is SessionStatus.CANCELLED
    sup.wait_all(timeout=30)
    assert sup.get_session(second.id).state == "cancelled"
    assert sup.get_session(second.id).started_at is None


def test_send_gives_a_session_kept_open_a_further_turn_and_close_session_ends_it(
    scripted_model, supervisor_factory, workspace
):
    model = scripted_model(
        {
            "two": [
                [tool("Write", file_path="one.txt", content="1")],
                [text("First done.")],
                [tool("Write", file_path="two.txt", content="2")],
                [text("Second done.")],
            ]
        }
    )
    sup = supervisor_factory(model, policy="moderate")
    turns = threading.Semaphore(0)

    def on_event(sender, *, session_id, event, **extra):
        if getattr(event, "type", "") == "result":
            turns.release()

    with signals.event_received.connected_to(on_event, sender=sup):
        sid = sup.submit("[scenario:two] go", keep_open=True)
        assert turns.acquire(timeout=60), "no first result"
        assert sup.get_session(sid).state == "running", "a session kept open waits for more"
        sup.send(sid, "now the second file")
        assert turns.acquire(timeout=60), "no second result"
        sup.close_session(sid)
        (result,) = sup.wait_all(timeout=60)
    assert result.status is SessionStatus.COMPLETED, result.error
    assert (workspace / "one.txt").exists() and (workspace / "two.txt").exists()
    assert result.stats.results == 2
    with pytest.raises(SessionError):
        sup.send(sid, "too late")
