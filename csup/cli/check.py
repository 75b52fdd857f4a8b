"""``csup check``: ask the policy about a command or a tool call without running anything."""

from __future__ import annotations

import json
import os
import sys
from typing import Any, NoReturn

import click

from csup.errors import ConfigError
from csup.policy import Decision, Policy, ToolCall, resolve_policy

EXIT_CODES = {"allow": 0, "deny": 1, "ask": 3}
"""Exit status per decision; 2 is a usage error (click's own convention)."""


def _fail(message: str) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


def _tool_input(raw: str | None) -> dict[str, Any]:
    if raw is None:
        _fail("--tool needs --input with the tool's input as a JSON object")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as error:
        _fail(f"--input is not valid JSON ({error.msg} at column {error.colno})")
    if not isinstance(value, dict):
        _fail('--input must be a JSON object, e.g. \'{"file_path": "a.txt"}\'')
    return value


def _show(decision: Decision, as_json: bool, extra: dict[str, Any]) -> None:
    if as_json:
        out = {**extra, "decision": decision.behavior, "rule": decision.rule}
        click.echo(json.dumps({**out, "reason": decision.reason}, ensure_ascii=False))
    else:
        click.echo(f"{decision.behavior}  {decision.rule}\n{decision.reason}")


def _batch(policy: Policy, path: str, cwd: str) -> int:
    """One JSON line per command of ``path`` (``-``: standard input); the worst exit status."""
    try:
        if path == "-":
            lines = sys.stdin.read().splitlines()
        else:
            with open(path, encoding="utf-8") as handle:
                lines = handle.read().splitlines()
    except (OSError, UnicodeDecodeError) as error:
        _fail(f"cannot read {path}: {error}")
    worst = 0
    for line in lines:
        if not line.strip():
            continue
        decision = policy.decide(ToolCall("Bash", {"command": line}, cwd=cwd))
        _show(decision, True, {"command": line})
        code = EXIT_CODES[decision.behavior]
        worst = code if (code, worst) in ((1, 0), (1, 3), (3, 0)) else worst
    return worst


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--policy",
    "policy_spec",
    metavar="LEVEL|FILE",
    help="permissive, moderate, strict or a TOML policy file. Default: $CSUP_POLICY, "
    ".csup/policy.toml in DIR or a parent, ~/.config/csup/policy.toml, else moderate.",
)
@click.option(
    "--cwd",
    type=click.Path(file_okay=False, exists=True),
    help="The session's working directory (the workspace). Default: the current directory.",
)
@click.option("--tool", help="Judge a call of this tool (Write, Edit, Read, WebFetch, ...).")
@click.option("--input", "raw_input", metavar="JSON", help="The tool's input, a JSON object.")
@click.option("--json", "as_json", is_flag=True, help="Print the decision as a JSON object.")
@click.option(
    "--batch",
    metavar="FILE",
    help="Judge one Bash command per line of FILE ('-': stdin); print one JSON object a line.",
)
@click.argument("command", nargs=-1)
def check(  # noqa: PLR0917 - one parameter per click option
    policy_spec: str | None,
    cwd: str | None,
    tool: str | None,
    raw_input: str | None,
    as_json: bool,
    batch: str | None,
    command: tuple[str, ...],
) -> None:
    """Print what the policy decides about COMMAND (a Bash command) or a tool call.

    \b
      csup check -- 'rm -rf ~'
      csup check --tool Write --input '{"file_path": "/etc/hosts", "content": ""}'
      csup check --batch commands.txt

    Exit status: 0 allow, 1 deny, 3 ask (escalate), 2 usage error. With --batch, the worst.
    """
    modes = sum((bool(command), tool is not None, batch is not None))
    if modes != 1:
        _fail("give a command (after --), or --tool with --input, or --batch FILE")
    if raw_input is not None and tool is None:
        _fail("--input goes with --tool")
    workdir = os.path.abspath(cwd or os.getcwd())
    try:
        policy = resolve_policy(policy_spec, cwd=workdir)
    except ConfigError as error:
        _fail(str(error))
    if batch is not None:
        sys.exit(_batch(policy, batch, workdir))
    if tool is not None:
        tool_input = _tool_input(raw_input)
        extra: dict[str, Any] = {"tool": tool, "input": tool_input}
    else:
        tool, tool_input = "Bash", {"command": " ".join(command)}
        extra = {"command": tool_input["command"]}
    decision = policy.decide(ToolCall(tool, tool_input, cwd=workdir))
    _show(decision, as_json, extra)
    sys.exit(EXIT_CODES[decision.behavior])
