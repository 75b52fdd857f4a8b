"""The end-of-run summary: a tabulate table for people, a JSON document for programs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tabulate import SEPARATING_LINE, tabulate

from csup.board import SessionInfo
from csup.display import one_line
from csup.stats import AggregatedStats

__all__ = ["HEADERS", "summary_json", "summary_table"]

HEADERS = ("id", "task", "status", "turns", "tool calls", "approved", "denied", "cost", "duration")
_TASK_WIDTH = 40


def _short(text: str, width: int = _TASK_WIDTH) -> str:
    return one_line(text, width)


def _session(info: SessionInfo) -> dict[str, Any]:
    result = info.result
    stats = result.stats if result else None
    return {
        "id": info.id,
        "task": info.task,
        "status": info.state,
        "turns": stats.turns if stats else 0,
        "tool_calls": stats.tool_calls if stats else 0,
        "approvals": stats.approvals if stats else 0,
        "denials": stats.denials if stats else 0,
        "cost_usd": round(stats.cost_usd, 6) if stats else 0.0,
        "duration_s": round(result.duration_s, 3) if result else 0.0,
        "error": result.error if result else None,
        "claude_session_id": result.claude_session_id if result else None,
        "rounds": result.rounds if result else 0,
        "noted_calls": [
            {"tool": n.tool, "input": n.input, "rule": n.rule, "reason": n.reason}
            for n in (result.noted if result else ())
        ],
        "limited": result.limited if result else False,
        "worktree": result.worktree.as_dict() if result and result.worktree else None,
        "limit_resets_at": result.limit_resets_at if result else None,
        "node": result.node if result else None,
        "denied_calls": [
            {
                "tool": denied.tool,
                "input": denied.input,
                "rule": denied.rule,
                "reason": denied.reason,
                "requested": denied.requested or "deny",
            }
            for denied in (result.denied if result else ())
        ],
    }


def summary_json(sessions: Sequence[SessionInfo], totals: AggregatedStats) -> dict[str, Any]:
    """``{"sessions": [...], "totals": {...}}``: one entry per session, then the totals."""
    return {
        "sessions": [_session(info) for info in sessions],
        "totals": {
            "sessions": totals.sessions,
            "completed": totals.completed,
            "failed": totals.failed,
            "cancelled": totals.cancelled,
            "killed": totals.killed,
            "lost": totals.lost,
            "turns": totals.turns,
            "tool_calls": totals.tool_calls,
            "approvals": totals.approvals,
            "denials": totals.denials,
            "cost_usd": round(totals.cost_usd, 6),
            "input_tokens": totals.tokens.input,
            "output_tokens": totals.tokens.output,
            "wall_time_s": round(totals.wall_time_s, 3),
        },
    }


def summary_table(sessions: Sequence[SessionInfo], totals: AggregatedStats) -> str:
    """The table printed at the end of ``csup run`` and ``csup multi``, with a totals row,
    followed by one line per session that did not complete, saying why."""
    rows: list[Any] = []
    for entry in (_session(info) for info in sessions):
        rows.append(
            [
                entry["id"],
                _short(entry["task"]),
                entry["status"],
                entry["turns"],
                entry["tool_calls"],
                entry["approvals"],
                entry["denials"],
                f"${entry['cost_usd']:.4f}",
                f"{entry['duration_s']:.1f}s",
            ]
        )
    done = f"{totals.completed}/{totals.sessions} completed"
    rows.append(SEPARATING_LINE)
    rows.append(
        [
            "total",
            done,
            "",
            totals.turns,
            totals.tool_calls,
            totals.approvals,
            totals.denials,
            f"${totals.cost_usd:.4f}",
            f"{totals.wall_time_s:.1f}s",
        ]
    )
    headers: tuple[str, ...] = HEADERS
    align: tuple[str, ...] = _ALIGN
    if any(info.result is not None and info.result.worktree for info in sessions):
        headers, align = (*HEADERS, "branch", "commits", "+/-"), (*_ALIGN, "left", "right", "left")
        for row, info in zip(rows, sessions, strict=False):
            report = info.result.worktree if info.result is not None else None
            if report is None:
                row += ["", "", ""]
            else:
                row += [report.branch, report.commits, f"+{report.insertions}/-{report.deletions}"]
        rows[-1] += ["", "", ""]
    nodes = [info.result.node if info.result else None for info in sessions]
    if any(nodes):  # sessions that ran elsewhere (the Ray backend): say where
        headers, align = (*headers, "node"), (*align, "left")
        for row, node in zip(rows, [*nodes, None, ""], strict=True):
            if row is not SEPARATING_LINE:
                row.append(node or "")
    table = tabulate(rows, headers=headers, disable_numparse=True, colalign=align)
    problems = [
        f"{info.id} {info.state}: {one_line(info.result.error)}"
        for info in sessions
        if info.result is not None and info.result.error and info.state != "completed"
    ]
    noted = [
        f"{info.id} allowed at permissive, on your own uncommitted work: "
        f"{one_line(n.tool, 40)} {one_line(n.input, 120)!r} [{n.rule}]"
        for info in sessions
        if info.result is not None
        for n in info.result.noted
    ]
    return "\n".join([table, *problems, *noted])


_ALIGN = ("left", "left", "left", "right", "right", "right", "right", "right", "right")
