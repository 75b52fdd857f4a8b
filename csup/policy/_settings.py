"""Claude Code's own permission rules, read from its settings files (when the policy asks).

Read: ``<cwd>/.claude/settings.json``, ``<cwd>/.claude/settings.local.json`` and
``~/.claude/settings.json``: their ``permissions.allow``/``ask``/``deny`` lists and
``permissions.additionalDirectories``. A file is re-read when its modification time changes.
"""

from __future__ import annotations

import json
import os

from csup._record import Frozen
from csup.errors import PolicyFileError
from csup.policy._claude_rules import RuleSet
from csup.policy._file import key_error, parse_rules


class ClaudeSettings(Frozen):
    """The permission rules and extra directories of one or more settings files."""

    __slots__ = ("rules", "directories")  # noqa: RUF023 - constructor order

    rules: RuleSet
    directories: tuple[str, ...]

    def __init__(self, rules: RuleSet, directories: tuple[str, ...] = ()) -> None:
        object.__setattr__(self, "rules", rules)
        object.__setattr__(self, "directories", directories)


_cache: dict[str, tuple[float, ClaudeSettings]] = {}


def settings_files(cwd: str, home: str) -> list[str]:
    """The settings files consulted for a session in ``cwd``, project ones first."""
    return [
        os.path.join(cwd, ".claude", "settings.json"),
        os.path.join(cwd, ".claude", "settings.local.json"),
        os.path.join(home, ".claude", "settings.json"),
    ]


def read_settings_file(path: str, root: str) -> ClaudeSettings:
    """One settings file's permissions; a missing file has none. Raises PolicyFileError."""
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        return ClaudeSettings(RuleSet())
    cached = _cache.get(path)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise PolicyFileError(path, f"not valid JSON: {error.msg}", line=error.lineno) from None
    except (OSError, UnicodeDecodeError) as error:
        raise PolicyFileError(path, f"cannot read the settings file ({error})") from None
    permissions = data.get("permissions", {}) if isinstance(data, dict) else {}
    if not isinstance(permissions, dict):
        raise key_error(path, text, "permissions", "must be an object")
    lists = {
        kind: parse_rules(permissions.get(kind, []), path, text, f"permissions.{kind}", root)
        for kind in ("deny", "ask", "allow")
    }
    dirs = permissions.get("additionalDirectories", [])
    if not isinstance(dirs, list) or not all(isinstance(d, str) for d in dirs):
        raise key_error(
            path, text, "permissions.additionalDirectories", "must be a list of directories"
        )
    result = ClaudeSettings(RuleSet(lists["deny"], lists["ask"], lists["allow"]), tuple(dirs))
    _cache[path] = (mtime, result)
    return result


def read_claude_settings(cwd: str, home: str) -> ClaudeSettings:
    """Every settings file's permissions for a session in ``cwd``, merged."""
    rules = RuleSet()
    dirs: list[str] = []
    for path in settings_files(cwd, home):
        one = read_settings_file(path, cwd)
        rules = rules.merged(one.rules)
        dirs.extend(one.directories)
    return ClaudeSettings(rules, tuple(dirs))
