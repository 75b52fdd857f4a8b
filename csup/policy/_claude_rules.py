"""Claude Code's permission-rule syntax, so users bring the rules they already have.

A rule is ``Tool`` or ``Tool(specifier)``: ``Bash(npm run test:*)``, ``Read(./.env)``,
``Edit(src/**)``, ``WebFetch(domain:example.com)``, ``mcp__github__*``. As in Claude Code,
deny rules win over ask rules, which win over allow rules, whatever their specificity; and a
chained Bash command is allowed only if *every* command in it matches an allow rule, while a
deny or ask rule needs to match just one.
"""

from __future__ import annotations

import os
import re
from fnmatch import fnmatchcase
from functools import lru_cache

from csup._lazy_re import LazyRegex
from csup._record import Frozen
from csup.policy.programs.paths import expand, real

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from typing import Any, Literal

    from csup.policy.syntax.command import Analysis, Command

    Kind = Literal["deny", "ask", "allow"]

EDIT_TOOLS = frozenset({"Edit", "Write", "MultiEdit", "NotebookEdit"})
READ_TOOLS = frozenset({"Read", "Glob", "Grep", "LS"})
# Wrappers a Bash allow rule may look through (as Claude Code does); any other (sudo, env,
# bash -c, eval, find -exec, ...) keeps a command from matching an allow rule.
_TRANSPARENT = frozenset(
    {"timeout", "time", "nice", "nohup", "stdbuf", "command", "builtin", "noglob", "$( )"}
)
_RULE = LazyRegex(r"^\s*([A-Za-z_][\w.*-]*)\s*(?:\((.*)\))?\s*$", re.DOTALL)


class ClaudeRule(Frozen):
    """One parsed permission rule; ``root`` anchors ``/path`` patterns (its settings' root)."""

    __slots__ = ("text", "tool", "spec", "root")  # noqa: RUF023 - constructor order

    text: str
    tool: str
    spec: str | None
    root: str | None

    def __init__(self, text: str, tool: str, spec: str | None, root: str | None = None) -> None:
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "tool", tool)
        object.__setattr__(self, "spec", spec)
        object.__setattr__(self, "root", root)


def parse_rule(text: str, root: str | None = None) -> ClaudeRule:
    """Parse ``Tool`` or ``Tool(specifier)``; raises ValueError saying what is wrong."""
    match = _RULE.match(text)
    if match is None:
        raise ValueError(
            f"{text!r} is not a permission rule: write Tool or Tool(specifier), "
            "e.g. 'Bash(npm run test:*)' or 'Read(./.env)'"
        )
    tool, spec = match.group(1), match.group(2)
    if spec is not None and not spec.strip():
        raise ValueError(f"{text!r} has an empty specifier: write {tool} to match every call")
    if spec is not None and spec.strip() == "*":
        spec = None
    return ClaudeRule(text.strip(), tool, spec.strip() if spec else None, root)


def _tool_matches(rule: ClaudeRule, tool: str) -> bool:
    if rule.tool == tool or fnmatchcase(tool, rule.tool):
        return True
    if rule.tool.startswith("mcp__") and rule.tool.count("__") == 1:
        return tool.startswith(rule.tool + "__")
    return (rule.tool == "Edit" and tool in EDIT_TOOLS) or (
        rule.tool == "Read" and tool in READ_TOOLS
    )


@lru_cache(maxsize=512)
def _command_pattern(spec: str) -> re.Pattern[str]:
    """``npm run test:*`` / ``ls *``: the command or the command plus arguments; ``*`` anywhere."""
    spec = " ".join(spec.split())
    tail = ""
    if spec.endswith((":*", " *")):
        spec, tail = spec[:-2], r"(?:\s.*)?"
    body = ".*".join(re.escape(part) for part in spec.split("*"))
    return re.compile(body + tail, re.DOTALL)


@lru_cache(maxsize=512)
def _path_pattern(spec: str) -> re.Pattern[str]:
    """gitignore-style glob (``**``, ``*``, ``?``) to a regex that also matches inside dirs."""
    out = []
    i = 0
    while i < len(spec):
        if spec.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif spec.startswith("**", i):
            out.append(".*")
            i += 2
        elif spec[i] == "*":
            out.append("[^/]*")
            i += 1
        elif spec[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(spec[i]))
            i += 1
    return re.compile("".join(out) + "(?:/.*)?", re.DOTALL)


def _path_matches(rule: ClaudeRule, path: str, cwd: str, home: str) -> bool:
    spec = rule.spec or ""
    if spec.startswith("//"):
        pattern = spec[1:]
    elif spec.startswith("~/"):
        pattern = home + spec[1:]
    elif spec.startswith("/"):
        pattern = (rule.root or cwd).rstrip("/") + spec
    elif "/" not in spec.rstrip("/"):
        pattern = "**/" + spec
    else:
        pattern = cwd.rstrip("/") + "/" + spec.removeprefix("./")
    if pattern.startswith("**/"):
        return _path_pattern(pattern).fullmatch(path.lstrip("/")) is not None
    return (
        _path_pattern(
            os.path.normpath(pattern).replace("//", "/") if "*" not in pattern else pattern
        ).fullmatch(path)
        is not None
    )


def _input_path(tool_input: Mapping[str, Any]) -> str | None:
    for key in ("file_path", "notebook_path", "path"):
        value = tool_input.get(key)
        if isinstance(value, str):
            return value
    return None


def _segment_matches(rule: ClaudeRule, command: Command, kind: Kind) -> bool:
    if kind == "allow" and not set(command.via) <= _TRANSPARENT:
        return False
    return rule.spec is None or _command_pattern(rule.spec).fullmatch(command.text) is not None


class Call(Frozen):
    """A tool call as the rules see it, with the session's cwd and the user's home."""

    __slots__ = ("tool", "tool_input", "cwd", "home")  # noqa: RUF023 - constructor order

    tool: str
    tool_input: Mapping[str, Any]
    cwd: str
    home: str

    def __init__(self, tool: str, tool_input: Mapping[str, Any], cwd: str, home: str) -> None:
        object.__setattr__(self, "tool", tool)
        object.__setattr__(self, "tool_input", tool_input)
        object.__setattr__(self, "cwd", cwd)
        object.__setattr__(self, "home", home)


def rule_matches(rule: ClaudeRule, call: Call, kind: Kind) -> bool:
    """Whether a (non-Bash) tool call matches ``rule``."""
    tool, tool_input, cwd, home = call.tool, call.tool_input, call.cwd, call.home
    if not _tool_matches(rule, tool):
        return False
    if rule.spec is None:
        return True
    spec = rule.spec
    if tool in EDIT_TOOLS or tool in READ_TOOLS:
        if rule.tool not in ("Edit", "Read") and rule.tool != tool:
            return False
        raw = _input_path(tool_input) or (cwd if tool in READ_TOOLS else None)
        path = None if raw is None else expand(raw, cwd, home)
        if path is None:
            return kind != "allow"
        resolved = real(path)
        if kind == "allow":
            return _path_matches(rule, resolved, cwd, home)
        return _path_matches(rule, path, cwd, home) or _path_matches(rule, resolved, cwd, home)
    if spec.startswith("domain:"):
        from urllib.parse import urlsplit  # noqa: PLC0415 - only WebFetch rules need it

        url = tool_input.get("url")
        host = urlsplit(url).hostname if isinstance(url, str) else None
        return host is not None and fnmatchcase(host.lower(), spec[7:].lower())
    if ":" in spec:
        key, _, value = spec.partition(":")
        if key in tool_input:
            return fnmatchcase(str(tool_input[key]).lower(), value.lower())
    values = [v for v in tool_input.values() if isinstance(v, str)]
    return any(fnmatchcase(v, spec) for v in values)


class RuleSet:
    """Deny, ask and allow rules, judged with Claude Code's precedence."""

    __slots__ = ("allow", "ask", "deny")

    def __init__(
        self,
        deny: Iterable[ClaudeRule] = (),
        ask: Iterable[ClaudeRule] = (),
        allow: Iterable[ClaudeRule] = (),
    ) -> None:
        self.deny = tuple(deny)
        self.ask = tuple(ask)
        self.allow = tuple(allow)

    def __bool__(self) -> bool:
        return bool(self.deny or self.ask or self.allow)

    def merged(self, other: RuleSet) -> RuleSet:
        """Both sets of rules together."""
        return RuleSet(self.deny + other.deny, self.ask + other.ask, self.allow + other.allow)

    def judge(self, call: Call, analysis: Callable[[], Analysis]) -> tuple[Kind, ClaudeRule] | None:
        """The first rule that decides the call, deny before ask before allow; None if none."""
        kinds: tuple[tuple[Kind, tuple[ClaudeRule, ...]], ...] = (
            ("deny", self.deny),
            ("ask", self.ask),
        )
        for kind, rules in kinds:
            for rule in rules:
                if self._matches(rule, call, kind, analysis):
                    return kind, rule
        if call.tool == "Bash":
            return self._allow_bash(analysis())
        for rule in self.allow:
            if rule_matches(rule, call, "allow"):
                return "allow", rule
        return None

    def _matches(
        self, rule: ClaudeRule, call: Call, kind: Kind, analysis: Callable[[], Analysis]
    ) -> bool:
        tool_input = call.tool_input
        if call.tool != "Bash" or not _tool_matches(rule, call.tool):
            return rule_matches(rule, call, kind)
        if rule.spec is None:
            return True
        commands = analysis().commands
        raw = " ".join(str(tool_input.get("command", "")).split())
        return any(_segment_matches(rule, c, kind) for c in commands) or (
            _command_pattern(rule.spec).fullmatch(raw) is not None
        )

    def _allow_bash(self, analysis: Analysis) -> tuple[Kind, ClaudeRule] | None:
        """Every command of the line must match some allow rule; the first one is reported."""
        rules = [r for r in self.allow if _tool_matches(r, "Bash")]
        if not rules or analysis.problems or not analysis.commands:
            return None
        first: ClaudeRule | None = None
        for command in analysis.commands:
            hit = next((r for r in rules if _segment_matches(r, command, "allow")), None)
            if hit is None:
                return None
            first = first or hit
        return ("allow", first) if first else None
