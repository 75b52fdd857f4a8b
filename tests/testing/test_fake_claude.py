"""The fake claude speaks claude's duplex protocol (driven with subprocess and JSON lines)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from csup.testing import fake_claude_path
from csup.testing.replay import RECORDINGS, find_recording, load_recording

ARGV = ["-p", "--input-format", "stream-json", "--output-format", "stream-json", "--verbose"]
ARGV += ["--permission-prompt-tool", "stdio", "--model", "x", "--unknown-flag"]
HOOKS = {
    "PreToolUse": [{"matcher": None, "hookCallbackIds": ["my_pre"]}],
    "Stop": [{"matcher": None, "hookCallbackIds": ["my_stop"]}],
}

Answer = Callable[[dict[str, Any]], dict[str, Any]]


class Fake:
    """A running fake claude with helpers to talk to it."""

    def __init__(self, tmp_path: Path, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "csup.testing.fake_claude", *ARGV],
            cwd=tmp_path,
            env={**os.environ, **(env or {})},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def send(self, msg: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(msg).encode() + b"\n")
        self.proc.stdin.flush()

    def init(self, hooks: dict[str, Any] | None = HOOKS) -> dict[str, Any]:
        request = {"subtype": "initialize", "hooks": hooks}
        self.send({"type": "control_request", "request_id": "req_init", "request": request})
        return self.next()

    def user(self, text: str = "do it") -> None:
        self.send({"type": "user", "message": {"role": "user", "content": text}})

    def answer(self, request_id: str, response: dict[str, Any]) -> None:
        body = {"subtype": "success", "request_id": request_id, "response": response}
        self.send({"type": "control_response", "response": body})

    def next(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line, "fake claude closed stdout"
        return dict(json.loads(line))

    def until_result(self, answer: Answer) -> Iterator[dict[str, Any]]:
        """Every event up to the result, answering each control_request with ``answer``."""
        while True:
            event = self.next()
            yield event
            if event["type"] == "control_request":
                self.answer(event["request_id"], answer(event["request"]))
            if event["type"] == "result":
                return

    def close(self) -> tuple[int, bytes]:
        """Close stdin (communicate does) and wait for the exit: (exit code, stderr)."""
        _, err = self.proc.communicate(timeout=10)
        return self.proc.returncode, err


@pytest.fixture
def fake(tmp_path) -> Iterator[Callable[..., Fake]]:
    started: list[Fake] = []

    def start(**env: str) -> Fake:
        started.append(Fake(tmp_path, env))
        return started[-1]

    yield start
    for f in started:
        if f.proc.poll() is None:
            f.proc.kill()
        f.proc.communicate(timeout=10)


def hook(decision: str, reason: str = "test reason") -> Answer:
    def answer(request: dict[str, Any]) -> dict[str, Any]:
        if request["input"]["hook_event_name"] == "Stop":
            return {}
        output = {"permissionDecision": decision, "permissionDecisionReason": reason}
        return {"hookSpecificOutput": {"hookEventName": "PreToolUse", **output}}

    return answer


def test_allowed_session_replays_the_recording(fake, tmp_path):
    f = fake()
    init = f.init()
    assert init["type"] == "control_response"
    assert (
        init["response"]["request_id"] == "req_init" and "commands" in init["response"]["response"]
    )
    f.user()
    events = list(f.until_result(hook("allow")))
    assert events[0]["type"] == "system" and events[0]["subtype"] == "init"
    assert events[0]["cwd"] == str(tmp_path)
    requests = [e for e in events if e["type"] == "control_request"]
    assert [r["request"]["callback_id"] for r in requests] == ["my_pre"] * 3 + ["my_stop"]
    assert len({r["request_id"] for r in requests}) == 4
    uses = [r["request"]["input"]["tool_use_id"] for r in requests[:3]]
    results = [
        b["tool_use_id"]
        for e in events
        if e["type"] == "user"
        for b in e["message"]["content"]
        if b.get("type") == "tool_result"
    ]
    assert uses == results and len(set(uses)) == 3
    result = events[-1]
    assert result["subtype"] == "success" and result["permission_denials"] == []
    assert {e["session_id"] for e in events if "session_id" in e} == {result["session_id"]}
    assert f.close() == (0, b"")


def test_a_deny_becomes_an_error_tool_result(fake):
    f = fake()
    f.init()
    f.user()
    events = list(f.until_result(hook("deny", "policy says no")))
    results = [b for e in events if e["type"] == "user" for b in e["message"]["content"]]
    assert len(results) == 3
    assert all(b["is_error"] and "policy says no" in b["content"] for b in results)
    assert not any(e.get("subtype") == "task_started" for e in events)  # no tool ran
    assert len(events[-1]["permission_denials"]) == 3


def test_without_hooks_tools_are_asked_with_can_use_tool(fake):
    f = fake()
    f.init(hooks=None)
    f.user()
    asked: list[dict[str, Any]] = []

    def answer(request: dict[str, Any]) -> dict[str, Any]:
        asked.append(request)
        if request["tool_name"] == "Write":
            return {"behavior": "deny", "message": "no writing"}
        return {"behavior": "allow", "updatedInput": request["input"]}

    events = list(f.until_result(answer))
    assert [r["subtype"] for r in asked] == ["can_use_tool"] * 3  # and no Stop hook
    denied = events[-1]["permission_denials"]
    assert [d["tool_name"] for d in denied] == ["Write"]
    assert any(
        b.get("content") == "no writing"
        for e in events
        if e["type"] == "user"
        for b in e["message"]["content"]
    )


def test_ask_from_a_hook_is_followed_by_can_use_tool(fake):
    f = fake(CSUP_FAKE_TOOLS="1")
    f.init()
    f.user()
    subtypes: list[str] = []

    def answer(request: dict[str, Any]) -> dict[str, Any]:
        subtypes.append(request["subtype"])
        if request["subtype"] == "can_use_tool":
            return {"behavior": "deny", "message": "asked and refused"}
        return hook("ask")(request)

    events = list(f.until_result(answer))
    assert subtypes == ["hook_callback", "can_use_tool", "hook_callback"]
    assert len(events[-1]["permission_denials"]) == 1


def test_tool_count_and_two_turns(fake):
    f = fake(CSUP_FAKE_TOOLS="7")
    f.init()
    for _ in range(2):
        f.user()
        events = list(f.until_result(hook("allow")))
        pre = [e for e in events if e["type"] == "control_request"][:-1]
        assert len(pre) == 7 and events[-1]["num_turns"] == 8
    f.send({"type": "control_request", "request_id": "int_0", "request": {"subtype": "interrupt"}})
    assert f.next()["response"]["request_id"] == "int_0"  # idle: just answered
    assert f.close()[0] == 0


def test_interrupt_cancels_the_pending_request(fake):
    f = fake()
    f.init()
    f.user()
    while (pending := f.next())["type"] != "control_request":
        pass
    f.send({"type": "control_request", "request_id": "int_1", "request": {"subtype": "interrupt"}})
    tail = []
    while (event := f.next())["type"] != "result":
        tail.append(event)
    assert tail[0] == {"type": "control_cancel_request", "request_id": pending["request_id"]}
    assert tail[1]["response"] == {
        "subtype": "success",
        "request_id": "int_1",
        "response": {"still_queued": []},
    }
    assert tail[2]["message"]["content"][0]["is_error"]  # the tool was rejected
    assert event["subtype"] == "error_during_execution" and event["is_error"]
    assert f.close()[0] == 1


def test_a_blocking_stop_hook_makes_it_go_on(fake):
    f = fake(CSUP_FAKE_TOOLS="0")
    f.init()
    f.user()
    stops: list[bool] = []

    def answer(request: dict[str, Any]) -> dict[str, Any]:
        stops.append(request["input"]["stop_hook_active"])
        return {"decision": "block", "reason": "keep going"} if len(stops) == 1 else {}

    events = list(f.until_result(answer))
    assert stops == [False, True] and events[-1]["subtype"] == "success"


def test_crash_mode(fake):
    f = fake(CSUP_FAKE_MODE="crash")
    f.init()
    f.user()
    assert f.next()["subtype"] == "init"
    code, err = f.close()
    assert code == 3 and b"crashing on purpose" in err


def test_garbage_and_huge_modes(fake):
    f = fake(CSUP_FAKE_MODE="garbage,huge", CSUP_FAKE_TOOLS="1")
    f.init()
    f.user()
    assert f.proc.stdout is not None
    lines = []
    while True:
        line = f.proc.stdout.readline()
        lines.append(line)
        if line.startswith(b'{"type":"control_request"'):
            f.answer(json.loads(line)["request_id"], hook("allow")(json.loads(line)["request"]))
        if line.startswith(b'{"duration_api_ms"') or not line:
            break
    bad = 0
    for line in lines:
        try:
            json.loads(line)["type"]
        except (ValueError, TypeError, KeyError):
            bad += 1
    assert bad == 4
    assert max(len(line) for line in lines) > 20 * 1024 * 1024
    assert json.loads(lines[-1])["subtype"] == "success"


def test_hang_mode_says_nothing(fake):
    f = fake(CSUP_FAKE_MODE="hang")
    f.send({"type": "control_request", "request_id": "i", "request": {"subtype": "initialize"}})
    f.user()
    with pytest.raises(subprocess.TimeoutExpired):
        f.proc.communicate(timeout=0.5)  # closes stdin; a negative check: still alive
    f.proc.kill()
    out, _ = f.proc.communicate(timeout=10)
    assert out == b""


def test_replay_choice_and_the_executable(fake, tmp_path):
    f = fake(CSUP_FAKE_REPLAY="prompt-deny")
    f.init(hooks=None)
    f.user()
    events = list(f.until_result(lambda r: {"behavior": "allow", "updatedInput": r["input"]}))
    asked = [e for e in events if e["type"] == "control_request"]
    assert [e["request"]["tool_name"] for e in asked] == ["Write", "Bash"]  # as recorded
    version = subprocess.run(
        [fake_claude_path(), "--version"], capture_output=True, text=True, timeout=30, check=True
    )
    assert "csup fake" in version.stdout
    refused = subprocess.run(
        [fake_claude_path(), "-p", "task"], check=False, capture_output=True, text=True, timeout=30
    )
    assert refused.returncode == 2 and "stream-json" in refused.stderr


@pytest.mark.parametrize("path", sorted(RECORDINGS.glob("*.jsonl")), ids=lambda p: p.stem)
def test_every_shipped_recording_loads(path):
    rec = load_recording(path, session_id="s-1", cwd="/w")
    assert find_recording(path.stem) == path
    assert rec.system_init["session_id"] == "s-1" and rec.system_init["cwd"] == "/w"
    assert rec.segments and rec.result["type"] == "result"
    for segment in rec.segments:
        assert segment[0].kind == "assistant"
        assert segment[-1].kind == "tool_result" or path.stem == "interrupt"
