"""The escalation chain against the scripted model: each mode, failing closed, the cache,
and what the reviews cost."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from csup.calls import Decision, ToolCall
from csup.errors import ConfigError
from csup.escalation import Escalation, Human, ReviewContext, Reviewer
from csup.testing import Review, ReviewScript, ScriptedModel

from .conftest import ASKED, CONTEXT, PUSH, asked, bash

ModelFactory = Callable[..., ScriptedModel]
ReviewerFactory = Callable[..., Reviewer]

VERDICTS = ReviewScript(
    default=Review("deny", "Publishing is not part of fixing a test."),
    by_command=[
        ("touch allowed", Review("allow", "A harmless file in the workspace.")),
        ("touch guided", Review("guide", "Not needed.", "Write the file with the Write tool.")),
    ],
)


class NoTerminalHuman(Human):
    """A human that is never there (the tests have no terminal to type on)."""

    def __init__(self) -> None:
        super().__init__(timeout=5, tty="/nonexistent/tty")


def test_deny_mode_denies_every_ask_and_says_escalation_is_off() -> None:
    decision = Escalation("deny").decide(PUSH, ASKED, CONTEXT)
    assert (decision.behavior, decision.source, decision.requested) == ("deny", "csup", "ask")
    assert 'escalate = "deny"' in decision.reason
    assert decision.rule == "net.publish"


def test_an_unknown_mode_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"reviewer\+human"):
        Escalation("ai")


def test_allow_and_deny_that_are_not_asks_pass_through_unchanged() -> None:
    allowed = Decision("allow", "fine", "level.moderate")
    assert Escalation("deny").decide(PUSH, allowed, CONTEXT) is allowed


@pytest.mark.parametrize(
    ("command", "behavior", "reason"),
    [
        ("touch allowed.txt", "allow", "allowed by csup's reviewer: A harmless file"),
        ("git push origin main", "deny", "denied by csup's reviewer: Publishing is not"),
        ("touch guided.txt", "deny", "Write the file with the Write tool."),
    ],
)
def test_the_reviewers_verdict_decides_in_reviewer_mode(
    review_model: ModelFactory,
    reviewer_for: ReviewerFactory,
    command: str,
    behavior: str,
    reason: str,
) -> None:
    model = review_model(VERDICTS)
    chain = Escalation("reviewer", reviewer=reviewer_for(model))
    decision = chain.decide(bash(command), asked(), CONTEXT)
    assert (decision.behavior, decision.source, decision.requested) == (behavior, "reviewer", "ask")
    assert decision.reason.startswith(reason)


def test_guide_hands_only_the_guidance_to_the_session(
    review_model: ModelFactory, reviewer_for: ReviewerFactory
) -> None:
    chain = Escalation("reviewer", reviewer=reviewer_for(review_model(VERDICTS)))
    decision = chain.decide(bash("touch guided.txt"), asked(), CONTEXT)
    assert decision.reason == "Write the file with the Write tool."


def test_the_reviewer_sees_task_steps_cwd_rule_and_call(
    review_model: ModelFactory, reviewer_for: ReviewerFactory
) -> None:
    model = review_model()
    context = ReviewContext("Fix the failing test", "/work/project", "s1", ("Bash: npm test",))
    Escalation("reviewer", reviewer=reviewer_for(model)).decide(PUSH, ASKED, context)
    (request,) = model.review_requests()
    prompt = request["messages"][0]["content"]
    for seen in ("Rule: net.publish", "Fix the failing test", "Bash: npm test"):
        assert seen in prompt
    assert '"cwd": "/work/project"' in prompt
    assert '"command": "git push origin main"' in prompt
    assert request["tool_choice"] == {"type": "tool", "name": "review_decision"}
    assert [t["name"] for t in request["tools"]] == ["review_decision"]
    assert request["model"] == "claude-sonnet-5-5"


# -- failing closed ------------------------------------------------------------------------


def _denied_by_csup(decision: Decision, why: str) -> None:
    assert (decision.behavior, decision.source) == ("deny", "csup")
    assert why in decision.reason
    assert decision.reason.startswith(ASKED.reason)  # still says what asked, and why


def test_no_api_key_is_a_deny_that_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    decision = Escalation("reviewer", reviewer=Reviewer()).decide(PUSH, ASKED, CONTEXT)
    _denied_by_csup(decision, "no API key: set ANTHROPIC_API_KEY")


def test_an_http_error_is_a_deny_that_names_the_status(
    review_model: ModelFactory, reviewer_for: ReviewerFactory
) -> None:
    model = review_model(ReviewScript(default=Review(error=500)))
    decision = Escalation("reviewer", reviewer=reviewer_for(model)).decide(PUSH, ASKED, CONTEXT)
    _denied_by_csup(decision, "API error: the reviewer answered HTTP 500")
    assert len(model.review_requests()) == 1  # no retries: the time limit holds


def test_an_unreachable_reviewer_is_a_deny(
    review_model: ModelFactory, reviewer_for: ReviewerFactory
) -> None:
    model = review_model()
    url = model.base_url
    model.stop()
    reviewer = reviewer_for(url, timeout=5)
    decision = Escalation("reviewer", reviewer=reviewer).decide(PUSH, ASKED, CONTEXT)
    _denied_by_csup(decision, "API error: cannot reach the reviewer")


def test_a_slow_reviewer_is_a_deny_within_the_time_limit(
    review_model: ModelFactory, reviewer_for: ReviewerFactory
) -> None:
    model = review_model(ReviewScript(default=Review("allow", delay=60)))
    chain = Escalation("reviewer", reviewer=reviewer_for(model, timeout=0.5))
    decision = chain.decide(PUSH, ASKED, CONTEXT)
    _denied_by_csup(decision, "timeout: the reviewer gave no answer within 0.5 s")


def test_a_malformed_verdict_is_a_deny_never_an_allow(
    review_model: ModelFactory, reviewer_for: ReviewerFactory
) -> None:
    model = review_model(ReviewScript(default=Review("allow", malformed=True)))
    decision = Escalation("reviewer", reviewer=reviewer_for(model)).decide(PUSH, ASKED, CONTEXT)
    _denied_by_csup(decision, "malformed answer: decision None is not one of allow, deny, guide")


def test_an_unknown_decision_is_a_malformed_answer(
    review_model: ModelFactory, reviewer_for: ReviewerFactory
) -> None:
    model = review_model(ReviewScript(default=Review("probably")))
    decision = Escalation("reviewer", reviewer=reviewer_for(model)).decide(PUSH, ASKED, CONTEXT)
    _denied_by_csup(decision, "malformed answer: decision 'probably'")


def test_the_spending_limit_stops_reviews_once_reached(
    review_model: ModelFactory, reviewer_for: ReviewerFactory
) -> None:
    # 1M input tokens at Sonnet 5.5's $2/M: the first review alone costs $2.
    model = review_model(ReviewScript(default=Review("allow", usage=(1_000_000, 0))))
    chain = Escalation("reviewer", reviewer=reviewer_for(model, spending_limit=1.0))
    first = chain.decide(bash("touch a"), asked(), CONTEXT)
    second = chain.decide(bash("touch b"), asked(), CONTEXT)
    assert first.behavior == "allow"
    _denied_by_csup(second, "spending limit reached: the reviews of this run cost $2.0000")
    assert len(model.review_requests()) == 1  # the second was never sent


def test_a_failed_review_goes_to_the_person_in_reviewer_human_mode(
    review_model: ModelFactory, reviewer_for: ReviewerFactory
) -> None:
    """reviewer+human: what the reviewer cannot settle is the person's; with no terminal
    that is a deny saying there is none."""
    model = review_model(ReviewScript(default=Review(error=529)))
    chain = Escalation("reviewer+human", reviewer=reviewer_for(model), human=NoTerminalHuman())
    decision = chain.decide(PUSH, ASKED, CONTEXT)
    assert (decision.behavior, decision.source) == ("deny", "csup")
    assert "no terminal to ask a person on" in decision.reason


def test_the_reviewers_deny_stands_in_reviewer_human_mode(
    review_model: ModelFactory, reviewer_for: ReviewerFactory
) -> None:
    chain = Escalation(
        "reviewer+human", reviewer=reviewer_for(review_model(VERDICTS)), human=NoTerminalHuman()
    )
    assert chain.decide(PUSH, ASKED, CONTEXT).source == "reviewer"
    allowed = chain.decide(bash("touch allowed"), asked(), CONTEXT)
    assert (allowed.behavior, allowed.source) == ("allow", "reviewer")


def test_human_mode_without_a_terminal_denies_at_once() -> None:
    decision = Escalation("human", human=NoTerminalHuman()).decide(PUSH, ASKED, CONTEXT)
    assert (decision.behavior, decision.source) == ("deny", "csup")
    assert "/nonexistent/tty" in decision.reason


def test_a_reviewer_that_raises_anything_is_a_deny() -> None:
    class Broken(Reviewer):
        def review(self, *args: object) -> object:  # type: ignore[override]
            raise RuntimeError("boom")

    decision = Escalation("reviewer", reviewer=Broken()).decide(PUSH, ASKED, CONTEXT)
    _denied_by_csup(decision, "RuntimeError: boom")


# -- the cache -----------------------------------------------------------------------------


def test_the_same_call_in_the_same_context_is_reviewed_once(
    review_model: ModelFactory, reviewer_for: ReviewerFactory
) -> None:
    model = review_model(VERDICTS)
    chain = Escalation("reviewer", reviewer=reviewer_for(model))
    same = [
        ToolCall("Bash", {"command": "git push origin main", "description": "a"}, "/w"),
        ToolCall("Bash", {"description": "b", "command": "git  push origin main "}, "/w"),
    ]
    other_cwd = ToolCall("Bash", {"command": "git push origin main"}, "/elsewhere")
    decisions = [chain.decide(call, asked(), CONTEXT) for call in [*same, other_cwd]]
    chain.decide(same[0], asked("other.rule"), CONTEXT)  # another rule: another review
    assert {d.behavior for d in decisions} == {"deny"}
    assert len(model.review_requests()) == 3
    stats = chain.stats()
    assert (stats["reviews"], stats["cache_hits"]) == (3, 1)
    assert stats["verdicts"] == {"allow": 0, "deny": 3, "guide": 0}


def test_a_failed_review_is_not_remembered(
    review_model: ModelFactory, reviewer_for: ReviewerFactory
) -> None:
    model = review_model(ReviewScript(default=Review(error=500)))
    chain = Escalation("reviewer", reviewer=reviewer_for(model))
    for _ in range(2):
        assert chain.decide(PUSH, ASKED, CONTEXT).source == "csup"
    assert len(model.review_requests()) == 2
    assert chain.stats()["failures"] == 2


def test_identical_calls_asked_at_once_share_one_review(
    review_model: ModelFactory, reviewer_for: ReviewerFactory
) -> None:
    model = review_model(VERDICTS)
    chain = Escalation("reviewer", reviewer=reviewer_for(model))
    results: list[Decision] = []
    threads = [
        threading.Thread(target=lambda: results.append(chain.decide(PUSH, ASKED, CONTEXT)))
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [d.behavior for d in results] == ["deny"] * 6
    assert len(model.review_requests()) == 1
    assert chain.stats()["cache_hits"] == 5


# -- cost ----------------------------------------------------------------------------------


def test_tokens_and_cost_equal_the_usage_the_model_reported(
    review_model: ModelFactory, reviewer_for: ReviewerFactory
) -> None:
    model = review_model(VERDICTS)
    reviewer = reviewer_for(model)
    chain = Escalation("reviewer", reviewer=reviewer)
    commands = ["touch allowed", "touch guided", "git push", "rm -r build"]
    threads = [
        threading.Thread(target=chain.decide, args=(bash(c), asked(), CONTEXT)) for c in commands
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    reported = [r.usage for r in model.review_requests()]
    assert len(reported) == 4 and all(reported)
    tokens_in = sum(u["input_tokens"] for u in reported if u)
    tokens_out = sum(u["output_tokens"] for u in reported if u)
    usage = reviewer.usage()
    assert (usage.requests, usage.input_tokens, usage.output_tokens) == (4, tokens_in, tokens_out)
    assert usage.cost_usd == pytest.approx(tokens_in * 2e-6 + tokens_out * 10e-6)
    assert chain.stats()["reviewer"]["cost_usd"] == usage.cost_usd


# -- the scripted model's side ----------------------------------------------------------------


def test_review_verdicts_are_chosen_by_command_then_rule_then_default(
    review_model: ModelFactory, reviewer_for: ReviewerFactory
) -> None:
    script = ReviewScript(
        default=Review("deny", "default"),
        by_rule={"fs.outside": Review("allow", "by rule")},
        by_command=[("make deploy", Review("guide", "by command", "Use staging."))],
    )
    reviewer = reviewer_for(review_model(script))
    chain = Escalation("reviewer", reviewer=reviewer)
    by_command = chain.decide(bash("make deploy"), asked("fs.outside"), CONTEXT)
    by_rule = chain.decide(bash("cp a ../b"), asked("fs.outside"), CONTEXT)
    default = chain.decide(bash("cp a ../b"), asked("net.publish"), CONTEXT)
    assert [by_command.reason, by_rule.reason, default.reason] == [
        "Use staging.",
        "allowed by csup's reviewer: by rule",
        "denied by csup's reviewer: default",
    ]


def test_claudes_turns_are_still_played_alongside_reviews(
    review_model: ModelFactory, reviewer_for: ReviewerFactory
) -> None:
    import json  # noqa: PLC0415
    import urllib.request  # noqa: PLC0415

    from csup.testing.script import normalize, text  # noqa: PLC0415

    model = review_model(VERDICTS)
    model.scenarios["s"] = normalize([[text("Hello.")]])
    chain = Escalation("reviewer", reviewer=reviewer_for(model))
    chain.decide(PUSH, ASKED, CONTEXT)
    body = {
        "model": "m",
        "max_tokens": 10,
        "tools": [{"name": "Bash", "input_schema": {}}],
        "messages": [{"role": "user", "content": "[scenario:s] go"}],
    }
    request = urllib.request.Request(
        f"{model.base_url}/v1/messages",
        json.dumps(body).encode(),
        {"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.load(response)["type"] == "message"
    assert [r.kind for r in model.requests] == ["review", "turn"]


def test_the_callbacks_see_each_escalation_asked_and_answered(
    review_model: ModelFactory, reviewer_for: ReviewerFactory
) -> None:
    seen: list[tuple[str, str]] = []
    chain = Escalation(
        "reviewer",
        reviewer=reviewer_for(review_model(VERDICTS)),
        on_asked=lambda call, asked, context: seen.append(("asked", asked.behavior)),
        on_answered=lambda call, decision, context, s: seen.append(("answered", decision.source)),
    )
    chain.decide(PUSH, ASKED, CONTEXT)
    assert seen == [("asked", "ask"), ("answered", "reviewer")]
    assert chain.stats()["outcomes"] == {"reviewer:deny": 1}


def test_a_failing_callback_changes_nothing() -> None:
    def boom(*args: object) -> None:
        raise RuntimeError("view gone")

    chain = Escalation("deny", on_asked=boom, on_answered=boom)
    assert chain.decide(PUSH, ASKED, CONTEXT).behavior == "deny"


def test_the_cli_options_build_the_chain_the_flag_or_the_policy_file_names() -> None:
    from csup.cli.escalation import make_escalation  # noqa: PLC0415

    assert make_escalation(None).mode == "deny"
    assert make_escalation(None, "human").mode == "human"
    chain = make_escalation("reviewer+human", "deny", "claude-haiku-5-5", 5.0, 1.5, 60.0)
    assert chain.mode == "reviewer+human"
    assert chain.reviewer is not None and chain.human is not None
    assert (chain.reviewer.model, chain.reviewer.timeout) == ("claude-haiku-5-5", 5.0)
    assert (chain.reviewer.spending_limit, chain.human.timeout) == (1.5, 60.0)
    assert make_escalation("reviewer").human is None
    answered: list[str] = []
    chain = make_escalation("deny", on_answered=lambda c, d, ctx, s: answered.append(d.source))
    chain.decide(PUSH, ASKED, CONTEXT)
    assert answered == ["csup"]


def test_an_answer_that_trickles_in_is_cut_at_the_time_limit(
    reviewer_for: ReviewerFactory,
) -> None:
    """Each read of the SDK gets a byte in time, so only the whole-review bound ends it."""
    import socket  # noqa: PLC0415

    stop = threading.Event()
    server = socket.create_server(("127.0.0.1", 0))

    def trickle() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n")
            while not stop.wait(0.05):
                try:
                    conn.sendall(b"x-pad: 1\r\n")
                except OSError:
                    return

    thread = threading.Thread(target=trickle)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.getsockname()[1]}"
        reviewer = reviewer_for(url, timeout=0.5)
        decision = Escalation("reviewer", reviewer=reviewer).decide(PUSH, ASKED, CONTEXT)
        _denied_by_csup(decision, "timeout: the reviewer gave no answer within 0.5 s")
    finally:
        stop.set()
        thread.join()
        server.close()


def test_the_mode_decides_who_is_asked(
    review_model: ModelFactory, reviewer_for: ReviewerFactory
) -> None:
    model = review_model(VERDICTS)
    chain = Escalation("human", reviewer=reviewer_for(model), human=NoTerminalHuman())
    assert chain.reviewer is None
    assert chain.decide(bash("touch allowed"), asked(), CONTEXT).source == "csup"
    assert model.review_requests() == []
    assert Escalation("reviewer", human=NoTerminalHuman()).human is None


def test_a_closed_reviewer_opens_again_on_the_next_review(
    review_model: ModelFactory, reviewer_for: ReviewerFactory
) -> None:
    chain = Escalation("reviewer", reviewer=reviewer_for(review_model(VERDICTS)))
    assert chain.decide(bash("touch allowed"), asked(), CONTEXT).behavior == "allow"
    chain.close()
    assert chain.decide(bash("touch allowed again"), asked(), CONTEXT).source == "reviewer"
    chain.close()


def test_the_model_server_reads_review_verdicts_from_json(
    tmp_path: Path, reviewer_for: ReviewerFactory
) -> None:
    import json  # noqa: PLC0415
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    spec = {
        "default": {"decision": "deny", "reason": "from the file"},
        "by_command": [["touch ok", {"decision": "allow", "usage": [10, 2]}]],
    }
    path = tmp_path / "reviews.json"
    path.write_text(json.dumps(spec))
    server = subprocess.Popen(
        [sys.executable, "-m", "csup.testing.model_server", "--reviews", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        reviewer = reviewer_for(server.stdout.readline().strip())
        chain = Escalation("reviewer", reviewer=reviewer)
        assert chain.decide(bash("rm x"), asked(), CONTEXT).reason.endswith("from the file")
        assert chain.decide(bash("touch ok"), asked(), CONTEXT).behavior == "allow"
        assert reviewer.usage().input_tokens > 10  # the default's estimate, plus 10
    finally:
        server.terminate()
        server.wait(10)
        if server.stdout is not None:
            server.stdout.close()


@pytest.mark.parametrize(
    "bad",
    [[], {"defaults": {}}, {"by_command": [["x"]]}, {"by_rule": []}, {"default": "allow"}],
)
def test_bad_review_json_is_a_value_error(bad: object) -> None:
    from csup.testing.script import parse_reviews  # noqa: PLC0415

    with pytest.raises(ValueError):
        parse_reviews(bad)
