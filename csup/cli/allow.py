"""``csup allow RULE-ID``: except a built-in rule in a policy file (``[[exception]]``).

Every deny or ask of a built-in rule ends with the line to run, e.g.
``csup allow git.push-force --pattern 'git push --force origin feature/x'``. Only the user
runs it: a session that tries is denied (``csup.self-protect``).

Which file: ``--user`` (``~/.config/csup/policy.toml``), ``--project`` (the nearest
``.csup/policy.toml``, else one at the top of the git repository), or by default the file
in effect here, as ``csup run`` finds it (else a new project file). A new project file made
while the user's file is in effect starts as a copy of it: the first file found wins, so
the user's settings would otherwise stop applying to this project.
"""

from __future__ import annotations

import datetime
import os

import click

from csup.errors import ConfigError
from csup.policy._exceptions import Exemption
from csup.policy._file_edit import (
    add_exception,
    policy_file_in_effect,
    project_file,
    user_file,
)
from csup.policy._rule_ids import closest, is_known, why_fixed

__all__ = ["allow"]


def check_rule(rule: str) -> None:
    """Raise a ConfigError for an id no rule has, or one that cannot be excepted."""
    if not is_known(rule) or rule.endswith("*"):
        near = closest(rule)
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        raise ConfigError(f"unknown rule id {rule!r}{hint} (`csup policy rules` lists them)")
    fixed = why_fixed(rule)
    if fixed is not None:
        raise ConfigError(f"rule {rule!r} cannot be allowed: {fixed}")


def _target(cwd: str, scope: str | None) -> tuple[str, str | None, list[str]]:
    """(the file to write, the file to start a new one from, notes for the user)."""
    in_effect, origin = policy_file_in_effect(cwd)
    notes: list[str] = []
    if scope == "user":
        target = user_file()
    elif scope == "project":
        target = project_file(cwd)
    elif in_effect is not None:
        target = in_effect
    elif os.environ.get("CSUP_POLICY"):
        raise ConfigError(
            f"{origin} is set and names no file: it wins over every policy file, so an "
            "exception would not apply. Unset it, or write one with --project or --user."
        )
    else:
        target = project_file(cwd)
    seed = None
    fresh = not os.path.exists(target)
    if fresh and in_effect == user_file() and target != in_effect:
        seed = in_effect
    if in_effect is not None and os.path.realpath(in_effect) != os.path.realpath(target):
        notes.append(
            f"note: {in_effect} is in effect here ({origin}), not {target}: the exception "
            "applies only where that file is used"
        )
    elif in_effect is None and os.environ.get("CSUP_POLICY"):
        notes.append(f"note: {origin} is set: it wins over {target} while it is")
    return target, seed, notes


@click.command("allow")
@click.argument("rule_id", metavar="RULE-ID")
@click.option("--project", "scope", flag_value="project", help="Write the project's file.")
@click.option("--user", "scope", flag_value="user", help="Write ~/.config/csup/policy.toml.")
@click.option("--pattern", default=None, help="Only commands (or paths) this glob matches.")
@click.option("--note", default=None, help="Why (default: the date and `csup allow`).")
@click.option("--dry-run", is_flag=True, help="Print what would be written; write nothing.")
@click.option("--cwd", default=None, help="The project directory (default: here).")
def allow(  # noqa: PLR0917 - one argument per option (click)
    rule_id: str,
    scope: str | None,
    pattern: str | None,
    note: str | None,
    dry_run: bool,
    cwd: str | None,
) -> None:
    """Except the built-in rule RULE-ID (for --pattern only) in a policy file."""
    where = os.path.abspath(cwd or os.getcwd())
    try:
        check_rule(rule_id)
        if pattern is not None and not pattern.strip():
            raise ConfigError("--pattern is empty: leave it out to except every command")
        target, seed, notes = _target(where, scope)
        today = datetime.date.today().isoformat()
        exemption = Exemption(rule_id, pattern, note or f"added by csup allow on {today}")
        written = add_exception(target, exemption, seed_from=seed, dry_run=dry_run)
    except ConfigError as error:  # PolicyFileError is a ConfigError
        raise click.ClickException(str(error)) from error
    for line in notes:
        click.echo(line, err=True)
    if not written.changed:
        click.echo(f"{target} already excepts {rule_id} for that pattern: nothing changed")
        return
    verb = "would create" if dry_run and written.created else "would add to"
    if not dry_run:
        verb = "created" if written.created else "added to"
    click.echo(f"{verb} {target}:")
    if written.seeded_from:
        click.echo(f"(started from {written.seeded_from}, so its settings still apply here)")
    click.echo(written.added.rstrip("\n"))
