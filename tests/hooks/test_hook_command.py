"""``csup hook EVENT``: the hook I/O, and every path that must fail closed.

Most tests run the real ``csup`` console script as Claude Code does: a subprocess with the
hook input on stdin, each wait bounded by a timeout.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from csup.hooks import command
from csup.hooks.stdin import read_json_object
from tests.hooks.test_hooks_e2e import names_its_rule

CSUP = str(Path(sys.executable).parent / "csup")
WAIT = 30  # seconds: an upper bound for one hook call, never reached when things work


@dataclass
class Answer:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> dict[str, Any]:
        value = json.loads(self.stdout)
        assert isinstance(value, dict)
        return value

    @property
    def permission(self) -> str:
        return str(self.output["hookSpecificOutput"]["permissionDecision"])


@pytest.fixture
def env(claude_home: Path) -> dict[str, str]:
    """An environment with no policy of the user's: HOME is a scratch directory."""
    values = {k: v for k, v in os.environ.items() if not k.startswith("CSUP_")}
    values["HOME"] = str(claude_home)
    return values


def hook_input(workspace: Path, tool: str, **tool_input: object) -> dict[str, object]:
    return {
        "session_id": "s-1",
        "transcript_path": str(workspace / "t.jsonl"),
        "cwd": str(workspace),
        "permission_mode": "default",
        "hook_event_name": "PreToolUse",
        "tool_name": tool,
        "tool_input": tool_input,
        "tool_use_id": "toolu_1",
    }


def call(
    stdin: bytes | str | dict[str, object],
    *args: str,
    env: dict[str, str],
    event: str = "pre-tool-use",
    cwd: Path | None = None,
) -> Answer:
    data = json.dumps(stdin) if isinstance(stdin, dict) else stdin
    raw = data.encode() if isinstance(data, str) else data
    done = subprocess.run(
        [CSUP, "hook", event, *args],
        input=raw,
        capture_output=True,
        env=env,
        cwd=cwd,
        timeout=WAIT,
        check=False,
    )
    return Answer(done.returncode, done.stdout.decode(), done.stderr.decode())


def assert_denied_closed(answer: Answer, *words: str) -> None:
    """Fail closed: exit 2, nothing on stdout, the reason on stderr."""
    assert answer.code == 2, answer
    assert answer.stdout == ""
    assert "csup denied this tool call" in answer.stderr
    for word in words:
        assert word in answer.stderr, answer.stderr


# --- fail-closed paths of the real console script -----------------------------------------


@pytest.mark.parametrize(
    ("stdin", "words"),
    [
        (b"", ["empty"]),
        (b"   \n", ["empty"]),
        (b'{"tool_name": "Bash", ', ["not valid JSON"]),
        (b"[1, 2]", ["list, not an object"]),
        (b"\xff\xfe garbage", ["not valid JSON"]),
        (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, ["RecursionError"]),
        (b'{"hook_event_name": "PreToolUse", "tool_input": {}}', ["tool_name"]),
        (b'{"hook_event_name": "PreToolUse", "tool_name": "Bash"}', ["tool_input"]),
        (
            b'{"hook_event_name": "PostToolUse", "tool_name": "Bash", "tool_input": {}}',
            ["PostToolUse"],
        ),
    ],
)
def test_malformed_input_is_denied(env: dict[str, str], stdin: bytes, words: list[str]) -> None:
    assert_denied_closed(call(stdin, env=env), *words)


def test_a_stdin_that_never_closes_does_not_hang(env: dict[str, str]) -> None:
    started = time.monotonic()
    with subprocess.Popen(
        [CSUP, "hook", "pre-tool-use"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    ) as process:
        assert process.stdin is not None
        process.stdin.write(b'{"tool_name": "Bash", "tool_input": {"comm')
        process.stdin.flush()
        process.wait(timeout=WAIT)  # stdin stays open: communicate() would close it
        assert process.stdout is not None and process.stderr is not None
        out, err = process.stdout.read(), process.stderr.read()
    elapsed = time.monotonic() - started
    assert_denied_closed(Answer(process.returncode, out.decode(), err.decode()), "within 5 s")
    assert 4.5 < elapsed < 15


def test_the_stdin_deadline_can_be_shortened(env: dict[str, str]) -> None:
    with subprocess.Popen(
        [CSUP, "hook", "pre-tool-use", "--stdin-timeout", "0.5"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**env, "CSUP_HOOK_STDIN_TIMEOUT": "20"},
    ) as process:
        process.wait(timeout=WAIT)
        assert process.stderr is not None
        assert "nothing arrived" in process.stderr.read().decode()
    assert process.returncode == 2


@pytest.mark.parametrize(
    "args",
    [
        ["--polisy", "strict"],
        ["--policy"],
        ["--stdin-timeout", "-1"],
        ["--check", "true"],  # a stop option
    ],
)
def test_a_broken_hook_command_line_denies(env: dict[str, str], args: list[str]) -> None:
    answer = call(b"{}", *args, env=env)
    assert answer.code == 2
    assert answer.stderr.startswith("csup denied this tool call")


def test_an_unknown_event_denies(env: dict[str, str]) -> None:
    answer = call(b"{}", env=env, event="post-tool-use")
    assert answer.code == 2
    assert "pre-tool-use" in answer.stderr


def test_help(env: dict[str, str]) -> None:
    answer = call(b"", "--help", env=env)
    assert answer.code == 0
    assert answer.stdout.startswith("usage: csup hook pre-tool-use")


def test_an_unreadable_policy_file_denies(
    env: dict[str, str], workspace: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere" / "policy.toml"
    answer = call(hook_input(workspace, "Bash", command="ls"), "--policy", str(missing), env=env)
    assert_denied_closed(answer, str(missing))


def test_a_bad_discovered_policy_file_denies(env: dict[str, str], workspace: Path) -> None:
    policy = workspace / ".csup" / "policy.toml"
    policy.parent.mkdir()
    policy.write_text("this is [not toml\n")
    answer = call(hook_input(workspace, "Bash", command="ls"), env=env)
    assert_denied_closed(answer, str(policy))


# --- the answer's shape, with the decision stubbed ----------------------------------------


@dataclass(frozen=True)
class FakeDecision:
    behavior: str
    reason: str
    rule: str


def run_in_process(
    argv: list[str], data: bytes, monkeypatch: pytest.MonkeyPatch, decision: object
) -> command.HookResult:
    def decide(_data: object, _spec: object, _session: object = None) -> object:
        if isinstance(decision, BaseException):
            raise decision
        return decision

    monkeypatch.setattr(command, "decide", decide)
    read, write = os.pipe()
    try:
        os.write(write, data)
        os.close(write)
        return command.run(argv, read)
    finally:
        os.close(read)


@pytest.fixture
def bash_input(workspace: Path) -> bytes:
    return json.dumps(hook_input(workspace, "Bash", command="ls")).encode()


@pytest.mark.parametrize("behavior", ["allow", "deny", "ask"])
def test_pre_tool_use_answers_the_decision(
    behavior: str, bash_input: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    decision = FakeDecision(behavior, "because", "test.rule")
    result = run_in_process(["pre-tool-use"], bash_input, monkeypatch, decision)
    assert (result.code, result.stderr) == (0, "")
    assert json.loads(result.stdout) == {
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": behavior,
            "permissionDecisionReason": "because (csup policy, rule test.rule)",
        }
    }


@pytest.mark.parametrize(
    ("behavior", "expected"),
    [
        ("allow", {"behavior": "allow"}),
        ("deny", {"behavior": "deny", "message": "because (csup policy, rule test.rule)"}),
        ("ask", None),
    ],
)
def test_permission_request_answers_the_decision(
    behavior: str,
    expected: dict[str, str] | None,
    workspace: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = hook_input(workspace, "Bash", command="ls")
    data["hook_event_name"] = "PermissionRequest"
    decision = FakeDecision(behavior, "because", "test.rule")
    result = run_in_process(
        ["permission-request"], json.dumps(data).encode(), monkeypatch, decision
    )
    assert result.code == 0
    if expected is None:  # ask: no answer, so Claude Code shows the user its dialog
        assert result.stdout == ""
    else:
        assert json.loads(result.stdout) == {
            "hookSpecificOutput": {"hookEventName": "PermissionRequest", "decision": expected}
        }


def test_an_internal_error_denies(bash_input: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run_in_process(["pre-tool-use"], bash_input, monkeypatch, KeyError("boom"))
    assert result.code == 2
    assert result.stdout == ""
    assert "internal error KeyError" in result.stderr and "boom" in result.stderr


def test_a_complete_object_is_answered_without_waiting_for_eof(
    bash_input: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(command, "decide", lambda _d, _s, _m=None: FakeDecision("allow", "ok", "r"))
    read, write = os.pipe()
    try:
        os.write(write, bash_input)  # the write end stays open
        started = time.monotonic()
        result = command.run(["pre-tool-use"], read)
        assert time.monotonic() - started < 1
    finally:
        os.close(write)
        os.close(read)
    assert result.code == 0


def test_an_oversized_input_is_denied() -> None:
    read, write = os.pipe()
    try:
        os.write(write, b'{"x": "' + b"a" * 100)
        os.close(write)
        with pytest.raises(Exception, match="larger than 10 bytes"):
            read_json_object(read, max_bytes=10)
    finally:
        os.close(read)


# --- the stop hook --------------------------------------------------------------------


def stop_input(workspace: Path, active: bool) -> dict[str, object]:
    return {
        "session_id": "s-1",
        "cwd": str(workspace),
        "hook_event_name": "Stop",
        "stop_hook_active": active,
        "last_assistant_message": "Done.",
    }


def test_stop_without_a_check_lets_claude_stop(env: dict[str, str], workspace: Path) -> None:
    answer = call(stop_input(workspace, False), env=env, event="stop")
    assert (answer.code, answer.stdout) == (0, "")


def test_stop_blocks_once_when_the_check_fails(env: dict[str, str], workspace: Path) -> None:
    check = "test -f done.txt || { echo 'done.txt is missing'; exit 3; }"
    answer = call(stop_input(workspace, False), "--check", check, env=env, event="stop")
    assert answer.code == 0
    assert answer.output["decision"] == "block"
    assert "exit status 3" in answer.output["reason"]
    assert "done.txt is missing" in answer.output["reason"]
    # Claude went on because of this hook: now it may stop, even though the check still fails
    again = call(stop_input(workspace, True), "--check", check, env=env, event="stop")
    assert (again.code, again.stdout) == (0, "")
    # once the check passes, stopping is not blocked
    (workspace / "done.txt").write_text("")
    passed = call(stop_input(workspace, False), "--check", check, env=env, event="stop")
    assert (passed.code, passed.stdout) == (0, "")


def test_a_check_that_outlives_its_timeout_fails(env: dict[str, str], workspace: Path) -> None:
    started = time.monotonic()
    answer = call(
        stop_input(workspace, False),
        "--check",
        "sleep 30",
        "--check-timeout",
        "0.5",
        env=env,
        event="stop",
    )
    assert time.monotonic() - started < 10
    assert "did not finish within 0.5 s" in answer.output["reason"]


def test_a_broken_stop_input_lets_claude_stop(env: dict[str, str]) -> None:
    answer = call(b"nonsense", "--check", "false", env=env, event="stop")
    assert answer.code == 1  # a non-blocking error: stopping is the safe side
    assert "csup stop hook failed" in answer.stderr


# --- start-up cost ----------------------------------------------------------------------

HEAVY = ("pykka", "click", "tabulate", "blinker", "anthropic", "psutil", "csup.cli", "csup.actors")


@pytest.mark.parametrize(
    ("tool", "tool_input"),
    [("Bash", {"command": "git status"}), ("Write", {"file_path": "a.txt", "content": "x"})],
)
def test_the_hook_imports_nothing_heavy(
    env: dict[str, str], workspace: Path, tool: str, tool_input: dict[str, object]
) -> None:
    answer = call(
        hook_input(workspace, tool, **tool_input),
        env={**env, "PYTHONPROFILEIMPORTTIME": "1"},
    )
    imported = {
        line.split("|")[2].strip()
        for line in answer.stderr.splitlines()
        if line.startswith("import time:") and "[us]" not in line
    }
    assert "csup.hooks.command" in imported
    heavy = sorted(m for m in imported if m.split(".")[0] in HEAVY or m.startswith(HEAVY))
    assert heavy == []


# --- the real policy engine behind the hook ---------------------------------------------


@pytest.mark.parametrize(
    ("command", "behavior"),
    [
        ("ls -la && git status", "allow"),
        ("echo hello > notes.txt", "allow"),
        ("bash -c 'rm -rf ~/important'", "deny"),
        ("rm -rf ~/important", "deny"),
        ("rm -rf /etc", "deny"),
    ],
)
def test_the_policy_decides_bash_calls(
    env: dict[str, str], workspace: Path, command: str, behavior: str
) -> None:
    # A HOME outside any temporary directory, as on a developer's machine (it need not exist).
    answer = call(
        hook_input(workspace, "Bash", command=command), env={**env, "HOME": "/home/csup-test"}
    )
    assert answer.code == 0, answer
    assert answer.permission == behavior, answer.output
    assert names_its_rule(answer.output["hookSpecificOutput"]["permissionDecisionReason"])


def test_the_policy_decides_write_calls(env: dict[str, str], workspace: Path) -> None:
    inside = call(
        hook_input(workspace, "Write", file_path=str(workspace / "a.py"), content="x"), env=env
    )
    assert inside.permission == "allow"
    ssh = call(
        hook_input(
            workspace, "Write", file_path="/home/csup-test/.ssh/authorized_keys", content="k"
        ),
        env={**env, "HOME": "/home/csup-test"},
    )
    assert ssh.permission == "deny"


def test_the_policy_option_variable_and_file_choose_the_policy(
    env: dict[str, str], workspace: Path, tmp_path: Path
) -> None:
    """``pip install`` is allowed at the default level (moderate) and asked at strict."""
    data = hook_input(workspace, "Bash", command="pip install requests")
    assert call(data, env=env).permission == "allow"
    strict = tmp_path / "team.toml"
    strict.write_text('level = "strict"\n')
    assert call(data, "--policy", str(strict), env=env).permission == "ask"
    assert call(data, "--policy=strict", env=env).permission == "ask"
    assert call(data, env={**env, "CSUP_POLICY": "strict"}).permission == "ask"
    discovered = workspace / ".csup" / "policy.toml"
    discovered.parent.mkdir()
    discovered.write_text('level = "strict"\n')
    assert (
        call(hook_input(workspace / "sub", "Bash", command="pip install x"), env=env).permission
        == "ask"
    )


# --- what Python can still catch, and what only the watchdog and the guard can ---------------


@pytest.mark.parametrize("error", [KeyboardInterrupt(), SystemExit(3), GeneratorExit()])
def test_a_base_exception_in_the_decision_denies(
    error: BaseException, bash_input: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run_in_process(["pre-tool-use"], bash_input, monkeypatch, error)
    assert result.code == 2
    assert f"internal error {type(error).__name__}" in result.stderr


def test_a_base_exception_in_the_stop_hook_lets_claude_stop(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(_data: object, _options: object) -> command.HookResult:
        raise KeyboardInterrupt

    monkeypatch.setitem(command.HANDLERS, "stop", interrupted)
    read, write = os.pipe()
    os.write(write, json.dumps(stop_input(workspace, False)).encode())
    os.close(write)
    try:
        result = command.run(["stop", "--check", "false"], read)
    finally:
        os.close(read)
    assert result.code == 1
    assert "csup stop hook failed, not blocking" in result.stderr


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["pre-tool-use"], [5 + 1 + command.DECISION_DEADLINE]),
        (["permission-request", "--stdin-timeout", "2.5"], [2 + 1 + command.DECISION_DEADLINE]),
        (["stop", "--check", "true"], []),  # the check has its own timeout
    ],
)
def test_the_hook_process_starts_a_watchdog_except_for_stop(
    argv: list[str], expected: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[int] = []
    monkeypatch.setattr(command, "_start_watchdog", started.append)
    monkeypatch.delenv(command.STDIN_TIMEOUT_ENV, raising=False)
    read, write = os.pipe()
    os.close(write)
    try:
        command.run(argv, read, watchdog=True)
        assert started == expected
        started.clear()
        command.run(argv, read)  # in-process callers never get one
        assert started == []
    finally:
        os.close(read)


_HANGING_HOOK = """
import sys, time
from csup.hooks import command
command.DECISION_DEADLINE = 1
command.decide = lambda *_: time.sleep(60)
sys.exit(command.main(["pre-tool-use", "--stdin-timeout", "1"]))
"""


def test_a_decision_that_hangs_is_ended_by_the_watchdog_and_the_guard_denies(
    workspace: Path,
) -> None:
    from csup.hooks.install import guarded  # noqa: PLC0415

    data = json.dumps(hook_input(workspace, "Bash", command="ls")).encode()
    hook = f"{sys.executable} -c {shlex.quote(_HANGING_HOOK)}"
    started = time.monotonic()
    bare = subprocess.run(
        ["/bin/sh", "-c", hook], input=data, capture_output=True, timeout=WAIT, check=False
    )
    assert bare.returncode == 128 + signal.SIGALRM  # as /bin/sh reports the signal
    assert time.monotonic() - started < 10  # 1 s stdin deadline + 1 + 1 s, not 60
    done = subprocess.run(
        ["/bin/sh", "-c", guarded(hook, "PreToolUse")],
        input=data,
        capture_output=True,
        timeout=WAIT,
        check=False,
    )
    assert done.returncode == 2
    assert b"csup hook failed (exit status 142" in done.stderr


@pytest.mark.parametrize(("event", "code"), [("pre-tool-use", 2), ("stop", 1)])
def test_a_csup_that_cannot_import_its_hook_fails_safe(event: str, code: int) -> None:
    script = (
        "import sys; sys.modules['csup.hooks.command'] = None\n"
        "from csup._entry import main\n"
        f"sys.exit(main(['hook', '{event}']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=WAIT, check=False
    )
    assert done.returncode == code
    assert "could not start (ModuleNotFoundError" in done.stderr
