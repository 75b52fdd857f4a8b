"""``csup run`` (one task) and ``csup multi`` (many tasks, a few at a time)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import click

from csup.claude.options import SessionOptions
from csup.cli.escalation import escalation_options
from csup.cli.execute import (
    EscalationSettings,
    RecordSettings,
    TaskSpec,
    UsageProblem,
    execute,
)
from csup.cli.record import record_options

__all__ = ["multi", "run"]

F = TypeVar("F", bound=Callable[..., Any])

_SECONDS = click.FloatRange(min=0, min_open=True)
_USD = click.FloatRange(min=0)
_TURNS = click.IntRange(min=1)
_DIR = click.Path(exists=True, file_okay=False, path_type=Path)

# Per-task keys of a tasks file: (session option, command-line twin, type, repeatable).
_PER_TASK: dict[str, tuple[str, str, click.ParamType[Any], bool]] = {
    "cwd": ("cwd", "--cwd", _DIR, False),
    "model": ("model", "--model", click.STRING, False),
    "timeout": ("timeout", "--timeout", _SECONDS, False),
    "idle_timeout": ("idle_timeout", "--idle-timeout", _SECONDS, False),
    "max_turns": ("max_turns", "--max-turns", _TURNS, False),
    "max_cost": ("max_cost_usd", "--max-cost", _USD, False),
    "max_cost_usd": ("max_cost_usd", "--max-cost", _USD, False),
    "decision_timeout": ("decision_timeout", "--decision-timeout", _SECONDS, False),
    "until": ("until", "--until", click.STRING, False),
    "max_rounds": ("max_rounds", "--max-rounds", _TURNS, False),
    "until_timeout": ("until_timeout", "--until-timeout", _SECONDS, False),
    "worktree": ("worktree", "--worktree", click.BOOL, False),
    "base": ("worktree_base", "--base", click.STRING, False),
    "allowed_tools": ("allowed_tools", "--allowed-tools", click.STRING, True),
    "disallowed_tools": ("disallowed_tools", "--disallowed-tools", click.STRING, True),
}


def session_options(func: F) -> F:
    """The options ``run`` and ``multi`` share."""
    options = [
        click.option(
            "--policy",
            metavar="LEVEL|FILE",
            help="permissive, moderate, strict, or a policy TOML file "
            "(default: $CSUP_POLICY, .csup/policy.toml, ~/.config/csup/policy.toml, moderate).",
        ),
        click.option("--cwd", type=_DIR, help="Working directory of the sessions (default: here)."),
        click.option("--model", help="Model for claude (--model)."),
        click.option(
            "--timeout", type=_SECONDS, metavar="S", help="Stop a session after S seconds (killed)."
        ),
        click.option(
            "--idle-timeout",
            type=_SECONDS,
            metavar="S",
            help="Stop a session after S seconds with no output from claude and no tool running.",
        ),
        click.option("--max-turns", type=_TURNS, help="Passed to claude."),
        click.option(
            "--max-cost", type=_USD, metavar="USD", help="Stop a session whose cost goes over USD."
        ),
        click.option(
            "--budget",
            type=_USD,
            metavar="USD",
            help="Stop every session once the run's total cost goes over USD.",
        ),
        click.option(
            "--allowed-tools",
            multiple=True,
            metavar="TOOL",
            help="Passed to claude's --allowedTools (repeatable).",
        ),
        click.option(
            "--disallowed-tools",
            multiple=True,
            metavar="TOOL",
            help="Passed to claude's --disallowedTools (repeatable).",
        ),
        click.option(
            "--decision-timeout",
            type=_SECONDS,
            default=30.0,
            show_default=True,
            metavar="S",
            help="Deny a tool call whose decision takes longer than S seconds.",
        ),
        click.option(
            "--until",
            metavar="CMD",
            help="When claude says it is done, run CMD in the session's directory (under the "
            "policy); if it fails, give claude its output and let it go on.",
        ),
        click.option(
            "--max-rounds",
            type=_TURNS,
            default=3,
            show_default=True,
            help="How many times --until's check runs before the session ends as failed.",
        ),
        click.option(
            "--until-timeout",
            type=_SECONDS,
            default=600.0,
            show_default=True,
            metavar="S",
            help="Time limit of one --until check (past it the check failed).",
        ),
        click.option(
            "--worktree",
            is_flag=True,
            help="Run each session in a git worktree of its own, on branch "
            "csup/RUN/TASK (the work is committed there when the session ends).",
        ),
        click.option(
            "--base",
            metavar="REF",
            default="HEAD",
            show_default=True,
            help="With --worktree: where the sessions' branches start.",
        ),
        click.option(
            "--keep-worktrees",
            is_flag=True,
            help="With --worktree: keep every worktree (by default only those of sessions "
            "that did not complete are kept).",
        ),
        click.option(
            "--worktree-include",
            is_flag=True,
            help="With --worktree: copy the ignored files .worktreeinclude lists (like .env) "
            "into each worktree.",
        ),
        click.option(
            "--merge",
            "merge_mode",
            flag_value="completed",
            help="With --worktree: merge the completed sessions' branches into the base branch "
            "at the end, in task order, stopping at the first conflict.",
        ),
        click.option(
            "--merge-all",
            "merge_mode",
            flag_value="all",
            help="Like --merge, with the branches of sessions that failed or were stopped too.",
        ),
        click.option(
            "--retry-on-limit",
            is_flag=True,
            help="Resume a session that stopped on an API usage or rate limit once the limit "
            "resets (the time claude reports, else after --limit-wait).",
        ),
        click.option(
            "--limit-wait",
            type=_SECONDS,
            default=60.0,
            show_default=True,
            metavar="S",
            help="With --retry-on-limit: the wait when claude does not say when the limit resets.",
        ),
        click.option(
            "--claude-bin",
            type=click.Path(path_type=Path),
            envvar="CSUP_CLAUDE_BIN",
            help="The claude binary (default: $CSUP_CLAUDE_BIN, the project's, PATH).",
        ),
        click.option(
            "--json", "as_json", is_flag=True, help="Print one JSON document instead of the table."
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return cast(F, record_options(escalation_options(func)))


def _escalation_settings(kwargs: dict[str, Any]) -> EscalationSettings:
    return EscalationSettings(
        kwargs["escalate"],
        kwargs["reviewer_model"],
        kwargs["review_timeout"],
        kwargs["review_budget"],
        kwargs["approval_timeout"],
    )


def _record_settings(kwargs: dict[str, Any]) -> RecordSettings:
    return RecordSettings(kwargs["db"], kwargs["no_record"], kwargs["require_record"])


def _defaults(kwargs: dict[str, Any]) -> SessionOptions:
    return SessionOptions(
        cwd=kwargs["cwd"],
        model=kwargs["model"],
        claude_bin=kwargs["claude_bin"],
        timeout=kwargs["timeout"],
        idle_timeout=kwargs["idle_timeout"],
        max_turns=kwargs["max_turns"],
        max_cost_usd=kwargs["max_cost"],
        allowed_tools=tuple(kwargs["allowed_tools"]),
        disallowed_tools=tuple(kwargs["disallowed_tools"]),
        decision_timeout=kwargs["decision_timeout"],
        until=kwargs["until"],
        max_rounds=kwargs["max_rounds"],
        until_timeout=kwargs["until_timeout"],
        worktree=kwargs["worktree"],
        worktree_base=kwargs["base"],
        worktree_include=kwargs["worktree_include"],
        keep_worktree=kwargs["keep_worktrees"],
    )


def run_tasks(specs: list[TaskSpec], max_parallel: int, kwargs: dict[str, Any]) -> int:
    """Run ``specs`` with the options :func:`session_options` parsed; the exit code."""
    return execute(
        specs,
        max_parallel=max_parallel,
        policy=kwargs["policy"],
        defaults=_defaults(kwargs),
        as_json=kwargs["as_json"],
        budget_usd=kwargs["budget"],
        record=_record_settings(kwargs),
        retry_on_limit=kwargs["retry_on_limit"],
        limit_wait=kwargs["limit_wait"],
        merge=kwargs.get("merge_mode"),
        escalation=_escalation_settings(kwargs),
        backend=kwargs.get("backend", "local"),
        backend_options=_backend_options(kwargs),
    )


@click.command()
@click.argument("task")
@session_options
def run(task: str, **kwargs: Any) -> None:
    """Run one TASK in claude under the policy, then print a summary."""
    if not task.strip():
        raise click.BadParameter("the task is empty", param_hint="'TASK'")
    raise SystemExit(run_tasks([TaskSpec(task)], 1, kwargs))


def _read_tasks_file(path: Path) -> list[TaskSpec]:
    """One task a line; blank lines and ``#`` comments skipped; a line that starts with
    ``{`` is a JSON object with ``task`` and per-task options (cwd, model, timeout ...)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageProblem(f"cannot read tasks file {path}: {exc}") from exc
    specs = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not stripped.startswith("{"):
            specs.append(TaskSpec(stripped))
            continue
        try:
            data = json.loads(stripped)
        except ValueError as exc:
            raise UsageProblem(f"{path}, line {number}: not valid JSON ({exc})") from exc
        if not isinstance(data, dict) or not isinstance(data.get("task"), str):
            raise UsageProblem(f'{path}, line {number}: a JSON line needs a "task" string')
        if not data["task"].strip():
            raise UsageProblem(f'{path}, line {number}: the "task" is empty')
        options = {}
        for key, value in data.items():
            if key == "task":
                continue
            if key not in _PER_TASK:
                known = ", ".join(sorted(_PER_TASK))
                raise UsageProblem(f"{path}, line {number}: unknown key {key!r} (known: {known})")
            name, flag, kind, repeatable = _PER_TASK[key]
            options[name] = _per_task_value(value, flag, kind, repeatable, f"{path}, line {number}")
        specs.append(TaskSpec(data["task"], options))
    return specs


def _per_task_value(
    value: Any, flag: str, kind: click.ParamType[Any], repeatable: bool, where: str
) -> Any:
    """Check one per-task value as its command-line twin would (same messages)."""

    def bad(message: str) -> UsageProblem:
        return UsageProblem(f"{where}: invalid value for {flag}: {message}")

    if repeatable:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad(f"{value!r} is not a list of tool names")
        return tuple(value)
    if kind is click.BOOL:
        if not isinstance(value, bool):
            raise bad(f"{json.dumps(value)} is not true or false")
        return value
    if isinstance(value, bool) or value is None or isinstance(value, list | dict):
        raise bad(f"{json.dumps(value)} is not a valid {kind.name}")
    if kind is _TURNS and isinstance(value, float) and not value.is_integer():
        raise bad(f"{value!r} is not a valid integer")
    try:
        return kind.convert(value, None, None)
    except click.BadParameter as exc:
        raise bad(exc.message) from exc


@click.command()
@click.option("--task", "tasks", multiple=True, metavar="T", help="A task (repeatable).")
@click.option(
    "--tasks-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file of tasks: one a line, or JSON lines with per-task options.",
)
@click.option(
    "--max-parallel",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="How many sessions run at once; the others wait in a queue.",
)
@click.option(
    "--backend",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="Where sessions run: threads here, or actors on a Ray cluster (pip install 'csup[ray]').",
)
@click.option(
    "--ray-address",
    metavar="ADDR",
    help="The Ray cluster to join (e.g. auto, HOST:6379); default: a local Ray instance.",
)
@click.option(
    "--retry-lost", is_flag=True, help="With --backend ray: run a session again if its node dies."
)
@session_options
def multi(
    tasks: tuple[str, ...], tasks_file: Path | None, max_parallel: int, **kwargs: Any
) -> None:
    """Run many tasks in parallel (at most --max-parallel at once) under one policy."""
    if any(not task.strip() for task in tasks):
        raise click.BadParameter("a task is empty", param_hint="'--task'")
    specs = [TaskSpec(task) for task in tasks]
    if tasks_file is not None:
        specs += _read_tasks_file(tasks_file)
    if not specs:
        raise click.UsageError("give at least one --task or a --tasks-file")
    raise SystemExit(run_tasks(specs, max_parallel, kwargs))


def _backend_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    """``--ray-address`` and ``--retry-lost`` (``multi`` only), for ``--backend ray`` only."""
    if kwargs.get("backend", "local") != "ray":
        if kwargs.get("ray_address") is not None or kwargs.get("retry_lost"):
            raise click.UsageError("--ray-address and --retry-lost need --backend ray")
        return {}
    return {"address": kwargs["ray_address"], "retry_lost": kwargs["retry_lost"]}
