"""``csup doctor``: check claude, the policy, Claude Code's settings, the guardian and the
record, and say what to do about each problem."""

from __future__ import annotations

import json
from pathlib import Path

import click

from csup.display import one_line
from csup.doctor import run_checks

__all__ = ["doctor"]

_MARK = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}


@click.command()
@click.option("--claude-bin", type=click.Path(path_type=Path), envvar="CSUP_CLAUDE_BIN")
@click.option(
    "--policy", metavar="LEVEL|FILE", help="The policy to check (else as csup run finds it)."
)
@click.option("--cwd", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--db", metavar="PATH", help="The record to check (else $CSUP_DB, the data dir).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def doctor(
    claude_bin: Path | None, policy: str | None, cwd: Path | None, db: str | None, as_json: bool
) -> None:
    """Check what a supervised run needs; exit 1 if something would fail."""
    findings = run_checks(
        claude_bin=str(claude_bin) if claude_bin else None,
        policy=policy,
        cwd=str(cwd) if cwd else None,
        db=db,
    )
    if as_json:
        click.echo(
            json.dumps(
                [
                    f.__dict__
                    if hasattr(f, "__dict__")
                    else {"check": f.check, "level": f.level, "what": f.what, "fix": f.fix}
                    for f in findings
                ],
                indent=2,
            )
        )
    else:
        for f in findings:
            line = f"{_MARK.get(f.level, f.level)}  {f.check:<9} {one_line(f.what)}"
            click.echo(line)
            if f.fix and f.level != "ok":
                click.echo(f"{'':15}→ {one_line(f.fix)}")
    raise SystemExit(1 if any(f.level == "fail" for f in findings) else 0)
