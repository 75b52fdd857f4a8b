"""A pure-Python fake claude that replays a recorded conversation, for benchmarks and load tests.

It is never the only proof that something works (the real binary is); it exists so csup's own
per-call overhead can be measured, and so failure modes can be provoked on demand.

Usage (also as the executable ``csup/testing/fake-claude``, e.g. ``--claude-bin`` of csup)::

    python -m csup.testing.fake_claude -p --input-format stream-json \\
        --output-format stream-json --verbose --permission-prompt-tool stdio [--replay REC]

It speaks claude's duplex stream-json protocol: answers ``initialize``; on each user message
prints ``system/init`` and replays the recording's lines (default: ``hook-allow``, shipped in
``recordings/``). Each replayed ``control_request`` waits for its ``control_response`` on stdin,
with a fresh request id; a deny turns the tool's ``tool_result`` into an error carrying the
reason. If ``initialize`` registered no PreToolUse hook the tool calls are asked with
``can_use_tool`` instead (and no Stop hook is asked without a Stop hook), as claude does.
``interrupt`` cancels the pending request and ends the turn with ``error_during_execution``.
Stdin EOF ends the process (exit 0, or 1 after an interrupted turn).

Environment:
    CSUP_FAKE_REPLAY: a recording name (``hook-allow``, ``hook-deny``, ``prompt-deny``,
        ``interrupt``) or the path of a ``.jsonl`` recording (the flag ``--replay`` wins).
    CSUP_FAKE_TOOLS: tool calls per turn (the recorded ones, repeated); default: as recorded.
    CSUP_FAKE_MODE: comma-separated failure modes: ``garbage`` (non-JSON lines after
        system/init, then carries on), ``huge`` (a 20 MB JSON line after system/init),
        ``crash`` (exit 3 after system/init with a message on stderr), ``hang`` (never writes
        anything; stays alive after stdin EOF until killed).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from csup.testing.replay import Line, Recording, find_recording, load_recording

__all__ = ["FakeClaude", "main"]

HUGE_BYTES = 20 * 1024 * 1024
REJECTED = (
    "The user doesn't want to proceed with this tool use. The tool use was rejected (eg. if it "
    "was a file edit, the new_string was NOT written to the file). STOP what you are doing and "
    "wait for the user to tell you how to proceed."
)
TOOL_ID = b"@@TOOLU@@"
REQ_ID = b"@@REQ@@"
MSG_ID = b"@@MSG@@"


def _dump(msg: dict[str, Any]) -> bytes:
    return json.dumps(msg, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


@dataclass(slots=True)
class Step:
    """A compiled line: ``emit`` it, ``ask`` it (a control_request), or a ``task`` /
    ``tool_result`` line that a deny replaces or drops."""

    kind: str
    data: bytes
    tool_name: str = ""
    tool_input: dict[str, Any] = field(default_factory=dict)
    via_hook: bool = False


class _Interrupted(Exception):
    """The current turn was interrupted (its tail is already written)."""


class FakeClaude:
    """The fake's state: the compiled recording, ids, queued input, the output stream."""

    def __init__(
        self,
        recording: Recording,
        *,
        tools: int | None,
        modes: Sequence[str],
        stdin: BinaryIO,
        stdout: BinaryIO,
        stderr: BinaryIO,
    ) -> None:
        self.rec = recording
        self.tools = len(recording.segments) if tools is None else tools
        self.modes = set(modes)
        self.stdin, self.stdout, self.stderr = stdin, stdout, stderr
        self.queue: deque[dict[str, Any]] = deque()
        self.ids = 0
        self.id_prefix = str(uuid.uuid4())[:24]
        self.hooks: dict[str, str] = {}
        self.compiled = False
        self.turns = 0
        self.last_interrupted = False
        self.segments: list[list[Step]] = []
        self.prefix: list[Step] = []
        self.suffix: list[Step] = []

    # -- i/o -------------------------------------------------------------------------------

    def emit(self, data: bytes) -> None:
        self.stdout.write(data)
        self.stdout.flush()

    def read(self) -> dict[str, Any] | None:
        """The next JSON object from stdin, or None at EOF (non-JSON lines are skipped)."""
        while True:
            line = self.stdin.readline()
            if not line:
                return None
            try:
                msg = json.loads(line)
            except ValueError:
                if line.strip():
                    self.stderr.write(b"fake claude: ignoring a non-JSON input line\n")
                continue
            if isinstance(msg, dict):
                return msg

    def next_id(self) -> str:
        self.ids += 1
        return f"{self.id_prefix}{self.ids:012x}"

    def respond(self, request_id: str, response: dict[str, Any]) -> None:
        body = {"subtype": "success", "request_id": request_id, "response": response}
        self.emit(_dump({"type": "control_response", "response": body}))

    # -- compiling the recording -----------------------------------------------------------

    def compile(self) -> None:
        """Turn the recording into byte templates, for the hooks ``initialize`` registered."""
        self.compiled = True
        self.segments = []
        self.prefix = [s for line in self.rec.prefix if (s := self._step(line, "")) is not None]
        self.suffix = [s for line in self.rec.suffix if (s := self._step(line, "")) is not None]
        for segment in self.rec.segments:
            first = segment[0].msg
            tool_id = next(
                str(b["id"]) for b in first["message"]["content"] if b.get("type") == "tool_use"
            )
            steps = [self._step(line, tool_id) for line in segment]
            self.segments.append([s for s in steps if s is not None])

    def _step(self, line: Line, tool_id: str) -> Step | None:
        msg = line.msg
        if line.kind != "control":
            data = _dump(msg)
            if tool_id:
                data = data.replace(tool_id.encode(), TOOL_ID)
            message_id = msg.get("message", {}).get("id") if line.kind == "assistant" else None
            if message_id and tool_id:
                data = data.replace(json.dumps(message_id).encode(), b'"' + MSG_ID + b'"')
            return Step(line.kind, data)
        request = dict(msg["request"])
        hook_input = request.get("input") or {}
        event = hook_input.get("hook_event_name")
        if request.get("subtype") == "hook_callback" and event in ("PreToolUse", "Stop"):
            if event in self.hooks:
                request["callback_id"] = self.hooks[event]
            elif event == "Stop":
                return None
            else:
                request = {
                    "subtype": "can_use_tool",
                    "tool_name": hook_input.get("tool_name"),
                    "display_name": hook_input.get("tool_name"),
                    "input": hook_input.get("tool_input"),
                    "permission_suggestions": [],
                    "tool_use_id": hook_input.get("tool_use_id"),
                }
        data = _dump({"type": "control_request", "request_id": "@@REQ@@", "request": request})
        if tool_id:
            data = data.replace(tool_id.encode(), TOOL_ID)
        tool_name = str(request.get("tool_name") or hook_input.get("tool_name") or "")
        tool_input = request.get("input") if request.get("subtype") == "can_use_tool" else None
        return Step(
            "stop" if event == "Stop" else "ask",
            data,
            tool_name=tool_name,
            tool_input=dict(tool_input or hook_input.get("tool_input") or {}),
            via_hook=request.get("subtype") == "hook_callback",
        )

    # -- the protocol ----------------------------------------------------------------------

    def run(self) -> int:
        """Serve stdin until EOF; the exit code."""
        if "hang" in self.modes:
            while self.stdin.readline():
                pass
            threading.Event().wait()
        while True:
            msg = self.queue.popleft() if self.queue else self.read()
            if msg is None:
                return 1 if self.last_interrupted else 0
            kind = msg.get("type")
            if kind == "control_request":
                self.control(msg)
            elif kind == "user":
                if not self.compiled:
                    self.compile()
                try:
                    self.turn()
                except _Interrupted:
                    self.last_interrupted = True

    def control(self, msg: dict[str, Any]) -> None:
        """A control request from the supervisor while no turn is waiting on one."""
        request = msg.get("request") or {}
        request_id = str(msg.get("request_id", ""))
        if request.get("subtype") == "initialize":
            for event, matchers in (request.get("hooks") or {}).items():
                ids = [i for m in matchers or [] for i in (m or {}).get("hookCallbackIds", [])]
                if ids:
                    self.hooks[event] = str(ids[0])
            self.compile()
            self.respond(request_id, self.rec.init_response)
        elif request.get("subtype") == "interrupt":
            self.respond(request_id, {"still_queued": []})
        else:
            self.respond(request_id, {})

    def ask(self, data: bytes, tool_id: bytes) -> tuple[str, dict[str, Any]]:
        """Write a control_request and wait for its answer: (request id, inner response)."""
        request_id = self.next_id()
        self.emit(data.replace(REQ_ID, request_id.encode()).replace(TOOL_ID, tool_id))
        while True:
            msg = self.read()
            if msg is None:
                raise SystemExit(1)
            kind = msg.get("type")
            if kind == "control_response":
                response = msg.get("response") or {}
                if response.get("request_id") == request_id:
                    return request_id, response
            elif kind == "control_request":
                if (msg.get("request") or {}).get("subtype") == "interrupt":
                    self.interrupted(request_id, str(msg.get("request_id", "")), tool_id)
                self.control(msg)
            elif kind == "user":
                self.queue.append(msg)

    def decide(self, step: Step, tool_id: bytes) -> str | None:
        """Ask about one tool call; None to run it, else the deny reason."""
        _, response = self.ask(step.data, tool_id)
        if response.get("subtype") == "error":
            return str(response.get("error") or "control request failed")
        inner = response.get("response") or {}
        if step.via_hook:
            specific = inner.get("hookSpecificOutput") or {}
            decision = specific.get("permissionDecision")
            reason = str(specific.get("permissionDecisionReason") or inner.get("reason") or "")
            if decision == "deny" or inner.get("decision") == "block":
                return f"PreToolUse:{step.tool_name} hook error: {reason}"
            if decision == "ask":
                request = {
                    "subtype": "can_use_tool",
                    "tool_name": step.tool_name,
                    "input": step.tool_input,
                    "permission_suggestions": [],
                    "tool_use_id": "@@TOOLU@@",
                }
                data = _dump(
                    {"type": "control_request", "request_id": "@@REQ@@", "request": request}
                )
                return self.decide(Step("ask", data, step.tool_name, step.tool_input), tool_id)
            return None
        if inner.get("behavior") == "deny":
            return str(inner.get("message") or "denied")
        return None

    def turn(self) -> None:
        """Play one turn: system/init, the prefix, the tool calls, the suffix, the result."""
        started = time.monotonic()
        self.last_interrupted = False
        self.emit(_dump(self.rec.system_init))
        if self.turns == 0:
            self.failure_modes()
        self.turns += 1
        for step in self.prefix:
            self.emit(step.data)
        denials: list[dict[str, Any]] = []
        for k in range(self.tools if self.segments else 0):
            self.tool_call(self.segments[k % len(self.segments)], denials)
        stop_active = False
        for _ in range(100):  # a Stop hook that blocks makes claude go on; bounded here
            blocked = False
            for step in self.suffix:
                if step.kind != "stop":
                    self.emit(step.data)
                    continue
                data = step.data
                if stop_active:
                    data = data.replace(b'"stop_hook_active":false', b'"stop_hook_active":true')
                _, response = self.ask(data, b"")
                blocked = (response.get("response") or {}).get("decision") == "block"
            if not blocked:
                break
            stop_active = True
        self.result("success", denials, started)

    def tool_call(self, steps: list[Step], denials: list[dict[str, Any]]) -> None:
        """One recorded tool call, with fresh ids; a deny replaces its result."""
        tool_id = f"toolu_{self.id_prefix[:8]}{self.next_id()[-8:]}".encode()
        message_id = f"msg_{self.ids:06d}".encode()
        reason: str | None = None
        for step in steps:
            if step.kind == "ask":
                reason = self.decide(step, tool_id)
                if reason is not None:
                    denials.append(
                        {
                            "tool_name": step.tool_name,
                            "tool_use_id": tool_id.decode(),
                            "tool_input": step.tool_input,
                        }
                    )
            elif step.kind == "task" and reason is not None:
                continue
            elif step.kind == "tool_result" and reason is not None:
                self.emit(self.user_line(tool_id.decode(), reason, is_error=True))
            else:
                self.emit(step.data.replace(TOOL_ID, tool_id).replace(MSG_ID, message_id))

    def user_line(self, tool_id: str, content: str, *, is_error: bool) -> bytes:
        block = {"type": "tool_result", "content": content, "is_error": is_error}
        return _dump(
            {
                "type": "user",
                "message": {"role": "user", "content": [{**block, "tool_use_id": tool_id}]},
                "parent_tool_use_id": None,
                "session_id": self.rec.session_id,
                "uuid": str(uuid.uuid4()),
                "tool_use_result": f"Error: {content}",
            }
        )

    def interrupted(self, pending: str, interrupt_id: str, tool_id: bytes) -> None:
        """Claude's answer to an interrupt during a turn; ends the turn."""
        self.emit(_dump({"type": "control_cancel_request", "request_id": pending}))
        self.respond(interrupt_id, {"still_queued": []})
        if tool_id:
            self.emit(self.user_line(tool_id.decode(), REJECTED, is_error=True))
        text = {"type": "text", "text": "[Request interrupted by user for tool use]"}
        self.emit(
            _dump(
                {
                    "type": "user",
                    "message": {"role": "user", "content": [text]},
                    "parent_tool_use_id": None,
                    "session_id": self.rec.session_id,
                }
            )
        )
        self.result("error_during_execution", [], time.monotonic())
        raise _Interrupted

    def result(self, subtype: str, denials: list[dict[str, Any]], started: float) -> None:
        result = dict(self.rec.result)
        result.update(
            subtype=subtype,
            is_error=subtype != "success",
            num_turns=self.tools + 1,
            permission_denials=denials,
            duration_ms=int((time.monotonic() - started) * 1000),
            session_id=self.rec.session_id,
            uuid=str(uuid.uuid4()),
        )
        if subtype != "success":
            result.pop("result", None)
            result["terminal_reason"] = "aborted_tools"
        self.emit(_dump(result))

    def failure_modes(self) -> None:
        """The CSUP_FAKE_MODE behaviours, right after the first system/init."""
        if "garbage" in self.modes:
            self.emit(b"this is not JSON\n")
            self.emit(b'{"type": "assistant", "message": {"truncated\n')
            self.emit(b"\x00\xff\xfe binary noise\n")
            self.emit(b"[1, 2, 3]\n")
        if "huge" in self.modes:
            block = {"type": "text", "text": "x" * HUGE_BYTES}
            message = {"role": "assistant", "content": [block], "id": "msg_huge"}
            self.emit(
                _dump({"type": "assistant", "message": message, "session_id": self.rec.session_id})
            )
        if "crash" in self.modes:
            self.stderr.write(b"fake claude: crashing on purpose (CSUP_FAKE_MODE=crash)\n")
            self.stderr.flush()
            raise SystemExit(3)


def _flag(argv: Sequence[str], name: str) -> str | None:
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the fake claude on this process's stdin/stdout (see the module docstring)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--version" in args or "-v" in args:
        print("2.1.330 (Claude Code; csup fake)")
        return 0
    if "-h" in args or "--help" in args:
        print(__doc__)
        return 0
    if _flag(args, "--input-format") != "stream-json":
        print("fake claude: only --input-format stream-json is supported", file=sys.stderr)
        return 2
    session_id = _flag(args, "--resume") or _flag(args, "--session-id") or str(uuid.uuid4())
    path = find_recording(_flag(args, "--replay") or os.environ.get("CSUP_FAKE_REPLAY"))
    recording = load_recording(path, session_id=session_id, cwd=os.getcwd())
    tools = os.environ.get("CSUP_FAKE_TOOLS")
    if tools and not tools.isdigit():
        print(f"fake claude: CSUP_FAKE_TOOLS={tools!r} is not a count", file=sys.stderr)
        return 2
    modes = [m.strip() for m in os.environ.get("CSUP_FAKE_MODE", "").split(",") if m.strip()]
    fake = FakeClaude(
        recording,
        tools=int(tools) if tools else None,
        modes=modes,
        stdin=sys.stdin.buffer,
        stdout=sys.stdout.buffer,
        stderr=sys.stderr.buffer,
    )
    try:
        return fake.run()
    except BrokenPipeError:  # the supervisor went away: no flush error at exit either
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
