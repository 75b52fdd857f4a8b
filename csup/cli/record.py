"""``csup log``, ``csup show`` and ``csup export``: reading the record of past runs."""

from __future__ import annotations

import csv
import json
import sys
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from csup.errors import RecordError

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable

__all__ = ["export", "log", "record_options", "show"]

_db_option = click.option(
    "--db",
    "db",
    metavar="PATH",
    default=None,
    help="The record to read (default: $CSUP_DB, else csup.db in the user's data dir).",
)


def record_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--db PATH``, ``--no-record`` and ``--require-record`` for a command that writes the
    record (``run``, ``multi``): pass them to :func:`csup.record.open_writer`."""
    command = click.option(
        "--require-record",
        is_flag=True,
        help="Stop, rather than go on without it, if the record cannot be written.",
    )(command)
    command = click.option(
        "--no-record", is_flag=True, help="Record nothing of this run (also CSUP_NO_RECORD=1)."
    )(command)
    return click.option(
        "--db",
        metavar="PATH",
        default=None,
        help="The record to write (default: $CSUP_DB, else csup.db in the user's data dir).",
    )(command)


def _open(db: str | None) -> sqlite3.Connection:
    from csup.record import resolve_db_path  # noqa: PLC0415
    from csup.record.queries import open_record  # noqa: PLC0415

    path = resolve_db_path(db, {k: v for k, v in _environ().items() if k != "CSUP_NO_RECORD"})
    assert path is not None
    try:
        return open_record(path)
    except RecordError as exc:
        raise click.ClickException(str(exc)) from None


def _environ() -> dict[str, str]:
    import os  # noqa: PLC0415

    return dict(os.environ)


def _when(at: float | None, *, precise: bool = False) -> str:
    if at is None:
        return "-"
    stamp = datetime.fromtimestamp(at)
    return stamp.strftime("%H:%M:%S.%f")[:-3] if precise else stamp.strftime("%Y-%m-%d %H:%M:%S")


def _clean(text: object, width: int | None = None) -> str:
    """One printable line: control characters escaped, cut to ``width``."""
    line = "".join(
        c if c.isprintable() else ("⏎" if c == "\n" else f"\\x{ord(c):02x}") for c in str(text)
    )
    if width is not None and len(line) > width:
        line = line[: width - 1] + "…"
    return line


def _cost(value: float | None) -> str:
    return "-" if value is None else f"${value:.4f}"


def _guarded(action: Callable[[], None]) -> None:
    try:
        action()
    except RecordError as exc:
        raise click.ClickException(str(exc)) from None


@click.command("log")
@_db_option
@click.option("--since", metavar="WHEN", help="Runs started since: 2h, 7d, or an ISO date/time.")
@click.option("--denied", is_flag=True, help="Only runs with a denied tool call.")
@click.option("--rule", metavar="RULE", help="Only runs with a decision by RULE (a glob: git.*).")
@click.option("-n", "--limit", type=click.IntRange(min=1), default=None, help="At most N runs.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def log(  # noqa: PLR0917 - click passes options by position
    db: str | None,
    since: str | None,
    denied: bool,
    rule: str | None,
    limit: int | None,
    as_json: bool,
) -> None:
    """The recorded runs, newest first: when, tasks, sessions, denials, cost."""
    from csup.record.queries import list_runs, parse_since  # noqa: PLC0415

    start = None
    if since is not None:
        try:
            start = parse_since(since, time.time())
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--since") from None
    conn = _open(db)
    try:
        runs = list_runs(conn, since=start, denied=denied, rule=rule, limit=limit)
    finally:
        conn.close()
    if as_json:
        click.echo(json.dumps(runs, indent=2, ensure_ascii=False))
        return
    if not runs:
        click.echo("No runs recorded" + (" that match" if since or denied or rule else "") + ".")
        return
    from tabulate import tabulate  # noqa: PLC0415

    table = [
        [
            _when(r["started_at"]),
            r["run_id"],
            _tasks(r["tasks"]),
            r["sessions"],
            r["decisions"],
            r["denials"],
            _cost(r["cost_usd"]),
        ]
        for r in runs
    ]
    headers = ["started", "run", "tasks", "sessions", "calls", "denied", "cost"]
    click.echo(tabulate(table, headers=headers, disable_numparse=True))


def _tasks(tasks: list[str]) -> str:
    if not tasks:
        return "-"
    first = _clean(tasks[0], 50)
    return first if len(tasks) == 1 else f"{first} (+{len(tasks) - 1})"


@click.command("show")
@click.argument("ident", metavar="RUN|SESSION")
@_db_option
@click.option("--json", "as_json", is_flag=True, help="Print everything as JSON.")
def show(ident: str, db: str | None, as_json: bool) -> None:
    """The decisions and the timeline of a run or a session (an id, or the start of one)."""
    from csup.record.queries import find, run_detail, session_detail  # noqa: PLC0415

    conn = _open(db)
    detail: dict[str, Any] = {}

    def load() -> None:
        kind, found = find(conn, ident)
        detail.update(run_detail(conn, found) if kind == "run" else session_detail(conn, found))
        detail["kind"] = kind

    try:
        _guarded(load)
    finally:
        conn.close()
    if as_json:
        click.echo(json.dumps(detail, indent=2, ensure_ascii=False))
        return
    _print_detail(detail)


def _print_detail(detail: dict[str, Any]) -> None:
    from tabulate import tabulate  # noqa: PLC0415

    run = detail["run"]
    argv = " ".join(run.get("argv") or [])
    click.echo(
        f"run {run['run_id']}  started {_when(run.get('started_at'))}"
        f"  ended {_when(run.get('ended_at'))}" + (f"  ({_clean(argv, 80)})" if argv else "")
    )
    click.echo("\nsessions:")
    rows = [
        [
            s["session_id"],
            s.get("status") or "running",
            _cost(s.get("cost_usd")),
            "-" if s.get("turns") is None else s["turns"],
            _clean(s.get("task") or "", 50),
            _clean(s.get("stop_reason") or "", 50),
        ]
        for s in detail["sessions"]
    ]
    click.echo(
        tabulate(
            rows,
            headers=["session", "status", "cost", "turns", "task", "stop reason"],
            disable_numparse=True,
        )
    )
    click.echo(f"\ndecisions ({len(detail['decisions'])}):")
    if detail["decisions"]:
        click.echo(
            tabulate(
                [_decision_row(d) for d in detail["decisions"]],
                headers=["time", "session", "tool", "call", "decision", "rule", "by", "ms"],
                disable_numparse=True,
            )
        )
    click.echo("\ntimeline:")
    for entry in detail["timeline"]:
        click.echo(f"  {_when(entry['at'], precise=True)}  {entry['session_id']}  {_entry(entry)}")


def _summary(tool_input: object) -> str:
    from csup.calls import ToolCall  # noqa: PLC0415

    data = tool_input if isinstance(tool_input, dict) else {}
    return ToolCall("?", data, "").summary(60)


def _decision_row(d: dict[str, Any]) -> list[object]:
    latency = d.get("latency_ms")
    return [
        _when(d["at"], precise=True),
        d["session_id"],
        d["tool_name"],
        _clean(_summary(d["tool_input"]), 60),
        d["behavior"],
        d["rule"] or "-",
        d["source"],
        "-" if latency is None else f"{latency:.1f}",
    ]


def _entry(entry: dict[str, Any]) -> str:
    what = entry["what"]
    if what == "start":
        return f"start: {_clean(entry.get('task') or '', 80)}"
    if what == "event":
        return f"event {entry.get('type') or '?'}"
    if what == "decision":
        reason = f": {_clean(entry['reason'], 60)}" if entry["behavior"] != "allow" else ""
        return (
            f"{entry['behavior']} {entry['tool_name']} {_clean(_summary(entry['tool_input']), 50)}"
            f" [{entry['rule'] or '-'}, {entry['source']}]{reason}"
        )
    reason = f": {_clean(entry['reason'], 80)}" if entry.get("reason") else ""
    return f"stop {entry['status']}{reason}"


@click.command("export")
@click.argument("run_id", metavar="RUN")
@_db_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv"]),
    default="jsonl",
    show_default=True,
    help="jsonl: one JSON object per record; csv: one row per session, event, decision, stop.",
)
def export(run_id: str, db: str | None, fmt: str) -> None:
    """Everything recorded of a run, on stdout."""
    from csup.record.queries import CSV_FIELDS, csv_rows, export_records, find  # noqa: PLC0415

    conn = _open(db)

    def write() -> None:
        kind, found = find(conn, run_id)
        if kind != "run":
            raise RecordError(f"{run_id!r} is a session, not a run: `csup show {run_id}` shows it")
        if fmt == "jsonl":
            for record in export_records(conn, found):
                sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            writer = csv.DictWriter(sys.stdout, fieldnames=CSV_FIELDS, lineterminator="\n")
            writer.writeheader()
            for row in csv_rows(conn, found):
                writer.writerow(row)

    try:
        _guarded(write)
    finally:
        conn.close()
