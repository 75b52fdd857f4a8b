"""Options of one supervised claude session, and the command line and environment they make."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

__all__ = ["DUPLEX_ARGS", "SessionOptions", "build_argv", "build_env"]

DUPLEX_ARGS: tuple[str, ...] = (
    "-p",
    "--input-format",
    "stream-json",
    "--output-format",
    "stream-json",
    "--verbose",
    "--permission-prompt-tool",
    "stdio",
)

# Variables that would make a child claude think it runs inside another Claude Code.
_DROPPED_ENV = ("CLAUDECODE",)


@dataclass(frozen=True, slots=True)
class SessionOptions:
    """How to run one claude session. Every field has a safe default.

    Time limits are in seconds; ``None`` means no limit. Limits that stop the session end it
    as ``killed`` with the reason.
    """

    cwd: str | os.PathLike[str] | None = None
    model: str | None = None
    claude_bin: str | os.PathLike[str] | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    allowed_tools: Sequence[str] = ()
    disallowed_tools: Sequence[str] = ()
    add_dirs: Sequence[str | os.PathLike[str]] = ()
    permission_mode: str | None = None
    resume: str | None = None
    max_turns: int | None = None
    extra_args: Sequence[str] = ()
    # "hook": csup decides on every tool call (a PreToolUse hook callback). "permission":
    # only on those claude's own permission engine would ask about (can_use_tool); tools
    # claude allows by itself, or that --allowedTools allows, then run without csup.
    decision_route: Literal["hook", "permission"] = "hook"
    # Fail closed: a tool request with no decision within this time is denied.
    decision_timeout: float = 30.0
    # Wall-clock limit for the whole session, and limit on silence from claude.
    timeout: float | None = None
    idle_timeout: float | None = None
    # claude must answer `initialize` within this time, or the session fails.
    startup_timeout: float = 60.0
    max_cost_usd: float | None = None
    # Run in a git worktree of its own (csup/worktree): made from worktree_base before claude
    # starts, its leftovers committed on its branch after claude stops; removed when the session
    # completed, kept when it did not (or with keep_worktree). worktree_include copies the
    # ignored files .worktreeinclude lists (like .env) into it.
    worktree: bool = False
    worktree_base: str = "HEAD"
    worktree_include: bool = False
    keep_worktree: bool = False
    # Stay open after claude's result for follow-up prompts (Supervisor.send) until closed.
    keep_open: bool = False
    # Carry on until CMD passes: when claude says it is done, csup runs CMD in the session's
    # cwd (under the policy, within until_timeout); if it fails, its output goes back to
    # claude as the next prompt, up to max_rounds checks in all.
    until: str | None = None
    max_rounds: int = 3
    until_timeout: float = 600.0
    # Bounded waits of the stop ladder: interrupt, then close stdin, then SIGTERM, then SIGKILL.
    interrupt_wait: float = 3.0
    close_wait: float = 2.0
    term_wait: float = 2.0


def _flag(name: str, value: str) -> list[str]:
    # A value that starts with "-" would be read as a flag: pass it as --flag=value.
    return [f"{name}={value}"] if value.startswith("-") else [name, value]


def build_argv(binary: str | os.PathLike[str], options: SessionOptions) -> list[str]:
    """The full command line for claude in duplex stream-json mode."""
    argv = [os.fspath(binary), *DUPLEX_ARGS]
    if options.model:
        argv += _flag("--model", options.model)
    if options.resume:
        argv += _flag("--resume", options.resume)
    if options.permission_mode:
        argv += _flag("--permission-mode", options.permission_mode)
    if options.max_turns is not None:
        argv += ["--max-turns", str(int(options.max_turns))]
    if options.allowed_tools:
        argv += _flag("--allowedTools", ",".join(options.allowed_tools))
    if options.disallowed_tools:
        argv += _flag("--disallowedTools", ",".join(options.disallowed_tools))
    for directory in options.add_dirs:
        argv += _flag("--add-dir", os.fspath(directory))
    argv += list(options.extra_args)
    return argv


def build_env(options: SessionOptions, token: str) -> dict[str, str]:
    """claude's environment: csup's own, minus ``CLAUDECODE``, plus the session's extras.

    ``CSUP_SESSION_TOKEN`` is inherited by every process claude starts, so a stop can find
    them all, even those that left claude's process tree.
    """
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENV}
    env.update(options.env)
    env["CSUP_SESSION_TOKEN"] = token
    if options.cwd is not None:
        env["PWD"] = str(Path(options.cwd).absolute())
    return env
