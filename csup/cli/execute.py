"""Running a batch of tasks for the CLI: submit, show progress, survive signals, summarise.

Exit codes: 0 every session completed; 1 a session failed or was killed; 2 a usage or
configuration error; 130 after Ctrl-C, 143 after SIGTERM, 129 after SIGHUP (the terminal
closed), once every session has been stopped, its tools included, and the summary printed.

A stop is bounded whatever the sessions do: the first signal stops every session through
the ladder; a second one (or :data:`FORCE_AFTER` seconds) kills them at once; a third (or
:data:`GIVE_UP_AFTER` seconds) kills every process of every session directly and exits.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import click

from csup.claude.locate import find_claude
from csup.claude.options import SessionOptions
from csup.cli.live import LiveView
from csup.errors import ClaudeNotFoundError, ConfigError, CsupError
from csup.guardian import guardian, sweep
from csup.report import summary_json, summary_table
from csup.supervisor import Supervisor

__all__ = ["TaskSpec", "UsageProblem", "execute"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
_EXIT_BY_SIGNAL: dict[int, int] = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}
_REASON_BY_SIGNAL: dict[int, str] = {
    signal.SIGINT: "interrupted (Ctrl-C)",
    signal.SIGTERM: "stopped by SIGTERM",
    signal.SIGHUP: "the terminal hung up (SIGHUP)",
}
_REFRESH = 0.25
FORCE_AFTER = 30.0
GIVE_UP_AFTER = 45.0


class UsageProblem(click.ClickException):
    """A bad option, policy or file: one line on stderr, exit code 2."""

    exit_code = EXIT_USAGE


class _Interrupted(KeyboardInterrupt):
    """A stop signal (SIGINT, SIGTERM or SIGHUP) arrived."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@dataclass(frozen=True)
class RecordSettings:
    """Where the run is recorded: ``--db``, ``--no-record``, ``--require-record``."""

    db: str | None = None
    off: bool = False
    required: bool = False


@dataclass(frozen=True)
class TaskSpec:
    task: str
    options: dict[str, Any] = field(default_factory=dict)


class _Signals:
    """How many stop signals came: the first interrupts the run, the second forces the
    stop, the third ends csup at once (after killing every session's processes)."""

    def __init__(self) -> None:
        self.count = 0
        self.first: int | None = None

    def handler(self, signum: int, frame: FrameType | None) -> None:
        self.count += 1
        if self.count == 1:
            self.first = signum
            raise _Interrupted(signum)
        if self.count >= 3:
            _give_up(self.first or signum)

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        previous: dict[int, Any] = {}
        try:
            for signum in _EXIT_BY_SIGNAL:
                previous[signum] = signal.signal(signum, self.handler)
        except ValueError:  # not the main thread (embedded): leave signals alone
            pass
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)


def _say(text: str) -> None:
    with contextlib.suppress(OSError):
        click.echo(f"csup: {text}", err=True)


def _give_up(signum: int) -> None:
    """Kill every process of every session of this csup now, and exit."""
    keeper = guardian()
    sweep(keeper.token)
    _say("killed every session's processes; exiting without a summary")
    os._exit(_EXIT_BY_SIGNAL.get(signum, EXIT_FAILED))


def _wind_down(sup: Supervisor, view: LiveView, signals_seen: _Signals) -> None:
    """Stop every session, bounded in time whatever they do."""
    signum: int = signals_seen.first or signal.SIGINT
    reason = _REASON_BY_SIGNAL.get(signum, "interrupted")
    again = "Ctrl-C" if signum == signal.SIGINT else "the signal"
    view.note(f"{reason}: stopping every session ({again} again to kill them at once)...")
    sup.stop_all(reason=reason, wait=False)
    started = time.monotonic()
    forced = False
    while sup.has_pending():
        elapsed = time.monotonic() - started
        if not forced and (signals_seen.count >= 2 or elapsed > FORCE_AFTER):
            forced = True
            view.note("killing every session now")
            sup.stop_all(reason=f"{reason}, forced", force=True, wait=False)
        if elapsed > GIVE_UP_AFTER:
            _give_up(signum)
        with contextlib.suppress(TimeoutError):
            sup.wait_all(timeout=_REFRESH)
        view.refresh()


class _RecordProblems:
    """The record could not be written: say so (the writer reports once); with
    ``--require-record``, stop the run."""

    def __init__(self, required: bool) -> None:
        self.required = required
        self.failed = False
        self.supervisor: Supervisor | None = None

    def __call__(self, problem: Exception) -> None:
        self.failed = True
        _say(f"the record cannot be written: {problem}")
        if self.required and self.supervisor is not None:
            self.supervisor.stop_all(reason=f"the record cannot be written: {problem}", wait=False)


def _open_record(settings: RecordSettings) -> tuple[Any, _RecordProblems]:
    from csup.record import open_writer  # noqa: PLC0415 - sqlite3 only when recording

    problems = _RecordProblems(settings.required)
    try:
        writer = open_writer(
            settings.db, no_record=settings.off, require=settings.required, on_problem=problems
        )
    except CsupError as exc:
        raise UsageProblem(str(exc)) from exc
    return writer, problems


def execute(
    tasks: Sequence[TaskSpec],
    *,
    max_parallel: int,
    policy: str | None,
    defaults: SessionOptions,
    as_json: bool,
    budget_usd: float | None = None,
    record: RecordSettings | None = None,
    backend: str = "local",
    backend_options: dict[str, Any] | None = None,
) -> int:
    """Run ``tasks`` under one supervisor (its sessions on ``backend``) and print the
    summary; the exit code."""
    try:
        find_claude(defaults.claude_bin)
    except ClaudeNotFoundError as exc:
        raise UsageProblem(str(exc)) from exc
    writer, problems = _open_record(record or RecordSettings())
    try:
        sup = Supervisor(
            max_parallel,
            policy,
            options=defaults,
            budget_usd=budget_usd,
            record=writer,
            backend=backend,
            backend_options=backend_options,
        )
    except ConfigError as exc:
        if writer is not None:
            writer.close()
        raise UsageProblem(str(exc)) from exc
    except CsupError as exc:
        if writer is not None:
            writer.close()
        raise click.ClickException(str(exc)) from exc
    problems.supervisor = sup

    signals_seen = _Signals()
    live = sys.stderr.isatty() and not as_json
    with signals_seen.installed():
        try:
            with LiveView(sup, live=live, audit=not as_json) as view:
                try:
                    for spec in tasks:
                        sup.submit(spec.task, **spec.options)
                    while sup.has_pending():
                        with contextlib.suppress(TimeoutError):
                            sup.wait_all(timeout=_REFRESH)
                        view.refresh()
                except _Interrupted:
                    _wind_down(sup, view, signals_seen)
                except ConfigError as exc:
                    sup.stop_all(reason="csup could not start every task", timeout=30)
                    raise UsageProblem(str(exc)) from exc
        except _Interrupted:  # a signal between the loop and the wind-down
            _wind_down(sup, view, signals_seen)
        finally:
            signals_seen.count = max(signals_seen.count, 1)  # no more raising: winding down
            sessions = sup.sessions()
            totals = sup.stats
            sup.close()
            guardian().close()
            if writer is not None:
                writer.close()

    try:
        if as_json:
            doc = {"run_id": sup.run_id, **summary_json(sessions, totals)}
            click.echo(json.dumps(doc, indent=2))
        else:
            click.echo(summary_table(sessions, totals))
    except OSError:  # stdout went with the terminal
        pass
    if writer is not None and not as_json:
        _say(f"recorded as run {sup.run_id} (csup show {sup.run_id})")
    if signals_seen.first is not None:
        return _EXIT_BY_SIGNAL.get(signals_seen.first, EXIT_FAILED)
    if problems.failed and (record and record.required):
        return EXIT_FAILED
    return EXIT_OK if all(s.state == "completed" for s in sessions) else EXIT_FAILED
