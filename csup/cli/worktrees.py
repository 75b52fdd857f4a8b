"""``csup worktrees``: list csup's worktrees and branches; ``csup worktrees clean`` removes them."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import NoReturn, TypeVar

import click
from tabulate import tabulate

from csup.errors import NotAGitRepository, WorktreeError
from csup.worktree import CleanReport, WorktreeInfo, clean, list_worktrees

HEADERS = ("branch", "state", "ahead", "merged", "path")
_T = TypeVar("_T")


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def _call(function: Callable[[], _T]) -> _T:
    """Run ``function``; a repository problem exits 2 (usage), any other worktree error 1."""
    try:
        return function()
    except NotAGitRepository as error:
        _fail(str(error), 2)
    except WorktreeError as error:
        _fail(str(error), 1)


def table(infos: list[WorktreeInfo]) -> str:
    """The table ``csup worktrees`` prints."""
    rows = [
        [
            info.branch or "(detached)",
            info.state + (" (interrupted)" if info.interrupted else ""),
            info.ahead,
            "yes" if info.merged else "no",
            str(info.path) if info.exists else "-",
        ]
        for info in infos
    ]
    return tabulate(rows, headers=HEADERS, disable_numparse=True)


@click.group(invoke_without_command=True)
@click.option(
    "--repo",
    "repo_dir",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False),
    help="A directory of the repository (any of its checkouts).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def worktrees(ctx: click.Context, repo_dir: str, as_json: bool) -> None:
    """List csup's worktrees and branches (csup/<run-id>/<slug>) with their state.

    States: running (its session runs), dirty (uncommitted changes in the worktree), kept
    (worktree there, nothing uncommitted), unmerged (branch only, with commits HEAD lacks),
    merged (branch only, all in HEAD). Claude Code's own worktrees are not csup's: not listed.
    """
    ctx.obj = repo_dir
    if ctx.invoked_subcommand is not None:
        return
    infos = _call(lambda: list_worktrees(repo_dir))
    if as_json:
        click.echo(json.dumps({"worktrees": [info.as_dict() for info in infos]}, indent=2))
    elif not infos:
        click.echo("No csup worktrees or branches in this repository.")
    else:
        click.echo(table(infos))


def _show_clean(report: CleanReport) -> None:
    for path in report.removed:
        click.echo(f"removed worktree {path}")
    for branch in report.deleted_branches:
        click.echo(f"deleted branch {branch}")
    for what, why in report.skipped:
        click.echo(f"kept {what}: {why}")
    if not (report.removed or report.deleted_branches or report.skipped):
        click.echo("Nothing to clean.")


@worktrees.command("clean")
@click.option(
    "--repo",
    "repo_dir",
    default=None,
    type=click.Path(file_okay=False),
    help="A directory of the repository (default: the group's --repo, or '.').",
)
@click.option(
    "--merged",
    "merged_only",
    is_flag=True,
    help="Remove the worktrees and branches of sessions merged into HEAD.",
)
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="Remove every csup worktree and branch, unmerged work included.",
)
@click.option("-y", "--yes", is_flag=True, help="Do not ask before --all.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of lines.")
@click.pass_context
def clean_command(  # noqa: PLR0917 - one parameter per option
    ctx: click.Context,
    repo_dir: str | None,
    merged_only: bool,
    everything: bool,
    yes: bool,
    as_json: bool,
) -> None:
    """Remove csup's worktrees (never a running session's).

    Without an option: every worktree with nothing uncommitted (its branch holds all its
    work); branches stay. --merged: worktrees and branches merged into HEAD. --all: all of
    csup's worktrees and branches.
    """
    if merged_only and everything:
        _fail("choose one of --merged and --all", 2)
    where = repo_dir or ctx.obj or "."
    if everything and not yes:
        click.confirm("Remove every csup worktree and branch, unmerged work included?", abort=True)
    report = _call(lambda: clean(where, merged_only=merged_only, all=everything))
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
    else:
        _show_clean(report)
