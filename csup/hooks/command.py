"""``csup hook EVENT``: csup's policy as a Claude Code command hook.

Claude Code runs the hook command once per tool call, writes the hook input JSON on its stdin
and reads the answer:

* exit 0 with ``{"hookSpecificOutput": {...}}`` on stdout: the decision;
* exit 2 with a reason on stderr: block (the reason is shown to Claude);
* any other exit code: a non-blocking error, and the tool call goes ahead.

So every failure of ``pre-tool-use`` and ``permission-request`` (malformed input, a policy
file that cannot be read, an internal error, even a ``KeyboardInterrupt`` or ``SystemExit``)
is turned into exit 2: csup fails closed. The ``stop`` hook is the exception: letting Claude
stop is the safe side there, so its errors exit 1 and never keep a session going.

What Python cannot catch (a segfault, SIGKILL, an interpreter that does not start) is left
to the guard ``csup install-hooks`` wraps the command in (:func:`csup.hooks.install.guarded`):
it turns any exit code but 0 and 2 into 2. A decision that hangs is cut short by a watchdog
(``SIGALRM``, whose default action ends the process: it works even inside C code), so the
guard denies the call before Claude Code's own hook timeout, which would let it through.

Both deciding hooks judge a call with what earlier calls of the same Claude Code session
wrote, and the user's files uncommitted when it started (:mod:`csup.hooks.memory`).

This module is imported for every tool call, so it imports only ``os``, ``sys``, ``json``
and the policy engine (lazily); see ``benchmarks/bench_hook.py``.
"""

from __future__ import annotations

import json
import os
import sys
import time

from csup.errors import CsupError, ProtocolError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from csup.calls import ToolCall
    from csup.hooks.memory import HookMemory
    from csup.policy import Decision

__all__ = ["EVENTS", "HookResult", "main"]

EVENTS = ("pre-tool-use", "permission-request", "stop")

STDIN_TIMEOUT_ENV = "CSUP_HOOK_STDIN_TIMEOUT"
DEFAULT_CHECK_TIMEOUT = 300.0
BLOCK = 2  # Claude Code's "blocking error" exit code
NON_BLOCKING = 1
DECISION_DEADLINE = 20
"""Seconds a pre-tool-use or permission-request hook may take after its stdin deadline
before the watchdog ends it (see :func:`_start_watchdog`); well within the 60 s hook
timeout ``csup install-hooks`` writes."""

USAGE = """\
usage: csup hook pre-tool-use [--policy LEVEL|FILE] [--stdin-timeout SECONDS]
       csup hook permission-request [--policy LEVEL|FILE] [--stdin-timeout SECONDS]
       csup hook stop [--check COMMAND] [--check-timeout SECONDS] [--stdin-timeout SECONDS]

Run by Claude Code as a command hook (see `csup install-hooks`): reads the hook input JSON on
stdin and answers on stdout. pre-tool-use and permission-request decide with csup's policy
(--policy, else $CSUP_POLICY, else .csup/policy.toml in the session's directory or a parent,
else ~/.config/csup/policy.toml, else the default level); any error denies the call (exit 2).
stop --check COMMAND runs COMMAND in the session's directory when Claude wants to stop and,
if it fails, asks Claude once to go on and fix it. A stdin that brings no complete JSON
object within --stdin-timeout (or $CSUP_HOOK_STDIN_TIMEOUT, default 5) seconds is an error.
"""


class UsageError(CsupError):
    """A bad ``csup hook`` command line (a broken hook entry in a settings file)."""


class HookResult:
    """What the hook process answers: exit code, stdout text and stderr text."""

    __slots__ = ("code", "stderr", "stdout")

    def __init__(self, code: int, stdout: str = "", stderr: str = "") -> None:
        self.code = code
        self.stdout = stdout
        self.stderr = stderr

    def __repr__(self) -> str:
        return f"HookResult({self.code!r}, {self.stdout!r}, {self.stderr!r})"


class Options:
    """The parsed ``csup hook`` command line."""

    __slots__ = ("check", "check_timeout", "event", "policy", "stdin_timeout")

    def __init__(self, event: str) -> None:
        self.event = event
        self.policy: str | None = None
        self.check: str | None = None
        self.check_timeout = DEFAULT_CHECK_TIMEOUT
        self.stdin_timeout: float | None = None


def _seconds(option: str, value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise UsageError(f"{option} wants a positive number of seconds, not {value!r}")
    return seconds


def parse_args(argv: list[str]) -> Options:
    """Parse ``EVENT [--option VALUE | --option=VALUE ...]`` (argparse costs start-up time)."""
    if not argv or argv[0] not in EVENTS:
        got = repr(argv[0]) if argv else "nothing"
        raise UsageError(f"csup hook wants an event ({', '.join(EVENTS)}), got {got}")
    options = Options(argv[0])
    allowed = {"--policy", "--stdin-timeout"}
    if options.event == "stop":
        allowed = {"--check", "--check-timeout", "--stdin-timeout"}
    rest = argv[1:]
    while rest:
        name, sep, value = rest.pop(0).partition("=")
        if name not in allowed:
            raise UsageError(f"csup hook {options.event}: unknown option {name!r}")
        if not sep:
            if not rest:
                raise UsageError(f"csup hook {options.event}: {name} wants a value")
            value = rest.pop(0)
        if name == "--policy":
            options.policy = value
        elif name == "--check":
            options.check = value
        elif name == "--check-timeout":
            options.check_timeout = _seconds(name, value)
        else:
            options.stdin_timeout = _seconds(name, value)
    return options


def _dump(value: object) -> str:
    # ASCII with escapes: stdout's encoding (a C locale) can never break the answer.
    return json.dumps(value, separators=(",", ":")) + "\n"


def _malformed(data: Mapping[str, object], key: str, kind: str) -> ProtocolError:
    event = data.get("hook_event_name") or "hook"
    return ProtocolError(
        f"the {event} input has no {kind} {key!r} (got {type(data.get(key)).__name__}); "
        f"is this hook installed under the right event?"
    )


def _check_event(data: Mapping[str, object], expected: str) -> None:
    got = data.get("hook_event_name")
    if got is not None and got != expected:
        raise ProtocolError(
            f"`csup hook` for {expected} received a {got!r} hook input; "
            f"fix the hook entry in Claude Code's settings (see `csup install-hooks`)"
        )


def tool_call(data: Mapping[str, object]) -> ToolCall:
    """The tool call in a PreToolUse / PermissionRequest hook input.

    Raises :class:`ProtocolError` for an input without a tool name or input.
    """
    tool_name = data.get("tool_name")
    if not isinstance(tool_name, str) or not tool_name:
        raise _malformed(data, "tool_name", "string")
    tool_input = data.get("tool_input")
    if not isinstance(tool_input, dict):
        raise _malformed(data, "tool_input", "object")
    cwd = data.get("cwd")
    if not isinstance(cwd, str) or not cwd:
        cwd = os.getcwd()
    session_id = data.get("session_id")
    tool_use_id = data.get("tool_use_id")
    agent_id = data.get("agent_id")
    from csup.calls import ToolCall  # noqa: PLC0415 - keeps --help fast

    return ToolCall(
        tool_name,
        tool_input,
        cwd,
        session_id=session_id if isinstance(session_id, str) else None,
        tool_use_id=tool_use_id if isinstance(tool_use_id, str) else None,
        agent_id=agent_id if isinstance(agent_id, str) else None,
    )


def decide(
    data: Mapping[str, object], policy_spec: str | None, session: HookMemory | None = None
) -> Decision:
    """Decide on the tool call in a PreToolUse / PermissionRequest hook input.

    ``session``: what earlier calls of the session wrote, and the user's files (see
    :mod:`csup.hooks.memory`); None judges the call alone. Raises :class:`ProtocolError` for
    an input without a tool name or input, and the policy engine's :class:`ConfigError` for a
    policy that cannot be loaded.
    """
    call = tool_call(data)
    from csup.policy import resolve_policy  # noqa: PLC0415 - keeps --help fast

    started = time.perf_counter()
    policy = resolve_policy(policy_spec, cwd=call.cwd)
    decision = policy.decide(call, session.memory if session is not None else None)
    try:  # the record (issue #13): never changes the decision nor fails the hook
        from csup.hooks.record import record_decision  # noqa: PLC0415

        record_decision(data, call, decision, time.perf_counter() - started)
    except Exception:  # noqa: S110
        pass
    return decision


def _session(data: Mapping[str, object]) -> HookMemory | None:
    """The memory of the hook input's session (None without a session id); made on its
    first call, before the decision, so that its ``git status`` precedes every tool."""
    from csup.hooks.memory import open_memory  # noqa: PLC0415 - after the input is read

    return open_memory(data.get("session_id"), tool_call(data).cwd)


def pre_tool_use(data: Mapping[str, object], options: Options) -> HookResult:
    """Answer a PreToolUse hook: allow, deny or ask, exactly as the policy decided."""
    _check_event(data, "PreToolUse")
    from csup.answers import pre_tool_use_output  # noqa: PLC0415 - after the input is read

    session = _session(data)
    decision = decide(data, options.policy, session)
    if decision.behavior == "ask":  # the policy file may send it to the reviewer first
        from csup.hooks.escalate import escalate  # noqa: PLC0415 - only when escalating

        decision = escalate(data, decision, options.policy)
    if session is not None:  # what it decided last: the reviewer may have allowed the call
        session.remember(tool_call(data), decision)
    return HookResult(0, _dump(pre_tool_use_output(decision)))


def permission_request(data: Mapping[str, object], options: Options) -> HookResult:
    """Answer a PermissionRequest hook (Claude Code is about to show its permission dialog).

    allow and deny answer the dialog; ask prints nothing, so the dialog is shown to the user.
    """
    _check_event(data, "PermissionRequest")
    from csup.answers import permission_request_output  # noqa: PLC0415

    session = _session(data)
    decision = decide(data, options.policy, session)
    if session is not None:
        session.remember(tool_call(data), decision)
    output = permission_request_output(decision)
    return HookResult(0) if output is None else HookResult(0, _dump(output))


def stop(data: Mapping[str, object], options: Options) -> HookResult:
    """Answer a Stop hook: block stopping once when the ``--check`` command fails.

    ``stop_hook_active`` is true when Claude is already going on because of a Stop hook; then
    Claude may stop, so a check that keeps failing cannot loop the session forever.
    """
    _check_event(data, "Stop")
    if options.check is None or data.get("stop_hook_active") is True:
        return HookResult(0)
    cwd = data.get("cwd")
    from csup.hooks.check import run_check  # noqa: PLC0415 - subprocess only for stop hooks

    failure = run_check(
        options.check,
        cwd=cwd if isinstance(cwd, str) and cwd else None,
        timeout=options.check_timeout,
    )
    if failure is None:
        return HookResult(0)
    from csup.answers import stop_block_output  # noqa: PLC0415

    return HookResult(0, _dump(stop_block_output(failure)))


HANDLERS: dict[str, Callable[[Mapping[str, object], Options], HookResult]] = {
    "pre-tool-use": pre_tool_use,
    "permission-request": permission_request,
    "stop": stop,
}


def _stdin_timeout(options: Options) -> float:
    if options.stdin_timeout is not None:
        return options.stdin_timeout
    from_env = os.environ.get(STDIN_TIMEOUT_ENV)
    if from_env:
        return _seconds(STDIN_TIMEOUT_ENV, from_env)
    from csup.hooks.stdin import DEFAULT_TIMEOUT  # noqa: PLC0415

    return DEFAULT_TIMEOUT


def _failure(event: str, exc: BaseException) -> HookResult:
    """The fail-closed answer: exit 2 and the reason on stderr (stop hooks: exit 1)."""
    why = str(exc) if isinstance(exc, CsupError) else f"internal error {type(exc).__name__}: {exc}"
    if event == "stop":
        return HookResult(NON_BLOCKING, stderr=f"csup stop hook failed, not blocking: {why}\n")
    return HookResult(BLOCK, stderr=f"csup denied this tool call, it could not decide: {why}\n")


def _start_watchdog(seconds: int) -> None:
    """End this process with SIGALRM after ``seconds`` (0: never), however busy it is.

    SIGALRM's default action ends the process, also while it is stuck in C code (the shell
    parser) where no Python handler would run; the installed guard turns that exit into a
    deny. Only the hook process does this (:func:`main`), never a caller of :func:`run`.
    """
    import _signal  # type: ignore[import-not-found]  # noqa: PLC0415 - `signal` builds enums

    _signal.alarm(seconds)


def run(argv: list[str], stdin_fd: int = 0, *, watchdog: bool = False) -> HookResult:
    """Run one hook from its command line and the input on ``stdin_fd``; never raises.

    With ``watchdog`` (the hook process), a pre-tool-use or permission-request hook that is
    still running :data:`DECISION_DEADLINE` seconds after its stdin deadline is ended.
    """
    event = argv[0] if argv else "pre-tool-use"
    try:
        if argv[1:2] in (["-h"], ["--help"]) or argv[:1] in (["-h"], ["--help"]):
            return HookResult(0, USAGE)
        options = parse_args(argv)
        timeout = _stdin_timeout(options)
        if watchdog and options.event != "stop":  # stop: its check has its own timeout
            _start_watchdog(int(timeout) + 1 + DECISION_DEADLINE)
        from csup.hooks.stdin import read_json_object  # noqa: PLC0415

        data = read_json_object(stdin_fd, timeout=timeout)
        return HANDLERS[options.event](data, options)
    except BaseException as exc:  # every failure becomes a deny: fail closed
        return _failure(event, exc)


def main(argv: list[str]) -> int:
    """The ``csup hook`` console entry point (dispatched from :mod:`csup._entry`).

    Writes bytes (UTF-8) so no locale can turn an answer into a traceback: Claude Code lets
    a tool call through on any exit code but 0 and 2.
    """
    result = run(argv, watchdog=True)
    try:
        if result.stdout:
            sys.stdout.buffer.write(result.stdout.encode("utf-8"))
            sys.stdout.flush()
        if result.stderr:
            sys.stderr.buffer.write(result.stderr.encode("utf-8", "replace"))
            sys.stderr.flush()
    except BaseException:  # e.g. Claude Code stopped listening: block, if anything
        return NON_BLOCKING if argv[:1] == ["stop"] else BLOCK
    return result.code
