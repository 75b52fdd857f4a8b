"""The session core as a plain state machine: no threads, no process, a manual clock."""

from __future__ import annotations

from csup.calls import Decision
from csup.claude.events import parse_event
from csup.claude.options import SessionOptions
from csup.claude.result import SessionStatus
from csup.clock import ManualClock
from csup.session import core as c
from csup.session.ladder import KILL_WAIT


def make(**options):
    clock = ManualClock()
    core = c.SessionCore("s1", "task", SessionOptions(cwd="/tmp", **options), clock=clock)
    return core, clock


def started(**options):
    core, clock = make(**options)
    core.start()
    core.output(
        parse_event(
            {
                "type": "control_response",
                "response": {"subtype": "success", "request_id": "csup_init_s1"},
            }
        )
    )
    return core, clock


def tool_request(rid="r1", command="ls", tool_use_id="toolu_1"):
    return parse_event(
        {
            "type": "control_request",
            "request_id": rid,
            "request": {
                "subtype": "hook_callback",
                "callback_id": "csup_pre_tool_use",
                "input": {
                    "hook_event_name": "PreToolUse",
                    "tool_name": "Bash",
                    "tool_input": {"command": command},
                    "tool_use_id": tool_use_id,
                    "cwd": "/tmp",
                },
            },
        }
    )


def result(is_error=False, **extra):
    return parse_event(
        {
            "type": "result",
            "subtype": "success",
            "is_error": is_error,
            "num_turns": 1,
            "total_cost_usd": 0.01,
            **extra,
        }
    )


def kinds(actions):
    return [type(a).__name__ for a in actions]


def finished_result(actions):
    (done,) = [a for a in actions if isinstance(a, c.Finished)]
    return done.result


def test_start_initializes_claude_and_gives_it_the_task():
    core, _ = make()
    actions = core.start()
    assert [a.message["type"] for a in actions] == ["control_request", "user"]


def test_an_exit_before_initialize_ends_the_session_as_failed_with_the_stderr():
    core, _ = make()
    core.start()
    actions = core.exited(1, "boom: no such option")
    assert kinds(actions) == ["KillTree", "Finished"]
    res = finished_result(actions)
    assert res.status is SessionStatus.FAILED and res.exited_early
    assert "code 1" in res.error and "boom" in res.error


def test_claude_that_never_answers_initialize_fails_at_the_startup_limit():
    core, clock = make(startup_timeout=5)
    core.start()
    assert core.next_deadline() == 5
    clock.advance(5)
    actions = core.tick()
    assert kinds(actions)[:2] == ["NoteProcesses", "CloseInput"]
    assert core.stopping
    res = finished_result(core.exited(0))
    assert res.status is SessionStatus.FAILED and "did not answer within 5s" in res.error


def test_a_tool_request_is_asked_once_and_answered_once():
    core, _ = started()
    (ask,) = core.output(tool_request())
    assert isinstance(ask, c.Ask) and ask.call.tool_input == {"command": "ls"}
    assert core.output(tool_request()) == [], "a repeated request id is not asked again"
    actions = core.decided("r1", Decision("allow", "fine"))
    assert kinds(actions) == ["Write", "Applied"]
    assert (
        actions[0].message["response"]["response"]["hookSpecificOutput"]["permissionDecision"]
        == "allow"
    )
    assert core.decided("r1", Decision("deny", "late")) == [], "a second answer is ignored"


def test_a_decision_that_never_comes_is_a_deny_at_its_deadline_and_a_late_one_is_ignored():
    core, clock = started(decision_timeout=3)
    core.output(tool_request())
    clock.advance(3)
    _, applied = core.tick()
    assert (
        applied.decision.behavior == "deny" and "no decision within 3s" in applied.decision.reason
    )
    assert core.decided("r1", Decision("allow", "too late")) == []
    assert core.stats().denials == 1


def test_ask_with_nobody_to_ask_is_a_deny_that_says_so():
    core, _ = started()
    core.output(tool_request())
    _, applied = core.decided("r1", Decision("ask", "needs a person", "x.ask"))
    assert applied.decision.behavior == "deny" and "no approver" in applied.decision.reason
    assert applied.decision.requested == "ask"


def test_a_request_claude_cancels_is_never_answered():
    core, _ = started()
    core.output(tool_request())
    core.output(parse_event({"type": "control_cancel_request", "request_id": "r1"}))
    assert core.decided("r1", Decision("allow", "fine")) == []


def test_an_exit_mid_decision_ends_the_session_and_counts_the_call_as_not_run():
    core, _ = started()
    core.output(tool_request())
    res = finished_result(core.exited(-11, "Segmentation fault"))
    assert res.status is SessionStatus.FAILED and res.denials == 1
    assert core.decided("r1", Decision("allow", "fine")) == []


def test_a_stop_denies_what_waits_and_interrupts_a_running_turn():
    core, _ = started()
    core.output(tool_request())
    actions = core.stop("enough")
    assert kinds(actions) == ["Write", "Applied", "NoteProcesses", "Write"]
    assert actions[3].message["request"]["subtype"] == "interrupt"
    assert "the session was stopped: enough" in actions[1].decision.reason


def test_the_ladder_climbs_on_its_deadlines_and_ends_the_session_even_if_claude_never_exits():
    core, clock = started(interrupt_wait=1, close_wait=1, term_wait=1)
    core.stop("enough")
    steps = []
    for wait in (1, 1, 1):
        clock.advance(wait)
        steps += kinds(core.tick())
    assert steps == ["NoteProcesses", "CloseInput", "NoteProcesses", "Terminate", "KillTree"]
    clock.advance(KILL_WAIT)
    res = finished_result(core.tick())
    assert res.status is SessionStatus.CANCELLED and "did not confirm its exit" in res.error


def test_the_interrupts_result_moves_the_ladder_on_at_once():
    core, _ = started()
    core.stop("enough")
    actions = core.output(result(is_error=True, subtype="error_during_execution"))
    assert kinds(actions) == ["TurnEnded", "NoteProcesses", "CloseInput"]


def test_a_forced_stop_kills_at_once_and_cuts_a_stop_under_way_short():
    core, _ = started()
    core.stop("enough")
    assert kinds(core.stop("now", force=True)) == ["KillTree"]
    assert core.stop("again", force=True) == []


def test_a_result_ends_the_work_and_a_claude_that_does_not_exit_is_made_to():
    core, clock = started()
    actions = core.output(result())
    assert kinds(actions) == ["TurnEnded", "NoteProcesses", "CloseInput"]
    assert core.stop("late stop") == [], "a finished session is not cancelled afterwards"
    clock.advance(c.END_WAIT)
    assert kinds(core.tick()) == ["NoteProcesses", "Terminate"]
    res = finished_result(core.exited(143))
    assert res.status is SessionStatus.COMPLETED


def test_idle_means_no_output_and_no_tool_running():
    core, clock = started(idle_timeout=10)
    core.output(
        parse_event(
            {
                "type": "assistant",
                "message": {
                    "id": "m1",
                    "content": [
                        {
                            "type": "tool_use",
                            "id": "toolu_1",
                            "name": "Bash",
                            "input": {"command": "make test"},
                        }
                    ],
                },
            }
        )
    )
    core.output(tool_request())
    core.decided("r1", Decision("allow", "fine"))
    clock.advance(60)
    assert core.tick() == [], "a tool is running: not idle"
    core.output(
        parse_event(
            {
                "type": "user",
                "message": {
                    "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "ok"}]
                },
            }
        )
    )
    clock.advance(10)
    assert core.stopping is False
    core.tick()
    assert core.stopping, "no output and no tool for 10 s: idle"


def test_a_result_while_background_tasks_run_waits_for_them_and_the_turn_after():
    core, _ = started()
    core.output(
        parse_event(
            {"type": "system", "subtype": "background_tasks_changed", "tasks": [{"task_id": "t1"}]}
        )
    )
    assert kinds(core.output(result())) == ["TurnEnded"], "claude still works in the background"
    core.output(parse_event({"type": "system", "subtype": "background_tasks_changed", "tasks": []}))
    assert kinds(core.output(result())) == ["TurnEnded", "NoteProcesses", "CloseInput"]


def test_the_cost_limit_kills_the_session_at_a_result():
    core, _ = started(max_cost_usd=0.001)
    core.output(result())
    res = finished_result(core.exited(1))
    assert res.status is SessionStatus.KILLED and "over the limit" in res.error


def test_an_unreachable_api_is_reported_in_plain_words_with_its_retries():
    core, _ = started()
    core.output(
        parse_event(
            {
                "type": "system",
                "subtype": "api_retry",
                "attempt": 2,
                "max_retries": 2,
                "error": "unknown",
            }
        )
    )
    core.output(
        result(
            is_error=True,
            api_error="connection_failed",
            terminal_reason="api_error",
            result="API Error: Connection refused",
        )
    )
    res = finished_result(core.exited(0))
    assert res.status is SessionStatus.FAILED
    assert res.error.startswith("claude could not connect to the model API after 2 retries")
    assert "(success)" not in res.error


def test_denied_calls_are_kept_with_their_rule_and_reason():
    core, _ = started()
    core.output(tool_request(command="rm -rf ~"))
    core.decided("r1", Decision("deny", "no", "fs.rm-root-or-home"))
    core.output(result())
    res = finished_result(core.exited(0))
    (denied,) = res.denied
    assert (denied.tool, denied.input, denied.rule, denied.reason) == (
        "Bash",
        "rm -rf ~",
        "fs.rm-root-or-home",
        "no",
    )


def test_a_session_that_could_not_start_is_failed_with_the_reason():
    core, _ = make()
    res = finished_result(core.start_failed("Could not start claude (x): no such file"))
    assert res.status is SessionStatus.FAILED and "no such file" in res.error


def test_until_runs_the_check_under_the_policy_and_feeds_a_failure_back_as_the_next_prompt():
    core, _ = started(until="make test", max_rounds=2)
    (ask,) = core.output(result())[1:]
    assert isinstance(ask, c.Ask) and ask.call.kind == "until"
    assert ask.call.tool_input == {"command": "make test"}
    (run,) = core.decided(ask.request_id, Decision("allow", "fine"))
    assert isinstance(run, c.RunCheck) and run.command == "make test"
    (prompt,) = core.check_done(False, "exit status 2\nFAILED test_x")
    assert (
        prompt.message["type"] == "user" and "FAILED test_x" in prompt.message["message"]["content"]
    )
    ask2 = core.output(result())[1]
    core.decided(ask2.request_id, Decision("allow", "fine"))
    assert kinds(core.check_done(False, "still failing")) == ["NoteProcesses", "CloseInput"]
    res = finished_result(core.exited(0))
    assert res.status is SessionStatus.FAILED and res.rounds == 2
    assert "still failed after 2 rounds" in res.error


def test_until_that_passes_completes_the_session():
    core, _ = started(until="true")
    ask = core.output(result())[1]
    core.decided(ask.request_id, Decision("allow", "fine"))
    assert kinds(core.check_done(True, "")) == ["NoteProcesses", "CloseInput"]
    res = finished_result(core.exited(0))
    assert res.status is SessionStatus.COMPLETED and res.rounds == 1


def test_until_denied_by_the_policy_ends_the_session_saying_so():
    core, _ = started(until="rm -rf ~")
    ask = core.output(result())[1]
    core.decided(ask.request_id, Decision("deny", "no", "fs.rm-root-or-home"))
    res = finished_result(core.exited(0))
    assert res.status is SessionStatus.FAILED and "policy denied the --until check" in res.error


def test_an_until_check_whose_decision_or_end_never_comes_ends_the_session_anyway():
    core, clock = started(until="make test", decision_timeout=5, until_timeout=10)
    core.output(result())
    clock.advance(5)
    assert kinds(core.tick()) == ["NoteProcesses", "CloseInput"]
    res = finished_result(core.exited(0))
    assert res.status is SessionStatus.FAILED and "was not run: no decision within 5s" in res.error

    core, clock = started(until="make test", until_timeout=10)
    ask = core.output(result())[1]
    core.decided(ask.request_id, Decision("allow", "fine"))
    clock.advance(10 + c.CHECK_GRACE)
    assert kinds(core.tick()) == ["NoteProcesses", "CloseInput"]
    res = finished_result(core.exited(0))
    assert res.status is SessionStatus.FAILED and "never reported its end" in res.error
