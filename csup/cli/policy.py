"""``csup policy``: explain a decision, and show the policy in effect.

``csup policy explain 'CMD'`` prints how csup reads a command line (its commands after
normalisation: wrappers, variables, redirections; what it executes and writes; what could
not be analysed), the decision with the rule that fired and why, and the exact line to put
in a policy file to allow it (or why it cannot be allowed there). ``csup policy show`` prints
the effective policy and where each part came from. ``csup policy rules`` lists the
built-in rule ids (the catalog of :mod:`csup.policy._rule_ids`).
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import click

from csup.errors import ConfigError
from csup.policy import Decision, Policy, ToolCall, resolve_policy


@click.group("policy")
def policy_group() -> None:
    """Explain the policy's decisions and show the policy in effect."""


def _load(spec: str | None, cwd: str) -> Policy:
    try:
        return resolve_policy(spec, cwd=cwd)
    except ConfigError as error:  # PolicyFileError is a ConfigError
        raise click.ClickException(str(error)) from error


def _allow_line(command: str, decision: Decision, policy: Policy) -> str:
    """What to write to allow the command, or why the policy cannot."""
    if decision.behavior == "allow":
        return "nothing to do: it is allowed"
    if decision.behavior == "deny" and not decision.rule.startswith("user."):
        hint = _SUGGESTED.search(decision.reason)
        if hint is not None:  # the engine's own suggestion, for this command
            return f"`{decision.rule}` is a built-in rule; to except it, run:\n{hint.group(1)}"
        return (
            f"`{decision.rule}` is a built-in rule that denies at every level and cannot be "
            "excepted. If it is meant, run the command yourself, outside the session."
        )
    where = policy.config.source or os.path.join(".csup", "policy.toml")
    rule = json.dumps(f"Bash({command})", ensure_ascii=False)
    return f"add to [permissions] in {where}:\nallow = [{rule}]"


_SUGGESTED = re.compile(r"a user can allow it with: (csup allow .*)\]$")
_NOT_FILES = frozenset({"/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty"})


def explanation(command: str, policy: Policy, cwd: str) -> dict[str, Any]:
    """Everything ``explain`` shows, as data (also its ``--json`` output)."""
    from csup.policy.programs.knowledge import analyse  # noqa: PLC0415 - the parser loads on demand

    analysis = analyse(command)
    decision = policy.decide(ToolCall("Bash", {"command": command}, cwd=cwd, kind="check"))
    writes = [t for t, _ in analysis.writes if t not in _NOT_FILES]
    writes += [
        r.target
        for r in analysis.redirects
        if r.op.endswith(">") and r.target not in writes and r.target not in _NOT_FILES
    ]
    return {
        "command": command,
        "level": policy.level,
        "commands": [
            {"argv": list(c.argv), "via": list(dict.fromkeys(c.via)), "unknown": sorted(c.dynamic)}
            for c in analysis.commands
        ],
        "executes": list(dict.fromkeys(c.name for c in analysis.commands)),
        "writes": writes,
        "problems": list(analysis.problems),
        "decision": decision.behavior,
        "rule": decision.rule,
        "reason": decision.reason,
        "to_allow": _allow_line(command, decision, policy),
    }


def _text(info: dict[str, Any]) -> str:
    lines = [f"command:  {info['command']}", "parse (after normalisation):"]
    for k, command in enumerate(info["commands"], start=1):
        via = f"   via {', '.join(command['via'])}" if command["via"] else ""
        unknown = command["unknown"]
        known = f"   words known only at run time: {unknown}" if unknown else ""
        lines.append(f"  {k}. {json.dumps(command['argv'], ensure_ascii=False)}{via}{known}")
    if not info["commands"]:
        lines.append("  (no command)")
    lines.append(f"executes: {', '.join(info['executes']) or '-'}")
    lines.append(f"writes:   {', '.join(info['writes']) or '-'}")
    if info["problems"]:
        lines.append(f"cannot analyse: {'; '.join(info['problems'])}")
    lines.append(f"decision: {info['decision']}  ({info['rule']}, level {info['level']})")
    lines.append(f"why:      {info['reason']}")
    lines.append(f"to allow: {info['to_allow']}")
    return "\n".join(lines)


@policy_group.command("explain")
@click.argument("command")
@click.option(
    "--policy", "spec", help="A level or a policy file (default: as `csup run` finds it)."
)
@click.option("--cwd", default=None, help="The workspace to judge in (default: here).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of text.")
def explain(command: str, spec: str | None, cwd: str | None, as_json: bool) -> None:
    """Explain the decision on the Bash command CMD: parse, rule, and how to allow it."""
    where = os.path.abspath(cwd or os.getcwd())
    info = explanation(command, _load(spec, where), where)
    click.echo(json.dumps(info, ensure_ascii=False) if as_json else _text(info))


@policy_group.command("show")
@click.option(
    "--policy", "spec", help="A level or a policy file (default: as `csup run` finds it)."
)
@click.option("--cwd", default=None, help="The workspace (default: here).")
def show(spec: str | None, cwd: str | None) -> None:
    """Show the effective policy and where each part came from."""
    where = os.path.abspath(cwd or os.getcwd())
    policy = _load(spec, where)
    config = policy.config
    if spec:
        origin = f"--policy {spec}"
    elif os.environ.get("CSUP_POLICY"):
        origin = f"$CSUP_POLICY={os.environ['CSUP_POLICY']}"
    else:
        origin = config.source or "built-in default"
    lines = [
        f"level:              {policy.level}   (from {origin})",
        f"policy file:        {config.source or '-'}",
        f"allow_tool:         {', '.join(config.allow_tool) or '-'}",
        f"deny_tool:          {', '.join(config.deny_tool) or '-'}",
        "protected_branches: "
        + (", ".join(config.protected_branches) if config.protected_branches is not None
           else "every branch (plain force pushes); mainlines for --force-with-lease"),
        f"workspace_dirs:     {', '.join(config.workspace_dirs) or '-'}",
        f"claude settings:    {'read' if config.read_claude_settings else 'not read'}",
    ]  # fmt: skip
    if config.rules is not None:
        lines.append(f"rules:              {config.rules!r}")
    for exception in config.exceptions:
        only = f" for {exception.pattern!r}" if exception.pattern else " everywhere"
        lines.append(f"exception:          {exception.rule}{only}")
    from csup.policy.programs.catalog import ENTRIES  # noqa: PLC0415 - only here

    rules = sorted({e.rule for e in ENTRIES})
    lines.append(f"built-in catalog:   {len(ENTRIES)} tools, rules {', '.join(rules)}")
    click.echo("\n".join(lines))


@policy_group.command("rules")
@click.option("--json", "as_json", is_flag=True, help="A JSON list instead of a table.")
def rules_command(as_json: bool) -> None:
    """List the built-in rule ids: what each yields, what it catches, and whether
    `csup allow` can except it."""
    from csup.policy._rule_ids import rules  # noqa: PLC0415 - only here

    rows = rules()
    if as_json:
        listed = [
            {"id": r.id, "yields": r.behaviour, "description": r.description,
             "exceptable": r.fixed is None, "dangerous": list(r.dangerous),
             "safe": list(r.safe), "tools": list(r.tools)}
            for r in rows
        ]  # fmt: skip
        click.echo(json.dumps(listed, ensure_ascii=False, indent=1))
        return
    from tabulate import tabulate  # noqa: PLC0415

    table = [(r.id + ("" if r.fixed is None else " (fixed)"), r.behaviour, r.description)
             for r in rows]  # fmt: skip
    click.echo(tabulate(table, headers=("rule", "yields", "what"), tablefmt="simple"))
    click.echo("\n(fixed): cannot be excepted. Except another: csup allow RULE --pattern GLOB")
