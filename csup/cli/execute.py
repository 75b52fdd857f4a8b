"""Running a batch of tasks for the CLI: submit, show progress, survive Ctrl-C, summarise.

Exit codes: 0 every session completed; 1 a session failed or was killed; 2 a usage or
configuration error; 130 after Ctrl-C (143 after SIGTERM), once every session has been
stopped, its tools included, and the summary printed. A second Ctrl-C kills at once.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import click

from csup.claude.locate import find_claude
from csup.claude.options import SessionOptions
from csup.cli.live import LiveView
from csup.errors import ClaudeNotFoundError, ConfigError, CsupError
from csup.report import summary_json, summary_table
from csup.supervisor import MultiSessionSupervisor

__all__ = ["TaskSpec", "UsageProblem", "execute"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143
_REFRESH = 0.25


class UsageProblem(click.ClickException):
    """A bad option, policy or file: one line on stderr, exit code 2."""

    exit_code = EXIT_USAGE


class _Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C."""


@dataclass(frozen=True)
class TaskSpec:
    task: str
    options: dict[str, Any] = field(default_factory=dict)


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        raise _Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (e.g. embedded): leave SIGTERM alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """No Ctrl-C while csup winds down: an interrupted shutdown could leave actors alive."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _stop_everything(sup: MultiSessionSupervisor) -> None:
    try:
        click.echo("csup: stopping every session (Ctrl-C again to kill them at once)...", err=True)
        sup.stop_all(reason="interrupted (Ctrl-C)", timeout=30)
    except KeyboardInterrupt:
        with _sigint_ignored():
            click.echo("csup: killing every session now", err=True)
            sup.stop_all(reason="interrupted (Ctrl-C, forced)", force=True, timeout=15)


def execute(
    tasks: Sequence[TaskSpec],
    *,
    max_parallel: int,
    policy: str | None,
    defaults: SessionOptions,
    as_json: bool,
    budget_usd: float | None = None,
) -> int:
    """Run ``tasks`` under one supervisor and print the summary; the exit code."""
    try:
        find_claude(defaults.claude_bin)
    except ClaudeNotFoundError as exc:
        raise UsageProblem(str(exc)) from exc
    try:
        sup = MultiSessionSupervisor(max_parallel, policy, options=defaults, budget_usd=budget_usd)
    except ConfigError as exc:
        raise UsageProblem(str(exc)) from exc
    except CsupError as exc:
        raise click.ClickException(str(exc)) from exc

    interrupted: KeyboardInterrupt | None = None
    live = sys.stderr.isatty() and not as_json
    with _sigterm_as_interrupt():
        try:
            with LiveView(sup, live=live, audit=not as_json) as view:
                try:
                    for spec in tasks:
                        sup.submit(spec.task, **spec.options)
                    while sup.has_pending():
                        with contextlib.suppress(TimeoutError):
                            sup.wait_all(timeout=_REFRESH)
                        view.refresh()
                except KeyboardInterrupt as exc:
                    interrupted = exc
                    _stop_everything(sup)
                except ConfigError as exc:
                    sup.stop_all(reason="csup could not start every task", timeout=30)
                    raise UsageProblem(str(exc)) from exc
        finally:
            with _sigint_ignored():
                sessions = sup.sessions()
                totals = sup.stats
                sup.close()

    if as_json:
        click.echo(json.dumps(summary_json(sessions, totals), indent=2))
    else:
        click.echo(summary_table(sessions, totals))
    if interrupted is not None:
        return EXIT_TERMINATED if isinstance(interrupted, _Terminated) else EXIT_INTERRUPTED
    return EXIT_OK if all(s.state == "completed" for s in sessions) else EXIT_FAILED
