"""``csup install-hooks`` and ``csup uninstall-hooks``: csup's policy in interactive Claude Code.

The hook itself (``csup hook EVENT``) is not a click command: :mod:`csup._entry` dispatches it
before click is imported, because Claude Code starts it for every tool call.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import click

from csup.errors import CsupError
from csup.hooks.install import (
    DEFAULT_TIMEOUT,
    SCOPES,
    Change,
    desired_hooks,
    plan_install,
    plan_uninstall,
    settings_path,
)

__all__ = ["install_hooks", "uninstall_hooks"]

_scope = click.option(
    "--scope",
    type=click.Choice(SCOPES),
    default="user",
    show_default=True,
    help="user: ~/.claude/settings.json; project: .claude/settings.json (shared with the "
    "repository); local: .claude/settings.local.json (this checkout only).",
)
_project_dir = click.option(
    "--project-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The project whose .claude/ to use with --scope project|local [default: current dir].",
)
_dry_run = click.option(
    "--dry-run", is_flag=True, help="Show the change as a diff and write nothing."
)


def _show(change: Change, dry_run: bool) -> None:
    if dry_run:
        diff = difflib.unified_diff(
            (change.before or "").splitlines(keepends=True),
            (change.after or "").splitlines(keepends=True),
            fromfile=str(change.path) if change.before is not None else "/dev/null",
            tofile=str(change.path) if change.after is not None else "/dev/null",
        )
        click.echo("".join(diff), nl=False)
        click.echo(f"(dry run, nothing written) {change.message}")
        return
    try:
        change.apply()
    except OSError as exc:
        raise click.ClickException(f"cannot write {change.path}: {exc}") from None
    click.echo(change.message)


def _check_policy(policy: str) -> None:
    """Refuse to install a hook whose policy cannot be loaded (it would deny every call)."""
    from csup.policy import load_policy  # noqa: PLC0415 - loaded only when asked for

    load_policy(policy)


@click.command("install-hooks")
@_scope
@_project_dir
@_dry_run
@click.option(
    "--policy",
    metavar="LEVEL|FILE",
    default=None,
    help="Policy level or file for the hook [default: discovered per session: $CSUP_POLICY, "
    ".csup/policy.toml, ~/.config/csup/policy.toml, the default level].",
)
@click.option(
    "--timeout",
    type=click.IntRange(min=1),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    help="Seconds Claude Code waits for the hook.",
)
@click.option(
    "--permission-request",
    is_flag=True,
    help="Also answer Claude Code's permission dialogs with the policy (PermissionRequest).",
)
@click.option(
    "--stop-check",
    metavar="COMMAND",
    default=None,
    help="A shell command run when Claude wants to stop; if it fails, Claude goes on once.",
)
@click.option(
    "--stop-check-timeout",
    type=click.IntRange(min=1),
    default=300,
    show_default=True,
    help="Seconds the --stop-check command may run.",
)
def install_hooks(
    *,
    scope: str,
    project_dir: Path | None,
    dry_run: bool,
    policy: str | None,
    timeout: int,
    permission_request: bool,
    stop_check: str | None,
    stop_check_timeout: int,
) -> None:
    """Make Claude Code ask csup's policy before every tool call.

    Adds `csup hook pre-tool-use` as a PreToolUse command hook for every tool to a Claude Code
    settings file, keeping everything else in it. Running it again changes nothing; the
    original file is kept beside it as *.csup-backup. Undo with `csup uninstall-hooks`.
    """
    try:
        if policy is not None:
            _check_policy(policy)
        specs = desired_hooks(
            policy=policy,
            timeout=timeout,
            permission_request=permission_request,
            stop_check=stop_check,
            stop_check_timeout=stop_check_timeout,
        )
        change = plan_install(settings_path(scope, project_dir=project_dir), specs)
    except CsupError as exc:
        raise click.ClickException(str(exc)) from None
    _show(change, dry_run)


@click.command("uninstall-hooks")
@_scope
@_project_dir
@_dry_run
def uninstall_hooks(*, scope: str, project_dir: Path | None, dry_run: bool) -> None:
    """Take csup's hooks out of a Claude Code settings file.

    Only csup's entries go; when nothing else changed since install, the file is restored
    byte for byte (and deleted if csup created it).
    """
    try:
        change = plan_uninstall(settings_path(scope, project_dir=project_dir))
    except CsupError as exc:
        raise click.ClickException(str(exc)) from None
    _show(change, dry_run)
