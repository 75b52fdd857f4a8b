"""Parsing claude's stream-json lines into typed events, checked on real recordings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from csup.claude.events import (
    AssistantMessage,
    ControlCancelRequest,
    ControlRequest,
    ControlResponse,
    Diagnostic,
    Result,
    SystemEvent,
    SystemInit,
    TextBlock,
    ToolUseBlock,
    UnknownBlock,
    UnknownEvent,
    UserMessage,
    parse_event,
    parse_line,
)

RECORDED = Path(__file__).resolve().parents[2] / "csup" / "testing" / "recordings"
PUBLIC = Path(__file__).resolve().parents[1] / "data" / "transcripts"
RECORDINGS = sorted(RECORDED.glob("*.jsonl"))


def recorded_out_lines(path: Path) -> list[dict]:
    lines = []
    for line in path.read_text().splitlines():
        entry = json.loads(line)
        if entry["dir"] == "out":
            lines.append(entry["msg"])
    return lines


def test_the_recordings_are_there():
    assert len(RECORDINGS) >= 4, f"expected the 2.1.330 recordings under {RECORDED}"


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.name)
def test_every_recorded_line_parses_to_a_typed_event_that_keeps_its_raw_dict(path):
    for msg in recorded_out_lines(path):
        event = parse_line(json.dumps(msg))
        assert not isinstance(event, UnknownEvent | Diagnostic), msg
        assert event.raw == msg


def test_a_pre_tool_use_hook_callback_exposes_the_tool_call():
    msg = next(
        m
        for m in recorded_out_lines(RECORDED / "hook-deny.jsonl")
        if m["type"] == "control_request"
    )
    event = parse_event(msg)
    assert isinstance(event, ControlRequest)
    assert event.subtype == "hook_callback"
    assert event.is_tool_request
    assert event.hook_event_name == "PreToolUse"
    assert event.tool_name == "Write"
    assert event.tool_input["file_path"].endswith("/notes.txt")
    assert event.tool_use_id == "toolu_0004"


def test_a_can_use_tool_request_exposes_the_tool_call():
    msg = next(
        m
        for m in recorded_out_lines(RECORDED / "prompt-deny.jsonl")
        if m["type"] == "control_request"
    )
    event = parse_event(msg)
    assert isinstance(event, ControlRequest)
    assert event.is_tool_request
    assert event.tool_name == "Write"
    assert event.tool_input["content"] == "hello\n"


def test_a_stop_hook_callback_is_not_a_tool_request():
    event = parse_event(
        {
            "type": "control_request",
            "request_id": "r",
            "request": {
                "subtype": "hook_callback",
                "callback_id": "stop",
                "input": {"hook_event_name": "Stop", "stop_hook_active": False},
            },
        }
    )
    assert isinstance(event, ControlRequest)
    assert event.hook_event_name == "Stop"
    assert not event.is_tool_request


def test_the_interrupt_recording_has_a_cancel_and_an_error_result():
    events = [parse_event(m) for m in recorded_out_lines(RECORDED / "interrupt.jsonl")]
    cancels = [e for e in events if isinstance(e, ControlCancelRequest)]
    assert cancels and cancels[0].request_id
    result = events[-1]
    assert isinstance(result, Result)
    assert result.is_error
    assert result.subtype == "error_during_execution"
    assert result.terminal_reason == "aborted_tools"
    responses = [e for e in events if isinstance(e, ControlResponse)]
    assert {r.request_id for r in responses} >= {"req_init", "int_1"}


def test_assistant_blocks_are_typed_and_unknown_blocks_kept():
    event = parse_event(
        {
            "type": "assistant",
            "message": {
                "id": "msg_1",
                "content": [
                    {"type": "text", "text": "hi"},
                    {"type": "tool_use", "id": "t1", "name": "Bash", "input": {"command": "ls"}},
                    {"type": "server_tool_use", "id": "s1"},
                ],
                "usage": {"input_tokens": 3},
            },
        }
    )
    assert isinstance(event, AssistantMessage)
    assert isinstance(event.blocks[0], TextBlock)
    assert isinstance(event.blocks[1], ToolUseBlock)
    assert isinstance(event.blocks[2], UnknownBlock)
    assert event.blocks[2].raw == {"type": "server_tool_use", "id": "s1"}
    assert event.text == "hi"
    assert event.tool_uses[0].input == {"command": "ls"}


def test_a_user_line_exposes_tool_results_and_their_text():
    event = parse_event(
        {
            "type": "user",
            "message": {
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "t1",
                        "content": [{"type": "text", "text": "denied"}],
                        "is_error": True,
                    }
                ]
            },
        }
    )
    assert isinstance(event, UserMessage)
    (result,) = event.tool_results
    assert result.is_error and result.text == "denied" and result.tool_use_id == "t1"


def test_a_result_with_subtype_success_but_is_error_is_a_failure():
    public = PUBLIC / "flywheel-ideas__auth-failure__cc2.1.126.json"
    result = next(parse_event(m) for m in json.loads(public.read_text()) if m["type"] == "result")
    assert isinstance(result, Result)
    assert result.subtype == "success"
    assert result.is_error


@pytest.mark.parametrize(
    "line",
    [{"type": "system"}, {"type": "result"}, {"type": "assistant"}, {"type": "control_request"}],
)
def test_every_field_but_type_is_optional(line):
    event = parse_event(line)
    assert event.type == line["type"]


def test_system_lines_other_than_init_are_kept_with_their_subtype():
    event = parse_event({"type": "system", "subtype": "task_started", "task_id": "x"})
    assert isinstance(event, SystemEvent)
    assert event.subtype == "task_started"
    init = parse_event({"type": "system", "subtype": "init", "tools": ["Bash", 3]})
    assert isinstance(init, SystemInit)
    assert init.tools == ("Bash",)


def test_unknown_types_are_kept_with_their_raw_dict():
    event = parse_event({"type": "rate_limit_event", "x": 1})
    assert isinstance(event, UnknownEvent)
    assert event.raw["x"] == 1


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("[SandboxDebug] hello", "not JSON"),
        ("[1, 2]", "not an object"),
        ('{"type": "result"', "not JSON"),
        ("\ud800 broken", "not JSON"),
    ],
)
def test_lines_that_are_not_json_objects_become_diagnostics(line, why):
    item = parse_line(line)
    assert isinstance(item, Diagnostic)
    assert why in item.error


def test_blank_lines_are_skipped_and_invalid_utf8_does_not_raise():
    assert parse_line(b"  \r") is None
    assert isinstance(parse_line(b"\xff\xfe{"), Diagnostic)
