"""``csup doctor``: what stands between this machine and a supervised run, and what to do.

Each check is a plain function returning :class:`Finding` (ok, warn or fail, what was seen,
what to do). They read files and run ``claude --version``; they change nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from csup.errors import CsupError

__all__ = ["Finding", "run_checks"]

PINNED = "2.1.330"


@dataclass(frozen=True, slots=True)
class Finding:
    """One check's outcome: ``level`` is "ok", "warn" or "fail"; ``fix`` what to do."""

    check: str
    level: str
    what: str
    fix: str = ""


def check_claude(claude_bin: str | None) -> Finding:
    from csup.claude.locate import find_claude  # noqa: PLC0415

    try:
        binary = find_claude(claude_bin)
    except CsupError as exc:
        return Finding("claude", "fail", str(exc), "run scripts/setup or pass --claude-bin")
    try:
        out = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Finding("claude", "fail", f"{binary} does not run: {exc}", "reinstall Claude Code")
    version = (out.stdout.split() or ["?"])[0]
    if out.returncode != 0:
        why = out.stderr.strip()[-200:]
        return Finding("claude", "fail", f"{binary} --version failed: {why}", "reinstall it")
    if version != PINNED:
        return Finding(
            "claude",
            "warn",
            f"{binary} is Claude Code {version}; csup is checked against {PINNED}",
            f"npm install @anthropic-ai/claude-code@{PINNED}, or test your version first",
        )
    return Finding("claude", "ok", f"{binary} is Claude Code {version}")


def check_policy(policy: str | None, cwd: str) -> Finding:
    from csup.policy import resolve_policy  # noqa: PLC0415

    try:
        found = resolve_policy(policy, cwd=cwd)
    except CsupError as exc:
        return Finding("policy", "fail", str(exc), "fix the file it names (csup policy show)")
    source = found.config.source or "the default level"
    return Finding("policy", "ok", f"level {found.level}, from {source}")


def _settings(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, None
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"cannot be read: {exc}"
    try:
        value = json.loads(text) if text.strip() else {}
    except ValueError as exc:
        return None, f"is not valid JSON ({exc}); Claude Code ignores it"
    if not isinstance(value, dict):
        return None, "is not a JSON object"
    return value, None


def check_settings(cwd: str) -> list[Finding]:
    """Claude Code's settings files: csup's hooks in the shape Claude Code reads, and settings
    that would switch them off or skip the permission checks."""
    from csup.hooks.install import SCOPES, is_csup_command, settings_path  # noqa: PLC0415

    findings = []
    installed = []
    for scope in SCOPES:
        path = settings_path(scope, project_dir=cwd)
        settings, problem = _settings(path)
        if problem is not None:
            findings.append(Finding("settings", "fail", f"{path} {problem}", "fix or move it"))
            continue
        if settings is None:
            continue
        hooks = settings.get("hooks") if isinstance(settings.get("hooks"), dict) else {}
        for group in (hooks or {}).get("PreToolUse") or []:
            entries = group.get("hooks") if isinstance(group, dict) else None
            for hook in entries if isinstance(entries, list) else []:
                command = hook.get("command") if isinstance(hook, dict) else None
                if is_csup_command(command):
                    guarded = isinstance(command, str) and "exit 2" in command
                    installed.append((scope, path, guarded))
        if settings.get("disableAllHooks") is True:
            findings.append(
                Finding(
                    "settings",
                    "warn",
                    f"{path} sets disableAllHooks: no hook runs, csup's included",
                    "remove disableAllHooks, or run sessions under csup run/multi",
                )
            )
        permissions = settings.get("permissions")
        mode = permissions.get("defaultMode") if isinstance(permissions, dict) else None
        if mode == "bypassPermissions":
            findings.append(
                Finding(
                    "settings",
                    "warn",
                    f"{path} sets defaultMode bypassPermissions",
                    "csup's hook still decides, but remove it unless you mean it",
                )
            )
    for scope, path, guarded in installed:
        if guarded:
            findings.append(Finding("hooks", "ok", f"csup's PreToolUse hook is in {path}"))
        else:
            findings.append(
                Finding(
                    "hooks",
                    "warn",
                    f"csup's hook in {path} is an old install without the fail-closed guard",
                    f"csup install-hooks --scope {scope} (upgrades it)",
                )
            )
    if not installed:
        findings.append(
            Finding(
                "hooks",
                "ok",
                "no csup hook in Claude Code's settings (only supervised runs are guarded)",
                "csup install-hooks, to guard interactive Claude Code too",
            )
        )
    return findings


def check_guardian() -> Finding:
    if os.path.isdir("/proc/self"):
        return Finding("guardian", "ok", "/proc is readable: sessions die with csup, SIGKILL too")
    return Finding(
        "guardian",
        "warn",
        "no /proc: if csup itself is killed, its sessions' processes are not swept",
        "run csup on Linux for that guarantee",
    )


def check_record(db: str | None) -> Finding:
    from csup.record import resolve_db_path  # noqa: PLC0415

    path = resolve_db_path(db, None)
    if path is None:
        return Finding("record", "ok", "the record is off (CSUP_NO_RECORD)")
    target = Path(path)
    folder = target.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if target.exists() and not os.access(target, os.W_OK):
        return Finding("record", "warn", f"{target} is read-only", "csup runs without a record")
    if not target.exists() and not os.access(folder, os.W_OK):
        return Finding("record", "warn", f"{folder} is not writable", "choose --db or CSUP_DB")
    return Finding("record", "ok", f"runs are recorded in {target}")


def check_state() -> Finding:
    """The state directory ``csup hook`` keeps each session's memory in (what it wrote, the
    user's uncommitted files): without it, hooked sessions are judged call by call."""
    from csup.statedir import state_dir  # noqa: PLC0415

    target = Path(state_dir())
    folder = target
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        return Finding(
            "state",
            "warn",
            f"{folder} is not a writable directory: csup hook cannot keep a session's memory "
            "(a script written in one call and run in a later one is judged without it)",
            "make it writable, or set CSUP_STATE_DIR to a directory you own",
        )
    return Finding("state", "ok", f"hooked sessions' memory is kept in {target}")


def run_checks(
    *,
    claude_bin: str | None = None,
    policy: str | None = None,
    cwd: str | None = None,
    db: str | None = None,
) -> list[Finding]:
    """Every check, in order; none raises."""
    here = cwd or os.getcwd()
    checks: list[Callable[[], Finding | list[Finding]]] = [
        lambda: check_claude(claude_bin),
        lambda: check_policy(policy, here),
        lambda: check_settings(here),
        check_guardian,
        lambda: check_record(db),
        check_state,
    ]
    findings: list[Finding] = []
    for check in checks:
        try:
            found = check()
        except Exception as exc:  # a check that breaks is itself a finding
            found = Finding("doctor", "fail", f"a check failed: {type(exc).__name__}: {exc}")
        findings.extend(found if isinstance(found, list) else [found])
    return findings
