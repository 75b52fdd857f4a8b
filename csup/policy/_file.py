"""The user's policy file (TOML), read into a :class:`PolicyConfig`.

Example (every key optional)::

    level = "moderate"                      # permissive | moderate | strict
    allow_tool = ["Read", "Glob", "Grep"]   # tools allowed without asking
    deny_tool = ["WebSearch"]               # tools always denied
    protected_branches = ["main", "release/*"]   # force pushes denied only to these
    workspace_dirs = ["../shared"]          # more workspace roots (relative to the cwd)
    read_claude_settings = true             # also use the rules in .claude/settings*.json
    escalate = "deny"                       # who settles an "ask": deny | reviewer | human
                                            # | reviewer+human (see csup.escalation)

    [permissions]                           # Claude Code's rule syntax
    allow = ["Bash(npm run test:*)", "Edit(src/**)"]
    ask = ["Bash(git push:*)"]
    deny = ["Read(./.env)", "WebFetch(domain:pastebin.com)"]

    [[exception]]                           # a built-in rule excepted (`csup allow` writes
    rule = "git.push-force"                 # these); rule ids: `csup policy rules`
    pattern = "git push --force origin feature/*"   # optional: only matching commands
    note = "added by csup allow on 2026-12-02"      # optional

An exception drops one built-in rule's findings, for the commands (or paths) its pattern
matches: see :mod:`csup.policy._exceptions`. Rules that keep csup itself running
(``csup.*``) or stand for "cannot be checked" (``shell.unanalysable``, ``tool.bad-input``)
cannot be excepted.

Unknown keys are errors: a misspelt ``deny_tools`` must not silently drop a rule. Every error
is a :class:`~csup.errors.PolicyFileError` naming the file, the line and the key.
"""

from __future__ import annotations

import os
import re

from csup._record import Frozen
from csup.errors import PolicyFileError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from csup.policy._claude_rules import ClaudeRule, RuleSet
    from csup.policy._exceptions import Exemption

LEVELS = ("permissive", "moderate", "strict")
_LISTS = ("allow_tool", "deny_tool", "protected_branches", "workspace_dirs")
ESCALATE_MODES = ("deny", "reviewer", "human", "reviewer+human")
_KEYS = {"level", "read_claude_settings", "permissions", "escalate", "exception", *_LISTS}
_PERMISSION_KEYS = ("allow", "ask", "deny")


class PolicyConfig(Frozen):
    """What a policy file says. ``rules``: the user's permission rules; None = none."""

    __slots__ = (  # noqa: RUF023 - constructor order
        "level",
        "allow_tool",
        "deny_tool",
        "protected_branches",
        "workspace_dirs",
        "read_claude_settings",
        "rules",
        "source",
        "escalate",
        "exceptions",
    )

    level: str
    allow_tool: tuple[str, ...]
    deny_tool: tuple[str, ...]
    protected_branches: tuple[str, ...] | None
    workspace_dirs: tuple[str, ...]
    read_claude_settings: bool
    rules: RuleSet | None
    source: str | None
    escalate: str
    exceptions: tuple[Exemption, ...]
    """The ``[[exception]]`` tables: built-in rules excepted (for some commands)."""

    def __init__(  # noqa: PLR0917 - one argument per key of the policy file
        self,
        level: str = "moderate",
        allow_tool: tuple[str, ...] = (),
        deny_tool: tuple[str, ...] = (),
        protected_branches: tuple[str, ...] | None = None,
        workspace_dirs: tuple[str, ...] = (),
        read_claude_settings: bool = False,
        rules: RuleSet | None = None,
        source: str | None = None,
        escalate: str = "deny",
        exceptions: tuple[Exemption, ...] = (),
    ) -> None:
        _set = object.__setattr__
        _set(self, "level", level)
        _set(self, "allow_tool", allow_tool)
        _set(self, "deny_tool", deny_tool)
        _set(self, "protected_branches", protected_branches)
        _set(self, "workspace_dirs", workspace_dirs)
        _set(self, "read_claude_settings", read_claude_settings)
        _set(self, "rules", rules)
        _set(self, "source", source)
        _set(self, "escalate", escalate)
        _set(self, "exceptions", exceptions)


def line_of(text: str, key: str | None = None, needle: str | None = None) -> int | None:
    """The first line (1-based) assigning ``key`` or containing ``needle``, if found."""
    for number, line in enumerate(text.splitlines(), start=1):
        if key is not None and re.match(rf"\s*\"?{re.escape(key)}\"?\s*[=:]", line):
            return number
        if needle is not None and needle in line:
            return number
    return None


def key_error(path: str, text: str, key: str, message: str) -> PolicyFileError:
    """A PolicyFileError for ``key`` (dotted for nested keys), with the line it is set on."""
    return PolicyFileError(path, message, line=line_of(text, key.rsplit(".", 1)[-1]), key=key)


def parse_rules(entries: Any, path: str, text: str, key: str, root: str | None) -> list[ClaudeRule]:
    """A list of rule strings (the value of ``key``) parsed, or a PolicyFileError."""
    import json  # noqa: PLC0415 - keeps `import csup.policy` cheap

    from csup.policy._claude_rules import parse_rule  # noqa: PLC0415

    short = key.rsplit(".", 1)[-1]
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        raise key_error(
            path, text, key, "must be a list of rule strings such as 'Bash(npm test:*)'"
        )
    rules = []
    for entry in entries:
        try:
            rules.append(parse_rule(entry, root))
        except ValueError as error:
            raise PolicyFileError(
                path,
                str(error),
                line=line_of(text, needle=json.dumps(entry))
                or line_of(text, needle=f"'{entry}'")
                or line_of(text, short),
                key=key,
            ) from None
    return rules


def read_policy_file(path: str | os.PathLike[str]) -> PolicyConfig:
    """Read and check a policy file; raises PolicyFileError naming the file, line and key."""
    import tomllib  # noqa: PLC0415 - only policy files need it

    from csup.policy._claude_rules import RuleSet  # noqa: PLC0415

    name = os.fspath(path)
    try:
        with open(name, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        raise PolicyFileError(name, f"cannot read the policy file ({error})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = re.search(r"\(at line (\d+), column \d+\)", message)
        line = int(match.group(1)) if match else None
        raise PolicyFileError(name, f"not valid TOML: {message}", line=line) from None
    for key in data:
        if key not in _KEYS:
            raise key_error(name, text, key, f"unknown key; known keys: {', '.join(sorted(_KEYS))}")
    level = data.get("level", "moderate")
    if level not in LEVELS:
        raise key_error(
            name, text, "level", f"level must be one of {', '.join(LEVELS)}, not {level!r}"
        )
    lists: dict[str, tuple[str, ...]] = {}
    for key in _LISTS:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise key_error(name, text, key, "must be a list of non-empty strings")
        lists[key] = tuple(value)
    claude = data.get("read_claude_settings", False)
    if not isinstance(claude, bool):
        raise key_error(name, text, "read_claude_settings", "must be true or false")
    escalate = data.get("escalate", "deny")
    if escalate not in ESCALATE_MODES:
        raise key_error(
            name,
            text,
            "escalate",
            f"escalate must be one of {', '.join(ESCALATE_MODES)}, not {escalate!r}",
        )
    permissions = data.get("permissions", {})
    if not isinstance(permissions, dict):
        raise key_error(name, text, "permissions", "must be a table with allow, ask and deny")
    root = _project_root(name)
    parsed: dict[str, list[ClaudeRule]] = {}
    for key, value in permissions.items():
        if key not in _PERMISSION_KEYS:
            raise key_error(name, text, f"permissions.{key}", "unknown key; use allow, ask or deny")
        parsed[key] = parse_rules(value, name, text, f"permissions.{key}", root)
    exceptions: tuple[Exemption, ...] = ()
    if "exception" in data:
        from csup.policy._exceptions import parse_exceptions  # noqa: PLC0415 - only then

        exceptions = parse_exceptions(data["exception"], name, text)
    return PolicyConfig(
        level=level,
        allow_tool=lists["allow_tool"],
        deny_tool=lists["deny_tool"],
        protected_branches=lists["protected_branches"] if "protected_branches" in data else None,
        workspace_dirs=lists["workspace_dirs"],
        read_claude_settings=claude,
        rules=RuleSet(parsed.get("deny", ()), parsed.get("ask", ()), parsed.get("allow", ())),
        source=os.path.realpath(name),
        escalate=escalate,
        exceptions=exceptions,
    )


def _project_root(path: str) -> str:
    """``/rule`` patterns are relative to the project: the parent of ``.csup/``."""
    parent = os.path.dirname(os.path.realpath(path))
    return os.path.dirname(parent) if os.path.basename(parent) == ".csup" else parent
