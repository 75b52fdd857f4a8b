"""Built-in rules for Claude's non-Bash tools: file paths and the network.

Write, Edit, MultiEdit and NotebookEdit may not touch csup's or Claude Code's settings,
credentials, system files or shell start-up files (deny), and outside the workspace they
ask. Read, Glob and Grep may not read credentials (deny) and outside the workspace they ask.
WebFetch and WebSearch ask: they leave the workspace.
"""

from __future__ import annotations

from csup.policy.programs.paths import expand, inside, is_control, real, secret_kind
from csup.policy.rules.base import Context, Finding, ask, deny
from csup.policy.rules.fs import SELF_PROTECT_REASON, judge_write
from csup.policy.syntax.command import Command

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from typing import Any

WRITE_TOOLS = frozenset({"Write", "Edit", "MultiEdit", "NotebookEdit"})
READ_TOOLS = frozenset({"Read", "Glob", "Grep", "LS"})
NETWORK_TOOLS = frozenset({"WebFetch", "WebSearch"})


def _path_input(tool: str, tool_input: Mapping[str, Any]) -> tuple[str | None, bool]:
    """The path a tool call names, and whether the input had one (or defaults to the cwd)."""
    key = (
        "notebook_path"
        if tool == "NotebookEdit"
        else "path"
        if tool in ("Glob", "Grep", "LS")
        else "file_path"
    )
    value = tool_input.get(key)
    if value is None and tool == "NotebookEdit":
        value = tool_input.get("file_path")
    if value is None and key == "path":
        return None, True
    return (value, True) if isinstance(value, str) and value else (None, False)


def judge_tool(tool: str, tool_input: Mapping[str, Any], ctx: Context) -> Iterator[Finding]:
    """Findings on one non-Bash tool call."""
    if tool in NETWORK_TOOLS:
        target = tool_input.get("url") or tool_input.get("query") or ""
        yield ask("net.fetch", f"{tool} `{str(target)[:200]}` reaches the network.")
        return
    if tool not in WRITE_TOOLS and tool not in READ_TOOLS:
        return
    raw, ok = _path_input(tool, tool_input)
    if not ok:
        yield deny(
            "tool.bad-input",
            f"Blocked {tool}: its input names no file path, so it "
            "cannot be checked. Give an absolute `file_path`.",
        )
        return
    if raw is None:
        return  # Glob/Grep without a path search the cwd
    path = expand(raw, ctx.where.cwd, ctx.where.home)
    if path is None:
        yield deny(
            "tool.bad-input",
            f"Blocked {tool} of `{raw}`: the path cannot be resolved. "
            "Give an absolute path without variables.",
        )
        return
    resolved = real(path)
    if tool in WRITE_TOOLS:
        if is_control(path) or is_control(resolved) or resolved in ctx.control_files:
            yield deny("csup.self-protect", f"Blocked {tool} of `{raw}`: {SELF_PROTECT_REASON}")
            return
        yield from judge_write(Command((tool, raw)), resolved, False, ctx, env_file_ok=False)
        return
    kind = secret_kind(path, ctx.where.home) or secret_kind(resolved, ctx.where.home)
    if kind:
        yield deny(
            "secrets.access",
            f"Blocked {tool} of `{raw}`: it is {kind}. Sessions may not "
            "read credentials; ask the user for what you need.",
        )
    elif not inside(resolved, ctx.where):
        yield ask(
            "workspace.outside", f"{tool} of `{raw}` reads `{resolved}`, outside the workspace."
        )
