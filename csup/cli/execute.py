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
class EscalationSettings:
    """``--escalate`` and the reviewer's and the person's limits."""

    mode: str | None = None
    reviewer_model: str | None = None
    review_timeout: float | None = None
    review_budget: float | None = None
    approval_timeout: float | None = None


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


def _escalation_line(stats: dict[str, Any]) -> str:
    """The escalation chain's figures in one line, for the end of the table."""
    verdicts = ", ".join(f"{n} {kind}" for kind, n in sorted(stats.get("verdicts", {}).items()))
    reviewer = stats.get("reviewer") or {}
    cost = reviewer.get("cost_usd")
    text = f"escalation ({stats.get('mode')}): {stats.get('reviews', 0)} review(s)"
    if verdicts:
        text += f" ({verdicts})"
    if stats.get("cache_hits"):
        text += f", {stats['cache_hits']} from the cache"
    if cost is not None:
        text += f", reviewer cost ${cost:.4f}"
    return text


class _Holder:
    """What the escalation chain's callbacks reach once they exist: the live view (to pause
    it while a person is asked, and to show who waits) and the supervisor (its signals)."""

    def __init__(self) -> None:
        self.view: LiveView | None = None
        self.sup: Supervisor | None = None

    def pause(self) -> None:
        if self.view is not None:
            self.view.pause()

    def resume(self) -> None:
        if self.view is not None:
            self.view.resume()

    def waiting(self, entries: list[Any]) -> None:
        if self.view is not None:
            self.view.waiting(entries)

    def announce(self, kind: str, call: Any, decision: Any, **extra: Any) -> None:
        if self.sup is not None:
            self.sup._dispatch_escalation(kind, call, decision, **extra)
            if kind == "answered":
                self.sup.add_reviewer_cost()


def _make_chain(
    settings: EscalationSettings, policy: str | None, defaults: SessionOptions, holder: _Holder
) -> Any:
    """The run's escalation chain: ``--escalate``, else the policy file's ``escalate``."""
    mode = settings.mode
    if mode is None:
        from csup.policy import resolve_policy  # noqa: PLC0415

        try:
            mode = resolve_policy(
                policy, cwd=os.fspath(defaults.cwd or os.getcwd())
            ).config.escalate
        except CsupError as exc:
            raise UsageProblem(str(exc)) from exc
    if mode in (None, "deny"):
        return None
    from csup.cli.escalation import make_escalation  # noqa: PLC0415 - the SDK only when used
    from csup.escalation import DEFAULT_APPROVAL_TIMEOUT, DEFAULT_MODEL, DEFAULT_TIMEOUT  # noqa: PLC0415

    return make_escalation(
        mode,
        "deny",
        settings.reviewer_model or DEFAULT_MODEL,
        settings.review_timeout or DEFAULT_TIMEOUT,
        settings.review_budget,
        settings.approval_timeout or DEFAULT_APPROVAL_TIMEOUT,
        on_prompt_start=holder.pause,
        on_prompt_end=holder.resume,
        on_waiting=holder.waiting,
        on_asked=lambda call, asked, context: holder.announce(
            "asked", call, asked, context=context
        ),
        on_answered=lambda call, decision, context, latency: holder.announce(
            "answered", call, decision, context=context, latency_s=latency
        ),
    )


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


@dataclass(frozen=True)
class _Merged:
    """How ``--merge`` went: for the summary line and ``--json``."""

    ok: bool
    text: str
    data: dict[str, Any]


def _merge(sessions: Sequence[Any], mode: str) -> _Merged:
    """``--merge`` / ``--merge-all``: bring the sessions' branches back, in task order."""
    from csup.worktree import merge  # noqa: PLC0415 - git only for --merge

    reports = [
        info.result.worktree
        for info in sessions
        if info.result is not None
        and info.result.worktree is not None
        and (mode == "all" or info.state == "completed")
    ]
    if not reports:
        return _Merged(True, "no session's branch to merge", {"ok": True, "merged": []})
    into = reports[0].base_branch
    if into is None:
        why = "the sessions started from a detached HEAD: there is no branch to merge into"
        return _Merged(False, why, {"ok": False, "error": why})
    try:
        report = merge(str(reports[0].repo), reports, into=into)
    except CsupError as exc:
        return _Merged(False, f"--merge: {exc}", {"ok": False, "error": str(exc)})
    return _Merged(report.ok, report.describe(), {"ok": report.ok, **report.as_dict()})


def execute(
    tasks: Sequence[TaskSpec],
    *,
    max_parallel: int,
    policy: str | None,
    defaults: SessionOptions,
    as_json: bool,
    budget_usd: float | None = None,
    record: RecordSettings | None = None,
    retry_on_limit: bool = False,
    limit_wait: float = 60.0,
    merge: str | None = None,
    escalation: EscalationSettings | None = None,
    backend: str = "local",
    backend_options: dict[str, Any] | None = None,
) -> int:
    """Run ``tasks`` under one supervisor (its sessions on ``backend``) and print the
    summary; the exit code."""
    try:
        find_claude(defaults.claude_bin)
    except ClaudeNotFoundError as exc:
        raise UsageProblem(str(exc)) from exc
    holder = _Holder()
    chain = _make_chain(escalation or EscalationSettings(), policy, defaults, holder)
    writer, problems = _open_record(record or RecordSettings())
    try:
        sup = Supervisor(
            max_parallel,
            policy,
            options=defaults,
            budget_usd=budget_usd,
            record=writer,
            retry_on_limit=retry_on_limit,
            limit_wait=limit_wait,
            escalate=chain,
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
    holder.sup = sup

    signals_seen = _Signals()
    live = sys.stderr.isatty() and not as_json
    with signals_seen.installed():
        try:
            with LiveView(sup, live=live, audit=not as_json) as view:
                holder.view = view
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

    merged = _merge(sessions, merge) if merge and signals_seen.first is None else None
    try:
        if as_json:
            doc = {"run_id": sup.run_id, **summary_json(sessions, totals)}
            if chain is not None:
                doc["escalation"] = chain.stats()
            if merged is not None:
                doc["merge"] = merged.data
            click.echo(json.dumps(doc, indent=2, default=str))
        else:
            click.echo(summary_table(sessions, totals))
            if chain is not None:
                _say(_escalation_line(chain.stats()))
            if merged is not None:
                _say(merged.text)
    except OSError:  # stdout went with the terminal
        pass
    if merged is not None and not merged.ok:
        return EXIT_FAILED
    if writer is not None and not as_json:
        _say(f"recorded as run {sup.run_id} (csup show {sup.run_id})")
    if signals_seen.first is not None:
        return _EXIT_BY_SIGNAL.get(signals_seen.first, EXIT_FAILED)
    if problems.failed and (record and record.required):
        return EXIT_FAILED
    done = all(s.state == "completed" or sup.carried_on(s.id) for s in sessions)
    return EXIT_OK if done else EXIT_FAILED
