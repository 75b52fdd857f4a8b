"""The task and recent steps the reviewer sees in hook mode, read from claude's transcript."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from csup.calls import ToolCall
from csup.escalation.transcript import context_from_transcript, step_line


def entry(kind: str, content: Any) -> str:
    return json.dumps({"type": kind, "message": {"role": kind, "content": content}})


def use(name: str, **tool_input: Any) -> dict[str, Any]:
    return {"type": "tool_use", "id": "t", "name": name, "input": tool_input}


TRANSCRIPT = [
    json.dumps({"type": "queue-operation"}),
    entry("user", "Fix the failing test in tests/test_x.py"),
    entry("user", [{"type": "text", "text": "<system-reminder>ignore me</system-reminder>"}]),
    entry("assistant", [{"type": "text", "text": "Running the tests."}]),
    entry("assistant", [use("Bash", command="pytest -q", description="run")]),
    entry("user", [{"type": "tool_result", "tool_use_id": "t", "content": "1 failed"}]),
    "{not json",
    entry("assistant", [use("Bash", command="git push origin main")]),
]


def write(tmp_path: Path, lines: list[str]) -> str:
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_the_task_and_the_steps_before_the_call_are_read(tmp_path: Path) -> None:
    current = ToolCall("Bash", {"command": "git push origin main"}, "/w")
    context = context_from_transcript(
        write(tmp_path, TRANSCRIPT), cwd="/w", session_id="s", current=current
    )
    assert context.task == "Fix the failing test in tests/test_x.py"
    assert context.recent == ("said: Running the tests.", "Bash: pytest -q", "result: 1 failed")
    assert (context.cwd, context.session_id) == ("/w", "s")


def test_only_the_last_steps_are_kept(tmp_path: Path) -> None:
    lines = [
        entry("user", "task"),
        *(entry("assistant", [use("Read", file_path=f"f{i}")]) for i in range(30)),
    ]
    context = context_from_transcript(write(tmp_path, lines), cwd="/w", limit=3)
    assert context.recent == ("Read: f27", "Read: f28", "Read: f29")


def test_a_missing_transcript_gives_an_empty_context(tmp_path: Path) -> None:
    context = context_from_transcript(str(tmp_path / "gone.jsonl"), cwd="/w")
    assert (context.task, context.recent, context.cwd) == ("", (), "/w")
    assert context_from_transcript(None, cwd="/w").task == ""


def test_a_long_transcript_is_read_at_both_ends_only(tmp_path: Path) -> None:
    filler = [entry("assistant", [{"type": "text", "text": "x" * 1000}]) for _ in range(2000)]
    lines = [entry("user", "the task"), *filler, entry("assistant", [use("Bash", command="ls")])]
    context = context_from_transcript(write(tmp_path, lines), cwd="/w")
    assert context.task == "the task"
    assert context.recent[-1] == "Bash: ls"


def test_an_error_result_is_marked_and_long_steps_are_cut() -> None:
    assert step_line({"type": "tool_result", "is_error": True, "content": [{"text": "boom"}]}) == (
        "error: boom"
    )
    assert len(step_line({"type": "text", "text": "y" * 1000}) or "") == 160
