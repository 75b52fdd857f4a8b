"""The scripted model's HTTP behaviour, driven with http.client (no claude involved)."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from csup.testing import ScriptedModel, parse_scenarios, text, tool, turn
from csup.testing.script import select

TOOLS = [{"name": "Bash", "input_schema": {"type": "object"}}]


def post(
    model: ScriptedModel, body: dict[str, Any], path: str = "/v1/messages?beta=true"
) -> tuple[int, str, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", model.port, timeout=10)
    try:
        conn.request("POST", path, json.dumps(body), {"content-type": "application/json"})
        resp = conn.getresponse()
        return resp.status, resp.getheader("content-type") or "", resp.read()
    finally:
        conn.close()


def sse(payload: bytes) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for chunk in payload.decode().strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in chunk.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def ask(task: str, *history: dict[str, Any], stream: bool = True) -> dict[str, Any]:
    return {
        "model": "claude-test",
        "stream": stream,
        "tools": TOOLS,
        "messages": [{"role": "user", "content": [{"type": "text", "text": task}]}, *history],
    }


def assistant() -> dict[str, Any]:
    return {"role": "assistant", "content": [{"type": "text", "text": "earlier"}]}


SCENARIOS = {
    "two": [[text("Listing."), tool("Bash", command="ls", description="list")], [text("Done!")]],
    "default": [[text("default scenario")]],
}


def test_streams_the_turn_as_sse(scripted_model):
    model = scripted_model(SCENARIOS)
    status, ctype, payload = post(model, ask("[scenario:two] go"))
    assert (status, ctype) == (200, "text/event-stream")
    events = sse(payload)
    assert [name for name, _ in events] == [
        "message_start",
        *["content_block_start", "content_block_delta", "content_block_stop"] * 2,
        "message_delta",
        "message_stop",
    ]
    assert all(data["type"] == name for name, data in events)
    start = events[0][1]["message"]
    assert start["model"] == "claude-test" and start["usage"]["input_tokens"] > 0
    assert events[2][1]["delta"] == {"type": "text_delta", "text": "Listing."}
    use = events[4][1]["content_block"]
    assert use["type"] == "tool_use" and use["name"] == "Bash" and use["id"].startswith("toolu_")
    delta = events[5][1]["delta"]
    assert delta["type"] == "input_json_delta"
    assert json.loads(delta["partial_json"]) == {"command": "ls", "description": "list"}
    assert events[-2][1]["delta"]["stop_reason"] == "tool_use"
    assert events[-2][1]["usage"]["output_tokens"] > 0


def test_turn_is_counted_from_the_assistant_messages(scripted_model):
    model = scripted_model(SCENARIOS)
    first = json.loads(post(model, ask("[scenario:two] go", stream=False))[2])
    again = json.loads(post(model, ask("[scenario:two] go", stream=False))[2])  # a retry
    second = json.loads(post(model, ask("[scenario:two] go", assistant(), stream=False))[2])
    over = json.loads(post(model, ask("[scenario:two] go", *[assistant()] * 5, stream=False))[2])
    assert first["stop_reason"] == again["stop_reason"] == "tool_use"
    assert first["content"][1]["id"] != again["content"][1]["id"]  # ids stay unique
    assert second["content"] == [text("Done!")] and second["stop_reason"] == "end_turn"
    assert over["content"] == [text(model.final_text)] and over["stop_reason"] == "end_turn"
    assert [r.turn for r in model.turn_requests("two")] == [0, 0, 1, 5]


def test_scenario_selection(scripted_model):
    model = scripted_model(SCENARIOS)
    default = json.loads(post(model, ask("no key here", stream=False))[2])
    unknown = json.loads(post(model, ask("[scenario:nope] go", stream=False))[2])
    assert default["content"] == [text("default scenario")]
    assert "no scenario 'nope'" in unknown["content"][0]["text"]
    assert [r.scenario for r in model.requests] == ["default", "nope"]
    body = ask("plain", {"role": "user", "content": "then [scenario:two] and [scenario:x]"})
    assert select(body).scenario == "two"


def test_side_requests_answer_text_and_play_no_turn(scripted_model):
    model = scripted_model(SCENARIOS)
    side = {"model": "m", "messages": [{"role": "user", "content": "[scenario:two] title?"}]}
    answer = json.loads(post(model, side)[2])
    assert answer["content"] == [text(model.side_text)] and answer["stop_reason"] == "end_turn"
    assert model.requests[0].kind == "side" and model.turn_requests() == []


def test_other_endpoints(scripted_model):
    model = scripted_model(SCENARIOS)
    status, _, payload = post(model, ask("x"), "/v1/messages/count_tokens")
    assert status == 200 and json.loads(payload)["input_tokens"] > 0
    status, _, payload = post(model, {}, "/v1/nothing")
    assert status == 404 and json.loads(payload)["error"]["type"] == "not_found_error"
    status, _, payload = post(model, {}, "/v1/messages")  # no tools: a side request
    assert status == 200 and json.loads(payload)["content"] == [text(model.side_text)]
    conn = http.client.HTTPConnection("127.0.0.1", model.port, timeout=10)
    conn.request("POST", "/v1/messages", b"not json")
    assert conn.getresponse().status == 400
    conn.close()
    conn = http.client.HTTPConnection("127.0.0.1", model.port, timeout=10)
    conn.request("HEAD", "/api/hello")  # claude's connectivity check
    assert conn.getresponse().status == 200
    conn.close()
    kinds = [r.kind for r in model.requests]
    assert kinds == ["count_tokens", "other", "side", "other", "other"]
    assert model.requests[1].path == "/v1/nothing"


def test_error_turn_is_served_error_times_per_session(scripted_model):
    model = scripted_model({"e": [turn(text("ok"), error=529, error_times=2)]})
    statuses = [post(model, ask("[scenario:e] go"))[0] for _ in range(3)]
    assert statuses == [529, 529, 200]
    status, _, _ = post(model, ask("[scenario:e] go", {"role": "user", "content": "x"}))
    assert status == 200  # the same (session-less) key: the errors are used up


def test_delay_turn_and_stop_during_a_delay(scripted_model):
    model = scripted_model({"slow": [turn(text("late"), delay=30)]})
    results: list[int] = []
    thread = threading.Thread(target=lambda: results.append(post(model, ask("[scenario:slow]"))[0]))
    thread.start()
    assert model.wait_for(lambda reqs: len(reqs) == 1, timeout=5)
    started = time.monotonic()
    model.stop()  # does not wait for the delay
    thread.join(timeout=10)
    assert time.monotonic() - started < 5 and results == [529]


def test_tool_results_pair_each_result_with_its_tool_use(scripted_model):
    model = scripted_model(SCENARIOS)
    use = {"type": "tool_use", "id": "toolu_x", "name": "Bash", "input": {"command": "rm"}}
    result = {
        "type": "tool_result",
        "tool_use_id": "toolu_x",
        "is_error": True,
        "content": [{"type": "text", "text": "denied: policy"}],
    }
    history = [{"role": "assistant", "content": [use]}, {"role": "user", "content": [result]}]
    post(model, ask("[scenario:two] go", *history))
    post(model, ask("[scenario:two] go", *history, assistant()))
    assert [(r.name, r.input, r.content, r.is_error) for r in model.tool_results("two")] == [
        ("Bash", {"command": "rm"}, "denied: policy", True)
    ]


def test_context_manager_cleans_up():
    with ScriptedModel() as model:
        post(model, ask("hi"))
        conn = http.client.HTTPConnection("127.0.0.1", model.port, timeout=5)
        conn.connect()  # an idle keep-alive connection must not keep stop() waiting
    conn.close()
    with pytest.raises(RuntimeError):
        _ = model.base_url
    model.stop()  # idempotent


def test_parse_scenarios_from_json():
    parsed = parse_scenarios(
        {
            "s": [
                [{"text": "hi"}, {"tool": "Bash", "input": {"command": "ls"}}],
                {"blocks": [{"text": "bye"}], "delay": 0.5, "error": 500},
            ]
        }
    )
    first, second = parsed["s"]
    assert first.blocks == (text("hi"), tool("Bash", command="ls"))
    assert first.stop_reason == "tool_use" and second.stop_reason == "end_turn"
    assert (second.delay, second.error, second.error_times) == (0.5, 500, 1)
    with pytest.raises(ValueError, match="block"):
        parse_scenarios({"s": [[{"tool": 3}]]})
    with pytest.raises(ValueError, match="object"):
        parse_scenarios([])


def test_command_line_entry(tmp_path: Path):
    scenarios = tmp_path / "s.json"
    scenarios.write_text(json.dumps({"hello": [[{"text": "hi there"}]]}))
    proc = subprocess.Popen(
        [sys.executable, "-m", "csup.testing.model_server", "--scenarios", str(scenarios)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        host, port = url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        conn.request("POST", "/v1/messages", json.dumps(ask("[scenario:hello]", stream=False)))
        answer = json.loads(conn.getresponse().read())
        conn.close()
        assert answer["content"] == [text("hi there")]
    finally:
        proc.send_signal(2)  # Ctrl-C
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
