"""Session statistics avoid the stream's traps (duplicated usage, cumulative cost)."""

from __future__ import annotations

import json
from pathlib import Path

from csup.claude.events import parse_event
from csup.claude.stats import SessionStats, Tokens

PUBLIC = Path(__file__).resolve().parents[1] / "data" / "transcripts"


def assistant(msg_id, tool_ids=(), usage=None):
    content = [{"type": "tool_use", "id": t, "name": "Bash", "input": {}} for t in tool_ids]
    return parse_event(
        {
            "type": "assistant",
            "message": {"id": msg_id, "content": content, "usage": usage or {}},
        }
    )


def result(**fields):
    return parse_event({"type": "result", **fields})


def test_usage_repeated_on_lines_of_one_message_is_counted_once():
    stats = SessionStats()
    usage = {"input_tokens": 100, "output_tokens": 5}
    stats.observe(assistant("m1", ["t1"], usage))
    stats.observe(assistant("m1", ["t2"], usage))
    assert stats.snapshot().tokens == Tokens(input=100, output=5)
    assert stats.snapshot().tool_calls == 2


def test_a_message_whose_usage_is_updated_counts_its_latest_usage():
    stats = SessionStats()
    stats.observe(assistant("m1", [], {"input_tokens": 100, "output_tokens": 1}))
    stats.observe(assistant("m2", [], {"input_tokens": 7}))
    stats.observe(assistant("m1", [], {"input_tokens": 100, "output_tokens": 50}))
    assert stats.snapshot().tokens == Tokens(input=107, output=50)


def test_a_finished_turn_takes_its_tokens_from_the_result():
    stats = SessionStats()
    stats.observe(assistant("m1", [], {"input_tokens": 100, "output_tokens": 1}))
    stats.observe(result(usage={"input_tokens": 400, "output_tokens": 80}, num_turns=2))
    assert stats.snapshot().tokens == Tokens(input=400, output=80)
    assert stats.snapshot().turns == 2


def test_cost_is_the_last_total_not_a_sum():
    stats = SessionStats()
    stats.observe(result(total_cost_usd=0.5))
    stats.observe(result(total_cost_usd=0.75))
    assert stats.snapshot().cost_usd == 0.75


def test_permission_denials_in_the_result_count_as_denials_once():
    stats = SessionStats()
    stats.record_decision("t1", allowed=False)
    stats.observe(result(permission_denials=[{"tool_use_id": "t1"}, {"tool_use_id": "t2"}]))
    snap = stats.snapshot()
    assert snap.denials == 2
    assert snap.approvals == 0


def test_a_tool_call_counts_once_even_if_reported_twice():
    stats = SessionStats()
    stats.observe(assistant("m1", ["t1"]))
    stats.observe(assistant("m2", ["t1"]))
    stats.record_decision("t1", allowed=True)
    stats.record_decision("t1", allowed=True)
    snap = stats.snapshot()
    assert snap.tool_calls == 1
    assert snap.approvals == 1


def test_a_real_transcript_with_parallel_tool_calls_gives_sane_figures():
    path = PUBLIC / "claude-clean__stream-json-log__cc2.0.25_bypass_bash.jsonl"
    stats = SessionStats()
    for line in path.read_text().splitlines():
        if line.strip():
            stats.observe(parse_event(json.loads(line)))
    snap = stats.snapshot()
    final = [json.loads(x) for x in path.read_text().splitlines() if '"type":"result"' in x]
    assert snap.results == 1
    assert snap.cost_usd == final[-1]["total_cost_usd"]
    assert snap.turns == final[-1]["num_turns"]
    assert snap.tool_calls > 0
